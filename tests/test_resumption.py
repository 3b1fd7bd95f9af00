"""Session resumption within one run (--reconnect), 0-RTT (--early-data),
and the refusal of --sess-out/--sess-in, against openssl s_server and NSS
selfserv on loopback."""
import json

import pytest

import peers
from peers import BOUNDED, ROOTS

CHAIN = dict(cert="server-rsa.crt", key="server-rsa.key", chain="int-rsa.crt")
GET = b"GET / HTTP/1.0\r\n\r\n"


def run(nsstls, port, *args):
    return nsstls(*BOUNDED, "--ca-file", ROOTS, *args, f"localhost:{port}")


def run_json(nsstls, port, *args):
    r = run(nsstls, port, "--json", *args)
    doc = json.loads(r.stdout)
    peers.validate_json(doc)
    return r, doc


@pytest.mark.parametrize("version", ["-tls1_3", "-tls1_2"])
def test_reconnect_resumes_by_ticket_openssl(nsstls, openssl_server, version):
    srv = openssl_server(**CHAIN, args=[version, "-www"])
    r, doc = run_json(nsstls, srv.port, "--reconnect=3")
    assert r.returncode == 0, r.stderr
    assert len(doc["reconnects"]) == 3
    for c in doc["reconnects"]:
        assert c["ok"] and c["handshake"]["resumed"], c
        assert c["handshake"]["resumed_by"] == "ticket", c
        assert isinstance(c["saved_us"], int)
    # The first connection is the full, verified one.
    assert doc["handshakes"][0]["resumed"] is False
    assert doc["verification"]["ok"] is True


def test_reconnect_text_report(nsstls, openssl_server):
    srv = openssl_server(**CHAIN, args=["-tls1_3", "-www"])
    r = run(nsstls, srv.port, "--reconnect")
    assert r.returncode == 0, r.stderr
    assert "Reconnections (5) after waiting for the TLS 1.3 session tickets:" in r.stderr
    lines = [l for l in r.stderr.splitlines() if l.startswith("  [") and "resumed" in l]
    assert len(lines) == 5 and all(" by ticket, " in l for l in lines), r.stderr
    # --reconnect has no data phase: nothing on stdout.
    assert r.stdout == ""


def test_reconnect_session_id_when_no_tickets(nsstls, openssl_server):
    srv = openssl_server(**CHAIN, args=["-tls1_2", "-no_ticket", "-www"])
    r, doc = run_json(nsstls, srv.port, "--reconnect=2")
    assert r.returncode == 0, r.stderr
    assert [c["handshake"]["resumed_by"] for c in doc["reconnects"]] == ["session id"] * 2


def test_reconnect_not_resumed_without_server_cache(nsstls, openssl_server):
    srv = openssl_server(**CHAIN, args=["-tls1_2", "-no_ticket", "-no_cache", "-www"])
    r, doc = run_json(nsstls, srv.port, "--reconnect=2")
    assert r.returncode == 0, r.stderr
    for c in doc["reconnects"]:
        assert c["ok"] and c["handshake"]["resumed"] is False, c
        assert c["handshake"]["resumed_by"] is None
    text = run(nsstls, srv.port, "--reconnect=1")
    assert "NOT resumed (full handshake)" in text.stderr, text.stderr


@pytest.mark.parametrize("version,extra", [("tls1.3:tls1.3", ["-u"]),
                                           ("tls1.2:tls1.2", [])])
def test_reconnect_resumes_against_selfserv(nsstls, selfserv_server, version, extra):
    # selfserv sends TLS 1.3 tickets only with -u (session tickets on);
    # TLS 1.2 resumes from its session-id cache without it.
    srv = selfserv_server("server-rsa", args=["-V", version, *extra])
    r, doc = run_json(nsstls, srv.port, "--reconnect=2")
    assert r.returncode == 0, r.stderr
    for c in doc["reconnects"]:
        assert c["ok"] and c["handshake"]["resumed"], c
    # selfserv issues TLS 1.2 tickets only with -u: a session id then.
    want = "ticket" if version.startswith("tls1.3") else "session id"
    assert {c["handshake"]["resumed_by"] for c in doc["reconnects"]} == {want}


def test_early_data_accepted(nsstls, openssl_server, tmp_path):
    early = tmp_path / "early.txt"
    early.write_bytes(b"hello early data\n")
    srv = openssl_server(**CHAIN, args=["-tls1_3", "-early_data"])
    r, doc = run_json(nsstls, srv.port, "--reconnect=1", "--early-data", str(early))
    assert r.returncode == 0, r.stderr
    c = doc["reconnects"][0]
    assert c["early_data_sent"] == len(b"hello early data\n")
    assert c["handshake"]["early_data_accepted"] is True
    log = peers.wait_for_log(srv, "hello early data")
    assert "Early data received" in log or "hello early data" in log


def test_early_data_rejected(nsstls, openssl_server, tmp_path):
    """The ticket allows early data (-max_early_data) but the server does not
    read it (no -early_data): rejected, and said so."""
    early = tmp_path / "early.txt"
    early.write_bytes(b"0rtt\n")
    srv = openssl_server(**CHAIN, args=["-tls1_3", "-max_early_data", "16384"])
    r = run(nsstls, srv.port, "--reconnect=1", "--early-data", str(early))
    assert r.returncode == 0, r.stderr
    assert "5 bytes sent as early data, REJECTED by the server" in r.stderr, r.stderr


def test_early_data_not_offered(nsstls, openssl_server, tmp_path):
    early = tmp_path / "early.txt"
    early.write_bytes(b"0rtt\n")
    srv = openssl_server(**CHAIN, args=["-tls1_3", "-www"])
    r, doc = run_json(nsstls, srv.port, "--reconnect=1", "--early-data", str(early))
    assert r.returncode == 0, r.stderr
    assert doc["reconnects"][0]["early_data_sent"] == 0
    text = run(nsstls, srv.port, "--reconnect=1", "--early-data", str(early))
    assert "0-RTT        not sent" in text.stderr, text.stderr


def test_reconnect_failure_is_the_exit_status(nsstls, openssl_server):
    """-naccept 1: the server goes away after the first connection, so the
    reconnection is refused (exit 3) and reported."""
    srv = openssl_server(**CHAIN, args=["-tls1_3", "-www", "-naccept", "1"])
    r, doc = run_json(nsstls, srv.port, "--reconnect=1")
    assert r.returncode == 3, r.stderr
    c = doc["reconnects"][0]
    assert c["ok"] is False and c["handshake"] is None
    assert c["error"]["name"] == "PR_CONNECT_REFUSED_ERROR"
    assert doc["outcome"]["exit_code"] == 3
    assert "reconnection 1 failed" in doc["outcome"]["message"]


@pytest.mark.parametrize("opt", ["--sess-out", "--sess-in", "-sess_out", "-sess_in"])
def test_session_files_are_refused_with_the_reason(nsstls, opt, tmp_path):
    r = nsstls(opt, str(tmp_path / "s.pem"), "localhost:1")
    assert r.returncode == 1
    assert "bound to the process" in r.stderr and "--reconnect" in r.stderr, r.stderr


@pytest.mark.parametrize("args,needle", [
    (["--early-data", "/dev/null"], "needs --reconnect"),
    (["--early-data", "/dev/null", "--reconnect", "--tls1.2"], "TLS 1.3"),
    (["--reconnect=0"], "count"),
    (["--reconnect", "--renegotiate"], "excludes"),
])
def test_session_usage_errors(nsstls, args, needle):
    r = nsstls(*args, "localhost:1")
    assert r.returncode == 1, r.stderr
    assert needle in r.stderr, r.stderr


def test_early_data_unreadable_is_setup_error(nsstls, openssl_server, tmp_path):
    srv = openssl_server(**CHAIN, args=["-tls1_3", "-www"])
    r = run(nsstls, srv.port, "--reconnect=1", "--early-data", str(tmp_path / "missing"))
    assert r.returncode == 2, r.stderr
    assert "cannot read --early-data" in r.stderr


def test_s_client_reconnect_alias(nsstls, openssl_server):
    srv = openssl_server(**CHAIN, args=["-tls1_3", "-www"])
    r = nsstls(*BOUNDED, "-CAfile", ROOTS, "-reconnect", "-connect", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert "Reconnections (5)" in r.stderr
