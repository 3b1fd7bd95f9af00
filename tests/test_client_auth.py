"""Client certificates: every credential kind, the chain that goes with it,
post-handshake authentication, and the setup errors.

The servers require a certificate (openssl s_server -Verify 1
-verify_return_error -CAfile roots.pem, NSS selfserv -r -r) and trust only the
two test roots, so a client certificate issued by an intermediate is accepted
only if nsstls sends that intermediate too.  An RSA client talks to the EC
server and an EC client to the RSA server: the server then never hands the
client's own intermediate to NSS in its Certificate message, and what NSS
sends must come from the client's files.

The data phase carries a GET: in TLS 1.3 the client finishes its handshake
before the server has looked at its certificate, so only the HTTP answer
proves the server accepted it.  Setup errors must happen before any
connection: they are run against a server that counts connections.
"""

import re
import subprocess
import time

import pytest

import peers
from peers import BOUNDED, P12_PASSWORD, ROOTS, fixture

GET = b"GET / HTTP/1.0\r\n\r\n"
# openssl s_server: require a client certificate that chains to roots.pem.
REQUIRE = ["-Verify", "1", "-verify_return_error", "-CAfile", ROOTS]
VERSION = {"1.2": ["-tls1_2"], "1.3": ["-tls1_3"]}
SUBJECT = {"rsa": "nsstls Test Client RSA", "ec": "nsstls Test Client EC"}
P12_ENV = "NSSTLS_TEST_P12_PASSWORD"

RSA_CHAIN = fixture("client-rsa-chain.pem")      # leaf + int-rsa
EC_CHAIN = fixture("client-ec-chain.pem")        # leaf + int-ec


def server_for(client):
    """The server certificate whose chain does not contain the client's
    intermediate (see the module docstring)."""
    return "server-ec" if client == "rsa" else "server-rsa"


def mtls_server(openssl_server, client, version="1.3", extra=()):
    leaf = server_for(client)
    return openssl_server(f"{leaf}.crt", f"{leaf}.key", chain=f"{leaf}-chain.pem",
                          args=["-naccept", "1", *VERSION[version], *REQUIRE,
                                "-www", *extra])


def get(nsstls, port, *args, env=None):
    return nsstls(*BOUNDED, "--ca-file", ROOTS, *args, f"localhost:{port}",
                  input=GET, env=env)


def final_line(r):
    """The last line on stderr: nsstls's one-line verdict."""
    lines = r.stderr.rstrip("\n").splitlines()
    return lines[-1] if lines else ""


def assert_accepted(r, srv, client):
    """nsstls exits 0, the server answered the GET, the server log shows it
    verified our certificate, and the report says what was sent."""
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("HTTP/1.0 200 ok"), r.stdout
    log = peers.wait_for_log(srv, f"depth=0 O = nsstls tests, CN = {SUBJECT[client]}")
    assert "verify error" not in log, log
    assert "Client certificate" in r.stderr, r.stderr
    assert f"CN={SUBJECT[client]}" in r.stderr, r.stderr


def assert_setup_error(r, pattern):
    assert r.returncode == 2, r.stderr
    assert re.match(r"nsstls: setup: " + pattern, final_line(r)), r.stderr


@pytest.fixture
def counting_server(silent_server):
    """A server that only counts connections; after the run, assert_no_connection."""
    return silent_server


def assert_no_connection(srv):
    # A connection nsstls made is in the kernel's accept queue before
    # nsstls could exit; the harness's accept loop polls every 50 ms.
    time.sleep(0.3)
    assert srv.accepted == 0, srv.log()


# ---- 1. every credential kind, TLS 1.2 and 1.3 ----------------------------

CREDENTIALS = {
    "pkcs8-rsa": ("rsa", ["--cert", RSA_CHAIN, "--key", fixture("client-rsa.key")]),
    "traditional-rsa": ("rsa", ["--cert", RSA_CHAIN,
                                "--key", fixture("client-rsa.rsa.key")]),
    "pkcs8-ec": ("ec", ["--cert", EC_CHAIN, "--key", fixture("client-ec.key")]),
    "traditional-ec": ("ec", ["--cert", EC_CHAIN, "--key", fixture("client-ec.ec.key")]),
    "encrypted-pkcs8-pass": ("rsa", ["--cert", RSA_CHAIN,
                                     "--key", fixture("client-rsa.p8enc.key"),
                                     "--pass", "pass:nsstls"]),
    "encrypted-pkcs8-pass-file": ("rsa", ["--cert", RSA_CHAIN,
                                          "--key", fixture("client-rsa.p8enc.key"),
                                          "--pass-file", fixture("client-rsa.pass")]),
    "traditional-encrypted": ("rsa", ["--cert", RSA_CHAIN,
                                      "--key", fixture("client-rsa.tradenc.key"),
                                      "--pass", "pass:nsstls"]),
    "pkcs12-rsa": ("rsa", ["--pkcs12", fixture("client-rsa.p12"),
                           "--pass", f"env:{P12_ENV}"]),
    "pkcs12-ec": ("ec", ["--pkcs12", fixture("client-ec.p12"),
                         "--pass", f"env:{P12_ENV}"]),
}


@pytest.mark.parametrize("version", ["1.2", "1.3"])
@pytest.mark.parametrize("kind", list(CREDENTIALS))
def test_mutual_tls(nsstls, openssl_server, kind, version):
    client, args = CREDENTIALS[kind]
    srv = mtls_server(openssl_server, client, version)
    r = get(nsstls, srv.port, *args, env={P12_ENV: P12_PASSWORD})
    assert_accepted(r, srv, client)


@pytest.mark.parametrize("version", ["1.2", "1.3"])
@pytest.mark.parametrize("password", [None, "db secret"])
def test_mutual_tls_nss_db(nsstls, openssl_server, nss_client_db, tmp_path,
                           password, version):
    """--db DIR --cert NICKNAME; a protected database gets its password from
    --pass or --pass-file (NSS asks the password callback, pin arg nss_ctx)."""
    db = nss_client_db("client-rsa.p12", password=password)
    pw_args = []
    if password is not None:
        pwfile = tmp_path / "dbpass"
        pwfile.write_text(password + "\n")
        pw_args = ["--pass-file", str(pwfile)] if version == "1.2" else \
                  ["--pass", f"pass:{password}"]
    srv = mtls_server(openssl_server, "rsa", version)
    r = get(nsstls, srv.port, "--db", db, "--cert", "client", *pw_args)
    assert_accepted(r, srv, "rsa")


def test_pem_key_with_db(nsstls, openssl_server, nss_client_db):
    """PEM files still work when NSS runs on a (read-only) database: the key
    is a session object, nothing is written to the database."""
    db = nss_client_db("client-rsa.p12")
    srv = mtls_server(openssl_server, "ec")
    r = get(nsstls, srv.port, "--db", db, "--cert", EC_CHAIN,
            "--key", fixture("client-ec.key"))
    assert_accepted(r, srv, "ec")


@pytest.fixture(scope="module")
def more_formats(tmp_path_factory):
    """Formats no committed fixture has, made with the openssl CLI from the
    RSA client key: PKCS#8 encrypted with a PKCS#12 PBE (password as a
    BMPString), traditional PEM encrypted with 3DES, DER, and PKCS#8
    encrypted with scrypt (which NSS cannot do)."""
    d = tmp_path_factory.mktemp("keys")
    key = fixture("client-rsa.key")

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    openssl("pkcs8", "-topk8", "-v1", "PBE-SHA1-3DES", "-in", key,
            "-passout", "pass:nsstls", "-out", str(d / "pbe-sha1-3des.key"))
    openssl("pkey", "-in", key, "-traditional", "-des3", "-passout", "pass:nsstls",
            "-out", str(d / "trad-des3.key"))
    openssl("pkey", "-in", key, "-outform", "DER", "-out", str(d / "pkcs8.der"))
    openssl("x509", "-in", fixture("client-rsa.crt"), "-outform", "DER",
            "-out", str(d / "client.der"))
    openssl("pkcs8", "-topk8", "-scrypt", "-in", key, "-passout", "pass:nsstls",
            "-out", str(d / "scrypt.key"))
    return d


@pytest.mark.parametrize("name", ["pbe-sha1-3des.key", "trad-des3.key", "pkcs8.der"])
def test_more_key_formats(nsstls, openssl_server, more_formats, name):
    srv = mtls_server(openssl_server, "rsa")
    cert = more_formats / "client.der" if name.endswith(".der") else RSA_CHAIN
    chain = ["--cert-chain", fixture("int-rsa.crt")] if name.endswith(".der") else []
    r = get(nsstls, srv.port, "--cert", cert, *chain, "--key", more_formats / name,
            "--pass", "pass:nsstls")
    assert_accepted(r, srv, "rsa")


@pytest.fixture(scope="module")
def p12_formats(tmp_path_factory):
    """PKCS#12 layouts no committed fixture has (client-rsa + int-rsa): the
    legacy PKCS#12 schemes (RC2-40 safe, 3DES-shrouded key: the password as
    a BMPString), a plain keyBag and plain certificates, an empty password,
    the layout NSS's own pk12util writes (key first, 600000 PBKDF2
    iterations), and a file with no key.  None of it goes through a
    database: the key is read from its bag (see clientauth.c)."""
    d = tmp_path_factory.mktemp("p12")
    base = ["pkcs12", "-export", "-in", fixture("client-rsa.crt"),
            "-inkey", fixture("client-rsa.key"), "-certfile", fixture("int-rsa.crt")]

    def openssl(*args):
        return subprocess.run(["openssl", *args], capture_output=True).returncode == 0
    made = {
        "legacy": openssl(*base, "-legacy", "-passout", "pass:nsstls",
                          "-out", str(d / "legacy.p12")),
        "plain-bags": openssl(*base, "-keypbe", "NONE", "-certpbe", "NONE",
                              "-passout", "pass:nsstls", "-out", str(d / "plain-bags.p12")),
        "empty-password": openssl(*base, "-passout", "pass:",
                                  "-out", str(d / "empty-password.p12")),
        "no-key": openssl("pkcs12", "-export", "-nokeys", "-in", fixture("client-rsa.crt"),
                          "-passout", "pass:nsstls", "-out", str(d / "no-key.p12")),
    }
    db = peers.nss_client_db(d / "db", "client-rsa.p12", nickname="client-rsa")
    made["pk12util"] = subprocess.run(
        ["pk12util", "-o", str(d / "pk12util.p12"), "-n", "client-rsa", "-d", f"sql:{db}",
         "-W", "nsstls"], capture_output=True).returncode == 0
    return d, made


@pytest.mark.parametrize("name", ["legacy", "plain-bags", "empty-password", "pk12util"])
def test_pkcs12_layouts(nsstls, openssl_server, p12_formats, name):
    d, made = p12_formats
    if not made[name]:
        pytest.skip(f"this openssl/pk12util cannot write the {name} layout")
    srv = mtls_server(openssl_server, "rsa")
    pw = "pass:" if name == "empty-password" else "pass:nsstls"
    r = get(nsstls, srv.port, "--pkcs12", d / f"{name}.p12", "--pass", pw)
    assert_accepted(r, srv, "rsa")


def test_pkcs12_without_key(nsstls, counting_server, p12_formats):
    d, _ = p12_formats
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--pkcs12", d / "no-key.p12",
               "--pass", "pass:nsstls", f"localhost:{counting_server.port}")
    assert_setup_error(r, r"PKCS#12 file \S*no-key\.p12 holds no certificate with its "
                          r"private key$")
    assert_no_connection(counting_server)


def test_unsupported_encryption_is_not_a_wrong_password(nsstls, counting_server,
                                                        more_formats):
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--cert", RSA_CHAIN,
               "--key", more_formats / "scrypt.key", "--pass", "pass:nsstls",
               f"localhost:{counting_server.port}")
    assert_setup_error(r, r"\S*scrypt\.key: the encrypted key cannot be read: NSS "
                          r"does not support its encryption scheme")
    assert_no_connection(counting_server)


def test_selfserv_requires_certificate(nsstls, selfserv_server):
    srv = selfserv_server("server-ec", args=["-r", "-r", "-v"],
                          trust_roots=[fixture("root-rsa.crt"), fixture("root-ec.crt")])
    r = get(nsstls, srv.port, "--cert", RSA_CHAIN, "--key", fixture("client-rsa.key"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("HTTP/1.0 200 OK"), r.stdout
    log = peers.wait_for_log(srv, "Subject: CN=nsstls Test Client RSA")
    assert "Certificate Validated" in log, log


# ---- 2. the chain that goes with the certificate --------------------------

@pytest.mark.parametrize("how", ["cert-file", "cert-chain"])
def test_intermediate_is_sent(nsstls, openssl_server, how):
    """NSS builds the chain it sends from the certificates it can find: the
    intermediates of --cert FILE or --cert-chain FILE, kept as temporary
    certificates.  The server trusts only the root (-Verify 2)."""
    srv = mtls_server(openssl_server, "rsa", extra=["-Verify", "2"])
    if how == "cert-file":
        args = ["--cert", RSA_CHAIN]
    else:
        args = ["--cert", fixture("client-rsa.crt"), "--cert-chain", fixture("int-rsa.crt")]
    r = get(nsstls, srv.port, *args, "--key", fixture("client-rsa.key"))
    assert_accepted(r, srv, "rsa")
    assert "depth=1 O = nsstls tests, CN = nsstls Test Intermediate RSA" in srv.log()


def test_without_intermediate_the_server_refuses(nsstls, openssl_server):
    """The control for the test above: the leaf alone does not chain to the
    server's roots (TLS 1.2, where the refusal ends the handshake)."""
    srv = mtls_server(openssl_server, "rsa", version="1.2")
    r = get(nsstls, srv.port, "--cert", fixture("client-rsa.crt"),
            "--key", fixture("client-rsa.key"))
    assert r.returncode == 5, r.stderr
    assert "SSL_ERROR_UNKNOWN_CA_ALERT" in final_line(r), r.stderr
    assert "unable to get local issuer certificate" in peers.wait_for_log(
        srv, "verify error")


# ---- 3. a certificate is required and none is given -----------------------

@pytest.mark.parametrize("data", [True, False], ids=["get", "no-data"])
@pytest.mark.parametrize("version,alert", [
    ("1.3", "SSL_ERROR_RX_CERTIFICATE_REQUIRED_ALERT"),
    ("1.2", "SSL_ERROR_HANDSHAKE_FAILURE_ALERT"),
])
def test_required_but_none_given(nsstls, openssl_server, version, alert, data):
    srv = mtls_server(openssl_server, "rsa", version)
    args = [] if data else ["--no-data"]
    r = get(nsstls, srv.port, *args)
    assert r.returncode == 5, r.stderr
    assert alert in final_line(r), r.stderr
    assert "Client certificate" in r.stderr, r.stderr
    peers.wait_for_log(srv, "peer did not return a certificate")


@pytest.mark.parametrize("version", ["tls1.2", "tls1.3"])
def test_required_but_none_given_selfserv(nsstls, selfserv_server, version):
    srv = selfserv_server("server-ec", args=["-r", "-r", "-V", f"{version}:{version}"],
                          trust_roots=[fixture("root-rsa.crt"), fixture("root-ec.crt")])
    r = get(nsstls, srv.port)
    assert r.returncode == 5, r.stderr
    assert "Client certificate" in r.stderr, r.stderr
    assert r.stdout == ""


# ---- 4. TLS 1.3 post-handshake authentication -----------------------------

def test_post_handshake_auth_selfserv(nsstls, selfserv_server):
    """selfserv -r -r -r -E asks for the certificate after the handshake,
    once it has read the request."""
    srv = selfserv_server("server-ec", args=["-r", "-r", "-r", "-E", "-v",
                                             "-V", "tls1.3:tls1.3"],
                          trust_roots=[fixture("root-rsa.crt"), fixture("root-ec.crt")])
    # stdin stays open until the answer came: an EOF right after the GET
    # would half-close (close_notify) before selfserv asks for the
    # certificate, and a TLS 1.3 client may not answer after close_notify.
    argv = peers.nsstls_command() + [*BOUNDED, "--ca-file", ROOTS,
                                     "--post-handshake-auth", "--cert", RSA_CHAIN,
                                     "--key", fixture("client-rsa.key"),
                                     f"localhost:{srv.port}"]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        proc.stdin.write(GET if isinstance(GET, bytes) else GET.encode())
        proc.stdin.flush()
        log = peers.wait_for_log(srv, "Subject: CN=nsstls Test Client RSA")
        assert "Certificate Validated" in log, log
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err.decode()
    assert out.decode().startswith("HTTP/1.0 200 OK"), out
    assert "Client certificate: requested by the server after the handshake" in err.decode()


@pytest.mark.parametrize("enabled", [True, False])
def test_post_handshake_auth_openssl(openssl_server, enabled):
    """openssl s_server's "c" command (SSL_verify_client_post_handshake) in
    the middle of a session: with --post-handshake-auth the certificate is
    sent and verified; without it the server cannot even ask."""
    srv = openssl_server("server-ec.crt", "server-ec.key", chain="server-ec-chain.pem",
                         args=["-naccept", "1", "-tls1_3", "-CAfile", ROOTS])
    flag = ["--post-handshake-auth"] if enabled else []
    argv = peers.nsstls_command() + [*BOUNDED, "--timeout", "10", "--ca-file", ROOTS,
                                     *flag, "--cert", RSA_CHAIN,
                                     "--key", fixture("client-rsa.key"),
                                     f"localhost:{srv.port}"]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        peers.wait_for_log(srv, "CIPHER is")
        srv.write("c\n")
        if enabled:
            log = peers.wait_for_log(
                srv, "depth=0 O = nsstls tests, CN = nsstls Test Client RSA")
            assert "verify error" not in log, log
        else:
            peers.wait_for_log(srv, "SSL_verify_client_post_handshake:extension not received")
        # communicate() closes stdin: nsstls half-closes, s_server ends.
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err.decode(errors="replace")


# ---- 5. setup errors, before any connection -------------------------------

@pytest.mark.parametrize("args,pattern", [
    (["--cert", RSA_CHAIN, "--key", fixture("client-rsa.p8enc.key"), "--pass", "pass:wrong"],
     r"wrong password for \S*client-rsa\.p8enc\.key"),
    (["--cert", RSA_CHAIN, "--key", fixture("client-rsa.tradenc.key"),
      "--pass", "pass:wrong"],
     r"wrong password for \S*client-rsa\.tradenc\.key"),
    (["--pkcs12", fixture("client-rsa.p12"), "--pass", "pass:wrong"],
     r"wrong password for \S*client-rsa\.p12"),
    (["--pkcs12", fixture("client-rsa.p12")],
     r"wrong password for \S*client-rsa\.p12 \(no password was given"),
], ids=["encrypted-pkcs8", "traditional-encrypted", "pkcs12", "pkcs12-none"])
def test_wrong_password(nsstls, counting_server, args, pattern):
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, *args, f"localhost:{counting_server.port}")
    assert_setup_error(r, pattern)
    assert "SEC_ERROR_BAD_PASSWORD" in final_line(r)
    assert_no_connection(counting_server)


def test_wrong_password_nss_db(nsstls, counting_server, nss_client_db):
    db = nss_client_db("client-rsa.p12", password="db secret")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--db", db, "--cert", "client",
               "--pass", "pass:wrong", f"localhost:{counting_server.port}")
    assert_setup_error(r, r"wrong password for NSS database")
    assert_no_connection(counting_server)


def test_nss_db_password_missing(nsstls, counting_server, nss_client_db):
    """stdin is not a terminal, so nobody can be asked."""
    db = nss_client_db("client-rsa.p12", password="db secret")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--db", db, "--cert", "client",
               f"localhost:{counting_server.port}")
    assert_setup_error(r, r"the key of 'client' is in the password-protected NSS "
                          r"database .*--pass")
    assert_no_connection(counting_server)


def test_nss_db_unknown_nickname(nsstls, counting_server, nss_client_db):
    db = nss_client_db("client-rsa.p12")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--db", db, "--cert", "nosuch",
               f"localhost:{counting_server.port}")
    assert_setup_error(r, r"no certificate with nickname 'nosuch' in NSS database "
                          r"\S+ \(certificates with a key: client\)")
    assert_no_connection(counting_server)


@pytest.mark.parametrize("key,pattern", [
    ("client-mismatch.key",
     r"the key in \S*client-mismatch\.key does not match the certificate in "
     r"\S*client-rsa-chain\.pem$"),
    ("client-ec.key",
     r"the key in \S*client-ec\.key does not match the certificate in "
     r"\S*client-rsa-chain\.pem \(EC key, RSA certificate\)$"),
    ("client-ec.ec.key",
     r"the key in \S*client-ec\.ec\.key does not match .* \(EC key, RSA certificate\)$"),
])
def test_key_does_not_match(nsstls, counting_server, key, pattern):
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--cert", RSA_CHAIN, "--key", fixture(key),
               f"localhost:{counting_server.port}")
    assert_setup_error(r, pattern)
    assert_no_connection(counting_server)


def test_encrypted_key_of_another_type(nsstls, counting_server):
    """NSS decrypts an encrypted PKCS#8 key as the type we name: an RSA key
    for an EC certificate must read as a mismatch, not a wrong password."""
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--cert", EC_CHAIN,
               "--key", fixture("client-rsa.p8enc.key"), "--pass", "pass:nsstls",
               f"localhost:{counting_server.port}")
    assert_setup_error(r, r"the key in \S*client-rsa\.p8enc\.key does not match the "
                          r"certificate in \S*client-ec-chain\.pem \(RSA key, EC certificate\)$")
    assert_no_connection(counting_server)


@pytest.mark.parametrize("what", ["missing", "directory"])
def test_unreadable_key(nsstls, counting_server, tmp_path, what):
    key = tmp_path / "nokey.pem" if what == "missing" else tmp_path
    reason = "No such file or directory" if what == "missing" else "Is a directory"
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--cert", RSA_CHAIN, "--key", key,
               f"localhost:{counting_server.port}")
    assert_setup_error(r, rf"cannot read key file {re.escape(str(key))}: {reason}$")
    assert_no_connection(counting_server)


@pytest.mark.parametrize("args,pattern", [
    (["--cert", "/nonexistent/client.pem", "--key", fixture("client-rsa.key")],
     r"cannot read certificate file /nonexistent/client\.pem: No such file"),
    (["--pkcs12", "/nonexistent/client.p12", "--pass", "pass:x"],
     r"cannot read PKCS#12 file /nonexistent/client\.p12: No such file"),
    (["--cert", fixture("client-rsa.key"), "--key", fixture("client-rsa.key")],
     r"certificate file \S*client-rsa\.key holds no certificate"),
    (["--cert", RSA_CHAIN, "--key", fixture("client-rsa.crt")],
     r"\S*client-rsa\.crt holds no private key"),
    (["--cert", RSA_CHAIN, "--key", fixture("client-rsa.p8enc.key")],
     r"\S*client-rsa\.p8enc\.key is encrypted and no password was given"),
    (["--pkcs12", fixture("client-rsa.crt"), "--pass", "pass:nsstls"],
     r"cannot decode PKCS#12 file \S*client-rsa\.crt"),
    (["--cert", RSA_CHAIN, "--key", fixture("client-rsa.key"),
      "--cert-chain", "/nonexistent/chain.pem"],
     r"cannot read --cert-chain file /nonexistent/chain\.pem"),
], ids=["cert-missing", "p12-missing", "no-cert-in-file", "no-key-in-file",
        "no-password", "not-pkcs12", "chain-missing"])
def test_unusable_files(nsstls, counting_server, args, pattern):
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, *args, f"localhost:{counting_server.port}")
    assert_setup_error(r, pattern)
    assert_no_connection(counting_server)
