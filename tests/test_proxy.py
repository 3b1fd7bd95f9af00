"""HTTP CONNECT proxies: --proxy, --proxy-user, and the https_proxy /
all_proxy / no_proxy environment as curl reads it (--no-proxy-env to
ignore it), against a scripted proxy (tests/starttls_peers.py) that opens
real tunnels to real TLS servers.

Decisions tested here: a proxy that cannot be reached is exit 3 (phase
connect, the message names the proxy); a proxy that refuses (407, 502),
answers with no HTTP or does not answer within --timeout is exit 4 (phase
proxy), with its status line verbatim; an explicit --proxy is used even
when no_proxy names the target.
"""

import base64
import re

import pytest

import peers
import starttls_peers as sp
from peers import ROOTS

PROCESS_TIMEOUT = 20
NO_ENV = {v: None for v in peers.PROXY_ENV}


def run(nsstls, *args, env=None, input=b""):
    full = dict(NO_ENV)
    full.update(env or {})
    return nsstls("--timeout", "2", "--connect-timeout", "2", "--ca-file", ROOTS,
                  *args, timeout=PROCESS_TIMEOUT, env=full, input=input)


def error_line(stderr):
    lines = [l for l in stderr.splitlines() if l.startswith("nsstls: ")]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture
def echo(_server_stack):
    return _server_stack(peers.tls_echo_server())


# --- tunnels -------------------------------------------------------------------

def test_tunnel(nsstls, echo):
    with sp.connect_proxy() as proxy:
        r = run(nsstls, "--no-data", "--proxy", f"127.0.0.1:{proxy.port}",
                f"localhost:{echo.port}")
        assert r.returncode == 0, r.stderr + proxy.log()
        assert proxy.requests[0][0] == f"CONNECT localhost:{echo.port} HTTP/1.1"
        assert f"Host: localhost:{echo.port}" in proxy.requests[0]
        assert not any(h.lower().startswith("proxy-authorization")
                       for h in proxy.requests[0])
        assert proxy.tunnels == 1
    assert re.search(rf"^Connected to proxy 127\.0\.0\.1 \(127\.0\.0\.1\) port "
                     rf"{proxy.port} in ", r.stderr, re.M), r.stderr
    assert f"  Proxy            127.0.0.1 port {proxy.port} (from --proxy)\n" in r.stderr
    assert re.search(r"^  Tunnel           HTTP/1\.1 200 Connection established "
                     r"\(\d+\.\d ms\)$", r.stderr, re.M), r.stderr
    assert 'Verification: OK (chain trusted, name "localhost" matches)' in r.stderr
    # The server at the end of the tunnel did the handshake itself.
    assert "handshake done: TLSv1.3" in peers.wait_for_log(echo, "handshake done")


def test_data_goes_through_the_tunnel(nsstls, echo):
    with sp.connect_proxy() as proxy:
        r = run(nsstls, "--quiet", "--proxy", f"http://127.0.0.1:{proxy.port}/",
                f"localhost:{echo.port}", input=b"hello through the tunnel\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello through the tunnel\n"


def test_tunnel_json(nsstls, echo):
    with sp.connect_proxy() as proxy:
        r = run(nsstls, "--json", "--proxy", f"127.0.0.1:{proxy.port}",
                f"localhost:{echo.port}")
    assert r.returncode == 0, r.stderr
    doc = peers.json_document(r)
    p = doc["proxy"]
    assert p["used"] is True
    assert (p["host"], p["port"], p["source"]) == ("127.0.0.1", proxy.port, "--proxy")
    assert p["status_line"] == "HTTP/1.1 200 Connection established"
    assert p["status_code"] == 200
    assert p["user"] is None and p["no_proxy_match"] is None
    assert p["transcript"][0] == {"from": "client",
                                  "text": f"CONNECT localhost:{echo.port} HTTP/1.1"}
    assert {"from": "server", "text": "Via: nsstls-test"} in p["transcript"]
    # The addresses are the proxy's; the target stays the target.
    assert doc["connected_address"] == "127.0.0.1"
    assert doc["target"]["port"] == echo.port
    assert isinstance(doc["timings"]["proxy_us"], int)
    assert doc["starttls"] is None


def test_brief_says_via(nsstls, echo):
    with sp.connect_proxy() as proxy:
        r = run(nsstls, "--brief", "--no-data", "--proxy", f"127.0.0.1:{proxy.port}",
                f"localhost:{echo.port}")
    assert r.returncode == 0, r.stderr
    assert (f"Connected to localhost port {echo.port} via proxy 127.0.0.1 "
            f"(127.0.0.1) port {proxy.port}: TLSv1.3") in r.stderr


def test_ipv6_target_authority(nsstls):
    with sp.connect_proxy("502") as proxy:
        r = run(nsstls, "--no-data", "--proxy", f"127.0.0.1:{proxy.port}", "[::1]:4433")
        assert proxy.requests[0][0] == "CONNECT [::1]:4433 HTTP/1.1"
    assert r.returncode == 4


def test_starttls_through_the_proxy(nsstls):
    with sp.starttls_server(sp.smtp) as smtp, sp.connect_proxy() as proxy:
        r = run(nsstls, "--json", "--starttls", "smtp", "--proxy",
                f"127.0.0.1:{proxy.port}", f"localhost:{smtp.port}")
        assert r.returncode == 0, r.stderr
        doc = peers.json_document(r)
        assert doc["proxy"]["used"] and doc["starttls"]["ok"]
        # The SMTP server at the end of the tunnel did the TLS handshake.
        assert "handshake done" in peers.wait_for_log(smtp, "handshake done")


# --- authentication --------------------------------------------------------------

def test_auth_required_and_missing(nsstls, echo):
    with sp.connect_proxy(user="alice", password="s3cret") as proxy:
        r = run(nsstls, "--no-data", "--proxy", f"127.0.0.1:{proxy.port}",
                f"localhost:{echo.port}")
        assert proxy.tunnels == 0
    assert r.returncode == 4, r.stderr
    err = error_line(r.stderr)
    assert err == ("nsstls: proxy: proxy refused: HTTP/1.1 407 Proxy Authentication "
                   "Required (no credentials were sent: use --proxy-user)"), err
    # The proxy's answer is shown on failure.
    assert "    S: Proxy-Authenticate: Basic realm=\"nsstls\"" in r.stderr


def test_auth_accepted(nsstls, echo):
    with sp.connect_proxy(user="alice", password="s3cret") as proxy:
        r = run(nsstls, "--json", "--proxy", f"127.0.0.1:{proxy.port}",
                "--proxy-user", "alice:s3cret", f"localhost:{echo.port}")
        head = proxy.requests[0]
    assert r.returncode == 0, r.stderr
    want = base64.b64encode(b"alice:s3cret").decode()
    assert f"Proxy-Authorization: Basic {want}" in head
    doc = peers.json_document(r)
    assert doc["proxy"]["user"] == "alice"
    # The password is nowhere in the report.
    assert "s3cret" not in r.stdout and "s3cret" not in r.stderr
    assert want not in r.stdout


def test_auth_from_the_url(nsstls, echo):
    with sp.connect_proxy(user="bob", password="p@ss:word") as proxy:
        r = run(nsstls, "--no-data", "-v", "--proxy",
                f"http://bob:p%40ss%3Aword@127.0.0.1:{proxy.port}",
                f"localhost:{echo.port}")
    assert r.returncode == 0, r.stderr
    assert "(from --proxy), user bob" in r.stderr
    assert "C: Proxy-Authorization: Basic [bob:...]" in r.stderr
    assert "p@ss" not in r.stderr


def test_auth_rejected(nsstls, echo):
    with sp.connect_proxy(user="alice", password="s3cret") as proxy:
        r = run(nsstls, "--no-data", "--proxy", f"127.0.0.1:{proxy.port}",
                "--proxy-user", "alice:wrong", f"localhost:{echo.port}")
    assert r.returncode == 4
    assert error_line(r.stderr).endswith(
        "407 Proxy Authentication Required (user \"alice\" was not accepted)")


def test_long_credentials_are_one_header(nsstls, echo):
    # NSS's base64 encoders wrap at 64 characters; a header cannot.
    user, password = "u" * 40, "p" * 60
    with sp.connect_proxy(user=user, password=password) as proxy:
        r = run(nsstls, "--no-data", "--proxy", f"127.0.0.1:{proxy.port}",
                "--proxy-user", f"{user}:{password}", f"localhost:{echo.port}")
    assert r.returncode == 0, r.stderr


# --- refusals and failures ---------------------------------------------------------

def test_bad_gateway(nsstls, echo):
    with sp.connect_proxy("502") as proxy:
        r = run(nsstls, "--json", "--proxy", f"127.0.0.1:{proxy.port}",
                f"localhost:{echo.port}")
    assert r.returncode == 4
    doc = peers.json_document(r)
    assert doc["outcome"]["phase"] == "proxy"
    assert doc["outcome"]["message"] == "proxy refused: HTTP/1.1 502 Bad Gateway"
    assert doc["proxy"]["status_code"] == 502
    assert doc["handshakes"] == []


def test_proxy_never_answers(nsstls, echo):
    with sp.connect_proxy("silent") as proxy:
        r = nsstls("--timeout", "1", "--no-data", "--proxy", f"127.0.0.1:{proxy.port}",
                   f"localhost:{echo.port}", env=NO_ENV, timeout=PROCESS_TIMEOUT)
    assert r.returncode == 4, r.stderr
    assert error_line(r.stderr) == (
        f"nsstls: proxy: proxy 127.0.0.1 port {proxy.port}: no answer within 1000 ms, "
        "waiting for the answer to CONNECT (PR_IO_TIMEOUT_ERROR)")


def test_proxy_speaks_no_http(nsstls, echo):
    with sp.connect_proxy("garbage") as proxy:
        r = run(nsstls, "--no-data", "--proxy", f"127.0.0.1:{proxy.port}",
                f"localhost:{echo.port}")
    assert r.returncode == 4
    assert 'not an HTTP answer to CONNECT: "SSH-2.0-OpenSSH_9.2"' in error_line(r.stderr)


def test_proxy_sends_bytes_before_tls(nsstls, echo):
    # Bytes behind the 200 belong to the tunnel (an SMTP greeting may come
    # there): they reach TLS, where "surprise" is not a TLS record.
    with sp.connect_proxy("chatty") as proxy:
        r = run(nsstls, "--no-data", "--proxy", f"127.0.0.1:{proxy.port}",
                f"localhost:{echo.port}")
    assert r.returncode == 5, r.stderr
    assert error_line(r.stderr).startswith("nsstls: handshake: "), r.stderr


def test_proxy_unreachable(nsstls, closed_port, echo):
    r = run(nsstls, "--no-data", "--proxy", f"127.0.0.1:{closed_port}",
            f"localhost:{echo.port}")
    assert r.returncode == 3, r.stderr
    assert error_line(r.stderr) == (
        f"nsstls: connect: cannot reach the proxy (from --proxy): cannot connect to "
        f"127.0.0.1 port {closed_port} (127.0.0.1): connection refused "
        "(PR_CONNECT_REFUSED_ERROR)")


def test_proxy_unreachable_json(nsstls, closed_port):
    r = run(nsstls, "--json", "--proxy", f"127.0.0.1:{closed_port}", "localhost:443")
    assert r.returncode == 3
    doc = peers.json_document(r)
    assert doc["outcome"]["phase"] == "connect"
    assert doc["proxy"]["used"] is True and doc["proxy"]["status_line"] is None
    assert doc["timings"]["proxy_us"] is None


# --- the environment -------------------------------------------------------------------

@pytest.mark.parametrize("var", ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"])
def test_environment_proxy(nsstls, echo, var):
    with sp.connect_proxy() as proxy:
        r = run(nsstls, "--json", f"localhost:{echo.port}",
                env={var: f"http://127.0.0.1:{proxy.port}"})
        assert proxy.tunnels == 1
    assert r.returncode == 0, r.stderr
    p = peers.json_document(r)["proxy"]
    assert p["used"] is True and p["source"] == var


def test_environment_order(nsstls, echo, closed_port):
    # https_proxy wins over all_proxy, like curl.
    with sp.connect_proxy() as proxy:
        r = run(nsstls, "--no-data", f"localhost:{echo.port}",
                env={"https_proxy": f"127.0.0.1:{proxy.port}",
                     "ALL_PROXY": f"127.0.0.1:{closed_port}"})
    assert r.returncode == 0, r.stderr
    assert "(from https_proxy)" in r.stderr


def test_environment_without_port_is_1080(nsstls):
    r = run(nsstls, "--json", "localhost:443", env={"https_proxy": "127.0.0.1"})
    p = peers.json_document(r)["proxy"]
    assert p["port"] == 1080


def test_option_beats_environment(nsstls, echo, closed_port):
    with sp.connect_proxy() as proxy:
        r = run(nsstls, "--no-data", "--proxy", f"127.0.0.1:{proxy.port}",
                f"localhost:{echo.port}", env={"https_proxy": f"127.0.0.1:{closed_port}"})
    assert r.returncode == 0, r.stderr
    assert "(from --proxy)" in r.stderr


@pytest.mark.parametrize("no_proxy, bypassed", [
    ("localhost", True),
    ("example.com,localhost", True),
    (".localhost", True),
    ("*", True),
    ("otherhost, example.com", False),
    ("calhost", False),
])
def test_no_proxy(nsstls, echo, no_proxy, bypassed):
    with sp.connect_proxy() as proxy:
        r = run(nsstls, "--json", f"localhost:{echo.port}",
                env={"https_proxy": f"127.0.0.1:{proxy.port}", "no_proxy": no_proxy})
        assert proxy.accepted == (0 if bypassed else 1)
    assert r.returncode == 0, r.stderr
    p = peers.json_document(r)["proxy"]
    assert p["used"] is (not bypassed)
    if bypassed:
        assert p["no_proxy_match"] in (no_proxy, "localhost", ".localhost")


@pytest.mark.parametrize("no_proxy, bypassed", [
    ("127.0.0.1", True),
    ("127.0.0.0/8", True),
    ("10.0.0.0/8", False),
    ("127.0.0.2", False),
])
def test_no_proxy_addresses(nsstls, echo, no_proxy, bypassed):
    with sp.connect_proxy() as proxy:
        r = run(nsstls, "--json", "--verify-name", "localhost", f"127.0.0.1:{echo.port}",
                env={"https_proxy": f"127.0.0.1:{proxy.port}", "NO_PROXY": no_proxy})
        assert proxy.accepted == (0 if bypassed else 1)
    assert r.returncode == 0, r.stderr


def test_no_proxy_text(nsstls, echo):
    with sp.connect_proxy() as proxy:
        r = run(nsstls, "--no-data", f"localhost:{echo.port}",
                env={"https_proxy": f"127.0.0.1:{proxy.port}", "no_proxy": ".localhost"})
    assert r.returncode == 0
    assert (f'  Proxy            none: no_proxy entry ".localhost" names the target '
            f"(https_proxy gave 127.0.0.1 port {proxy.port})") in r.stderr


def test_no_proxy_does_not_override_the_option(nsstls, echo):
    with sp.connect_proxy() as proxy:
        r = run(nsstls, "--no-data", "--proxy", f"127.0.0.1:{proxy.port}",
                f"localhost:{echo.port}", env={"no_proxy": "*"})
        assert proxy.tunnels == 1
    assert r.returncode == 0, r.stderr


def test_no_proxy_env_ignores_the_environment(nsstls, echo, closed_port):
    r = run(nsstls, "--json", "--no-proxy-env", f"localhost:{echo.port}",
            env={"https_proxy": f"127.0.0.1:{closed_port}"})
    assert r.returncode == 0, r.stderr
    assert peers.json_document(r)["proxy"] is None


def test_unusable_environment_proxy(nsstls):
    r = run(nsstls, "--no-data", "localhost:443",
            env={"https_proxy": "socks5://user:hunter2@127.0.0.1:1080"})
    assert r.returncode == 2, r.stderr
    err = error_line(r.stderr)
    assert err == ("nsstls: proxy: https_proxy is not a proxy nsstls can use: only "
                   "http:// proxies are supported (ignore the environment with "
                   "--no-proxy-env)"), err
    assert "hunter2" not in r.stderr


# --- usage ----------------------------------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (["--proxy", "socks5://127.0.0.1:1080", "localhost"], "only http:// proxies"),
    (["--proxy", "127.0.0.1:99999", "localhost"], "--proxy: '127.0.0.1:99999'"),
    (["--proxy", "", "localhost"], "no proxy host"),
    (["--proxy-user", ":pw", "--proxy", "p:1", "localhost"], "no user name"),
    (["--proxy-user", "u:p", "--no-proxy-env", "localhost"], "--proxy-user needs a proxy"),
])
def test_usage_errors(nsstls, args, words):
    r = nsstls(*args, timeout=PROCESS_TIMEOUT, env=NO_ENV)
    assert r.returncode == 1, r.stderr
    assert words in r.stderr


def test_s_client_proxy_alias(nsstls, echo):
    with sp.connect_proxy() as proxy:
        r = nsstls("-proxy", f"127.0.0.1:{proxy.port}", "-CAfile", ROOTS, "--no-data",
                   "-connect", f"localhost:{echo.port}", env=NO_ENV,
                   timeout=PROCESS_TIMEOUT)
        assert proxy.tunnels == 1
    assert r.returncode == 0, r.stderr
