"""Servers that misbehave, and servers that are not there.

nsstls must never hang: each case ends within the subprocess timeout
(subprocess.TimeoutExpired would fail the test), exits with the code of the
phase (3 could not reach the server, 5 handshake failed) and prints one
error line "nsstls: PHASE: what happened (NSS_ERROR_NAME)".
"""

import re
import socket

import pytest

import peers
from peers import ROOTS

# Generous bound for the whole process; the handshake timeout is 1 s.
PROCESS_TIMEOUT = 15


def error_line(stderr):
    lines = [l for l in stderr.splitlines() if l.startswith("nsstls: ")]
    assert len(lines) == 1, stderr
    return lines[0]


def run(nsstls, *args):
    return nsstls("--timeout", "1", "--connect-timeout", "2", *args,
                  timeout=PROCESS_TIMEOUT)


def test_silent_server_times_out(nsstls, silent_server):
    r = run(nsstls, "--ca-file", ROOTS, "--no-data", f"localhost:{silent_server.port}")
    assert r.returncode == 5, r.stderr
    err = error_line(r.stderr)
    assert re.fullmatch(r"nsstls: handshake: .*\bin time\b.* \(PR_IO_TIMEOUT_ERROR\)", err), err
    assert silent_server.accepted == 1


def test_silent_server_times_out_without_no_data(nsstls, silent_server):
    # Same, with the data phase requested: the handshake still times out.
    r = run(nsstls, "--ca-file", ROOTS, f"localhost:{silent_server.port}")
    assert r.returncode == 5, r.stderr
    assert error_line(r.stderr).endswith("(PR_IO_TIMEOUT_ERROR)"), r.stderr


def test_half_hello_times_out(nsstls, half_hello_server):
    r = run(nsstls, "--ca-file", ROOTS, "--no-data", f"localhost:{half_hello_server.port}")
    assert r.returncode == 5, r.stderr
    err = error_line(r.stderr)
    assert re.fullmatch(r"nsstls: handshake: .* \(PR_IO_TIMEOUT_ERROR\)", err), err
    # The server did get a ClientHello (a TLS handshake record).
    assert half_hello_server.received and half_hello_server.received[0][:1] == b"\x16"


def test_garbage_is_not_tls(nsstls, garbage_server):
    r = run(nsstls, "--ca-file", ROOTS, "--no-data", f"localhost:{garbage_server.port}")
    assert r.returncode == 5, r.stderr
    err = error_line(r.stderr)
    assert err.startswith("nsstls: handshake: "), err
    assert "not TLS" in err, err
    assert re.search(r"\(SSL_ERROR_(RX_RECORD_TOO_LONG|RX_UNKNOWN_RECORD_TYPE|"
                     r"RX_MALFORMED_\w+|BAD_SERVER|\w+)\)$", err), err


def test_small_garbage_is_not_tls(nsstls, _server_stack):
    # 40 bytes of an HTTP answer, then close.
    srv = _server_stack(peers.garbage_server(size=40))
    r = run(nsstls, "--ca-file", ROOTS, "--no-data", f"localhost:{srv.port}")
    assert r.returncode == 5, r.stderr
    err = error_line(r.stderr)
    assert err.startswith("nsstls: handshake: "), err
    assert "not TLS" in err, err
    assert re.search(r"\(SSL_ERROR_\w+\)$", err), err


def test_closing_server(nsstls, closing_server):
    r = run(nsstls, "--ca-file", ROOTS, "--no-data", f"localhost:{closing_server.port}")
    assert r.returncode == 5, r.stderr
    err = error_line(r.stderr)
    assert err == ("nsstls: handshake: the server closed the connection during the "
                   "handshake (PR_END_OF_FILE_ERROR)"), err


def test_resetting_server(nsstls, _server_stack):
    srv = _server_stack(peers.closing_server(reset=True))
    r = run(nsstls, "--ca-file", ROOTS, "--no-data", f"localhost:{srv.port}")
    assert r.returncode == 5, r.stderr
    err = error_line(r.stderr)
    assert err.startswith("nsstls: handshake: "), err
    assert re.search(r"\(PR_(CONNECT_RESET|END_OF_FILE)_ERROR\)$", err), err


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_closed_port_is_refused(nsstls, closed_port, host):
    r = run(nsstls, "--no-data", f"{host}:{closed_port}")
    assert r.returncode == 3, r.stderr
    err = error_line(r.stderr)
    assert err.startswith("nsstls: connect: "), err
    assert "connection refused" in err, err
    assert err.endswith("(PR_CONNECT_REFUSED_ERROR)"), err
    assert str(closed_port) in err, err


def test_unresolvable_name(nsstls):
    r = run(nsstls, "--no-data", "no-such-host.invalid:443")
    assert r.returncode == 3, r.stderr
    err = error_line(r.stderr)
    assert err.startswith("nsstls: resolve: "), err
    assert "no-such-host.invalid" in err, err
    assert re.search(r"\(PR_\w+_ERROR\)$", err), err


@pytest.fixture
def black_hole():
    """A loopback port whose accept queue is full: the kernel drops new SYNs,
    so a connect there times out (no RST, unlike a closed port)."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(0)
    port = ls.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            fillers.append(c)
        probe = socket.socket()
        probe.settimeout(0.3)
        try:
            probe.connect(("127.0.0.1", port))
            pytest.skip("the kernel accepted a connection on a full accept queue")
        except socket.timeout:
            pass
        finally:
            probe.close()
        yield port
    finally:
        for c in fillers:
            c.close()
        ls.close()


@pytest.mark.parametrize("value", ["1", "500ms", "0.5"])
def test_connect_timeout(nsstls, black_hole, value):
    r = nsstls("--connect-timeout", value, "--timeout", "1", "--no-data",
               f"127.0.0.1:{black_hole}", timeout=PROCESS_TIMEOUT)
    assert r.returncode == 3, r.stderr
    err = error_line(r.stderr)
    assert err.startswith("nsstls: connect: "), err
    assert "timed out" in err, err
    assert re.search(r"\(PR_(IO|CONNECT)_TIMEOUT_ERROR\)$", err), err
