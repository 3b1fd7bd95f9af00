"""--export-keying-material: the values nsstls prints are the ones the server
computes for the same connection.

Peers: openssl s_server -keymatexport (no context, TLS 1.2 and 1.3) and a
pyOpenSSL server for contexts, which s_server cannot give: RFC 5705 makes
"no context" and "empty context" differ in TLS 1.2, while TLS 1.3 (RFC 8446
§7.5) treats them alike.
"""

import contextlib
import re
import socket
import struct

import pytest

import peers
from peers import BOUNDED, ROOTS

LABEL = "EXPERIMENTAL-nsstls-test"


def keymat_from_log(srv):
    """The value s_server printed: 'Keying material: HEX'."""
    log = peers.wait_for_log(srv, "Keying material:")
    return re.search(r"Keying material: ([0-9A-F]+)", log).group(1).lower()


def printed(stderr):
    """[(label, length, context words, hex)] from the text report."""
    return re.findall(r'^Keying material "([^"]*)" \((\d+) bytes, ([^)]*)\): '
                      r"([0-9a-f]+)$", stderr, re.M)


@pytest.mark.parametrize("version,length", [("-tls1_3", 48), ("-tls1_2", 20)])
def test_matches_openssl(nsstls, openssl_server, version, length):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1", version, "-keymatexport", LABEL,
                               "-keymatexportlen", str(length)])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data",
               "--export-keying-material", f"{LABEL}:{length}", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    got = printed(r.stderr)
    assert len(got) == 1, r.stderr
    assert got[0][:3] == (LABEL, str(length), "no context")
    assert len(got[0][3]) == 2 * length
    assert got[0][3] == keymat_from_log(srv)


def test_s_client_spelling_default_20_bytes(nsstls, openssl_server):
    """-keymatexport LABEL alone: s_client's (and s_server's) 20 bytes."""
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1", "-keymatexport", LABEL])
    r = nsstls(*BOUNDED, "-CAfile", ROOTS, "--no-data", "-keymatexport", LABEL,
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    got = printed(r.stderr)
    assert [g[1] for g in got] == ["20"], r.stderr
    assert got[0][3] == keymat_from_log(srv)


def test_s_client_spelling_with_length(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1", "-keymatexport", LABEL,
                               "-keymatexportlen", "64"])
    r = nsstls(*BOUNDED, "-CAfile", ROOTS, "--no-data", "-keymatexport", LABEL,
               "-keymatexportlen", "64", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert printed(r.stderr)[0][3] == keymat_from_log(srv)


# ---- contexts, against pyOpenSSL -------------------------------------------

def pyopenssl_exporter_server(version, requests):
    """A pyOpenSSL server (server-rsa) that, after each handshake, computes
    export_keying_material(label, length, context) for each request (context
    None: no context) into .values: {request: bytes}."""
    SSL = pytest.importorskip("OpenSSL.SSL")
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.use_certificate_chain_file(peers.fixture("server-rsa-chain.pem"))
    ctx.use_privatekey_file(peers.fixture("server-rsa.key"))
    ctx.set_min_proto_version(version)
    ctx.set_max_proto_version(version)

    def handler(peer, conn):
        # A kernel timeout keeps a blocking handshake bounded.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 10, 0))
        tls = SSL.Connection(ctx, conn)
        tls.set_accept_state()
        try:
            tls.do_handshake()
            for req in requests:
                label, length, context = req
                peer.values[req] = tls.export_keying_material(
                    label.encode(), length,
                    None if context is None else context.encode())
            peer._note(f"handshake done: {tls.get_protocol_version_name()}")
            with contextlib.suppress(SSL.Error):
                tls.shutdown()
        except SSL.Error as e:
            peer._note(f"TLS error: {e}")
        conn.close()

    cm = peers._py_peer("pyOpenSSL exporter server", handler)

    @contextlib.contextmanager
    def started():
        with cm as peer:
            peer.values = {}
            yield peer
    return started()


def spec(label, length, context):
    return f"{label}:{length}" + ("" if context is None else f":{context}")


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_contexts_match_pyopenssl(nsstls, tls):
    SSL = pytest.importorskip("OpenSSL.SSL")
    version = SSL.TLS1_2_VERSION if tls == "1.2" else SSL.TLS1_3_VERSION
    requests = [(LABEL, 32, None), (LABEL, 32, "ctx"),
                ("EXPORTER-other", 16, "with:colons")]
    with pyopenssl_exporter_server(version, requests) as srv:
        r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", f"--tls{tls}",
                   *[a for req in requests for a in ("--export-keying-material", spec(*req))],
                   f"localhost:{srv.port}")
        assert r.returncode == 0, r.stderr
        peers.wait_for_log(srv, "handshake done")
        got = printed(r.stderr)
        assert [g[:3] for g in got] == [
            (LABEL, "32", "no context"), (LABEL, "32", 'context "ctx"'),
            ("EXPORTER-other", "16", 'context "with:colons"')]
        for req, g in zip(requests, got):
            assert g[3] == srv.values[req].hex(), (req, srv.log())
    assert got[0][3] != got[1][3]


def test_empty_context_tls13_is_no_context(nsstls):
    """RFC 8446 §7.5: in TLS 1.3 the empty context is no context; NSS takes
    no zero-length context, so nsstls asks for none, and the value is the
    one pyOpenSSL computes for the empty context."""
    SSL = pytest.importorskip("OpenSSL.SSL")
    requests = [(LABEL, 32, ""), (LABEL, 32, None)]
    with pyopenssl_exporter_server(SSL.TLS1_3_VERSION, requests) as srv:
        r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--tls1.3",
                   "--export-keying-material", f"{LABEL}:32:",
                   f"localhost:{srv.port}")
        assert r.returncode == 0, r.stderr
        peers.wait_for_log(srv, "handshake done")
        got = printed(r.stderr)
        assert [g[:3] for g in got] == [(LABEL, "32", "empty context")]
        assert got[0][3] == srv.values[requests[0]].hex() == srv.values[requests[1]].hex()


def test_empty_context_tls12_is_refused(nsstls):
    """RFC 5705 (TLS 1.2) gives the empty context a value of its own, which
    NSS 3.87 cannot compute: a clear failure, not a wrong value."""
    SSL = pytest.importorskip("OpenSSL.SSL")
    requests = [(LABEL, 32, ""), (LABEL, 32, None)]
    with pyopenssl_exporter_server(SSL.TLS1_2_VERSION, requests) as srv:
        r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--tls1.2",
                   "--export-keying-material", f"{LABEL}:32:",
                   f"localhost:{srv.port}")
        assert r.returncode == 5, r.stderr
        assert "with an empty context in TLSv1.2" in r.stderr
        assert printed(r.stderr) == []
        peers.wait_for_log(srv, "handshake done")
        # The server's two values differ: the refusal is needed.
        assert srv.values[requests[0]] != srv.values[requests[1]]


def test_json(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1", "-keymatexport", LABEL,
                               "-keymatexportlen", "32"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json",
               "--export-keying-material", LABEL,
               "--export-keying-material", f"{LABEL}::",
               "--export-keying-material", f"{LABEL}:4:c",
               f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    doc = peers.json_document(r)
    km = doc["keying_material"]
    assert [(k["label"], k["length"], k["context"]) for k in km] == [
        (LABEL, 32, None), (LABEL, 32, ""), (LABEL, 4, "c")]
    assert km[0]["value"] == keymat_from_log(srv)
    # TLS 1.3: the empty context is no context.
    assert km[1]["value"] == km[0]["value"]
    assert len(km[2]["value"]) == 8


def test_json_without_exporters_is_empty(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert peers.json_document(r)["keying_material"] == []


def test_not_after_a_failed_handshake(nsstls, openssl_server):
    """Verification fails: no value is printed, the failure is the outcome."""
    srv = openssl_server("wronghost.crt", "wronghost.key", chain="int-rsa.crt",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data",
               "--export-keying-material", LABEL, f"localhost:{srv.port}")
    assert r.returncode == 6, r.stderr
    assert printed(r.stderr) == []


@pytest.mark.parametrize("args,message", [
    (["--export-keying-material", ":16"], "the label is empty"),
    (["--export-keying-material", "L:0"], "from 1 to 1024"),
    (["--export-keying-material", "L:1025"], "from 1 to 1024"),
    (["--export-keying-material", "L:lots"], "from 1 to 1024"),
    (["-keymatexportlen", "20"], "-keymatexportlen needs -keymatexport"),
    (["-keymatexport", "L", "-keymatexportlen", "0"], "from 1 to 1024"),
    (["--export-keying-material=L"] * 17, "more than 16 times"),
])
def test_usage_errors(nsstls, args, message):
    r = nsstls(*args, "localhost:1")
    assert r.returncode == 1, r.stderr
    assert message in r.stderr
