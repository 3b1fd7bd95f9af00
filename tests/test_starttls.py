"""--starttls PROTO: the plaintext dialogue of each protocol against scripted
servers (tests/starttls_peers.py) that then really serve TLS with the
server-rsa chain, so the handshake and the verification run; refusals, a
server that stops answering and one that hangs up halfway; --starttls auto;
and a real PostgreSQL started on loopback when the machine has one.

Decisions tested here: a STARTTLS failure of any kind (refusal, silence,
hang-up, garbage, bytes before TLS) is exit 4 in phase "starttls", within
--timeout; the transcript is printed on failure and with -v.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import peers
import starttls_peers as sp
from peers import ROOTS

PROCESS_TIMEOUT = 20
PROTOCOLS = list(sp.DIALOGUES)


def run(nsstls, *args, env=None):
    return nsstls("--timeout", "2", "--connect-timeout", "2", "--ca-file", ROOTS,
                  "--no-data", *args, timeout=PROCESS_TIMEOUT, env=env)


def error_line(stderr):
    lines = [l for l in stderr.splitlines() if l.startswith("nsstls: ")]
    assert len(lines) == 1, stderr
    return lines[0]


def transcript_lines(stderr):
    return [l.strip() for l in stderr.splitlines()
            if re.match(r"^    [CS]: ", l)]


def wait_handshakes(srv, n=1, timeout=5.0):
    deadline = time.monotonic() + timeout
    while sp.handshakes(srv) < n and time.monotonic() < deadline:
        time.sleep(0.02)
    return sp.handshakes(srv)


# --- every protocol: the upgrade works and TLS really runs --------------------

@pytest.mark.parametrize("proto", PROTOCOLS)
def test_upgrade_then_verified_handshake(nsstls, proto):
    with sp.starttls_server(sp.DIALOGUES[proto]) as srv:
        r = run(nsstls, "--starttls", proto, f"localhost:{srv.port}")
        assert r.returncode == 0, r.stderr + srv.log()
        assert re.search(rf"^  STARTTLS         {re.escape(proto)}\b.*: the server "
                         r"is ready for TLS \(\d+\.\d ms\)$", r.stderr, re.M), r.stderr
        assert 'Verification: OK (chain trusted, name "localhost" matches)' in r.stderr
        assert "TLS handshake done" in r.stderr
        # Without -v, a successful dialogue is one line.
        assert transcript_lines(r.stderr) == []
        assert wait_handshakes(srv) == 1, srv.log()


@pytest.mark.parametrize("proto", PROTOCOLS)
def test_json_facts(nsstls, proto):
    with sp.starttls_server(sp.DIALOGUES[proto]) as srv:
        r = run(nsstls, "--json", "--starttls", proto, f"localhost:{srv.port}")
        assert r.returncode == 0, r.stderr
        doc = peers.json_document(r)        # validated against the schema
    s = doc["starttls"]
    assert s["protocol"] == proto and s["ok"] is True
    assert s["chosen_by"] == "option"
    assert s["transcript"], s
    assert {e["from"] for e in s["transcript"]} <= {"client", "server"}
    assert isinstance(doc["timings"]["starttls_us"], int)
    assert doc["timings"]["starttls_us"] > 0
    assert doc["proxy"] is None and doc["timings"]["proxy_us"] is None
    assert doc["outcome"]["ok"] is True
    if proto in ("smtp", "submission", "lmtp"):
        assert s["name"] == "mail.example.com"
        assert s["name_field"] == ("LHLO" if proto == "lmtp" else "EHLO")
    elif proto.startswith("xmpp"):
        assert (s["name"], s["name_field"]) == ("localhost", "to")
    else:
        assert s["name"] is None and s["name_field"] is None


def test_no_starttls_means_null(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt")
    r = run(nsstls, "--json", f"localhost:{srv.port}")
    doc = peers.json_document(r)
    assert doc["starttls"] is None and doc["timings"]["starttls_us"] is None


def test_verbose_shows_the_transcript(nsstls):
    with sp.starttls_server(sp.smtp) as srv:
        r = run(nsstls, "-v", "--starttls", "smtp", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    t = transcript_lines(r.stderr)
    assert t == [
        "S: 220-mail.test ESMTP nsstls test",
        "S: 220 mail.test ready",
        "C: EHLO mail.example.com",
        "S: 250-mail.test",
        "S: 250-PIPELINING",
        "S: 250-STARTTLS",
        "S: 250 8BITMIME",
        "C: STARTTLS",
        "S: 220 2.0.0 Ready to start TLS",
    ], r.stderr


# --- refusals: exit 4 with the server's words and the transcript --------------

REFUSALS = {
    "smtp": "STARTTLS refused: 454 4.7.0 TLS not available due to local problem",
    "submission": "STARTTLS refused: 454 4.7.0 TLS not available due to local problem",
    "lmtp": "STARTTLS refused: 454 4.7.0 TLS not available due to local problem",
    "imap": "STARTTLS refused: A2 NO [UNAVAILABLE] TLS is not available now",
    "pop3": "STLS refused: -ERR TLS not available",
    "ftp": "AUTH TLS refused: 534 Local policy on server does not allow TLS",
    "xmpp": "STARTTLS refused: <failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    "xmpp-server": "STARTTLS refused: <failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    "ldap": "StartTLS refused: resultCode 2 (protocolError): unsupported extended operation",
    "postgres": "SSL refused: the server answered 'N'",
    "mysql": "SSL refused: the server (version 8.0.36-nsstls-test) does not offer CLIENT_SSL",
    "nntp": "STARTTLS refused: 580 Can not initiate TLS negotiation",
    "sieve": 'STARTTLS refused: NO "TLS is not available"',
    "irc": "STARTTLS refused: :irc.test 691 * :STARTTLS failed (Internal error)",
}


@pytest.mark.parametrize("proto", PROTOCOLS)
def test_refusal(nsstls, proto):
    with sp.starttls_server(sp.DIALOGUES[proto], "refuse") as srv:
        r = run(nsstls, "--starttls", proto, f"localhost:{srv.port}")
        assert sp.handshakes(srv) == 0
    assert r.returncode == 4, r.stderr
    err = error_line(r.stderr)
    assert err.startswith("nsstls: starttls: "), err
    assert REFUSALS[proto] in err, err
    # The transcript is shown without -v when the upgrade fails.
    t = transcript_lines(r.stderr)
    assert t and t[-1].startswith("S: "), r.stderr
    assert re.search(rf"^  STARTTLS         {re.escape(proto)}.*: FAILED after", r.stderr, re.M)
    assert "TLS handshake" not in r.stderr


def test_refusal_json(nsstls):
    with sp.starttls_server(sp.smtp, "refuse") as srv:
        r = run(nsstls, "--json", "--starttls", "smtp", f"localhost:{srv.port}")
    assert r.returncode == 4
    doc = peers.json_document(r)
    assert doc["outcome"]["phase"] == "starttls"
    assert doc["outcome"]["exit_code"] == 4
    assert "454 4.7.0" in doc["outcome"]["message"]
    assert doc["starttls"]["ok"] is False
    assert doc["starttls"]["transcript"][-1] == {
        "from": "server", "text": "454 4.7.0 TLS not available due to local problem"}
    assert doc["handshakes"] == []


def test_refusal_says_starttls_was_not_offered(nsstls):
    with sp.starttls_server(sp.smtp, "not-offered") as srv:
        r = run(nsstls, "--starttls", "smtp", f"localhost:{srv.port}")
    assert r.returncode == 4
    assert "(its answer to EHLO did not offer STARTTLS)" in error_line(r.stderr)


@pytest.mark.parametrize("mode, words", [
    ("greeting-refused", "the connection refused: 554 5.3.2 mail.test no service for you"),
])
def test_smtp_greeting_refused(nsstls, mode, words):
    with sp.starttls_server(sp.smtp, mode) as srv:
        r = run(nsstls, "--starttls", "smtp", f"localhost:{srv.port}")
    assert r.returncode == 4
    assert words in error_line(r.stderr)


@pytest.mark.parametrize("proto, mode, words", [
    ("xmpp", "not-offered", "the server offers no STARTTLS in its stream features"),
    ("xmpp", "host-unknown", "the server ended the stream: <stream:error><host-unknown"),
    ("ldap", "disconnect", "the server disconnected: resultCode 52 (unavailable): "
                           "server shutting down"),
    ("postgres", "error", "SSLRequest refused with an error: unsupported frontend "
                          "protocol 1234.5679"),
    ("mysql", "error", "the server refused the connection: error 1130: Host "
                       "'127.0.0.1' is not allowed"),
])
def test_other_refusals(nsstls, proto, mode, words):
    with sp.starttls_server(sp.DIALOGUES[proto], mode) as srv:
        r = run(nsstls, "--starttls", proto, f"localhost:{srv.port}")
    assert r.returncode == 4, r.stderr
    assert words in error_line(r.stderr), r.stderr


def test_ldap_long_form_length(nsstls):
    with sp.starttls_server(sp.ldap, "long") as srv:
        r = run(nsstls, "--starttls", "ldap", f"localhost:{srv.port}")
        assert r.returncode == 0, r.stderr
        assert wait_handshakes(srv) == 1


# --- servers that stop answering or hang up halfway ---------------------------

@pytest.mark.parametrize("proto", PROTOCOLS)
def test_server_stops_answering(nsstls, proto):
    with sp.starttls_server(sp.DIALOGUES[proto], "stall") as srv:
        t0 = time.monotonic()
        r = nsstls("--timeout", "1", "--connect-timeout", "2", "--ca-file", ROOTS,
                   "--no-data", "--starttls", proto, f"localhost:{srv.port}",
                   timeout=PROCESS_TIMEOUT)
        elapsed = time.monotonic() - t0
    assert r.returncode == 4, r.stderr
    err = error_line(r.stderr)
    assert re.match(r"nsstls: starttls: \S+: no answer within 1000 ms, "
                    r"waiting for .*\(PR_IO_TIMEOUT_ERROR\)$", err), err
    assert elapsed < PROCESS_TIMEOUT


@pytest.mark.parametrize("proto", [p for p in PROTOCOLS if p != "mysql"])
def test_server_hangs_up_halfway(nsstls, proto):
    with sp.starttls_server(sp.DIALOGUES[proto], "close") as srv:
        r = run(nsstls, "--starttls", proto, f"localhost:{srv.port}")
    assert r.returncode == 4, r.stderr
    err = error_line(r.stderr)
    assert "the server closed the connection, waiting for" in err, err


def test_silent_greeting(nsstls):
    with sp.starttls_server(sp.smtp, "silent") as srv:
        r = nsstls("--timeout", "500ms", "--no-data", "--starttls", "smtp",
                   f"localhost:{srv.port}", timeout=PROCESS_TIMEOUT)
    assert r.returncode == 4
    assert ("SMTP: no answer within 500 ms, waiting for the greeting"
            in error_line(r.stderr))


# --- hostile servers ----------------------------------------------------------

def test_bytes_before_tls_are_refused(nsstls):
    # A "220 go ahead" followed at once by more: an injection, or a broken
    # server; either way TLS must not start on top of it.
    with sp.starttls_server(sp.smtp, "inject") as srv:
        r = run(nsstls, "--starttls", "smtp", f"localhost:{srv.port}")
    assert r.returncode == 4, r.stderr
    err = error_line(r.stderr)
    assert "the server sent 25 bytes after its go-ahead, before TLS" in err, err
    assert "S: 250 injected before TLS" in r.stderr


def test_escape_sequences_are_neutralised(nsstls):
    with sp.starttls_server(sp.smtp, "escape") as srv:
        r = run(nsstls, "--starttls", "smtp", f"localhost:{srv.port}")
    assert r.returncode == 4
    assert "\x1b" not in r.stderr
    assert "550 \\x1b[31mred\\x1b[0m refused" in error_line(r.stderr)


def test_not_the_protocol(nsstls):
    # An HTTP server where SMTP was expected.
    def http(talk, mode):
        talk.send("HTTP/1.1 400 Bad Request\r\n\r\n")
        return sp.CLOSE
    with sp.starttls_server(http) as srv:
        r = run(nsstls, "--starttls", "smtp", f"localhost:{srv.port}")
    assert r.returncode == 4
    assert ('SMTP: the answer is not SMTP (waiting for the greeting): '
            '"HTTP/1.1 400 Bad Request"' in error_line(r.stderr))


def test_endless_line(nsstls):
    def endless(talk, mode):
        talk.send("220 " + "x" * 6000)
        return sp.STALL
    with sp.starttls_server(endless) as srv:
        r = run(nsstls, "--starttls", "smtp", f"localhost:{srv.port}")
    assert r.returncode == 4
    assert "a line longer than 4096 bytes" in error_line(r.stderr)


def test_verification_still_applies(nsstls):
    # The upgrade succeeds, the certificate does not verify: exit 6.
    with sp.starttls_server(sp.imap, chain="wronghost-chain.pem",
                            key="wronghost.key") as srv:
        r = run(nsstls, "--starttls", "imap", f"localhost:{srv.port}")
    assert r.returncode == 6, r.stderr
    assert "the server is ready for TLS" in r.stderr


# --- names sent ----------------------------------------------------------------

def test_ehlo_name(nsstls):
    with sp.starttls_server(sp.smtp) as srv:
        r = run(nsstls, "--starttls", "smtp", "--starttls-name", "client.example.net",
                f"localhost:{srv.port}")
        assert r.returncode == 0, r.stderr
        assert srv.talks[0].lines[0] == "EHLO client.example.net"
    assert "EHLO client.example.net" in r.stderr


def test_lhlo_default_name(nsstls):
    with sp.starttls_server(sp.lmtp) as srv:
        r = run(nsstls, "--starttls", "lmtp", f"localhost:{srv.port}")
        assert r.returncode == 0, r.stderr
        assert srv.talks[0].lines[0] == "LHLO mail.example.com"


def test_xmpp_domain(nsstls):
    with sp.starttls_server(sp.xmpp) as srv:
        r = run(nsstls, "--json", "--starttls", "xmpp", "--xmpp-domain", "chat.example.org",
                f"localhost:{srv.port}")
        assert r.returncode == 0, r.stderr
        opening = srv.received[1].decode()
    assert "to='chat.example.org'" in opening
    assert "xmlns='jabber:client'" in opening
    assert peers.json_document(r)["starttls"]["name"] == "chat.example.org"


def test_xmpp_domain_defaults_to_the_target(nsstls):
    with sp.starttls_server(sp.xmpp_server) as srv:
        r = run(nsstls, "--starttls", "xmpp-server", f"localhost:{srv.port}")
        assert r.returncode == 0, r.stderr
        assert "to='localhost'" in srv.received[1].decode()


def test_s_client_aliases(nsstls):
    with sp.starttls_server(sp.smtp) as srv:
        r = nsstls("-starttls", "smtp", "-name", "alias.example", "-CAfile", ROOTS,
                   "--no-data", "--timeout", "2", "-connect", f"localhost:{srv.port}",
                   timeout=PROCESS_TIMEOUT)
        assert r.returncode == 0, r.stderr
        assert srv.talks[0].lines[0] == "EHLO alias.example"


# --- usage ------------------------------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (["--starttls", "gopher", "localhost"], "unknown protocol 'gopher'"),
    (["--starttls", "auto", "localhost"], "--starttls auto needs a port"),
    (["--starttls", "auto", "localhost:8443"], "no STARTTLS protocol has port 8443"),
    (["--starttls", "auto", "--port", "8443", "localhost:25"],
     "no STARTTLS protocol has port 8443"),
    (["--starttls-name", "x", "localhost"], "--starttls-name is the EHLO/LHLO name"),
    (["--starttls", "imap", "--starttls-name", "x", "localhost"],
     "--starttls-name is the EHLO/LHLO name"),
    (["--starttls", "smtp", "--xmpp-domain", "x", "localhost"],
     "--xmpp-domain needs --starttls xmpp"),
])
def test_usage_errors(nsstls, args, words):
    r = nsstls(*args, timeout=PROCESS_TIMEOUT)
    assert r.returncode == 1, r.stderr
    assert words in r.stderr


def test_unknown_protocol_lists_the_valid_ones(nsstls):
    r = nsstls("--starttls", "gopher", "localhost", timeout=PROCESS_TIMEOUT)
    for proto, port in sp.DEFAULT_PORTS.items():
        assert f"{proto} ({port})" in r.stderr


def test_protocol_default_port(nsstls, closed_port):
    # No port anywhere: the protocol's. Nothing listens on loopback port
    # 4190 here (or something does: either way the target says 4190).
    r = nsstls("--json", "--connect-timeout", "1", "--timeout", "1", "--starttls",
               "sieve", "127.0.0.1", timeout=PROCESS_TIMEOUT)
    assert peers.json_document(r)["target"]["port"] == 4190
    # An explicit port wins.
    r = nsstls("--json", "--connect-timeout", "1", "--starttls", "sieve",
               f"127.0.0.1:{closed_port}", timeout=PROCESS_TIMEOUT)
    doc = peers.json_document(r)
    assert doc["target"]["port"] == closed_port and r.returncode == 3


@pytest.mark.parametrize("proto", ["sieve", "irc", "xmpp"])
def test_auto_picks_by_port(nsstls, proto):
    port = sp.DEFAULT_PORTS[proto]
    # The protocol's own port: skipped when something else holds it.
    try:
        cm = sp.starttls_server(sp.DIALOGUES[proto], port=port)
        srv = cm.__enter__()
    except OSError as e:
        pytest.skip(f"loopback port {port} is taken: {e}")
    try:
        r = run(nsstls, "--json", "--starttls", "auto", f"localhost:{port}")
        assert r.returncode == 0, r.stderr
        doc = peers.json_document(r)
        assert doc["starttls"]["protocol"] == proto
        assert doc["starttls"]["chosen_by"] == "port"
        r = run(nsstls, "--starttls", "auto", "--port", str(port), "localhost")
        assert r.returncode == 0, r.stderr
        assert re.search(rf"STARTTLS         {proto} \(by port {port}\)", r.stderr)
        assert wait_handshakes(srv, 2) == 2, srv.log()
    finally:
        cm.__exit__(None, None, None)


def test_many_targets(nsstls):
    with sp.starttls_server(sp.pop3) as a, sp.starttls_server(sp.pop3, "refuse") as b:
        r = nsstls("--json", "--ca-file", ROOTS, "--timeout", "2", "--starttls", "pop3",
                   f"localhost:{a.port}", f"localhost:{b.port}", timeout=PROCESS_TIMEOUT)
    docs = peers.json_documents(r.stdout_bytes)
    assert [d["starttls"]["ok"] for d in docs] == [True, False]
    assert r.returncode == 4


def test_check_mode(nsstls):
    with sp.starttls_server(sp.smtp, "refuse") as srv:
        r = nsstls("--check", "--ca-file", ROOTS, "--timeout", "2", "--starttls", "smtp",
                   f"localhost:{srv.port}", timeout=PROCESS_TIMEOUT)
    assert r.returncode == 2, r.stdout
    assert "454 4.7.0" in r.stdout


# --- a real server: PostgreSQL on loopback ---------------------------------------

def _pg_bindir():
    for cand in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (cand / "postgres").exists() and (cand / "initdb").exists():
            return cand
    return None


@pytest.fixture
def postgres_server():
    """A PostgreSQL cluster made for the test in a temp dir, listening on
    127.0.0.1 with ssl=on and the server-rsa chain; started by pg_ctl as the
    postgres user (initdb refuses root), stopped by pg_ctl (its own pid
    file) at the end.  Yields a factory: start(ssl=True) -> port."""
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server installed (postgresql-15)")
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("needs root and runuser to run PostgreSQL as its own user")
    try:
        import pwd
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no postgres user")
    started = []

    def as_postgres(*argv, timeout=60):
        return subprocess.run(["runuser", "-u", "postgres", "--", *argv],
                              capture_output=True, text=True, timeout=timeout)

    def start(ssl=True):
        work = tempfile.mkdtemp(prefix="nsstls-pg-")
        os.chmod(work, 0o755)
        shutil.chown(work, "postgres")
        for name in ("server-rsa-chain.pem", "server-rsa.key"):
            shutil.copy(peers.fixture(name), work)
            shutil.chown(os.path.join(work, name), "postgres")
        os.chmod(os.path.join(work, "server-rsa.key"), 0o600)
        data = os.path.join(work, "data")
        r = as_postgres(str(bindir / "initdb"), "-D", data, "-A", "trust",
                        "-U", "postgres", "--no-sync")
        if r.returncode != 0:
            pytest.fail(f"initdb failed: {r.stdout}{r.stderr}")
        for attempt in range(3):
            port = peers._free_port()
            opts = (f"-c listen_addresses=127.0.0.1 -c port={port} "
                    f"-c unix_socket_directories={work} -c fsync=off "
                    f"-c ssl={'on' if ssl else 'off'} "
                    f"-c ssl_cert_file={work}/server-rsa-chain.pem "
                    f"-c ssl_key_file={work}/server-rsa.key")
            r = as_postgres(str(bindir / "pg_ctl"), "-D", data, "-w", "-t", "30",
                            "-o", opts, "-l", os.path.join(work, "log"), "start")
            if r.returncode == 0:
                started.append((work, data))
                return port
        log = Path(work, "log").read_text(errors="replace") if Path(work, "log").exists() else ""
        shutil.rmtree(work, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {r.stdout}{r.stderr}\n{log}")

    try:
        yield start
    finally:
        for work, data in started:
            as_postgres(str(bindir / "pg_ctl"), "-D", data, "-m", "immediate",
                        "-w", "-t", "30", "stop")
            shutil.rmtree(work, ignore_errors=True)


def test_real_postgresql(nsstls, postgres_server):
    port = postgres_server(ssl=True)
    r = run(nsstls, "-v", "--starttls", "postgres", f"localhost:{port}")
    assert r.returncode == 0, r.stderr
    assert "C: [SSLRequest: 00 00 00 08 04 d2 16 2f]" in r.stderr
    assert "S: S [SSL accepted]" in r.stderr
    assert 'Verification: OK (chain trusted, name "localhost" matches)' in r.stderr


def test_real_postgresql_without_ssl(nsstls, postgres_server):
    port = postgres_server(ssl=False)
    r = run(nsstls, "--starttls", "postgres", f"localhost:{port}")
    assert r.returncode == 4, r.stderr
    assert "SSL refused: the server answered 'N'" in error_line(r.stderr)
