"""Values that nsstls sends in plaintext dialogues, and the lines of a
--targets file, are checked before anything connects (issue 9 items 6, 7).

Every refusal here is run against a real scripted peer (STARTTLS server or
CONNECT proxy from tests/starttls_peers.py) that the run would otherwise
reach: the test asserts the usage error (exit 1, the option and the bad
byte named) *and* that the peer never saw a connection, so the injected
command cannot have reached it.  Beside each refusal, the nearest valid
value is shown to work against the same kind of peer, so a check that
refused everything would fail too.

Decisions tested here: CR, LF and every other C0 control byte or DEL in
--starttls-name, --xmpp-domain, --proxy-user, a --proxy URL's credentials,
--servername and --verify-name are usage errors; the XMPP domain is
XML-escaped (all five predefined entities); empty --servername= and
--verify-name=, names over 255 bytes, an ALPN protocol over 255 bytes or a
list over the extension's 65535 bytes, a group or signature scheme given
twice, an exporter label over the 198 bytes NSS 3.87 takes, and
credentials in --ocsp-url are usage errors; a --targets line with a NUL or
another control byte is refused with the file name and the line number.
"""

import xml.etree.ElementTree as ET

import pytest

import peers
import starttls_peers as sp
from peers import ROOTS

PROCESS_TIMEOUT = 20
NO_ENV = {v: None for v in peers.PROXY_ENV}


def run(nsstls, *args, env=None, input=b""):
    full = dict(NO_ENV)
    full.update(env or {})
    return nsstls("--timeout", "3", "--connect-timeout", "3", "--ca-file", ROOTS,
                  "--no-data", *args, timeout=PROCESS_TIMEOUT, env=full,
                  input=input)


def usage_error(r):
    """The one error line of a usage error (exit 1)."""
    assert r.returncode == 1, r.stderr
    lines = [l for l in r.stderr.splitlines() if l.startswith("nsstls: ")]
    assert len(lines) == 1, r.stderr
    return lines[0]


# --- item 6: values sent in the STARTTLS dialogues -----------------------------

@pytest.mark.parametrize("bad, shown", [
    ("x\r\nQUIT", "\\x0d"),
    ("x\nQUIT", "\\x0a"),
    ("x\x01y", "\\x01"),
    ("x\x7fy", "\\x7f"),
    ("x\ty", "\\x09"),
    ("x\x1b[2Jy", "\\x1b"),
])
@pytest.mark.parametrize("proto", ["smtp", "lmtp"])
def test_starttls_name_control_byte_refused_before_connecting(nsstls, proto, bad,
                                                            shown):
    with sp.starttls_server(sp.DIALOGUES[proto]) as srv:
        r = run(nsstls, "--starttls", proto, "--starttls-name", bad,
                f"localhost:{srv.port}")
        err = usage_error(r)
        assert err.startswith("nsstls: --starttls-name: byte 2 is the control "
                              f"character {shown}"), err
        assert srv.accepted == 0, srv.log()
    assert "QUIT" not in r.stderr


def test_starttls_name_valid_is_sent(nsstls):
    name = "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 63   # 255
    with sp.starttls_server(sp.smtp) as srv:
        r = run(nsstls, "--starttls", "smtp", "--starttls-name", name,
                f"localhost:{srv.port}")
        assert r.returncode == 0, r.stderr + srv.log()
        assert srv.talks[0].lines[0] == "EHLO " + name


@pytest.mark.parametrize("args, want", [
    (["--starttls-name="], "--starttls-name: the value is empty"),
    (["--starttls-name", "a" * 256], "--starttls-name: 256 bytes, more than the 255"),
])
def test_starttls_name_empty_or_long(nsstls, args, want):
    with sp.starttls_server(sp.smtp) as srv:
        r = run(nsstls, "--starttls", "smtp", *args, f"localhost:{srv.port}")
        assert want in usage_error(r)
        assert srv.accepted == 0


@pytest.mark.parametrize("bad", ["example.net\r\n<evil/>", "a\x0bb", ""])
def test_xmpp_domain_refused_before_connecting(nsstls, bad):
    with sp.starttls_server(sp.xmpp) as srv:
        r = run(nsstls, "--starttls", "xmpp", "--xmpp-domain", bad,
                f"localhost:{srv.port}")
        err = usage_error(r)
        assert err.startswith("nsstls: --xmpp-domain: "), err
        assert srv.accepted == 0


def test_xmpp_domain_is_xml_escaped(nsstls):
    # Every character XML gives a meaning to, in the attribute nsstls quotes
    # with single quotes: the stream header must still parse and give the
    # domain back unchanged.
    domain = "a'b\"c<d>e&f/><evil x='1"
    with sp.starttls_server(sp.xmpp) as srv:
        r = run(nsstls, "--starttls", "xmpp", "--xmpp-domain", domain,
                f"localhost:{srv.port}")
        assert r.returncode == 0, r.stderr + srv.log()
        opening = srv.received[1].decode()
    assert "<evil" not in opening
    assert "to='a&apos;b&quot;c&lt;d&gt;e&amp;f/&gt;&lt;evil x=&apos;1'" in opening
    root = ET.fromstring(opening + "</stream:stream>")
    assert root.get("to") == domain


# --- item 6: proxy credentials -------------------------------------------------

def test_proxy_user_control_byte_refused_before_connecting(nsstls):
    with sp.connect_proxy() as proxy:
        r = run(nsstls, "--proxy", f"127.0.0.1:{proxy.port}", "--proxy-user",
                "user:pa\r\nX-Injected: 1", "localhost:1")
        err = usage_error(r)
        assert err.startswith("nsstls: --proxy-user: byte 8 is the control "
                              "character \\x0d"), err
        assert "X-Injected" not in err and "pa" not in err.split(" byte ")[0]
        assert proxy.accepted == 0 and proxy.requests == []


def test_proxy_url_credentials_control_byte(nsstls):
    url_value = "http://user:pa%0d%0aX-Injected:%201@127.0.0.1:{port}"
    with sp.connect_proxy() as proxy:
        url = url_value.format(port=proxy.port)
        r = run(nsstls, "--proxy", url, "localhost:1")
        err = usage_error(r)
        assert "the user name or password holds a control byte" in err, err
        assert "pa%0d" not in err, "the password is not shown"
        # From the environment: a setup error naming the variable only.
        r = run(nsstls, "localhost:1", env={"https_proxy": url})
        assert r.returncode == 2, r.stderr
        assert ("https_proxy is not a proxy nsstls can use: the user name or "
                "password holds a control byte") in r.stderr
        assert "pa%0d" not in r.stderr and "user:" not in r.stderr
        assert proxy.accepted == 0 and proxy.requests == []


def test_proxy_user_valid_is_sent(nsstls, _server_stack):
    echo = _server_stack(peers.tls_echo_server())
    with sp.connect_proxy(user="user", password="p:a ss") as proxy:
        r = run(nsstls, "--proxy", f"127.0.0.1:{proxy.port}", "--proxy-user",
                "user:p:a ss", f"localhost:{echo.port}")
        assert r.returncode == 0, r.stderr + proxy.log()
        assert proxy.tunnels == 1


# --- item 6: names and lists checked at parse time -----------------------------

def long_alpn(n):
    return ",".join([f"{i:03d}" + "a" * 252 for i in range(n)])


PARSE_ERRORS = [
    (["--servername="], "--servername: the value is empty"),
    (["--verify-name="], "--verify-name: the value is empty"),
    (["--servername", "a" * 256], "--servername: 256 bytes, more than the 255"),
    (["--servername", "x\r\ny"], "--servername: byte 2 is the control character \\x0d"),
    (["--verify-name", "x\x01y"], "--verify-name: byte 2 is the control character \\x01"),
    (["--alpn", "a" * 256], "--alpn: protocol 1 is 256 bytes long, more than the 255"),
    (["--alpn", long_alpn(257)],
     "--alpn: the list takes 65792 bytes in the ClientHello, more than the 65535"),
    (["--groups", "x25519,P-256,X25519"],
     "--groups: group 'X25519' is given twice (as 'x25519' before)"),
    (["--groups", ",".join(["x25519"] * 5000)], "--groups: group 'x25519' is given twice"),
    (["--sigalgs", ",".join(["rsa_pss_rsae_sha256"] * 3000)],
     "--sigalgs: signature scheme 'rsa_pss_rsae_sha256' is given twice"),
    (["--export-keying-material", "a" * 199 + ":16"],
     "the exporter label is 199 bytes long; NSS 3.87 takes at most 198"),
    (["--export-keying-material", "a" * 100000],
     "the exporter label is 100000 bytes long; NSS 3.87 takes at most 198"),
    (["-keymatexport", "b" * 300], "the exporter label is 300 bytes long"),
    (["--ocsp", "--ocsp-url", "http://user:secret@127.0.0.1:1/"],
     "--ocsp-url: the URL holds a user name (USER@HOST)"),
    (["--ocsp", "--ocsp-url", "http://127.0.0.1:1/a\r\nX: y"],
     "--ocsp-url: a space or control byte in 'http://127.0.0.1:1/a\\x0d\\x0aX: y'"),
]


@pytest.mark.parametrize("args, want", PARSE_ERRORS,
                         ids=[f"{a[-2] if a[0] == '--ocsp' else a[0]}-{i}".lstrip("-")
                              for i, (a, w) in enumerate(PARSE_ERRORS)])
def test_parse_time_usage_errors(nsstls, args, want):
    # The STARTTLS peer stands for the server: with the check reverted,
    # nsstls would reach it (and fail later, with another exit status).
    with sp.starttls_server(sp.smtp) as srv:
        r = run(nsstls, "--starttls", "smtp", *args, f"localhost:{srv.port}")
        err = usage_error(r)
        assert want in err, err
        assert "secret" not in err
        assert srv.accepted == 0, srv.log()


def test_sni_from_a_long_target_name(nsstls):
    r = run(nsstls, "a" * 256 + ":443")
    err = usage_error(r)
    assert "the host name is longer than 255 bytes, more than a server name (SNI)" in err


def test_exporter_label_at_the_limit_works(nsstls, openssl_server):
    # 198 bytes is the longest label NSS 3.87 can export with a SHA-384
    # suite in TLS 1.3; the limit is not stricter than NSS.
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"])
    label = "L" * 198
    r = run(nsstls, "--json", "--export-keying-material", f"{label}:16",
            f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    doc = peers.json_document(r)
    assert doc["keying_material"][0]["label"] == label
    assert len(doc["keying_material"][0]["value"]) == 32


def test_alpn_list_near_the_wire_limit_is_sent(nsstls, openssl_server):
    # 250 protocols of 255 bytes: 64000 bytes in the extension.
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-alpn", "h2"])
    r = run(nsstls, "--alpn", long_alpn(249) + ",h2", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert "  ALPN                   h2" in r.stderr


# --- item 7: --targets lines ----------------------------------------------------

@pytest.mark.parametrize("line, what, column", [
    (b"local\x00host:{port}", "a NUL byte (byte \\x00 at column 6)", 6),
    (b"local\x01host:{port}", "a control byte (byte \\x01 at column 6)", 6),
    (b"  localhost:{port}\x1b[2J", "a control byte (byte \\x1b at column", None),
    (b"localhost:{port} # \x7f", "a control byte (byte \\x7f at column", None),
])
def test_targets_line_with_control_byte(nsstls, tmp_path, line, what, column):
    with sp.starttls_server(sp.smtp) as srv:
        path = tmp_path / "targets"
        path.write_bytes(b"# checked first\nlocalhost:%d\n" % srv.port +
                         line.replace(b"{port}", str(srv.port).encode()) + b"\n")
        r = run(nsstls, "--starttls", "smtp", "--targets", str(path))
        err = usage_error(r)
        assert err.startswith(f"nsstls: {path} line 3: {what}"), err
        assert err.endswith(": a target is HOST[:PORT]"), err
        # The file is refused whole: not even its good first target runs.
        assert srv.accepted == 0, srv.log()


def test_targets_crlf_and_tabs_are_fine(nsstls, tmp_path):
    with sp.starttls_server(sp.smtp) as srv:
        path = tmp_path / "targets"
        path.write_bytes(b"\tlocalhost:%d\t# tab\r\n" % srv.port)
        r = run(nsstls, "--starttls", "smtp", "--targets", str(path))
        assert r.returncode == 0, r.stderr + srv.log()
        assert srv.accepted == 1


def test_targets_file_name_escaped(nsstls, tmp_path):
    path = tmp_path / "bad\nname\x1b[31m"
    path.write_bytes(b"good.example:443\nbad\x01:443\n")
    r = run(nsstls, "--targets", str(path))
    err = usage_error(r)
    assert err.startswith(f"nsstls: {tmp_path}/bad\\x0aname\\x1b[31m line 2: "), err
    assert "\x1b" not in r.stderr


def test_targets_line_with_too_long_sni(nsstls, tmp_path):
    # Checked while the file is read, like an argument: the good first line
    # never runs.
    with sp.starttls_server(sp.smtp) as srv:
        path = tmp_path / "targets"
        path.write_text(f"localhost:{srv.port}\n{'a' * 256}:{srv.port}\n")
        r = run(nsstls, "--starttls", "smtp", "--targets", str(path))
        err = usage_error(r)
        assert err.startswith(f"nsstls: {path} line 2: bad target 'aaa"), err
        assert err.endswith("the host name is longer than 255 bytes, more than "
                            "a server name (SNI) can hold"), err
        assert srv.accepted == 0, srv.log()


def test_targets_line_without_port_for_starttls_auto(nsstls, tmp_path):
    path = tmp_path / "targets"
    path.write_text("127.0.0.1:25\nlocalhost\n")
    r = run(nsstls, "--starttls", "auto", "--targets", str(path))
    err = usage_error(r)
    assert err == (f"nsstls: {path} line 2: bad target 'localhost': --starttls "
                   "auto needs a port"), err
