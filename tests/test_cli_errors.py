"""Command-line errors (exit 1), the informational options, and the
openssl s_client single-dash aliases.

Usage errors never touch the network: the targets here are unreachable on
purpose (port 1 on loopback), so a test that wrongly got past option checking
would fail with another exit code instead of hanging.
"""

import json
import re

import pytest

import peers
from peers import BOUNDED, ROOTS

TARGET = "127.0.0.1:1"


def one_error(stderr):
    """The "nsstls: ..." line of a usage error (there is exactly one)."""
    lines = [l for l in stderr.splitlines() if l.startswith("nsstls: ")]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("args,needle", [
    (["--bogus", TARGET], "--bogus"),
    (["-Z", TARGET], "-Z"),
    ([], "target"),
    (["-4", "-6", TARGET], "-6"),
    (["--tls1.2", "--tls1.3", TARGET], "--tls1.3"),
    (["localhost:99999"], "99999"),
    (["localhost:0"], "localhost:0"),
    (["localhost:abc"], "abc"),
    (["-p", "70000", "localhost"], "70000"),
    (["--port", "x", "localhost"], "x"),
    (["--timeout", "abc", TARGET], "abc"),
    (["--timeout", "-1", TARGET], "-1"),
    (["--connect-timeout", "5x", TARGET], "5x"),
    (["--tls-min", "1.4", TARGET], "1.4"),
    (["--tls-max", "tls13", TARGET], "tls13"),
    (["--tls-min", "1.3", "--tls-max", "1.2", TARGET], "--tls-min"),
    (["--no-sni", "--servername", "x.example", TARGET], "--servername"),
    (["--trust", "foo", TARGET], "foo"),
    (["--renegotiate=0", TARGET], "0"),
    (["--key-update=maybe", TARGET], "maybe"),
    (["--pass", "secret", TARGET], "env:"),
    (["--alpn", ",", TARGET], "--alpn"),
])
def test_usage_error(nsstls, args, needle):
    r = nsstls(*args, timeout=10)
    assert r.returncode == 1, r.stderr
    err = one_error(r.stderr)
    assert needle in err, err
    assert r.stdout == ""


def test_unknown_cipher_lists_valid_names(nsstls):
    r = nsstls("--ciphers", "TLS_FOO_WITH_BAR", TARGET, timeout=10)
    assert r.returncode == 1, r.stderr
    err = one_error(r.stderr)
    assert "TLS_FOO_WITH_BAR" in err, err
    assert "TLS_AES_128_GCM_SHA256" in err, err
    assert "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" in err, err


def test_unknown_cipher_in_a_list(nsstls):
    r = nsstls("--ciphers", "TLS_AES_128_GCM_SHA256:NOPE", TARGET, timeout=10)
    assert r.returncode == 1, r.stderr
    assert "NOPE" in one_error(r.stderr)


def test_unknown_group_lists_valid_names(nsstls):
    r = nsstls("--groups", "x448", TARGET, timeout=10)
    assert r.returncode == 1, r.stderr
    err = one_error(r.stderr)
    assert "x448" in err, err
    assert re.search(r"\bx25519\b", err), err
    assert "secp384r1" in err, err


def test_sigalg_not_implemented_by_nss(nsstls):
    r = nsstls("--sigalgs", "ed25519", TARGET, timeout=10)
    assert r.returncode == 1, r.stderr
    err = one_error(r.stderr)
    assert "ed25519" in err, err
    assert "not implemented by NSS" in err, err
    assert "rsa_pss_rsae_sha256" in err, err


def test_unknown_sigalg_lists_valid_names(nsstls):
    r = nsstls("--sigalgs", "rsa_sha999", TARGET, timeout=10)
    assert r.returncode == 1, r.stderr
    err = one_error(r.stderr)
    assert "rsa_sha999" in err, err
    assert "ecdsa_secp256r1_sha256" in err, err


def test_unknown_version_lists_valid_versions(nsstls):
    r = nsstls("--tls-min", "1.4", TARGET, timeout=10)
    assert r.returncode == 1, r.stderr
    err = one_error(r.stderr)
    for v in ("1.0", "1.1", "1.2", "1.3"):
        assert v in err, err


# ---- informational options ----------------------------------------------

def test_help(nsstls):
    r = nsstls("--help", timeout=10)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for section in ("Connection:", "TLS parameters:", "Verification and trust:",
                    "Session:", "Output:"):
        assert re.search(rf"^{re.escape(section)}$", out, re.M), out
    for opt in ("--ca-file", "--insecure", "--alpn", "--no-data", "--showcerts"):
        assert opt in out, opt
    # The s_client aliases are hidden from --help.
    assert not re.search(r"^\s+-connect\b", out, re.M), out
    assert not re.search(r"^\s+-CAfile\b", out, re.M), out


def test_help_short(nsstls):
    r = nsstls("-?", timeout=10)
    assert r.returncode == 0, r.stderr
    assert "Connection:" in r.stdout


def test_usage(nsstls):
    r = nsstls("--usage", timeout=10)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Usage: nsstls"), r.stdout


def test_version(nsstls):
    r = nsstls("--version", timeout=10)
    assert r.returncode == 0, r.stderr
    assert re.match(r"^nsstls \S+ \(NSS 3\.87(\.\d+)?, NSPR 4\.\d+(\.\d+)?\)$", r.stdout.strip()), \
        r.stdout


def test_list_ciphers(nsstls):
    r = nsstls("--list-ciphers", timeout=10)
    assert r.returncode == 0, r.stderr
    rows = {}
    for l in r.stdout.splitlines():
        m = re.match(r"^0x([0-9a-f]{4})\s+(TLS_[A-Z0-9_]+)\s+([A-Z0-9_-]+)\s+(default|-)$", l)
        assert m, l
        rows[m.group(2)] = (m.group(1), m.group(3), m.group(4))
    assert rows["TLS_AES_128_GCM_SHA256"] == ("1301", "TLS_AES_128_GCM_SHA256", "default")
    assert rows["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"] == (
        "c030", "ECDHE-RSA-AES256-GCM-SHA384", "default")
    if "TLS_RSA_WITH_RC4_128_SHA" in rows:
        assert rows["TLS_RSA_WITH_RC4_128_SHA"] == ("0005", "RC4-SHA", "-")
    assert r.stderr == ""


def test_list_ciphers_needs_no_target(nsstls):
    r = nsstls("--list-ciphers", "--tls1.3", timeout=10)
    assert r.returncode == 0, r.stderr


# ---- openssl s_client aliases ---------------------------------------------

@pytest.fixture
def www(openssl_server):
    return openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                          args=["-naccept", "1", "-alpn", "h2,http/1.1"])


def test_s_client_connect_brief(nsstls, www):
    r = nsstls(*BOUNDED, "-connect", f"127.0.0.1:{www.port}", "-servername", "localhost",
               "-CAfile", ROOTS, "-tls1_2", "-brief", "--no-data")
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 3, r.stderr
    assert re.match(r"^Connected to 127\.0\.0\.1 .*: TLSv1\.2, ", lines[0]), lines[0]


def test_s_client_servername_is_sent(nsstls, gnutls_server):
    srv = gnutls_server("server-rsa-chain.pem", "server-rsa.key")
    r = nsstls(*BOUNDED, "-connect", f"127.0.0.1:{srv.port}", "-servername", "localhost",
               "-CAfile", ROOTS, "--no-data")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^\s+SNI\s+localhost$", r.stderr, re.M), r.stderr
    log = peers.wait_for_log(srv, "Given server name")
    assert "Given server name[1]: localhost" in log


def test_s_client_quiet(nsstls, www):
    r = nsstls(*BOUNDED, "-connect", f"localhost:{www.port}", "-CAfile", ROOTS, "-quiet",
               "--no-data")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""


def test_s_client_showcerts(nsstls, www):
    r = nsstls(*BOUNDED, "-connect", f"localhost:{www.port}", "-CAfile", ROOTS,
               "-showcerts", "-quiet", "--no-data")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("-----BEGIN CERTIFICATE-----") == 2, r.stdout


def test_s_client_alpn(nsstls, www):
    r = nsstls(*BOUNDED, "-connect", f"localhost:{www.port}", "-CAfile", ROOTS,
               "-alpn", "h2", "--no-data")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^\s+ALPN\s+h2$", r.stderr, re.M), r.stderr


def test_s_client_tls1_3(nsstls, www):
    r = nsstls(*BOUNDED, "-connect", f"localhost:{www.port}", "-CAfile", ROOTS,
               "-tls1_3", "--no-data")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^\s+Protocol\s+TLSv1\.3$", r.stderr, re.M), r.stderr


def test_s_client_crlf(nsstls, _server_stack):
    srv = _server_stack(peers.tls_echo_server())
    r = nsstls(*BOUNDED, "-connect", f"localhost:{srv.port}", "-CAfile", ROOTS,
               "-crlf", "-quiet", input=b"hi\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout_bytes == b"hi\r\n"


def test_s_client_tls1_2_and_tls1_3_conflict(nsstls):
    r = nsstls("-connect", TARGET, "-tls1_2", "-tls1_3", timeout=10)
    assert r.returncode == 1, r.stderr


def test_s_client_connect_and_target_conflict(nsstls):
    r = nsstls("-connect", TARGET, "127.0.0.1:2", timeout=10)
    assert r.returncode == 1, r.stderr


@pytest.mark.parametrize("args", [
    ["127.0.0.1:1", "--trace", "127.0.0.1:2"],
    ["127.0.0.1:1", "--trace", "127.0.0.1:2", "--reconnect", "127.0.0.1:3"],
    ["--json", "127.0.0.1:1", "--trace", "127.0.0.1:2", "--json", "127.0.0.1:3"],
    ["127.0.0.1:1", "--reconnect", "127.0.0.1:2", "--trace=hex", "127.0.0.1:3"],
])
def test_optional_value_options_keep_every_target_in_place(nsstls, args):
    """An option whose value is optional takes one only after '=': the next
    word stays a target, in its place (it used to be taken, moved last, or
    lost when two such options were given)."""
    r = nsstls("--json", "--connect-timeout", "1", *args)
    ports = [json.loads(line)["target"]["port"] for line in r.stdout.splitlines()]
    want = [int(a.rsplit(":", 1)[1]) for a in args if a.startswith("127.0.0.1:")]
    assert ports == want, (ports, r.stderr)
