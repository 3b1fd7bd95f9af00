"""--trace: every TLS record on the wire, and the byte counts in the report.

The trace is checked against what the other end saw: `openssl s_server -msg`
prints the header of every record it sends and receives, so the records
nsstls traced as sent must be exactly the records the server received, and
the records traced as received must be what the server sent (up to the point
where nsstls stopped reading).  The byte counts in the JSON report must be
the sums of the traced records (5-byte header + length).
"""

import contextlib
import re
import socket

import pytest

import peers
from peers import BOUNDED, ROOTS

RECORD = re.compile(r"^([<>]) record (\w+) (\S+) len (\d+)"
                    r"( \(encrypted(?:, epoch (\d+))?\))?(?:: (.*))?$")
TYPES = {"change_cipher_spec": 20, "alert": 21, "handshake": 22, "application_data": 23}


def records(stderr):
    """[(direction, type, version, length, encrypted, words, epoch)] of the
    trace; epoch is set when a TLS 1.3 record was decrypted, and words
    then start with the inner content type ("handshake: finished")."""
    out = []
    for line in stderr.splitlines():
        m = RECORD.match(line)
        if m:
            out.append((m.group(1), m.group(2), m.group(3), int(m.group(4)),
                        m.group(5) is not None, m.group(7) or "",
                        int(m.group(6)) if m.group(6) else None))
    return out


def messages(recs, direction):
    """The handshake message names traced in one direction, in order,
    plaintext or decrypted."""
    names = []
    for d, rtype, _, _, _, words, epoch in recs:
        if d != direction or not words:
            continue
        if epoch is not None:
            inner, _, words = words.partition(": ")
            if inner != "handshake":
                continue
        elif rtype != "handshake":
            continue
        names += [w.strip() for w in words.split(",")]
    return names


def server_headers(log):
    """[(direction, type, length)] of the record headers s_server -msg
    printed; direction as nsstls sees it ('>' = the server received it)."""
    out = []
    lines = log.splitlines()
    for i, line in enumerate(lines[:-1]):
        m = re.match(r"^(<<<|>>>) .*RecordHeader \[length 0005\]$", line)
        if m:
            b = bytes.fromhex(lines[i + 1].strip())
            out.append((">" if m.group(1) == "<<<" else "<", b[0],
                        int.from_bytes(b[3:5], "big")))
    return out


def wire_sum(recs, direction):
    return sum(5 + x[3] for x in recs if x[0] == direction)


def rsa_server(openssl_server, *args):
    return openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                          args=["-naccept", "1", "-msg", *args])


def finished_log(srv):
    """s_server's output once it has exited (-naccept 1: after the
    connection), so every record it saw is in it."""
    with contextlib.suppress(Exception):
        srv.proc.wait(timeout=5)
    return srv.log()


def check_against_server(recs, srv):
    ours_sent = [(x[0], TYPES[x[1]], x[3]) for x in recs if x[0] == ">"]
    ours_received = [(x[0], TYPES[x[1]], x[3]) for x in recs if x[0] == "<"]
    theirs = server_headers(finished_log(srv))
    theirs_received = [h for h in theirs if h[0] == ">"]
    theirs_sent = [h for h in theirs if h[0] == "<"]
    assert ours_sent == theirs_received, (ours_sent, theirs_received)
    # nsstls stops reading when it is done; the server may have sent more
    # (tickets, its close_notify) that nobody read.
    assert ours_received == theirs_sent[:len(ours_received)], (ours_received, theirs_sent)


# ---- known handshakes against openssl s_server ----------------------------

def test_trace_tls13_handshake(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-tls1_3")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--trace", "--json", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    recs = records(r.stderr)
    assert recs, r.stderr
    # The first record out is the ClientHello, in a TLS 1.0 record.
    assert recs[0][:2] == (">", "handshake") and recs[0][5] == "client_hello", recs[0]
    assert recs[0][2] == "TLSv1.0"
    incoming = [x for x in recs if x[0] == "<"]
    assert incoming[0][1] == "handshake" and incoming[0][5] == "server_hello", incoming
    # Then the compatibility ChangeCipherSpec and the rest, encrypted, and
    # decrypted with the handshake keys (epoch 2).
    assert incoming[1][1] == "change_cipher_spec", incoming
    assert all(x[1] == "application_data" and x[4] for x in incoming[2:]), incoming
    assert messages(recs, "<") == ["server_hello", "encrypted_extensions", "certificate",
                                   "certificate_verify", "finished"], recs
    assert {x[6] for x in incoming[2:]} == {2}, incoming
    # Ours: the Finished under the handshake keys, then close_notify under
    # the application keys (epoch 3).
    out = [x for x in recs if x[0] == ">"]
    assert [(x[1], x[5], x[6]) for x in out[1:]] == [
        ("application_data", "handshake: finished", 2),
        ("application_data", "alert: warning close_notify", 3)], out
    doc = peers.json_document(r)
    assert doc["wire"]["sent"] == {"bytes": wire_sum(recs, ">"),
                                   "records": sum(1 for x in recs if x[0] == ">")}
    assert doc["wire"]["received"] == {"bytes": wire_sum(recs, "<"),
                                       "records": len(incoming)}
    check_against_server(recs, srv)


def test_trace_tls12_handshake(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-tls1_2")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--trace", "--json", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    recs = records(r.stderr)
    assert messages(recs, ">")[:2] == ["client_hello", "client_key_exchange"], recs
    got = messages(recs, "<")
    want = ["server_hello", "certificate", "server_key_exchange", "server_hello_done"]
    assert got[:4] == want, got
    # After each side's ChangeCipherSpec, its Finished is encrypted.
    for direction in "<>":
        mine = [x for x in recs if x[0] == direction]
        ccs = [i for i, x in enumerate(mine) if x[1] == "change_cipher_spec"]
        assert ccs, mine
        after = mine[ccs[0] + 1]
        assert after[1] == "handshake" and after[4] and after[5] == "", mine
    # Our close_notify is an encrypted alert.
    assert recs[-1][:2] == (">", "alert") and recs[-1][4], recs[-1]
    doc = peers.json_document(r)
    assert doc["wire"]["sent"]["bytes"] == wire_sum(recs, ">")
    assert doc["wire"]["received"]["bytes"] == wire_sum(recs, "<")
    assert doc["keylog"] is None
    check_against_server(recs, srv)


def test_trace_hello_retry_request(nsstls, openssl_server):
    # nsstls offers an x25519 key share first; a P-256-only server asks for
    # another ClientHello.
    srv = rsa_server(openssl_server, "-tls1_3", "-groups", "P-256")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--trace", "--no-data",
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    recs = records(r.stderr)
    assert messages(recs, ">")[:2] == ["client_hello", "client_hello"], recs
    assert messages(recs, "<")[:2] == ["hello_retry_request", "server_hello"], recs
    # The ServerHello after the server's compatibility ChangeCipherSpec is
    # still plaintext in TLS 1.3.
    check_against_server(recs, srv)


def app_bytes(recs, direction):
    """Application data bytes in the decrypted TLS 1.3 records."""
    total = 0
    for x in recs:
        m = re.fullmatch(r"application_data (\d+) bytes", x[5])
        if x[0] == direction and x[6] is not None and m:
            total += int(m.group(1))
    return total


def test_trace_data_phase_and_key_update(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-tls1_3", "-www")
    get = b"GET / HTTP/1.0\r\n\r\n"
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--trace", "--key-update=request",
               f"localhost:{srv.port}", input=get)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("HTTP/1.0 200"), r.stdout[:100]
    recs = records(r.stderr)
    # The decrypted application data is what went in and came out.
    assert app_bytes(recs, ">") == len(get)
    assert app_bytes(recs, "<") == len(r.stdout_bytes)
    # Our KeyUpdate goes under the first application keys (epoch 3) and
    # our data under the next; the server's update comes when it answers.
    out = [(x[5], x[6]) for x in recs if x[0] == ">"]
    assert out[1:4] == [("handshake: finished", 2), ("handshake: key_update", 3),
                        (f"application_data {len(get)} bytes", 4)], out
    assert "key_update" in messages(recs, "<")
    assert max(x[6] or 0 for x in recs if x[0] == "<") == 4
    # The records of the data phase come after the report.
    report_end = r.stderr.index("Extended master secret")
    late = records(r.stderr[report_end:])
    assert any(x[0] == ">" and x[5].startswith("application_data") for x in late)
    # With --trace the counts are in the text report too.
    assert re.search(r"^TLS records: \d+ sent \(\d+ bytes\), \d+ received \(\d+ bytes\)$",
                     r.stderr, re.M), r.stderr
    assert re.search(r"^TLS records before closing: ", r.stderr, re.M), r.stderr


def test_trace_hex_dump(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-tls1_3")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--trace=hex", "--no-data",
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    first = next(i for i, line in enumerate(lines) if RECORD.match(line))
    length = int(RECORD.match(lines[first]).group(4))
    dump = bytearray()
    for line in lines[first + 1:]:
        m = re.match(r"^    ([0-9a-f]{4})  ((?:[0-9a-f]{2} {1,2})*[0-9a-f]{2}) +\|.*\|$", line)
        if not m:
            break
        assert int(m.group(1), 16) == len(dump), line
        dump += bytes.fromhex(m.group(2).replace(" ", ""))
    assert len(dump) == 5 + length, (len(dump), length)
    assert dump[0] == 22 and dump[5] == 1                # handshake, client_hello
    assert int.from_bytes(dump[3:5], "big") == length


# ---- what the record parser does with odd input ------------------------------

def _u24(n):
    return n.to_bytes(3, "big")


def _record(body):
    return b"\x16\x03\x03" + len(body).to_bytes(2, "big") + body


@contextlib.contextmanager
def fragmenting_server():
    """A scripted TLS 1.2 server: a ServerHello split over two records, the
    next message's header split between records, two messages in one record
    (an empty Certificate, which NSS refuses, then ServerHelloDone)."""
    ext = b"\xff\x01\x00\x01\x00"                       # renegotiation_info
    sh_body = (b"\x03\x03" + b"\x11" * 32 + b"\x00" + b"\xc0\x2f" + b"\x00" +
               len(ext).to_bytes(2, "big") + ext)
    sh = b"\x02" + _u24(len(sh_body)) + sh_body
    cert = b"\x0b" + _u24(3) + b"\x00\x00\x00"
    done = b"\x0e" + _u24(0)
    flight = (_record(sh[:20]) + _record(sh[20:] + cert[:2]) +
              _record(cert[2:] + done))

    def handler(peer, conn):
        peer.read_record(conn)
        peer.send(conn, flight)
        conn.settimeout(5)
        with contextlib.suppress(OSError):
            while conn.recv(4096):
                pass
        peer.close(conn)
    peer = peers.PyPeer("fragmenting server", handler)
    try:
        yield peer
    finally:
        peer.stop()


def test_trace_messages_across_records():
    with fragmenting_server() as srv:
        r = peers.run_nsstls(*BOUNDED, "--ca-file", ROOTS, "--tls1.2", "--trace",
                             "--no-data", f"localhost:{srv.port}")
    assert r.returncode == 5, r.stderr
    incoming = [x for x in records(r.stderr) if x[0] == "<"]
    assert [x[5] for x in incoming] == [
        "server_hello (start)",
        "server_hello (end), message header (start)",
        "certificate (end), server_hello_done",
    ], r.stderr
    # NSS refused the empty Certificate with a plaintext alert.
    alerts = [x for x in records(r.stderr) if x[0] == ">" and x[1] == "alert"]
    assert alerts and not alerts[0][4] and alerts[0][5].startswith("fatal "), r.stderr


def test_trace_not_tls(nsstls, garbage_server):
    r = nsstls(*BOUNDED, "--trace", "--json", f"localhost:{garbage_server.port}")
    assert r.returncode == 5, r.stderr
    # "HTTP/" is not a record header.
    assert re.search(r"^< not a TLS record: 48 54 54 50 2f \(", r.stderr, re.M), r.stderr
    doc = peers.json_document(r)
    assert doc["wire"]["received"]["records"] == 0
    assert doc["wire"]["received"]["bytes"] >= 5


def test_trace_incomplete_record(nsstls, half_hello_server):
    r = nsstls("--timeout", "1", "--connect-timeout", "2", "--trace", "--json",
               f"localhost:{half_hello_server.port}")
    assert r.returncode == 5, r.stderr
    have = len(peers.HALF_HELLO)
    assert re.search(rf"^< incomplete record handshake TLSv1\.2: {have} of 85 bytes$",
                     r.stderr, re.M), r.stderr
    doc = peers.json_document(r)
    assert doc["wire"]["received"] == {"bytes": have, "records": 0}


def test_trace_starts_after_starttls(nsstls):
    # The layer goes on the socket just before TLS: the SMTP dialogue is
    # neither traced nor counted.
    sp = pytest.importorskip("starttls_peers")
    with sp.starttls_server(sp.DIALOGUES["smtp"]) as srv:
        r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--starttls", "smtp", "--trace",
                   "--json", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    recs = records(r.stderr)
    assert recs[0][5] == "client_hello", r.stderr
    assert "not a TLS record" not in r.stderr
    doc = peers.json_document(r)
    assert doc["wire"]["sent"]["bytes"] == wire_sum(recs, ">")
    assert doc["wire"]["received"]["bytes"] == wire_sum(recs, "<")


# ---- counts in the report, streams, options ---------------------------------

def test_counts_need_verbose_in_text(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-tls1_3")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert "TLS records" not in r.stderr
    assert not records(r.stderr)
    srv = rsa_server(openssl_server, "-tls1_3")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "-v", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^TLS records: 2 sent \(\d+ bytes\), \d+ received \(\d+ bytes\)$",
                     r.stderr, re.M), r.stderr
    assert not records(r.stderr)


def test_no_connection_no_wire(nsstls, closed_port):
    r = nsstls(*BOUNDED, "--trace", "--json", f"127.0.0.1:{closed_port}")
    assert r.returncode == 3, r.stderr
    assert peers.json_document(r)["wire"] is None


def test_trace_many_targets_keep_their_own_lines(nsstls, openssl_server):
    a = rsa_server(openssl_server, "-tls1_3")
    b = rsa_server(openssl_server, "-tls1_2")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--trace", "-j", "2",
               f"localhost:{a.port}", f"localhost:{b.port}")
    assert r.returncode == 0, r.stderr
    blocks = re.split(r"^== ", r.stderr, flags=re.M)[1:]
    assert len(blocks) == 2, r.stderr
    for block, version in zip(blocks, ("TLSv1.3", "TLSv1.2")):
        recs = records(block)
        assert recs and recs[0][5] == "client_hello", block
        assert re.search(rf"^  Protocol\s+{re.escape(version)}$", block, re.M), block
    # Each block has its own handshake: TLS 1.3's EncryptedExtensions in
    # the first, TLS 1.2's ServerKeyExchange in the second.
    first, second = messages(records(blocks[0]), "<"), messages(records(blocks[1]), "<")
    assert "encrypted_extensions" in first and "server_key_exchange" not in first
    assert "server_key_exchange" in second and "encrypted_extensions" not in second


def test_msg_alias_and_value_only_after_equals(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-tls1_3")
    # "--trace host": host is the target, not the value.
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--trace", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert records(r.stderr) and "    0000 " not in r.stderr
    srv = rsa_server(openssl_server, "-tls1_3")
    r = nsstls(*BOUNDED, "-CAfile", ROOTS, "--no-data", "-msg", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert records(r.stderr)


@pytest.mark.parametrize("args, words", [
    (["--trace=base64", "localhost:1"], "'base64' is not 'hex'"),
    (["--trace", "--print-cert", "x.pem"], "--print-cert"),
])
def test_trace_usage_errors(nsstls, args, words):
    r = nsstls(*args)
    assert r.returncode == 1, r.stderr
    assert words in r.stderr, r.stderr
