"""Local inputs that must not hurt: the key log (secrets only into a private
regular file), closed standard streams (nothing but TLS on the wire), and
file inputs that are huge (/dev/zero) or never deliver (a FIFO): each ends
quickly with exit 2 and a message naming the file and the limit.  Issue 9,
items 2 to 5.
"""

import os
import re
import stat
import subprocess
import threading
import time

import pytest

import peers
from peers import BOUNDED, ROOTS, fixture
from test_keylog import Relay, keylog_lines

GET = b"GET / HTTP/1.0\r\n\r\n"
MIB = 1 << 20


def rsa_server(openssl_server, *args):
    return openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                          args=["-naccept", "1", *args])


def assert_setup_error(r, *needles):
    """Exit 2, before any connection, with every needle on stderr."""
    assert r.returncode == 2, (r.returncode, r.stderr)
    for needle in needles:
        assert needle in r.stderr, r.stderr
    assert "Connected to" not in r.stderr, r.stderr
    assert "TLS handshake" not in r.stderr, r.stderr


# ---- item 2: the key log ------------------------------------------------------

def test_keylog_new_file_is_0600_with_the_secrets(nsstls, openssl_server, tmp_path):
    srv = rsa_server(openssl_server, "-tls1_3")
    keys = tmp_path / "new.keys"
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--keylog", keys,
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(keys).st_mode) == 0o600
    labels = {label for label, _, _ in keylog_lines(keys)}
    assert {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0"} <= labels


def test_keylog_symlink_is_refused_and_its_target_unchanged(nsstls, openssl_server,
                                                             tmp_path):
    srv = rsa_server(openssl_server, "-tls1_3")
    target = tmp_path / "innocent.txt"
    target.write_text("keep me\n")
    target.chmod(0o600)
    link = tmp_path / "keys"
    link.symlink_to(target)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--keylog", link,
               f"localhost:{srv.port}")
    assert_setup_error(r, f"key log {link}: it is a symbolic link")
    assert target.read_text() == "keep me\n"


def test_keylog_dangling_symlink_creates_nothing(nsstls, openssl_server, tmp_path):
    srv = rsa_server(openssl_server, "-tls1_3")
    link = tmp_path / "keys"
    link.symlink_to(tmp_path / "made-through-the-link")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--keylog", link,
               f"localhost:{srv.port}")
    assert_setup_error(r, "it is a symbolic link")
    assert not (tmp_path / "made-through-the-link").exists()


def test_keylog_hard_link_is_refused(nsstls, openssl_server, tmp_path):
    srv = rsa_server(openssl_server, "-tls1_3")
    other = tmp_path / "other-name"
    other.write_text("")
    other.chmod(0o600)
    keys = tmp_path / "keys"
    os.link(other, keys)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--keylog", keys,
               f"localhost:{srv.port}")
    assert_setup_error(r, f"key log {keys}: it has 2 hard links",
                       "remove the other links")
    assert other.read_text() == ""


def test_keylog_file_open_to_others_is_refused_and_left_alone(nsstls, openssl_server,
                                                               tmp_path):
    srv = rsa_server(openssl_server, "-tls1_3")
    keys = tmp_path / "keys"
    keys.write_text("")
    keys.chmod(0o666)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--keylog", keys,
               f"localhost:{srv.port}")
    assert_setup_error(r, f"key log {keys}: it is open to group or others "
                          "(mode 0666); run chmod 600")
    assert keys.read_text() == ""
    assert stat.S_IMODE(os.stat(keys).st_mode) == 0o666


def test_keylog_existing_private_file_is_appended(nsstls, openssl_server, tmp_path):
    srv = rsa_server(openssl_server, "-tls1_3")
    keys = tmp_path / "keys"
    keys.write_text("# mine\n")
    keys.chmod(0o600)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--keylog", keys,
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert keys.read_text().startswith("# mine\n")
    assert len(keylog_lines(keys)) >= 4


def test_keylog_file_of_another_user_is_refused(nsstls, openssl_server, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    srv = rsa_server(openssl_server, "-tls1_3")
    keys = tmp_path / "keys"
    keys.write_text("")
    keys.chmod(0o600)
    os.chown(keys, 65534, 65534)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--keylog", keys,
               f"localhost:{srv.port}")
    assert_setup_error(r, f"key log {keys}: it belongs to another user (uid 65534)")
    assert keys.read_text() == ""


def test_keylog_directory_is_refused(nsstls, openssl_server, tmp_path):
    srv = rsa_server(openssl_server, "-tls1_3")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--keylog", tmp_path,
               f"localhost:{srv.port}")
    assert_setup_error(r, f"key log {tmp_path}: it is not a regular file")


def test_keylog_fifo_is_refused_without_blocking(nsstls, openssl_server, tmp_path):
    """No reader: the open must not wait for one; with a reader: still not
    a regular file."""
    srv = rsa_server(openssl_server, "-tls1_3")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    start = time.monotonic()
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--keylog", fifo,
               f"localhost:{srv.port}", timeout=10)
    assert_setup_error(r, f"key log {fifo}: it is not a regular file")
    assert time.monotonic() - start < 5
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--keylog", fifo,
                   f"localhost:{srv.port}", timeout=10)
        assert_setup_error(r, f"key log {fifo}: it is not a regular file")
        assert os.read(reader, 100) == b""      # nothing was written into it
    finally:
        os.close(reader)


# ---- item 3: closed standard streams --------------------------------------------

def run_closed(argv_tail, closing, input=b""):
    """nsstls with some of its standard streams closed by the shell
    (`closing` like ">&- 2>&-"); the others are captured."""
    cmd = peers.nsstls_command() + [str(a) for a in argv_tail]
    script = f'exec "$@" {closing}'
    return subprocess.run(["sh", "-c", script, "sh", *cmd], input=input,
                          capture_output=True, timeout=30,
                          env=peers.without_proxy_env(os.environ))


def tls_records(data):
    """Split the bytes a client sent into TLS records; fails on anything
    that is not one (report text written into the socket)."""
    records, i = [], 0
    while i < len(data):
        assert i + 5 <= len(data), f"truncated record header at {i}: {data[i:]!r}"
        ctype, major, _, length = data[i], data[i + 1], data[i + 2], \
            int.from_bytes(data[i + 3:i + 5], "big")
        assert ctype in (20, 21, 22, 23) and major == 3 and length <= 16384 + 256, \
            f"not a TLS record at byte {i}: {data[i:i + 80]!r}"
        records.append(ctype)
        i += 5 + length
    assert i == len(data)
    return records


def test_closed_stdout_and_stderr_put_nothing_but_tls_on_the_wire(openssl_server):
    srv = rsa_server(openssl_server, "-tls1_3", "-www")
    relay = Relay(srv.port)
    r = run_closed([*BOUNDED, "--ca-file", ROOTS, "--servername", "localhost",
                    "--verify-name", "localhost", "--export-keying-material",
                    "EXPERIMENTAL-nsstls-test:32", f"127.0.0.1:{relay.port}"],
                   ">&- 2>&-", input=GET)
    relay.thread.join(timeout=20)
    sent = b"".join(data for from_client, data in relay.chunks if from_client)
    records = tls_records(sent)
    assert records[0] == 22                     # the ClientHello
    assert len(records) >= 3                    # the handshake went on
    for text in (b"nsstls", b"Keying material", b"Protocol", b"GET /"):
        assert text not in sent
    # The page could not be written: stdout was closed.
    assert r.returncode == 7, r.returncode


def test_closed_stdout_is_a_clean_write_error(openssl_server):
    srv = rsa_server(openssl_server, "-tls1_3", "-www")
    r = run_closed([*BOUNDED, "--ca-file", ROOTS, f"localhost:{srv.port}"],
                   ">&-", input=GET)
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 7, err
    assert re.search(r"^nsstls: data: cannot write to stdout", err, re.M), err
    assert "Broken pipe" not in err
    assert "Verification: OK" in err            # the report still went out


def test_closed_stdin_reads_as_empty(openssl_server):
    """A closed stdin is /dev/null: the run ends as with </dev/null."""
    srv = rsa_server(openssl_server, "-tls1_3")
    r = run_closed([*BOUNDED, "--ca-file", ROOTS, f"localhost:{srv.port}"], "<&-")
    err = r.stderr.decode(errors="replace")
    assert "Verification: OK" in err, err
    assert r.returncode == 0, err


# ---- item 4: every file input is bounded ------------------------------------------

CLIENT = ("--cert", fixture("client-rsa.crt"), "--key", fixture("client-rsa.key"))

# option → (the arguments that put FILE in that place, the option's limit in MiB)
BOUNDED_INPUTS = {
    "--ca-file": (lambda f: ["--ca-file", f], 64),
    "--print-cert": (lambda f: ["--print-cert", f], 64),
    "--crl-file": (lambda f: ["--ca-file", ROOTS, "--crl-file", f], 64),
    "--cert": (lambda f: ["--cert", f, "--key", fixture("client-rsa.key")], 64),
    "--key": (lambda f: ["--cert", fixture("client-rsa.crt"), "--key", f], 1),
    "--cert-chain": (lambda f: [*CLIENT, "--cert-chain", f], 64),
    "--pkcs12": (lambda f: ["--pkcs12", f, "--pass", "pass:nsstls"], 1),
    "--pass-file": (lambda f: ["--pkcs12", fixture("client-rsa.p12"),
                               "--pass-file", f], 1),
    "--pass": (lambda f: ["--pkcs12", fixture("client-rsa.p12"),
                          "--pass", f"file:{f}"], 1),
    "--early-data": (lambda f: ["--reconnect", "--early-data", f], 1),
    "--targets": (lambda f: ["--targets", f], 64),
}


def run_input(nsstls, option, path, *extra, timeout=20):
    args, _ = BOUNDED_INPUTS[option]
    argv = [*BOUNDED, *extra, *args(str(path))]
    if option not in ("--print-cert", "--targets"):
        argv.append(f"localhost:{peers.closed_port()}")
    start = time.monotonic()
    r = nsstls(*argv, timeout=timeout)
    return r, time.monotonic() - start


@pytest.mark.parametrize("option", sorted(BOUNDED_INPUTS))
def test_dev_zero_is_refused_quickly_at_its_limit(nsstls, option):
    r, took = run_input(nsstls, option, "/dev/zero")
    limit = BOUNDED_INPUTS[option][1]
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert f"/dev/zero: larger than the {limit} MiB limit for {option}" in r.stderr, \
        r.stderr
    assert len(re.findall(r"^nsstls: ", r.stderr, re.M)) == 1, r.stderr
    assert took < 5, took


@pytest.mark.parametrize("option,limit", [("--ca-file", 64), ("--key", 1)])
def test_regular_file_one_byte_over_the_limit(nsstls, tmp_path, option, limit):
    """A sparse file one byte too large is refused by its size, unread."""
    big = tmp_path / "big"
    with open(big, "wb") as f:
        f.truncate(limit * MIB + 1)
    r, took = run_input(nsstls, option, big)
    assert r.returncode == 2, r.stderr
    assert f"{big}: larger than the {limit} MiB limit for {option}" in r.stderr
    assert took < 5


def test_key_file_at_the_limit_is_read(nsstls, tmp_path):
    """Exactly 1 MiB is allowed: the key, then comment padding (PEM readers
    skip text outside the blocks)."""
    key = open(fixture("client-rsa.key"), "rb").read()
    padded = tmp_path / "padded.key"
    padded.write_bytes(key + b"#" * (MIB - len(key) - 1) + b"\n")
    assert padded.stat().st_size == MIB
    r, _ = run_input(nsstls, "--key", padded)
    assert "limit" not in r.stderr, r.stderr
    assert r.returncode == 3, r.stderr          # loaded, then unreachable


def test_targets_line_over_the_limit(nsstls, tmp_path):
    f = tmp_path / "targets"
    f.write_bytes(b"localhost:1\n" + b"x" * (MIB + 1) + b"\nlocalhost:2\n")
    r, _ = run_input(nsstls, "--targets", f)
    assert r.returncode == 2, r.stderr
    assert f"{f} line 2: longer than the 1 MiB limit for --targets" in r.stderr
    assert "== " not in r.stderr                # nothing ran


# ---- item 5: FIFOs and pipes obey --timeout --------------------------------------------

FIFO_INPUTS = ["--ca-file", "--print-cert", "--targets", "--crl-file", "--key",
               "--pkcs12", "--pass-file", "--early-data", "--cert-chain"]


@pytest.mark.parametrize("option", FIFO_INPUTS)
def test_fifo_never_opened_by_a_writer(nsstls, tmp_path, option):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    r, took = run_input(nsstls, option, fifo, "--timeout", "1")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert f"{fifo}: no data within 1 s" in r.stderr, r.stderr
    assert took < 5, took


@pytest.mark.parametrize("option", ["--ca-file", "--targets", "--pass-file"])
def test_fifo_opened_but_never_written(nsstls, tmp_path, option):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    # O_RDWR opens a FIFO at once on Linux: a writer that never writes.
    writer = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    try:
        r, took = run_input(nsstls, option, fifo, "--timeout", "1")
    finally:
        os.close(writer)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert f"{fifo}: no data within 1 s" in r.stderr, r.stderr
    assert took < 5, took


def test_fifo_that_stalls_after_some_data(nsstls, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    writer = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    os.write(writer, open(ROOTS, "rb").read()[:100])
    try:
        r, took = run_input(nsstls, "--ca-file", fifo, "--timeout", "1")
    finally:
        os.close(writer)
    assert r.returncode == 2, r.stderr
    assert f"{fifo}: the data did not end within 1 s" in r.stderr, r.stderr
    assert took < 5


def test_fifo_written_slowly_is_read_whole(nsstls, openssl_server, tmp_path):
    """A writer that comes late and writes in pieces, within the timeout."""
    srv = rsa_server(openssl_server, "-tls1_3")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    pem = open(ROOTS, "rb").read()

    def write_late():
        time.sleep(0.3)
        with open(fifo, "wb", buffering=0) as w:
            for i in range(0, len(pem), 500):
                w.write(pem[i:i + 500])
                time.sleep(0.05)
    t = threading.Thread(target=write_late, daemon=True)
    t.start()
    r = nsstls("--timeout", "5", "--ca-file", fifo, "--no-data",
               f"localhost:{srv.port}")
    t.join(timeout=10)
    assert r.returncode == 0, r.stderr
    assert re.search(rf"ca-file +{re.escape(str(fifo))}, 2 anchors", r.stderr), r.stderr


def run_bash(script, timeout=30):
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                          timeout=timeout, env=peers.without_proxy_env(os.environ))


def test_process_substitution_ca_file(openssl_server):
    srv = rsa_server(openssl_server, "-tls1_3")
    nsstls = " ".join(peers.nsstls_command())
    r = run_bash(f"{nsstls} --timeout 5 --no-data --ca-file <(cat {ROOTS}) "
                 f"localhost:{srv.port} </dev/null")
    assert r.returncode == 0, r.stderr
    assert "Verification: OK" in r.stderr


def test_process_substitution_targets(openssl_server):
    srv = rsa_server(openssl_server, "-tls1_3")
    nsstls = " ".join(peers.nsstls_command())
    r = run_bash(f"{nsstls} --timeout 5 --no-data --ca-file {ROOTS} --json "
                 f"--targets <(printf '# one\\nlocalhost:{srv.port}\\n') </dev/null")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 1, r.stdout
    assert f'"port":{srv.port}' in r.stdout.replace(" ", ""), r.stdout


def test_targets_from_a_stalled_stdin(nsstls):
    """--targets - on a pipe that stays open and brings nothing."""
    r = peers.run_nsstls_stdin_open(*BOUNDED, "--timeout", "1", "--targets", "-",
                                    timeout=10)
    assert r.returncode == 2, r.stderr
    assert "cannot read --targets -: no data within 1 s" in r.stderr, r.stderr
