"""--json and --json=pretty: one document on stdout, from the same report model
as the text report, validated against schema/nsstls-report.schema.json.

Every document a test reads goes through peers.json_document / json_documents,
which decode stdout strictly as UTF-8 and validate each document against the
schema (peers.validate_json).  Failures are JSON too: each failure test checks
the document's outcome (phase, error name, exit code) as well as the status.
"""

import datetime as dt
import json
import re
import subprocess
from pathlib import Path

import pytest

from peers import BOUNDED, ROOTS, fixture, json_document, openssl_sha256, validate_json

SERVER = dict(cert="server-rsa.crt", key="server-rsa.key", chain="int-rsa.crt")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def parse_time(s: str) -> dt.datetime:
    assert TIME_RE.match(s), s
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def openssl_dates(cert: str) -> tuple[str, str]:
    """(notBefore, notAfter) of a fixture in RFC 3339 form, from openssl."""
    out = subprocess.run(["openssl", "x509", "-in", fixture(cert), "-noout",
                          "-startdate", "-enddate", "-dateopt", "iso_8601"],
                         capture_output=True, text=True, check=True).stdout
    nb = re.search(r"^notBefore=(.*)$", out, re.M).group(1).strip()
    na = re.search(r"^notAfter=(.*)$", out, re.M).group(1).strip()
    return tuple(v.replace(" ", "T") for v in (nb, na))


# ---- the text report, read back ------------------------------------------

def text_facts(err: str) -> dict:
    """What the human report on stderr says, in JSON's terms."""
    def one(pattern):
        m = re.search(pattern, err, re.M)
        assert m, f"{pattern!r} not in the text report:\n{err}"
        return m

    facts = {
        "protocol": one(r"^\s+Protocol\s+(\S+)$").group(1),
        "cipher_suite": one(r"^\s+Cipher suite\s+(\S+) \((0x[0-9a-f]{4})\)$").group(1),
        "cipher_suite_id": one(r"^\s+Cipher suite\s+(\S+) \((0x[0-9a-f]{4})\)$").group(2),
        "group": one(r"^\s+Key exchange\s+([^,\s]+), (\d+) bits$").group(1),
        "key_exchange_bits": int(one(r"^\s+Key exchange\s+([^,\s]+), (\d+) bits$").group(2)),
        "signature_scheme": one(r"^\s+Signature\s+([a-z0-9_]+)$").group(1),
        "alpn": one(r"^\s+ALPN\s+(\S+)$").group(1),
    }
    sent = err.split("Certificate chain sent by the server", 1)[1].split("Chain built by NSS", 1)[0]
    facts["sent_subjects"] = re.findall(r"^\s+\[\d+\] (.+)$", sent, re.M)
    facts["sent_sha256"] = re.findall(r"^\s+SHA-256\s+([0-9a-f]{64})$", sent, re.M)
    built = err.split("Chain built by NSS", 1)[1].split("Revocation:", 1)[0]
    links = re.split(r"^\s+\[\d+\] ", built, flags=re.M)[1:]
    facts["built"] = []
    for link in links:
        subject = link.splitlines()[0]
        m = re.search(r"^\s+From\s+the server \(sent as \[(\d+)\]\)$", link, re.M)
        if m:
            origin, sent_index, source = "server", int(m.group(1)), None
        else:
            m = re.search(r"^\s+From\s+local trust source: (\S+)", link, re.M)
            assert m, link
            origin, sent_index, source = "local", None, m.group(1)
        anchor = re.search(r"^\s+Anchor\s+yes\b", link, re.M) is not None
        facts["built"].append((subject, origin, sent_index, source, anchor))
    facts["verified"] = re.search(r"^Verification: OK\b", err, re.M) is not None
    return facts


def json_facts(doc: dict) -> dict:
    h = doc["handshakes"][0]
    return {
        "protocol": h["protocol"],
        "cipher_suite": h["cipher_suite"],
        "cipher_suite_id": h["cipher_suite_id"],
        "group": h["group"],
        "key_exchange_bits": h["key_exchange_bits"],
        "signature_scheme": h["signature_scheme"],
        "alpn": h["alpn"] if h["alpn"] is not None else "none",
        "sent_subjects": [c["subject"] for c in doc["certificates"]["sent"]],
        "sent_sha256": [c["sha256"] for c in doc["certificates"]["sent"]],
        "built": [(l["certificate"]["subject"], l["origin"], l["sent_index"],
                   l["trust_source"], l["anchor"]) for l in doc["certificates"]["built"]],
        "verified": doc["verification"]["ok"],
    }


# ---- success ---------------------------------------------------------------

@pytest.mark.parametrize("flag", ["--json", "--json=compact", "--json=pretty"])
def test_json_success_matches_text_report(nsstls, openssl_server, flag):
    srv = openssl_server(**SERVER, args=["-alpn", "h2"])
    target = f"localhost:{srv.port}"
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--alpn", "h2", flag, target)
    after = dt.datetime.now(dt.timezone.utc)
    assert r.returncode == 0, r.stderr
    # Layout: compact is one line, pretty is indented over many.
    doc = json_document(r)
    if flag == "--json=pretty":
        assert r.stdout.startswith("{\n  \"schema\": 1,\n"), r.stdout[:200]
        assert r.stdout == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    else:
        assert r.stdout.count("\n") == 1, r.stdout[:200]
        assert r.stdout.startswith('{"schema":1,'), r.stdout[:200]
        assert r.stdout == json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n"

    # The text report of a parallel run says the same.
    t = nsstls(*BOUNDED, "--ca-file", ROOTS, "--alpn", "h2", "--no-data", target)
    assert t.returncode == 0, t.stderr
    assert json_facts(doc) == text_facts(t.stderr)

    assert doc["schema"] == 1
    assert doc["mode"] == "connect"
    assert doc["target"] == {"host": "localhost", "port": srv.port,
                             "servername": "localhost", "verify_name": "localhost"}
    assert doc["connected_address"] == "127.0.0.1"
    assert doc["addresses"][-1]["address"] == "127.0.0.1"
    assert doc["addresses"][-1]["error"] is None

    h = doc["handshakes"]
    assert len(h) == 1
    assert h[0]["protocol"] == "TLSv1.3"
    assert h[0]["alpn"] == "h2"
    assert h[0]["cipher_suite"].startswith("TLS_")
    assert h[0]["forward_secrecy"] is True
    assert h[0]["resumed"] is False

    # The chain as sent: subjects and fingerprints of the fixtures.
    sent = doc["certificates"]["sent"]
    assert [c["subject"] for c in sent] == ["CN=nsstls Test Server RSA,O=nsstls tests",
                                            "CN=nsstls Test Intermediate RSA,O=nsstls tests"]
    assert [c["sha256"] for c in sent] == [openssl_sha256("server-rsa.crt"),
                                           openssl_sha256("int-rsa.crt")]
    assert (sent[0]["not_before"], sent[0]["not_after"]) == openssl_dates("server-rsa.crt")
    assert sent[0]["sans"] == ["DNS:localhost", "IP:127.0.0.1", "IP:::1"]
    assert sent[0]["key"] == {"type": "RSA", "bits": 2048, "curve": None}
    assert sent[0]["is_ca"] is False and sent[1]["is_ca"] is True
    assert sent[0]["serial"] == "10:02"

    # The chain as built: two from the server, the anchor from the CA file.
    built = doc["certificates"]["built"]
    assert [(l["origin"], l["sent_index"], l["anchor"], l["trust_source"]) for l in built] == [
        ("server", 0, False, None), ("server", 1, False, None), ("local", None, True, "ca-file")]
    assert built[2]["certificate"]["sha256"] == openssl_sha256("root-rsa.crt")
    assert all(l["error"] is None for l in built)
    assert [s["name"] for s in doc["trust_sources"]] == ["builtin", "ca-file"]
    assert doc["trust_sources"][1]["detail"] == ROOTS
    assert doc["trust_sources"][1]["anchors"] == 2

    v = doc["verification"]
    assert v == {**v, "ok": True, "chain_ok": True, "name_checked": True, "name_ok": True,
                 "error": None, "error_depth": None, "overridden": False}

    o = doc["outcome"]
    assert o == {"ok": True, "phase": "done", "exit_code": 0, "error": None, "message": None}

    tm = doc["timings"]
    for k in ("connect_us", "handshake_us"):
        assert isinstance(tm[k], int) and not isinstance(tm[k], bool) and tm[k] > 0, tm
    assert tm["handshake_us"] == h[0]["duration_us"]
    assert tm["connect_us"] == doc["addresses"][-1]["connect_us"]
    assert isinstance(tm["resolve_us"], int) and tm["resolve_us"] >= 0

    # Times are UTC and now.
    slack = dt.timedelta(seconds=5)
    assert before - slack <= parse_time(doc["started_at"]) <= after + slack
    assert before - slack <= parse_time(v["verified_at"]) <= after + slack


def test_json_has_check_key_null_without_check(nsstls, openssl_server):
    """Absent facts are null, never missing keys: outside --check the "check"
    member is there, as null, so consumers can rely on the shape."""
    srv = openssl_server(**SERVER)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    doc = json_document(r)
    assert "check" in doc, sorted(doc)
    assert doc["check"] is None


def test_json_skips_data_phase(nsstls, openssl_server):
    """With --json stdout is only the document, even with a request piped
    into stdin against a server that would answer it."""
    srv = openssl_server(**SERVER, args=["-www"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", f"localhost:{srv.port}",
               input=b"GET / HTTP/1.0\r\n\r\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("\n") == 1, r.stdout
    assert "HTTP/1.0" not in r.stdout and "<HTML>" not in r.stdout.upper()
    doc = json_document(r)
    assert doc["outcome"]["phase"] == "done"
    assert doc["timings"]["first_byte_us"] is None


def test_json_stdout_only_json_stderr_quiet_on_success(nsstls, openssl_server):
    srv = openssl_server(**SERVER)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    json_document(r)
    # The human report is not duplicated on stderr.
    assert "Chain built by NSS" not in r.stderr


# ---- failures are documents too ----------------------------------------------

def assert_failure(r, exit_code, phase, error_name=None):
    assert r.returncode == exit_code, (r.returncode, r.stdout, r.stderr)
    doc = json_document(r)
    o = doc["outcome"]
    assert o["ok"] is False
    assert o["exit_code"] == exit_code
    assert o["phase"] == phase, o
    if error_name is not None:
        assert o["error"] is not None and o["error"]["name"] == error_name, o
    assert o["message"], o
    return doc


def test_json_connection_refused(nsstls, closed_port):
    r = nsstls(*BOUNDED, "--json", f"127.0.0.1:{closed_port}")
    doc = assert_failure(r, 3, "connect", "PR_CONNECT_REFUSED_ERROR")
    assert doc["target"]["host"] == "127.0.0.1" and doc["target"]["port"] == closed_port
    assert doc["addresses"][0]["address"] == "127.0.0.1"
    assert doc["addresses"][0]["error"]["name"] == "PR_CONNECT_REFUSED_ERROR"
    assert doc["connected_address"] is None
    assert doc["timings"]["connect_us"] is None and doc["timings"]["handshake_us"] is None
    assert doc["verification"] is None
    assert doc["handshakes"] == [] and doc["certificates"] == {"sent": [], "built": []}


def test_json_unresolvable(nsstls):
    r = nsstls(*BOUNDED, "--json", "nonexistent.invalid:443")
    doc = assert_failure(r, 3, "resolve")
    assert doc["outcome"]["error"] is not None
    assert doc["addresses"] == [] and doc["connected_address"] is None
    assert doc["target"]["host"] == "nonexistent.invalid"


def test_json_silent_server_timeout(nsstls, silent_server):
    r = nsstls("--timeout", "1", "--connect-timeout", "2", "--json",
               f"127.0.0.1:{silent_server.port}", timeout=20)
    doc = assert_failure(r, 5, "handshake", "PR_IO_TIMEOUT_ERROR")
    assert doc["connected_address"] == "127.0.0.1"
    assert isinstance(doc["timings"]["connect_us"], int)
    assert doc["handshakes"] == []


def test_json_garbage_server(nsstls, garbage_server):
    r = nsstls(*BOUNDED, "--json", f"127.0.0.1:{garbage_server.port}")
    doc = assert_failure(r, 5, "handshake")
    assert doc["outcome"]["error"] is not None


def test_json_expired_certificate(nsstls, openssl_server):
    srv = openssl_server("expired.crt", "expired.key", chain="int-rsa.crt")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", f"localhost:{srv.port}")
    doc = assert_failure(r, 6, "handshake", "SEC_ERROR_EXPIRED_CERTIFICATE")
    v = doc["verification"]
    assert v["ok"] is False and v["chain_ok"] is False
    assert v["error"]["name"] == "SEC_ERROR_EXPIRED_CERTIFICATE"
    assert v["error_depth"] == 0
    ids = [f["id"] for f in doc["findings"]]
    assert "expired" in ids, ids
    f = doc["findings"][ids.index("expired")]
    assert f["severity"] == "error" and f["certificate"] == 0 and f["sent_index"] == 0
    # The whole chain is still there: a failure is when it is most wanted.
    assert doc["certificates"]["sent"][0]["sha256"] == openssl_sha256("expired.crt")
    assert doc["certificates"]["sent"][0]["days_left"] < 0
    assert doc["certificates"]["built"][0]["error"]["name"] == "SEC_ERROR_EXPIRED_CERTIFICATE"


def test_json_setup_error(nsstls):
    r = nsstls(*BOUNDED, "--ca-file", "/nonexistent", "--json", "localhost:1")
    doc = assert_failure(r, 2, "setup")
    assert "/nonexistent" in doc["outcome"]["message"]
    assert doc["addresses"] == []


def test_json_print_cert(nsstls):
    r = nsstls("--print-cert", fixture("server-rsa-chain.pem"), "--ca-file", ROOTS, "--json")
    assert r.returncode == 0, r.stderr
    doc = json_document(r)
    assert doc["mode"] == "print-cert"
    assert doc["target"] == {"file": fixture("server-rsa-chain.pem")}
    assert [c["sha256"] for c in doc["certificates"]["sent"]] == [
        openssl_sha256("server-rsa.crt"), openssl_sha256("int-rsa.crt")]
    assert doc["verification"]["chain_ok"] is True
    assert doc["outcome"]["exit_code"] == 0
    assert doc["handshakes"] == [] and doc["addresses"] == []


def test_json_print_cert_expired(nsstls):
    r = nsstls("--print-cert", fixture("expired-chain.pem"), "--ca-file", ROOTS, "--json")
    assert r.returncode == 6, r.stderr
    doc = json_document(r)
    assert doc["mode"] == "print-cert"
    assert doc["outcome"]["exit_code"] == 6
    assert "expired" in [f["id"] for f in doc["findings"]]


# ---- strings from certificates are valid UTF-8 ---------------------------------

def latin1_fixture(tmp_path: Path) -> tuple[str, str, str]:
    """(cert, key, chain) of a localhost leaf whose OU is a T61String holding
    the raw byte 0xE9 ("Soci\\xe9t\\xe9"): the committed fixture, or one made
    now the way tests/fixtures/make-certs.sh makes it."""
    names = [fixture(n) for n in ("latin1.crt", "latin1.key", "latin1-chain.pem")]
    if all(Path(n).is_file() for n in names):
        return tuple(names)
    cnf = tmp_path / "t61.cnf"
    cnf.write_text("[ req ]\ndistinguished_name = req_dn\nprompt = no\n"
                   "string_mask = nombstr\n[ req_dn ]\n")
    ext = tmp_path / "ext.cnf"
    ext.write_text("basicConstraints = critical, CA:FALSE\n"
                   "keyUsage = critical, digitalSignature, keyEncipherment\n"
                   "extendedKeyUsage = serverAuth\n"
                   "subjectAltName = DNS:localhost, IP:127.0.0.1\n")
    key, csr, crt = tmp_path / "latin1.key", tmp_path / "latin1.csr", tmp_path / "latin1.crt"
    subj = b"/O=nsstls tests/OU=Soci\xe9t\xe9/CN=nsstls Test Server Latin-1"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:2048", "-out", str(key)], check=True, capture_output=True)
    subprocess.run([b"openssl", b"req", b"-new", b"-config", bytes(cnf), b"-key", bytes(key),
                    b"-subj", subj, b"-out", bytes(csr)], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", str(csr), "-CA", fixture("int-rsa.crt"),
                    "-CAkey", fixture("int-rsa.key"), "-set_serial", "0x7e57", "-days", "30",
                    "-extfile", str(ext), "-out", str(crt)], check=True, capture_output=True)
    der = subprocess.run(["openssl", "x509", "-in", str(crt), "-outform", "DER"],
                         check=True, capture_output=True).stdout
    assert b"\x14\x07Soci\xe9t\xe9" in der, "openssl did not make a T61String OU"
    chain = tmp_path / "latin1-chain.pem"
    chain.write_text(crt.read_text() + Path(fixture("int-rsa.crt")).read_text())
    return str(crt), str(key), str(chain)


@pytest.mark.parametrize("flag", ["--json", "--json=pretty"])
def test_json_latin1_dn_is_valid_utf8(nsstls, openssl_server, tmp_path, flag):
    cert, key, chain = latin1_fixture(tmp_path)
    srv = openssl_server(cert, key, chain=chain)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, flag, f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    r.stdout_bytes.decode("utf-8", errors="strict")      # must not raise
    doc = json.loads(r.stdout_bytes.decode("utf-8"))
    validate_json(doc)
    subject = doc["certificates"]["sent"][0]["subject"]
    # The OU is still there, with its accented letters as é (or U+FFFD).
    assert "Soci" in subject, subject
    m = re.search(r"OU=Soci(.)t(.)", subject)
    assert m, subject
    assert m.group(1) in ("\u00e9", "\ufffd") and m.group(2) in ("\u00e9", "\ufffd"), subject
    assert doc["certificates"]["built"][0]["certificate"]["subject"] == subject
    assert "Latin-1" in subject


# ---- the schema itself catches drift ---------------------------------------------

def test_schema_rejects_drift(nsstls, openssl_server):
    """The schema is strict: an unknown key, a missing key, a wrong type or
    an unknown enum value anywhere makes a real document invalid."""
    import copy

    import jsonschema

    srv = openssl_server(**SERVER)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    doc = json_document(r)

    def broken(mutate):
        d = copy.deepcopy(doc)
        mutate(d)
        with pytest.raises(jsonschema.ValidationError):
            validate_json(d)

    broken(lambda d: d.__setitem__("extra", 1))
    broken(lambda d: d.pop("timings"))
    broken(lambda d: d.pop("check"))
    broken(lambda d: d.__setitem__("schema", 2))
    broken(lambda d: d["outcome"].__setitem__("phase", "finished"))
    broken(lambda d: d["outcome"].__setitem__("exit_code", "0"))
    broken(lambda d: d["timings"].__setitem__("handshake_us", 1.5))
    broken(lambda d: d["timings"].pop("connect_us"))
    broken(lambda d: d["certificates"]["sent"][0].__setitem__("sha256", "AB" * 32))
    broken(lambda d: d["certificates"]["sent"][0].__setitem__("not_after", "2049-12-31 23:59:59"))
    broken(lambda d: d["certificates"]["sent"][0].__setitem__("fingerprint", "x"))
    broken(lambda d: d["certificates"]["built"][0].__setitem__("origin", "cache"))
    broken(lambda d: d["handshakes"][0].__setitem__("cipher_suite_id", "0x13A1"))
    broken(lambda d: d["findings"].append({"severity": "fatal", "id": "x", "certificate": None,
                                           "sent_index": None, "text": None}))
    broken(lambda d: d.__setitem__("check", {"status": "BAD", "line": None, "problems": []}))
    broken(lambda d: d.__setitem__("target", {"file": "x"}))     # connect mode
    broken(lambda d: d["verification"].__setitem__("ok", None))
