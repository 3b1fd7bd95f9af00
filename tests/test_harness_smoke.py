"""Smoke tests of the test harness itself (fixtures, peers, run_nsstls).

The client here is `openssl s_client`, not nsstls, so these pass before
nsstls exists: they prove that every server starts on a free loopback port,
sends the intended chain, fails where it should, and is gone afterwards.
"""

import os
import re
import shutil
import socket
import subprocess

import pytest

import peers

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")


def s_client(port, *args, host="127.0.0.1", stdin=b"", seconds=3):
    """openssl s_client against host:port under `timeout`, verifying against
    roots.pem with localhost as the expected name; returns (rc, output)."""
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    argv = ["timeout", str(seconds), "openssl", "s_client", "-connect", target,
            "-servername", "localhost", "-verify_hostname", "localhost",
            "-CAfile", peers.fixture("roots.pem"), "-verify_return_error",
            "-showcerts", *args]
    r = subprocess.run(argv, input=stdin, capture_output=True, timeout=seconds + 5)
    return r.returncode, (r.stdout + r.stderr).decode("utf-8", errors="replace")


def chain_subjects(output):
    """Subjects of the certificates the server sent, in order (-showcerts)."""
    return re.findall(r"^ *\d+ s:.*CN ?= ?(.*)$", output, re.M)


def gone(pid):
    """The process is no longer there (killed and reaped: no zombie either)."""
    return not os.path.exists(f"/proc/{pid}")


def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# ---- fixtures -------------------------------------------------------------

def test_make_certs_is_idempotent(fixtures_dir):
    before = {p.name: p.stat().st_mtime_ns for p in fixtures_dir.iterdir()}
    r = subprocess.run([str(fixtures_dir / "make-certs.sh")], cwd="/",
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "all fixtures present" in r.stdout
    assert {p.name: p.stat().st_mtime_ns for p in fixtures_dir.iterdir()} == before


@pytest.mark.parametrize("leaf,root,when,purpose", [
    ("server-rsa", "root-rsa", "1893456000", "sslserver"),
    ("server-ec", "root-ec", "1893456000", "sslserver"),
    ("client-rsa", "root-rsa", "1893456000", "sslclient"),
    ("server-unknown", "unknown-root", "1893456000", "sslserver"),
    ("expired", "root-rsa", "1593561600", "sslserver"),   # 2020-07-01
    ("notyet", "root-rsa", "2208988800", "sslserver"),    # 2040-01-01
])
def test_fixture_chains_verify(leaf, root, when, purpose):
    r = subprocess.run(["openssl", "verify", "-attime", when, "-purpose", purpose,
                        "-CAfile", peers.fixture(f"{root}.crt"),
                        "-untrusted", peers.fixture(f"{leaf}-chain.pem"),
                        peers.fixture(f"{leaf}.crt")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr


# ---- openssl s_server -----------------------------------------------------

@pytest.mark.parametrize("leaf,version", [("server-rsa", "-tls1_3"),
                                          ("server-ec", "-tls1_2")])
def test_openssl_server_sends_chain_that_verifies(openssl_server, leaf, version):
    # A NAME-chain.pem as chain: the harness must drop the leaf at its head.
    srv = openssl_server(f"{leaf}.crt", f"{leaf}.key", chain=f"{leaf}-chain.pem",
                         args=[version])
    rc, out = s_client(srv.port)
    assert rc == 0, out
    assert "Verification: OK" in out
    kind = "RSA" if leaf.endswith("rsa") else "EC"
    assert chain_subjects(out) == [f"nsstls Test Server {kind}",
                                   f"nsstls Test Intermediate {kind}"]
    assert ("TLSv1.3" if version == "-tls1_3" else "TLSv1.2") in out


def test_openssl_server_www_and_cleanup():
    with peers.openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                              args=["-www"]) as srv:
        pid = srv.proc.pid
        rc, out = s_client(srv.port, "-ign_eof", stdin=b"GET / HTTP/1.0\r\n\r\n")
        assert rc == 0, out
        assert "HTTP/1.0 200 ok" in out
        assert "ACCEPT 127.0.0.1:" in srv.log()
    assert gone(pid)
    assert "ACCEPT" in srv.log()        # the log survives the server


@pytest.mark.parametrize("leaf,error", [
    ("expired", "certificate has expired"),
    ("notyet", "certificate is not yet valid"),
    ("wronghost", "hostname mismatch"),
    ("selfsigned", "self-signed certificate"),
    ("server-unknown", "unable to get local issuer certificate"),
])
def test_openssl_server_bad_certificates_fail(openssl_server, leaf, error):
    srv = openssl_server(f"{leaf}.crt", f"{leaf}.key", chain=f"{leaf}-chain.pem")
    rc, out = s_client(srv.port)
    assert rc == 1, out
    assert error in out


# ---- gnutls-serv ----------------------------------------------------------

@pytest.mark.parametrize("leaf", ["server-rsa", "server-ec"])
def test_gnutls_server_answers(gnutls_server, leaf):
    srv = gnutls_server(f"{leaf}-chain.pem", f"{leaf}.key")
    assert srv.port and srv.port6 != srv.port
    rc, out = s_client(srv.port, "-ign_eof", stdin=b"GET / HTTP/1.0\r\n\r\n")
    assert rc == 0, out
    assert "Verification: OK" in out
    assert len(chain_subjects(out)) == 2
    assert "HTTP/1.0 200 OK" in out


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback")
def test_gnutls_server_ipv6_port(gnutls_server):
    srv = gnutls_server("server-rsa-chain.pem", "server-rsa.key")
    rc, out = s_client(srv.port6, host="::1")
    assert rc == 0, out


# ---- NSS selfserv ---------------------------------------------------------

@pytest.mark.parametrize("leaf", ["server-rsa", "server-ec"])
def test_selfserv_answers(selfserv_server, leaf):
    srv = selfserv_server(leaf)
    assert srv.nickname == leaf
    rc, out = s_client(srv.port, "-ign_eof", stdin=b"GET / HTTP/1.0\r\n\r\n")
    assert rc == 0, out
    assert "Verification: OK" in out
    kind = "RSA" if leaf.endswith("rsa") else "EC"
    assert chain_subjects(out) == [f"nsstls Test Server {kind}",
                                   f"nsstls Test Intermediate {kind}"]
    assert "HTTP/1.0 200 OK" in out


def test_selfserv_tls12_only(selfserv_server):
    srv = selfserv_server("server-rsa", args=["-V", "tls1.2:tls1.2"])
    rc, out = s_client(srv.port, "-tls1_3")
    assert rc != 0, out
    rc, out = s_client(srv.port)
    assert rc == 0 and "TLSv1.2" in out, out


def test_selfserv_retries_when_port_is_taken(monkeypatch):
    # The first port the harness picks is occupied: selfserv must fail to
    # bind, and the harness must retry on a fresh port.
    with socket.socket(socket.AF_INET6 if ipv6_loopback() else socket.AF_INET) as busy:
        busy.bind(("::" if busy.family == socket.AF_INET6 else "0.0.0.0", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        real = peers._free_port
        ports = iter([taken])
        monkeypatch.setattr(peers, "_free_port", lambda: next(ports, None) or real())
        with peers.selfserv_server("server-rsa") as srv:
            pid = srv.proc.pid
            assert srv.port != taken
            assert "attempt 2" in srv.log()
            rc, out = s_client(srv.port)
            assert rc == 0, out
    assert gone(pid)


def test_selfserv_client_auth(selfserv_server):
    # trust_roots lets selfserv verify client certificates (-r -r: require one).
    srv = selfserv_server("server-rsa", args=["-r", "-r", "-V", "tls1.2:tls1.2"],
                          trust_roots=["root-rsa.crt"])
    rc, out = s_client(srv.port, "-ign_eof", stdin=b"GET / HTTP/1.0\r\n\r\n")
    assert "HTTP/1.0 200 OK" not in out, out
    rc, out = s_client(srv.port, "-ign_eof", "-cert", peers.fixture("client-rsa.crt"),
                       "-key", peers.fixture("client-rsa.key"),
                       "-cert_chain", peers.fixture("int-rsa.crt"),
                       stdin=b"GET / HTTP/1.0\r\n\r\n")
    assert rc == 0 and "HTTP/1.0 200 OK" in out, out + srv.log()


# ---- hostile peers --------------------------------------------------------

def test_silent_server_times_out(silent_server):
    rc, out = s_client(silent_server.port, seconds=2)
    assert rc == 124, out                      # killed by timeout(1)
    assert silent_server.accepted == 1


def test_half_hello_server_times_out(half_hello_server):
    rc, out = s_client(half_hello_server.port, seconds=2)
    assert rc == 124, out
    assert half_hello_server.received[0][:1] == b"\x16"   # a handshake record


def test_garbage_server_fails_handshake(garbage_server):
    rc, out = s_client(garbage_server.port)
    assert rc == 1, out
    assert "sent 1024 bytes" in garbage_server.log()


def test_closing_server_fails_handshake(closing_server):
    rc, out = s_client(closing_server.port)
    assert rc == 1, out
    assert closing_server.received[0][:1] == b"\x16"
    assert "closed connection" in closing_server.log()


def test_closed_port_refuses(closed_port):
    rc, out = s_client(closed_port)
    assert rc == 1, out
    assert "Connection refused" in out


def test_python_peer_stops():
    with peers.silent_server() as srv:
        port = srv.port
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


# ---- run_nsstls plumbing (with stand-ins for the binary) ------------------

def test_run_nsstls_plumbing(monkeypatch):
    monkeypatch.setenv("NSSTLS", "/bin/cat")
    monkeypatch.delenv("NSSTLS_WRAPPER", raising=False)
    r = peers.run_nsstls(input=b"abc\xff")
    assert r.returncode == 0
    assert r.stdout == "abc\ufffd" and r.stdout_bytes == b"abc\xff"

    monkeypatch.setenv("NSSTLS", "/usr/bin/printenv")
    monkeypatch.setenv("NSSTLS_WRAPPER", "env NSSTLS_SMOKE_A=1")
    monkeypatch.setenv("NSSTLS_SMOKE_B", "gone")
    r = peers.run_nsstls(env={"NSSTLS_SMOKE_B": None, "NSSTLS_SMOKE_C": 3})
    assert "NSSTLS_SMOKE_A=1" in r.stdout      # the wrapper ran first
    assert "NSSTLS_SMOKE_B" not in r.stdout
    assert "NSSTLS_SMOKE_C=3" in r.stdout

