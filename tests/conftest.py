"""pytest fixtures for nsstls tests; the machinery lives in peers.py.

Server fixtures for real TLS servers are factories (call them with the
certificate to serve, as often as the test needs); every server a test starts
is stopped and reaped when the test ends, and its log is attached to the
report of a failing test.  The hostile peers take no parameters and are
started directly.

    def test_ok(nsstls, openssl_server):
        srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                             args=["-tls1_3", "-www"])
        r = nsstls("--ca-file", peers.fixture("roots.pem"), f"localhost:{srv.port}")
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

import peers


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the logs of the test's servers to the report when it fails."""
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for srv in getattr(item, "_nsstls_servers", []):
            rep.sections.append((f"{srv.name} {srv.address} log", srv.log()))


@pytest.fixture
def _server_stack(request):
    """ExitStack that owns every server the test starts."""
    request.node._nsstls_servers = []
    with contextlib.ExitStack() as stack:
        def enter(cm):
            srv = stack.enter_context(cm)
            request.node._nsstls_servers.append(srv)
            return srv
        yield enter


@pytest.fixture
def fixtures_dir() -> Path:
    """tests/fixtures/ (certificates, keys, PKCS#12; see its README.md)."""
    return peers.FIXTURES_DIR


@pytest.fixture
def nsstls():
    """peers.run_nsstls, after checking that the binary exists ($NSSTLS or
    build/src/nsstls); usage: nsstls(*args, input=b"", timeout=30, env=None)."""
    path = peers.nsstls_path()
    if not path.is_file():
        pytest.fail(f"nsstls binary not found at {path}: build it, or set NSSTLS")
    return peers.run_nsstls


@pytest.fixture
def openssl_server(_server_stack):
    """Factory: openssl_server(cert, key, chain=None, args=()) -> started server."""
    return lambda *a, **kw: _server_stack(peers.openssl_server(*a, **kw))


@pytest.fixture
def gnutls_server(_server_stack):
    """Factory: gnutls_server(cert, key, args=()) -> started server."""
    return lambda *a, **kw: _server_stack(peers.gnutls_server(*a, **kw))


@pytest.fixture
def selfserv_server(_server_stack):
    """Factory: selfserv_server(p12name, args=(), trust_roots=()) -> started server."""
    return lambda *a, **kw: _server_stack(peers.selfserv_server(*a, **kw))


@pytest.fixture
def silent_server(_server_stack):
    """Accepts and never sends."""
    return _server_stack(peers.silent_server())


@pytest.fixture
def garbage_server(_server_stack):
    """Reads the ClientHello, sends ~1 KiB of non-TLS bytes, closes."""
    return _server_stack(peers.garbage_server())


@pytest.fixture
def closing_server(_server_stack):
    """Reads the ClientHello, closes (FIN)."""
    return _server_stack(peers.closing_server())


@pytest.fixture
def half_hello_server(_server_stack):
    """Reads the ClientHello, sends half a TLS record, stalls."""
    return _server_stack(peers.half_hello_server())


@pytest.fixture
def closed_port():
    """A port on 127.0.0.1 where connections are refused."""
    yield peers.closed_port()
    peers.release_closed_ports()


# ---- issue 3: test-time certificates, HTTP/OCSP servers, client databases --

@pytest.fixture
def make_leaf(tmp_path):
    """Factory: make_leaf(cn="localhost", issuer="int-rsa", days=90,
    not_before=None, extensions="", key="rsa2048", sans=(...), serial=None,
    md="sha256", name=None) -> peers.Leaf(cert, key, chain), files in tmp_path
    (see peers.make_leaf)."""
    return lambda *a, **kw: peers.make_leaf(tmp_path, *a, **kw)


@pytest.fixture
def http_server(_server_stack):
    """Factory: http_server(files={"/int-rsa.der": bytes, ...}) -> started
    peers.HTTPFileServer (.url, .url_for(path), .requests, .paths())."""
    return lambda files=None: _server_stack(peers.http_server(files))


@pytest.fixture
def ocsp_responder(_server_stack):
    """Factory: ocsp_responder(index="int-rsa-index.txt", rsigner="ocsp-rsa.crt",
    rkey="ocsp-rsa.key", ca="int-rsa.crt", args=()) -> started openssl ocsp
    (.url, .port, .request_lines()); see peers.write_ocsp_index."""
    return lambda *a, **kw: _server_stack(peers.ocsp_responder(*a, **kw))


@pytest.fixture
def nss_client_db(tmp_path):
    """Factory: nss_client_db(p12="client-rsa.p12", password=None,
    nickname="client", trust_roots=()) -> directory of an NSS database in
    tmp_path holding the client certificate and key under "client"."""
    return lambda *a, **kw: peers.nss_client_db(tmp_path, *a, **kw)
