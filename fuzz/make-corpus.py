#!/usr/bin/python3
"""Write the seed corpora (fuzz/corpus/TARGET/) and dictionaries
(fuzz/dict/TARGET.dict) of the libFuzzer targets: small real examples —
the test fixtures, the scripted STARTTLS servers' answers, a TLS 1.2 and a
TLS 1.3 conversation captured from Python's ssl module in memory — in the
input format each target reads (see the comment at the top of each
fuzz-*.c).  Deterministic: run it again and nothing changes, except the
TLS captures (fresh randoms), which are only written when missing.
Files already in a corpus (for instance regress-* inputs that found a bug)
are kept."""

import base64
import random
import ssl
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures"
CORPUS = ROOT / "fuzz" / "corpus"
DICT = ROOT / "fuzz" / "dict"
sys.path.insert(0, str(ROOT / "tests"))


def put(target, name, data, only_if_missing=False):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    f = d / name
    if only_if_missing and f.exists():
        return
    f.write_bytes(data if isinstance(data, bytes) else data.encode())


def fixture(name):
    return (FIX / name).read_bytes()


def der(pem_name, kind="x509"):
    return subprocess.run(["openssl", kind, "-in", str(FIX / pem_name),
                           "-outform", "DER"], check=True,
                          capture_output=True).stdout


def dictionary(target, words):
    DICT.mkdir(parents=True, exist_ok=True)
    lines = []
    for w in words:
        b = w if isinstance(w, bytes) else w.encode()
        esc = "".join(chr(c) if 32 <= c < 127 and chr(c) not in '"\\'
                      else f"\\x{c:02x}" for c in b)
        lines.append(f'"{esc}"')
    (DICT / f"{target}.dict").write_text(
        f"# libFuzzer dictionary for fuzz-{target} (fuzz/make-corpus.py)\n"
        + "\n".join(lines) + "\n")


def targets():
    for i, line in enumerate([
            "example.com", "example.com:443", "[::1]:8443", "::1",
            "192.0.2.1:25", "[2001:db8::1]", "host:0", "host:65536",
            "http://user:pa%40ss@proxy.example:3128/", "http://[::1]:8080",
            "localhost,.example.com,10.0.0.0/8,::1/128,*",
            "mail.example.com:587\nimap.example.com:143\n# comment\n\n"]):
        put("target", f"seed-{i:02d}", line)
    dictionary("target", [":", "[", "]", "::", "http://", "https://", "@",
                          "%", "/", "*", ".", ",", "#", "\n", ":443", ":25"])


NAMES_OPTS = ["--ciphers", "--groups", "--sigalgs", "--alpn", "--tls-min",
              "--tls-max", "--starttls", "--trust", "--ech",
              "--export-keying-material", "--servername", "--starttls-name",
              "--xmpp-domain", "--proxy", "--min-tls", "--expect-alpn"]
ECH_B64 = ("AEX+DQBBBwAgACBq1t1teHkHQeYLfr59AwPPbRkIx/ojYHUT7jl6AvpoBAAEAAEAAWQS"
           "cHVibGljLm5zc3Rscy50ZXN0AAA=")


def names():
    values = {
        "--ciphers": ["TLS_AES_128_GCM_SHA256,0x1302",
                      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"],
        "--groups": ["x25519:secp256r1", "ffdhe2048, secp384r1"],
        "--sigalgs": ["rsa_pss_rsae_sha256,ecdsa_secp256r1_sha256", "ed25519"],
        "--alpn": ["h2,http/1.1", "acme-tls/1"],
        "--tls-min": ["1.2", "TLSv1.3"], "--tls-max": ["tls1.3"],
        "--starttls": ["smtp", "auto"], "--trust": ["builtin,system"],
        "--ech": [ECH_B64, "auto"],
        "--export-keying-material": ["EXPERIMENTAL-test:32:context", "label"],
        "--servername": ["sni.example"], "--starttls-name": ["mx.example"],
        "--xmpp-domain": ["jabber.example"],
        "--proxy": ["http://u:p@proxy.example:3128"],
        "--min-tls": ["1.2"], "--expect-alpn": ["h2"],
    }
    n = 0
    for i, opt in enumerate(NAMES_OPTS):
        for v in values[opt]:
            put("names", f"seed-{n:02d}", bytes([i]) + v.encode())
            n += 1
    words = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
             "TLS_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
             "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "0x", "x25519", "secp256r1",
             "secp384r1", "secp521r1", "ffdhe2048", "ffdhe3072",
             "rsa_pss_rsae_sha256", "rsa_pkcs1_sha256", "ecdsa_secp256r1_sha256",
             "ed25519", "h2", "http/1.1", "TLSv1.2", "TLSv1.3", "1.2", "1.3",
             "auto", "builtin", "system", "smtp", "xmpp", "EXPERIMENTAL", ":", ","]
    dictionary("names", words)


TIME_OPTS = ["--timeout", "--connect-timeout", "--attime", "--warn-days",
             "--crit-days", "--port", "--jobs", "--reconnect", "--renegotiate",
             "--key-update"]


def times():
    values = {"--timeout": ["10", "2.5", "500ms"], "--connect-timeout": ["3s"],
              "--attime": ["2030-01-01", "2025-06-30T12:00:00Z",
                           "2025-06-30 12:00:00+02:00"],
              "--warn-days": ["30"], "--crit-days": ["7"], "--port": ["443"],
              "--jobs": ["8"], "--reconnect": ["2"], "--renegotiate": ["1"],
              "--key-update": ["request"]}
    n = 0
    for i, opt in enumerate(TIME_OPTS):
        for v in values[opt]:
            put("time", f"seed-{n:02d}", bytes([i]) + v.encode())
            n += 1
    dictionary("time", ["ms", "s", ".", "T", "Z", "+", "-", ":", "2030-01-01",
                        "23:59:59", "+02:00", "request"])


PEM_WORDS = ["-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----",
             "-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----",
             "-----BEGIN ENCRYPTED PRIVATE KEY-----",
             "-----END ENCRYPTED PRIVATE KEY-----",
             "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----",
             "-----BEGIN EC PRIVATE KEY-----", "-----END EC PRIVATE KEY-----",
             "-----BEGIN X509 CRL-----", "-----END X509 CRL-----",
             "Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-256-CBC,",
             "DEK-Info: DES-EDE3-CBC,", "\n", "=",
             b"\x30\x82", b"\x30\x81", b"\x02\x01\x00", b"\x05\x00",
             b"\x06\x03\x55\x1d\x11",           # subjectAltName
             b"\x06\x03\x55\x1d\x13",           # basicConstraints
             b"\x06\x03\x55\x1d\x25",           # extKeyUsage
             b"\x06\x08\x2b\x06\x01\x05\x05\x07\x01\x01",   # AIA
             b"\x06\x08\x2b\x06\x01\x05\x05\x07\x01\x18",   # TLS feature
             b"\x06\x0a\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x02",  # SCT list
             b"\x18\x0f", b"\x17\x0d"]


def certs():
    for name in ["server-rsa.crt", "int-ec.crt", "latin1.crt", "muststaple.crt",
                 "expired-chain.pem", "md5.crt", "int-pathlen0.crt"]:
        put("cert", name, fixture(name))
    put("cert", "server-rsa.der", der("server-rsa.crt"))
    dictionary("cert", PEM_WORDS)


def keys():
    seeds = [(0, ["client-rsa.key"]), (0, ["client-rsa.p8enc.key"]),
             (0, ["client-rsa.rsa.key"]), (0, ["client-rsa.tradenc.key"]),
             (1, ["client-ec.key"]), (1, ["client-ec.ec.key"]),
             (2, ["client-rsa.crt", "client-rsa.key"]),
             (3, ["client-rsa-chain.pem"]), (4, ["client-rsa.p12"]),
             (4, ["client-ec.p12"])]
    for i, (mode, files) in enumerate(seeds):
        put("key", f"seed-{i:02d}", bytes([mode]) + b"".join(fixture(f) for f in files))
    key_der = subprocess.run(["openssl", "pkcs8", "-topk8", "-nocrypt", "-in",
                              str(FIX / "client-rsa.key"), "-outform", "DER"],
                             check=True, capture_output=True).stdout
    put("key", "seed-der", bytes([0]) + key_der)
    dictionary("key", PEM_WORDS)


def crls():
    put("crl", "crl-int-rsa.der", fixture("crl-int-rsa.der"))
    put("crl", "crl-int-rsa.pem", fixture("crl-int-rsa.pem"))
    dictionary("crl", PEM_WORDS)


OCSP_FILES = sorted(p.name for p in FIX.glob("ocsp-*.der"))
OCSP_WORDS = [b"\x06\x09\x2b\x06\x01\x05\x05\x07\x30\x01\x01",  # id-pkix-ocsp-basic
              b"\x0a\x01\x00", b"\x0a\x01\x01", b"\xa0\x03\x02\x01\x00",
              b"\x80\x00", b"\xa1\x11\x18\x0f", b"\x82\x00", b"\x18\x0f",
              b"20300101000000Z", b"\x30\x82", b"\x04\x14", b"\x02\x01"]


def ocsp():
    for name in OCSP_FILES:
        put("ocsp", name, fixture(name))
    dictionary("ocsp", OCSP_WORDS)


def http():
    body = fixture("ocsp-good.der")
    put("http", "ocsp-200", b"HTTP/1.0 200 OK\r\nContent-Type: application/"
        b"ocsp-response\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    cert = der("int-rsa.crt")
    put("http", "aia-200", b"HTTP/1.1 200 OK\r\nContent-Type: application/"
        b"pkix-cert\r\n\r\n" + cert)
    put("http", "404", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    dictionary("http", ["HTTP/1.1 ", "HTTP/1.0 ", "200", "404", "\r\n",
                        "\r\n\r\n", "Content-Length: ", "Content-Type: "])


def proxy():
    put("proxy", "200", b"\x00HTTP/1.1 200 Connection established\r\nVia: x\r\n\r\n")
    put("proxy", "407", b"\x01HTTP/1.1 407 Proxy Authentication Required\r\n"
        b"Proxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n")
    put("proxy", "502", b"\x00HTTP/1.1 502 Bad Gateway\r\nContent-Length: 11"
        b"\r\n\r\nbad gateway")
    put("proxy", "chatty", b"\x00HTTP/1.1 200 OK\r\n\r\nsurprise")
    dictionary("proxy", ["HTTP/1.1 ", "HTTP/1.0 ", "200", "407", "502", "\r\n",
                         "\r\n\r\n", "Proxy-Authenticate: Basic"])


STARTTLS = ["smtp", "lmtp", "imap", "pop3", "ftp", "xmpp", "xmpp-server", "ldap",
            "postgres", "mysql", "nntp", "sieve", "irc"]


def starttls():
    import starttls_peers as sp
    smtp = ("220-mail.test ESMTP nsstls test\r\n220 mail.test ready\r\n"
            "250-mail.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
            "220 2.0.0 Ready to start TLS\r\n")
    xmpp = ("<?xml version='1.0'?><stream:stream xmlns='{ns}' "
            "xmlns:stream='http://etherx.jabber.org/streams' id='t1' "
            "from='localhost' version='1.0'><stream:features><starttls "
            "xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
            "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>"
            "PLAIN</mechanism></mechanisms></stream:features>"
            "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    answers = {
        "smtp": [smtp, smtp.replace("220 2.0.0", "454 4.7.0")],
        "lmtp": [smtp],
        "imap": ["* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n"
                 "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\nA1 OK done\r\n"
                 "A2 OK Begin TLS negotiation now\r\n"],
        "pop3": ["+OK POP3 nsstls test ready\r\n+OK Begin TLS negotiation\r\n"],
        "ftp": ["220-Welcome to the nsstls test FTP\r\n  a continuation line\r\n"
                "220 ready\r\n234 AUTH TLS successful\r\n"],
        "xmpp": [xmpp.format(ns="jabber:client")],
        "xmpp-server": [xmpp.format(ns="jabber:server")],
        "ldap": [sp.ldap_response(0), sp.ldap_response(2, "unsupported"),
                 sp.ldap_response(52, "server shutting down", message_id=0)],
        "postgres": [b"S", b"N", b"E" + (62).to_bytes(4, "big") +
                     b"SFATAL\0C0A000\0Munsupported frontend protocol 1234.5679\0\0"],
        "mysql": [sp.mysql_handshake(), sp.mysql_handshake(False)],
        "nntp": ["200 news.test NNTP service ready, posting allowed\r\n"
                 "382 Continue with TLS negotiation\r\n"],
        "sieve": ['"IMPLEMENTATION" "nsstls test"\r\n"SASL" ""\r\n"STARTTLS"\r\n'
                  '"VERSION" "1.0"\r\nOK "ready"\r\nOK "Begin TLS negotiation now"\r\n'],
        "irc": [":irc.test NOTICE * :*** Looking up your hostname...\r\n"
                "PING :nsstls-cookie\r\n"
                ":irc.test 670 * :STARTTLS successful, proceed with TLS handshake\r\n"],
    }
    for i, proto in enumerate(STARTTLS):
        for j, a in enumerate(answers[proto]):
            put("starttls", f"{proto}-{j}", bytes([i]) + (a if isinstance(a, bytes)
                                                         else a.encode()))
    dictionary("starttls", [
        "\r\n", "220 ", "220-", "250 ", "250-", "STARTTLS", "* OK", "* CAPABILITY",
        "A1 OK", "A2 OK", "A2 NO", "+OK", "-ERR", "234 ", "382 ", "670 ", "691 ",
        "PING :", "OK \"", "NO \"", "\"STARTTLS\"", "<?xml version='1.0'?>",
        "<stream:stream ", "xmlns='jabber:client'", "<stream:features>",
        "</stream:features>", "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>",
        "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "<stream:error>",
        "</stream:stream>", "/>", b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00",
        b"\x0a\x01", b"\x04\x00", "S", "N", "E", b"\x0a", b"\xff"])


def ech_list():
    return base64.b64decode(ECH_B64)


def httpsrr_rdata(params):
    out = (1).to_bytes(2, "big") + b"\x00"          # priority 1, target "."
    for key, value in params:
        out += key.to_bytes(2, "big") + len(value).to_bytes(2, "big") + value
    return out


def ech():
    lst = ech_list()
    put("echconfig", "list", lst)
    put("echconfig", "list-b64", ECH_B64)
    put("httpsrr", "alpn-ech", httpsrr_rdata([(1, b"\x02h2\x08http/1.1"),
                                              (4, bytes([192, 0, 2, 1])),
                                              (5, lst)]))
    put("httpsrr", "alias", b"\x00\x00\x07example\x03com\x00")
    words = [b"\xfe\x0d", b"\x00\x20", b"\x00\x01", b"\x00\x03", b"\x00\x04",
             b"\x00\x05", b"\x00\x06", b"\x00\x00"]
    dictionary("echconfig", words)
    dictionary("httpsrr", words + [b"\x02h2", b"\x08http/1.1", b"\x07example"])
    # Whole DNS answers: header, the question, the answer records.
    qname = b"\x07example\x03com\x00"

    def message(answers):
        head = (0x1234).to_bytes(2, "big") + b"\x81\x80" + (1).to_bytes(2, "big") + \
            len(answers).to_bytes(2, "big") + b"\x00\x00\x00\x00"
        question = qname + (65).to_bytes(2, "big") + (1).to_bytes(2, "big")
        out = head + question
        for rtype, rdata in answers:
            out += (b"\xc0\x0c" + rtype.to_bytes(2, "big") + (1).to_bytes(2, "big") +
                    (300).to_bytes(4, "big") + len(rdata).to_bytes(2, "big") + rdata)
        return out
    put("dns", "service-ech", message([(65, httpsrr_rdata([(1, b"\x02h2"), (5, lst)]))]))
    put("dns", "alias", message([(65, b"\x00\x00\x03cdn\x07example\x03net\x00")]))
    put("dns", "cname-then-https", message([
        (5, b"\x03www\xc0\x0c"), (65, httpsrr_rdata([(5, lst)]))]))
    dictionary("dns", words + [b"\xc0\x0c", b"\x00\x41\x00\x01", b"\x81\x80"])


def sct():
    rng = random.Random(6962)

    def one(ts, ext=b""):
        body = (b"\x00" + rng.randbytes(32) + ts.to_bytes(8, "big") +
                len(ext).to_bytes(2, "big") + ext + b"\x04\x03" +
                (71).to_bytes(2, "big") + rng.randbytes(71))
        return len(body).to_bytes(2, "big") + body
    lst = one(1735689600000) + one(1767225600000, b"\x01\x02")
    put("sct", "two", len(lst).to_bytes(2, "big") + lst)
    lst = one(2 ** 63)
    put("sct", "far-future", len(lst).to_bytes(2, "big") + lst)


def capture(version):
    """A TLS conversation between Python's ssl client and server in memory,
    in fuzz-trace's chunk format."""
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(FIX / "server-rsa-chain.pem" if (FIX / "server-rsa-chain.pem").exists()
                         else FIX / "server-rsa.crt", FIX / "server-rsa.key")
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    for ctx in (sctx, cctx):
        ctx.minimum_version = ctx.maximum_version = version
    cin, cout, sin, sout = (ssl.MemoryBIO() for _ in range(4))
    client = cctx.wrap_bio(cin, cout, server_hostname="localhost")
    server = sctx.wrap_bio(sin, sout, server_side=True)
    chunks = []

    def move(src, dst, sent):
        data = src.read()
        if data:
            dst.write(data)
            for i in range(0, len(data), 0x1fff):
                part = data[i:i + 0x1fff]
                chunks.append(bytes([(0 if sent else 0x80) | len(part) >> 8,
                                     len(part) & 255]) + part)

    for _ in range(10):
        for side in (client, server):
            try:
                side.do_handshake()
            except ssl.SSLWantReadError:
                pass
        move(cout, sin, True)
        move(sout, cin, False)
    client.write(b"GET / HTTP/1.0\r\n\r\n")
    move(cout, sin, True)
    server.read(100)
    server.write(b"HTTP/1.0 200 OK\r\n\r\nhello")
    move(sout, cin, False)
    return b"\x01" + b"".join(chunks)


def trace():
    put("trace", "tls12", capture(ssl.TLSVersion.TLSv1_2), only_if_missing=True)
    put("trace", "tls13", capture(ssl.TLSVersion.TLSv1_3), only_if_missing=True)
    put("trace", "alert", b"\x00" + b"\x80\x07\x15\x03\x03\x00\x02\x02\x28")
    dictionary("trace", [b"\x16\x03\x01", b"\x16\x03\x03", b"\x17\x03\x03",
                         b"\x14\x03\x03\x00\x01\x01", b"\x15\x03\x03\x00\x02",
                         b"\x01\x00", b"\x02\x00", b"\x0b\x00", b"\x00\x2b",
                         b"\x00\x33", b"\x00\x10", b"\x00\x00", b"\x03\x04"])


def json_reports():
    rng = random.Random(2026)
    for i, size in enumerate((16, 256, 1024, 4096)):
        put("json", f"seed-{i}", rng.randbytes(size))


for step in (targets, names, times, certs, keys, crls, ocsp, http, proxy,
             starttls, ech, sct, trace, json_reports):
    step()
