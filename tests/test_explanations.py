"""Explanations that name the right certificate (issue 8, items 5-7).

The verdict is computed once (src/report/verdict.c): ok or failed, a headline
naming the certificate at fault with its own dates and the cause, and the
findings.  Each case below is a committed fixture (make-certs.sh, "issue 8"
block) read by --print-cert or served by a real openssl s_server; the last
tests walk every chain in tests/fixtures and check that no explanation
contradicts its verdict.
"""
import re
import subprocess
from pathlib import Path

import pytest

import peers
from peers import BOUNDED, ROOTS, fixture, json_document

AT_2030 = ("--attime", "2030-01-01")       # after 2025-01-01, when expint/exproot end
ROLLOVER_ROOT = "CN=nsstls Test Rollover Root,O=nsstls tests"


def print_cert(nsstls, name, *args):
    return nsstls("--no-builtin-roots", "--print-cert", fixture(name), *args)


def print_cert_json(nsstls, name, *args):
    r = print_cert(nsstls, name, "--json", *args)
    return r, json_document(r)


def headline(doc):
    return doc["verification"]["headline"]


def ids(doc, severity=None):
    return [f["id"] for f in doc["findings"] if severity in (None, f["severity"])]


def failed_line(text):
    found = re.findall(r"^Verification: FAILED: (.*)$", text, re.M)
    assert len(found) == 1, text
    return found[0]


# ---- an expired issuer is named, with its own date --------------------------

def test_expired_intermediate_is_named_with_its_date(nsstls):
    r, doc = print_cert_json(nsstls, "expint-chain.pem", "--ca-file", fixture("root-rsa.crt"),
                             *AT_2030)
    assert r.returncode == 6, r.stderr
    assert headline(doc) == ('the issuing certificate [1] "CN=nsstls Test Intermediate '
                             'Expired,O=nsstls tests" expired on 2025-01-01 '
                             '(SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE)'), headline(doc)
    assert "2049" not in headline(doc)                  # the leaf's own end


def test_expired_root_is_named_with_its_date(nsstls):
    r, doc = print_cert_json(nsstls, "exproot-chain.pem", "--ca-file",
                             fixture("exproot-root.crt"), *AT_2030)
    assert r.returncode == 6, r.stderr
    assert headline(doc) == ('the root certificate [2] "CN=nsstls Test Root Expired,'
                             'O=nsstls tests" expired on 2025-01-01 '
                             '(SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE)'), headline(doc)


def test_expired_intermediate_from_a_server(nsstls, openssl_server):
    srv = openssl_server("expint.crt", "expint.key", chain="expint-int.crt")
    r = nsstls(*BOUNDED, "--no-builtin-roots", "--ca-file", fixture("root-rsa.crt"),
               *AT_2030, "--no-data", f"localhost:{srv.port}")
    assert r.returncode == 6, r.stderr
    assert failed_line(r.stderr).startswith(
        'the issuing certificate [1] "CN=nsstls Test Intermediate Expired,O=nsstls tests" '
        'expired on 2025-01-01'), r.stderr


# ---- self-issued is not self-signed -----------------------------------------

def test_rollover_chain_walks_past_the_self_issued_root(nsstls, openssl_server):
    """The new root key under the old name, cross-signed by the old key: the
    chain goes on to the old (trusted) root, with no error finding."""
    srv = openssl_server("rollover-server.crt", "rollover-server.key",
                         chain="rollover-new-root.crt")
    r = nsstls(*BOUNDED, "--no-builtin-roots", "--ca-file", fixture("rollover-old-root.crt"),
               "--json", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    doc = json_document(r)
    assert doc["verification"]["ok"] is True
    assert ids(doc, "error") == [], doc["findings"]
    sent, built = doc["certificates"]["sent"], doc["certificates"]["built"]
    assert sent[1]["subject"] == sent[1]["issuer"] == ROLLOVER_ROOT
    assert sent[1]["self_signed"] is False              # self-issued only
    assert [b["sent_index"] for b in built] == [0, 1, None]
    assert built[2]["anchor"] is True and built[2]["certificate"]["self_signed"] is True
    assert "root-sent" not in ids(doc)


def test_self_issued_leaf_is_not_called_self_signed(nsstls):
    r, doc = print_cert_json(nsstls, "selfissued-chain.pem", "--ca-file",
                             fixture("rollover-old-root.crt"), "--verify-name", "localhost")
    assert r.returncode == 0, r.stderr
    assert "self-signed" not in ids(doc), doc["findings"]
    assert ids(doc, "error") == [], doc["findings"]
    assert len(doc["certificates"]["built"]) == 3


def test_self_issued_root_without_its_old_root_is_not_self_signed(nsstls):
    """Without the old root, the chain stops at the cross-signed one: an
    unknown issuer, not "a self-signed root no one trusts"."""
    r, doc = print_cert_json(nsstls, "rollover-chain.pem")
    assert r.returncode == 6, r.stderr
    assert "untrusted-root" not in ids(doc) and "self-signed" not in ids(doc)
    assert "SEC_ERROR_UNKNOWN_ISSUER" in headline(doc)


# ---- key usage, extended key usage, a CA as a server ---------------------------

def test_ca_certificate_as_server_certificate(nsstls, openssl_server):
    srv = openssl_server("ca-leaf.crt", "ca-leaf.key", chain="int-rsa.crt")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", f"localhost:{srv.port}")
    assert r.returncode == 6, r.stderr
    doc = json_document(r)
    h = headline(doc)
    assert h.startswith('certificate [0] "CN=nsstls Test CA As Server,O=nsstls tests" is a '
                        'CA certificate (basic constraints CA:TRUE) used as a server '
                        'certificate, and its key usage allows neither digitalSignature'), h
    assert "keyEncipherment (needed for RSA key exchange)" in h, h
    assert "ca-as-server" in ids(doc, "error")


def test_key_usage_says_which_bit_is_missing(nsstls, openssl_server):
    srv = openssl_server("badku.crt", "badku.key", chain="int-rsa.crt")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", f"localhost:{srv.port}")
    assert r.returncode == 6, r.stderr
    line = failed_line(r.stderr)
    assert "its key usage allows neither digitalSignature" in line, line
    assert "keyEncipherment (needed for RSA key exchange)" in line, line
    assert "CA certificate" not in line, line


def test_extended_key_usage_says_serverauth_is_missing(nsstls, openssl_server):
    srv = openssl_server("clientonly.crt", "clientonly.key", chain="int-rsa.crt")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", f"localhost:{srv.port}")
    assert r.returncode == 6, r.stderr
    line = failed_line(r.stderr)
    assert "its extended key usage does not include serverAuth" in line, line


# ---- 200 certificates -----------------------------------------------------------

def test_two_hundred_certificates_are_summarised(nsstls):
    r = print_cert(nsstls, "deep-chain.pem")
    assert r.returncode == 6, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) < 250, len(lines)                 # was 1842
    assert "unused-certificate" not in r.stderr
    m = re.search(r"warning too-many-certificates: the file holds 200 certificates; the "
                  r"chain uses (\d+) of them \(\[0\]-\[(\d+)\]\), (\d+) others are not "
                  r"part of the chain", r.stderr)
    assert m, r.stderr
    used, last, others = map(int, m.groups())
    assert used == last + 1 and used + others + 1 == 200      # + the root, not "unused"
    assert re.search(rf"^  \({200 - used} more, not part of the chain NSS built; -v lists "
                     r"them\)$", r.stderr, re.M), r.stderr


def test_two_hundred_certificates_json_has_one_finding(nsstls):
    r, doc = print_cert_json(nsstls, "deep-chain.pem")
    assert ids(doc).count("too-many-certificates") == 1
    assert "unused-certificate" not in ids(doc)
    assert len(doc["certificates"]["sent"]) == 200      # the facts stay whole


# ---- not trusted, or in no trust source at all --------------------------------

def test_root_in_no_trust_source_is_said_so(nsstls, tmp_path):
    chain = peers.pem_bundle(tmp_path / "chain.pem", "server-unknown-chain.pem",
                             "unknown-root.crt")
    r = nsstls("--no-builtin-roots", "--print-cert", chain, "--json")
    assert r.returncode == 6, r.stderr
    doc = json_document(r)
    assert "known but not trusted" not in headline(doc)
    assert headline(doc) == ('the chain ends at "CN=nsstls Test Unknown Root,O=nsstls '
                             'tests", which is in no trust source '
                             '(SEC_ERROR_UNTRUSTED_ISSUER)'), headline(doc)
    f = [x for x in doc["findings"] if x["id"] == "untrusted-root"]
    assert len(f) == 1 and "in no trust source" in f[0]["text"], doc["findings"]


def test_root_distrusted_in_a_database_is_said_so(nsstls, tmp_path):
    db = tmp_path / "db"
    db.mkdir()
    peers.make_nss_db(str(db))
    subprocess.run(["certutil", "-A", "-d", f"sql:{db}", "-n", "unknown-root", "-t", ",,",
                    "-a", "-i", fixture("unknown-root.crt")], check=True, capture_output=True)
    r = nsstls("--no-builtin-roots", "--db", str(db), "--print-cert",
               fixture("server-unknown-chain.pem"), "--json")
    assert r.returncode == 6, r.stderr
    doc = json_document(r)
    assert headline(doc) == ('"CN=nsstls Test Unknown Root,O=nsstls tests" is in the trust '
                             'source db but not trusted as a CA there '
                             '(SEC_ERROR_UNTRUSTED_ISSUER)'), headline(doc)
    f = [x for x in doc["findings"] if x["id"] == "untrusted-root"]
    assert len(f) == 1 and "the trust source db has but does not trust" in f[0]["text"], f


# ---- --print-cert speaks of the file; a CA file is a CA ------------------------

def test_print_cert_of_a_root_describes_a_ca(nsstls):
    r, doc = print_cert_json(nsstls, "root-rsa.crt")
    assert r.returncode == 6, r.stderr
    assert doc["verification"]["as_ca"] is True
    assert headline(doc).startswith('the CA certificate "CN=nsstls Test Root RSA,O=nsstls '
                                    'tests" is self-signed and in no trust source'), headline(doc)
    assert ids(doc, "error") == ["self-signed"], doc["findings"]   # no key usage error
    text = print_cert(nsstls, "root-rsa.crt").stderr
    assert "server" not in failed_line(text)


def test_print_cert_of_a_trusted_root_verifies_as_a_ca(nsstls):
    r = print_cert(nsstls, "root-rsa.crt", "--ca-file", fixture("root-rsa.crt"))
    assert r.returncode == 0, r.stderr
    assert "Verification: OK (CA certificate trusted; no name checked)" in r.stderr, r.stderr


def test_print_cert_of_an_intermediate_verifies_as_a_ca(nsstls):
    r, doc = print_cert_json(nsstls, "int-rsa.crt", "--ca-file", fixture("root-rsa.crt"))
    assert r.returncode == 0, r.stderr
    assert doc["verification"]["as_ca"] is True and doc["verification"]["ok"] is True


def test_print_cert_with_verify_name_checks_a_server_certificate(nsstls):
    """--verify-name asks for a server check, even of a CA certificate."""
    r, doc = print_cert_json(nsstls, "ca-leaf-chain.pem", "--ca-file", ROOTS,
                             "--verify-name", "localhost")
    assert r.returncode == 6, r.stderr
    assert doc["verification"]["as_ca"] is False
    assert "used as a server certificate" in headline(doc)


def test_print_cert_of_a_self_signed_leaf_speaks_of_the_certificate(nsstls):
    r, doc = print_cert_json(nsstls, "selfsigned.crt")
    assert r.returncode == 6, r.stderr
    assert headline(doc).startswith('the certificate "CN=nsstls Test Self-Signed,'), \
        headline(doc)
    assert not [f for f in doc["findings"] if "server" in f["text"]], doc["findings"]


# ---- days left: once, from the verification time ------------------------------

def test_days_left_agree_between_text_and_json_at_attime(nsstls):
    r, doc = print_cert_json(nsstls, "expired-chain.pem", "--ca-file", ROOTS,
                             "--attime", "2020-07-01")
    assert [c["days_left"] for c in doc["certificates"]["sent"]] == [184, 10775], doc
    text = print_cert(nsstls, "expired-chain.pem", "--ca-file", ROOTS,
                      "--attime", "2020-07-01").stderr
    assert "(184 days left)" in text and "(10775 days left)" in text, text


# ---- no explanation contradicts its verdict ----------------------------------

FIXTURES = Path(peers.fixture("roots.pem")).parent
# The trust a chain is meant for (default: roots.pem).
TRUST = {
    "rollover": "rollover-old-root.crt", "selfissued": "rollover-old-root.crt",
    "exproot": "exproot-root.crt", "server-unknown": "unknown-root.crt",
}


def chain_files():
    names = sorted(p.name for p in FIXTURES.glob("*-chain.pem"))
    names += sorted(p.name for p in FIXTURES.glob("*.crt"))
    return names


def trust_for(name):
    stem = name.removesuffix("-chain.pem").removesuffix(".crt")
    return fixture(TRUST.get(stem, "roots.pem"))


def assert_consistent(r, doc, where):
    v = doc["verification"]
    assert v is not None, where
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    if v["ok"]:
        assert errors == [], (where, v["headline"], errors)
        assert r.returncode == 0, (where, r.stderr)
    else:
        assert r.returncode == 6, (where, r.returncode, r.stderr)
        assert v["error"] is not None and v["error"]["name"] in v["headline"], (where, v)
    assert v["headline"], where


@pytest.mark.parametrize("when", [(), AT_2030, ("--attime", "2020-07-01")],
                         ids=["now", "2030", "2020"])
@pytest.mark.parametrize("name", chain_files())
def test_every_fixture_chain_verdict_agrees_with_its_findings(nsstls, name, when):
    """Chains are checked as a server's (--verify-name); single certificates
    as what they are (a CA file is verified as a CA)."""
    named = ("--verify-name", "localhost") if name.endswith("-chain.pem") else ()
    r = nsstls("--no-builtin-roots", "--ca-file", trust_for(name), *when, "--print-cert",
               fixture(name), *named, "--json")
    doc = json_document(r)
    where = f"{name} {' '.join(when)}"
    assert_consistent(r, doc, where)
    # Offline, there is no server to speak of.
    for f in doc["findings"]:
        assert "the server" not in f["text"], (where, f)
    assert "the server" not in doc["verification"]["headline"], where


SERVED = [
    ("server-rsa", "int-rsa.crt", ()), ("expired", "int-rsa.crt", ()),
    ("selfsigned", None, ()), ("muststaple", "int-rsa.crt", ()),
    ("server-unknown", "unknown-int.crt", ()), ("server-rsa", None, ()),
    ("rollover-server", "rollover-new-root.crt", ("--ca-file", "rollover-old-root.crt")),
    ("ca-leaf", "int-rsa.crt", ()), ("expint", "expint-int.crt", AT_2030),
    ("wronghost", "int-rsa.crt", ()), ("badku", "int-rsa.crt", ()),
    ("server-notca", "server-notca-chain.pem", ()),
]


@pytest.mark.parametrize("leaf,chain,extra", SERVED,
                         ids=[f"{s[0]}-{'chain' if s[1] else 'alone'}" for s in SERVED])
def test_every_served_verdict_agrees_with_its_findings(nsstls, openssl_server, leaf, chain,
                                                       extra):
    srv = openssl_server(f"{leaf}.crt", f"{leaf}.key", chain=chain)
    extra = tuple(fixture(a) if a.endswith(".crt") else a for a in extra)
    trust = extra if "--ca-file" in extra else ("--ca-file", ROOTS) + extra
    r = nsstls(*BOUNDED, "--no-builtin-roots", *trust, "--json", f"localhost:{srv.port}")
    assert_consistent(r, json_document(r), leaf)


@pytest.mark.parametrize("chain,words", [
    ("weak-rsa-chain.pem", 'certificate [0] "CN=nsstls Test Server Weak RSA 1024,O=nsstls '
                           'tests" has a weak 1024-bit RSA key (SSL_ERROR_WEAK_SERVER_CERT_KEY)'),
    ("sha1-chain.pem", 'certificate [0] "CN=nsstls Test Server SHA-1 Signature,O=nsstls '
                       'tests" is signed with PKCS #1 SHA-1 With RSA Encryption, which is not '
                       'accepted (SEC_ERROR_CERT_SIGNATURE_ALGORITHM_DISABLED)'),
], ids=["weak-key", "sha1"])
def test_policy_failures_name_the_certificate(nsstls, chain, words):
    """The strict policy's errors, by depth: the certificate and its key or
    signature algorithm."""
    r, doc = print_cert_json(nsstls, chain, "--ca-file", ROOTS)
    assert r.returncode == 6, r.stderr
    assert headline(doc) == words, headline(doc)
