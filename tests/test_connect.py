"""Successful handshakes against real servers, and what the report says.

Every server is a real TLS implementation on loopback (openssl s_server,
gnutls-serv, NSS selfserv); nsstls gets the test roots with --ca-file and
--no-data, so it exits right after the report.  The assertions are on what a
user sees: exit status and the report lines on stderr.
"""

import re
import socket

import pytest

from peers import BOUNDED, ROOTS

# Server-side options that force one TLS version, per server kind.
FORCE_VERSION = {
    "openssl": {"1.2": ["-tls1_2"], "1.3": ["-tls1_3"]},
    "gnutls": {"1.2": ["--priority=NORMAL:-VERS-ALL:+VERS-TLS1.2"],
               "1.3": ["--priority=NORMAL:-VERS-ALL:+VERS-TLS1.3"]},
    "selfserv": {"1.2": ["-V", "tls1.2:tls1.2"], "1.3": ["-V", "tls1.3:tls1.3"]},
}


def start(kind, leaf, args, openssl_server, gnutls_server, selfserv_server):
    """Start a `kind` server serving fixture `leaf` (+ its intermediate)."""
    if kind == "openssl":
        return openssl_server(f"{leaf}.crt", f"{leaf}.key",
                              chain=f"{leaf}-chain.pem", args=["-naccept", "1", *args])
    if kind == "gnutls":
        return gnutls_server(f"{leaf}-chain.pem", f"{leaf}.key", args=args)
    return selfserv_server(leaf, args=args)


def ok_report(r):
    assert r.returncode == 0, r.stderr
    assert re.search(r"^Verification: OK\b", r.stderr, re.M), r.stderr
    assert "FAILED" not in r.stderr


def line(text, pattern):
    return re.search(pattern, text, re.M) is not None


# ---- 1. the handshake matrix ---------------------------------------------

@pytest.mark.parametrize("version", ["1.2", "1.3"])
@pytest.mark.parametrize("leaf", ["server-rsa", "server-ec"])
@pytest.mark.parametrize("kind", ["openssl", "gnutls", "selfserv"])
def test_handshake_ok(nsstls, openssl_server, gnutls_server, selfserv_server,
                      kind, leaf, version):
    srv = start(kind, leaf, FORCE_VERSION[kind][version],
                openssl_server, gnutls_server, selfserv_server)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", f"localhost:{srv.port}")
    ok_report(r)
    err = r.stderr
    assert line(err, rf"^Connected to localhost \(127\.0\.0\.1\) port {srv.port}\b"), err
    assert line(err, rf"^\s+Protocol\s+TLSv{re.escape(version)}$"), err
    assert line(err, r"^\s+Cipher suite\s+TLS_[A-Z0-9_]+ \(0x[0-9a-f]{4}\)$"), err
    assert line(err, r"^\s+Key exchange\s+(x25519|secp256r1|secp384r1|secp521r1|ffdhe\d+)\b"), err
    sigs = re.findall(r"^\s+Signature\s+([a-z0-9_]+)$", err, re.M)
    assert sigs, err
    if leaf == "server-ec":
        assert sigs[-1].startswith("ecdsa_"), err
    else:
        assert sigs[-1].startswith("rsa_"), err
    assert line(err, r"^Chain built by NSS \(3\):$"), err
    assert line(err, r"^\s+From\s+the server \(sent as \[0\]\)$"), err
    assert line(err, r"^\s+From\s+the server \(sent as \[1\]\)$"), err
    root = "RSA" if leaf == "server-rsa" else "EC"
    assert line(err, rf"^\s+\[2\] CN=nsstls Test Root {root}\b"), err
    assert line(err, r"^\s+From\s+local trust source: ca-file \S*roots\.pem$"), err
    assert line(err, r"^\s+Anchor\s+yes\b"), err
    assert r.stdout == ""


# ---- 2. ALPN -------------------------------------------------------------

@pytest.mark.parametrize("offer,expected", [
    (["--alpn", "h2,http/1.1"], "h2"),
    (["--alpn", "http/1.1"], "http/1.1"),
    (["--alpn", "http/1.1,h2"], "h2"),        # s_server picks by its own order
    ([], "none"),
])
def test_alpn(nsstls, openssl_server, offer, expected):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1", "-alpn", "h2,http/1.1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", *offer, f"localhost:{srv.port}")
    ok_report(r)
    assert line(r.stderr, rf"^\s+ALPN\s+{re.escape(expected)}$"), r.stderr


def test_alpn_no_overlap(nsstls, openssl_server):
    # No protocol in common: OpenSSL 3 answers no_application_protocol.
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1", "-alpn", "h2"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--alpn", "spdy/3",
               f"localhost:{srv.port}")
    assert r.returncode == 5, r.stderr
    assert line(r.stderr, r"^Alert received: fatal no_application_protocol$"), r.stderr
    assert line(r.stderr, r"^nsstls: handshake: .* \(SSL_ERROR_NEXT_PROTOCOL_NO_PROTOCOL\)$"), r.stderr


# ---- 3. groups, HelloRetryRequest, suites, signature schemes, versions ----

def test_groups_hello_retry_request(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1", "-groups", "P-384"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--tls1.3",
               "--groups", "x25519,secp384r1", f"localhost:{srv.port}")
    ok_report(r)
    assert line(r.stderr, r"^\s+Key exchange\s+secp384r1\b.* after HelloRetryRequest "
                          r"\(first offered x25519\)$"), r.stderr


def test_groups_default_is_x25519_without_hrr(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--tls1.3",
               f"localhost:{srv.port}")
    ok_report(r)
    assert line(r.stderr, r"^\s+Key exchange\s+x25519\b"), r.stderr
    assert "HelloRetryRequest" not in r.stderr


def test_groups_choice_is_sent_first(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--tls1.3",
               "--groups", "secp256r1", f"localhost:{srv.port}")
    ok_report(r)
    assert line(r.stderr, r"^\s+Key exchange\s+secp256r1\b"), r.stderr
    assert "HelloRetryRequest" not in r.stderr


def test_cipher_suite_choice(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--tls1.2",
               "--ciphers", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
               f"localhost:{srv.port}")
    ok_report(r)
    assert line(r.stderr, r"^\s+Protocol\s+TLSv1\.2$"), r.stderr
    assert line(r.stderr, r"^\s+Cipher suite\s+TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 "
                          r"\(0xc030\)$"), r.stderr


def test_cipher_suite_by_hex_id(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--tls1.3",
               "--ciphers", "0x1302", f"localhost:{srv.port}")
    ok_report(r)
    assert line(r.stderr, r"^\s+Cipher suite\s+TLS_AES_256_GCM_SHA384 \(0x1302\)$"), r.stderr


def test_sigalgs_choice(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--tls1.2",
               "--sigalgs", "rsa_pkcs1_sha256", f"localhost:{srv.port}")
    ok_report(r)
    assert line(r.stderr, r"^\s+Signature\s+rsa_pkcs1_sha256$"), r.stderr


@pytest.mark.parametrize("client,server", [
    (["--tls-min", "1.3"], ["-tls1_2"]),
    (["--tls1.3"], ["-tls1_2"]),
    (["--tls-max", "1.2"], ["-tls1_3"]),
])
def test_no_common_version(nsstls, openssl_server, client, server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1", *server])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", *client,
               f"localhost:{srv.port}")
    assert r.returncode == 5, r.stderr
    assert line(r.stderr, r"^nsstls: handshake: .*version.* \((SSL|PR|SEC)_ERROR_\w+\)$"), r.stderr
    assert "Verification: OK" not in r.stderr


def test_no_common_cipher_suite(nsstls, openssl_server):
    # The server has an RSA key only; offering ECDSA suites alone cannot work.
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1", "-tls1_2"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--tls1.2",
               "--ciphers", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
               f"localhost:{srv.port}")
    assert r.returncode == 5, r.stderr
    assert line(r.stderr, r"^nsstls: handshake: .* \(SSL_ERROR_\w+\)$"), r.stderr


# ---- 10. IPv6 ------------------------------------------------------------

def _ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


needs_ipv6 = pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback")


@needs_ipv6
def test_ipv6_literal(nsstls, gnutls_server):
    srv = gnutls_server("server-rsa-chain.pem", "server-rsa.key")
    assert srv.port6, srv.log()
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", f"[::1]:{srv.port6}")
    ok_report(r)
    assert line(r.stderr, rf"^Connected to ::1 \(::1\) port {srv.port6}\b"), r.stderr
    # An IP literal gets no SNI, and the certificate's IP:::1 SAN matches.
    assert line(r.stderr, r"^\s+SNI\s+\(none\)$"), r.stderr


@needs_ipv6
def test_ipv6_literal_with_port_option(nsstls, gnutls_server):
    srv = gnutls_server("server-ec-chain.pem", "server-ec.key")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "-6", "-p", srv.port6, "::1")
    ok_report(r)
    assert line(r.stderr, rf"^Connected to ::1 \(::1\) port {srv.port6}\b"), r.stderr


@needs_ipv6
def test_ipv4_only_against_ipv6_literal(nsstls, gnutls_server):
    srv = gnutls_server("server-rsa-chain.pem", "server-rsa.key")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "-4", f"[::1]:{srv.port6}")
    assert r.returncode == 3, r.stderr
    assert line(r.stderr, r"^nsstls: (resolve|connect): .*::1"), r.stderr


@needs_ipv6
def test_ipv6_only_against_ipv4_literal(nsstls, closed_port):
    r = nsstls(*BOUNDED, "--no-data", "-6", f"127.0.0.1:{closed_port}")
    assert r.returncode == 3, r.stderr
    assert line(r.stderr, r"^nsstls: (resolve|connect): .*127\.0\.0\.1"), r.stderr
