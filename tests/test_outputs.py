"""Outputs (issue 9, items 9-11): every write checked, --save-chain paths,
a close without close_notify.

* A write to stdout that fails (/dev/full, a closed descriptor) is never
  silent: "nsstls: cannot write to stdout: ..." on stderr, exit 7 (--check:
  3), in every mode.  A reader that goes away (EPIPE) ends the run quietly
  and at once: same status, no message, no more targets started.
* --save-chain / --save-chain-verified are checked before connecting and
  written to a temporary file renamed into place.
* A server that closes without close_notify in the data phase is said to,
  and the run still succeeds.
"""

import contextlib
import os
import socket
import ssl
import subprocess
import time

import pytest

import peers
from peers import BOUNDED, ROOTS

CA = ("--ca-file", ROOTS)
CHAIN = peers.fixture("server-rsa-chain.pem")
GET = b"GET / HTTP/1.0\r\n\r\n"
ENOSPC = "nsstls: cannot write to stdout: No space left on device"
TRUNCATED = "The server closed without close_notify (the data may be truncated)"


def run_redirected(args, redirect, input=b"", timeout=30):
    """nsstls with a shell redirection of its own streams (">/dev/full",
    ">&-", "2>/dev/full"); stdout/stderr that stay are captured."""
    argv = peers.nsstls_command() + [str(a) for a in args]
    cmd = 'exec "$@" ' + redirect
    return subprocess.run(["sh", "-c", cmd, "sh", *argv], input=input,
                          capture_output=True, timeout=timeout,
                          env=peers.without_proxy_env(os.environ))


def tls_peer(after, payload=b"hello\n"):
    """A Python TLS server: after the handshake it sends payload, then
    after(peer, tls) decides how the connection ends.  .accepted counts
    the connections."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CHAIN, peers.fixture("server-rsa.key"))

    def handler(peer, conn):
        conn.settimeout(10)
        tls = ctx.wrap_socket(conn, server_side=True)
        if payload:
            tls.sendall(payload)
            peer._note(f"sent {len(payload)} bytes")
        after(peer, tls)
    return peers._py_peer("python TLS peer", handler)


def fin_without_close_notify(peer, tls):
    """Close TCP under TLS: FIN, no close_notify (as a server that exits,
    or an HTTP/1.0 server that just closes, does)."""
    time.sleep(0.2)       # let nsstls read the data first
    raw = socket.socket(fileno=tls.detach())
    raw.shutdown(socket.SHUT_RDWR)
    raw.close()
    peer._note("closed TCP without close_notify")


def close_notify(peer, tls):
    time.sleep(0.2)
    with contextlib.suppress(OSError):
        tls.unwrap()
    tls.close()
    peer._note("closed with close_notify")


def wait_for_client_close(peer, tls):
    """Serve nothing more; end when nsstls closes."""
    with contextlib.suppress(OSError):
        while tls.recv(4096):
            pass
    tls.close()


@pytest.fixture
def www(openssl_server):
    return openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                          args=["-www"])


# ---- item 9: a stdout that cannot be written --------------------------------------

@pytest.mark.parametrize("args", [
    ["--version"],
    ["--help"],
    ["--list-ciphers"],
    ["--print-cert", CHAIN, *CA, "--json"],
], ids=["version", "help", "list-ciphers", "print-cert-json"])
def test_full_stdout_offline_modes(args):
    r = run_redirected(args, ">/dev/full")
    assert r.returncode == 7, r.stderr
    assert r.stderr.decode().splitlines()[-1] == ENOSPC, r.stderr


@pytest.mark.parametrize("args", [
    ["--version"],
    ["--help"],
    ["--list-ciphers"],
    ["--print-cert", CHAIN, *CA, "--json"],
], ids=["version", "help", "list-ciphers", "print-cert-json"])
def test_closed_stdout_offline_modes(args):
    # A closed stdout is not a place the output went: the write fails
    # (EBADF, or whatever descriptor start-up put there refuses it).
    r = run_redirected(args, ">&-")
    assert r.returncode == 7, r.stderr
    last = r.stderr.decode().splitlines()[-1]
    assert last.startswith("nsstls: cannot write to stdout: "), r.stderr


def test_full_stdout_json(www):
    r = run_redirected([*BOUNDED, *CA, "--json", f"localhost:{www.port}"], ">/dev/full")
    assert r.returncode == 7, r.stderr
    assert r.stderr.decode() == ENOSPC + "\n"


def test_full_stdout_check_is_unknown(www):
    r = run_redirected([*BOUNDED, *CA, "--check", f"localhost:{www.port}"], ">/dev/full")
    assert r.returncode == 3, r.stderr
    assert r.stderr.decode() == ENOSPC + "\n"


def test_full_stdout_check_json_is_unknown(www):
    r = run_redirected([*BOUNDED, *CA, "--check", "--json", f"localhost:{www.port}"],
                       ">/dev/full")
    assert r.returncode == 3, r.stderr
    assert r.stderr.decode() == ENOSPC + "\n"


def test_full_stdout_many_targets(www):
    targets = [f"localhost:{www.port}"] * 3
    r = run_redirected([*BOUNDED, *CA, "--json", *targets], ">/dev/full")
    assert r.returncode == 7, r.stderr
    # Said once, though every target's document was lost.
    assert r.stderr.decode() == ENOSPC + "\n"


def test_full_stdout_data_phase(www):
    r = run_redirected([*BOUNDED, *CA, f"localhost:{www.port}"], ">/dev/full", input=GET)
    assert r.returncode == 7, r.stderr
    err = r.stderr.decode()
    assert err.splitlines()[-1] == \
        "nsstls: data: cannot write to stdout: No space left on device", err
    assert err.count("cannot write") == 1, err
    assert "Verification: OK" in err         # the report was out before


def test_full_stdout_showcerts(www):
    r = run_redirected([*BOUNDED, *CA, "--showcerts", "--no-data",
                        f"localhost:{www.port}"], ">/dev/full")
    assert r.returncode == 7, r.stderr
    err = r.stderr.decode()
    assert err.splitlines()[-1] == ("nsstls: done: cannot write the certificates to "
                                    "stdout: No space left on device"), err
    assert err.count("cannot write") == 1, err


def test_full_stdout_keeps_a_failure_status():
    # The run failed already (the chain does not verify without the CA):
    # its status stays, and the lost output is still said.
    r = run_redirected(["--print-cert", CHAIN, "--json"], ">/dev/full")
    assert r.returncode == 6, r.stderr
    assert r.stderr.decode().splitlines()[-1] == ENOSPC, r.stderr


def test_full_stderr_is_exit_7(www):
    # The report is the output in connect mode: lost, the run did not do
    # its job, and there is nowhere to say so but the status.
    r = run_redirected([*BOUNDED, *CA, f"localhost:{www.port}"], "2>/dev/full", input=GET)
    assert r.returncode == 7, r.stderr
    assert b"HTTP/1.0 200 ok" in r.stdout


def test_stdout_ok_is_exit_0(www):
    # The same runs with a working stdout: the checks do not fire wrongly.
    r = run_redirected([*BOUNDED, *CA, "--json", f"localhost:{www.port}"], ">/dev/null")
    assert r.returncode == 0, r.stderr
    assert r.stderr == b""
    r = run_redirected(["--version"], ">/dev/null")
    assert (r.returncode, r.stderr) == (0, b"")


def _run_reading(args, nbytes, input=b"", timeout=60):
    """nsstls with stdout a pipe whose reader takes nbytes and goes away.
    Returns (returncode, stderr, seconds from the read to the exit)."""
    argv = peers.nsstls_command() + [str(a) for a in args]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=peers.without_proxy_env(os.environ))
    try:
        proc.stdin.write(input)
        proc.stdin.close()
        got = proc.stdout.read(nbytes)
        assert len(got) == nbytes, got
        proc.stdout.close()          # the reader goes away
        t0 = time.monotonic()
        proc.wait(timeout=timeout)
        took = time.monotonic() - t0
        return proc.returncode, proc.stderr.read().decode(), took
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def test_closed_pipe_many_targets_ends_quickly(tmp_path):
    # `nsstls --json --targets 50 | head -c 100`: once the reader is gone,
    # no more targets start; the run ends quietly with 7.
    with tls_peer(wait_for_client_close, payload=b"") as srv:
        targets = tmp_path / "targets"
        targets.write_text(f"localhost:{srv.port}\n" * 50)
        code, err, took = _run_reading([*BOUNDED, *CA, "--json", "-j", "2",
                                        "--targets", targets], 100)
        accepted = srv.accepted
    assert code == 7, err
    assert err == "", err                  # quietly: no "Broken pipe"
    assert accepted < 20, f"{accepted} of 50 targets were connected to"
    assert took < 10, took


def test_closed_pipe_data_phase_ends_quietly():
    # The server sends far more than a pipe holds and keeps the connection
    # open; the reader takes 100 bytes and goes.
    def stay(peer, tls):
        peer.stall()
    with tls_peer(stay, payload=b"x" * (4 << 20)) as srv:
        code, err, took = _run_reading([*BOUNDED, *CA, f"localhost:{srv.port}"], 100)
    assert code == 7, err
    assert "cannot write" not in err and "Broken pipe" not in err, err
    assert "Verification: OK" in err      # the report came before
    assert took < 5, took


# ---- item 10: --save-chain paths --------------------------------------------------

def _no_connection_run(nsstls, *args):
    """Run against a listening peer; returns (result, connections made)."""
    with tls_peer(close_notify) as srv:
        r = nsstls(*BOUNDED, *CA, "--no-data", *args, f"localhost:{srv.port}")
        time.sleep(0.1)
        return r, srv.accepted


@pytest.mark.parametrize("option", ["--save-chain", "--save-chain-verified"])
def test_save_chain_empty_is_usage(nsstls, option):
    r, accepted = _no_connection_run(nsstls, f"{option}=")
    assert r.returncode == 1, r.stderr
    assert r.stderr.splitlines()[0] == f"nsstls: {option} needs a file name", r.stderr
    assert accepted == 0


@pytest.mark.parametrize("second", ["same.pem", "./same.pem", "sub/../same.pem"])
def test_save_chain_same_file_is_usage(nsstls, tmp_path, second):
    (tmp_path / "sub").mkdir()
    first = tmp_path / "same.pem"
    r, accepted = _no_connection_run(nsstls, "--save-chain", first,
                                     "--save-chain-verified", f"{tmp_path}/{second}")
    assert r.returncode == 1, r.stderr
    assert "name the same file" in r.stderr.splitlines()[0], r.stderr
    assert accepted == 0
    assert not first.exists()


@pytest.mark.parametrize("where,why", [
    ("no-such-dir/chain.pem", "No such file or directory"),
    ("a-file/chain.pem", "Not a directory"),
    ("a-dir", "Is a directory"),
])
def test_save_chain_unwritable_before_connecting(nsstls, tmp_path, where, why):
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "a-dir").mkdir()
    path = tmp_path / where
    r, accepted = _no_connection_run(nsstls, "--save-chain-verified", path)
    assert r.returncode == 2, r.stderr
    assert r.stderr == f"nsstls: setup: cannot write --save-chain-verified {path}: {why}\n"
    assert accepted == 0


def test_save_chain_unwritable_json(nsstls, tmp_path):
    path = tmp_path / "no-such-dir" / "chain.pem"
    r, accepted = _no_connection_run(nsstls, "--json", "--save-chain", path)
    assert r.returncode == 2, r.stderr
    doc = peers.json_documents(r.stdout_bytes)[0]
    assert doc["outcome"]["phase"] == "setup"
    assert str(path) in doc["outcome"]["message"]
    assert accepted == 0


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_save_chain_mode_from_umask(tmp_path, umask, mode):
    sent, built = tmp_path / "sent.pem", tmp_path / "built.pem"
    r = subprocess.run(["sh", "-c", f"umask {umask:03o}; exec \"$@\"", "sh",
                        *peers.nsstls_command(), "--print-cert", CHAIN, *CA,
                        "--save-chain", str(sent), "--save-chain-verified", str(built)],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    # The files are new ones (renamed into place): the umask decides.
    for p in (sent, built):
        assert os.stat(p).st_mode & 0o777 == mode, oct(os.stat(p).st_mode)
    # Nothing but the two files is left in the directory (no temporary).
    assert sorted(os.listdir(tmp_path)) == ["built.pem", "sent.pem"]


def test_save_chain_replaces_a_symlink_not_its_target(nsstls, tmp_path):
    # The file is renamed into place: a symlink at the name is replaced,
    # and what it pointed to is not written through.
    victim = tmp_path / "victim"
    victim.write_text("untouched\n")
    link = tmp_path / "chain.pem"
    link.symlink_to(victim)
    r = nsstls("--print-cert", CHAIN, *CA, "--save-chain", link)
    assert r.returncode == 0, r.stderr
    assert victim.read_text() == "untouched\n"
    assert not link.is_symlink()
    assert "BEGIN CERTIFICATE" in link.read_text()


def test_save_chain_to_a_stream(nsstls):
    # A device or /dev/fd/N (the shell's >(...)) is written, not replaced.
    r = nsstls("--print-cert", CHAIN, *CA, "--save-chain", "/dev/stdout")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("-----BEGIN CERTIFICATE-----") == 2, r.stdout


def test_save_chain_fifo_without_reader_does_not_hang(nsstls, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    r = nsstls("--print-cert", CHAIN, *CA, "--save-chain", fifo, timeout=10)
    assert r.returncode == 7, r.stderr
    assert r.stderr.splitlines()[-1] == (f"nsstls: done: cannot write the certificates "
                                         f"to {fifo}: No such device or address")


def test_save_chain_write_failure_one_line(nsstls):
    # Past the check, the write fails (a full device): one line, with its
    # phase, and status 7.
    r = nsstls("--print-cert", CHAIN, *CA, "--save-chain", "/dev/full")
    assert r.returncode == 7, r.stderr
    lines = [l for l in r.stderr.splitlines() if l.startswith("nsstls: ")]
    assert lines == ["nsstls: done: cannot write the certificates to /dev/full: "
                     "No space left on device"], r.stderr


def test_save_chain_write_failure_after_connecting_one_line(nsstls):
    with tls_peer(close_notify) as srv:
        r = nsstls(*BOUNDED, *CA, "--no-data", "--save-chain", "/dev/full",
                   f"localhost:{srv.port}")
    assert r.returncode == 7, r.stderr
    lines = [l for l in r.stderr.splitlines() if l.startswith("nsstls: ")]
    assert lines == ["nsstls: done: cannot write the certificates to /dev/full: "
                     "No space left on device"], r.stderr


# ---- item 11: a close without close_notify ----------------------------------------

def test_close_without_close_notify_is_said(nsstls):
    with tls_peer(fin_without_close_notify) as srv:
        r = peers.run_nsstls_stdin_open(*BOUNDED, *CA, f"localhost:{srv.port}",
                                        timeout=20)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello\n"
    assert TRUNCATED in r.stderr.splitlines(), r.stderr


def test_close_without_close_notify_verbose(nsstls):
    with tls_peer(fin_without_close_notify) as srv:
        r = nsstls(*BOUNDED, *CA, "-v", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert "Connection closed by the server: 0 bytes sent, 6 bytes received" in r.stderr
    assert TRUNCATED in r.stderr.splitlines(), r.stderr


def test_close_with_close_notify_is_not_truncated(nsstls):
    with tls_peer(close_notify) as srv:
        r = peers.run_nsstls_stdin_open(*BOUNDED, *CA, f"localhost:{srv.port}",
                                        timeout=20)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello\n"
    assert "close_notify" not in r.stderr, r.stderr


def test_openssl_www_closes_cleanly(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-www", "-naccept", "1"])
    r = nsstls(*BOUNDED, *CA, "-v", f"localhost:{srv.port}", input=GET)
    assert r.returncode == 0, r.stderr
    assert "Connection closed by the server" in r.stderr, r.stderr
    assert TRUNCATED not in r.stderr, r.stderr
