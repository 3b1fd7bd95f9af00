"""Certificate verification: each kind of failure, --insecure, and the name
that is verified versus the SNI that is sent.

A failure must exit 6 with one "Verification: FAILED: <reason> (<NSS error>)"
line in the report and the final error line
"nsstls: handshake: certificate verification failed (<NSS error>)"; with
--insecure the same FAILED line is shown, "--insecure: going on" follows, and
the exit status is 0.
"""

import re

import pytest

import peers
from peers import BOUNDED, ROOTS


def line(text, pattern):
    return re.search(pattern, text, re.M) is not None


def failed_line(text):
    found = re.findall(r"^Verification: FAILED: .*$", text, re.M)
    assert len(found) == 1, text
    return found[0]


# (id, leaf cert, chain file or None, client extra args, NSS error regex,
#  reason regex on the FAILED line)
FAILURES = [
    ("expired", "expired", "expired-chain.pem", ["--ca-file", ROOTS],
     r"SEC_ERROR_EXPIRED_CERTIFICATE",
     r'"CN=nsstls Test Server Expired,O=nsstls tests" expired on 2021-01-01'),
    ("notyet", "notyet", "notyet-chain.pem", ["--ca-file", ROOTS],
     r"SEC_ERROR_EXPIRED_CERTIFICATE|MOZILLA_PKIX_ERROR_NOT_YET_VALID_CERTIFICATE",
     r"not valid yet \(valid from 2040-01-01\)"),
    ("wronghost", "wronghost", "wronghost-chain.pem", ["--ca-file", ROOTS],
     r"SSL_ERROR_BAD_CERT_DOMAIN",
     r'not valid for "localhost" \(it names DNS:wrong\.example\)'),
    ("selfsigned", "selfsigned", None, ["--ca-file", ROOTS],
     r"SEC_ERROR_UNKNOWN_ISSUER|SEC_ERROR_CA_CERT_INVALID|"
     r"MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT|SEC_ERROR_UNTRUSTED_ISSUER",
     r"self-signed"),
    ("unknown-root", "server-unknown", "server-unknown-chain.pem", ["--ca-file", ROOTS],
     r"SEC_ERROR_UNKNOWN_ISSUER",
     r'issuer "CN=nsstls Test Unknown Root,O=nsstls tests" is unknown'),
    ("missing-intermediate", "server-rsa", None, ["--ca-file", ROOTS],
     r"SEC_ERROR_UNKNOWN_ISSUER",
     r'issuer "CN=nsstls Test Intermediate RSA,O=nsstls tests" is missing'),
    ("default-trust", "server-rsa", "server-rsa-chain.pem", [],
     r"SEC_ERROR_UNKNOWN_ISSUER",
     r'issuer "CN=nsstls Test Root RSA,O=nsstls tests" is unknown'),
]


@pytest.fixture(params=FAILURES, ids=[f[0] for f in FAILURES])
def failure(request, openssl_server):
    name, leaf, chain, client, error, reason = request.param
    srv = openssl_server(f"{leaf}.crt", f"{leaf}.key", chain=chain,
                         args=["-naccept", "2"])
    return srv, client, error, reason


def test_verification_failure(nsstls, failure):
    srv, client, error, reason = failure
    r = nsstls(*BOUNDED, *client, "--no-data", f"localhost:{srv.port}")
    assert r.returncode == 6, r.stderr
    failed = failed_line(r.stderr)
    assert re.search(reason, failed), failed
    assert re.search(rf"\(({error})\)$", failed), failed
    code = re.search(r"\((\w+)\)$", failed).group(1)
    last = r.stderr.rstrip("\n").splitlines()[-1]
    assert last == f"nsstls: handshake: certificate verification failed ({code})", r.stderr
    assert "--insecure: going on" not in r.stderr
    assert r.stdout == ""


def test_verification_failure_insecure(nsstls, failure):
    srv, client, error, reason = failure
    r = nsstls(*BOUNDED, *client, "--no-data", "--insecure", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    failed = failed_line(r.stderr)
    assert re.search(reason, failed), failed
    assert re.search(rf"\(({error})\)$", failed), failed
    assert line(r.stderr, r"^\s*--insecure: going on\b"), r.stderr
    assert line(r.stderr, r"^\s+Protocol\s+TLSv1\.3$"), r.stderr
    assert "certificate verification failed" not in r.stderr


def test_insecure_short_option(nsstls, openssl_server):
    srv = openssl_server("expired.crt", "expired.key", chain="expired-chain.pem",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "-k", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert line(r.stderr, r"^\s*--insecure: going on\b"), r.stderr


# ---- the chain part of the report for failures ----------------------------

def test_unknown_root_chain_ends_at_unknown_issuer(nsstls, openssl_server):
    srv = openssl_server("server-unknown.crt", "server-unknown.key",
                         chain="server-unknown-chain.pem", args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", f"localhost:{srv.port}")
    assert r.returncode == 6, r.stderr
    assert line(r.stderr, r"^Chain built by NSS \(2\):$"), r.stderr
    assert line(r.stderr, r'^\s+\(chain ends: issuer "CN=nsstls Test Unknown Root,'
                          r'O=nsstls tests" .*\)$'), r.stderr
    assert not line(r.stderr, r"^\s+Anchor\s+yes"), r.stderr


def test_missing_intermediate_chain_is_the_leaf_alone(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", f"localhost:{srv.port}")
    assert r.returncode == 6, r.stderr
    assert line(r.stderr, r"^Certificate chain sent by the server \(1\):$"), r.stderr
    assert line(r.stderr, r"^Chain built by NSS \(1\):$"), r.stderr


def test_expired_problem_is_on_the_leaf(nsstls, openssl_server):
    srv = openssl_server("expired.crt", "expired.key", chain="expired-chain.pem",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", f"localhost:{srv.port}")
    assert r.returncode == 6, r.stderr
    built = r.stderr.split("Chain built by NSS", 1)[1]
    leaf = built.split("  [1] ", 1)[0]
    assert re.search(r"^\s+Problem\s+.*\(SEC_ERROR_EXPIRED_CERTIFICATE\)$", leaf, re.M), built


def test_notyet_problem_does_not_say_expired(nsstls, openssl_server):
    # NSS reports a certificate that is not valid yet with the error code of
    # an expired one; the per-certificate line must still say what is wrong.
    srv = openssl_server("notyet.crt", "notyet.key", chain="notyet-chain.pem",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", f"localhost:{srv.port}")
    assert r.returncode == 6, r.stderr
    built = r.stderr.split("Chain built by NSS", 1)[1]
    leaf = built.split("  [1] ", 1)[0]
    problem = re.search(r"^\s+Problem\s+(.*)$", leaf, re.M)
    assert problem, built
    assert "not valid yet" in problem.group(1), problem.group(0)
    assert "expired" not in problem.group(1).split("(")[0].lower(), problem.group(0)


def test_selfsigned_problem_names_the_certificate(nsstls, openssl_server):
    # The one certificate is the problem: the built chain says so on it.
    srv = openssl_server("selfsigned.crt", "selfsigned.key", args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", f"localhost:{srv.port}")
    assert r.returncode == 6, r.stderr
    built = r.stderr.split("Chain built by NSS", 1)[1].split("Verification:", 1)[0]
    assert re.search(r"^\s+Problem\s+.*\((SEC|MOZILLA_PKIX)_ERROR_\w+\)$", built, re.M), built
    assert '"an issuer"' not in r.stderr, r.stderr


# ---- verified name versus SNI ---------------------------------------------

def test_verify_name_mismatch(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--verify-name", "wrong.example",
               f"localhost:{srv.port}")
    assert r.returncode == 6, r.stderr
    assert line(r.stderr, r"^\s+SNI\s+localhost$"), r.stderr
    assert line(r.stderr, r"^\s+Verified name\s+wrong\.example$"), r.stderr
    failed = failed_line(r.stderr)
    assert 'not valid for "wrong.example"' in failed, failed
    assert "DNS:localhost" in failed, failed
    assert failed.endswith("(SSL_ERROR_BAD_CERT_DOMAIN)"), failed
    assert r.stderr.rstrip().splitlines()[-1] == \
        "nsstls: handshake: certificate verification failed (SSL_ERROR_BAD_CERT_DOMAIN)"


def test_verify_name_matches_wronghost(nsstls, openssl_server):
    srv = openssl_server("wronghost.crt", "wronghost.key", chain="wronghost-chain.pem",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--verify-name", "wrong.example",
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert line(r.stderr, r"^Verification: OK\b"), r.stderr
    assert line(r.stderr, r"^\s+SNI\s+localhost$"), r.stderr


def test_ip_target_verifies_the_ip_san(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", f"127.0.0.1:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert line(r.stderr, r"^\s+SNI\s+\(none\)$"), r.stderr
    assert line(r.stderr, r'^Verification: OK\b.*"127\.0\.0\.1"'), r.stderr


def _gnutls_sni(log):
    return re.findall(r"^- Given server name\[\d+\]: (.*)$", log, re.M)


def test_sni_default_is_the_target_name(nsstls, gnutls_server):
    srv = gnutls_server("server-rsa-chain.pem", "server-rsa.key")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert line(r.stderr, r"^\s+SNI\s+localhost$"), r.stderr
    log = peers.wait_for_log(srv, "Given server name")
    assert _gnutls_sni(log) == ["localhost"], log


def test_no_sni(nsstls, gnutls_server):
    srv = gnutls_server("server-rsa-chain.pem", "server-rsa.key")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--no-sni", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert line(r.stderr, r"^\s+SNI\s+\(none\)$"), r.stderr
    assert line(r.stderr, r"^\s+Verified name\s+localhost$"), r.stderr
    # gnutls-serv logs each handshake ("- Version: ...") and the SNI it got.
    log = peers.wait_for_log(srv, "- Version:")
    assert _gnutls_sni(log) == [], log


def test_servername_is_sent_and_verify_name_stays(nsstls, gnutls_server):
    srv = gnutls_server("server-rsa-chain.pem", "server-rsa.key")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--servername", "other.example",
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert line(r.stderr, r"^\s+SNI\s+other\.example$"), r.stderr
    assert line(r.stderr, r"^\s+Verified name\s+localhost$"), r.stderr
    log = peers.wait_for_log(srv, "Given server name")
    assert _gnutls_sni(log) == ["other.example"], log


def _served_leaf(report):
    m = re.search(r"^Certificate chain sent by the server \(\d+\):\n\s+\[0\] (.*)$",
                  report, re.M)
    return m.group(1) if m else None


def test_sni_selects_the_certificate_on_openssl(nsstls, openssl_server):
    # s_server -servername localhost: a handshake with SNI "localhost" gets
    # the -cert2 certificate, one without SNI the default (-cert) one, and
    # with -servername_fatal one with another SNI is aborted.  This proves
    # what nsstls actually sent.
    srv = openssl_server("wronghost.crt", "wronghost.key", chain="wronghost-chain.pem",
                         args=["-naccept", "3", "-servername", "localhost",
                               "-servername_fatal",
                               "-cert2", peers.fixture("server-rsa.crt"),
                               "-key2", peers.fixture("server-rsa.key")])
    target = f"localhost:{srv.port}"
    sni = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--insecure", target)
    assert sni.returncode == 0, sni.stderr
    assert _served_leaf(sni.stderr) == "CN=nsstls Test Server RSA,O=nsstls tests", sni.stderr

    none = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--insecure", "--no-sni", target)
    assert none.returncode == 0, none.stderr
    assert line(none.stderr, r"^\s+SNI\s+\(none\)$"), none.stderr
    assert _served_leaf(none.stderr) == "CN=nsstls Test Server Wrong Host,O=nsstls tests", \
        none.stderr

    other = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--insecure",
                   "--servername", "other.example", target)
    assert other.returncode == 5, other.stderr
    assert line(other.stderr, r"^nsstls: handshake: .*\((SSL|PR)_ERROR_\w+\)$"), other.stderr
