"""Every byte that came from outside (arguments, files, servers,
certificates) is escaped before it reaches the terminal, the same way
everywhere (issue 9 item 8): C0 controls and DEL as \\xNN, bytes that are
not UTF-8 as \\xNN, C1 controls and Unicode format controls (bidi
overrides and isolates, zero-width characters) as \\uNNNN; other UTF-8 is
kept.  The JSON document keeps the real characters (valid UTF-8, jansson
escapes what JSON needs).

Each test feeds nsstls the hostile bytes through a real channel (argv, a
file name, a certificate served by openssl s_server, a scripted STARTTLS
server, a scripted proxy) and asserts on the raw bytes written: none of the
hostile sequences is there, and the escaped form is, on the one line where
it belongs.
"""

import shutil

import pytest

import peers
import starttls_peers as sp
from peers import ROOTS

PROCESS_TIMEOUT = 20
NO_ENV = {v: None for v in peers.PROXY_ENV}

# What must never reach the terminal raw.
RAW = [b"\x1b", b"\x07", b"\x01", b"\x7f", b"\xc2\x9b", b"\xe2\x80\xae",
       b"\xe2\x81\xa6", b"\xff"]


def run(nsstls, *args, env=None, input=b""):
    full = dict(NO_ENV)
    full.update(env or {})
    return nsstls("--timeout", "3", "--connect-timeout", "3", *args,
                  timeout=PROCESS_TIMEOUT, env=full, input=input)


def assert_clean(data: bytes):
    for raw in RAW:
        assert raw not in data, f"{raw!r} written raw: {data!r}"


def error_lines(r):
    return [l for l in r.stderr.splitlines() if l.startswith("nsstls: ")]


# --- arguments ------------------------------------------------------------------

# Python passes "\udcff" to the process as the byte FF (surrogateescape).
@pytest.mark.parametrize("target, shown", [
    ("bad\nhost:443", "bad\\x0ahost:443"),
    ("bad\x01host:443", "bad\\x01host:443"),
    ("bad\udcffhost:443", "bad\\xffhost:443"),
    ("bad\u202ehost:443", "bad\\u202ehost:443"),
    ("bad\x1b[2J\x07:443", "bad\\x1b[2J\\x07:443"),
])
def test_bad_target_keeps_one_line(nsstls, target, shown):
    for args in ([target], ["good.example:443", target]):
        r = run(nsstls, *args)
        assert r.returncode == 1
        assert r.stderr_bytes == (f"nsstls: bad target '{shown}': the host name "
                                  "holds a character not allowed in a DNS "
                                  "name\n").encode(), r.stderr


def test_option_values_in_usage_errors(nsstls):
    r = run(nsstls, "--starttls", "smtp\x1b]0;pwned\x07\u2066", "localhost")
    assert r.returncode == 1
    assert_clean(r.stderr_bytes)
    assert error_lines(r)[0].startswith(
        "nsstls: --starttls: unknown protocol 'smtp\\x1b]0;pwned\\x07\\u2066'; ")
    r = run(nsstls, "--bad\nopt\u202e", "localhost")
    assert r.returncode == 1
    assert_clean(r.stderr_bytes)
    assert r.stderr.splitlines()[0] == "nsstls: --bad\\x0aopt\\u202e: unknown option"


# --- file names ------------------------------------------------------------------

BAD_NAME = "/nonexistent/ca\n\x1b[2J\u202e.pem"
BAD_SHOWN = "/nonexistent/ca\\x0a\\x1b[2J\\u202e.pem"


def test_file_name_in_error_line(nsstls):
    r = run(nsstls, "--ca-file", BAD_NAME, "localhost:1")
    assert r.returncode == 2
    assert_clean(r.stderr_bytes)
    assert r.stderr == (f"nsstls: setup: cannot read ca-file {BAD_SHOWN}: No such "
                        "file or directory\n")


def test_file_name_in_check_line(nsstls):
    r = run(nsstls, "--check", "--ca-file", BAD_NAME, "localhost:1")
    assert r.returncode == 3
    assert_clean(r.stdout_bytes)
    assert r.stdout == (f"TLS UNKNOWN - localhost:1 cannot read ca-file {BAD_SHOWN}: "
                        "No such file or directory |\n")


def test_file_name_in_json_is_the_real_name(nsstls):
    r = run(nsstls, "--json", "--ca-file", BAD_NAME, "localhost:1")
    doc = peers.json_document(r)
    assert doc["outcome"]["message"] == (f"cannot read ca-file {BAD_NAME}: No such "
                                         "file or directory")


def test_file_name_in_report(nsstls, tmp_path):
    path = tmp_path / "cert\n\x1b[31m\u202e.pem"
    shutil.copy(peers.fixture("bidi.crt"), path)
    r = run(nsstls, "--print-cert", str(path))
    assert_clean(r.stderr_bytes)
    assert f"Certificates in {tmp_path}/cert\\x0a\\x1b[31m\\u202e.pem (1):" in r.stderr


# --- certificates ----------------------------------------------------------------

SUBJECT = "CN=nsstls Test Server \u202egnp.exe,O=nsstls tests \u202eevil"
SUBJECT_SHOWN = "CN=nsstls Test Server \\u202egnp.exe,O=nsstls tests \\u202eevil"


@pytest.fixture
def bidi_server(openssl_server):
    return openssl_server("bidi.crt", "bidi.key", chain="int-ec.crt")


def test_certificate_name_escaped_in_report(nsstls, bidi_server):
    r = run(nsstls, "--ca-file", ROOTS, f"localhost:{bidi_server.port}")
    assert r.returncode == 0, r.stderr
    assert_clean(r.stderr_bytes)
    assert f"  [0] {SUBJECT_SHOWN}\n" in r.stderr
    r = run(nsstls, "--ca-file", ROOTS, "--brief", f"localhost:{bidi_server.port}")
    assert_clean(r.stderr_bytes)
    assert f"Certificate: {SUBJECT_SHOWN} (expires" in r.stderr


def test_certificate_name_escaped_in_showcerts(nsstls, bidi_server):
    r = run(nsstls, "--ca-file", ROOTS, "--showcerts", f"localhost:{bidi_server.port}")
    assert r.returncode == 0, r.stderr
    assert_clean(r.stdout_bytes)
    assert f"# [0] {SUBJECT_SHOWN}\n-----BEGIN CERTIFICATE-----" in r.stdout


def test_certificate_name_intact_in_json(nsstls, bidi_server):
    r = run(nsstls, "--ca-file", ROOTS, "--json", f"localhost:{bidi_server.port}")
    assert r.returncode == 0, r.stderr
    doc = peers.json_document(r)
    assert doc["certificates"]["sent"][0]["subject"] == SUBJECT
    assert "\u202e".encode() in r.stdout_bytes


def test_certificate_name_escaped_in_failed_verification(nsstls, bidi_server):
    # A failed verification prints the whole chain, names included.
    r = run(nsstls, "--ca-file", peers.fixture("root-rsa.crt"),
            f"localhost:{bidi_server.port}")
    assert r.returncode == 6, r.stderr
    assert_clean(r.stderr_bytes)
    assert "\\u202e" in r.stderr


# --- servers ------------------------------------------------------------------------

HOSTILE = (b"554 \x1b]0;pwned\x07 \xc2\x9b31m \xe2\x80\xaeevil \xe2\x81\xa6"
           b"\x01\x7f\xff caf\xc3\xa9\r\n")
HOSTILE_SHOWN = ("554 \\x1b]0;pwned\\x07 \\u009b31m \\u202eevil \\u2066"
                 "\\x01\\x7f\\xff caf\u00e9")


def hostile_smtp(talk, mode):
    talk.send(HOSTILE)
    return sp.CLOSE


def test_starttls_reply_escaped(nsstls):
    with sp.starttls_server(hostile_smtp) as srv:
        r = run(nsstls, "--ca-file", ROOTS, "--starttls", "smtp",
                f"localhost:{srv.port}")
    assert r.returncode == 4, r.stderr
    assert_clean(r.stderr_bytes)
    lines = error_lines(r)
    assert lines == [f"nsstls: starttls: SMTP: the connection refused: {HOSTILE_SHOWN}"]
    assert f"    S: {HOSTILE_SHOWN}\n" in r.stderr        # the transcript


def test_starttls_reply_in_check_and_json(nsstls):
    with sp.starttls_server(hostile_smtp) as srv:
        r = run(nsstls, "--ca-file", ROOTS, "--check", "--starttls", "smtp",
                f"localhost:{srv.port}")
        assert_clean(r.stdout_bytes)
        assert HOSTILE_SHOWN in r.stdout
        r = run(nsstls, "--ca-file", ROOTS, "--json", "--starttls", "smtp",
                f"localhost:{srv.port}")
    doc = peers.json_document(r)
    assert HOSTILE_SHOWN in doc["outcome"]["message"]


def test_proxy_status_line_escaped(nsstls):
    def proxy(peer, conn):
        talk = sp.Talk(peer, conn)
        while talk.line():
            pass
        talk.send(b"HTTP/1.1 403 \x1b[2J\xe2\x80\xaeForbidden\xff\r\n\r\n")
        peer.close(conn)

    with peers._py_peer("hostile proxy", proxy) as srv:
        r = run(nsstls, "--ca-file", ROOTS, "--proxy", f"127.0.0.1:{srv.port}",
                "localhost:1")
    assert r.returncode == 4, r.stderr
    assert_clean(r.stderr_bytes)
    assert "HTTP/1.1 403 \\x1b[2J\\u202eForbidden\\xff" in error_lines(r)[0]


def test_client_auth_ca_names_escaped(nsstls, openssl_server):
    # The CA names of a CertificateRequest are the server's words.
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-verify", "1", "-CAfile", peers.fixture("bidi.crt")])
    r = run(nsstls, "--ca-file", ROOTS, "--no-data", f"localhost:{srv.port}")
    assert "Client certificate: requested by the server" in r.stderr, r.stderr
    assert_clean(r.stderr_bytes)
    assert f"  Accepted CAs     {SUBJECT_SHOWN}\n" in r.stderr
