"""Bugs the fuzz targets (fuzz/, scripts/fuzz.sh) and the random-report
test found, each pinned by what a user sees.  The inputs that found them
are in fuzz/corpus/, so the fuzz run replays them too.

Every test here runs the sanitizer build: a leak makes nsstls exit 86
(ASAN_OPTIONS exitcode), so an exact exit code is also a leak check."""

import peers
import starttls_peers as sp

PROCESS_TIMEOUT = 20
NO_ENV = {v: None for v in peers.PROXY_ENV}


def test_starttls_auto_target_without_port(nsstls, tmp_path):
    """fuzz-target: cli_target_opts leaked the parsed host when --starttls
    auto could not name a protocol (no port), which a --targets line can
    ask for (fixed on main too, by the --targets line checks): the line is
    refused with its number, exit 1, nothing leaked."""
    targets = tmp_path / "targets"
    targets.write_text("mail.example.com:25\nmail.invalid\n")
    r = nsstls("--starttls", "auto", "--targets", targets, timeout=PROCESS_TIMEOUT)
    assert r.returncode == 1, r.stderr
    assert "line 2: bad target 'mail.invalid': --starttls auto needs a port" in r.stderr
    assert "LeakSanitizer" not in r.stderr


def test_print_cert_junk_pem_block(nsstls, tmp_path, fixtures_dir):
    """fuzz-cert: a CERTIFICATE block whose body is not base64 decoded to an
    empty item that was never freed (certinfo.c cert_decode_ders).  The
    file is refused with exit 2, nothing leaked."""
    pem = tmp_path / "junk.pem"
    pem.write_bytes(b"-----BEGIN CERTIFICATE-----\n" + b"\xd4" * 18 +
                    b"\n-----END CERTIFICATE-----\n" +
                    (fixtures_dir / "server-rsa.crt").read_bytes())
    r = nsstls("--print-cert", pem, timeout=PROCESS_TIMEOUT)
    assert r.returncode == 2, r.stderr
    assert "a certificate could not be decoded" in r.stderr
    assert "LeakSanitizer" not in r.stderr


def odd_status_proxy(status_line):
    """A CONNECT proxy that answers status_line and an empty line, then
    closes."""
    def handler(peer, conn):
        talk = sp.Talk(peer, conn)
        while True:
            line = talk.line()
            if line is None or line == "":
                break
        talk.send(status_line + "\r\n\r\n")
        peer.close(conn)
    return peers._py_peer("odd status proxy", handler)


def test_proxy_status_below_100(nsstls):
    """test_json_random: a proxy answering "HTTP/1.1 017 ..." was taken as
    status 17, which the JSON schema (100-999) rejects.  It is no HTTP
    status line: exit 4, phase proxy, status_code null, valid JSON."""
    with odd_status_proxy("HTTP/1.1 017 Odd") as proxy:
        r = nsstls("--json", "--timeout", "2", "--proxy", f"127.0.0.1:{proxy.port}",
                   "localhost:1", env=NO_ENV, timeout=PROCESS_TIMEOUT)
    assert r.returncode == 4, r.stderr
    doc = peers.json_document(r)         # validates against the schema
    assert doc["outcome"]["phase"] == "proxy"
    assert doc["proxy"]["status_code"] is None
    assert doc["proxy"]["status_line"] == "HTTP/1.1 017 Odd"
    assert 'not an HTTP answer to CONNECT: "HTTP/1.1 017 Odd"' in doc["outcome"]["message"]
