"""Encrypted Client Hello: --ech LIST, --ech auto, --ech-grease.

No ECH server ships here: openssl s_server 3.0 and gnutls-serv 3.7 have no
ECH, and NSS 3.87's `selfserv -X publicname:NAME` passes the whole string as
the public name (SSL_ERROR_RX_MALFORMED_ECH_CONFIG).  So the tests run
tests/tools/echserver (built with the tests, never installed): an NSS TLS 1.3
server that makes an X25519 ECH key and prints its ECHConfigList.  It serves
server-ec (localhost) to the inner name and ech-public (public.nsstls.test
only) to the public name, so which certificate and which name were checked
shows in the report.  openssl s_server stands for a server without ECH.

There is no network: --ech auto is tested against a name that cannot
resolve; the HTTPS record parser has unit tests (tests/unit/test-ech.c).
"""

import contextlib
import re

import pytest

import peers
from peers import BOUNDED, ROOTS

PUBLIC = "public.nsstls.test"


def echserver_path():
    # Built next to the unit tests: <builddir>/tests/echserver.
    exe = peers.nsstls_path().resolve().parent.parent / "tests" / "echserver"
    if not exe.is_file():
        pytest.fail(f"{exe} is missing: build the project (tests enabled)")
    return str(exe)


@contextlib.contextmanager
def echserver(*args, inner=("server-ec-chain.pem", "server-ec.key"),
              public=("ech-public-chain.pem", "ech-public.key")):
    """Start echserver; yields it with .port, .config (the advertised base64
    ECHConfigList) and .real (the one it decrypts with)."""
    with peers._process_server("echserver") as srv:
        srv.start([echserver_path(), "--cert", peers.fixture(inner[0]),
                   "--key", peers.fixture(inner[1]), "--public-name", PUBLIC,
                   "--public-cert", peers.fixture(public[0]),
                   "--public-key", peers.fixture(public[1]), *args])

        def ready():
            m = re.search(r"^PORT (\d+)$", srv.log(), re.M)
            if srv.exited() and not m:
                raise srv.startup_error("exited before listening")
            return m
        try:
            m = peers._poll(ready, peers.START_TIMEOUT, "echserver's PORT line")
        except TimeoutError as e:
            raise srv.startup_error(str(e)) from None
        log = srv.log()
        srv.port = int(m.group(1))
        srv.config = re.search(r"^ECHCONFIGLIST (\S+)$", log, re.M).group(1)
        srv.real = re.search(r"^REALCONFIGLIST (\S+)$", log, re.M).group(1)
        yield srv


@pytest.fixture
def ech_server(_server_stack):
    """Factory: ech_server(*args, inner=..., public=...) -> started echserver."""
    return lambda *a, **kw: _server_stack(echserver(*a, **kw))


def ech_line(stderr):
    m = re.search(r"^ECH: .*$", stderr, re.M)
    return m.group(0) if m else None


# ---- accepted ----------------------------------------------------------------

def test_accepted(nsstls, ech_server):
    srv = ech_server()
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--ech", srv.config, f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert ech_line(r.stderr) == \
        f"ECH: accepted (outer name {PUBLIC}, inner name localhost)"
    assert 'Verification: OK (chain trusted, name "localhost" matches)' in r.stderr
    # The server answers with what it saw: the inner name, decrypted.
    assert r.stdout == "sni=localhost ech_accepted=yes\n"
    assert "sni=localhost ech_accepted=yes" in srv.log()


def test_accepted_json(nsstls, ech_server):
    srv = ech_server()
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", "--ech", srv.config,
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    doc = peers.json_document(r)
    assert doc["ech"] == {
        "mode": "config", "source": "option", "dns_name": None,
        "config_list": srv.config, "config_id": 7, "public_name": PUBLIC,
        "inner_name": "localhost", "status": "accepted", "accepted": True,
        "public_name_verified": False, "retry_configs": None}
    assert doc["target"]["verify_name"] == "localhost"
    assert doc["verification"]["ok"]


def test_accepted_brief(nsstls, ech_server):
    srv = ech_server()
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--brief", "--no-data", "--ech",
               srv.config, f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert ech_line(r.stderr) == \
        f"ECH: accepted (outer name {PUBLIC}, inner name localhost)"


def test_ip_target_with_servername(nsstls, ech_server):
    """An address has no name to hide: --servername gives the inner name."""
    srv = ech_server()
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--ech", srv.config,
               "--servername", "localhost", f"127.0.0.1:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert ech_line(r.stderr) == \
        f"ECH: accepted (outer name {PUBLIC}, inner name localhost)"
    assert "sni=localhost ech_accepted=yes" in peers.wait_for_log(srv, "sni=")


def test_reconnections_use_ech_too(nsstls, ech_server):
    srv = ech_server()
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--ech", srv.config, "--reconnect=2",
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    peers._poll(lambda: srv.log().count("sni=") == 3, 5, "three connections")
    assert srv.log().count("sni=localhost ech_accepted=yes") == 3, srv.log()


def test_many_targets(nsstls, ech_server):
    """A list of targets: each gets ECH; an address without --servername is
    that target's setup error (exit 2), not a usage error."""
    srv = ech_server()
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", "--ech", srv.config,
               f"localhost:{srv.port}", f"127.0.0.1:{srv.port}")
    assert r.returncode == 2, r.stderr
    docs = peers.json_documents(r.stdout_bytes)
    by_host = {d["target"]["host"]: d for d in docs}
    assert by_host["localhost"]["ech"]["status"] == "accepted"
    bad = by_host["127.0.0.1"]
    assert bad["outcome"]["exit_code"] == 2 and bad["ech"] is None
    assert "give --servername" in bad["outcome"]["message"]


# ---- rejected ----------------------------------------------------------------

def test_rejected_with_retry_configs(nsstls, ech_server):
    srv = ech_server("--wrong-config")
    assert srv.config != srv.real
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--ech", srv.config, f"localhost:{srv.port}")
    assert r.returncode == 5, r.stderr
    assert (f"nsstls: handshake: ECH rejected by the server; it offered retry "
            f"configs: {srv.real} (use --ech with them) "
            f"(SSL_ERROR_ECH_RETRY_WITH_ECH)") in r.stderr
    assert ech_line(r.stderr) == \
        f"ECH: REJECTED (outer name {PUBLIC}, inner name localhost)"
    assert r.stdout == ""
    # The server saw only the outer ClientHello.
    assert f"sni={PUBLIC} ech_accepted=no" in peers.wait_for_log(srv, "sni=")


def test_rejected_json_and_verified_public_name(nsstls, ech_server):
    srv = ech_server("--wrong-config")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", "--ech", srv.config,
               f"localhost:{srv.port}")
    assert r.returncode == 5, r.stderr
    doc = peers.json_document(r)
    ech = doc["ech"]
    assert ech["status"] == "rejected" and not ech["accepted"]
    assert ech["retry_configs"] == srv.real
    assert ech["config_list"] == srv.config
    assert ech["public_name_verified"]
    # The certificate answered the outer hello: checked against the
    # public name (ech-public names only public.nsstls.test).
    assert doc["target"]["verify_name"] == PUBLIC
    assert doc["verification"]["ok"] and doc["verification"]["name_ok"]
    assert doc["certificates"]["sent"][0]["sans"] == [f"DNS:{PUBLIC}"]
    assert doc["outcome"]["error"]["name"] == "SSL_ERROR_ECH_RETRY_WITH_ECH"
    assert doc["outcome"]["exit_code"] == 5


def test_retry_configs_work(nsstls, ech_server):
    """'use --ech with them': the retry configs printed are accepted."""
    srv = ech_server("--wrong-config")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--ech", srv.config,
               f"localhost:{srv.port}")
    assert r.returncode == 5, r.stderr
    retry = re.search(r"retry configs: (\S+) \(use --ech", r.stderr).group(1)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--ech", retry,
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert ech_line(r.stderr).startswith("ECH: accepted")


def test_rejected_certificate_must_match_public_name(nsstls, ech_server):
    """On rejection the server shows a localhost certificate: valid for the
    inner name, but the public name is the one checked, so it fails."""
    srv = ech_server("--wrong-config", public=("server-ec-chain.pem", "server-ec.key"))
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--ech", srv.config, f"localhost:{srv.port}")
    assert r.returncode == 6, r.stderr
    assert f'Verification: FAILED: the certificate is not valid for "{PUBLIC}"' in r.stderr
    assert f"  Verified name    {PUBLIC}" in r.stderr
    assert f"Certificate      checked against the public name {PUBLIC}" in r.stderr
    assert "(the SNI sent was a different name)" not in r.stderr


def test_server_without_ech(nsstls, openssl_server, ech_server):
    """A server that ignores ECH answers the outer hello; with no retry
    configs NSS ends with SSL_ERROR_ECH_RETRY_WITHOUT_ECH."""
    config = ech_server().config
    srv = openssl_server("ech-public.crt", "ech-public.key", chain="int-ec.crt",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--ech", config, f"localhost:{srv.port}")
    assert r.returncode == 5, r.stderr
    assert "ECH rejected by the server, which offered no retry configs" in r.stderr
    assert "(SSL_ERROR_ECH_RETRY_WITHOUT_ECH)" in r.stderr
    assert f'name "{PUBLIC}" matches' in r.stderr


def test_tls12_server_ends_the_connection(nsstls, openssl_server, ech_server):
    """NSS 3.87 completes a TLS 1.2 handshake with a client that offered ECH
    (authenticated for the public name); nsstls ends it there (RFC 9849
    §6.1.6): exit 5, and no data reaches the server."""
    config = ech_server().config
    srv = openssl_server("ech-public.crt", "ech-public.key", chain="int-ec.crt",
                         args=["-naccept", "1", "-tls1_2"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--ech", config, f"localhost:{srv.port}",
               input="GET / HTTP/1.0\r\n\r\n")
    assert r.returncode == 5, r.stderr
    assert ("ECH rejected: the server chose TLSv1.2, which has no ECH, and "
            f"answered the outer ClientHello for {PUBLIC}") in r.stderr
    assert ech_line(r.stderr) == f"ECH: REJECTED (outer name {PUBLIC}, inner name localhost)"
    peers.wait_for_log(srv, "CONNECTION CLOSED")
    assert "GET /" not in srv.log()


# ---- GREASE --------------------------------------------------------------------

def test_grease_openssl(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1", "-tls1_3"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--ech-grease",
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert ech_line(r.stderr).startswith("ECH: GREASE sent")


def test_grease_json(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", "--ech-grease",
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    ech = peers.json_document(r)["ech"]
    assert ech["mode"] == "grease" and ech["status"] == "grease"
    assert ech["config_list"] is None and ech["public_name"] is None
    assert ech["inner_name"] == "localhost" and not ech["accepted"]


def test_grease_hides_nothing(nsstls, ech_server):
    """GREASE against an ECH server: a normal handshake, the SNI in clear."""
    srv = ech_server()
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--ech-grease", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "sni=localhost ech_accepted=no\n"


def test_grease_tls12_server(nsstls, openssl_server):
    """A TLS 1.2 server ignores the extension: the handshake succeeds."""
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1", "-tls1_2"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--ech-grease",
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^\s+Protocol\s+TLSv1\.2$", r.stderr, re.M)


def test_no_ech_no_ech_key(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert peers.json_document(r)["ech"] is None


# ---- --ech auto (no network here) ---------------------------------------------

DNS_WORDS = ("does not exist in DNS", "no answer from the DNS resolver",
             "has no HTTPS record", "DNS lookup of the HTTPS record")


def test_auto_unresolvable(nsstls):
    r = nsstls(*BOUNDED, "--ech", "auto", "nonexistent.invalid", timeout=60)
    assert r.returncode == 3, r.stderr
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith("nsstls: resolve: --ech auto: "), line
    assert "nonexistent.invalid" in line and any(w in line for w in DNS_WORDS), line


def test_auto_other_port_queries_port_name(nsstls):
    """RFC 9460: port 8443 is looked up as _8443._https.NAME."""
    r = nsstls(*BOUNDED, "--json", "--ech", "auto", "nonexistent.invalid:8443",
               timeout=60)
    assert r.returncode == 3, r.stderr
    doc = peers.json_document(r)
    assert doc["outcome"]["phase"] == "resolve"
    assert "_8443._https.nonexistent.invalid" in doc["outcome"]["message"]
    assert doc["ech"]["status"] == "not_offered"
    assert doc["ech"]["source"] is None and doc["ech"]["config_list"] is None
    assert doc["addresses"] == []      # nothing was connected to


# ---- bad lists and option rules ----------------------------------------------

# Well-formed base64 of a list that says it holds 69 bytes but holds 4.
SHORT = "AEX+DQBB"
# A version 0xfe0d list whose KEM is P-256 (0x0010): valid, not for NSS.
P256 = "ADr+DQA2AwAQACBCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQgAEAAEAAUAHcDI1Ni5leAAA"


@pytest.mark.parametrize("value,message", [
    ("not*base64", "is neither 'auto' nor base64"),
    ("", "is neither 'auto' nor base64"),
    (SHORT, "not a valid ECHConfigList: the ECHConfigList says it holds 69 bytes"),
    ("AAA=", "not a valid ECHConfigList: the ECHConfigList is empty"),
])
def test_bad_list_is_usage_error(nsstls, value, message):
    r = nsstls("--ech", value, "localhost:1")
    assert r.returncode == 1, r.stderr
    assert message in r.stderr


def test_unusable_list_is_usage_error(nsstls):
    r = nsstls("--ech", P256, "localhost:1")
    assert r.returncode == 1, r.stderr
    assert "none of the 1 configurations in the list can be used by NSS 3.87" in r.stderr


@pytest.mark.parametrize("args,message", [
    (["--ech", "auto", "--ech-grease"], "--ech and --ech-grease exclude each other"),
    (["--ech", "auto", "--tls1.2"], "need TLS 1.3"),
    (["--ech-grease", "--tls-max", "1.2"], "need TLS 1.3"),
    (["--ech", "auto", "--no-sni"], "cannot be combined with --no-sni"),
])
def test_option_rules(nsstls, args, message):
    r = nsstls(*args, "localhost:1")
    assert r.returncode == 1, r.stderr
    assert message in r.stderr


def test_ip_target_needs_servername(nsstls):
    r = nsstls("--ech", "auto", "127.0.0.1:1")
    assert r.returncode == 1, r.stderr
    assert "give --servername NAME" in r.stderr
