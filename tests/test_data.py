"""The data phase and the output streams.

The report goes to stderr, application data from the server to stdout, stdin
goes to the server (curl's convention), --showcerts writes PEM to stdout.
Piped stdin is never interpreted; its EOF half-closes the write side and
nsstls exits when the server closes or the read timeout passes.
"""

import re
import socket
import ssl
import struct
import subprocess
import threading
import time

import pytest

import peers
from peers import BOUNDED, ROOTS

GET = b"GET / HTTP/1.0\r\n\r\n"
# Lines only the report has (a status page may well say "Protocol" or "Cipher").
REPORT_LINES = re.compile(r"^(Connected to .* port \d+|Trust sources:|Chain built by NSS|"
                          r"Verification: (OK|FAILED)|TLS handshake done|"
                          r"  Cipher suite {5,}TLS_)", re.M)


def line(text, pattern):
    return re.search(pattern, text, re.M) is not None


def assert_no_report(stdout):
    assert not REPORT_LINES.search(stdout), stdout


def s_server_done(srv):
    """Wait until s_server has logged the end of the connection; its log."""
    peers._poll(lambda: re.search(r"^(DONE|ERROR|CONNECTION CLOSED)$", srv.log(), re.M),
                5, "s_server to log the end of the connection")
    return srv.log()


# ---- HTTP request through stdin ------------------------------------------

def test_http_get_openssl_www(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1", "-www"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, f"localhost:{srv.port}", input=GET)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("HTTP/1.0 200"), r.stdout[:200]
    assert_no_report(r.stdout)
    assert line(r.stderr, r"^\s+Protocol\s+TLSv1\.3$"), r.stderr
    assert line(r.stderr, r"^Verification: OK\b"), r.stderr


def test_http_get_selfserv(nsstls, selfserv_server):
    srv = selfserv_server("server-ec")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, f"localhost:{srv.port}", input=GET)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("HTTP/1.0 200"), r.stdout[:200]
    assert_no_report(r.stdout)
    assert line(r.stderr, r"^Verification: OK\b"), r.stderr


def test_http_get_gnutls(nsstls, gnutls_server):
    srv = gnutls_server("server-rsa-chain.pem", "server-rsa.key")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, f"localhost:{srv.port}", input=GET)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("HTTP/1.0 200"), r.stdout[:200]
    assert_no_report(r.stdout)


def test_empty_stdin_exits_when_server_closes(nsstls, openssl_server):
    # `nsstls host </dev/null`: nothing to send, EOF half-closes, the server
    # closes, nsstls exits 0 with nothing on stdout.
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1", "-www"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, f"localhost:{srv.port}", input=b"")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""


# ---- echo: stdin to the server and back, byte for byte --------------------

def test_gnutls_echo(nsstls, gnutls_server):
    srv = gnutls_server("server-rsa-chain.pem", "server-rsa.key", args=["--echo"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, f"localhost:{srv.port}", input=b"hello\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout_bytes == b"hello\n"
    assert line(r.stderr, r"^Verification: OK\b"), r.stderr


@pytest.mark.parametrize("crlf,sent", [
    ([], b"hello\n"),
    (["--crlf"], b"hello\r\n"),
])
def test_crlf_echo(nsstls, _server_stack, crlf, sent):
    # gnutls-serv --echo rewrites line ends, so a Python TLS echo server
    # shows the bytes exactly as nsstls sent them.
    srv = _server_stack(peers.tls_echo_server())
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, *crlf, f"localhost:{srv.port}",
               input=b"hello\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout_bytes == sent
    assert b"".join(srv.received) == sent


@pytest.mark.parametrize("crlf,sent", [
    ([], b"hello\n"),
    (["--crlf"], b"hello\r\n"),
])
def test_crlf_seen_by_openssl(nsstls, openssl_server, crlf, sent):
    # s_server without -www prints what it receives.
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, *crlf, f"localhost:{srv.port}",
               input=b"hello\n")
    assert r.returncode == 0, r.stderr
    log = s_server_done(srv)
    got = re.search(r"^(hello\r?\n)", log, re.M)
    assert got and got.group(1).encode() == sent, repr(log[-300:])


def test_crlf_keeps_existing_crlf(nsstls, _server_stack):
    srv = _server_stack(peers.tls_echo_server())
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--crlf", f"localhost:{srv.port}",
               input=b"a\r\nb\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout_bytes in (b"a\r\nb\r\n", b"a\r\r\nb\r\n")
    # Documented behaviour: "translate LF into CRLF"; a CR already there is
    # the user's and is kept, so the line becomes CR CR LF or stays CR LF.


def test_binary_data_round_trip(nsstls, _server_stack):
    srv = _server_stack(peers.tls_echo_server())
    data = bytes(range(256)) * 200
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "-q", f"localhost:{srv.port}", input=data)
    assert r.returncode == 0, r.stderr
    assert r.stdout_bytes == data
    assert r.stderr == ""


def test_piped_tilde_lines_are_data(nsstls, _server_stack):
    # Interactive commands exist only on a terminal: piped "~R", "~K", "~."
    # go to the server unchanged and do nothing.
    srv = _server_stack(peers.tls_echo_server())
    data = b"~R\n~K\n~U\n~?\n~~x\n~.\nafter\n"
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, f"localhost:{srv.port}", input=data)
    assert r.returncode == 0, r.stderr
    assert r.stdout_bytes == data
    assert "Renegotiation" not in r.stderr
    assert "KeyUpdate" not in r.stderr


# ---- --no-data --------------------------------------------------------------

def test_no_data_sends_nothing(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", f"localhost:{srv.port}",
               input=b"SHOULD-NOT-BE-SENT\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    log = s_server_done(srv)
    assert "CIPHER is" in log, log            # the handshake happened
    assert "SHOULD-NOT-BE-SENT" not in log, log


def test_no_data_echo_server_gets_nothing(nsstls, _server_stack):
    srv = _server_stack(peers.tls_echo_server())
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", f"localhost:{srv.port}",
               input=b"SHOULD-NOT-BE-SENT\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    peers._poll(lambda: "client closed" in srv.log() or "handler error" in srv.log(),
                5, "the echo server to see the close")
    assert srv.received == [], srv.log()


# ---- --showcerts ------------------------------------------------------------

PEM = re.compile(r"-----BEGIN CERTIFICATE-----\n.*?-----END CERTIFICATE-----\n?", re.S)


@pytest.mark.parametrize("quiet", [[], ["-q"]])
def test_showcerts(nsstls, openssl_server, quiet):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--showcerts", "--no-data", *quiet,
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    blocks = PEM.findall(r.stdout)
    assert len(blocks) == 2, r.stdout
    assert_no_report(r.stdout)
    # Everything on stdout is PEM or "#" comment lines.
    rest = PEM.sub("", r.stdout)
    assert all(l == "" or l.startswith("#") for l in rest.splitlines()), rest
    # The chain sent is exactly the fixture's leaf + intermediate.
    want = peers._pem_blocks(peers.fixture("server-rsa-chain.pem"))
    assert [b.strip() for b in blocks] == [w.strip() for w in want]
    # ... and openssl parses it.
    subject = subprocess.run(["openssl", "x509", "-noout", "-subject"],
                             input=r.stdout, capture_output=True, text=True, timeout=10)
    assert subject.returncode == 0, subject.stderr
    assert "CN = nsstls Test Server RSA" in subject.stdout or \
        "CN=nsstls Test Server RSA" in subject.stdout, subject.stdout
    second = subprocess.run(["openssl", "x509", "-noout", "-subject"],
                            input=blocks[1], capture_output=True, text=True, timeout=10)
    assert "nsstls Test Intermediate RSA" in second.stdout, second.stdout
    if quiet:
        assert r.stderr == ""
    else:
        assert line(r.stderr, r"^Verification: OK\b"), r.stderr


@pytest.mark.parametrize("insecure,code", [([], 6), (["--insecure"], 0)])
def test_showcerts_on_verification_failure(nsstls, openssl_server, insecure, code):
    # The chain the server sent is most useful when it fails to verify
    # (`nsstls host --showcerts </dev/null | openssl x509 -noout -dates`).
    srv = openssl_server("server-unknown.crt", "server-unknown.key",
                         chain="server-unknown-chain.pem", args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--showcerts", "--no-data", *insecure,
               f"localhost:{srv.port}")
    assert r.returncode == code, r.stderr
    assert len(PEM.findall(r.stdout)) == 2, r.stdout


# ---- --quiet / --brief ------------------------------------------------------

def test_quiet_success(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1", "-www"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--quiet", f"localhost:{srv.port}", input=GET)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout.startswith("HTTP/1.0 200")


def test_quiet_still_prints_errors(nsstls, openssl_server):
    srv = openssl_server("expired.crt", "expired.key", chain="expired-chain.pem",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "-q", "--no-data", f"localhost:{srv.port}")
    assert r.returncode == 6, r.stderr
    assert r.stderr.splitlines()[-1] == \
        "nsstls: handshake: certificate verification failed (SEC_ERROR_EXPIRED_CERTIFICATE)"
    assert "Trust sources" not in r.stderr


def test_brief(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--brief", "--no-data", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 3, r.stderr
    assert re.match(rf"^Connected to localhost \(127\.0\.0\.1\) port {srv.port}: TLSv1\.3, "
                    r"TLS_AES_128_GCM_SHA256, x25519$", lines[0]), lines[0]
    assert lines[1].startswith("Certificate: CN=nsstls Test Server RSA"), lines[1]
    assert re.match(r"^Verification: OK\b", lines[2]), lines[2]


# ---- exit 7: I/O error after the handshake ---------------------------------

def test_read_timeout_is_exit_7(openssl_server):
    # s_server without -www sends nothing; stdin stays open (no EOF), so only
    # the read timeout can end the data phase.
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1"])
    r = peers.run_nsstls_stdin_open("--timeout", "1", "--connect-timeout", "2",
                                    "--ca-file", ROOTS, f"localhost:{srv.port}", timeout=15)
    assert r.returncode == 7, r.stderr
    last = r.stderr.rstrip("\n").splitlines()[-1]
    assert re.fullmatch(r"nsstls: data: no data from the server .*\(PR_IO_TIMEOUT_ERROR\)",
                        last), r.stderr
    assert line(r.stderr, r"^Verification: OK\b"), r.stderr


def test_server_data_then_timeout_is_exit_7(openssl_server):
    # The server sends something, then goes quiet: the data arrives on stdout
    # and the idle timeout still ends the run with 7.
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1"])

    def feed():
        peers._poll(lambda: "CIPHER is" in srv.log(), 5, "the handshake")
        srv.write("from-the-server\n")
    t = threading.Thread(target=feed, daemon=True)
    t.start()
    r = peers.run_nsstls_stdin_open("--timeout", "1", "--connect-timeout", "2",
                                    "--ca-file", ROOTS, f"localhost:{srv.port}", timeout=15)
    t.join(5)
    assert r.returncode == 7, r.stderr
    assert r.stdout == "from-the-server\n"
    assert "no data from the server" in r.stderr, r.stderr


def _tls_peer_then(after):
    """A Python TLS peer that sends b"partial" after the handshake, then
    does after(tls_socket)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(peers.fixture("server-rsa-chain.pem"), peers.fixture("server-rsa.key"))

    def handler(peer, conn):
        conn.settimeout(10)
        tls = ctx.wrap_socket(conn, server_side=True)
        tls.sendall(b"partial")
        peer._note("sent partial")
        # Let nsstls read the data before the connection goes away.
        time.sleep(0.2)
        after(peer, tls)
    return peers._py_peer("python TLS peer", handler)


def _reset(peer, tls):
    tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    tls.close()
    peer._note("closed (RST)")


def test_reset_after_handshake_is_exit_7(_server_stack):
    # The server resets the connection in the data phase: an I/O error after
    # the handshake (exit 7), with the reason, not a silent success.
    srv = _server_stack(_tls_peer_then(_reset))
    r = peers.run_nsstls_stdin_open("--timeout", "2", "--connect-timeout", "2",
                                    "--ca-file", ROOTS, f"localhost:{srv.port}", timeout=15)
    assert r.stdout == "partial"
    assert r.returncode == 7, r.stderr
    last = r.stderr.rstrip("\n").splitlines()[-1]
    assert re.fullmatch(r"nsstls: data: .* \(PR_CONNECT_RESET_ERROR\)", last), r.stderr


def test_clean_close_after_data_is_exit_0(_server_stack):
    def close_notify(peer, tls):
        tls.unwrap()
        tls.close()
        peer._note("closed (close_notify)")
    srv = _server_stack(_tls_peer_then(close_notify))
    r = peers.run_nsstls_stdin_open("--timeout", "2", "--connect-timeout", "2",
                                    "--ca-file", ROOTS, f"localhost:{srv.port}", timeout=15)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "partial"


def test_bulk_echo_round_trip(_server_stack):
    """32 MiB piped to a server that echoes every byte: nsstls keeps reading
    while its own writes wait, so neither side blocks on a full buffer."""
    srv = _server_stack(peers.tls_echo_server())
    data = bytes(range(256)) * (128 * 1024)
    r = peers.run_nsstls("--timeout", "5", "--connect-timeout", "2", "--ca-file", ROOTS,
                         "-q", f"localhost:{srv.port}", input=data, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout_bytes == data
