"""Verification is bounded (issue 8.9).

A chain built so that NSS compares thousands of names with thousands of name
constraints keeps a verifier busy for seconds.  nsstls refuses such a chain
before NSS starts (more than 250000 comparisons), and any verification still
running when --timeout passes ends with "verification did not finish", exit 6
— online and offline alike.
"""

import subprocess
import time
from pathlib import Path

import pytest

from peers import BOUNDED, ROOTS, fixture, json_documents

CA = ("--no-builtin-roots", "--ca-file", ROOTS)


def nc_chain(tmp: Path, names: int, subtrees: int) -> tuple[Path, Path, Path]:
    """A CA under root-rsa with `subtrees` name constraints (half permitted,
    half excluded) and a localhost leaf with `names` DNS names, all inside
    the permitted subtrees.  Returns (chain.pem, leaf.crt, leaf.key)."""
    half = max(1, subtrees // 2)
    ca_ext = ["[ext]", "basicConstraints=critical,CA:TRUE",
              "keyUsage=critical,keyCertSign,cRLSign", "nameConstraints=critical,@nc",
              "[nc]", "permitted;DNS.0=localhost"]
    ca_ext += [f"permitted;DNS.{i}=x{i}.example" for i in range(1, half)]
    ca_ext += [f"excluded;DNS.{i}=y{i}.example" for i in range(half)]
    leaf_ext = ["[ext]", "basicConstraints=critical,CA:FALSE",
                "keyUsage=critical,digitalSignature,keyEncipherment",
                "extendedKeyUsage=serverAuth", "subjectAltName=@san", "[san]",
                "DNS.0=localhost", "IP.0=127.0.0.1"]
    leaf_ext += [f"DNS.{i}=h{i}.x{1 + i % max(1, half - 1)}.example" for i in range(1, names)]
    (tmp / "ca.ext").write_text("\n".join(ca_ext) + "\n")
    (tmp / "leaf.ext").write_text("\n".join(leaf_ext) + "\n")

    def run(*argv):
        subprocess.run(argv, check=True, capture_output=True)
    run("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", tmp / "ca.key",
        "-subj", "/O=nsstls tests/CN=Name Constraints CA", "-out", tmp / "ca.csr")
    run("openssl", "x509", "-req", "-in", tmp / "ca.csr", "-CA", fixture("root-rsa.crt"),
        "-CAkey", fixture("root-rsa.key"), "-set_serial", "7001", "-days", "3650",
        "-extfile", tmp / "ca.ext", "-extensions", "ext", "-out", tmp / "ca.crt")
    run("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", tmp / "leaf.key",
        "-subj", "/O=nsstls tests/CN=localhost", "-out", tmp / "leaf.csr")
    run("openssl", "x509", "-req", "-in", tmp / "leaf.csr", "-CA", tmp / "ca.crt",
        "-CAkey", tmp / "ca.key", "-set_serial", "7002", "-days", "365",
        "-extfile", tmp / "leaf.ext", "-extensions", "ext", "-out", tmp / "leaf.crt")
    chain = tmp / "chain.pem"
    chain.write_text((tmp / "leaf.crt").read_text() + (tmp / "ca.crt").read_text())
    return chain, tmp / "leaf.crt", tmp / "leaf.key"


def ids(doc):
    return [f["id"] for f in doc["findings"]]


def test_small_name_constraints_verify(nsstls, tmp_path):
    chain, _, _ = nc_chain(tmp_path, names=5, subtrees=6)
    r = nsstls(*CA, "--json", "--verify-name", "localhost", "--print-cert", str(chain))
    (doc,) = json_documents(r.stdout_bytes)
    assert r.returncode == 0, doc["verification"]
    assert "verification-limit" not in ids(doc)


def test_name_constraint_blowup_is_refused_at_once(nsstls, tmp_path):
    chain, _, _ = nc_chain(tmp_path, names=1024, subtrees=2048)
    start = time.monotonic()
    r = nsstls(*CA, "--json", "--timeout", "30", "--print-cert", str(chain))
    took = time.monotonic() - start
    (doc,) = json_documents(r.stdout_bytes)
    assert r.returncode == 6
    assert doc["verification"]["ok"] is False
    assert "verification-limit" in ids(doc), doc["findings"]
    # Refused before NSS starts: no 10-second verification (generous bound
    # for a loaded machine; NSS takes seconds on this chain).
    assert took < 5, took


def test_name_constraint_blowup_from_a_server(nsstls, tmp_path, openssl_server):
    chain, leaf, key = nc_chain(tmp_path, names=1024, subtrees=2048)
    srv = openssl_server(str(leaf), str(key), chain=str(tmp_path / "ca.crt"))
    r = nsstls(*BOUNDED, *CA, "--json", f"localhost:{srv.port}")
    (doc,) = json_documents(r.stdout_bytes)
    assert r.returncode == 6
    assert "verification-limit" in ids(doc)
    chk = nsstls(*BOUNDED, *CA, "--check", f"localhost:{srv.port}")
    assert chk.stdout.startswith("TLS CRITICAL"), chk.stdout


def test_verification_stops_at_the_timeout(nsstls, tmp_path):
    """Under the comparison limit, but slower than a 1 ms --timeout: the
    verdict is 'did not finish' and the run ends at once."""
    chain, _, _ = nc_chain(tmp_path, names=490, subtrees=500)
    start = time.monotonic()
    r = nsstls(*CA, "--json", "--timeout", "0.001", "--print-cert", str(chain))
    took = time.monotonic() - start
    (doc,) = json_documents(r.stdout_bytes)
    assert r.returncode == 6
    assert doc["verification"]["ok"] is False
    assert doc["verification"]["error"]["name"] == "PR_IO_TIMEOUT_ERROR"
    f = [f for f in doc["findings"] if f["id"] == "verification-timeout"]
    assert f and "did not finish in 0.001 s" in f[0]["text"], doc["findings"]
    assert took < 5, took
    # With time enough, the same chain verifies.
    r = nsstls(*CA, "--json", "--timeout", "60", "--verify-name", "localhost",
               "--print-cert", str(chain), timeout=90)
    (doc,) = json_documents(r.stdout_bytes)
    assert r.returncode == 0, doc["verification"]
