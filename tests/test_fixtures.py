"""Checks of the test fixtures and harness pieces (see tests/fixtures/README.md).

The clients here are openssl s_client / openssl ocsp / tstclnt, not nsstls,
so these pass before nsstls has the features: they prove that every
certificate is what its name says, that the OCSP responses and the CRL say
what they should and are stapled by s_server, that the client credentials
work in every format against openssl and NSS servers, and that make_leaf,
http_server, ocsp_responder and nss_client_db do their job.
"""

import base64
import datetime as dt
import re
import socket
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

import peers
from peers import fixture

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")

T2030 = "1893456000"          # 2030-01-01: inside every static leaf's validity
NOW = dt.datetime.now(dt.timezone.utc)
HTTP_GET = b"GET / HTTP/1.0\r\n\r\n"


def run(*argv, input=b"", timeout=30):
    """Run a command; (returncode, stdout+stderr as text)."""
    r = subprocess.run([str(a) for a in argv], input=input, capture_output=True,
                       timeout=timeout)
    return r.returncode, (r.stdout + r.stderr).decode("utf-8", errors="replace")


def ok(*argv, **kw):
    rc, out = run(*argv, **kw)
    assert rc == 0, f"{' '.join(map(str, argv))}:\n{out}"
    return out


def x509(cert, *args):
    return ok("openssl", "x509", "-in", fixture(cert), "-noout", *args)


def der(cert):
    return peers.der_of(cert)


def s_client(port, *args, stdin=b"", seconds=5):
    """openssl s_client to 127.0.0.1:port verifying against roots.pem for
    localhost; (rc, output)."""
    argv = ["timeout", str(seconds), "openssl", "s_client",
            "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
            "-verify_hostname", "localhost", "-CAfile", fixture("roots.pem"),
            "-verify_return_error", *args]
    return run(*argv, input=stdin, timeout=seconds + 5)


# ---- the files --------------------------------------------------------------

NEW_CERTS = ["weak-rsa", "weak-ec", "sha1", "md5", "notca-int", "server-notca",
             "int-pathlen0", "sub-int", "server-pathlen", "clientonly", "badku",
             "muststaple", "latin1", "revoked", "ocsp-rsa", "client-ec", "int-ec224",
             "server-ec224int"]
NEW_LEAVES = ["weak-rsa", "weak-ec", "sha1", "md5", "server-notca", "server-pathlen",
              "clientonly", "badku", "muststaple", "latin1", "revoked", "client-ec",
              "server-ec224int"]
OTHER_FILES = ["int-rsa-index.txt", "crl-int-rsa.pem", "crl-int-rsa.der",
               "ocsp-good.der", "ocsp-revoked.der", "ocsp-unknown.der", "ocsp-stale.der",
               "ocsp-other.der", "ocsp-badsig.der", "ocsp-corrupt.der", "ocsp-direct.der",
               "ocsp-muststaple.der", "client-rsa.rsa.key", "client-ec.ec.key",
               "client-rsa.p8enc.key", "client-rsa.tradenc.key", "client-rsa.pass",
               "client-mismatch.key"]


def test_new_files_exist(fixtures_dir):
    names = [f"{n}.{ext}" for n in NEW_CERTS for ext in ("crt", "key")]
    names += [f"{n}{ext}" for n in NEW_LEAVES for ext in ("-chain.pem", ".p12")]
    missing = [n for n in names + OTHER_FILES if not (fixtures_dir / n).is_file()]
    assert not missing


def test_committed_fixtures_unchanged(fixtures_dir):
    """Files already committed keep their bytes (golden tests compare
    fingerprints); make-certs.sh only adds what is missing."""
    if shutil.which("git") is None:
        pytest.skip("no git")
    rc, out = run("git", "-C", fixtures_dir, "ls-files", "-z", ".")
    if rc != 0:
        pytest.skip("not a git checkout")
    tracked = [n for n in out.split("\0") if n and n not in ("make-certs.sh", "README.md")]
    if not tracked:
        pytest.skip("no committed fixtures")
    rc, out = run("git", "-C", fixtures_dir, "diff", "--stat", "HEAD", "--", *tracked)
    assert rc == 0 and out.strip() == "", out


# Self-issued on purpose (issue 8): the new root key and a leaf under the
# name of rollover-old-root.crt.
SAME_NAME_AS_ROLLOVER_ROOT = {"rollover-new-root.crt", "selfissued.crt"}


def test_subjects_are_distinct(fixtures_dir):
    subjects = {}
    same = []
    for crt in sorted(fixtures_dir.glob("*.crt")):
        subj = x509(crt, "-subject", "-nameopt", "RFC2253").strip()
        if crt.name in SAME_NAME_AS_ROLLOVER_ROOT:
            same.append((crt.name, subj))
            continue
        assert subj not in subjects, f"{crt.name} and {subjects[subj]}: {subj}"
        subjects[subj] = crt.name
        assert "O=nsstls tests" in subj
    for name, subj in same:
        assert subjects.get(subj) == "rollover-old-root.crt", (name, subj)


@pytest.mark.parametrize("leaf,root,purpose", [
    ("weak-rsa", "root-rsa", "sslserver"),
    ("weak-ec", "root-ec", "sslserver"),
    ("sha1", "root-rsa", "sslserver"),
    ("md5", "root-rsa", "sslserver"),
    ("muststaple", "root-rsa", "sslserver"),
    ("latin1", "root-rsa", "sslserver"),
    ("revoked", "root-rsa", "sslserver"),
    ("client-ec", "root-ec", "sslclient"),
    ("server-ec224int", "root-ec", "sslserver"),
])
def test_new_chains_verify(leaf, root, purpose):
    ok("openssl", "verify", "-attime", T2030, "-purpose", purpose,
       "-CAfile", fixture(f"{root}.crt"), "-untrusted", fixture(f"{leaf}-chain.pem"),
       fixture(f"{leaf}.crt"))


@pytest.mark.parametrize("leaf,purpose,error", [
    ("server-notca", "sslserver", "invalid CA certificate"),
    ("server-pathlen", "sslserver", "path length constraint exceeded"),
    ("clientonly", "sslserver", "unsuitable certificate purpose"),
    ("badku", "sslserver", "unsuitable certificate purpose"),
])
def test_broken_chains_fail_for_their_reason(leaf, purpose, error):
    rc, out = run("openssl", "verify", "-attime", T2030, "-purpose", purpose,
                  "-CAfile", fixture("root-rsa.crt"),
                  "-untrusted", fixture(f"{leaf}-chain.pem"), fixture(f"{leaf}.crt"))
    assert rc != 0 and error in out, out


def test_chain_files_order():
    def subjects(f):
        out = ok("sh", "-c", f"openssl crl2pkcs7 -nocrl -certfile '{fixture(f)}'"
                             " | openssl pkcs7 -print_certs -noout")
        return re.findall(r"^subject=.*CN ?= ?(.*)$", out, re.M)
    assert subjects("server-pathlen-chain.pem") == [
        "nsstls Test Server Pathlen Violation", "nsstls Test Sub-Intermediate",
        "nsstls Test Intermediate Pathlen 0"]
    assert subjects("server-notca-chain.pem") == [
        "nsstls Test Server Under Not-CA", "nsstls Test Not-CA Intermediate"]


@pytest.mark.parametrize("cert,needle", [
    ("weak-rsa", "Public-Key: (1024 bit)"),
    ("weak-ec", "ASN1 OID: secp224r1"),
    ("sha1", "Signature Algorithm: sha1WithRSAEncryption"),
    ("md5", "Signature Algorithm: md5WithRSAEncryption"),
    ("notca-int", "CA:FALSE"),
    ("int-pathlen0", "CA:TRUE, pathlen:0"),
    ("sub-int", "CA:TRUE"),
    ("clientonly", "TLS Web Client Authentication"),
    ("badku", "X509v3 Key Usage: critical\n                Certificate Sign\n"),
    ("muststaple", "TLS Feature: \n                status_request"),
    ("ocsp-rsa", "OCSP Signing"),
    ("ocsp-rsa", "OCSP No Check"),
    ("client-ec", "ASN1 OID: prime256v1"),
    ("client-ec", "TLS Web Client Authentication"),
    ("int-ec224", "ASN1 OID: secp224r1"),
    ("server-ec224int", "ASN1 OID: prime256v1"),
])
def test_certificate_contents(cert, needle):
    assert needle in x509(f"{cert}.crt", "-text")


def test_clientonly_has_no_server_auth():
    text = x509("clientonly.crt", "-text")
    assert "TLS Web Server Authentication" not in text


def test_latin1_subject_is_t61_with_raw_e9():
    # T61String (tag 0x14), 7 bytes, the é as the single Latin-1 byte E9.
    assert b"\x14\x07Soci\xe9t\xe9" in der("latin1.crt")
    # openssl reads T61String as Latin-1: converted to UTF-8 and escaped ...
    assert x509("latin1.crt", "-subject", "-nameopt", "RFC2253").strip() == \
        r"subject=CN=nsstls Test Server Latin-1,OU=Soci\C3\A9t\C3\A9,O=nsstls tests"
    # ... and without conversion or escaping the raw byte is there.
    r = subprocess.run(["openssl", "x509", "-in", fixture("latin1.crt"), "-noout",
                        "-subject", "-nameopt", "RFC2253,-esc_msb,-utf8"],
                       capture_output=True, timeout=30)
    assert b"OU=Soci\xe9t\xe9," in r.stdout


# ---- revocation: index, CRL, OCSP responses ---------------------------------

def test_index_lists_int_rsa_certificates():
    rows = [l.split("\t") for l in Path(fixture("int-rsa-index.txt")).read_text().splitlines()]
    by_serial = {r[3]: r for r in rows}
    assert by_serial["1002"][0] == "V"                 # server-rsa
    assert by_serial["100E"][0] == "R"                 # revoked
    assert by_serial["100E"][2] == "240601000000Z,keyCompromise"
    assert [r for r in rows if r[0] == "R"] == [by_serial["100E"]]
    assert by_serial["100F"][5].endswith("CN=nsstls Test OCSP Responder RSA")


def test_crl():
    text = ok("openssl", "crl", "-in", fixture("crl-int-rsa.pem"), "-noout", "-text",
              "-CAfile", fixture("int-rsa.crt"))
    assert "verify OK" in text
    assert "Issuer: O = nsstls tests, CN = nsstls Test Intermediate RSA" in text
    assert "Next Update: Dec 31 23:59:59 2049 GMT" in text
    assert re.findall(r"Serial Number: (\S+)", text) == ["100E"]
    assert "Key Compromise" in text
    pem_as_der = subprocess.run(["openssl", "crl", "-in", fixture("crl-int-rsa.pem"),
                                 "-outform", "DER"], capture_output=True, check=True).stdout
    assert pem_as_der == Path(fixture("crl-int-rsa.der")).read_bytes()


@pytest.mark.parametrize("cert,revoked", [("server-rsa", False), ("revoked", True),
                                          ("wronghost", False)])
def test_crl_check(cert, revoked):
    rc, out = run("openssl", "verify", "-attime", T2030,
                  "-crl_check", "-CRLfile", fixture("crl-int-rsa.der"), "-CAfile",
                  fixture("root-rsa.crt"), "-untrusted", fixture("int-rsa.crt"),
                  fixture(f"{cert}.crt"))
    if revoked:
        assert rc != 0 and "certificate revoked" in out, out
    else:
        assert rc == 0, out


def ocsp_check(respfile, cert):
    """openssl ocsp verifying a DER response file against roots.pem for cert."""
    return run("openssl", "ocsp", "-respin", fixture(respfile), "-issuer",
               fixture("int-rsa.crt"), "-cert", fixture(f"{cert}.crt"),
               "-CAfile", fixture("roots.pem"), "-resp_text")


@pytest.mark.parametrize("respfile,cert,status,responder", [
    ("ocsp-good.der", "server-rsa", "good", "OCSP Responder RSA"),
    ("ocsp-revoked.der", "revoked", "revoked", "OCSP Responder RSA"),
    ("ocsp-unknown.der", "server-rsa", "unknown", "OCSP Responder RSA"),
    ("ocsp-other.der", "expired", "good", "OCSP Responder RSA"),
    ("ocsp-direct.der", "server-rsa", "good", "Intermediate RSA"),
    ("ocsp-muststaple.der", "muststaple", "good", "OCSP Responder RSA"),
])
def test_ocsp_response_status(respfile, cert, status, responder):
    rc, out = ocsp_check(respfile, cert)
    assert rc == 0, out
    assert "Response verify OK" in out
    assert f"{fixture(cert + '.crt')}: {status}\n" in out
    assert f"Responder Id: O = nsstls tests, CN = nsstls Test {responder}" in out
    assert "Nonce" not in out                      # nothing a client asked for
    nxt = re.search(r"^\s*Next Update: (.*) GMT$", out, re.M).group(1)
    assert dt.datetime.strptime(nxt, "%b %d %H:%M:%S %Y").year >= 2049
    if status == "revoked":
        assert "Reason: keyCompromise" in out


def test_ocsp_response_other_is_not_for_server_rsa():
    rc, out = ocsp_check("ocsp-other.der", "server-rsa")
    assert "No Status found" in out, out


def ocsp_times(out):
    """(thisUpdate, nextUpdate) printed by openssl ocsp, as aware datetimes."""
    def t(label):
        text = re.search(rf"{label}: (.*) GMT", out).group(1)
        return dt.datetime.strptime(text, "%b %d %H:%M:%S %Y").replace(tzinfo=dt.timezone.utc)
    return t("This Update"), t("Next Update")


def test_ocsp_response_stale():
    rc, out = run("openssl", "ocsp", "-respin", fixture("ocsp-stale.der"), "-issuer",
                  fixture("int-rsa.crt"), "-cert", fixture("server-rsa.crt"),
                  "-CAfile", fixture("roots.pem"), "-validity_period", "0")
    assert "Response verify OK" in out, out
    this, nxt = ocsp_times(out)
    assert nxt - this == dt.timedelta(minutes=1)
    if nxt < dt.datetime.now(dt.timezone.utc):
        assert "Status times invalid" in out, out


@pytest.mark.parametrize("respfile,error", [
    ("ocsp-badsig.der", "unable to get local issuer certificate"),   # unknown-int
    ("ocsp-corrupt.der", "padding check failed"),                   # bad bytes
])
def test_ocsp_response_bad_signatures(respfile, error):
    rc, out = ocsp_check(respfile, "server-rsa")
    assert "Response Verify Failure" in out and error in out, out


def test_ocsp_badsig_is_signed_by_unknown_int():
    rc, out = ocsp_check("ocsp-badsig.der", "server-rsa")
    assert "Responder Id: O = nsstls tests, CN = nsstls Test Unknown Intermediate" in out


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
@pytest.mark.parametrize("leaf,respfile,status", [
    ("server-rsa", "ocsp-good.der", "good"),
    ("revoked", "ocsp-revoked.der", "revoked"),
    ("server-rsa", "ocsp-unknown.der", "unknown"),
    ("muststaple", "ocsp-muststaple.der", "good"),
])
def test_s_server_staples(openssl_server, version, leaf, respfile, status):
    srv = openssl_server(f"{leaf}.crt", f"{leaf}.key", chain="int-rsa.crt",
                         args=[version, "-status_file", fixture(respfile)])
    rc, out = s_client(srv.port, "-status", version)
    assert rc == 0, out
    assert "OCSP Response Status: successful" in out
    assert f"Cert Status: {status}" in out


def test_s_server_without_status_file_sends_no_staple(openssl_server):
    srv = openssl_server("muststaple.crt", "muststaple.key", chain="int-rsa.crt")
    rc, out = s_client(srv.port, "-status")
    assert "OCSP response: no response sent" in out, out


# ---- client credentials ---------------------------------------------------------

def pubkey_of_cert(cert):
    return ok("openssl", "x509", "-in", fixture(cert), "-noout", "-pubkey")


def pubkey_of_key(key, password=None):
    pw = ["-passin", f"pass:{password}"] if password else []
    return ok("openssl", "pkey", "-in", fixture(key), "-pubout", *pw)


@pytest.mark.parametrize("key,cert,header,password", [
    ("client-rsa.key", "client-rsa.crt", "-----BEGIN PRIVATE KEY-----", None),
    ("client-rsa.rsa.key", "client-rsa.crt", "-----BEGIN RSA PRIVATE KEY-----", None),
    ("client-rsa.p8enc.key", "client-rsa.crt", "-----BEGIN ENCRYPTED PRIVATE KEY-----", "nsstls"),
    ("client-rsa.tradenc.key", "client-rsa.crt", "-----BEGIN RSA PRIVATE KEY-----\n"
                                                 "Proc-Type: 4,ENCRYPTED\n"
                                                 "DEK-Info: AES-256-CBC,", "nsstls"),
    ("client-ec.key", "client-ec.crt", "-----BEGIN PRIVATE KEY-----", None),
    ("client-ec.ec.key", "client-ec.crt", "-----BEGIN EC PRIVATE KEY-----", None),
])
def test_client_key_formats(key, cert, header, password):
    assert Path(fixture(key)).read_text().startswith(header)
    assert pubkey_of_key(key, password) == pubkey_of_cert(cert)
    if password:
        rc, out = run("openssl", "pkey", "-in", fixture(key), "-passin", "pass:wrong",
                      "-noout")
        assert rc != 0, out


def test_p8enc_is_pbes2_aes256():
    out = ok("openssl", "asn1parse", "-in", fixture("client-rsa.p8enc.key"))
    assert ":PBES2" in out and ":PBKDF2" in out and ":aes-256-cbc" in out


def test_password_file_and_mismatch_key():
    assert Path(fixture("client-rsa.pass")).read_text() == "nsstls\n"
    assert pubkey_of_key("client-mismatch.key") != pubkey_of_cert("client-rsa.crt")
    assert "BEGIN PRIVATE KEY" in Path(fixture("client-mismatch.key")).read_text()


def test_client_ec_p12():
    out = ok("openssl", "pkcs12", "-in", fixture("client-ec.p12"), "-passin", "pass:nsstls",
             "-nokeys", "-info")
    assert "friendlyName: client-ec" in out
    assert "CN = nsstls Test Client EC" in out and "CN = nsstls Test Intermediate EC" in out


CLIENT_CREDS = [
    ("client-rsa.crt", "client-rsa.key", None, "int-rsa.crt"),
    ("client-rsa.crt", "client-rsa.rsa.key", None, "int-rsa.crt"),
    ("client-rsa.crt", "client-rsa.p8enc.key", "nsstls", "int-rsa.crt"),
    ("client-rsa.crt", "client-rsa.tradenc.key", "nsstls", "int-rsa.crt"),
    ("client-ec.crt", "client-ec.key", None, "int-ec.crt"),
    ("client-ec.crt", "client-ec.ec.key", None, "int-ec.crt"),
]


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
@pytest.mark.parametrize("cert,key,password,chain", CLIENT_CREDS)
def test_s_server_verifies_client(openssl_server, version, cert, key, password, chain):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=[version, "-Verify", "1", "-CAfile", fixture("roots.pem"),
                               "-verify_return_error", "-www"])
    pw = ["-pass", f"pass:{password}"] if password else []
    rc, out = s_client(srv.port, "-cert", fixture(cert), "-key", fixture(key), *pw,
                       "-cert_chain", fixture(chain), "-ign_eof", stdin=HTTP_GET)
    assert rc == 0 and "HTTP/1.0 200 ok" in out, out + srv.log()
    cn = "Client EC" if "ec" in cert else "Client RSA"
    assert f"CN = nsstls Test {cn}" in srv.log() or f"CN=nsstls Test {cn}" in out


def test_s_server_requires_client_certificate(openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-tls1_2", "-Verify", "1", "-CAfile", fixture("roots.pem"),
                               "-verify_return_error", "-www"])
    rc, out = s_client(srv.port, "-ign_eof", stdin=HTTP_GET)
    assert "HTTP/1.0 200 ok" not in out, out


def test_s_client_refuses_mismatched_key():
    rc, out = run("openssl", "s_client", "-connect", "127.0.0.1:1",
                  "-cert", fixture("client-rsa.crt"), "-key", fixture("client-mismatch.key"))
    assert rc != 0 and "key values mismatch" in out, out


@pytest.mark.parametrize("cert,key,chain,root", [
    ("client-rsa.crt", "client-rsa.key", "int-rsa.crt", "root-rsa.crt"),
    ("client-ec.crt", "client-ec.ec.key", "int-ec.crt", "root-ec.crt"),
])
def test_selfserv_verifies_client_from_s_client(selfserv_server, cert, key, chain, root):
    srv = selfserv_server("server-rsa", args=["-r", "-r", "-V", "tls1.2:tls1.2"],
                          trust_roots=[root])
    rc, out = s_client(srv.port, "-ign_eof", "-cert", fixture(cert), "-key", fixture(key),
                       "-cert_chain", fixture(chain), stdin=HTTP_GET)
    assert rc == 0 and "HTTP/1.0 200 OK" in out, out + srv.log()


def tstclnt(port, db, *args, seconds=10, request=HTTP_GET, tmp=None):
    """NSS tstclnt to 127.0.0.1:port with database db, sending `request`.

    The request goes through a file (-A): tstclnt spins forever once its
    stdin is a pipe at EOF (poll says POLLHUP, which it never reads), so a
    piped request never ends.
    """
    if shutil.which("tstclnt") is None:
        pytest.skip("no tstclnt")
    reqfile = Path(db) / "request.txt"
    reqfile.write_bytes(request)
    return run("timeout", str(seconds), "tstclnt", "-h", "127.0.0.1", "-p", port,
               "-d", f"sql:{db}", "-A", reqfile, *args, timeout=seconds + 5)


@pytest.mark.parametrize("version", ["tls1.2:tls1.2", "tls1.3:tls1.3"])
@pytest.mark.parametrize("p12,password", [("client-rsa.p12", None),
                                          ("client-rsa.p12", "dbsecret"),
                                          ("client-ec.p12", None)])
def test_selfserv_verifies_client_from_tstclnt(selfserv_server, nss_client_db,
                                               version, p12, password):
    srv = selfserv_server("server-rsa", args=["-r", "-r", "-V", version],
                          trust_roots=["root-rsa.crt", "root-ec.crt"])
    db = nss_client_db(p12, password, trust_roots=["root-rsa.crt"])
    pw = ["-w", password] if password else []
    rc, out = tstclnt(srv.port, db, "-n", "client", "-V", version, *pw)
    assert rc == 0 and "HTTP/1.0 200 OK" in out, out + srv.log()


def test_selfserv_rejects_tstclnt_without_certificate(selfserv_server, tmp_path):
    srv = selfserv_server("server-rsa", args=["-r", "-r", "-V", "tls1.2:tls1.2"],
                          trust_roots=["root-rsa.crt"])
    db = tmp_path / "nocert"
    db.mkdir()
    peers.make_nss_db(str(db), trust_roots=["root-rsa.crt"])   # no key at all
    rc, out = tstclnt(srv.port, db, "-V", "tls1.2:tls1.2")
    assert rc != 0 and "HTTP/1.0 200 OK" not in out, out
    assert "SSL_ERROR" in out, out


# ---- nss_client_db ------------------------------------------------------------

def test_nss_client_db_contents(nss_client_db):
    db = nss_client_db()
    assert peers.nss_key_nicknames(db) == ["client"]
    out = ok("certutil", "-K", "-d", f"sql:{db}")
    assert re.search(r"^<\s*0> rsa\s+\S+\s+client$", out, re.M), out
    out = ok("certutil", "-L", "-d", f"sql:{db}")
    assert "nsstls Test Intermediate RSA" in out


def test_nss_client_db_password(nss_client_db, tmp_path):
    db = nss_client_db("client-ec.p12", "dbsecret", nickname="me")
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.write_text("dbsecret\n")
    bad.write_text("nope\n")
    out = ok("certutil", "-K", "-d", f"sql:{db}", "-f", good)
    assert re.search(r"^<\s*0> ec\s+\S+\s+me$", out, re.M), out
    rc, out = run("certutil", "-K", "-d", f"sql:{db}", "-f", bad)
    assert rc != 0, out


# ---- make_leaf -------------------------------------------------------------------

def dates(cert):
    out = x509(cert, "-startdate", "-enddate", "-dateopt", "iso_8601")
    nb = re.search(r"notBefore=(.*)Z", out).group(1)
    na = re.search(r"notAfter=(.*)Z", out).group(1)
    return (dt.datetime.fromisoformat(nb).replace(tzinfo=dt.timezone.utc),
            dt.datetime.fromisoformat(na).replace(tzinfo=dt.timezone.utc))


def test_make_leaf_defaults(make_leaf, tmp_path):
    leaf = make_leaf()
    cert, key, chain = leaf                       # a plain 3-tuple too
    assert Path(cert).parent == tmp_path
    nb, na = dates(cert)
    now = dt.datetime.now(dt.timezone.utc)
    assert now - dt.timedelta(minutes=6) < nb < now
    assert na - nb == dt.timedelta(days=90)
    text = x509(cert, "-text")
    assert "Subject: O = nsstls tests, CN = localhost" in text
    assert "DNS:localhost, IP Address:127.0.0.1" in text
    assert "Issuer: O = nsstls tests, CN = nsstls Test Intermediate RSA" in text
    assert "Public-Key: (2048 bit)" in text
    assert Path(key).read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert pubkey_of_key(key) == pubkey_of_cert(cert)
    assert Path(chain).read_text() == Path(cert).read_text() + \
        Path(fixture("int-rsa.crt")).read_text()
    ok("openssl", "verify", "-purpose", "sslserver", "-CAfile", fixture("roots.pem"),
       "-untrusted", chain, cert)
    assert leaf.serial == int(x509(cert, "-serial").split("=")[1], 16)


def test_make_leaf_expiring_soon_and_not_yet_valid(make_leaf):
    soon = make_leaf(days=10)
    _, na = dates(soon.cert)
    left = na - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(days=9, hours=23) < left < dt.timedelta(days=10)

    later = make_leaf(not_before=3600, days=1)
    rc, out = run("openssl", "verify", "-CAfile", fixture("roots.pem"), "-untrusted",
                  later.chain, later.cert)
    assert rc != 0 and "not yet valid" in out

    past = make_leaf(not_before=dt.datetime(2020, 1, 1), days=30)
    assert dates(past.cert)[0] == dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)


def test_make_leaf_long_validity(make_leaf):
    nb, na = dates(make_leaf(days=399).cert)
    assert (na - nb).days == 399


def test_make_leaf_ec_other_issuer_and_extensions(make_leaf):
    leaf = make_leaf(cn="ec.test", issuer="int-ec", key="ec256", sans=("DNS:ec.test",),
                     extensions="extendedKeyUsage = serverAuth, clientAuth\n"
                                "authorityInfoAccess = caIssuers;URI:http://127.0.0.1:9/i.der\n"
                                "subjectKeyIdentifier =\n",
                     serial=0x1234, md="sha384", name="ecleaf")
    text = x509(leaf.cert, "-text")
    assert Path(leaf.cert).name == "ecleaf.crt"
    assert "ASN1 OID: prime256v1" in text and "ecdsa-with-SHA384" in text
    assert "TLS Web Server Authentication, TLS Web Client Authentication" in text
    assert "CA Issuers - URI:http://127.0.0.1:9/i.der" in text
    assert "Subject Key Identifier" not in text
    assert "DNS:ec.test" in text and "127.0.0.1\n" not in text.split("Alternative Name")[1]
    assert "Digital Signature\n" in text and "Key Encipherment" not in text
    assert leaf.serial == 0x1234
    ok("openssl", "verify", "-CAfile", fixture("root-ec.crt"), "-untrusted", leaf.chain,
       leaf.cert)


def test_make_leaf_under_sub_int_and_self_signed(make_leaf):
    deep = make_leaf(issuer="sub-int")
    assert Path(deep.chain).read_text().count("BEGIN CERTIFICATE") == 3
    rc, out = run("openssl", "verify", "-CAfile", fixture("root-rsa.crt"),
                  "-untrusted", deep.chain, deep.cert)
    assert "path length constraint exceeded" in out

    own = make_leaf(issuer="self", days=30)
    assert Path(own.chain).read_text() == Path(own.cert).read_text()
    text = x509(own.cert, "-text")
    assert "Issuer: O = nsstls tests, CN = localhost" in text


def test_make_leaf_served_and_verified(make_leaf, openssl_server):
    leaf = make_leaf(days=30)
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain, args=["-tls1_3"])
    rc, out = s_client(srv.port)
    assert rc == 0 and "Verification: OK" in out, out


# ---- http_server ------------------------------------------------------------------

def test_http_server_serves_and_records(http_server, make_leaf):
    files = {"/int-rsa.der": der("int-rsa.crt")}
    srv = http_server(files)
    leaf = make_leaf(extensions=f"authorityInfoAccess = caIssuers;URI:"
                                f"{srv.url_for('/int-rsa.der')}")
    url = re.search(r"CA Issuers - URI:(\S+)", x509(leaf.cert, "-text")).group(1)
    assert url == f"http://127.0.0.1:{srv.port}/int-rsa.der"
    with urllib.request.urlopen(url, timeout=5) as r:
        assert r.status == 200
        assert r.headers["Content-Type"] == "application/pkix-cert"
        body = r.read()
    assert body == der("int-rsa.crt")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(srv.url_for("missing.der"), timeout=5)
    assert e.value.code == 404
    files["/late.p7c"] = b"x"                     # served live
    files["gone"] = 410
    with urllib.request.urlopen(srv.url + "/late.p7c?q=1", timeout=5) as r:
        assert r.read() == b"x" and r.headers["Content-Type"] == "application/pkcs7-mime"
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(srv.url_for("/gone"), timeout=5)
    assert e.value.code == 410
    req = urllib.request.Request(srv.url_for("/post"), data=b"abc", method="POST")
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(req, timeout=5)
    assert srv.paths() == ["/int-rsa.der", "/missing.der", "/late.p7c?q=1", "/gone", "/post"]
    assert srv.requests[0].method == "GET" and srv.requests[-1].body == b"abc"
    assert srv.requests[0].headers["Host"] == f"127.0.0.1:{srv.port}"
    assert "GET /int-rsa.der" in srv.log()


def test_http_server_stops():
    with peers.http_server({}) as srv:
        port = srv.port
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


# ---- ocsp_responder -------------------------------------------------------------

def ocsp_ask(url, cert, issuer="int-rsa.crt"):
    return run("openssl", "ocsp", "-url", url, "-issuer", fixture(issuer),
               "-cert", fixture(cert), "-CAfile", fixture("roots.pem"), timeout=15)


@pytest.mark.parametrize("cert,status", [("server-rsa.crt", "good"),
                                         ("revoked.crt", "revoked"),
                                         ("server-ec.crt", None)])
def test_ocsp_responder_answers(ocsp_responder, cert, status):
    srv = ocsp_responder()
    assert srv.url == f"http://127.0.0.1:{srv.port}/"
    issuer = "int-ec.crt" if "ec" in cert else "int-rsa.crt"
    rc, out = ocsp_ask(srv.url, cert, issuer)
    if status is None:             # another issuer's certificate: unknown
        assert ": unknown" in out, out
    else:
        assert rc == 0 and "Response verify OK" in out, out
        assert f"{fixture(cert)}: {status}" in out
    assert srv.request_lines() == ["POST / HTTP/1.0"]


def test_ocsp_responder_get_and_survives_garbage(ocsp_responder, tmp_path):
    srv = ocsp_responder()
    req = tmp_path / "req.der"
    ok("openssl", "ocsp", "-issuer", fixture("int-rsa.crt"), "-cert",
       fixture("revoked.crt"), "-no_nonce", "-reqout", req)
    with pytest.raises(urllib.error.HTTPError):              # malformed request
        urllib.request.urlopen(srv.url + "garbage", timeout=5)
    quoted = urllib.parse.quote(base64.b64encode(req.read_bytes()).decode(), safe="")
    with urllib.request.urlopen(srv.url + quoted, timeout=5) as r:
        assert r.headers["Content-Type"] == "application/ocsp-response"
        (tmp_path / "resp.der").write_bytes(r.read())
    out = ok("openssl", "ocsp", "-respin", tmp_path / "resp.der", "-issuer",
             fixture("int-rsa.crt"), "-cert", fixture("revoked.crt"),
             "-CAfile", fixture("roots.pem"))
    assert f"{fixture('revoked.crt')}: revoked" in out
    assert [l.split()[0] for l in srv.request_lines()] == ["GET", "GET"]


def test_ocsp_responder_with_test_time_index(ocsp_responder, make_leaf, tmp_path):
    good_serial, bad_serial = 0x7E57000001, 0x7E57000002
    index = peers.write_ocsp_index(tmp_path / "index.txt", base="int-rsa-index.txt",
                                   good=[good_serial], revoked=[bad_serial])
    srv = ocsp_responder(index, args=["-nmin", "5"])
    good = make_leaf(serial=good_serial, extensions=f"authorityInfoAccess = OCSP;URI:{srv.url}")
    bad = make_leaf(serial=bad_serial, extensions=f"authorityInfoAccess = OCSP;URI:{srv.url}")
    other = make_leaf()
    assert f"OCSP - URI:{srv.url}" in x509(good.cert, "-text")
    for leaf, status in [(good, "good"), (bad, "revoked"), (other, "unknown"),
                         (fixture("revoked.crt"), "revoked")]:
        cert = leaf if isinstance(leaf, str) else leaf.cert
        rc, out = ocsp_ask(srv.url, cert)
        assert f"{cert}: {status}" in out, out
    # A revoked entry from a certificate file, and a responder signing itself.
    index2 = peers.write_ocsp_index(tmp_path / "index2.txt", revoked=[good.cert])
    srv2 = ocsp_responder(index2, rsigner="int-rsa.crt", rkey="int-rsa.key")
    rc, out = ocsp_ask(srv2.url, good.cert)
    assert f"{good.cert}: revoked" in out and "Response verify OK" in out, out


# ---- what stock tools make of the weak fixtures ----------------------------------

@pytest.mark.parametrize("leaf", ["weak-rsa", "sha1", "md5"])
def test_s_server_needs_seclevel0_for_weak_certificates(openssl_server, leaf):
    with pytest.raises(RuntimeError, match="error setting certificate"):
        with peers.openssl_server(f"{leaf}.crt", f"{leaf}.key", chain="int-rsa.crt"):
            pass
    srv = openssl_server(f"{leaf}.crt", f"{leaf}.key", chain="int-rsa.crt",
                         args=[*peers.SECLEVEL0, "-tls1_3"])
    rc, out = s_client(srv.port, "-cipher", "DEFAULT:@SECLEVEL=0")
    assert rc == 0 and "Verification: OK" in out, out


def test_weak_ec_only_with_a_client_offering_p224(openssl_server):
    srv = openssl_server("weak-ec.crt", "weak-ec.key", chain="int-ec.crt",
                         args=["-tls1_2", "-groups", "P-224:P-256"])
    rc, out = s_client(srv.port, "-tls1_2", "-groups", "P-224:P-256")
    assert rc == 0 and "Verification: OK" in out, out
    rc, out = s_client(srv.port, "-tls1_2")      # default groups: no P-224
    assert rc != 0 and "handshake failure" in out, out


@pytest.fixture
def trust_db(tmp_path):
    """NSS database trusting root-rsa and root-ec (no keys)."""
    if shutil.which("tstclnt") is None:
        pytest.skip("no tstclnt")
    db = tmp_path / "trust"
    db.mkdir()
    peers.make_nss_db(str(db), trust_roots=["root-rsa.crt", "root-ec.crt"])
    return db


# What NSS itself (tstclnt, synchronous verification, host 127.0.0.1) says
# of each server: None = accepted.  For the lead: where NSS stops the
# handshake, and what nsstls's own findings have to add.
@pytest.mark.parametrize("leaf,chain,args,error", [
    ("server-rsa", "int-rsa.crt", [], None),
    ("weak-rsa", "int-rsa.crt", list(peers.SECLEVEL0), None),          # NSS accepts RSA 1024
    ("sha1", "int-rsa.crt", list(peers.SECLEVEL0), None),              # ... and SHA-1
    ("md5", "int-rsa.crt", list(peers.SECLEVEL0), "SEC_ERROR_CERT_SIGNATURE_ALGORITHM_DISABLED"),
    ("weak-ec", "int-ec.crt", [], "SSL_ERROR_NO_CYPHER_OVERLAP"),      # no P-224 in NSS
    ("server-ec224int", "server-ec224int-chain.pem", [], "SEC_ERROR_BAD_SIGNATURE"),
    ("latin1", "int-rsa.crt", [], None),
    ("clientonly", "int-rsa.crt", [], "SEC_ERROR_INADEQUATE_CERT_TYPE"),
    ("badku", "int-rsa.crt", [], "SEC_ERROR_INADEQUATE_KEY_USAGE"),
    ("server-notca", "server-notca-chain.pem", [], "SEC_ERROR_UNKNOWN_ISSUER"),
    ("server-pathlen", "server-pathlen-chain.pem", [], "SEC_ERROR_PATH_LEN_CONSTRAINT_INVALID"),
    ("muststaple", "int-rsa.crt", [], None),                           # no staple: still OK
    ("revoked", "int-rsa.crt", [], None),                              # no revocation data
])
def test_nss_verdict_on_certificates(openssl_server, trust_db, leaf, chain, args, error):
    srv = openssl_server(f"{leaf}.crt", f"{leaf}.key", chain=chain, args=["-tls1_2", *args])
    rc, out = tstclnt(srv.port, trust_db, "-O", "-Q")
    if error is None:
        assert rc == 0, out
    else:
        assert rc != 0 and error in out, out


def staple_is_stale_for_nss():
    rc, out = run("openssl", "ocsp", "-respin", fixture("ocsp-stale.der"), "-resp_text",
                  "-noverify")
    _, nxt = ocsp_times(out)
    # NSS accepts a response up to 5 minutes after nextUpdate (OCSP_SLOP).
    return dt.datetime.now(dt.timezone.utc) > nxt + dt.timedelta(minutes=10)


# tstclnt -F: 0 fresh and good, 2 missing/old/invalid, 3 revoked.
@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
@pytest.mark.parametrize("leaf,respfile,code", [
    ("server-rsa", "ocsp-good.der", 0),
    ("server-rsa", "ocsp-direct.der", 0),
    ("muststaple", "ocsp-muststaple.der", 0),
    ("revoked", "ocsp-revoked.der", 3),
    ("server-rsa", "ocsp-unknown.der", 2),
    ("server-rsa", "ocsp-stale.der", 2),
    ("server-rsa", "ocsp-other.der", 2),
    ("server-rsa", "ocsp-badsig.der", 2),
    ("server-rsa", "ocsp-corrupt.der", 2),
    ("server-rsa", None, 2),
])
def test_nss_verdict_on_staples(openssl_server, trust_db, version, leaf, respfile, code):
    if respfile == "ocsp-stale.der" and not staple_is_stale_for_nss():
        pytest.skip("ocsp-stale.der was made less than 11 minutes ago")
    status = ["-status_file", fixture(respfile)] if respfile else []
    srv = openssl_server(f"{leaf}.crt", f"{leaf}.key", chain="int-rsa.crt",
                         args=[version, *status])
    rc, out = tstclnt(srv.port, trust_db, "-O", "-F", "-T", "-M", "1")
    assert rc == code, out
    assert f"Received {1 if respfile else 0} Cert Status items" in out


# ---- chains for the order findings ----------------------------------------------

def test_s_server_sends_chain_in_file_order(openssl_server, tmp_path):
    chain = tmp_path / "odd-chain.pem"
    chain.write_text("".join(Path(fixture(f)).read_text()
                             for f in ("root-rsa.crt", "int-ec.crt", "int-rsa.crt")))
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain=str(chain))
    rc, out = s_client(srv.port, "-showcerts")
    assert rc == 0, out                      # openssl reorders for itself
    assert re.findall(r"^ *\d+ s:.*CN ?= ?(.*)$", out, re.M) == [
        "nsstls Test Server RSA", "nsstls Test Root RSA", "nsstls Test Intermediate EC",
        "nsstls Test Intermediate RSA"]
