"""The openssl s_client spellings people paste (issue 10, item 8), against
openssl s_server on loopback: each one either does what the man page's
S_CLIENT ALIASES table says, or is accepted as a no-op that nsstls already
does; none is an "unknown option".  Also --list-groups, --list-sigalgs, the
OpenSSL names in --list-ciphers, and the TLS 1.0/1.1 signature's name.
"""

import contextlib
import os
import re
import ssl

import pytest

import peers
from peers import BOUNDED, ROOTS, SECLEVEL0, fixture


def target(srv):
    return f"localhost:{srv.port}"


@pytest.fixture
def rsa_server(openssl_server):
    return lambda *args: openssl_server("server-rsa.crt", "server-rsa.key",
                                        chain="int-rsa.crt", args=list(args))


def channel(r):
    """The channel block of a text report: {"Protocol": ..., ...}."""
    return dict(re.findall(r"^  (Protocol|Cipher suite|Key exchange|Signature)\s+(.*)$",
                           r.stderr, re.M))


# ---- no-ops that nsstls already does -------------------------------------------

@pytest.mark.parametrize("args", [["-verify_return_error"], ["-no-CApath"], ["-no-CAstore"],
                                  ["-verify", "2"], ["-prexit"]])
def test_accepted_no_ops(nsstls, rsa_server, args):
    srv = rsa_server()
    r = nsstls(*BOUNDED, "-CAfile", ROOTS, *args, "--no-data", target(srv))
    assert r.returncode == 0, r.stderr
    assert "Verification: OK" in r.stderr


def test_verify_depth_still_fails_closed(nsstls, rsa_server):
    # -verify N in s_client only reports; nsstls still refuses an untrusted chain.
    srv = rsa_server()
    r = nsstls(*BOUNDED, "-CAfile", ROOTS, "-verify", "5", "-verify_return_error",
               "-verify_hostname", "wrong.example", "--no-data", target(srv))
    assert r.returncode == 6, r.stderr


def test_verify_depth_must_be_a_number(nsstls):
    r = nsstls("-verify", "deep", "localhost", timeout=10)
    assert r.returncode == 1
    assert "nsstls: -verify: 'deep' is not a depth (a number)" in r.stderr


def test_verify_hostname(nsstls, rsa_server):
    srv = rsa_server()
    ok = nsstls(*BOUNDED, "-CAfile", ROOTS, "--json", "-verify_hostname", "localhost",
                f"127.0.0.1:{srv.port}")
    assert ok.returncode == 0, ok.stderr
    assert peers.json_document(ok)["target"]["verify_name"] == "localhost"
    bad = nsstls(*BOUNDED, "-CAfile", ROOTS, "--no-data", "-verify_hostname",
                 "other.example", target(srv))
    assert bad.returncode == 6, bad.stderr
    assert "other.example" in bad.stderr


# ---- -CApath ---------------------------------------------------------------------

def test_capath_hashed_directory(nsstls, rsa_server, tmp_path):
    d = tmp_path / "certs"
    d.mkdir()
    (d / "roots.pem").write_bytes(open(ROOTS, "rb").read())
    # c_rehash's links point at the .pem files: each file counts once.
    os.symlink("roots.pem", d / "0123abcd.0")
    (d / "README").write_text("not a certificate")
    (d / "key.pem").write_bytes(open(fixture("server-rsa.key"), "rb").read())
    srv = rsa_server()
    r = nsstls(*BOUNDED, "--no-builtin-roots", "-CApath", str(d), "--json", target(srv))
    assert r.returncode == 0, r.stderr
    doc = peers.json_document(r)
    assert doc["trust_sources"] == [{"name": "ca-path", "detail": str(d), "anchors": 2}]
    text = nsstls(*BOUNDED, "--no-builtin-roots", "-CApath", str(d), "--no-data", target(srv))
    assert re.search(rf"^  ca-path\s+{re.escape(str(d))}, 2 anchors$", text.stderr, re.M), \
        text.stderr
    assert "Verification: OK" in text.stderr


def test_capath_hash_link_alone(nsstls, rsa_server, tmp_path):
    (tmp_path / "9d6523ce.0").write_bytes(open(ROOTS, "rb").read())
    srv = rsa_server()
    r = nsstls(*BOUNDED, "--no-builtin-roots", "-CApath", str(tmp_path), "--no-data",
               target(srv))
    assert r.returncode == 0, r.stderr


def test_capath_without_certificates(nsstls, tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    r = nsstls(*BOUNDED, "-CApath", str(tmp_path), "--no-data", "localhost:1")
    assert r.returncode == 2, r.stderr
    assert f"CA directory {tmp_path} holds no certificate" in r.stderr


def test_capath_missing(nsstls, tmp_path):
    r = nsstls(*BOUNDED, "-CApath", str(tmp_path / "nope"), "--no-data", "localhost:1")
    assert r.returncode == 2, r.stderr
    assert f"cannot read CA directory {tmp_path / 'nope'}: No such file or directory" \
        in r.stderr


# ---- -cipher, -ciphersuites, -groups, -curves, -sigalgs ---------------------------

def test_cipher_openssl_name(nsstls, rsa_server):
    srv = rsa_server("-tls1_2")
    r = nsstls(*BOUNDED, "-CAfile", ROOTS, "-cipher", "ECDHE-RSA-AES256-SHA",
               "--no-data", target(srv))
    assert r.returncode == 0, r.stderr
    assert channel(r)["Cipher suite"] == "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA (0xc014)"


def test_cipher_leaves_tls13_suites(nsstls, rsa_server):
    # As in OpenSSL, -cipher is the TLS 1.2 list: TLS 1.3 still works.
    srv = rsa_server()
    r = nsstls(*BOUNDED, "-CAfile", ROOTS, "-cipher", "ECDHE-RSA-AES256-SHA", "--no-data",
               target(srv))
    assert r.returncode == 0, r.stderr
    assert channel(r)["Protocol"] == "TLSv1.3"


def test_ciphersuites(nsstls, rsa_server):
    srv = rsa_server()
    r = nsstls(*BOUNDED, "-CAfile", ROOTS, "-ciphersuites", "TLS_AES_256_GCM_SHA384",
               "--no-data", target(srv))
    assert r.returncode == 0, r.stderr
    assert channel(r)["Cipher suite"] == "TLS_AES_256_GCM_SHA384 (0x1302)"


def test_cipher_rule_refused(nsstls):
    r = nsstls("-cipher", "HIGH:!aNULL", "localhost", timeout=10)
    assert r.returncode == 1
    assert r.stderr.startswith("nsstls: unknown TLS 1.2 cipher suite 'HIGH'; valid names: "
                               "ECDHE-ECDSA-AES128-GCM-SHA256, "), r.stderr
    assert "OpenSSL's cipher rules such as HIGH or !aNULL are not understood" in r.stderr


def test_ciphersuites_ccm_refused(nsstls):
    r = nsstls("-ciphersuites", "TLS_AES_128_CCM_SHA256", "localhost", timeout=10)
    assert r.returncode == 1
    assert "unknown TLS 1.3 cipher suite 'TLS_AES_128_CCM_SHA256'" in r.stderr
    assert "NSS 3.87 has no TLS 1.3 CCM suites" in r.stderr


def test_cipher_with_ciphers_conflict(nsstls):
    r = nsstls("-cipher", "AES128-SHA", "--ciphers", "TLS_AES_128_GCM_SHA256", "localhost",
               timeout=10)
    assert r.returncode == 1
    assert "-cipher/-ciphersuites cannot be combined with --ciphers" in r.stderr


@pytest.mark.parametrize("alias", ["-groups", "-curves"])
def test_groups_openssl_names(nsstls, rsa_server, alias):
    srv = rsa_server()
    r = nsstls(*BOUNDED, "-CAfile", ROOTS, alias, "P-384:X25519", "--no-data", target(srv))
    assert r.returncode == 0, r.stderr
    assert channel(r)["Key exchange"].startswith("secp384r1"), r.stderr


@pytest.mark.parametrize("spelling, scheme", [("RSA-PSS+SHA384", "rsa_pss_rsae_sha384"),
                                              ("rsa_pss_rsae_sha512", "rsa_pss_rsae_sha512"),
                                              ("RSA+SHA256", "rsa_pkcs1_sha256")])
def test_sigalgs_openssl_names(nsstls, rsa_server, spelling, scheme):
    srv = rsa_server("-tls1_2")
    r = nsstls(*BOUNDED, "-CAfile", ROOTS, "-sigalgs", spelling, "--no-data", target(srv))
    assert r.returncode == 0, r.stderr
    assert channel(r)["Signature"] == scheme


def test_sigalgs_ecdsa_openssl_name(nsstls, openssl_server):
    srv = openssl_server("server-ec.crt", "server-ec.key", chain="int-ec.crt")
    r = nsstls(*BOUNDED, "-CAfile", ROOTS, "-sigalgs", "ECDSA+SHA256", "--no-data",
               target(srv))
    assert r.returncode == 0, r.stderr
    assert channel(r)["Signature"] == "ecdsa_secp256r1_sha256"


# ---- -tls1, -tls1_1 and the TLS 1.0/1.1 signature's name --------------------------

@pytest.mark.parametrize("alias, server_flag, version", [("-tls1", "-tls1", "TLSv1.0"),
                                                         ("-tls1_1", "-tls1_1", "TLSv1.1")])
def test_old_versions_only(nsstls, rsa_server, alias, server_flag, version):
    srv = rsa_server(server_flag, *SECLEVEL0)
    r = nsstls(*BOUNDED, "-CAfile", ROOTS, alias, "--no-data", target(srv))
    assert r.returncode == 0, r.stderr
    ch = channel(r)
    assert ch["Protocol"] == version
    # NSS's 0x10101 is the MD5+SHA-1 RSA signature of TLS 1.0/1.1.
    assert ch["Signature"] == "rsa_pkcs1_md5_sha1", r.stderr
    js = nsstls(*BOUNDED, "-CAfile", ROOTS, alias, "--json", target(srv))
    doc = peers.json_document(js)
    assert doc["handshakes"][0]["signature_scheme"] == "rsa_pkcs1_md5_sha1"


def test_tls1_1_alone_against_a_tls12_server(nsstls, rsa_server):
    srv = rsa_server("-tls1_2")
    r = nsstls(*BOUNDED, "-CAfile", ROOTS, "-tls1_1", "--no-data", target(srv))
    assert r.returncode == 5, r.stderr


# ---- -state, -ign_eof ---------------------------------------------------------------

def test_state_traces_the_handshake(nsstls, rsa_server):
    srv = rsa_server()
    r = nsstls(*BOUNDED, "-CAfile", ROOTS, "-state", "--no-data", target(srv))
    assert r.returncode == 0, r.stderr
    assert ": client_hello" in r.stderr and ": server_hello" in r.stderr, r.stderr


@contextlib.contextmanager
def late_server():
    """A TLS server that answers 0.5 s after the handshake, unless the
    client half-closes first: then it hangs up without a word."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(fixture("server-rsa-chain.pem"), fixture("server-rsa.key"))

    def handler(peer, conn):
        conn.settimeout(5)
        with ctx.wrap_socket(conn, server_side=True) as tls:
            tls.settimeout(0.5)
            try:
                if tls.recv(1) == b"":
                    peer._note("client half-closed: hanging up")
                    return
            except (TimeoutError, ssl.SSLError, OSError):
                pass
            tls.sendall(b"late answer\n")
            peer._note("answered")
            with contextlib.suppress(OSError):
                tls.unwrap()

    with peers._py_peer("late TLS server", handler) as peer:
        yield peer


def test_ign_eof_keeps_the_connection_open(nsstls):
    with late_server() as srv:
        plain = nsstls(*BOUNDED, "-CAfile", ROOTS, "-quiet", target(srv))
        ign = nsstls(*BOUNDED, "-CAfile", ROOTS, "-quiet", "-ign_eof", target(srv))
    # Without it, end of input half-closes and this server leaves unanswered.
    assert plain.stdout == "", plain.stdout
    assert ign.returncode == 0, ign.stderr
    assert ign.stdout == "late answer\n"


# ---- --list-groups, --list-sigalgs, --list-ciphers ------------------------------------

def test_list_groups(nsstls):
    r = nsstls("--list-groups", timeout=10)
    assert r.returncode == 0 and r.stderr == ""
    rows = {l.split()[0]: l.split()[1:] for l in r.stdout.splitlines()}
    assert rows["x25519"] == ["default", "X25519"]
    assert rows["secp256r1"] == ["default", "P-256,", "prime256v1"]
    assert rows["ffdhe4096"] == ["-"]
    # Every listed name is accepted by --groups.
    ok = nsstls("--groups", ",".join(rows), "--list-ciphers", timeout=10)
    assert ok.returncode == 0, ok.stderr


def test_list_sigalgs(nsstls):
    r = nsstls("--list-sigalgs", timeout=10)
    assert r.returncode == 0 and r.stderr == ""
    rows = {l.split()[0]: l.split()[1:] for l in r.stdout.splitlines()}
    assert rows["rsa_pss_rsae_sha256"] == ["default", "RSA-PSS+SHA256"]
    assert rows["dsa_sha256"] == ["-", "DSA+SHA256"]
    assert "ed25519" not in rows             # named by NSS, not usable
    ok = nsstls("--sigalgs", ",".join(rows), "--list-ciphers", timeout=10)
    assert ok.returncode == 0, ok.stderr


def test_list_takes_no_target(nsstls):
    r = nsstls("--list-groups", "localhost", timeout=10)
    assert r.returncode == 1
    assert "--list-groups takes no target" in r.stderr


def test_every_openssl_name_of_list_ciphers_works_with_cipher(nsstls):
    r = nsstls("--list-ciphers", timeout=10)
    names = [l.split()[2] for l in r.stdout.splitlines()
             if l.split()[2] != "-" and not l.split()[2].startswith("TLS_")]
    assert "ECDHE-RSA-AES128-GCM-SHA256" in names
    ok = nsstls("-cipher", ":".join(names), "--list-ciphers", timeout=10)
    assert ok.returncode == 0, ok.stderr
