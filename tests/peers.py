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


def run_nsstls(*args, input: bytes | str = b"", timeout: float = 30,
               env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """Run nsstls with args and wait for it.

    stdin is always a pipe fed with `input` (never the terminal).  `env` holds
    variables set on top of the inherited environment; a value of None removes
    the variable.  Returns a CompletedProcess whose stdout/stderr are str
    (undecodable bytes replaced); the raw bytes are in .stdout_bytes and
    .stderr_bytes.  subprocess.TimeoutExpired propagates after `timeout`.
    """
    full_env = dict(os.environ)
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

    def __init__(self, name: str, handler: Callable[["PyPeer", socket.socket], None]):
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
        self._sock.bind((LOOPBACK, 0))
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
def _py_peer(name, handler) -> Iterator[PyPeer]:
    peer = PyPeer(name, handler)
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
