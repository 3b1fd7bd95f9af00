"""--print-cert (offline diagnosis of a certificate file) and --save-chain /
--save-chain-verified (issue 3).

--print-cert reads PEM or one DER certificate, verifies against the same
trust sources as a connection, and exits 0 (valid), 6 (not valid) or 2
(unreadable / no certificate); it takes no target (usage error 1) and makes
no connection.  The --save-chain files are parsed with openssl.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import peers
from peers import BOUNDED, ROOTS, fixture, finding_ids, report_doc

CA = ("--ca-file", ROOTS)
SERVER_RSA = "CN=nsstls Test Server RSA,O=nsstls tests"
INT_RSA = "CN=nsstls Test Intermediate RSA,O=nsstls tests"
ROOT_RSA = "CN=nsstls Test Root RSA,O=nsstls tests"


def der_file(tmp_path, cert, name="cert.der"):
    path = tmp_path / name
    subprocess.run(["openssl", "x509", "-in", fixture(cert), "-outform", "DER", "-out",
                    str(path)], check=True, capture_output=True)
    return str(path)


# ---- --print-cert ----------------------------------------------------------------

def test_print_cert_chain(nsstls):
    path = fixture("server-rsa-chain.pem")
    r = nsstls("--print-cert", path, *CA)
    assert r.returncode == 0, r.stderr
    assert f"Certificates in {path} (2):" in r.stderr, r.stderr
    assert re.search(r"^Chain built by NSS \(3\):$", r.stderr, re.M), r.stderr
    assert re.search(r"^Verification: OK \(chain trusted; no name checked", r.stderr, re.M), \
        r.stderr
    # offline: no connection lines, no staple to speak of
    assert "Connected to" not in r.stderr and "OCSP staple" not in r.stderr, r.stderr


def test_print_cert_verify_name_matches(nsstls):
    r = nsstls("--print-cert", fixture("server-rsa-chain.pem"), *CA,
               "--verify-name", "localhost")
    assert r.returncode == 0, r.stderr
    assert re.search(r'^Verification: OK \(chain trusted, name "localhost" matches\)$',
                     r.stderr, re.M), r.stderr


def test_print_cert_verify_name_mismatch(nsstls):
    r = nsstls("--print-cert", fixture("server-rsa-chain.pem"), *CA,
               "--verify-name", "wrong.example", "--json")
    assert r.returncode == 6, r.stderr
    doc = report_doc(r)
    assert "name-mismatch" in finding_ids(doc), doc["findings"]


def test_print_cert_verify_name_mismatch_text(nsstls):
    r = nsstls("--print-cert", fixture("server-rsa-chain.pem"), *CA,
               "--verify-name", "wrong.example")
    assert r.returncode == 6, r.stderr
    assert re.search(r'^Verification: FAILED: the certificate is not valid for "wrong\.example"',
                     r.stderr, re.M), r.stderr


def test_print_cert_expired_chain(nsstls):
    r = nsstls("--print-cert", fixture("expired-chain.pem"), *CA, "--json")
    assert r.returncode == 6, r.stderr
    assert "expired" in finding_ids(report_doc(r))


def test_print_cert_expired_chain_at_a_time_it_was_valid(nsstls):
    r = nsstls("--print-cert", fixture("expired-chain.pem"), *CA, "--attime", "2020-06-15")
    assert r.returncode == 0, r.stderr


def test_print_cert_untrusted(nsstls):
    # No --ca-file: the private roots are not trusted.
    r = nsstls("--print-cert", fixture("server-rsa-chain.pem"), "--json")
    assert r.returncode == 6, r.stderr
    assert "unknown-issuer" in finding_ids(report_doc(r))


def test_print_cert_der(nsstls, tmp_path, make_leaf):
    # A DER file holds one certificate: a leaf issued by the root directly.
    leaf = make_leaf(issuer="root-rsa")
    path = der_file(tmp_path, leaf.cert)
    r = nsstls("--print-cert", path, *CA, "--verify-name", "localhost")
    assert r.returncode == 0, r.stderr
    assert f"Certificates in {path} (1):" in r.stderr, r.stderr
    assert re.search(r"^Chain built by NSS \(2\):$", r.stderr, re.M), r.stderr


def test_print_cert_der_leaf_without_its_intermediate(nsstls, tmp_path):
    path = der_file(tmp_path, "server-rsa.crt")
    r = nsstls("--print-cert", path, *CA, "--json")
    assert r.returncode == 6, r.stderr
    doc = report_doc(r)
    assert "missing-intermediate" in finding_ids(doc)
    assert doc["certificates"]["sent"] and len(doc["certificates"]["sent"]) == 1


def test_print_cert_crl(nsstls):
    r = nsstls("--print-cert", fixture("revoked-chain.pem"), *CA,
               "--crl-file", fixture("crl-int-rsa.pem"), "--json")
    assert r.returncode == 6, r.stderr
    assert "crl-revoked" in finding_ids(report_doc(r))


def test_print_cert_no_must_staple_finding_offline(nsstls):
    r = nsstls("--print-cert", fixture("muststaple-chain.pem"), *CA, "--json")
    assert r.returncode == 0, r.stderr
    assert "must-staple-missing" not in finding_ids(report_doc(r))


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_print_cert_unreadable_file(nsstls, tmp_path, kind):
    path = tmp_path / "nothing.pem"
    if kind == "directory":
        path.mkdir()
    r = nsstls("--print-cert", str(path), *CA)
    assert r.returncode == 2, r.stderr
    last = r.stderr.rstrip("\n").splitlines()[-1]
    assert last.startswith("nsstls: ") and str(path) in last, r.stderr
    assert "Verification" not in r.stderr


@pytest.mark.parametrize("content", [
    b"hello, this is no certificate\n",
    bytes(range(256)) * 4,
    b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    b"\x30\x82\x01\x00" + b"\x00" * 16,
], ids=["text", "binary", "pem-of-garbage", "truncated-der"])
def test_print_cert_garbage_file(nsstls, tmp_path, content):
    path = tmp_path / "garbage.pem"
    path.write_bytes(content)
    r = nsstls("--print-cert", str(path), *CA)
    assert r.returncode == 2, r.stderr
    last = r.stderr.rstrip("\n").splitlines()[-1]
    assert last.startswith("nsstls: ") and str(path) in last, r.stderr


def test_print_cert_json(nsstls):
    r = nsstls("--print-cert", fixture("server-rsa-chain.pem"), *CA, "--json")
    assert r.returncode == 0, r.stderr
    doc = report_doc(r)
    assert doc["mode"] == "print-cert"
    assert doc["verification"]["ok"] is True


def test_print_cert_json_unreadable(nsstls, tmp_path):
    r = nsstls("--print-cert", str(tmp_path / "missing.pem"), *CA, "--json")
    assert r.returncode == 2, r.stderr
    doc = report_doc(r)
    assert doc["mode"] == "print-cert"
    assert doc["outcome"]["exit_code"] == 2


@pytest.mark.parametrize("target", [["localhost:443"], ["--connect", "localhost:443"]])
def test_print_cert_with_a_target_is_a_usage_error(nsstls, target):
    r = nsstls("--print-cert", fixture("server-rsa-chain.pem"), *CA, *target)
    assert r.returncode == 1, r.stderr
    assert "--print-cert" in r.stderr
    assert r.stdout == ""


def test_print_cert_makes_no_connection(nsstls, http_server, make_leaf, tmp_path):
    # The leaf names an OCSP responder and an AIA URL that would be noticed;
    # a tiny --connect-timeout would fail any connection.
    http = http_server({"/int-rsa.der": peers.der_of("int-rsa.crt")})
    leaf = make_leaf(extensions=f"authorityInfoAccess = caIssuers;URI:{http.url_for('/int-rsa.der')}, "
                                f"OCSP;URI:{http.url_for('/ocsp')}")
    r = nsstls("--print-cert", leaf.chain, *CA, "--connect-timeout", "0.001",
               "--verify-name", "localhost")
    assert r.returncode == 0, r.stderr
    assert http.paths() == []


def test_print_cert_works_without_a_network(nsstls):
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare")
    probe = subprocess.run([unshare, "--net", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("cannot make a network namespace here")
    cmd = [unshare, "--net", *peers.nsstls_command(), "--print-cert",
           fixture("server-rsa-chain.pem"), *CA, "--connect-timeout", "0.001"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "Verification: OK" in r.stderr


def test_print_cert_save_chains(nsstls, tmp_path):
    sent, built = tmp_path / "sent.pem", tmp_path / "built.pem"
    r = nsstls("--print-cert", fixture("server-rsa-chain.pem"), *CA,
               "--save-chain", str(sent), "--save-chain-verified", str(built))
    assert r.returncode == 0, r.stderr
    assert peers.pem_subjects(sent) == [SERVER_RSA, INT_RSA]
    assert peers.pem_subjects(built) == [SERVER_RSA, INT_RSA, ROOT_RSA]


def test_print_cert_save_chain_unwritable(nsstls, tmp_path):
    path = tmp_path / "no-such-dir" / "chain.pem"
    r = nsstls("--print-cert", fixture("server-rsa-chain.pem"), *CA, "--save-chain", str(path))
    # Checked before the work starts (issue 9): a setup error, one line.
    assert r.returncode == 2, r.stderr
    assert r.stderr == (f"nsstls: setup: cannot write --save-chain {path}: "
                        "No such file or directory\n"), r.stderr


# ---- --save-chain / --save-chain-verified after a connection ------------------------

def connect(nsstls, srv, *args):
    return nsstls(*BOUNDED, *CA, "--no-data", *args, f"localhost:{srv.port}")


def test_save_chain_and_verified_chain(nsstls, openssl_server, tmp_path):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt")
    sent, built = tmp_path / "sent.pem", tmp_path / "built.pem"
    r = connect(nsstls, srv, "--save-chain", str(sent), "--save-chain-verified", str(built))
    assert r.returncode == 0, r.stderr
    assert peers.pem_subjects(sent) == [SERVER_RSA, INT_RSA]
    assert peers.pem_subjects(built) == [SERVER_RSA, INT_RSA, ROOT_RSA]
    # The saved chain is what the server sent, byte for byte.
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----",
                        sent.read_text(), re.S)
    assert blocks[0] in Path(fixture("server-rsa.crt")).read_text()
    assert blocks[1] in Path(fixture("int-rsa.crt")).read_text()


def test_saved_chain_feeds_print_cert(nsstls, openssl_server, tmp_path):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt")
    sent = tmp_path / "sent.pem"
    assert connect(nsstls, srv, "--save-chain", str(sent)).returncode == 0
    r = nsstls("--print-cert", str(sent), *CA)
    assert r.returncode == 0, r.stderr


def test_save_chain_when_verification_fails(nsstls, openssl_server, tmp_path):
    srv = openssl_server("expired.crt", "expired.key", chain="int-rsa.crt")
    sent, built = tmp_path / "sent.pem", tmp_path / "built.pem"
    r = connect(nsstls, srv, "--save-chain", str(sent), "--save-chain-verified", str(built))
    assert r.returncode == 6, r.stderr
    assert "--insecure" not in r.stderr or "going on" not in r.stderr
    expired = "CN=nsstls Test Server Expired,O=nsstls tests"
    assert peers.pem_subjects(sent) == [expired, INT_RSA]
    assert peers.pem_subjects(built) == [expired, INT_RSA, ROOT_RSA]


def test_save_chain_when_the_chain_stops_short(nsstls, openssl_server, tmp_path):
    srv = openssl_server("server-rsa.crt", "server-rsa.key")       # no intermediate
    sent, built = tmp_path / "sent.pem", tmp_path / "built.pem"
    r = connect(nsstls, srv, "--save-chain", str(sent), "--save-chain-verified", str(built))
    assert r.returncode == 6, r.stderr
    assert peers.pem_subjects(sent) == [SERVER_RSA]
    assert peers.pem_subjects(built) == [SERVER_RSA]


@pytest.mark.parametrize("option", ["--save-chain", "--save-chain-verified"])
def test_save_chain_unwritable(nsstls, openssl_server, tmp_path, option):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt")
    path = tmp_path / "no-such-dir" / "chain.pem"
    r = connect(nsstls, srv, option, str(path))
    assert r.returncode == 2, r.stderr
    assert r.stderr == (f"nsstls: setup: cannot write {option} {path}: "
                        "No such file or directory\n"), r.stderr


def test_save_chain_unwritable_when_verification_fails(nsstls, openssl_server, tmp_path):
    # Verification failure decides the exit status, but the user must still
    # learn that the file asked for was not written.
    # /dev/full passes the check before connecting and fails the write.
    srv = openssl_server("expired.crt", "expired.key", chain="int-rsa.crt")
    r = connect(nsstls, srv, "--save-chain", "/dev/full")
    assert r.returncode == 6, r.stderr
    lines = r.stderr.splitlines()
    assert lines.count("nsstls: done: cannot write the certificates to "
                       "/dev/full: No space left on device") == 1, r.stderr
    assert "SEC_ERROR_EXPIRED_CERTIFICATE" in lines[-1], r.stderr
