"""After the handshake: renegotiation (TLS 1.2) and KeyUpdate (TLS 1.3)."""

import re

from peers import BOUNDED, ROOTS

GET = b"GET / HTTP/1.0\r\n\r\n"


def line(text, pattern):
    return re.search(pattern, text, re.M) is not None


def last_line(text):
    return text.rstrip("\n").splitlines()[-1]


def rsa_openssl(openssl_server, *args):
    return openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                          args=["-naccept", "1", *args])


# ---- renegotiation -------------------------------------------------------

def test_renegotiate_twice_openssl(nsstls, openssl_server):
    srv = rsa_openssl(openssl_server, "-client_renegotiation")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--tls1.2", "--renegotiate=2",
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert line(r.stderr, r"^Renegotiation 1 done\b"), r.stderr
    assert line(r.stderr, r"^Renegotiation 2 done\b"), r.stderr
    assert not line(r.stderr, r"^Renegotiation 3\b"), r.stderr
    # The handshake and each renegotiation report their parameters.
    assert len(re.findall(r"^\s+Protocol\s+TLSv1\.2$", r.stderr, re.M)) == 3, r.stderr


def test_renegotiate_default_once(nsstls, openssl_server):
    srv = rsa_openssl(openssl_server, "-client_renegotiation", "-tls1_2")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--renegotiate",
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert line(r.stderr, r"^Renegotiation 1 done\b"), r.stderr
    assert not line(r.stderr, r"^Renegotiation 2\b"), r.stderr


def test_renegotiate_gnutls(nsstls, gnutls_server):
    srv = gnutls_server("server-ec-chain.pem", "server-ec.key",
                        args=["--priority=NORMAL:-VERS-ALL:+VERS-TLS1.2"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--renegotiate=2",
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert line(r.stderr, r"^Renegotiation 2 done\b"), r.stderr


def test_renegotiate_selfserv(nsstls, selfserv_server):
    srv = selfserv_server("server-rsa", args=["-V", "tls1.2:tls1.2"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--renegotiate",
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert line(r.stderr, r"^Renegotiation 1 done\b"), r.stderr


def test_renegotiate_then_data(nsstls, openssl_server):
    srv = rsa_openssl(openssl_server, "-client_renegotiation", "-www")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--tls1.2", "--renegotiate",
               f"localhost:{srv.port}", input=GET)
    assert r.returncode == 0, r.stderr
    assert line(r.stderr, r"^Renegotiation 1 done\b"), r.stderr
    assert r.stdout.startswith("HTTP/1.0 200"), r.stdout[:200]


def test_renegotiation_refused(nsstls, openssl_server):
    srv = rsa_openssl(openssl_server)      # OpenSSL 3 refuses client renegotiation
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--tls1.2", "--renegotiate",
               f"localhost:{srv.port}")
    assert r.returncode == 5, r.stderr
    assert line(r.stderr, r"^Verification: OK\b"), r.stderr   # the handshake was fine
    last = last_line(r.stderr)
    assert re.fullmatch(r"nsstls: renegotiation: .*refused to renegotiate.* "
                        r"\(SSL_ERROR_RENEGOTIATION_NOT_ALLOWED\)", last), r.stderr


def test_renegotiate_on_tls13_connection(nsstls, openssl_server):
    # Nothing on the command line says TLS 1.2; the server chose TLS 1.3.
    srv = rsa_openssl(openssl_server, "-client_renegotiation")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--renegotiate",
               f"localhost:{srv.port}")
    assert r.returncode == 5, r.stderr
    last = last_line(r.stderr)
    assert last.startswith("nsstls: renegotiation: "), r.stderr
    assert "TLS 1.3" in last, last
    assert re.search(r"\(SSL_ERROR_\w+\)$", last), last


def test_renegotiate_with_tls13_flag_is_usage_error(nsstls):
    r = nsstls("--tls1.3", "--renegotiate", "localhost:1")
    assert r.returncode == 1, r.stderr
    assert "--renegotiate" in r.stderr


# ---- KeyUpdate -----------------------------------------------------------

def test_key_update(nsstls, openssl_server):
    srv = rsa_openssl(openssl_server)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--key-update",
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert line(r.stderr, r"^KeyUpdate sent\b"), r.stderr


def test_key_update_request_openssl_www(nsstls, openssl_server):
    srv = rsa_openssl(openssl_server, "-www")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--key-update=request",
               f"localhost:{srv.port}", input=GET)
    assert r.returncode == 0, r.stderr
    assert line(r.stderr, r"^KeyUpdate sent\b.*asked"), r.stderr
    assert line(r.stderr, r"^The server updated its keys\b"), r.stderr
    assert r.stdout.startswith("HTTP/1.0 200"), r.stdout[:200]


def test_key_update_request_gnutls_echo(nsstls, gnutls_server):
    srv = gnutls_server("server-ec-chain.pem", "server-ec.key", args=["--echo"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--key-update=request",
               f"localhost:{srv.port}", input=b"hello\n")
    assert r.returncode == 0, r.stderr
    assert line(r.stderr, r"^The server updated its keys\b"), r.stderr
    assert r.stdout_bytes == b"hello\n"


def test_key_update_with_tls12_flag_is_usage_error(nsstls):
    r = nsstls("--tls1.2", "--key-update", "localhost:1")
    assert r.returncode == 1, r.stderr
    assert "--key-update" in r.stderr
    assert "TLS 1.3" in r.stderr


def test_key_update_and_renegotiate_is_usage_error(nsstls):
    r = nsstls("--key-update", "--renegotiate", "localhost:1")
    assert r.returncode == 1, r.stderr


def test_key_update_on_tls12_connection(nsstls, openssl_server):
    # Nothing on the command line says TLS 1.3; the server chose TLS 1.2.
    srv = rsa_openssl(openssl_server, "-tls1_2")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--key-update",
               f"localhost:{srv.port}")
    assert r.returncode == 5, r.stderr
    last = last_line(r.stderr)
    assert last.startswith("nsstls: key update: "), r.stderr
    assert "TLSv1.2" in last or "TLS 1.2" in last, last
    # Every error line ends with the NSS error name (cli-spec "Streams").
    assert re.search(r"\((SSL|SEC|PR)_ERROR_\w+\)$", last), last
