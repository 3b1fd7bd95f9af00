"""The strict default verification policy and --allow-weak (issue 8.4).

NSS 3.87 accepts RSA 1024 and SHA-1 certificates; modern clients do not.
One verdict everywhere: the text report, --brief, JSON and --check agree that
such a chain fails (exit 6, CRITICAL) unless --allow-weak asks for NSS's
permissive behaviour, which the report then shows.  TLS 1.0/1.1 stay refused
unless --tls-min asks for them, and then draw deprecated-protocol.
"""

import subprocess

import pytest

from peers import BOUNDED, ROOTS, SECLEVEL0, fixture, json_documents

CA = ("--no-builtin-roots", "--ca-file", ROOTS)


def target(srv):
    return f"localhost:{srv.port}"


@pytest.fixture
def weak_rsa(openssl_server):
    return openssl_server("weak-rsa.crt", "weak-rsa.key", chain="int-rsa.crt", args=SECLEVEL0)


@pytest.fixture
def sha1_leaf(openssl_server):
    return openssl_server("sha1.crt", "sha1.key", chain="int-rsa.crt", args=SECLEVEL0)


@pytest.mark.parametrize("server", ["weak_rsa", "sha1_leaf"])
def test_weak_chain_fails_in_every_output(nsstls, server, request):
    srv = request.getfixturevalue(server)
    text = nsstls(*BOUNDED, *CA, "--no-data", target(srv))
    assert text.returncode == 6, text.stderr
    assert "Verification: FAILED" in text.stderr and "Verification: OK" not in text.stderr
    brief = nsstls(*BOUNDED, *CA, "--no-data", "--brief", target(srv))
    assert brief.returncode == 6
    assert "OK" not in brief.stderr.split("Verification")[-1][:40], brief.stderr
    js = nsstls(*BOUNDED, *CA, "--json", target(srv))
    (doc,) = json_documents(js.stdout_bytes)
    assert js.returncode == 6 and doc["verification"]["ok"] is False
    assert doc["policy"] == "strict"
    chk = nsstls(*BOUNDED, *CA, "--check", target(srv))
    assert chk.returncode == 2, chk.stdout
    assert chk.stdout.startswith("TLS CRITICAL"), chk.stdout


@pytest.mark.parametrize("server,finding", [("weak_rsa", "weak-key"),
                                            ("sha1_leaf", "weak-signature")])
def test_allow_weak_restores_nss_and_says_so(nsstls, server, finding, request):
    srv = request.getfixturevalue(server)
    js = nsstls(*BOUNDED, *CA, "--json", "--allow-weak", target(srv))
    (doc,) = json_documents(js.stdout_bytes)
    assert js.returncode == 0, doc["verification"]
    assert doc["policy"] == "allow-weak"
    sev = {f["id"]: f["severity"] for f in doc["findings"]}
    assert sev[finding] == "warning"
    assert "error" not in sev.values(), doc["findings"]   # none under an OK verdict
    text = nsstls(*BOUNDED, *CA, "--no-data", "--allow-weak", target(srv))
    assert text.returncode == 0
    assert "Policy: allow-weak" in text.stderr
    chk = nsstls(*BOUNDED, *CA, "--check", "--allow-weak", target(srv))
    assert chk.stdout.startswith("TLS WARNING"), chk.stdout
    assert chk.returncode == 1


def test_print_cert_applies_the_same_policy(nsstls, tmp_path):
    chain = tmp_path / "weak.pem"
    chain.write_text(open(fixture("weak-rsa.crt")).read() + open(fixture("int-rsa.crt")).read())
    r = nsstls(*CA, "--json", "--print-cert", str(chain))
    (doc,) = json_documents(r.stdout_bytes)
    assert r.returncode == 6 and doc["verification"]["error"]["name"] == \
        "SSL_ERROR_WEAK_SERVER_CERT_KEY"
    r = nsstls(*CA, "--json", "--allow-weak", "--print-cert", str(chain))
    assert r.returncode == 0


def test_sha1_self_signature_of_an_anchor_is_fine(nsstls, make_leaf, tmp_path, openssl_server):
    """A root's own SHA-1 self-signature is never checked: it does not count."""
    key, root = tmp_path / "sha1root.key", tmp_path / "sha1root.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha1",
                    "-keyout", key, "-out", root, "-days", "3650",
                    "-subj", "/O=nsstls tests/CN=nsstls Test SHA-1 Root",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
                   check=True, capture_output=True)
    leaf = make_leaf(issuer=str(tmp_path / "sha1root"))
    srv = openssl_server(leaf.cert, leaf.key, args=SECLEVEL0)
    r = nsstls(*BOUNDED, "--no-builtin-roots", "--ca-file", str(root), "--json",
               target(srv))
    (doc,) = json_documents(r.stdout_bytes)
    assert r.returncode == 0, doc["verification"]
    assert "weak-signature" not in [f["id"] for f in doc["findings"]]


def test_tls11_is_refused_by_default(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"])
    r = nsstls(*BOUNDED, *CA, "--no-data", target(srv))
    assert r.returncode == 5, r.stderr


def test_tls11_on_request_is_a_deprecated_protocol(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"])
    js = nsstls(*BOUNDED, *CA, "--json", "--tls-min", "1.1", target(srv))
    (doc,) = json_documents(js.stdout_bytes)
    assert js.returncode == 0, doc["outcome"]
    f = [f for f in doc["findings"] if f["id"] == "deprecated-protocol"]
    assert f and f[0]["severity"] == "warning" and "TLS 1.1" in f[0]["text"], doc["findings"]
    chk = nsstls(*BOUNDED, *CA, "--check", "--tls-min", "1.1", target(srv))
    assert chk.stdout.startswith("TLS WARNING"), chk.stdout
    assert chk.returncode == 1


def test_tls12_has_no_deprecated_protocol(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-tls1_2"])
    js = nsstls(*BOUNDED, *CA, "--json", "--tls-min", "1.0", target(srv))
    (doc,) = json_documents(js.stdout_bytes)
    assert "deprecated-protocol" not in [f["id"] for f in doc["findings"]]
