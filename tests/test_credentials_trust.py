"""Client credentials never change trust, and never touch the disk
(issue 8 item 2, issue 9 item 1; DESIGN.md "Verdict invariants" and
"Safety invariants").

A PKCS#12 file may carry CA certificates (openssl pkcs12 -export -certfile /
-chain): tests/fixtures/client-rsa-{none,int,root,both}.p12 carry no CA,
int-rsa, root-rsa, and both.  Those CAs are only sent with the client
certificate: the same root given by --ca-file stays a trust anchor (it was
once turned into "known but not trusted", and every server failed), and an
intermediate of the file does not complete a server chain that lacks it.

The key of --pkcs12 and --key is an NSS session object: nothing is written
to disk, not even while a handshake is pending when the process is killed.
"""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

import peers
from peers import BOUNDED, P12_PASSWORD, ROOTS, fixture

GET = b"GET / HTTP/1.0\r\n\r\n"
BUNDLES = ["none", "int", "root", "both"]
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
CLIENT = "depth=0 O = nsstls tests, CN = nsstls Test Client RSA"


def p12_args(bundle):
    """--pkcs12 for one bundle; a bundle without int-rsa gets it from
    --cert-chain, so that every bundle can pass the server's check."""
    args = ["--pkcs12", fixture(f"client-rsa-{bundle}.p12"), "--pass", f"pass:{P12_PASSWORD}"]
    if bundle in ("none", "root"):
        args += ["--cert-chain", fixture("int-rsa.crt")]
    return args


def mtls_server(openssl_server, chain="server-rsa-chain.pem", extra=()):
    """server-rsa (int-rsa, root-rsa: the CAs the bundles carry), TLS 1.2 so
    that the server's check of the client certificate is part of the
    handshake, requiring a client certificate that chains to roots.pem."""
    return openssl_server("server-rsa.crt", "server-rsa.key", chain=chain,
                          args=["-naccept", "1", "-tls1_2", "-Verify", "2",
                                "-verify_return_error", "-CAfile", ROOTS, *extra])


def assert_client_accepted(srv):
    log = peers.wait_for_log(srv, CLIENT)
    assert "verify error" not in log, log


def last_line(r):
    lines = r.stderr.rstrip("\n").splitlines()
    return lines[-1] if lines else ""


# ---- 1. a CA in the credential does not change the server's verdict ---------

@pytest.mark.parametrize("bundle", BUNDLES)
def test_connect(nsstls, openssl_server, bundle):
    srv = mtls_server(openssl_server, extra=["-www"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, *p12_args(bundle), f"localhost:{srv.port}",
               input=GET)
    assert r.returncode == 0, r.stderr
    assert "Verification: OK" in r.stderr, r.stderr
    assert "not trusted" not in r.stderr, r.stderr
    assert r.stdout.startswith("HTTP/1.0 200 ok"), r.stdout
    assert_client_accepted(srv)


@pytest.mark.parametrize("bundle", BUNDLES)
def test_check(nsstls, openssl_server, bundle):
    srv = mtls_server(openssl_server)
    r = nsstls(*BOUNDED, "--check", "--ca-file", ROOTS, *p12_args(bundle),
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("TLS OK - "), r.stdout
    assert_client_accepted(srv)


@pytest.mark.skipif(not os.path.exists(SYSTEM_BUNDLE), reason="no system CA bundle")
@pytest.mark.parametrize("bundle", BUNDLES)
def test_trust_system_and_ca_file(nsstls, openssl_server, bundle):
    srv = mtls_server(openssl_server)
    r = nsstls(*BOUNDED, "--no-data", "--trust", "system", "--ca-file", ROOTS,
               *p12_args(bundle), f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert "Verification: OK" in r.stderr, r.stderr
    assert_client_accepted(srv)


@pytest.mark.parametrize("bundle", BUNDLES)
def test_print_cert(nsstls, bundle):
    r = nsstls("--print-cert", fixture("server-rsa-chain.pem"), "--ca-file", ROOTS,
               *p12_args(bundle), "--verify-name", "localhost")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "not trusted" not in r.stdout + r.stderr


def test_cert_chain_file_with_the_root(nsstls, openssl_server, tmp_path):
    """--cert-chain is a credential too: the root in it is only sent."""
    chain = peers.pem_bundle(tmp_path / "chain.pem", "int-rsa.crt", "root-rsa.crt")
    srv = mtls_server(openssl_server, extra=["-www"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--cert", fixture("client-rsa.crt"),
               "--key", fixture("client-rsa.key"), "--cert-chain", chain,
               f"localhost:{srv.port}", input=GET)
    assert r.returncode == 0, r.stderr
    assert "Verification: OK" in r.stderr, r.stderr
    assert r.stdout.startswith("HTTP/1.0 200 ok"), r.stdout
    assert_client_accepted(srv)


@pytest.mark.parametrize("bundle", ["int", "both"])
@pytest.mark.parametrize("mode", [[], ["--check"]], ids=["connect", "check"])
def test_missing_intermediate_is_not_completed_by_the_credential(
        nsstls, openssl_server, bundle, mode):
    """server-rsa sends its leaf only; the bundle holds the intermediate the
    server left out.  The server's chain stays incomplete: exit 6 (--check:
    CRITICAL), as without the credential."""
    srv = openssl_server("server-rsa.crt", "server-rsa.key",
                         args=["-naccept", "1", "-tls1_2"])
    r = nsstls(*BOUNDED, "--no-data", *mode, "--ca-file", ROOTS, *p12_args(bundle),
               f"localhost:{srv.port}")
    if mode:
        assert r.returncode == 2, r.stdout + r.stderr
        assert r.stdout.startswith("TLS CRITICAL - "), r.stdout
    else:
        assert r.returncode == 6, r.stderr
        assert "Verification: OK" not in r.stderr, r.stderr


# ---- 2. no key on disk ------------------------------------------------------

def nsstls_entries(d):
    """nsstls-* in d (the old scratch databases were /tmp/nsstls-XXXXXX); the
    test harness's own nsstls-peer-* work directories are not nsstls's."""
    return {p.name for p in Path(d).iterdir()
            if p.name.startswith("nsstls-") and not p.name.startswith("nsstls-peer-")}


def open_paths(pid):
    """What the process's descriptors point at (files, sockets, pipes)."""
    paths = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            paths.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    return paths


CREDENTIALS = {
    "pkcs12": ["--pkcs12", fixture("client-rsa-int.p12"), "--pass", f"pass:{P12_PASSWORD}"],
    "pem": ["--cert", fixture("client-rsa-chain.pem"), "--key", fixture("client-rsa.key")],
    "encrypted-pem": ["--cert", fixture("client-rsa-chain.pem"),
                      "--key", fixture("client-rsa.p8enc.key"), "--pass", "pass:nsstls"],
}


@pytest.mark.parametrize("cred", ["pkcs12", "pem"])
def test_killed_mid_handshake_leaves_nothing(silent_server, tmp_path, cred):
    """nsstls waits for a ServerHello that never comes, with its key loaded;
    SIGKILL gives it no chance to clean up.  Nothing of it may remain in
    TMPDIR or /tmp, and while it waited it had no file open there."""
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    before = nsstls_entries("/tmp")
    env = peers.without_proxy_env(os.environ)
    env["TMPDIR"] = str(tmpdir)
    argv = peers.nsstls_command() + ["--timeout", "30", "--ca-file", ROOTS,
                                     *CREDENTIALS[cred], f"localhost:{silent_server.port}"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 10
        while silent_server.accepted == 0 and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode(errors="replace")
            time.sleep(0.02)
        assert silent_server.accepted == 1, "nsstls never connected"
        held = open_paths(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    on_disk = [p for p in held if p.startswith(("/tmp", str(tmpdir)))]
    assert on_disk == [], held
    assert list(tmpdir.iterdir()) == []
    # Other sessions' runs may create and remove nsstls-* in /tmp meanwhile;
    # what our killed run left there would stay.
    deadline = time.monotonic() + 3
    while (new := nsstls_entries("/tmp") - before) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert new == set(), new


WRITE_INTENT = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC")
# Write-opening a terminal or /dev/null writes nothing to disk.
NOT_DISK = ("/dev/null", "/dev/tty")


def write_opens(log):
    """The file system calls of an strace log that could write to disk."""
    found = []
    for line in log.splitlines():
        m = re.search(r'\b(open|openat|openat2|creat|mkdir|mkdirat|rename|renameat2?|'
                      r'link|linkat|symlink|symlinkat|truncate)\((.*)', line)
        if not m or "= -1 " in line or "<unfinished ...>" in line:
            continue
        call, rest = m.groups()
        path = re.search(r'"([^"]*)"', rest)
        path = path.group(1) if path else ""
        if call.startswith("open") and not WRITE_INTENT.search(rest):
            continue
        if path in NOT_DISK:
            continue
        found.append(line)
    return found


@pytest.mark.skipif(not Path("/usr/bin/strace").exists(), reason="strace is not installed")
@pytest.mark.parametrize("cred", list(CREDENTIALS))
def test_strace_no_write_open(openssl_server, tmp_path, cred):
    """A whole mutual-TLS run under strace -f -e trace=%file: no open with
    write intent, no creat/mkdir/rename/link anywhere (there is no output
    file in this run)."""
    srv = mtls_server(openssl_server, extra=["-www"])
    log = tmp_path / "strace.log"
    env = peers.without_proxy_env(os.environ)
    env["TMPDIR"] = str(tmp_path)
    # LeakSanitizer cannot run under ptrace; the other tests check leaks.
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    argv = ["strace", "-f", "-qq", "-e", "trace=%file", "-o", str(log),
            *peers.nsstls_command(), *BOUNDED, "--ca-file", ROOTS, *CREDENTIALS[cred],
            f"localhost:{srv.port}"]
    r = subprocess.run(argv, input=GET, capture_output=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    assert r.stdout.startswith(b"HTTP/1.0 200 ok"), r.stdout
    assert_client_accepted(srv)
    text = log.read_text()
    assert "execve(" in text and "openat(" in text, text[:2000]
    assert write_opens(text) == []
