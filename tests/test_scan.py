"""--scan: everything a server accepts, against servers of known
configuration on loopback.

Each test starts openssl s_server (or gnutls-serv, or a scripted peer in
front of one) with chosen versions, suites, groups and certificates, scans
it, and checks that the scan finds exactly the configuration — and, where
sslscan and testssl.sh are installed, that it agrees with them on every
version and suite they report.  JSON documents are validated against the schema.
"""

import json
import re
import select
import shutil
import socket
import struct
import threading
import time

import pytest

import peers
from peers import ROOTS

RSA = ("server-rsa.crt", "server-rsa.key")
EC = ("server-ec.crt", "server-ec.key")


def scan_json(nsstls, target, *args):
    r = nsstls("--scan", "--json", "--ca-file", ROOTS, *args, target, timeout=120)
    assert r.returncode == 0, r.stderr
    doc = peers.validate_json(json.loads(r.stdout))
    assert doc["mode"] == "scan"
    return doc


def version(doc, name):
    return next(v for v in doc["scan"]["versions"] if v["version"] == name)


def accepted(doc):
    return [v["version"] for v in doc["scan"]["versions"] if v["accepted"] == "yes"]


def suites(doc, name):
    return [s["name"] for s in version(doc, name)["suites"]]


def finding_ids(doc):
    return {f["id"] for f in doc["scan"]["findings"]}


def rsa_server(openssl_server, *args):
    return openssl_server(*RSA, chain="int-rsa.crt", args=list(args))


# ---- versions and suites ------------------------------------------------

SERVER_ORDER = ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                "TLS_RSA_WITH_AES_128_CBC_SHA"]


def test_suites_in_server_order(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-tls1_2", "-serverpref", "-cipher",
                     "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:AES128-SHA")
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    assert accepted(doc) == ["TLSv1.2"]
    assert version(doc, "TLSv1.3")["accepted"] == "no"
    assert version(doc, "SSLv3")["accepted"] == "no"
    assert suites(doc, "TLSv1.2") == SERVER_ORDER
    assert version(doc, "TLSv1.2")["order"] == "server"
    sev = {s["name"]: s["severity"] for s in version(doc, "TLSv1.2")["suites"]}
    assert sev["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"] == "ok"
    assert sev["TLS_RSA_WITH_AES_128_CBC_SHA"] == "deprecated"
    # One connection per accepted suite and one refusal, not one per suite
    # known: the whole scan stays far below NSS's 71 suites per version.
    assert doc["scan"]["connections"] < 80
    assert "suite-outside-profile" in finding_ids(doc)


def test_client_order_detected(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-tls1_2", "-cipher",
                     "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:AES128-SHA")
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    assert sorted(suites(doc, "TLSv1.2")) == sorted(SERVER_ORDER)
    assert version(doc, "TLSv1.2")["order"] == "client"


def test_tls13_chacha_only_and_groups(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-tls1_3", "-ciphersuites",
                     "TLS_CHACHA20_POLY1305_SHA256", "-groups", "secp384r1:X448")
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    assert accepted(doc) == ["TLSv1.3"]
    assert suites(doc, "TLSv1.3") == ["TLS_CHACHA20_POLY1305_SHA256"]
    groups = [g["name"] for g in version(doc, "TLSv1.3")["groups"]]
    assert groups == ["secp384r1", "x448"]
    # x448 is beyond NSS 3.87: only the raw hello can see it.
    assert [g["raw_probe"] for g in version(doc, "TLSv1.3")["groups"]] == [False, True]


def test_dhe_only_reports_dh_size(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-tls1_2", "-cipher",
                     "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384")
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    got = version(doc, "TLSv1.2")["suites"]
    assert {s["name"] for s in got} == {"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
                                        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"}
    assert all(s["key_exchange"] == "DHE" and s["dh_bits"] >= 2048 for s in got)
    assert version(doc, "TLSv1.2")["groups"] == []


def test_signature_schemes_one_at_a_time(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-tls1_3", "-sigalgs",
                     "rsa_pss_rsae_sha384:rsa_pss_rsae_sha512")
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    assert version(doc, "TLSv1.3")["signature_schemes"] == [
        "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512"]


def test_old_versions_forbidden_by_profile(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-min_protocol", "TLSv1", "-max_protocol",
                     "TLSv1.2", "-cipher", "ECDHE-RSA-AES128-SHA:AES128-SHA:@SECLEVEL=0")
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    assert accepted(doc) == ["TLSv1.0", "TLSv1.1", "TLSv1.2"]
    assert doc["scan"]["features"]["fallback_scsv"] == "yes"
    forbidden = [f["text"] for f in doc["scan"]["findings"] if f["id"] == "version-forbidden"]
    assert len(forbidden) == 2 and all(f["severity"] == "error" for f in doc["scan"]["findings"]
                                       if f["id"] == "version-forbidden")
    assert doc["scan"]["verdict"] == "fail"
    # The old profile allows them.
    doc = scan_json(nsstls, f"localhost:{srv.port}", "--profile", "old")
    assert "version-forbidden" not in finding_ids(doc)


def test_check_line_and_exit(nsstls, openssl_server):
    old = rsa_server(openssl_server, "-min_protocol", "TLSv1", "-max_protocol",
                     "TLSv1.2", "-cipher", "AES128-SHA:@SECLEVEL=0")
    r = nsstls("--scan", "--check", "--ca-file", ROOTS, f"localhost:{old.port}",
               timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout.startswith("TLS SCAN CRITICAL - ")
    assert "TLSv1.0 is accepted" in r.stdout
    perf = r.stdout.split("|", 1)[1]
    assert "versions=TLSv1.0,TLSv1.1,TLSv1.2" in perf
    assert re.search(r" connections=\d+ scan_ms=\d+$", perf.strip())

    good = openssl_server(*EC, chain="int-ec.crt", args=["-tls1_3"])
    r = nsstls("--scan", "--check", "--profile", "modern", "--ca-file", ROOTS,
               f"localhost:{good.port}", timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("TLS SCAN OK - ")


def test_text_and_brief(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
    r = nsstls("--scan", "--ca-file", ROOTS, f"localhost:{srv.port}", timeout=120,
               env={"NO_COLOR": "1"})
    assert r.returncode == 0, r.stderr
    assert re.search(r"^  TLSv1\.2\s+yes$", r.stdout, re.M)
    assert "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" in r.stdout
    assert "\033[" not in r.stdout
    r = nsstls("--scan", "-v", "--ca-file", ROOTS, f"localhost:{srv.port}", timeout=120)
    assert "ECDHE-RSA-AES128-GCM-SHA256" in r.stdout     # -v: OpenSSL names
    r = nsstls("--scan", "--brief", "--ca-file", ROOTS, f"localhost:{srv.port}",
               timeout=120)
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0] == f"localhost:{srv.port}: TLSv1.2; 1 suites; 1 certificate"
    assert len(lines) <= 5


# ---- certificates -------------------------------------------------------

def test_dual_certificates_by_key_type(nsstls, openssl_server, fixtures_dir):
    srv = openssl_server(*RSA, chain="int-rsa.crt", args=[
        "-tls1_2", "-dcert", str(fixtures_dir / "server-ec.crt"),
        "-dkey", str(fixtures_dir / "server-ec.key"),
        "-dcert_chain", str(fixtures_dir / "int-ec.crt")])
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    certs = doc["scan"]["certificates"]
    by_type = {c["key_type"]: c for c in certs}
    assert set(by_type) == {"RSA", "EC"}, certs
    assert "ECDSA" in by_type["EC"]["found_by"]
    assert "RSA" in by_type["RSA"]["found_by"]
    assert all(c["verified"] for c in certs)


def test_unverifiable_certificate_is_an_error_finding(nsstls, openssl_server):
    srv = openssl_server("expired.crt", "expired.key", chain="int-rsa.crt",
                         args=["-tls1_3"])
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    cert = doc["scan"]["certificates"][0]
    assert cert["verified"] is False
    assert "certificate-invalid" in finding_ids(doc)
    text = next(f["text"] for f in doc["scan"]["findings"] if f["id"] == "certificate-invalid")
    assert "fails verification: " in text and "expired" in text   # the reason
    assert doc["scan"]["verdict"] == "fail"


# ---- raw probes ---------------------------------------------------------

CCM = 0xC0AC        # TLS_ECDHE_ECDSA_WITH_AES_128_CCM: not in NSS 3.87


def server_hello(version: int, suite: int, extensions: bytes = b"") -> bytes:
    body = struct.pack(">H", version) + bytes(32) + b"\x00" + struct.pack(">HB", suite, 0)
    body += struct.pack(">H", len(extensions)) + extensions
    hs = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + struct.pack(">H", len(hs)) + hs


def offered_suites(hello: bytes) -> tuple[int, list[int]]:
    """(client_version, suites) of a TLS ClientHello record."""
    p = 9
    ver = int.from_bytes(hello[p:p + 2], "big")
    p += 2 + 32
    p += 1 + hello[p]
    n = int.from_bytes(hello[p:p + 2], "big")
    return ver, [int.from_bytes(hello[p + 2 + i:p + 4 + i], "big") for i in range(0, n, 2)]


def pipe(a: socket.socket, b: socket.socket) -> None:
    """Relay both ways until either side closes or resets."""
    socks = [a, b]
    while True:
        ready, _, _ = select.select(socks, [], [], 5)
        if not ready:
            return
        for s in ready:
            try:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
            except OSError:
                return


def front(backend_port: int, raw_suite=None):
    """A peer in front of a real server: it answers a ServerHello itself
    when offered raw_suite (which NSS never offers), and otherwise passes
    the connection through."""
    def handler(peer, conn):
        hello = peer.read_record(conn)
        if len(hello) < 50 or hello[0] != 0x16:
            peer.close(conn)
            return
        ver, offered = offered_suites(hello)
        if raw_suite is not None and raw_suite in offered and ver == 0x0303:
            peer.send(conn, server_hello(0x0303, raw_suite))
            peer.close(conn)
            return
        with socket.create_connection((peers.LOOPBACK, backend_port)) as up:
            up.sendall(hello)
            pipe(conn, up)
        peer.close(conn)
    return peers._py_peer("scan-front", handler)


def test_raw_probe_finds_suite_nss_lacks(nsstls, openssl_server, _server_stack):
    srv = rsa_server(openssl_server, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
    peer = _server_stack(front(srv.port, raw_suite=CCM))
    doc = scan_json(nsstls, f"localhost:{peer.port}")
    got = {s["name"]: s for s in version(doc, "TLSv1.2")["suites"]}
    assert set(got) == {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                        "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"}
    assert got["TLS_ECDHE_ECDSA_WITH_AES_128_CCM"]["raw_probe"] is True
    assert got["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]["raw_probe"] is False


def test_raw_probes_see_what_openssl_accepts(nsstls, openssl_server):
    """ARIA, CAMELLIA-SHA256, CCM, CCM-8, anonymous and NULL suites: NSS
    implements none of these, the raw hello finds them all."""
    srv = rsa_server(openssl_server, "-tls1_2", "-cipher",
                     "ARIA128-GCM-SHA256:AES128-CCM8:ADH-AES128-SHA:"
                     "ECDHE-RSA-CAMELLIA128-SHA256:@SECLEVEL=0")
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    got = {s["openssl_name"] for s in version(doc, "TLSv1.2")["suites"]}
    assert got == {"ARIA128-GCM-SHA256", "AES128-CCM8", "ADH-AES128-SHA",
                   "ECDHE-RSA-CAMELLIA128-SHA256"}
    assert "suite-weak" in finding_ids(doc)       # anonymous DH


def test_compression_and_heartbeat_answered(nsstls, openssl_server, _server_stack):
    """A peer that takes DEFLATE and echoes the heartbeat extension."""
    srv = rsa_server(openssl_server, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")

    def handler(peer, conn):
        hello = peer.read_record(conn)
        if len(hello) < 50 or hello[0] != 0x16:
            peer.close(conn)
            return
        ver, offered = offered_suites(hello)
        p = 9 + 2 + 32
        p += 1 + hello[p]
        p += 2 + int.from_bytes(hello[p:p + 2], "big")
        methods = hello[p + 1:p + 1 + hello[p]]
        if 1 in methods:        # only the raw hello offers DEFLATE
            sh = bytearray(server_hello(0x0303, offered[0], b"\x00\x0f\x00\x01\x01"))
            sh[5 + 4 + 2 + 32 + 1 + 2] = 1
            peer.send(conn, bytes(sh))
            peer.close(conn)
            return
        with socket.create_connection((peers.LOOPBACK, srv.port)) as up:
            up.sendall(hello)
            pipe(conn, up)
        peer.close(conn)
    peer = _server_stack(peers._py_peer("compress", handler))
    doc = scan_json(nsstls, f"localhost:{peer.port}")
    assert doc["scan"]["features"]["compression"] == "yes"
    assert doc["scan"]["features"]["heartbeat"] == "yes"
    assert "compression" in finding_ids(doc)


# ---- a server that refuses connections mid-scan -------------------------

class Refuser:
    """Forwards to a backend; after `after` connections it stops listening
    for `pause` seconds (connections are refused), then listens again on
    the same port."""

    def __init__(self, backend: int, after: int, pause: float):
        self.backend, self.after, self.pause = backend, after, pause
        self.count = 0
        self.closed_at = None
        self.stop = threading.Event()
        self.sock = self._listen(0)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    @staticmethod
    def _listen(port):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((peers.LOOPBACK, port))
        s.listen(64)
        return s

    def _serve(self, conn):
        with conn, socket.create_connection((peers.LOOPBACK, self.backend)) as up:
            pipe(conn, up)

    def _loop(self):
        while not self.stop.is_set():
            ready, _, _ = select.select([self.sock], [], [], 0.05)
            if not ready:
                continue
            conn, _ = self.sock.accept()
            self.count += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()
            if self.count == self.after:
                self.sock.close()
                self.closed_at = time.monotonic()
                self.stop.wait(self.pause)
                self.sock = self._listen(self.port)
        self.sock.close()

    def close(self):
        self.stop.set()
        self.thread.join(5)


def test_refusals_mid_scan_are_retried_not_taken_as_no(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-tls1_2", "-serverpref", "-cipher",
                     "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:AES128-SHA")
    direct = scan_json(nsstls, f"localhost:{srv.port}")
    ref = Refuser(srv.port, after=6, pause=0.4)
    try:
        doc = scan_json(nsstls, f"localhost:{ref.port}")
    finally:
        ref.close()
    assert ref.closed_at is not None
    assert doc["scan"]["refused_connections"] > 0
    assert doc["scan"]["complete"] is True
    assert accepted(doc) == accepted(direct)
    assert suites(doc, "TLSv1.2") == suites(direct, "TLSv1.2") == SERVER_ORDER
    for key in ("fallback_scsv", "secure_renegotiation", "resumption_session_id"):
        assert doc["scan"]["features"][key] == direct["scan"]["features"][key]


def test_unreachable_is_exit_3(nsstls, closed_port):
    r = nsstls("--scan", "--connect-timeout", "1", f"127.0.0.1:{closed_port}",
               timeout=60)
    assert r.returncode == 3, r.stderr
    assert "connection refused" in r.stderr


# ---- features -----------------------------------------------------------

def test_alpn_and_resumption(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-alpn", "http/1.1,spdy/3")
    doc = scan_json(nsstls, f"localhost:{srv.port}", "--alpn", "spdy/3,imap")
    f = doc["scan"]["features"]
    assert sorted(f["alpn"]) == ["http/1.1", "spdy/3"]
    assert f["resumption_tls13"] == "yes"
    assert f["resumption_session_id"] == "yes"
    assert f["secure_renegotiation"] == "yes"
    assert f["extended_master_secret"] == "yes"
    assert f["client_renegotiation"] == "no"
    assert f["early_data"] == "no"


@pytest.mark.parametrize("args, state, result", [
    # Takes 0-RTT: the scan's request arrives early and is read.
    (["-early_data"], "yes", "accepted"),
    # Tickets promise 16 KiB of early data, but s_server without
    # -early_data never reads it: OpenSSL rejects what comes.
    (["-max_early_data", "16384"], "no", "rejected"),
])
def test_early_data_sent_and_judged(nsstls, openssl_server, args, state, result):
    srv = rsa_server(openssl_server, "-tls1_3", *args)
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    f = doc["scan"]["features"]
    assert (f["early_data"], f["early_data_result"]) == (state, result)
    assert f["early_data_max_size"] == 16384
    # The HEAD request for the target went as early data, whole.
    assert f["early_data_sent"] == len(
        "HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert f["resumption_tls13"] == "yes"
    # s_server prints the early data it read: only when it took it.
    head = "HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    assert (head.replace("\r\n", "\n") in srv.log().replace("\r\n", "\n")) == (
        result == "accepted")
    r = nsstls("--scan", "--ca-file", ROOTS, f"localhost:{srv.port}", timeout=120)
    assert re.search(rf"0-RTT early data +{state} \(\d+-byte request {result}; "
                     r"tickets allow 16384 bytes\)", r.stdout), r.stdout


def test_early_data_through_starttls_is_a_noop(nsstls, openssl_server):
    """SMTP STARTTLS in front of s_server -early_data: the 0-RTT request is
    the protocol's NOOP, and the server reads it as early data."""
    import starttls_peers as sp
    srv = rsa_server(openssl_server, "-tls1_3", "-early_data")

    def handler(peer, conn):
        if sp.smtp(sp.Talk(peer, conn), "ok") == sp.TLS:
            with socket.create_connection(("127.0.0.1", srv.port)) as up:
                sp._relay(peer, conn, up)
        peer.close(conn)

    with peers._py_peer("SMTP STARTTLS in front of s_server", handler) as front:
        doc = scan_json(nsstls, f"localhost:{front.port}", "--starttls", "smtp")
    f = doc["scan"]["features"]
    assert (f["early_data"], f["early_data_result"], f["early_data_sent"]) == (
        "yes", "accepted", len("NOOP\r\n"))
    assert "NOOP" in srv.log() and "HEAD /" not in srv.log()


def test_early_data_not_offered_by_tickets(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-tls1_3")
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    f = doc["scan"]["features"]
    assert (f["early_data"], f["early_data_result"]) == ("no", "not offered")
    assert (f["early_data_max_size"], f["early_data_sent"]) == (0, 0)


def test_early_data_selfserv_rejects_in_its_first_window(nsstls, selfserv_server):
    """NSS on both sides: selfserv -Z issues tickets allowing 0-RTT, but
    NSS's anti-replay context rejects all early data during its first
    window (10 s in selfserv) after start, not knowing which tickets were
    used before: a scan right after start sees a real rejection."""
    srv = selfserv_server("server-rsa", args=["-V", "tls1.3:tls1.3", "-u", "-Z"])
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    f = doc["scan"]["features"]
    assert (f["early_data"], f["early_data_result"]) == ("no", "rejected")
    assert f["early_data_max_size"] > 0 and f["early_data_sent"] > 0


def test_gnutls_priority_string(nsstls, gnutls_server):
    srv = gnutls_server(*RSA, args=[
        "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+CAMELLIA-128-GCM:"
        "+AES-256-GCM"])
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    assert accepted(doc) == ["TLSv1.2"]
    names = set(suites(doc, "TLSv1.2"))
    assert "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" in names
    assert "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256" in names
    assert all("CAMELLIA_128_GCM" in n or "AES_256_GCM" in n for n in names)


# ---- the oracle ---------------------------------------------------------

def sslscan_facts(port: int) -> tuple[set, set]:
    out = peers._run_tool([shutil.which("sslscan"), "--no-colour", "--no-heartbleed",
                           "--no-groups", "--no-check-certificate",
                           f"localhost:{port}"], "sslscan")
    versions = set(re.findall(r"^(SSLv[23]|TLSv1\.[0-3])\s+enabled$", out, re.M))
    suites = set(re.findall(r"^(?:Preferred|Accepted)\s+(TLSv1\.[0-3])\s+\d+ bits\s+(\S+)",
                            out, re.M))
    return versions, suites


@pytest.mark.skipif(shutil.which("sslscan") is None, reason="no sslscan")
def test_agrees_with_sslscan(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-min_protocol", "TLSv1", "-cipher",
                     "ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    versions, theirs = sslscan_facts(srv.port)
    assert set(accepted(doc)) == versions
    ours = {(v["version"], s["openssl_name"]) for v in doc["scan"]["versions"]
            for s in v["suites"]}
    assert ours == theirs


TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh")
TESTSSL_VERSIONS = {"SSLv2": "SSLv2", "SSLv3": "SSLv3", "TLS1": "TLSv1.0",
                    "TLS1_1": "TLSv1.1", "TLS1_2": "TLSv1.2", "TLS1_3": "TLSv1.3"}


def oracle_testssl(port: int, jsonfile) -> tuple[set, set, float]:
    """testssl.sh's protocols (-p) and suites per protocol (-E), from its
    JSON: the smallest run that answers both (~15-30 s on loopback; a
    full run takes over 10 min)."""
    import subprocess
    start = time.monotonic()
    subprocess.run([TESTSSL, "--quiet", "--color", "0", "--warnings", "off",
                    "--ip", "one", "--openssl", shutil.which("openssl"),
                    "-p", "-E", "--jsonfile", str(jsonfile), f"127.0.0.1:{port}"],
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    took = time.monotonic() - start
    findings = json.loads(jsonfile.read_text())
    versions = {TESTSSL_VERSIONS[f["id"]] for f in findings
                if f["id"] in TESTSSL_VERSIONS and f["finding"].startswith("offered")}
    # "cipher-tls1_2_xc02f": "TLS 1.2 xc02f ECDHE-RSA-... TLS_ECDHE_RSA_..."
    suites = {("TLSv" + m[1], f["finding"].split()[-1]) for f in findings
              if (m := re.match(r"cipher-tls(1_[0-3])_x", f["id"]))}
    return versions, {(v.replace("_", "."), n) for v, n in suites}, took


@pytest.mark.skipif(TESTSSL is None, reason="testssl.sh is not installed "
                    "(scripts/deps.sh installs Debian's testssl.sh with the test packages)")
def test_agrees_with_testssl(nsstls, openssl_server, tmp_path):
    srv = rsa_server(openssl_server, "-cipher",
                     "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"
                     "ECDHE-RSA-CHACHA20-POLY1305:AES128-SHA", "-ciphersuites",
                     "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256")
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    versions, theirs, took = oracle_testssl(srv.port, tmp_path / "testssl.json")
    print(f"testssl.sh -p -E took {took:.1f} s")
    assert versions == {"TLSv1.2", "TLSv1.3"}       # the oracle itself worked
    assert set(accepted(doc)) == versions
    ours = {(v["version"], s["name"]) for v in doc["scan"]["versions"]
            for s in v["suites"]}
    assert ours == theirs


# ---- reaching the server ------------------------------------------------

def test_through_starttls(nsstls):
    import starttls_peers as sp
    with sp.starttls_server(sp.smtp, "ok") as srv:
        doc = scan_json(nsstls, f"localhost:{srv.port}", "--starttls", "smtp")
        n = srv.accepted
    assert "TLSv1.3" in accepted(doc) and "TLSv1.2" in accepted(doc)
    assert version(doc, "SSLv3")["accepted"] == "no"      # raw hello, after EHLO
    assert doc["scan"]["certificates"][0]["verified"] is True
    assert n == doc["scan"]["connections"]


def test_through_proxy(nsstls, openssl_server):
    import starttls_peers as sp
    srv = rsa_server(openssl_server, "-tls1_3")
    with sp.connect_proxy() as proxy:
        doc = scan_json(nsstls, f"localhost:{srv.port}", "--proxy",
                        f"127.0.0.1:{proxy.port}")
        tunnels = proxy.tunnels
    assert accepted(doc) == ["TLSv1.3"]
    assert tunnels == doc["scan"]["connections"]


def test_ipv6(nsstls, fixtures_dir, _server_stack):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    with peers._process_server("openssl s_server") as srv:
        srv.start([shutil.which("openssl"), "s_server", "-accept", "[::1]:0",
                   "-cert", str(fixtures_dir / "server-rsa.crt"),
                   "-key", str(fixtures_dir / "server-rsa.key"), "-tls1_2"])
        port = peers._poll(lambda: (re.search(r"^ACCEPT .*:(\d+)$", srv.log(), re.M)
                                    or [None, None])[1], 10, "ACCEPT")
        r = nsstls("--scan", "--json", "--insecure", "-6", f"[::1]:{port}", timeout=120)
    assert r.returncode == 0, r.stderr
    doc = peers.validate_json(json.loads(r.stdout))
    assert accepted(doc) == ["TLSv1.2"]


def test_many_targets_json_lines_and_shard(nsstls, openssl_server, tmp_path):
    a = rsa_server(openssl_server, "-tls1_2")
    b = rsa_server(openssl_server, "-tls1_3")
    c = rsa_server(openssl_server, "-tls1_2", "-cipher", "AES128-SHA")
    targets = [f"localhost:{s.port}" for s in (a, b, c)]
    r = nsstls("--scan", "--json", "--ca-file", ROOTS, "-j", "3", *targets, timeout=180)
    assert r.returncode == 0, r.stderr
    docs = [peers.validate_json(json.loads(l)) for l in r.stdout.splitlines()]
    assert [d["target"]["port"] for d in docs] == [a.port, b.port, c.port]
    assert [accepted(d) for d in docs] == [["TLSv1.2"], ["TLSv1.3"], ["TLSv1.2"]]
    # --shard 1/2 takes the second target only; 0/2 the first and third.
    f = tmp_path / "targets"
    f.write_text("\n".join(targets) + "\n")
    r = nsstls("--scan", "--json", "--ca-file", ROOTS, "--targets", str(f),
               "--shard", "1/2", timeout=180)
    assert r.returncode == 0, r.stderr
    assert [json.loads(l)["target"]["port"] for l in r.stdout.splitlines()] == [b.port]
    r = nsstls("--check", "--ca-file", ROOTS, "--targets", str(f), "--shard", "0/2")
    assert [l.split()[3] for l in r.stdout.splitlines()] == [targets[0], targets[2]]
    # Text: each scan under its `== target` header, on stdout with it.
    r = nsstls("--scan", "--brief", "--ca-file", ROOTS, *targets[:2], timeout=180)
    assert r.returncode == 0, r.stderr
    assert re.findall(r"^== (.+)\n(.+):", r.stdout, re.M) == [
        (t, t) for t in targets[:2]]


@pytest.mark.parametrize("args, words", [
    (["--scan", "--profile", "strict"], "--profile: 'strict' is not a profile"),
    (["--profile", "old"], "--profile judges a scan: add --scan"),
    (["--scan", "--scan-jobs", "0"], "--scan-jobs: '0' is not a number from 1 to 64"),
    (["--scan", "--reconnect"], "--scan makes its own connections"),
    (["--shard", "2/2", "a", "b"], "--shard: '2/2' is not K/N with 0 <= K < N"),
    (["--shard", "0/2"], "--shard splits a list of targets"),
])
def test_usage_errors(nsstls, args, words):
    r = nsstls(*args, "localhost:1")
    assert r.returncode == 1
    assert words in r.stderr


def test_tls13_groups_server_order_and_hrr(nsstls, gnutls_server):
    """GnuTLS with %SERVER_PRECEDENCE wants secp384r1 first: a client that
    sends an x25519 key share still gets a HelloRetryRequest.  GnuTLS also
    takes TLS_AES_128_CCM_SHA256, which NSS lacks."""
    srv = gnutls_server(*RSA, args=[
        "--priority", "NORMAL:%SERVER_PRECEDENCE:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:"
        "+GROUP-SECP384R1:+GROUP-X25519:+AES-128-CCM"])
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    groups = version(doc, "TLSv1.3")["groups"]
    assert [(g["name"], g["hello_retry_request"]) for g in groups] == [
        ("secp384r1", False), ("x25519", True)]
    got = {s["name"]: s["raw_probe"] for s in version(doc, "TLSv1.3")["suites"]}
    assert got.get("TLS_AES_128_CCM_SHA256") is True


def test_tls13_groups_nss_lacks_with_key_shares(nsstls, openssl_server):
    """x448 (which NSS 3.87 lacks) and ffdhe2048: each found by an empty
    key_share (the server names it in a HelloRetryRequest), then offered
    with a real-sized key share of its own, which OpenSSL takes at once."""
    srv = rsa_server(openssl_server, "-tls1_3", "-groups", "ffdhe2048:x448")
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    groups = version(doc, "TLSv1.3")["groups"]
    assert [(g["name"], g["hello_retry_request"], g["raw_probe"]) for g in groups] == [
        ("ffdhe2048", False, False), ("x448", False, True)]


def test_tls13_ffdhe_needs_hrr_with_gnutls(nsstls, gnutls_server):
    """GnuTLS wanting FFDHE2048 before x25519: a client sending an x25519
    share is asked again for ffdhe2048; an ffdhe2048 share goes through."""
    srv = gnutls_server(*RSA, args=[
        "--priority", "NORMAL:%SERVER_PRECEDENCE:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:"
        "+GROUP-FFDHE2048:+GROUP-X25519"])
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    groups = version(doc, "TLSv1.3")["groups"]
    assert [(g["name"], g["hello_retry_request"]) for g in groups] == [
        ("ffdhe2048", False), ("x25519", True)]
    r = nsstls("--scan", "--ca-file", ROOTS, f"localhost:{srv.port}", timeout=120)
    assert "Groups, TLSv1.3: ffdhe2048, x25519 (HRR even with its key share)\n" in r.stdout


def test_tls12_curves_nss_lacks_from_server_key_exchange(nsstls, openssl_server):
    """TLS 1.2 names the curve in the ServerKeyExchange, after the
    Certificate: raw hellos offering only curves NSS lacks read on to it."""
    srv = rsa_server(openssl_server, "-tls1_2", "-groups", "P-256:x448:brainpoolP384r1")
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    groups = version(doc, "TLSv1.2")["groups"]
    assert [(g["name"], g["raw_probe"], g["hello_retry_request"]) for g in groups] == [
        ("secp256r1", False, None), ("x448", True, None), ("brainpoolP384r1", True, None)]


@pytest.mark.parametrize("server, args, bits, prime", [
    # OpenSSL's own DHE prime is RFC 3526's 2048-bit MODP group.
    ("openssl", ["-cipher", "DHE-RSA-AES128-GCM-SHA256"], 2048, "modp2048"),
    ("openssl", ["-cipher", "DHE-RSA-AES128-GCM-SHA256", "-dhparam",
                 "dh-custom-2048.pem"], 2048, None),
    ("gnutls", ["--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-RSA"],
     2048, "ffdhe2048"),
])
def test_tls12_dh_prime_by_value(nsstls, openssl_server, gnutls_server, fixtures_dir,
                                 server, args, bits, prime):
    if server == "openssl":
        args = [str(fixtures_dir / a) if a.endswith(".pem") else a for a in args]
        srv = rsa_server(openssl_server, "-tls1_2", *args)
    else:
        srv = gnutls_server(*RSA, args=args)
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    assert version(doc, "TLSv1.2")["dh_params"] == {"bits": bits, "prime": prime}
    assert version(doc, "TLSv1.3")["dh_params"] is None
    r = nsstls("--scan", "--ca-file", ROOTS, f"localhost:{srv.port}", timeout=120)
    assert f"DHE parameters, TLSv1.2: {bits}-bit {prime or 'custom prime'}\n" in r.stdout


@pytest.mark.skipif(shutil.which("script") is None, reason="no script(1)")
def test_colour_and_progress_only_on_a_terminal(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-min_protocol", "TLSv1", "-cipher",
                     "AES128-SHA:@SECLEVEL=0")
    cmd = " ".join(peers.nsstls_command() + ["--scan", "--ca-file", ROOTS,
                                             f"localhost:{srv.port}"])
    on_tty = subprocess_tty(cmd, {})
    assert "\033[31mERROR" in on_tty                  # red on a terminal
    assert "nsstls: scanning localhost: " in on_tty    # the progress line
    assert "\033[" not in subprocess_tty(cmd, {"NO_COLOR": "1"}).replace(
        "\r\033[K", "").split("Scan of", 1)[1]


def subprocess_tty(cmd: str, env: dict) -> str:
    """cmd's output on a pseudo-terminal (script(1)), stdout and stderr."""
    import os
    import subprocess
    full = {k: v for k, v in peers.without_proxy_env(os.environ).items()
            if k != "NO_COLOR"} | env
    r = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True,
                       timeout=120, env=full, stdin=subprocess.DEVNULL)
    return r.stdout.decode(errors="replace")


@pytest.mark.parametrize("wrong, want", [(False, "yes"), (True, "no")])
def test_ech_with_given_configs(nsstls, _server_stack, wrong, want):
    from test_ech import echserver
    srv = _server_stack(echserver(*(["--wrong-config"] if wrong else [])))
    doc = scan_json(nsstls, f"localhost:{srv.port}", "--ech", srv.config)
    assert "TLSv1.3" in accepted(doc)
    assert doc["scan"]["features"]["ech"] == want


def test_ech_untested_without_ech_option(nsstls, openssl_server):
    srv = rsa_server(openssl_server, "-tls1_3")
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    assert doc["scan"]["features"]["ech"] == "untested"


def test_selfserv_groups_and_versions(nsstls, selfserv_server):
    """NSS on both sides: selfserv limited to TLS 1.2 and two groups."""
    srv = selfserv_server("server-rsa", args=["-V", "tls1.2:tls1.2", "-I", "P256,P384"])
    doc = scan_json(nsstls, f"localhost:{srv.port}")
    assert accepted(doc) == ["TLSv1.2"]
    assert sorted(g["name"] for g in version(doc, "TLSv1.2")["groups"]) == [
        "secp256r1", "secp384r1"]
    assert doc["scan"]["certificates"][0]["verified"] is True
