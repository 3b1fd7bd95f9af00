"""Test peers for nsstls: real TLS servers and small hostile servers on loopback.

Importable on its own (the pytest fixtures in conftest.py are thin wrappers):

    from peers import openssl_server, run_nsstls
    with openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt") as srv:
        r = run_nsstls("--ca-file", fixture("roots.pem"), f"localhost:{srv.port}")

Rules every peer follows:
  * it listens on loopback with a port the kernel (or the harness) picked, so
    tests can run in parallel and never collide with a fixed port;
  * a server process runs in its own session / process group and is stopped by
    its own id (SIGTERM, then SIGKILL after a deadline) and reaped in `finally`;
    nothing is ever killed by name;
  * every wait is a poll with a deadline, never a bare sleep;
  * a missing server binary skips the test (pytest.skip), it does not fail it.

Relative certificate/key paths given to the server starters are resolved
against tests/fixtures/ (see tests/fixtures/README.md); absolute paths are used
as they are.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO_DIR = TESTS_DIR.parent
FIXTURES_DIR = TESTS_DIR / "fixtures"
P12_PASSWORD = "nsstls"        # password of every tests/fixtures/*.p12
LOOPBACK = "127.0.0.1"

START_TIMEOUT = 10.0           # seconds a server gets to start listening
STOP_TIMEOUT = 5.0             # seconds between SIGTERM and SIGKILL
POLL_INTERVAL = 0.02


def fixture(name: str | os.PathLike) -> str:
    """Path of a file in tests/fixtures/ (absolute paths pass through)."""
    p = Path(name)
    return str(p if p.is_absolute() else FIXTURES_DIR / p)


def _poll(predicate: Callable[[], object], timeout: float, what: str):
    """Call predicate until it returns something truthy; TimeoutError after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(POLL_INTERVAL)


def _require(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        pytest.skip(f"no {binary} on PATH")
    return path


# --------------------------------------------------------------------------
# The binary under test

def nsstls_path() -> Path:
    """$NSSTLS, or <repo>/build/src/nsstls."""
    return Path(os.environ.get("NSSTLS") or REPO_DIR / "build" / "src" / "nsstls")


def nsstls_command() -> list[str]:
    """argv prefix that runs nsstls: $NSSTLS_WRAPPER (e.g. "valgrind -q") + binary."""
    return shlex.split(os.environ.get("NSSTLS_WRAPPER", "")) + [str(nsstls_path())]


PROXY_ENV = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
             "no_proxy", "NO_PROXY")


def without_proxy_env(environ) -> dict:
    """A copy of environ without the proxy variables nsstls reads: a proxy
    in the developer's environment would carry the loopback tests through
    it.  Tests of the proxy support set them in `env`."""
    return {k: v for k, v in environ.items() if k not in PROXY_ENV}


def run_nsstls(*args, input: bytes | str = b"", timeout: float = 30,
               env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """Run nsstls with args and wait for it.

    stdin is always a pipe fed with `input` (never the terminal).  `env` holds
    variables set on top of the inherited environment; a value of None removes
    the variable.  Returns a CompletedProcess whose stdout/stderr are str
    (undecodable bytes replaced); the raw bytes are in .stdout_bytes and
    .stderr_bytes.  subprocess.TimeoutExpired propagates after `timeout`.
    """
    full_env = without_proxy_env(os.environ)
    for k, v in (env or {}).items():
        if v is None:
            full_env.pop(k, None)
        else:
            full_env[k] = str(v)
    if isinstance(input, str):
        input = input.encode()
    argv = nsstls_command() + [str(a) for a in args]
    raw = subprocess.run(argv, input=input, capture_output=True,
                         timeout=timeout, env=full_env)
    done = subprocess.CompletedProcess(
        raw.args, raw.returncode,
        raw.stdout.decode("utf-8", errors="replace"),
        raw.stderr.decode("utf-8", errors="replace"))
    done.stdout_bytes = raw.stdout
    done.stderr_bytes = raw.stderr
    return done


# --------------------------------------------------------------------------
# Listening sockets of a process, from /proc (gnutls-serv and selfserv do not
# tell us their port, or bind all addresses)

def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        m = re.fullmatch(r"socket:\[(\d+)\]", target)
        if m:
            inodes.add(int(m.group(1)))
    return inodes


def listening_ports(pid: int) -> list[tuple[str, int]]:
    """[(family, port)] of the TCP sockets process pid has in LISTEN state.

    family is "tcp" (IPv4) or "tcp6" (IPv6, possibly dual-stack).  Matches the
    process's socket inodes against LISTEN (st 0A) rows of /proc/net/tcp{,6}.
    """
    inodes = _socket_inodes(pid)
    found = []
    for family in ("tcp", "tcp6"):
        try:
            with open(f"/proc/net/{family}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[9]) in inodes:
                found.append((family, int(fields[1].rsplit(":", 1)[1], 16)))
    return found


# --------------------------------------------------------------------------
# Server objects

class Server:
    """What every server starter yields.

    host   "127.0.0.1"
    port   TCP port on host
    port6  port reachable on [::1], or None (only gnutls-serv and selfserv
           listen on IPv6; gnutls-serv uses a different port there)
    proc   the subprocess.Popen (None for the in-process Python peers)
    name   short description for messages
    log()  everything the server printed so far (stdout and stderr, merged);
           for Python peers, a line per event.  Still available after stop.
    """

    host = LOOPBACK

    def __init__(self, name: str):
        self.name = name
        self.port: int = 0
        self.port6: Optional[int] = None
        self.proc: Optional[subprocess.Popen] = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def log(self) -> str:
        raise NotImplementedError

    def __repr__(self):
        return f"<{self.name} {self.address}>"


class ProcessServer(Server):
    """A server subprocess with its output in a log file in a private temp dir."""

    def __init__(self, name: str, workdir: str):
        super().__init__(name)
        self.workdir = workdir
        self.logfile = os.path.join(workdir, "server.log")
        self._final_log: Optional[str] = None

    def start(self, argv: Sequence[str]) -> None:
        with open(self.logfile, "ab") as out:
            # stdin is a pipe we keep open: s_server treats EOF on stdin as
            # "quit" and would drop the first client.  write() below feeds it.
            self.proc = subprocess.Popen(
                list(argv), stdin=subprocess.PIPE, stdout=out,
                stderr=subprocess.STDOUT, cwd=self.workdir,
                start_new_session=True)

    def write(self, data: bytes | str) -> None:
        """Write to the server's stdin (s_server sends it to the client)."""
        if isinstance(data, str):
            data = data.encode()
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def log(self) -> str:
        if self._final_log is not None:
            return self._final_log
        try:
            with open(self.logfile, "rb") as f:
                return f.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def exited(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def stop(self) -> None:
        """SIGTERM the server's process group, SIGKILL after STOP_TIMEOUT, reap."""
        proc = self.proc
        if proc is not None:
            if proc.poll() is None:      # not reaped yet: its pgid is still ours
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=STOP_TIMEOUT)
            if proc.stdin:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
        self._final_log = self.log()

    def startup_error(self, what: str) -> RuntimeError:
        status = "" if self.proc is None else f" (exit status {self.proc.poll()})"
        return RuntimeError(f"{self.name}: {what}{status}; its output:\n{self.log()}")


@contextlib.contextmanager
def _process_server(name: str) -> Iterator[ProcessServer]:
    workdir = tempfile.mkdtemp(prefix="nsstls-peer-")
    srv = ProcessServer(name, workdir)
    try:
        yield srv
    finally:
        try:
            srv.stop()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


# --------------------------------------------------------------------------
# openssl s_server

def _pem_blocks(path: str) -> list[str]:
    text = Path(path).read_text()
    return re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----",
                      text, re.S)


@contextlib.contextmanager
def openssl_server(cert: str, key: str, chain: Optional[str] = None,
                   args: Sequence[str] = ()) -> Iterator[ProcessServer]:
    """openssl s_server on 127.0.0.1 with a kernel-chosen port.

    cert/key: leaf certificate and its key; chain: PEM file of the
    intermediates to send after the leaf (a NAME-chain.pem is accepted too:
    the leaf at its head is dropped, s_server would otherwise send it twice).
    args go to s_server as they are, e.g. -tls1_2, -tls1_3, -alpn h2,http/1.1,
    -client_renegotiation, -www, -rev, -naccept 1, -groups X25519,
    -Verify 1 -CAfile roots.pem.  Never pass -quiet: it suppresses the ACCEPT
    line the port is read from.  Without -www/-rev the server prints what it
    receives (see log()) and sends what is given to .write().
    """
    openssl = _require("openssl")
    cert, key = fixture(cert), fixture(key)
    with _process_server("openssl s_server") as srv:
        argv = [openssl, "s_server", "-accept", f"{LOOPBACK}:0",
                "-cert", cert, "-key", key]
        if chain is not None:
            chain = fixture(chain)
            blocks = _pem_blocks(chain)
            leaf = _pem_blocks(cert)[:1]
            if leaf and blocks[:1] == leaf:
                blocks = blocks[1:]
                chain = os.path.join(srv.workdir, "chain.pem")
                Path(chain).write_text("\n".join(blocks) + "\n")
            if blocks:      # s_server refuses an empty chain file
                argv += ["-cert_chain", chain]
        argv += list(args)
        srv.start(argv)

        def accepted():
            m = re.search(r"^ACCEPT .*:(\d+)$", srv.log(), re.M)
            if m:
                return int(m.group(1))
            if srv.exited():
                raise srv.startup_error("exited before listening")
            return None
        try:
            srv.port = _poll(accepted, START_TIMEOUT, "s_server's ACCEPT line")
        except TimeoutError as e:
            raise srv.startup_error(str(e)) from None
        yield srv


# --------------------------------------------------------------------------
# gnutls-serv

@contextlib.contextmanager
def gnutls_server(cert: str, key: str,
                  args: Sequence[str] = ()) -> Iterator[ProcessServer]:
    """gnutls-serv with random ports (IPv4 in .port, IPv6 in .port6).

    cert: PEM with the leaf first and then the chain to send (NAME-chain.pem);
    key: the leaf's key.  Without args the server answers HTTP requests with a
    status page; "--echo" echoes what it receives.  Other useful args:
    --priority=NORMAL:-VERS-ALL:+VERS-TLS1.2, --alpn=h2, --require-client-cert
    with --x509cafile=... .  gnutls-serv has no bind option: it listens on all
    addresses, and with -p 0 it reports "port 0", so the real ports are read
    from /proc (listening_ports).
    """
    binary = _require("gnutls-serv")
    with _process_server("gnutls-serv") as srv:
        srv.start([binary, "--x509certfile", fixture(cert),
                   "--x509keyfile", fixture(key), "-p", "0", *args])

        def bound():
            if srv.exited():
                raise srv.startup_error("exited before listening")
            ports = listening_ports(srv.proc.pid)
            v4 = [p for fam, p in ports if fam == "tcp"]
            return v4 and (v4[0], [p for fam, p in ports if fam == "tcp6"])
        try:
            srv.port, v6 = _poll(bound, START_TIMEOUT, "gnutls-serv to listen")
        except TimeoutError as e:
            raise srv.startup_error(str(e)) from None
        srv.port6 = v6[0] if v6 else None
        yield srv


# --------------------------------------------------------------------------
# NSS selfserv

def _free_port() -> int:
    """A port that is free on every address right now (selfserv binds [::])."""
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        addr = ("::", 0)
    except OSError:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        addr = ("0.0.0.0", 0)
    with s:
        s.bind(addr)
        return s.getsockname()[1]


def _run_tool(argv: Sequence[str], what: str) -> str:
    r = subprocess.run(list(argv), stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=30)
    out = (r.stdout + r.stderr).decode("utf-8", errors="replace")
    if r.returncode != 0:
        raise RuntimeError(f"{what} failed ({r.returncode}): {' '.join(argv)}\n{out}")
    return out


def make_nss_db(dbdir: str, p12s: Sequence[str] = (),
                trust_roots: Sequence[str] = ()) -> None:
    """Create an NSS sql: database (empty password) in dbdir.

    Imports each PKCS#12 (password P12_PASSWORD) and adds each CA certificate
    in trust_roots as a trusted CA for SSL ("CT,C,C").
    """
    certutil, pk12util = _require("certutil"), _require("pk12util")
    _run_tool([certutil, "-N", "-d", f"sql:{dbdir}", "--empty-password"],
              "certutil -N")
    for p12 in p12s:
        _run_tool([pk12util, "-i", fixture(p12), "-d", f"sql:{dbdir}",
                   "-W", P12_PASSWORD, "-K", ""], "pk12util -i")
    for i, root in enumerate(trust_roots):
        _run_tool([certutil, "-A", "-d", f"sql:{dbdir}", "-n",
                   Path(root).stem or f"root{i}", "-t", "CT,C,C",
                   "-a", "-i", fixture(root)], "certutil -A")


def nss_key_nicknames(dbdir: str) -> list[str]:
    """Nicknames of the certificates in dbdir that have a private key (trust "u")."""
    out = _run_tool([_require("certutil"), "-L", "-d", f"sql:{dbdir}"], "certutil -L")
    names = []
    for line in out.splitlines():
        m = re.match(r"^(\S.*?)\s+([A-Za-z]*,[A-Za-z]*,[A-Za-z]*)\s*$", line)
        if m and "u" in m.group(2):
            names.append(m.group(1))
    return names


@contextlib.contextmanager
def selfserv_server(p12name: str, args: Sequence[str] = (),
                    trust_roots: Sequence[str] = ()) -> Iterator[ProcessServer]:
    """NSS selfserv serving the leaf of a PKCS#12 fixture.

    p12name: "server-rsa" or "server-rsa.p12" (leaf + key + intermediate; the
    intermediate goes into the database, so selfserv sends leaf + intermediate).
    trust_roots: CA files to trust in the server's database (needed to verify
    client certificates with -r -r).  Useful args: -V tls1.2:tls1.2,
    -r / -r -r (request / require a client certificate), -Q (ALPN http/1.1),
    -I x25519,P256 (groups), -c (ciphers), -u (session tickets).
    selfserv reads one request and answers with a small HTTP/1.0 200 page.

    Yields a ProcessServer with .db (the sql: database directory, removed on
    exit) and .nickname.  selfserv rejects -p 0, so the harness picks a free
    port and retries with another one (3 attempts) if selfserv exits early.
    It listens on [::] (dual stack), so .port6 == .port.
    """
    binary = _require("selfserv")
    if not p12name.endswith(".p12"):
        p12name += ".p12"
    with _process_server("selfserv") as srv:
        srv.db = os.path.join(srv.workdir, "db")
        os.mkdir(srv.db)
        make_nss_db(srv.db, [p12name], trust_roots)
        nicks = nss_key_nicknames(srv.db)
        if len(nicks) != 1:
            raise RuntimeError(f"{p12name}: expected one key certificate, found {nicks}")
        srv.nickname = nicks[0]
        pidfile = os.path.join(srv.workdir, "selfserv.pid")

        for attempt in range(3):
            port = _free_port()
            with open(srv.logfile, "ab") as f:
                f.write(f"### nsstls harness: attempt {attempt + 1}, port {port}\n".encode())
            srv.start([binary, "-d", f"sql:{srv.db}", "-n", srv.nickname,
                       "-p", str(port), "-i", pidfile, *args])

            def listening():
                if srv.exited():
                    return "exited"
                return port in [p for _, p in listening_ports(srv.proc.pid)]
            try:
                state = _poll(listening, START_TIMEOUT, "selfserv to listen")
            except TimeoutError as e:
                raise srv.startup_error(str(e)) from None
            if state is True:
                srv.port = srv.port6 = port
                break
            srv.stop()               # reap it, then try another port
            srv._final_log = None
        else:
            raise srv.startup_error("failed to start on 3 ports")
        yield srv


# --------------------------------------------------------------------------
# Hostile peers: tiny Python servers (threads) for what real servers cannot do

class PyPeer(Server):
    """A listening socket on 127.0.0.1:0 and a thread per accepted connection
    running handler(peer, conn).  .accepted counts connections; .received holds
    the bytes read per connection (typically the ClientHello)."""

    def __init__(self, name: str, handler: Callable[["PyPeer", socket.socket], None],
                 port: int = 0):
        super().__init__(name)
        self._handler = handler
        self._t0 = time.monotonic()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._events: list[str] = []
        self._conns: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self.accepted = 0
        self.received: list[bytes] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((LOOPBACK, port))     # port: 0, or a fixed one
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self._note(f"listening on {self.address}")
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True,
                                          name=f"{name}-accept")
        self._acceptor.start()

    def _note(self, what: str) -> None:
        with self._lock:
            self._events.append(f"+{time.monotonic() - self._t0:.3f}s {what}")

    def log(self) -> str:
        with self._lock:
            return "\n".join(self._events) + "\n"

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._sock], [], [], 0.05)
            if not ready:
                continue
            try:
                conn, addr = self._sock.accept()
            except OSError:
                continue
            with self._lock:
                self.accepted += 1
                self._conns.append(conn)
            self._note(f"accepted {addr[0]}:{addr[1]}")
            t = threading.Thread(target=self._run_handler, args=(conn,), daemon=True)
            with self._lock:
                self._threads.append(t)
            t.start()

    def _run_handler(self, conn: socket.socket) -> None:
        try:
            self._handler(self, conn)
        except OSError as e:
            if not self._stop.is_set():
                self._note(f"handler error: {e}")

    # helpers for handlers

    def read_record(self, conn: socket.socket, timeout: float = 10.0) -> bytes:
        """Read one TLS record (the ClientHello), or what arrives before EOF,
        the stop request or timeout."""
        data = b""
        deadline = time.monotonic() + timeout
        while not self._stop.is_set() and time.monotonic() < deadline:
            need = 5 if len(data) < 5 else 5 + int.from_bytes(data[3:5], "big")
            if len(data) >= need:
                break
            ready, _, _ = select.select([conn], [], [], 0.05)
            if ready:
                chunk = conn.recv(need - len(data))
                if not chunk:
                    self._note("client closed")
                    break
                data += chunk
        with self._lock:
            self.received.append(data)
        self._note(f"read {len(data)} bytes")
        return data

    def send(self, conn: socket.socket, data: bytes) -> None:
        conn.sendall(data)
        self._note(f"sent {len(data)} bytes")

    def stall(self) -> None:
        """Block until the peer is stopped (the end of the test)."""
        self._stop.wait()

    def close(self, conn: socket.socket, reset: bool = False) -> None:
        if reset:   # RST instead of FIN
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            (1).to_bytes(4, "little") + (0).to_bytes(4, "little"))
        conn.close()
        self._note("closed connection" + (" (RST)" if reset else ""))

    def stop(self) -> None:
        self._stop.set()
        self._acceptor.join(timeout=STOP_TIMEOUT)
        self._sock.close()
        with self._lock:
            conns, threads = list(self._conns), list(self._threads)
        for c in conns:
            with contextlib.suppress(OSError):
                c.close()
        for t in threads:
            t.join(timeout=STOP_TIMEOUT)
        self._note("stopped")


@contextlib.contextmanager
def _py_peer(name, handler, port: int = 0) -> Iterator[PyPeer]:
    peer = PyPeer(name, handler, port)
    try:
        yield peer
    finally:
        peer.stop()


def silent_server() -> contextlib.AbstractContextManager[PyPeer]:
    """Accepts connections and never sends a byte (handshake timeout tests)."""
    def handler(peer, conn):
        peer.stall()
    return _py_peer("silent server", handler)


GARBAGE_PREFIX = (b"HTTP/1.1 400 Bad Request\r\nServer: nsstls-test\r\n"
                  b"Content-Type: text/plain\r\nConnection: close\r\n\r\n")


def garbage_server(size: int = 1024) -> contextlib.AbstractContextManager[PyPeer]:
    """Reads the ClientHello, answers with `size` bytes that are not TLS (an
    HTTP 400 response, then fixed pseudo-random bytes), closes.  Models a
    plain-text server on a TLS port."""
    payload = GARBAGE_PREFIX + random.Random(1).randbytes(max(0, size - len(GARBAGE_PREFIX)))

    def handler(peer, conn):
        peer.read_record(conn)
        peer.send(conn, payload[:size])
        peer.close(conn)
    return _py_peer("garbage server", handler)


def closing_server(reset: bool = False) -> contextlib.AbstractContextManager[PyPeer]:
    """Reads the ClientHello and closes the connection (FIN, or RST with
    reset=True): the server goes away mid-handshake."""
    def handler(peer, conn):
        peer.read_record(conn)
        peer.close(conn, reset=reset)
    return _py_peer("closing server", handler)


HALF_HELLO = b"\x16\x03\x03\x00\x50" + bytes(range(0x02, 0x0c))


def half_hello_server() -> contextlib.AbstractContextManager[PyPeer]:
    """Reads the ClientHello, sends a handshake record header announcing 80
    bytes plus only 10 of them, then stalls until the test ends: the
    handshake timeout must fire while a record is half read."""
    def handler(peer, conn):
        peer.read_record(conn)
        peer.send(conn, HALF_HELLO)
        peer.stall()
    return _py_peer("half-hello server", handler)


def tls_echo_server(chain: str = "server-rsa-chain.pem",
                    key: str = "server-rsa.key") -> contextlib.AbstractContextManager[PyPeer]:
    """A Python ssl server that sends back every byte it receives, unchanged
    (gnutls-serv --echo rewrites line ends), until the client closes; then
    it sends close_notify and closes.  .received holds what it got."""
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(fixture(chain), fixture(key))

    def handler(peer, conn):
        conn.settimeout(10)
        with ctx.wrap_socket(conn, server_side=True) as tls:
            peer._note(f"handshake done: {tls.version()}")
            while True:
                data = tls.recv(65536)
                if not data:
                    break
                with peer._lock:
                    peer.received.append(data)
                peer._note(f"echo {len(data)} bytes")
                tls.sendall(data)
            peer._note("client closed")
            with contextlib.suppress(OSError):
                tls.unwrap()
    return _py_peer("python TLS echo server", handler)


# Sockets that keep "closed" ports reserved for the life of the process.
_reserved_ports: list[socket.socket] = []


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: connecting is refused.

    The port stays bound (without listen) by this process, so no other server
    can take it while the tests run; connects get RST -> ECONNREFUSED.
    """
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((LOOPBACK, 0))
    _reserved_ports.append(s)
    return s.getsockname()[1]


def release_closed_ports() -> None:
    while _reserved_ports:
        _reserved_ports.pop().close()


# --------------------------------------------------------------------------
# Helpers for the integration tests: bounded runs and reading the report

ROOTS = fixture("roots.pem")   # the trust anchors the client is given
# Every integration run is bounded: handshake/read and connect timeouts.
BOUNDED = ("--timeout", "2", "--connect-timeout", "2")


def run_nsstls_stdin_open(*args, timeout: float = 30,
                          env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """Like run_nsstls, but stdin is a pipe that stays open (no EOF) until
    nsstls exits; nsstls is killed after `timeout` and TimeoutExpired raised."""
    full_env = without_proxy_env(os.environ)
    for k, v in (env or {}).items():
        if v is None:
            full_env.pop(k, None)
        else:
            full_env[k] = str(v)
    argv = nsstls_command() + [str(a) for a in args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=out,
                                stderr=err, env=full_env)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        finally:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        out.seek(0)
        err.seek(0)
        raw_out, raw_err = out.read(), err.read()
    done = subprocess.CompletedProcess(
        argv, proc.returncode, raw_out.decode("utf-8", errors="replace"),
        raw_err.decode("utf-8", errors="replace"))
    done.stdout_bytes = raw_out
    done.stderr_bytes = raw_err
    return done


def wait_for_log(srv: Server, needle: str, timeout: float = 5.0) -> str:
    """Poll srv.log() until it contains needle; returns the log.  Raises
    TimeoutError (with the log) after timeout."""
    try:
        _poll(lambda: needle in srv.log(), timeout, f"{needle!r} in the {srv.name} log")
    except TimeoutError as e:
        raise TimeoutError(f"{e}; log:\n{srv.log()}") from None
    return srv.log()


# --------------------------------------------------------------------------
# Chain diagnosis and revocation: certificates made at test time, an HTTP file server (AIA
# caIssuers), an OCSP responder, and NSS databases holding a client key.
# (Imports kept here, with the code that needs them.)

import datetime as _dt
import http.server as _http_server
import secrets as _secrets
from typing import NamedTuple as _NamedTuple

# Intermediates sent after a leaf signed by each CA fixture (roots: none).
CA_CHAINS = {
    "root-rsa": (), "root-ec": (), "unknown-root": (),
    "int-rsa": ("int-rsa",), "int-ec": ("int-ec",), "unknown-int": ("unknown-int",),
    "int-pathlen0": ("int-pathlen0",), "sub-int": ("sub-int", "int-pathlen0"),
    "notca-int": ("notca-int",),
}

# s_server args that let it load weak-rsa, sha1 and md5 (the default security
# level 2 refuses them: "error setting certificate"); fine for TLS 1.3 too.
SECLEVEL0 = ("-cipher", "DEFAULT:@SECLEVEL=0")

# make_leaf key names -> openssl genpkey arguments.
LEAF_KEYS = {
    "rsa2048": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "rsa1024": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
    "rsa3072": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
    "ec256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "ec384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "ec521": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
    "ec224": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-224"],
}


class Leaf(_NamedTuple):
    """What make_leaf returns: unpacks as (cert, key, chain)."""
    cert: str       # the certificate alone, PEM
    key: str        # its private key, PKCS#8 PEM, unencrypted
    chain: str      # leaf + intermediates, the order a server sends

    @property
    def serial(self) -> int:
        return cert_serial(self.cert)


def _openssl_out(*args: str, what: str = "openssl") -> str:
    return _run_tool([_require("openssl"), *args], what)


def cert_serial(cert: str) -> int:
    """Serial number of a PEM certificate (fixture name or path)."""
    out = _openssl_out("x509", "-in", fixture(cert), "-noout", "-serial")
    return int(out.strip().split("=", 1)[1], 16)


def _utc(t: _dt.datetime) -> _dt.datetime:
    return t.replace(tzinfo=_dt.timezone.utc) if t.tzinfo is None else t.astimezone(_dt.timezone.utc)


def _ca_time(t: _dt.datetime) -> str:
    return _utc(t).strftime("%Y%m%d%H%M%SZ")


def _ca_files(issuer: str) -> tuple[str, str]:
    """(cert, key) of a CA given as a fixture name ("int-rsa") or a path
    without extension."""
    return fixture(f"{issuer}.crt"), fixture(f"{issuer}.key")


def _is_self_signed(cert: str) -> bool:
    out = _openssl_out("x509", "-in", cert, "-noout", "-subject", "-issuer",
                       "-nameopt", "RFC2253")
    subj = re.search(r"^subject=(.*)$", out, re.M).group(1)
    iss = re.search(r"^issuer=(.*)$", out, re.M).group(1)
    return subj == iss


def make_leaf(tmpdir, cn: str = "localhost", issuer: str = "int-rsa", days: float = 90,
              not_before=None, extensions: str = "", key: str = "rsa2048",
              sans: Sequence[str] = ("DNS:localhost", "IP:127.0.0.1"), *,
              serial: Optional[int] = None, md: str = "sha256",
              name: Optional[str] = None) -> Leaf:
    """Make a certificate now (openssl CLI), signed by a committed CA key.

    tmpdir      where the files go (created if needed)
    cn          subject is O=nsstls tests, CN=<cn> (no CN if cn is empty)
    issuer      CA fixture that signs: int-rsa (default), int-ec, unknown-int,
                sub-int, int-pathlen0, notca-int, a root; or "self" for a
                self-signed leaf; or the path of a CA without .crt/.key
    days        validity length: notAfter = notBefore + days (float allowed)
    not_before  None: now minus 5 minutes (valid at once, so days=10 expires
                in just under 10 days); a datetime (naive = UTC); or a number
                of seconds relative to now (negative = in the past)
    extensions  extra openssl x509v3 config lines for the extension section,
                e.g. "authorityInfoAccess = caIssuers;URI:http://127.0.0.1:PORT/int.der".
                A line "NAME = VALUE" replaces the default NAME; "NAME ="
                (empty value) removes it.  Lines from the first "[section]"
                header on are appended to the config as they are (for @refs).
                Defaults: basicConstraints critical CA:FALSE; keyUsage critical
                digitalSignature(+keyEncipherment for RSA); extendedKeyUsage
                serverAuth; subjectAltName from sans; SKI; AKI.
    key         rsa2048 (default), ec256, or rsa1024/rsa3072/ec224/ec384/ec521
    sans        subjectAltName entries; empty: no SAN extension
    serial      the serial number (default: random 63-bit)
    md          signature digest (sha256; sha1, md5, sha384 ...)
    name        file stem (default leaf-<serial hex>)

    Returns Leaf(cert, key, chain) (a 3-tuple; .serial reads the serial):
    <name>.crt, <name>.key (PKCS#8 PEM) and <name>-chain.pem (leaf + the
    issuer's intermediates, see CA_CHAINS; the leaf alone under a root or
    when self-signed).
    """
    openssl = _require("openssl")
    if key not in LEAF_KEYS:
        raise ValueError(f"make_leaf: key must be one of {sorted(LEAF_KEYS)}, not {key!r}")
    tmpdir = Path(tmpdir)
    tmpdir.mkdir(parents=True, exist_ok=True)
    if serial is None:
        serial = _secrets.randbits(62) | (1 << 62)
    name = name or f"leaf-{serial:x}"
    cert_path, key_path = tmpdir / f"{name}.crt", tmpdir / f"{name}.key"
    chain_path = tmpdir / f"{name}-chain.pem"

    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    if not_before is None:
        start = now - _dt.timedelta(minutes=5)
    elif isinstance(not_before, _dt.datetime):
        start = _utc(not_before)
    else:
        start = now + _dt.timedelta(seconds=float(not_before))
    end = start + _dt.timedelta(days=days)

    ext = {
        "basicConstraints": "critical, CA:FALSE",
        "keyUsage": "critical, digitalSignature"
                    + (", keyEncipherment" if key.startswith("rsa") else ""),
        "extendedKeyUsage": "serverAuth",
        "subjectAltName": ", ".join(sans),
        "subjectKeyIdentifier": "hash",
        "authorityKeyIdentifier": "keyid:always",
    }
    if not sans:
        del ext["subjectAltName"]
    if issuer == "self":
        ext["authorityKeyIdentifier"] = "none"
    extra_sections: list[str] = []
    for line in extensions.splitlines():
        if extra_sections or line.strip().startswith("["):
            extra_sections.append(line)
            continue
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        k, sep, v = line.partition("=")
        if not sep:
            raise ValueError(f"make_leaf: extension line without '=': {line!r}")
        k, v = k.strip(), v.strip()
        if v:
            ext[k] = v
        elif k in ("subjectKeyIdentifier", "authorityKeyIdentifier"):
            ext[k] = "none"         # openssl 3 adds these unless told "none"
        else:
            ext.pop(k, None)

    work = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=tmpdir))
    try:
        (work / "index.txt").write_text("")
        (work / "serial").write_text(f"{serial:X}".rjust(2 * ((len(f'{serial:X}') + 1) // 2), "0") + "\n")
        (work / "new").mkdir()
        cnf = [
            "[ ca ]", "default_ca = leafca", "",
            "[ leafca ]", f"dir = {work}", "database = $dir/index.txt",
            "serial = $dir/serial", "new_certs_dir = $dir/new",
            f"default_md = {md}", "policy = policy_any", "preserve = yes",
            "unique_subject = no", "email_in_dn = no", "copy_extensions = none", "",
            "[ policy_any ]", "organizationName = optional",
            "organizationalUnitName = optional", "commonName = optional", "",
            "[ req ]", "distinguished_name = req_dn", "prompt = no",
            "[ req_dn ]", "",
            "[ ext_leaf ]", *(f"{k} = {v}" for k, v in ext.items()), "",
            *extra_sections, "",
        ]
        (work / "ca.cnf").write_text("\n".join(cnf))
        _run_tool([openssl, "genpkey", *LEAF_KEYS[key], "-out", str(key_path)],
                  "openssl genpkey")
        subj = "/O=nsstls tests" + (f"/CN={cn}" if cn else "")
        _run_tool([openssl, "req", "-new", "-config", str(work / "ca.cnf"),
                   "-key", str(key_path), "-subj", subj, "-out", str(work / "leaf.csr")],
                  "openssl req")
        if issuer == "self":
            signer = ["-selfsign", "-keyfile", str(key_path)]
            inters: Sequence[str] = ()
        else:
            ca_cert, ca_key = _ca_files(issuer)
            signer = ["-cert", ca_cert, "-keyfile", ca_key]
            if issuer in CA_CHAINS:
                inters = [fixture(f"{n}.crt") for n in CA_CHAINS[issuer]]
            else:
                inters = () if _is_self_signed(ca_cert) else [ca_cert]
        _run_tool([openssl, "ca", "-batch", "-notext", "-config", str(work / "ca.cnf"),
                   *signer, "-md", md, "-extensions", "ext_leaf",
                   "-startdate", _ca_time(start), "-enddate", _ca_time(end),
                   "-in", str(work / "leaf.csr"), "-out", str(cert_path)],
                  "openssl ca")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    chain_path.write_text("".join(Path(p).read_text() for p in [cert_path, *inters]))
    return Leaf(str(cert_path), str(key_path), str(chain_path))


# --------------------------------------------------------------------------
# A tiny HTTP/1.0 file server (AIA caIssuers fetches, CRL downloads)

class HTTPRequest(_NamedTuple):
    method: str
    path: str           # as sent, with any query string
    headers: dict
    body: bytes


_CONTENT_TYPES = {".crt": "application/pkix-cert", ".cer": "application/pkix-cert",
                  ".der": "application/pkix-cert", ".p7c": "application/pkcs7-mime",
                  ".crl": "application/pkix-crl", ".pem": "application/x-pem-file"}


class HTTPFileServer(Server):
    """What http_server yields.

    url        "http://127.0.0.1:PORT" (no trailing slash); url_for("/x.der")
    files      the dict given to http_server (path -> content); the test may
               add entries after start (e.g. once it knows the port)
    requests   HTTPRequest(method, path, headers, body) per request, in order
    paths()    the paths requested, in order
    log()      a line per event
    """

    def __init__(self, files: dict):
        super().__init__("http server")
        self.files = files
        self.requests: list[HTTPRequest] = []
        self._t0 = time.monotonic()
        self._lock = threading.Lock()
        self._events: list[str] = []
        peer = self

        class Handler(_http_server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"
            server_version = "nsstls-test-http"
            sys_version = ""

            def _answer(self, send_body: bool):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with peer._lock:
                    peer.requests.append(HTTPRequest(self.command, self.path,
                                                     dict(self.headers.items()), body))
                status, ctype, data = peer._lookup(self.path)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if send_body:
                    self.wfile.write(data)

            def do_GET(self):
                self._answer(True)

            def do_POST(self):
                self._answer(True)

            def do_HEAD(self):
                self._answer(False)

            def log_message(self, fmt, *args):
                peer._note(f"{self.client_address[0]}:{self.client_address[1]} {fmt % args}")

        self._httpd = _http_server.ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        daemon=True, name="http-server")
        self._thread.start()
        self._note(f"listening on {self.address}")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url_for(self, path: str) -> str:
        return self.url + (path if path.startswith("/") else "/" + path)

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def _lookup(self, path: str) -> tuple[int, str, bytes]:
        candidates = [path, path.split("?", 1)[0]]
        for p in candidates:
            for key in (p, p.lstrip("/")):
                if key in self.files:
                    value = self.files[key]
                    if isinstance(value, int):
                        return value, "text/plain", b""
                    if isinstance(value, tuple):
                        return 200, value[0], bytes(value[1])
                    if isinstance(value, str):
                        value = value.encode()
                    ctype = _CONTENT_TYPES.get(os.path.splitext(p)[1],
                                               "application/octet-stream")
                    return 200, ctype, bytes(value)
        return 404, "text/plain", b"not found\n"

    def _note(self, what: str) -> None:
        with self._lock:
            self._events.append(f"+{time.monotonic() - self._t0:.3f}s {what}")

    def log(self) -> str:
        with self._lock:
            return "\n".join(self._events) + "\n"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=STOP_TIMEOUT)
        self._note("stopped")


@contextlib.contextmanager
def http_server(files: Optional[dict] = None) -> Iterator[HTTPFileServer]:
    """A threaded HTTP/1.0 server on 127.0.0.1 (kernel-chosen port) serving
    `files`: {"/int-rsa.der": bytes, ...}.  Keys may omit the leading "/".
    A value is bytes (or str), sent as 200 with a Content-Type from the
    extension (.crt/.cer/.der application/pkix-cert, .p7c application/pkcs7-mime,
    .crl application/pkix-crl); a (content_type, bytes) tuple; or an int
    status code (empty body).  Anything else gets 404.  GET, HEAD and POST are
    answered; every request is recorded in .requests.  The dict is used live:
    entries added after start are served.
    """
    srv = HTTPFileServer(files if files is not None else {})
    try:
        yield srv
    finally:
        srv.stop()


def der_of(cert: str) -> bytes:
    """DER bytes of a PEM certificate (fixture name or path), e.g. to serve
    int-rsa as AIA caIssuers: http_server({"/int-rsa.der": der_of("int-rsa.crt")})."""
    r = subprocess.run([_require("openssl"), "x509", "-in", fixture(cert), "-outform", "DER"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=True)
    return r.stdout


# --------------------------------------------------------------------------
# openssl ocsp as an HTTP responder

def _index_time(t: _dt.datetime) -> str:
    return _utc(t).strftime("%y%m%d%H%M%SZ")


def write_ocsp_index(path, good: Sequence = (), revoked: Sequence = (),
                     base: Optional[str] = None, reason: str = "keyCompromise",
                     revoked_at: Optional[_dt.datetime] = None) -> str:
    """Write an openssl CA database (index.txt) for ocsp_responder.

    good / revoked: certificates (fixture names or paths) or int serials.
    base: an index whose lines come first (e.g. "int-rsa-index.txt", the
    committed database of int-rsa).  Serials not listed get "unknown".  Also
    writes PATH.attr with unique_subject = no (test leaves share subjects).
    Returns str(path).
    """
    lines = []
    if base is not None:
        lines += [l for l in Path(fixture(base)).read_text().splitlines() if l.strip()]
    rev_at = _index_time(revoked_at or _dt.datetime(2024, 6, 1))

    def entry(item):
        if isinstance(item, int):
            return f"{item:X}".rjust(2 * ((len(f'{item:X}') + 1) // 2), "0"), \
                "491231235959Z", f"/O=nsstls tests/CN=serial {item:X}"
        out = _openssl_out("x509", "-in", fixture(item), "-noout", "-serial", "-enddate",
                           "-subject", "-nameopt", "compat", "-dateopt", "iso_8601")
        serial = re.search(r"^serial=(\S+)", out, re.M).group(1)
        end = re.search(r"^notAfter=(.*)$", out, re.M).group(1).strip()
        end_dt = _dt.datetime.strptime(end, "%Y-%m-%d %H:%M:%SZ")
        subj = re.search(r"^subject=(.*)$", out, re.M).group(1)
        return serial, _index_time(end_dt), subj

    for item in good:
        serial, end, subj = entry(item)
        lines.append(f"V\t{end}\t\t{serial}\tunknown\t{subj}")
    for item in revoked:
        serial, end, subj = entry(item)
        lines.append(f"R\t{end}\t{rev_at},{reason}\t{serial}\tunknown\t{subj}")
    Path(path).write_text("".join(l + "\n" for l in lines))
    Path(f"{path}.attr").write_text("unique_subject = no\n")
    return str(path)


@contextlib.contextmanager
def ocsp_responder(index: str = "int-rsa-index.txt", rsigner: str = "ocsp-rsa.crt",
                   rkey: str = "ocsp-rsa.key", ca: str = "int-rsa.crt",
                   args: Sequence[str] = ()) -> Iterator[ProcessServer]:
    """`openssl ocsp` answering OCSP requests over HTTP (GET and POST).

    index: openssl CA database (default: the committed int-rsa-index.txt;
    see write_ocsp_index for test-time ones); rsigner/rkey: the certificate
    and key that sign responses (default: the delegated responder ocsp-rsa);
    ca: the issuer(s) whose certificates it answers for (CertIDs of other
    issuers get "unknown").  args go to openssl ocsp as they are; the default
    nextUpdate is -ndays 1 unless args has -ndays or -nmin.

    openssl ocsp -port 0 binds [::]:<kernel port> (dual stack) and prints
    "ACCEPT [::]:PORT"; the port is read from that line.  -ignore_err keeps
    it alive after a malformed request (openssl 3.0 exits otherwise).  The
    index is read at start: write it completely first (openssl notices a
    changed index only before the request after the next one).  Requests are
    logged as "ocsp: Received request, 1st line: ..." (see .request_lines()).

    Yields a ProcessServer with .url ("http://127.0.0.1:PORT/") and .index.
    """
    openssl = _require("openssl")
    index = fixture(index)
    with _process_server("openssl ocsp") as srv:
        argv = [openssl, "ocsp", "-index", index, "-port", "0",
                "-rsigner", fixture(rsigner), "-rkey", fixture(rkey), "-CA", fixture(ca),
                "-ignore_err"]
        if "-ndays" not in args and "-nmin" not in args:
            argv += ["-ndays", "1"]
        argv += list(args)
        srv.start(argv)

        def ready():
            log = srv.log()
            m = re.search(r"^ACCEPT .*:(\d+)", log, re.M)
            if m and "waiting for OCSP client connections" in log:
                return int(m.group(1))
            if srv.exited():
                raise srv.startup_error("exited before listening")
            return None
        try:
            srv.port = _poll(ready, START_TIMEOUT, "openssl ocsp to listen")
        except TimeoutError as e:
            raise srv.startup_error(str(e)) from None
        srv.index = index
        srv.url = f"http://{LOOPBACK}:{srv.port}/"
        srv.request_lines = lambda: re.findall(r"Received request, 1st line: (.*)$",
                                               srv.log(), re.M)
        yield srv


# --------------------------------------------------------------------------
# NSS databases holding a client certificate

def nss_client_db(tmpdir, p12: str = "client-rsa.p12", password: Optional[str] = None,
                  *, nickname: str = "client", trust_roots: Sequence[str] = ()) -> str:
    """Make an NSS sql: database in a new directory under tmpdir holding the
    certificate and key of the PKCS#12 fixture `p12` (password P12_PASSWORD)
    under `nickname` ("client"; the key's label too), plus the intermediates
    of the PKCS#12.  With `password` the database is protected by it
    (otherwise it has an empty password).  trust_roots: CA files added as
    trusted for SSL ("CT,C,C").  Returns the directory (for --db DIR,
    tstclnt -d sql:DIR -n client [-w PASSWORD]).
    """
    openssl = _require("openssl")
    certutil, pk12util = _require("certutil"), _require("pk12util")
    Path(tmpdir).mkdir(parents=True, exist_ok=True)
    dbdir = tempfile.mkdtemp(prefix="nssdb-", dir=tmpdir)
    work = tempfile.mkdtemp(prefix="p12-", dir=tmpdir)
    try:
        # Re-export under the wanted friendly name: pk12util takes the
        # nickname (and the key label) from it.
        pem = os.path.join(work, "all.pem")
        _run_tool([openssl, "pkcs12", "-in", fixture(p12), "-passin", f"pass:{P12_PASSWORD}",
                   "-nodes", "-out", pem], "openssl pkcs12 -in")
        renamed = os.path.join(work, "renamed.p12")
        _run_tool([openssl, "pkcs12", "-export", "-in", pem, "-name", nickname,
                   "-passout", f"pass:{P12_PASSWORD}", "-out", renamed],
                  "openssl pkcs12 -export")
        pwfile = os.path.join(work, "pw")
        Path(pwfile).write_text((password or "") + "\n")
        if password:
            _run_tool([certutil, "-N", "-d", f"sql:{dbdir}", "-f", pwfile], "certutil -N")
            keyarg = ["-k", pwfile]
            dbpw = ["-f", pwfile]
        else:
            _run_tool([certutil, "-N", "-d", f"sql:{dbdir}", "--empty-password"],
                      "certutil -N")
            keyarg = ["-K", ""]
            dbpw = []
        _run_tool([pk12util, "-i", renamed, "-d", f"sql:{dbdir}", "-W", P12_PASSWORD,
                   *keyarg], "pk12util -i")
        for i, root in enumerate(trust_roots):
            _run_tool([certutil, "-A", "-d", f"sql:{dbdir}", *dbpw, "-n",
                       Path(root).stem or f"root{i}", "-t", "CT,C,C",
                       "-a", "-i", fixture(root)], "certutil -A")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dbdir


# --------------------------------------------------------------------------
# Scripting and monitoring: JSON reports, --check, many targets.  The schema is
# schema/nsstls-report.schema.json; every test that reads a JSON document
# validates it with validate_json.

import json as _json

SCHEMA_PATH = REPO_DIR / "schema" / "nsstls-report.schema.json"
_validator = None


def report_schema() -> dict:
    """The JSON Schema of the nsstls report (loaded once)."""
    return _json.loads(SCHEMA_PATH.read_text())


def validate_json(doc) -> dict:
    """Validate one parsed nsstls JSON document against the schema file
    (jsonschema.validate semantics: raises jsonschema.ValidationError with
    the path of the first problem).  Returns doc, for chaining."""
    global _validator
    try:
        import jsonschema
    except ImportError:
        pytest.skip("no python3-jsonschema")
    if _validator is None:
        schema = report_schema()
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _validator = cls(schema)
    _validator.validate(doc)
    return doc


def json_documents(raw: bytes) -> list[dict]:
    """Parse nsstls --json output: JSON Lines (compact, one document a
    line), or a single pretty document.  Decodes strictly as UTF-8 (a
    UnicodeDecodeError is a failure: certificate strings must be made valid
    UTF-8 before they go in) and validates every document."""
    text = raw.decode("utf-8", errors="strict")
    assert text.endswith("\n"), f"JSON output does not end with a newline: {text[-80:]!r}"
    if text.startswith("{\n"):             # --json=pretty: one document
        return [validate_json(_json.loads(text))]
    docs = []
    for n, line in enumerate(text.splitlines(), 1):
        assert line.strip(), f"empty line {n} in JSON Lines output"
        docs.append(validate_json(_json.loads(line)))
    return docs


def json_document(r: subprocess.CompletedProcess) -> dict:
    """The one JSON document on r's stdout (validated)."""
    docs = json_documents(r.stdout_bytes)
    assert len(docs) == 1, f"expected one JSON document, got {len(docs)}:\n{r.stdout}"
    return docs[0]


def openssl_sha256(cert: str) -> str:
    """SHA-256 fingerprint of a PEM certificate as `openssl x509
    -fingerprint -sha256` prints it, made lowercase hex without colons."""
    out = _run_tool([_require("openssl"), "x509", "-in", fixture(cert), "-noout",
                     "-fingerprint", "-sha256"], "openssl x509 -fingerprint")
    value = out.strip().split("=", 1)[1]
    return value.replace(":", "").lower()


class Sampled(_NamedTuple):
    """What run_nsstls_sampled returns."""
    returncode: int
    stdout: str
    stderr: str
    stdout_bytes: bytes
    max_sockets: int        # most socket fds open at once
    max_fds: int            # most fds of any kind open at once
    max_threads: int        # most threads at once (/proc/PID/status Threads)
    samples: int


def _count_fds(pid: int) -> tuple[int, int]:
    sockets = total = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        total += 1
        if target.startswith("socket:"):
            sockets += 1
    return sockets, total


def _count_threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        m = re.search(r"^Threads:\s+(\d+)$", f.read(), re.M)
    return int(m.group(1)) if m else 0


def run_nsstls_sampled(*args, input: bytes | str = b"", timeout: float = 60,
                       interval: float = 0.02) -> Sampled:
    """Run nsstls (no wrapper: /proc must show nsstls itself) and sample
    /proc/PID/fd and /proc/PID/status every `interval` seconds while it
    runs.  stdin gets `input`; stdout/stderr go to temporary files."""
    if isinstance(input, str):
        input = input.encode()
    argv = [str(nsstls_path())] + [str(a) for a in args]
    max_sockets = max_fds = max_threads = samples = 0
    with tempfile.TemporaryFile() as inp, tempfile.TemporaryFile() as out, \
            tempfile.TemporaryFile() as err:
        inp.write(input)
        inp.seek(0)
        proc = subprocess.Popen(argv, stdin=inp, stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        try:
            while proc.poll() is None:
                try:
                    s, t = _count_fds(proc.pid)
                    th = _count_threads(proc.pid)
                except OSError:         # exited between poll() and now
                    break
                if proc.poll() is not None:     # a zombie's /proc is empty
                    break
                max_sockets, max_fds = max(max_sockets, s), max(max_fds, t)
                max_threads = max(max_threads, th)
                samples += 1
                if time.monotonic() > deadline:
                    raise subprocess.TimeoutExpired(argv, timeout)
                time.sleep(interval)
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        out.seek(0)
        err.seek(0)
        raw_out, raw_err = out.read(), err.read()
    return Sampled(proc.returncode, raw_out.decode("utf-8", errors="replace"),
                   raw_err.decode("utf-8", errors="replace"), raw_out,
                   max_sockets, max_fds, max_threads, samples)


# --------------------------------------------------------------------------
# Findings, revocation and --print-cert: small helpers for their tests.

import base64 as _base64
import struct as _struct


def pem_bundle(path, *certs) -> str:
    """Write the PEM files `certs` (fixture names or paths), in order, to
    path (e.g. a chain file in an odd order for s_server); returns it."""
    Path(path).write_text("".join(Path(fixture(c)).read_text() for c in certs))
    return str(path)


def report_doc(r: subprocess.CompletedProcess) -> dict:
    """The --json document on r's stdout, parsed only (no schema check)."""
    return _json.loads(r.stdout)


def finding_ids(doc: dict) -> list[str]:
    """The ids of a JSON report's findings, in order."""
    return [f["id"] for f in doc["findings"]]


def findings_with(doc: dict, fid: str) -> list[dict]:
    """The findings of a JSON report that have id fid."""
    return [f for f in doc["findings"] if f["id"] == fid]


def sct_entry(log_id: bytes, timestamp_ms: int, signature: bytes = b"\x30\x06\x02\x01\x01\x02\x01\x01",
              *, version: int = 0, hash_alg: int = 4, sig_alg: int = 3,
              extensions: bytes = b"") -> bytes:
    """One SerializedSCT (RFC 6962 3.3), with its u16 length prefix:
    version, 32-byte log id, u64 ms timestamp, extensions<u16>, hash and
    signature algorithm bytes, signature<u16>.  The signature is synthetic."""
    assert len(log_id) == 32
    body = (bytes([version]) + log_id + _struct.pack(">Q", timestamp_ms)
            + _struct.pack(">H", len(extensions)) + extensions
            + bytes([hash_alg, sig_alg]) + _struct.pack(">H", len(signature)) + signature)
    return _struct.pack(">H", len(body)) + body


def sct_list(*entries: bytes) -> bytes:
    """A SignedCertificateTimestampList: u16 length + the sct_entry()s."""
    data = b"".join(entries)
    return _struct.pack(">H", len(data)) + data


def sct_serverinfo(path, scts: bytes) -> str:
    """Write an `openssl s_server -serverinfo` PEM file that sends the SCT
    list `scts` in the signed_certificate_timestamp extension (type 18;
    a SERVERINFO FOR block is TLS 1.2 ServerHello only); returns path."""
    ext = _struct.pack(">HH", 18, len(scts)) + scts
    b64 = _base64.encodebytes(ext).decode()
    Path(path).write_text("-----BEGIN SERVERINFO FOR signed_certificate_timestamp-----\n"
                          + b64 + "-----END SERVERINFO FOR signed_certificate_timestamp-----\n")
    return str(path)


def der_octet_string(data: bytes) -> bytes:
    """DER OCTET STRING holding data (for an embedded SCT extension:
    `1.3.6.1.4.1.11129.2.4.2 = DER:<hex>`)."""
    n = len(data)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82, n >> 8, n & 0xFF])
    return b"\x04" + length + data


def pem_subjects(path) -> list[str]:
    """Subjects (openssl RFC 2253 form) of every certificate in a PEM file,
    in order; each block is parsed by openssl (a bad one raises)."""
    subjects = []
    for block in _pem_blocks(fixture(path)):
        r = subprocess.run([_require("openssl"), "x509", "-noout", "-subject",
                            "-nameopt", "RFC2253"], input=block.encode(),
                           capture_output=True, timeout=30, check=True)
        subjects.append(r.stdout.decode().strip().split("=", 1)[1])
    return subjects
