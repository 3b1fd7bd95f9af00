"""Interactive commands: recognised only when stdin is a terminal (a pty
here), never in piped data."""
import os
import pty
import select
import subprocess
import time

import peers

FIX = peers.fixture


def spawn_on_pty(*args):
    """Start nsstls with a pseudo-terminal as stdin; stdout and stderr are
    pipes.  Returns (process, master fd)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(peers.nsstls_command() + list(args), stdin=slave,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(slave)
    return proc, master


def wait_for(stream, pattern, timeout=10):
    """Read from a pipe until pattern appears; returns all text read."""
    buf = b""
    deadline = time.monotonic() + timeout
    while pattern.encode() not in buf:
        left = deadline - time.monotonic()
        assert left > 0, f"{pattern!r} not seen; got: {buf.decode(errors='replace')}"
        ready, _, _ = select.select([stream], [], [], left)
        if ready:
            chunk = os.read(stream.fileno(), 4096)
            assert chunk, f"stream closed before {pattern!r}; got: {buf.decode()}"
            buf += chunk
    return buf.decode(errors="replace")


def finish(proc, master):
    try:
        out, err = proc.communicate(timeout=10)
    finally:
        os.close(master)
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def test_terminal_renegotiate_then_quit(openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-tls1_2", "-client_renegotiation"])
    proc, master = spawn_on_pty("--ca-file", FIX("roots.pem"), "--brief",
                                f"localhost:{srv.port}")
    try:
        wait_for(proc.stderr, "commands")
        os.write(master, b"~R\n")
        wait_for(proc.stderr, "renegotiated")
        os.write(master, b"~.\n")
    finally:
        code, out, err = finish(proc, master)
    assert code == 0, err
    assert "~R" not in srv.log()


def test_terminal_key_update_and_help(openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-tls1_3"])
    proc, master = spawn_on_pty("--ca-file", FIX("roots.pem"), "--brief",
                                f"localhost:{srv.port}")
    try:
        wait_for(proc.stderr, "commands")
        os.write(master, b"~?\n")
        wait_for(proc.stderr, "~U")
        os.write(master, b"~U\n")
        wait_for(proc.stderr, "KeyUpdate sent")
        # A refused action is reported and the session goes on.
        os.write(master, b"~R\n")
        wait_for(proc.stderr, "no renegotiation")
        os.write(master, b"hello\n")
        os.write(master, b"~.\n")
    finally:
        code, out, err = finish(proc, master)
    assert code == 0, err
    # The data line reached the server; the commands did not.
    deadline = time.monotonic() + 5
    while "hello" not in srv.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "hello" in srv.log()
    assert "~U" not in srv.log() and "~?" not in srv.log()


def test_terminal_tilde_escape(openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt")
    proc, master = spawn_on_pty("--ca-file", FIX("roots.pem"), "--brief",
                                f"localhost:{srv.port}")
    try:
        wait_for(proc.stderr, "commands")
        os.write(master, b"~~R literal\n")
        deadline = time.monotonic() + 5
        while "~R literal" not in srv.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.write(master, b"~.\n")
    finally:
        code, out, err = finish(proc, master)
    assert code == 0, err
    assert "~R literal" in srv.log()


def test_piped_commands_are_data(gnutls_server):
    srv = gnutls_server("server-rsa-chain.pem", "server-rsa.key", args=["--echo"])
    r = peers.run_nsstls("--ca-file", FIX("roots.pem"), "-q", "--timeout", "3",
                         f"localhost:{srv.port}", input=b"~R\n~.\nafter\n")
    assert "~R\n~.\nafter\n" in r.stdout
    assert "renegotiat" not in r.stderr
