"""Isolation: a target's verdict depends only on that target (issue 8.1).

NSS keeps every certificate it decodes in one process-wide store and its
chain builders look issuers up there by name, so an intermediate that one
server sends could complete another server's chain.  These tests run servers
whose chains share intermediates -- good ones, ones that omit the
intermediate, one that sends an expired twin of it (same name, same key) --
many at once, in every order and with many worker counts, and require each
target's result to be exactly what that target gives when run alone.
"""

import random
import subprocess
from pathlib import Path

import pytest

from peers import BOUNDED, fixture, json_documents

ROOT_ONLY = ("--no-builtin-roots", "--ca-file", fixture("roots.pem"))
REPEATS = 20


def expired_twin(tmp: Path) -> Path:
    """int-rsa's twin: same subject and key, signed by root-rsa, expired in
    2021.  server-rsa's signature verifies with it, its dates do not."""
    (tmp / "index.txt").write_text("")
    (tmp / "serial").write_text("1FFF\n")
    (tmp / "ca.cnf").write_text(f"""
[ ca ]
default_ca = c
[ c ]
dir = {tmp}
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir
default_md = sha256
policy = p
unique_subject = no
copy_extensions = none
[ p ]
organizationName = optional
commonName = optional
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
[ ext ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
""")
    csr, out = tmp / "int.csr", tmp / "int-rsa-expired.crt"
    subprocess.run(["openssl", "req", "-new", "-config", tmp / "ca.cnf",
                    "-key", fixture("int-rsa.key"),
                    "-subj", "/O=nsstls tests/CN=nsstls Test Intermediate RSA",
                    "-out", csr], check=True, capture_output=True)
    subprocess.run(["openssl", "ca", "-batch", "-notext", "-config", tmp / "ca.cnf",
                    "-cert", fixture("root-rsa.crt"), "-keyfile", fixture("root-rsa.key"),
                    "-extensions", "ext", "-startdate", "20190101000000Z",
                    "-enddate", "20210101000000Z", "-in", csr, "-out", out],
                   check=True, capture_output=True)
    return out


@pytest.fixture
def shared_chains(openssl_server, tmp_path):
    """Servers whose chains share int-rsa / int-ec; {target: kind}."""
    twin = expired_twin(tmp_path)
    servers = {
        "good-rsa": openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt"),
        "missing-rsa": openssl_server("server-rsa.crt", "server-rsa.key"),
        "good-ec": openssl_server("server-ec.crt", "server-ec.key", chain="int-ec.crt"),
        "missing-ec": openssl_server("server-ec.crt", "server-ec.key"),
        "expired-twin": openssl_server("server-rsa.crt", "server-rsa.key", chain=str(twin)),
        "missing-expired": openssl_server("expired.crt", "expired.key"),
    }
    return {f"127.0.0.1:{s.port}": kind for kind, s in servers.items()}


def outcome(doc: dict) -> tuple:
    """What a user relies on: status, verdict, the chain built, findings."""
    v = doc["verification"] or {}
    built = tuple((c["certificate"]["sha256"], c["error"]) for c in doc["certificates"]["built"])
    findings = tuple(sorted((f["id"], f["severity"]) for f in doc["findings"]))
    return (doc["outcome"]["exit_code"], v.get("ok"), built, findings)


def docs_by_target(docs):
    return {f'{d["target"]["host"]}:{d["target"]["port"]}': d for d in docs}


def alone(nsstls, target):
    r = nsstls(*BOUNDED, *ROOT_ONLY, "--json", target)
    (doc,) = json_documents(r.stdout_bytes)
    return doc


def test_each_target_alone_has_the_expected_verdict(nsstls, shared_chains):
    for target, kind in shared_chains.items():
        doc = alone(nsstls, target)
        expect_ok = kind.startswith("good")
        assert doc["verification"]["ok"] is expect_ok, (kind, doc["verification"])
        assert doc["outcome"]["exit_code"] == (0 if expect_ok else 6), kind
        if kind.startswith("missing"):
            ids = [f["id"] for f in doc["findings"]]
            assert "missing-intermediate" in ids, (kind, ids)


@pytest.mark.parametrize("jobs", [1, 2, 8, 64])
def test_verdicts_do_not_depend_on_other_targets(nsstls, shared_chains, jobs):
    """Every target, given twice, shuffled, ordered and --unordered, REPEATS
    times: each result equals the target's result alone."""
    expected = {t: outcome(alone(nsstls, t)) for t in shared_chains}
    rng = random.Random(jobs)
    for i in range(REPEATS):
        targets = list(shared_chains) * 2
        rng.shuffle(targets)
        order = ["--unordered"] if i % 2 else []
        r = nsstls(*BOUNDED, *ROOT_ONLY, "--json", "-j", str(jobs), *order, *targets,
                   timeout=120)
        docs = json_documents(r.stdout_bytes)
        assert len(docs) == len(targets), r.stderr
        for doc in docs:
            t = f'{doc["target"]["host"]}:{doc["target"]["port"]}'
            assert outcome(doc) == expected[t], (
                f"run {i}, -j {jobs}: {shared_chains[t]} differs from its run alone",
                outcome(doc), expected[t])
        assert r.returncode == 6


def test_check_mode_never_says_ok_for_a_missing_intermediate(nsstls, shared_chains):
    """The reported case: --check with a good server and one that omits the
    intermediate the good one sends, -j 2, many times."""
    good = next(t for t, k in shared_chains.items() if k == "good-rsa")
    bad = next(t for t, k in shared_chains.items() if k == "missing-rsa")
    for _ in range(REPEATS):
        r = nsstls(*BOUNDED, *ROOT_ONLY, "--check", "-j", "2", good, bad)
        lines = r.stdout.splitlines()
        bad_line = next(l for l in lines if bad in l)
        good_line = next(l for l in lines if good in l)
        assert bad_line.startswith("TLS CRITICAL"), bad_line
        assert good_line.startswith("TLS OK"), good_line
        assert r.returncode == 2


def test_expired_twin_is_not_rescued_by_a_valid_one(nsstls, shared_chains):
    """The twin's server sends an expired intermediate; another server sends
    the valid one with the same name and key.  NSS's own chain builder would
    pick the valid one; the verdict must stay 'failed'."""
    twin = next(t for t, k in shared_chains.items() if k == "expired-twin")
    good = next(t for t, k in shared_chains.items() if k == "good-rsa")
    for _ in range(REPEATS):
        r = nsstls(*BOUNDED, *ROOT_ONLY, "--json", "-j", "8", *([good, twin] * 4))
        for doc in json_documents(r.stdout_bytes):
            t = f'{doc["target"]["host"]}:{doc["target"]["port"]}'
            if t == twin:
                assert doc["verification"]["ok"] is False, doc["verification"]
                assert doc["outcome"]["exit_code"] == 6
                assert "expired" in [f["id"] for f in doc["findings"]], doc["findings"]


def test_a_session_is_never_resumed_across_targets(nsstls, openssl_server):
    """Two targets naming the same server with --reconnect: each target's
    first connection is a full handshake that verifies the chain (a peer ID
    per target keeps NSS's one session cache apart)."""
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt")
    t = f"127.0.0.1:{srv.port}"
    r = nsstls(*BOUNDED, *ROOT_ONLY, "--json", "-j", "1", "--reconnect=1", t, t)
    docs = json_documents(r.stdout_bytes)
    assert len(docs) == 2
    for doc in docs:
        assert doc["handshakes"][0]["resumed"] is False, doc["handshakes"][0]
        assert doc["verification"]["ok"] is True
