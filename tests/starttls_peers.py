"""Scripted plaintext peers for nsstls: STARTTLS servers and an HTTP CONNECT
proxy (tests/test_starttls.py, tests/test_proxy.py).

A STARTTLS server runs a *dialogue* for each connection: a function of a
Talk (line and byte I/O on the plain socket, with a deadline) that returns
what to do next: TLS (wrap the socket with Python's ssl module, serving
tests/fixtures/server-rsa-chain.pem, so nsstls really verifies a chain),
CLOSE, or STALL (say nothing more until the test ends).  The dialogues for
each protocol are in DIALOGUES, keyed by the --starttls name; each takes a
mode: "ok", "refuse", "stall" (stop answering halfway), "close" (hang up
halfway) and a few protocol-specific ones.

    with starttls_server(DIALOGUES["smtp"], "refuse") as srv:
        r = run_nsstls("--starttls", "smtp", f"localhost:{srv.port}")

Built on peers.PyPeer: loopback, a thread per connection, a log of events
(srv.log()), stopped and joined at the end of the `with`.
"""

from __future__ import annotations

import base64
import contextlib
import select
import socket
import ssl
import time
from typing import Callable, Iterator, Optional

import peers

TLS, CLOSE, STALL = "tls", "close", "stall"
TIMEOUT = 10.0


class Talk:
    """The plain side of one connection: what the server says and reads."""

    def __init__(self, peer: peers.PyPeer, conn: socket.socket):
        self.peer, self.conn = peer, conn
        self.buf = b""
        self.lines: list[str] = []        # every line read, for assertions

    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode()
        self.conn.sendall(data)
        self.peer._note(f"S: {data!r}")

    def _fill(self, most: int = 65536) -> bool:
        deadline = time.monotonic() + TIMEOUT
        while not self.peer._stop.is_set() and time.monotonic() < deadline:
            ready, _, _ = select.select([self.conn], [], [], 0.05)
            if ready:
                chunk = self.conn.recv(most)
                if not chunk:
                    self.peer._note("client closed")
                    return False
                self.buf += chunk
                return True
        return False

    def line(self) -> Optional[str]:
        """One line without its end, or None when the client went away."""
        while b"\n" not in self.buf:
            if not self._fill():
                return None
        raw, self.buf = self.buf.split(b"\n", 1)
        text = raw.rstrip(b"\r").decode("latin-1")
        self.lines.append(text)
        self.peer._note(f"C: {text!r}")
        with self.peer._lock:
            self.peer.received.append(raw)
        return text

    def read(self, n: int) -> Optional[bytes]:
        """Exactly n bytes, and not one more from the socket: after a MySQL
        SSLRequest the ClientHello follows at once."""
        while len(self.buf) < n:
            if not self._fill(n - len(self.buf)):
                return None
        data, self.buf = self.buf[:n], self.buf[n:]
        self.peer._note(f"C: {data!r}")
        with self.peer._lock:
            self.peer.received.append(data)
        return data

    def until(self, marker: bytes) -> Optional[bytes]:
        """Everything up to and including marker."""
        while marker not in self.buf:
            if not self._fill():
                return None
        i = self.buf.index(marker) + len(marker)
        data, self.buf = self.buf[:i], self.buf[i:]
        self.peer._note(f"C: {data!r}")
        with self.peer._lock:
            self.peer.received.append(data)
        return data


def answer(talk: Talk, mode: str, refusal, go_ahead, after_refusal: str = None) -> str:
    """The server's answer to the STARTTLS command, by mode: "stall" says
    nothing, "close" hangs up, "refuse" sends the refusal (then hangs up,
    or after_refusal), anything else sends the go-ahead and starts TLS."""
    if mode == "stall":
        return STALL
    if mode == "close":
        return CLOSE
    if mode == "refuse":
        talk.send(refusal)
        return after_refusal or CLOSE
    talk.send(go_ahead)
    return TLS


def server_context(chain: str = "server-rsa-chain.pem",
                   key: str = "server-rsa.key") -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(peers.fixture(chain), peers.fixture(key))
    return ctx


def serve_tls(peer: peers.PyPeer, conn: socket.socket, ctx: ssl.SSLContext,
              leftover: bytes = b"") -> None:
    """The handshake on the plain socket, then wait for the client to close."""
    if leftover:
        peer._note(f"client sent {len(leftover)} bytes before TLS: {leftover!r}")
        return
    conn.settimeout(TIMEOUT)
    try:
        with ctx.wrap_socket(conn, server_side=True) as tls:
            peer._note(f"handshake done: {tls.version()}")
            with contextlib.suppress(OSError):
                while tls.recv(4096):
                    pass
    except (ssl.SSLError, OSError) as e:
        peer._note(f"TLS failed: {e}")


@contextlib.contextmanager
def starttls_server(dialogue: Callable[[Talk, str], str], mode: str = "ok",
                    port: int = 0, **tls) -> Iterator[peers.PyPeer]:
    """A PyPeer running dialogue(talk, mode) for each connection, then
    TLS, a close or a stall.  .talks holds each connection's Talk."""
    ctx = server_context(**tls)
    talks: list[Talk] = []

    def handler(peer, conn):
        talk = Talk(peer, conn)
        talks.append(talk)
        what = dialogue(talk, mode)
        peer._note(f"dialogue over: {what}")
        if what == TLS:
            serve_tls(peer, conn, ctx, talk.buf)
        elif what == STALL:
            peer.stall()
        else:
            peer.close(conn)

    with peers._py_peer(f"STARTTLS {getattr(dialogue, '__name__', '?')} "
                        f"server ({mode})", handler, port) as peer:
        peer.talks = talks
        yield peer


def handshakes(peer: peers.PyPeer) -> int:
    """How many TLS handshakes the peer completed."""
    return peer.log().count("handshake done")


# --------------------------------------------------------------------------
# The dialogues, server side

def smtp(talk: Talk, mode: str, hello: str = "EHLO") -> str:
    if mode == "greeting-refused":
        talk.send("554 5.3.2 mail.test no service for you\r\n")
        return CLOSE
    if mode == "silent":
        return STALL
    talk.send("220-mail.test ESMTP nsstls test\r\n220 mail.test ready\r\n")
    line = talk.line()
    if line is None or not line.upper().startswith(hello + " "):
        talk.send("500 5.5.1 expected " + hello + "\r\n")
        return CLOSE
    if mode == "stall":
        return STALL
    if mode == "close":
        return CLOSE
    if mode == "escape":
        talk.send("550 \x1b[31mred\x1b[0m refused\r\n")
        return CLOSE
    offer = "" if mode == "not-offered" else "250-STARTTLS\r\n"
    talk.send("250-mail.test\r\n250-PIPELINING\r\n" + offer + "250 8BITMIME\r\n")
    line = talk.line()
    if line is None or line.upper() != "STARTTLS":
        return CLOSE
    if mode in ("refuse", "not-offered"):
        talk.send("454 4.7.0 TLS not available due to local problem\r\n")
        return CLOSE
    if mode == "inject":
        # Pipelined in one segment, as an injecting man in the middle would.
        talk.send("220 2.0.0 Ready to start TLS\r\n250 injected before TLS\r\n")
        return STALL
    talk.send("220 2.0.0 Ready to start TLS\r\n")
    return TLS


def lmtp(talk: Talk, mode: str) -> str:
    return smtp(talk, mode, hello="LHLO")


def imap(talk: Talk, mode: str) -> str:
    if mode == "silent":
        return STALL
    talk.send("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n")
    if talk.line() != "A1 CAPABILITY":
        return CLOSE
    talk.send("* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\nA1 OK done\r\n")
    if talk.line() != "A2 STARTTLS":
        return CLOSE
    return answer(talk, mode,
                  "A2 NO [UNAVAILABLE] TLS is not available now\r\n",
                  "A2 OK Begin TLS negotiation now\r\n")


def pop3(talk: Talk, mode: str) -> str:
    talk.send("+OK POP3 nsstls test ready\r\n")
    if talk.line() != "STLS":
        return CLOSE
    return answer(talk, mode,
                  "-ERR TLS not available\r\n",
                  "+OK Begin TLS negotiation\r\n")


def ftp(talk: Talk, mode: str) -> str:
    talk.send("220-Welcome to the nsstls test FTP\r\n  a continuation line\r\n"
              "220 ready\r\n")
    if talk.line() != "AUTH TLS":
        return CLOSE
    return answer(talk, mode,
                  "534 Local policy on server does not allow TLS\r\n",
                  "234 AUTH TLS successful\r\n")


def _xmpp(talk: Talk, mode: str, ns: str) -> str:
    opening = talk.until(b">")                  # <?xml version='1.0'?>
    if opening is not None and opening.startswith(b"<?xml"):
        opening = talk.until(b">")              # <stream:stream ...>
    if opening is None or f"xmlns='{ns}'".encode() not in opening:
        return CLOSE
    if mode == "stall":
        return STALL
    talk.send("<?xml version='1.0'?><stream:stream xmlns='" + ns + "' "
              "xmlns:stream='http://etherx.jabber.org/streams' id='t1' "
              "from='localhost' version='1.0'>")
    if mode == "host-unknown":
        talk.send("<stream:error><host-unknown "
                  "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
                  "</stream:stream>")
        return CLOSE
    starttls = "" if mode == "not-offered" else (
        "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>")
    # The features in two writes: the reader must wait for the end tag.
    talk.send("<stream:features>" + starttls)
    talk.send("<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
              "<mechanism>PLAIN</mechanism></mechanisms></stream:features>")
    if mode == "not-offered":
        talk.until(b">")
        return CLOSE
    if talk.until(b"/>") is None:
        return CLOSE
    if mode == "close":
        return CLOSE
    if mode == "refuse":
        talk.send("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>")
        return CLOSE
    talk.send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    return TLS


def xmpp(talk: Talk, mode: str) -> str:
    return _xmpp(talk, mode, "jabber:client")


def xmpp_server(talk: Talk, mode: str) -> str:
    return _xmpp(talk, mode, "jabber:server")


LDAP_STARTTLS = (b"\x30\x1d\x02\x01\x01\x77\x18\x80\x16" + b"1.3.6.1.4.1.1466.20037")


def _tlv(tag: int, content: bytes) -> bytes:
    assert len(content) < 0x80 or len(content) < 0x10000
    if len(content) < 0x80:
        return bytes([tag, len(content)]) + content
    return bytes([tag, 0x82]) + len(content).to_bytes(2, "big") + content


def ldap_response(code: int, diagnostic: str = "", message_id: int = 1,
                  pad: int = 0) -> bytes:
    """An LDAPMessage with an ExtendedResponse (RFC 4511 §4.12)."""
    body = (_tlv(0x0a, bytes([code])) + _tlv(0x04, b"") +
            _tlv(0x04, diagnostic.encode() + b" " * pad))
    return _tlv(0x30, _tlv(0x02, bytes([message_id])) + _tlv(0x78, body))


def ldap(talk: Talk, mode: str) -> str:
    request = talk.read(len(LDAP_STARTTLS))
    if request != LDAP_STARTTLS:
        return CLOSE
    if mode == "stall":
        return STALL
    if mode == "close":
        return CLOSE
    if mode == "refuse":
        talk.send(ldap_response(2, "unsupported extended operation"))
        return CLOSE
    if mode == "disconnect":
        talk.send(ldap_response(52, "server shutting down", message_id=0))
        return CLOSE
    if mode == "long":
        # A long form length (0x82): 200 bytes of diagnostic, code 0.
        talk.send(ldap_response(0, "x", pad=200))
        return TLS
    talk.send(ldap_response(0))
    return TLS


def postgres(talk: Talk, mode: str) -> str:
    if talk.read(8) != b"\x00\x00\x00\x08\x04\xd2\x16\x2f":
        return CLOSE
    if mode == "stall":
        return STALL
    if mode == "close":
        return CLOSE
    if mode == "refuse":
        talk.send(b"N")
        return CLOSE
    if mode == "error":
        fields = b"SFATAL\0C0A000\0Munsupported frontend protocol 1234.5679\0\0"
        talk.send(b"E" + (len(fields) + 4).to_bytes(4, "big") + fields)
        return CLOSE
    talk.send(b"S")
    return TLS


MYSQL_CLIENT_SSL = 0x0800


def mysql_handshake(ssl_offered: bool = True) -> bytes:
    caps = 0xffff if ssl_offered else 0xffff & ~MYSQL_CLIENT_SSL
    caps_hi = 0x81bf
    body = (b"\x0a" + b"8.0.36-nsstls-test\0" + (42).to_bytes(4, "little") +
            b"abcdefgh" + b"\0" + caps.to_bytes(2, "little") + b"\xff" +
            (2).to_bytes(2, "little") + caps_hi.to_bytes(2, "little") +
            bytes([21]) + b"\0" * 10 + b"ijklmnopqrst\0" + b"caching_sha2_password\0")
    return len(body).to_bytes(3, "little") + b"\x00" + body


def mysql(talk: Talk, mode: str) -> str:
    if mode == "stall":
        return STALL
    if mode == "error":
        msg = b"Host '127.0.0.1' is not allowed to connect to this MySQL server"
        body = b"\xff" + (1130).to_bytes(2, "little") + msg
        talk.send(len(body).to_bytes(3, "little") + b"\x00" + body)
        return CLOSE
    talk.send(mysql_handshake(ssl_offered=mode != "refuse"))
    if mode == "refuse":
        talk.read(1)        # the client hangs up: EOF
        return CLOSE
    request = talk.read(36)
    if request is None or request[:4] != b"\x20\x00\x00\x01":
        return CLOSE
    caps = int.from_bytes(request[4:8], "little")
    if not caps & MYSQL_CLIENT_SSL:
        return CLOSE
    talk.peer._note(f"SSLRequest capabilities 0x{caps:08x}")
    return TLS


def nntp(talk: Talk, mode: str) -> str:
    talk.send("200 news.test NNTP service ready, posting allowed\r\n")
    if talk.line() != "STARTTLS":
        return CLOSE
    return answer(talk, mode,
                  "580 Can not initiate TLS negotiation\r\n",
                  "382 Continue with TLS negotiation\r\n")


def sieve(talk: Talk, mode: str) -> str:
    talk.send('"IMPLEMENTATION" "nsstls test"\r\n"SASL" ""\r\n"STARTTLS"\r\n'
              '"VERSION" "1.0"\r\nOK "ready"\r\n')
    if talk.line() != "STARTTLS":
        return CLOSE
    return answer(talk, mode,
                  'NO "TLS is not available"\r\n',
                  'OK "Begin TLS negotiation now"\r\n')


def irc(talk: Talk, mode: str) -> str:
    talk.send(":irc.test NOTICE * :*** Looking up your hostname...\r\n")
    if talk.line() != "STARTTLS":
        return CLOSE
    if mode == "stall":
        return STALL
    if mode == "close":
        return CLOSE
    talk.send("PING :nsstls-cookie\r\n")
    if talk.line() != "PONG :nsstls-cookie":
        return CLOSE
    if mode == "refuse":
        talk.send(":irc.test 691 * :STARTTLS failed (Internal error)\r\n")
        return CLOSE
    talk.send(":irc.test 670 * :STARTTLS successful, proceed with TLS handshake\r\n")
    return TLS


DIALOGUES: dict[str, Callable[[Talk, str], str]] = {
    "smtp": smtp, "submission": smtp, "lmtp": lmtp, "imap": imap,
    "pop3": pop3, "ftp": ftp, "xmpp": xmpp, "xmpp-server": xmpp_server,
    "ldap": ldap, "postgres": postgres, "mysql": mysql, "nntp": nntp,
    "sieve": sieve, "irc": irc,
}

DEFAULT_PORTS = {
    "smtp": 25, "submission": 587, "lmtp": 24, "imap": 143, "pop3": 110,
    "ftp": 21, "xmpp": 5222, "xmpp-server": 5269, "ldap": 389,
    "postgres": 5432, "mysql": 3306, "nntp": 119, "sieve": 4190, "irc": 6667,
}


# --------------------------------------------------------------------------
# An HTTP CONNECT proxy

class ProxyPeer:
    """What connect_proxy() yields: the PyPeer plus what the proxy saw."""

    def __init__(self, peer: peers.PyPeer):
        self.peer = peer
        self.requests: list[list[str]] = []   # request lines + headers
        self.tunnels = 0                      # tunnels opened

    def __getattr__(self, name):
        return getattr(self.peer, name)


def _relay(peer: peers.PyPeer, a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until both sides have closed (a half-close is
    passed on: nsstls half-closes at the end of its input) or the peer
    stops."""
    socks = [a, b]
    while socks and not peer._stop.is_set():
        ready, _, _ = select.select(socks, [], [], 0.05)
        for s in ready:
            other = b if s is a else a
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if data:
                other.sendall(data)
                continue
            socks.remove(s)
            with contextlib.suppress(OSError):
                other.shutdown(socket.SHUT_WR)


def _first_words(upstream: socket.socket) -> bytes:
    """What a server says first, once the line goes quiet for 0.2 s."""
    data = b""
    while select.select([upstream], [], [], 0.2 if data else TIMEOUT)[0]:
        chunk = upstream.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


@contextlib.contextmanager
def connect_proxy(mode: str = "ok", user: Optional[str] = None,
                  password: str = "") -> Iterator[ProxyPeer]:
    """A CONNECT proxy on loopback.  mode: "ok" (tunnels; with user, answers
    407 unless the Basic credentials match), "502" (Bad Gateway), "silent"
    (reads the request, never answers), "garbage" (answers with no HTTP),
    "chatty" (sends bytes after its 200 before the server says anything),
    "greeting" (waits for the target's first words and sends them with its
    200, in one segment)."""
    state: dict = {}

    def handler(peer, conn):
        proxy = state["proxy"]
        talk = Talk(peer, conn)
        head = []
        while True:
            line = talk.line()
            if line is None:
                return
            if line == "":
                break
            head.append(line)
        proxy.requests.append(head)
        if mode == "silent":
            peer.stall()
            return
        if mode == "garbage":
            talk.send("SSH-2.0-OpenSSH_9.2\r\n")
            peer.close(conn)
            return
        if mode == "502":
            talk.send("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 11\r\n\r\nbad gateway")
            peer.close(conn)
            return
        if user is not None:
            want = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
            got = [h.split(":", 1)[1].strip() for h in head
                   if h.lower().startswith("proxy-authorization:")]
            if got != [want]:
                talk.send("HTTP/1.1 407 Proxy Authentication Required\r\n"
                          "Proxy-Authenticate: Basic realm=\"nsstls\"\r\n"
                          "Content-Length: 0\r\n\r\n")
                peer.close(conn)
                return
        method, authority, _ = head[0].split(" ", 2)
        host, port = authority.rsplit(":", 1)
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
        except OSError as e:
            talk.send(f"HTTP/1.1 502 Bad Gateway\r\n\r\n{e}")
            peer.close(conn)
            return
        proxy.tunnels += 1
        # "chatty": bytes right behind the answer, in the same segment;
        # "greeting": the target's first words (an SMTP greeting) there.
        behind = b"surprise" if mode == "chatty" else b""
        if mode == "greeting":
            behind = _first_words(upstream)
        talk.send(b"HTTP/1.1 200 Connection established\r\nVia: nsstls-test\r\n\r\n"
                  + behind)
        with upstream:
            _relay(peer, conn, upstream)
        peer.close(conn)

    with peers._py_peer(f"CONNECT proxy ({mode})", handler) as peer:
        state["proxy"] = ProxyPeer(peer)
        yield state["proxy"]
