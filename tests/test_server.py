"""Server mode, `nsstls --listen` (issue 12): real clients on loopback
(openssl s_client, gnutls-cli, NSS tstclnt, curl, Python's ssl, nsstls
itself) against nsstls serving; what each client was told to offer is
checked in the decoded ClientHello, JA3/JA4 against values computed here
from a ClientHello the test builds byte by byte, client certificates at
the handshake and after it, resumption, HelloRetryRequest, a silent client
while another is served, and the clean stop on SIGTERM.

Every server runs with stdin from /dev/null (so not --once unless asked),
is started by NsstlsServer, and is stopped by its PID."""

from __future__ import annotations

import hashlib
import os
import pty
import re
import select
import signal
import socket
import ssl
import struct
import subprocess
import time

import pytest

from peers import (BOUNDED, P12_PASSWORD, fixture, json_documents,
                   make_nss_db, nss_key_nicknames, nsstls_command, run_nsstls,
                   without_proxy_env)

LISTEN_RE = re.compile(r"listening on (\S+):(\d+)")
SELF = ("--self-signed", "localhost,127.0.0.1")


class NsstlsServer:
    """nsstls --listen ADDR:0 ARGS; .port once it said where it listens."""

    def __init__(self, tmp_path, *args, addr="127.0.0.1", stdin=None):
        self.err_path = tmp_path / f"server-{os.getpid()}-{time.monotonic_ns()}.err"
        self.out_path = self.err_path.with_suffix(".out")
        argv = nsstls_command() + ["--listen", f"{addr}:0", *map(str, args)]
        self.err = open(self.err_path, "wb")
        self.out = open(self.out_path, "wb")
        self.proc = subprocess.Popen(
            argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=self.out, stderr=self.err, env=without_proxy_env(os.environ))
        deadline = time.monotonic() + 10
        while True:
            m = LISTEN_RE.search(self.err_path.read_text(errors="replace"))
            if m:
                self.port = int(m.group(2))
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError("nsstls --listen did not start:\n" +
                                     self.err_path.read_text(errors="replace"))
            time.sleep(0.02)

    def stop(self, sig=signal.SIGTERM, timeout=10) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        self.err.close()
        self.out.close()
        return rc

    def wait(self, timeout=20) -> int:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        return self.stop()

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def docs(self) -> list[dict]:
        raw = self.out_path.read_bytes()
        return json_documents(raw) if raw else []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.stop()


def s_client(port, *args, input=b"", timeout=15):
    return subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *args],
        input=input, capture_output=True, timeout=timeout)


def names(items):
    """Named values of a list, GREASE and signalling suites left out."""
    return [i["name"] for i in items if not i["grease"]
            and not (i["name"] or "").endswith("_SCSV")]


def talk(port, line: bytes, *args) -> bytes:
    """s_client sends a line, waits (bounded) for it to come back, sends
    it again and waits again, then closes, as a person at s_client would:
    what the server sent after the handshake (a CertificateRequest, a
    HelloRequest) was read and answered before the second echo."""
    p = subprocess.Popen(["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                          "-quiet", "-no_ign_eof", *args], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    os.set_blocking(p.stdout.fileno(), False)
    got = b""
    deadline = time.monotonic() + 10
    for n in (1, 2):
        p.stdin.write(line)
        p.stdin.flush()
        while got.count(line.strip()) < n and time.monotonic() < deadline:
            got += p.stdout.read() or b""
            time.sleep(0.02)
    p.stdin.close()
    p.wait(timeout=10)
    return got


# --------------------------------------------------------------------------
# Serving: versions, key types, clients

@pytest.mark.parametrize("version,expect", [("-tls1_3", "TLSv1.3"),
                                            ("-tls1_2", "TLSv1.2")])
def test_echo_with_self_signed_certificate(tmp_path, version, expect):
    with NsstlsServer(tmp_path, *SELF, "--echo", "--max-connections", "1",
                      *BOUNDED) as srv:
        got = talk(srv.port, b"ping\n", version)
        assert srv.wait() == 0, srv.stderr
    assert b"ping" in got
    err = srv.stderr
    assert f"Protocol               {expect}" in err
    assert "Closed: 10 bytes received, 10 sent" in err


@pytest.mark.parametrize("sigalg,key", [("rsa_pss_rsae_sha256", "RSA"),
                                        ("ecdsa_secp256r1_sha256", "EC")])
def test_self_signed_serves_rsa_and_ec_by_what_the_client_accepts(tmp_path, sigalg, key):
    with NsstlsServer(tmp_path, *SELF, "--max-connections", "1", "--json",
                      *BOUNDED) as srv:
        r = s_client(srv.port, "-tls1_3", "-sigalgs", sigalg, "-servername",
                     "localhost", "-verify_hostname", "localhost")
        assert srv.wait() == 0, srv.stderr
    (doc,) = srv.docs()
    assert doc["handshakes"][0]["signature_scheme"] == sigalg
    # What the client saw: a self-signed certificate of that key type for
    # the names given, made in memory.
    pem = r.stdout.decode()
    cert = subprocess.run(["openssl", "x509", "-noout", "-text"], input=pem.encode(),
                          capture_output=True).stdout.decode()
    assert "Subject: CN = localhost" in cert
    assert "DNS:localhost, IP Address:127.0.0.1" in cert
    assert ("rsaEncryption" if key == "RSA" else "id-ecPublicKey") in cert


def test_pem_certificate_with_chain_verifies_at_the_client(tmp_path):
    with NsstlsServer(tmp_path, "--cert", fixture("server-rsa.crt"), "--key",
                      fixture("server-rsa.key"), "--cert-chain",
                      fixture("int-rsa.crt"), "--max-connections", "1",
                      *BOUNDED) as srv:
        r = run_nsstls("localhost:%d" % srv.port, "--ca-file",
                       fixture("root-rsa.crt"), *BOUNDED)
        assert srv.wait() == 0, srv.stderr
    assert r.returncode == 0, r.stderr
    assert "nsstls Test Intermediate RSA" in r.stderr


def _served_subject(port) -> str:
    r = s_client(port, "-showcerts")
    return re.search(rb"subject=(.*)", r.stdout).group(1).decode()


def test_pkcs12_and_nss_database_certificates(tmp_path):
    with NsstlsServer(tmp_path, "--pkcs12", fixture("server-ec.p12"), "--pass",
                      f"pass:{P12_PASSWORD}", "--max-connections", "1",
                      *BOUNDED) as srv:
        p12_subject = _served_subject(srv.port)
        assert srv.wait() == 0, srv.stderr
    db = tmp_path / "db"
    db.mkdir()
    make_nss_db(str(db), ["server-rsa.p12"])
    (nick,) = nss_key_nicknames(str(db))
    with NsstlsServer(tmp_path, "--db", str(db), "--cert", nick,
                      "--max-connections", "1", *BOUNDED) as srv:
        db_subject = _served_subject(srv.port)
        assert srv.wait() == 0, srv.stderr
    assert "nsstls Test Server EC" in p12_subject
    assert "nsstls Test Server RSA" in db_subject


def test_clients_gnutls_tstclnt_curl_python(tmp_path):
    with NsstlsServer(tmp_path, *SELF, "--www", "--max-connections", "4",
                      *BOUNDED) as srv:
        g = subprocess.run(["gnutls-cli", "--insecure", "-p", str(srv.port),
                            "127.0.0.1"], input=b"GET / HTTP/1.0\r\n\r\n",
                           capture_output=True, timeout=15)
        # tstclnt spins on a closed stdin: the request comes from a file.
        req = tmp_path / "request"
        req.write_bytes(b"GET / HTTP/1.0\r\n\r\n")
        t = subprocess.run(["tstclnt", "-h", "127.0.0.1", "-p", str(srv.port),
                            "-o", "-D", "-V", "tls1.2:tls1.2", "-A", str(req)],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=15)
        c = subprocess.run(["curl", "-sk", f"https://127.0.0.1:{srv.port}/"],
                           capture_output=True, timeout=15)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname="py.example") as tls:
                tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
                page = b""
                while chunk := tls.recv(65536):
                    page += chunk
        assert srv.wait() == 0, srv.stderr
    for out in (g.stdout, t.stdout, c.stdout, page):
        assert b"ClientHello received" in out, out[:300]
        assert b"JA4 " in out
    assert b"Protocol               TLSv1.2" in t.stdout
    assert b"Server name (SNI)      py.example" in page


def test_ipv6(tmp_path):
    with NsstlsServer(tmp_path, *SELF, "--echo", "--max-connections", "1",
                      *BOUNDED, addr="[::1]") as srv:
        assert f"listening on [::1]:{srv.port}" in srv.stderr
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("::1", srv.port), timeout=10) as s:
            with ctx.wrap_socket(s) as tls:
                tls.sendall(b"six\n")
                got = tls.recv(100)
        assert srv.wait() == 0, srv.stderr
    assert got == b"six\n"
    assert "Connection from [::1]:" in srv.stderr


# --------------------------------------------------------------------------
# The ClientHello

def test_clienthello_shows_what_s_client_was_told_to_offer(tmp_path):
    with NsstlsServer(tmp_path, *SELF, "--json", "--max-connections", "1",
                      *BOUNDED) as srv:
        s_client(srv.port, "-tls1_3",
                 "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384",
                 "-groups", "secp384r1:x25519",
                 "-sigalgs", "ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256",
                 "-alpn", "foo,bar", "-servername", "offer.example")
        assert srv.wait() == 0, srv.stderr
    (doc,) = srv.docs()
    assert doc["mode"] == "server"
    hello = doc["server"]["client_hello"]
    assert names(hello["cipher_suites"]) == [
        "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_256_GCM_SHA384"]
    assert names(hello["groups"]) == ["secp384r1", "x25519"]
    assert [k["name"] for k in hello["key_shares"]] == ["secp384r1"]
    assert names(hello["signature_schemes"]) == [
        "ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256"]
    assert hello["alpn"] == ["foo", "bar"]
    assert hello["server_name"] == "offer.example"
    assert names(hello["supported_versions"]) == ["TLSv1.3"]
    assert doc["target"]["servername"] == "offer.example"
    assert doc["handshakes"][0]["cipher_suite"] in (
        "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_256_GCM_SHA384")


def _ext(t: int, body: bytes) -> bytes:
    return struct.pack("!HH", t, len(body)) + body


def _u16s(vals) -> bytes:
    return b"".join(struct.pack("!H", v) for v in vals)


def handbuilt_hello(suites, groups, sigalgs, alpn, sni):
    """A TLS 1.2 ClientHello whose every field the test chose."""
    host = sni.encode()
    alpn_list = b"".join(bytes([len(p)]) + p.encode() for p in alpn)
    exts = [
        (0x0a0a, b""),                                            # GREASE
        (0, struct.pack("!HBH", len(host) + 3, 0, len(host)) + host),
        (10, struct.pack("!H", 2 * len(groups)) + _u16s(groups)),
        (11, b"\x01\x00"),
        (13, struct.pack("!H", 2 * len(sigalgs)) + _u16s(sigalgs)),
        (16, struct.pack("!H", len(alpn_list)) + alpn_list),
        (23, b""),
        (0xff01, b"\x00"),
    ]
    ext_bytes = b"".join(_ext(t, b) for t, b in exts)
    body = (b"\x03\x03" + bytes(32) + b"\x00" +
            struct.pack("!H", 2 * len(suites)) + _u16s(suites) + b"\x01\x00" +
            struct.pack("!H", len(ext_bytes)) + ext_bytes)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs, [t for t, _ in exts]


def test_ja3_and_ja4_of_a_clienthello_built_here(tmp_path):
    suites = [0x1a1a, 0xc02f, 0xc02b, 0x009c]       # GREASE first
    groups = [0x2a2a, 29, 23]
    sigalgs = [0x0804, 0x0403, 0x0401]
    hello, ext_types = handbuilt_hello(suites, groups, sigalgs, ["h2", "http/1.1"],
                                       "ja.example")
    with NsstlsServer(tmp_path, *SELF, "--json", "--max-connections", "1",
                      *BOUNDED) as srv:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
            s.sendall(hello)
            s.recv(65536)                # the ServerHello...: then hang up
        assert srv.wait() == 0, srv.stderr
    (doc,) = srv.docs()
    hello_doc = doc["server"]["client_hello"]

    def no_grease(v):
        return [x for x in v if (x & 0x0f0f) != 0x0a0a]
    # JA3 (salesforce/ja3): version,suites,extensions,groups,formats in
    # decimal, GREASE left out, MD5.
    ja3_string = ",".join([
        "771", "-".join(map(str, no_grease(suites))),
        "-".join(map(str, no_grease(ext_types))),
        "-".join(map(str, no_grease(groups))), "0"])
    assert hello_doc["ja3_string"] == ja3_string
    assert hello_doc["ja3"] == hashlib.md5(ja3_string.encode()).hexdigest()
    # JA4 (FoxIO): t + version + d(SNI) + counts + ALPN first/last chars,
    # sorted suites, sorted extensions without SNI/ALPN + "_" + sigalgs.
    b = ",".join(f"{x:04x}" for x in sorted(no_grease(suites)))
    c = (",".join(f"{x:04x}" for x in sorted(no_grease(ext_types)) if x not in (0, 16))
         + "_" + ",".join(f"{x:04x}" for x in sigalgs))
    ja4 = "t12d%02d%02dh2_%s_%s" % (
        len(no_grease(suites)), len(no_grease(ext_types)),
        hashlib.sha256(b.encode()).hexdigest()[:12],
        hashlib.sha256(c.encode()).hexdigest()[:12])
    assert hello_doc["ja4"] == ja4
    assert [x["grease"] for x in hello_doc["cipher_suites"]] == [True, False, False, False]
    assert hello_doc["server_name"] == "ja.example"
    # The handshake did not finish: said so, and the server went on to a
    # clean stop (exit 0 above).
    assert doc["outcome"]["exit_code"] == 5
    assert doc["outcome"]["phase"] == "handshake"


def test_garbage_instead_of_a_clienthello_is_reported(tmp_path):
    with NsstlsServer(tmp_path, *SELF, "--max-connections", "1", *BOUNDED) as srv:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            try:
                s.recv(100)
            except OSError:
                pass
        assert srv.wait() == 0, srv.stderr
    assert ("ClientHello            not decoded: the client did not start "
            "with a TLS handshake record") in srv.stderr
    assert "nsstls: handshake:" in srv.stderr


# --------------------------------------------------------------------------
# Client certificates

CLIENT = ("-cert", fixture("client-rsa.crt"), "-key", fixture("client-rsa.key"),
          "-cert_chain", fixture("int-rsa.crt"))


def test_verify_client_accepts_a_good_certificate_and_refuses_none(tmp_path):
    with NsstlsServer(tmp_path, *SELF, "--verify-client", "--ca-file",
                      fixture("root-rsa.crt"), "--json", "--echo",
                      "--max-connections", "2", *BOUNDED) as srv:
        good = talk(srv.port, b"x\n", *CLIENT)
        s_client(srv.port)
        assert srv.wait() == 0, srv.stderr
    assert b"x" in good
    docs = sorted(srv.docs(), key=lambda d: d["server"]["client_certificate"]["received"])
    none, ok = docs
    assert ok["server"]["client_certificate"] == {
        "requested": True, "required": True, "received": True, "verified": True,
        "subject": "CN=nsstls Test Client RSA,O=nsstls tests", "error": None}
    assert ok["outcome"]["exit_code"] == 0
    assert [c["subject"] for c in ok["certificates"]["sent"]][1] == \
        "CN=nsstls Test Intermediate RSA,O=nsstls tests"
    assert none["server"]["client_certificate"]["received"] is False
    assert none["outcome"]["exit_code"] == 5


def test_request_client_cert_reports_an_untrusted_one_and_goes_on(tmp_path):
    with NsstlsServer(tmp_path, *SELF, "--request-client-cert", "--ca-file",
                      fixture("root-ec.crt"), "--echo", "--max-connections", "1",
                      *BOUNDED) as srv:
        got = talk(srv.port, b"y\n", *CLIENT)
        assert srv.wait() == 0, srv.stderr
    assert b"y" in got
    assert "NOT verified" in srv.stderr
    assert "SEC_ERROR_UNKNOWN_ISSUER" in srv.stderr


def test_client_chain_gets_connect_mode_findings(tmp_path):
    """The client's chain is verified as connect mode verifies a server's,
    for the client usage: a certificate made for servers only (EKU
    serverAuth) is refused with the finding that says why, and the
    chain NSS built is in the document."""
    with NsstlsServer(tmp_path, *SELF, "--request-client-cert", "--ca-file",
                      fixture("root-rsa.crt"), "--json", "--max-connections",
                      "2", *BOUNDED) as srv:
        s_client(srv.port, "-cert", fixture("server-rsa.crt"), "-key",
                 fixture("server-rsa.key"), "-cert_chain", fixture("int-rsa.crt"))
        s_client(srv.port, *CLIENT)
        assert srv.wait() == 0, srv.stderr
    bad, good = sorted(srv.docs(), key=lambda d: d["server"]["client_certificate"]["verified"])
    assert bad["server"]["client_certificate"]["error"] == "SEC_ERROR_INADEQUATE_CERT_TYPE"
    assert [f["id"] for f in bad["findings"] if f["severity"] == "error"] == [
        "extended-key-usage"]
    (eku,) = [f for f in bad["findings"] if f["id"] == "extended-key-usage"]
    assert "clientAuth" in eku["text"]
    assert [c["certificate"]["subject"] for c in good["certificates"]["built"]] == [
        "CN=nsstls Test Client RSA,O=nsstls tests",
        "CN=nsstls Test Intermediate RSA,O=nsstls tests",
        "CN=nsstls Test Root RSA,O=nsstls tests"]
    assert good["verification"]["ok"] is True
    assert not [f for f in good["findings"] if f["severity"] == "error"]


@pytest.mark.parametrize("version,extra", [("-tls1_3", ("-enable_pha",)),
                                           ("-tls1_2", ())])
def test_certificate_asked_for_after_the_handshake(tmp_path, version, extra):
    """TLS 1.3 post-handshake auth (s_client -enable_pha), TLS 1.2 a
    renegotiation with a CertificateRequest."""
    with NsstlsServer(tmp_path, *SELF, "--post-handshake-auth", "--ca-file",
                      fixture("root-rsa.crt"), "--echo", "--json",
                      "--max-connections", "1", *BOUNDED) as srv:
        got = talk(srv.port, b"later\n", version, *extra, *CLIENT)
        assert srv.wait() == 0, srv.stderr
    assert b"later" in got
    (doc,) = srv.docs()
    cc = doc["server"]["client_certificate"]
    assert cc["received"] and cc["verified"], doc["outcome"]
    assert doc["server"]["client_hello"]["post_handshake_auth"] == bool(extra)
    assert len(doc["handshakes"]) == (1 if extra else 2)


def test_renegotiate_for_cert_in_tls12(tmp_path):
    """--renegotiate-for-cert: after a TLS 1.2 handshake, SSL_ReHandshake
    with a CertificateRequest; the client's certificate is verified."""
    with NsstlsServer(tmp_path, *SELF, "--renegotiate-for-cert", "--ca-file",
                      fixture("root-rsa.crt"), "--echo", "--json",
                      "--max-connections", "1", *BOUNDED) as srv:
        got = talk(srv.port, b"renegotiated\n", "-tls1_2", *CLIENT)
        assert srv.wait() == 0, srv.stderr
    assert b"renegotiated" in got
    (doc,) = srv.docs()
    cc = doc["server"]["client_certificate"]
    assert cc["received"] and cc["verified"], doc["outcome"]
    assert len(doc["handshakes"]) == 2


def test_renegotiate_for_cert_refuses_tls13_clearly(tmp_path):
    with NsstlsServer(tmp_path, *SELF, "--renegotiate-for-cert", "--json",
                      "--max-connections", "1", *BOUNDED) as srv:
        subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}",
                        "-quiet", "-tls1_3", *CLIENT], input=b"x\n",
                       capture_output=True, timeout=20)
        srv.wait()
    (doc,) = srv.docs()
    assert doc["outcome"]["ok"] is False
    assert "TLS 1.3" in doc["outcome"]["message"], doc["outcome"]


def test_renegotiate_for_cert_is_for_server_mode(nsstls):
    r = nsstls("--renegotiate-for-cert", "localhost")
    assert r.returncode == 1 and "--listen" in r.stderr


def test_keylog_in_server_mode_matches_the_client(tmp_path):
    """--keylog in server mode writes the server's view of the TLS 1.3
    secrets under the client's random: the same lines as s_client's own
    key log (OpenSSL adds EXPORTER_SECRET, which NSS does not give)."""
    server_log, client_log = tmp_path / "server.keys", tmp_path / "client.keys"
    with NsstlsServer(tmp_path, *SELF, "--keylog", str(server_log), "--echo",
                      "--max-connections", "1", *BOUNDED) as srv:
        r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}",
                            "-quiet", "-tls1_3", "-keylogfile", str(client_log)],
                           input=b"keys\n", capture_output=True, timeout=20)
        assert r.stdout == b"keys\n", r.stderr
        assert srv.wait() == 0, srv.stderr
    ours = {l for l in server_log.read_text().splitlines() if not l.startswith("#")}
    theirs = {l for l in client_log.read_text().splitlines()
              if not l.startswith("#") and not l.startswith("EXPORTER_SECRET")}
    assert len(ours) == 4 and ours == theirs, (ours, theirs)
    assert oct(server_log.stat().st_mode & 0o777) == "0o600"


def _read_until(fd, pattern: bytes, timeout=10) -> bytes:
    buf = b""
    deadline = time.monotonic() + timeout
    while pattern not in buf:
        left = deadline - time.monotonic()
        assert left > 0, f"{pattern!r} not seen; got: {buf!r}"
        if select.select([fd], [], [], left)[0]:
            chunk = os.read(fd, 4096)
            assert chunk, f"closed before {pattern!r}; got: {buf!r}"
            buf += chunk
    return buf


def test_tilde_c_on_the_terminal_asks_for_a_certificate(tmp_path):
    """--once with stdin on a terminal: ~C sends a TLS 1.3
    CertificateRequest; the client's certificate is verified and shown."""
    master, slave = pty.openpty()
    srv = NsstlsServer(tmp_path, *SELF, "--ca-file", fixture("root-rsa.crt"),
                       stdin=slave)
    os.close(slave)
    client = subprocess.Popen(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-quiet",
         "-tls1_3", "-enable_pha", *CLIENT], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while b"type ~? on a line" not in srv.err_path.read_bytes():
            assert time.monotonic() < deadline, srv.stderr
            time.sleep(0.05)
        os.write(master, b"~C\n")
        os.write(master, b"after-request\n")
        _read_until(client.stdout.fileno(), b"after-request")
        client.stdin.write(b"from-client\n")
        client.stdin.flush()
        deadline = time.monotonic() + 10
        while b"from-client" not in srv.out_path.read_bytes():
            assert time.monotonic() < deadline, srv.stderr
            time.sleep(0.05)
        os.write(master, b"~.\n")
        assert srv.wait() == 0, srv.stderr
    finally:
        client.kill()
        client.wait()
        os.close(master)
    err = srv.stderr
    assert "nsstls: client certificate requested" in err
    assert "CN=nsstls Test Client RSA,O=nsstls tests\n  verified (after the handshake)" in err


# --------------------------------------------------------------------------
# Channel: ALPN, HRR, resumption

def test_exporter_values_agree_on_both_sides(tmp_path):
    with NsstlsServer(tmp_path, *SELF, "--json", "--max-connections", "1",
                      "--export-keying-material", "EXPERIMENTAL-x:20:ctx",
                      *BOUNDED) as srv:
        r = run_nsstls("127.0.0.1:%d" % srv.port, "--insecure", "--json",
                       "--export-keying-material", "EXPERIMENTAL-x:20:ctx",
                       *BOUNDED)
        assert srv.wait() == 0, srv.stderr
    (doc,) = srv.docs()
    client = json_documents(r.stdout_bytes)[0]
    assert len(doc["keying_material"][0]["value"]) == 40
    assert doc["keying_material"] == client["keying_material"]


def test_trace_shows_the_records_of_each_connection(tmp_path):
    with NsstlsServer(tmp_path, *SELF, "--trace", "--echo", "--max-connections",
                      "1", *BOUNDED) as srv:
        talk(srv.port, b"traced\n", "-tls1_3")
        assert srv.wait() == 0, srv.stderr
    err = srv.stderr
    # Received ClientHello, sent ServerHello, the encrypted flight
    # decrypted with the server's secrets, the echoed data.
    assert re.search(r"<.*client_hello", err), err
    assert re.search(r">.*server_hello", err), err
    assert re.search(r">.*certificate_verify", err), err
    assert re.search(r"<.*application_data", err), err
    assert err.index("client_hello") < err.index("Connection from")


def test_alpn_is_chosen_by_the_servers_preference(tmp_path):
    with NsstlsServer(tmp_path, *SELF, "--alpn", "h2,http/1.1", "--json",
                      "--max-connections", "1", *BOUNDED) as srv:
        s_client(srv.port, "-alpn", "http/1.1,h2")
        assert srv.wait() == 0, srv.stderr
    (doc,) = srv.docs()
    assert doc["handshakes"][0]["alpn"] == "h2"


def test_hello_retry_request_seen_by_both_sides(tmp_path):
    """The client's key share is for a group the server does not take:
    NSS asks again (the nsstls client reports the HRR)."""
    with NsstlsServer(tmp_path, *SELF, "--groups", "x25519", "--json",
                      "--max-connections", "2", *BOUNDED) as srv:
        r = run_nsstls("127.0.0.1:%d" % srv.port, "--insecure", "--groups",
                       "secp256r1,x25519", *BOUNDED)
        other = s_client(srv.port, "-tls1_3", "-groups", "secp384r1:x25519",
                         "-msg")
        assert srv.wait() == 0, srv.stderr
    assert "after HelloRetryRequest (first offered secp256r1)" in r.stderr
    docs = srv.docs()
    hrr = [d for d in docs if d["handshakes"] and d["handshakes"][0]["hello_retry_request"]]
    assert len(hrr) == 2
    assert other.stdout.count(b"ServerHello") >= 2   # HRR, then ServerHello


def test_forced_hrr(tmp_path):
    with NsstlsServer(tmp_path, *SELF, "--hrr", "--json", "--max-connections",
                      "1", *BOUNDED) as srv:
        r = s_client(srv.port, "-tls1_3", "-msg")
        assert srv.wait() == 0, srv.stderr
    (doc,) = srv.docs()
    assert doc["handshakes"][0]["hello_retry_request"] is True
    assert r.stdout.count(b"ServerHello") >= 2


@pytest.mark.parametrize("version,by", [("-tls1_3", "ticket"),
                                        ("-tls1_2", "ticket")])
def test_resumption(tmp_path, version, by):
    sess = tmp_path / "sess.pem"
    with NsstlsServer(tmp_path, *SELF, "--json", "--echo", "--max-connections",
                      "2", *BOUNDED) as srv:
        # Stdin held open a moment: the TLS 1.3 ticket comes after the
        # handshake.
        talk(srv.port, b"t\n", version, "-sess_out", str(sess))
        r = s_client(srv.port, version, "-sess_in", str(sess))
        assert srv.wait() == 0, srv.stderr
    assert b"Reused, " in r.stdout
    first, second = srv.docs()
    assert first["handshakes"][0]["resumed"] is False
    assert second["handshakes"][0]["resumed"] is True
    assert second["handshakes"][0]["resumed_by"] == by
    if version == "-tls1_3":
        assert second["server"]["client_hello"]["psk_identities"] == 1
    else:
        assert second["server"]["client_hello"]["session_ticket"] is True


def test_zero_rtt_accepted_only_with_accept_early_data(tmp_path):
    early = tmp_path / "early"
    early.write_bytes(b"zero-rtt\n")
    results = {}
    for flag in ((), ("--accept-early-data",)):
        sess = tmp_path / "sess.pem"
        with NsstlsServer(tmp_path, *SELF, *flag, "--json", "--echo",
                          "--max-connections", "2", *BOUNDED) as srv:
            talk(srv.port, b"t\n", "-sess_out", str(sess))
            r = s_client(srv.port, "-sess_in", str(sess), "-early_data",
                         str(early))
            assert srv.wait() == 0, srv.stderr
        second = srv.docs()[1]
        assert second["handshakes"][0]["resumed"] is True
        results[bool(flag)] = (second["server"]["client_hello"]["early_data"],
                               second["handshakes"][0]["early_data_accepted"],
                               b"Early data was accepted" in r.stdout)
    # Without the option the tickets allow no early data: none is offered.
    assert results == {False: (False, False, False), True: (True, True, True)}


# --------------------------------------------------------------------------
# Concurrency, timeouts, stopping, exit codes

def test_silent_client_does_not_block_another(tmp_path):
    with NsstlsServer(tmp_path, *SELF, "--echo", "--timeout", "8") as srv:
        silent = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        t0 = time.monotonic()
        got = talk(srv.port, b"busy\n")
        served_in = time.monotonic() - t0
        silent.close()
        assert srv.stop() == 0, srv.stderr
    assert b"busy" in got
    assert served_in < 5, served_in


def test_silent_client_times_out(tmp_path):
    with NsstlsServer(tmp_path, *SELF, "--timeout", "1", "--max-connections",
                      "1") as srv:
        silent = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        assert srv.wait(timeout=10) == 0, srv.stderr
        silent.close()
    assert "did not complete the handshake in 1000 ms" in srv.stderr


def test_sigterm_stops_cleanly_with_a_client_connected(tmp_path):
    with NsstlsServer(tmp_path, *SELF, "--echo") as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        time.sleep(0.3)
        t0 = time.monotonic()
        rc = srv.stop(signal.SIGTERM)
        s.close()
    assert rc == 0, srv.stderr
    assert time.monotonic() - t0 < 3
    assert "stopped during the handshake" in srv.stderr


def test_once_sends_stdin_and_exits_with_the_connection_status(tmp_path):
    rfd, wfd = os.pipe()
    with NsstlsServer(tmp_path, *SELF, *BOUNDED, stdin=rfd) as srv:
        os.close(rfd)
        os.write(wfd, b"from the server\n")
        os.close(wfd)
        r = s_client(srv.port, "-quiet", "-ign_eof", input=b"")
        assert srv.wait() == 0, srv.stderr
    assert b"from the server" in r.stdout


@pytest.mark.parametrize("args,code,words", [
    (("--listen", "0"), 1, "--listen needs a certificate"),
    (("--listen", "nohost:1", *SELF), 1, "is not an IP address"),
    (("--listen", "70000", *SELF), 1, "with a port from 0 to 65535"),
    (("--echo", *SELF), 1, "add --listen"),
    (("--listen", "0", *SELF, "example.com"), 1, "takes no target"),
    (("--listen", "0", *SELF, "--proxy", "http://127.0.0.1:1"), 1, "is for connect mode"),
    (("--listen", "0", *SELF, "--reconnect"), 1, "is for connect mode"),
    (("--listen", "0", *SELF, "--echo", "--www"), 1, "exclude each other"),
    (("--listen", "0", *SELF, "--verify-client", "--request-client-cert"), 1,
     "exclude each other"),
    (("--listen", "0", *SELF, "--max-connections", "0"), 1, "not a number from 1"),
    (("--listen", "0", "--self-signed", "a\nb"), 1, "control character"),
    (("--listen", "0", "--cert", "/nonexistent.pem", "--key", "/nonexistent.key"),
     2, "nonexistent"),
])
def test_usage_and_setup_errors(args, code, words):
    r = run_nsstls(*args, timeout=20)
    assert r.returncode == code, r.stderr
    assert words in r.stderr


def test_port_in_use_is_a_setup_error(tmp_path):
    with NsstlsServer(tmp_path, *SELF) as srv:
        r = run_nsstls("--listen", f"127.0.0.1:{srv.port}", *SELF, timeout=20)
    assert r.returncode == 2, r.stderr
    assert f"cannot listen on 127.0.0.1 port {srv.port}" in r.stderr


# --------------------------------------------------------------------------
# Several certificates at once (issue 12: RSA + ECDSA, chosen per handshake)

def _pair(first="rsa", second="ec"):
    """--cert/--key/--cert-chain for server-FIRST then server-SECOND, each
    with its own intermediate."""
    return ["--cert", fixture(f"server-{first}.crt"), "--key",
            fixture(f"server-{first}.key"), "--cert-chain",
            fixture(f"int-{first}.crt"), "--cert", fixture(f"server-{second}.crt"),
            "--key", fixture(f"server-{second}.key"), "--cert-chain",
            fixture(f"int-{second}.crt")]


def _sent_chain(r) -> list[str]:
    """The subjects of the certificates s_client -showcerts received, in
    order."""
    return [m.decode() for m in re.findall(rb"^ *\d+ s:(.*)$", r.stdout, re.M)]


def _leaf_key(r) -> str:
    """The public key algorithm of the first certificate s_client saw."""
    text = subprocess.run(["openssl", "x509", "-noout", "-text"], input=r.stdout,
                          capture_output=True).stdout.decode()
    return re.search(r"Public Key Algorithm: (\S+)", text).group(1)


EC_CHAIN = ["O = nsstls tests, CN = nsstls Test Server EC",
            "O = nsstls tests, CN = nsstls Test Intermediate EC"]
RSA_CHAIN = ["O = nsstls tests, CN = nsstls Test Server RSA",
             "O = nsstls tests, CN = nsstls Test Intermediate RSA"]


@pytest.mark.parametrize("offer,chain,key", [
    (("-tls1_3", "-sigalgs", "ECDSA+SHA256"), EC_CHAIN, "id-ecPublicKey"),
    (("-tls1_3", "-sigalgs", "RSA-PSS+SHA256"), RSA_CHAIN, "rsaEncryption"),
    (("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"), EC_CHAIN,
     "id-ecPublicKey"),
    (("-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"), RSA_CHAIN,
     "rsaEncryption"),
])
def test_several_certificates_each_client_gets_its_own_with_its_chain(
        tmp_path, offer, chain, key):
    # --ca-file puts both roots where NSS finds them: a chain NSS built
    # itself would end with the root; each certificate is sent with
    # exactly the intermediate given with it.
    with NsstlsServer(tmp_path, *_pair(), "--ca-file", fixture("roots.pem"),
                      "--max-connections", "1", *BOUNDED) as srv:
        r = s_client(srv.port, "-showcerts", *offer)
        assert srv.wait() == 0, srv.stderr
    assert _sent_chain(r) == chain, r.stdout.decode()
    assert _leaf_key(r) == key
    # The start-up lines say what is served, after "listening on" (still
    # the first line, which scripts wait for).
    assert srv.stderr.startswith("nsstls: listening on ")
    head = srv.stderr.split("Connection from")[0]
    assert ("nsstls: serving RSA 2048 bits: CN=nsstls Test Server RSA,"
            "O=nsstls tests (sent with 1 chain certificate, as given)") in head
    assert re.search(r"nsstls: serving EC 256 bits, .*P-256\): CN=nsstls Test "
                     r"Server EC,O=nsstls tests \(sent with 1 chain certificate, "
                     r"as given\)", head)


def test_several_certificates_nsstls_client_verifies_each(tmp_path):
    # The ECDSA certificate given first this time: the order on the
    # command line does not decide which one a client gets.
    with NsstlsServer(tmp_path, *_pair("ec", "rsa"), "--max-connections", "2",
                      *BOUNDED) as srv:
        runs = {s: run_nsstls(f"localhost:{srv.port}", "--ca-file",
                              fixture("roots.pem"), "--sigalgs", s, "--json",
                              *BOUNDED)
                for s in ("ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256")}
        assert srv.wait() == 0, srv.stderr
    for scheme, (kind, cn) in {
            "ecdsa_secp256r1_sha256": ("EC", "EC"),
            "rsa_pss_rsae_sha256": ("RSA", "RSA")}.items():
        r = runs[scheme]
        assert r.returncode == 0, r.stderr
        doc = json_documents(r.stdout_bytes)[0]
        sent = doc["certificates"]["sent"]
        assert [c["subject"] for c in sent] == [
            f"CN=nsstls Test Server {cn},O=nsstls tests",
            f"CN=nsstls Test Intermediate {cn},O=nsstls tests"]
        assert sent[0]["key"]["type"] == kind
        assert doc["handshakes"][0]["signature_scheme"] == scheme
        assert doc["verification"]["ok"] is True


def test_several_certificates_pem_chain_file_and_db_nickname(tmp_path):
    # The RSA certificate's intermediate comes in its own --cert file; the
    # EC one is a nickname in --db with its own --cert-chain.
    db = tmp_path / "db"
    db.mkdir()
    make_nss_db(str(db), ["server-ec.p12"])
    (nick,) = nss_key_nicknames(str(db))
    with NsstlsServer(tmp_path, "--db", str(db), "--cert",
                      fixture("server-rsa-chain.pem"), "--key",
                      fixture("server-rsa.key"), "--cert", nick, "--cert-chain",
                      fixture("int-ec.crt"), "--ca-file", fixture("roots.pem"),
                      "--max-connections", "2", *BOUNDED) as srv:
        ec = s_client(srv.port, "-showcerts", "-sigalgs", "ECDSA+SHA256")
        rsa = s_client(srv.port, "-showcerts", "-sigalgs", "RSA-PSS+SHA256")
        assert srv.wait() == 0, srv.stderr
    assert _sent_chain(ec) == EC_CHAIN, ec.stdout.decode()
    assert _sent_chain(rsa) == RSA_CHAIN, rsa.stdout.decode()


def test_db_nickname_without_chain_gets_the_chain_nss_builds(tmp_path):
    # No chain given with the nickname: NSS builds it from what it finds
    # (here the intermediate pk12util put in the database), as it does
    # for a single certificate.
    db = tmp_path / "db"
    db.mkdir()
    make_nss_db(str(db), ["server-ec.p12"])
    (nick,) = nss_key_nicknames(str(db))
    with NsstlsServer(tmp_path, "--db", str(db), "--cert", fixture("server-rsa.crt"),
                      "--key", fixture("server-rsa.key"), "--cert", nick,
                      "--max-connections", "1", *BOUNDED) as srv:
        r = s_client(srv.port, "-showcerts", "-sigalgs", "ECDSA+SHA256")
        assert srv.wait() == 0, srv.stderr
    assert _sent_chain(r) == EC_CHAIN, r.stdout.decode()
    assert "CN=nsstls Test Server EC,O=nsstls tests (chain built by NSS)" in srv.stderr
    assert "CN=nsstls Test Server RSA,O=nsstls tests (chain built by NSS)" in srv.stderr


@pytest.mark.parametrize("args,words", [
    # NSS keeps one certificate per key type: a second is refused, not
    # left to replace the first in silence.
    (("--cert", fixture("server-rsa.crt"), "--key", fixture("server-rsa.key"),
      "--cert", fixture("wronghost.crt"), "--key", fixture("wronghost.key")),
     f"--cert {fixture('server-rsa.crt')} and --cert {fixture('wronghost.crt')} "
     "are both RSA certificates: NSS serves one certificate per key type"),
    (("--cert", fixture("server-ec.crt"), "--key", fixture("server-ec.key"),
      *SELF), "--self-signed (ECDSA) are both ECDSA certificates"),
    # Each --key belongs to the --cert before it.
    (("--cert", fixture("server-rsa.crt"), "--key", fixture("server-rsa.key"),
      "--cert", fixture("server-ec.crt"), "--key", fixture("client-ec.key")),
     f"the key in {fixture('client-ec.key')} does not match the certificate in "
     f"{fixture('server-ec.crt')}"),
    (("--cert", fixture("server-rsa.crt"), "--key", fixture("server-rsa.key"),
      "--cert", fixture("server-ec.crt"), "--key", "/nonexistent/ec.key"),
     "cannot read key file /nonexistent/ec.key"),
    (("--cert", fixture("server-rsa.crt"), "--key", fixture("server-rsa.key"),
      "--cert", fixture("server-ec.crt"), "--key", fixture("server-ec.key"),
      "--cert-chain", "/nonexistent/chain.pem"),
     "cannot read --cert-chain file /nonexistent/chain.pem"),
    (("--cert", fixture("server-rsa.crt"), "--key", fixture("server-rsa.key"),
      *(["--cert", fixture("server-ec.crt")] * 4)),
     "5 server certificates given (--self-signed makes two): NSS serves at "
     "most 4, one per key type"),
])
def test_several_certificates_refused(args, words):
    r = run_nsstls("--listen", "127.0.0.1:0", *args, timeout=20)
    assert r.returncode == 2, r.stderr
    assert words in r.stderr
    assert "listening on" not in r.stderr
