"""Chain findings (issue 3): every finding id is drawn by a certificate made
for it, served by a real openssl s_server, and is absent on a good chain.

Findings are read from --json (findings[].id, plus key words of the text);
nothing else about the JSON document is checked here.  Exit codes are
asserted where the expected verdict is clear: findings explain, they do not
change the verdict, which is NSS's (man page, "Findings") — so a chain NSS
itself rejects (tstclnt, see test_fixtures_issue3.py) must exit 6, and one
NSS accepts exits 0 even when a finding is an error.
"""

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest

import peers
from peers import BOUNDED, ROOTS, SECLEVEL0, fixture, finding_ids, findings_with, report_doc

CA = ("--ca-file", ROOTS)

INT_RSA = "CN=nsstls Test Intermediate RSA,O=nsstls tests"
SERVER_RSA_AIA = "http://127.0.0.1:1/int-rsa.crt"


def connect(nsstls, srv, *args):
    """nsstls --json against srv, trusting roots.pem; (result, document)."""
    r = nsstls(*BOUNDED, *CA, "--no-data", "--json", *args, f"localhost:{srv.port}")
    assert r.stdout.startswith("{"), (r.returncode, r.stdout, r.stderr)
    return r, report_doc(r)


def connect_text(nsstls, srv, *args):
    """nsstls with the text report (on stderr)."""
    return nsstls(*BOUNDED, *CA, "--no-data", *args, f"localhost:{srv.port}")


def one(doc, fid):
    found = findings_with(doc, fid)
    assert len(found) == 1, f"expected one {fid} finding, got {doc['findings']}"
    return found[0]


def serious(doc):
    """The error and warning findings of a report."""
    return [f for f in doc["findings"] if f["severity"] in ("error", "warning")]


def cert_dates(cert):
    out = subprocess.run(["openssl", "x509", "-in", fixture(cert), "-noout", "-startdate",
                          "-enddate", "-dateopt", "iso_8601"],
                         capture_output=True, text=True, check=True).stdout
    start = re.search(r"notBefore=(\S+ \S+)", out).group(1)
    end = re.search(r"notAfter=(\S+ \S+)", out).group(1)
    parse = lambda s: dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    return parse(start), parse(end)


def now():
    return dt.datetime.now(dt.timezone.utc)


# ---- a good chain draws no error or warning ---------------------------------

def test_short_lived_good_chain_has_no_errors_or_warnings(nsstls, openssl_server, make_leaf):
    leaf = make_leaf(days=90)
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r, doc = connect(nsstls, srv)
    assert r.returncode == 0, r.stderr
    assert serious(doc) == [], doc["findings"]
    assert "long-validity" not in finding_ids(doc)
    assert finding_ids(doc) == []


def test_short_lived_good_chain_text_says_findings_none(nsstls, openssl_server, make_leaf):
    leaf = make_leaf(days=90)
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r = connect_text(nsstls, srv)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^Findings: none$", r.stderr, re.M), r.stderr


def test_committed_good_chain_has_only_the_long_validity_note(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt")
    r, doc = connect(nsstls, srv)
    assert r.returncode == 0, r.stderr
    assert finding_ids(doc) == ["long-validity"], doc["findings"]
    f = one(doc, "long-validity")
    assert f["severity"] == "note"          # a private CA: only a note
    start, end = cert_dates("server-rsa.crt")
    assert f"valid for {(end - start).days} days" in f["text"], f["text"]
    assert "398" in f["text"]


def test_committed_good_chain_text_finding_line(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt")
    r = connect_text(nsstls, srv)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^Findings \(1\):\n  note    long-validity: the certificate is valid "
                     r"for \d+ days", r.stderr, re.M), r.stderr


# ---- name-mismatch -----------------------------------------------------------

def test_name_mismatch_lists_the_names_of_the_certificate(nsstls, openssl_server):
    srv = openssl_server("wronghost.crt", "wronghost.key", chain="int-rsa.crt")
    r, doc = connect(nsstls, srv)
    assert r.returncode == 6, r.stderr
    f = one(doc, "name-mismatch")
    assert f["severity"] == "error"
    assert '"localhost"' in f["text"] and "DNS:wrong.example" in f["text"], f["text"]
    assert "SNI" not in f["text"]           # the SNI was the verified name


def test_name_mismatch_lists_every_name(nsstls, openssl_server, make_leaf):
    leaf = make_leaf(sans=("DNS:a.example", "DNS:b.example", "IP:10.0.0.1"))
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r, doc = connect(nsstls, srv)
    assert r.returncode == 6, r.stderr
    text = one(doc, "name-mismatch")["text"]
    for name in ("DNS:a.example", "DNS:b.example", "IP:10.0.0.1"):
        assert name in text, text


def test_name_mismatch_without_sans_names_the_subject(nsstls, openssl_server, make_leaf):
    leaf = make_leaf(cn="other.example", sans=())
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r, doc = connect(nsstls, srv)
    assert r.returncode == 6, r.stderr
    text = one(doc, "name-mismatch")["text"]
    assert "CN=other.example" in text, text


def test_name_mismatch_says_the_sni_differed(nsstls, openssl_server):
    srv = openssl_server("wronghost.crt", "wronghost.key", chain="int-rsa.crt")
    r, doc = connect(nsstls, srv, "--servername", "localhost", "--verify-name", "other.example")
    assert r.returncode == 6, r.stderr
    text = one(doc, "name-mismatch")["text"]
    assert '"other.example"' in text and "DNS:wrong.example" in text, text
    assert re.search(r"SNI sent was a different name", text), text


def test_no_name_mismatch_when_the_verified_name_matches(nsstls, openssl_server):
    srv = openssl_server("wronghost.crt", "wronghost.key", chain="int-rsa.crt")
    r, doc = connect(nsstls, srv, "--verify-name", "wrong.example")
    assert r.returncode == 0, r.stderr
    assert "name-mismatch" not in finding_ids(doc)


# ---- missing-intermediate, unknown-issuer, --aia-fetch ----------------------

def test_missing_intermediate_names_issuer_and_aia_url(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key")        # the leaf alone
    r, doc = connect(nsstls, srv)
    assert r.returncode == 6, r.stderr
    f = one(doc, "missing-intermediate")
    assert f["severity"] == "error"
    assert INT_RSA in f["text"] and SERVER_RSA_AIA in f["text"], f["text"]
    assert "unknown-issuer" not in finding_ids(doc)
    assert "aia-fetch" not in finding_ids(doc)          # not asked for


def test_aia_fetch_would_verify(nsstls, openssl_server, make_leaf, http_server):
    http = http_server({"/int-rsa.der": peers.der_of("int-rsa.crt")})
    url = http.url_for("/int-rsa.der")
    leaf = make_leaf(extensions=f"authorityInfoAccess = caIssuers;URI:{url}")
    srv = openssl_server(leaf.cert, leaf.key)           # no intermediate sent
    r, doc = connect(nsstls, srv, "--aia-fetch")
    assert r.returncode == 6, r.stderr                  # the verdict stays
    assert url in one(doc, "missing-intermediate")["text"]
    f = one(doc, "aia-fetch")
    assert f["severity"] == "note"
    assert "with it the chain would verify" in f["text"], f["text"]
    assert INT_RSA in f["text"] and url in f["text"], f["text"]
    assert http.paths() == ["/int-rsa.der"]


def test_aia_url_is_not_fetched_without_the_option(nsstls, openssl_server, make_leaf,
                                                   http_server):
    http = http_server({"/int-rsa.der": peers.der_of("int-rsa.crt")})
    leaf = make_leaf(extensions="authorityInfoAccess = caIssuers;URI:"
                                + http.url_for("/int-rsa.der"))
    srv = openssl_server(leaf.cert, leaf.key)
    r, doc = connect(nsstls, srv)
    assert r.returncode == 6, r.stderr
    assert "aia-fetch" not in finding_ids(doc)
    assert http.paths() == []


def test_aia_fetch_404_says_the_fetch_failed(nsstls, openssl_server, make_leaf, http_server):
    http = http_server({"/int-rsa.der": 404})
    url = http.url_for("/int-rsa.der")
    leaf = make_leaf(extensions=f"authorityInfoAccess = caIssuers;URI:{url}")
    srv = openssl_server(leaf.cert, leaf.key)
    r, doc = connect(nsstls, srv, "--aia-fetch")
    assert r.returncode == 6, r.stderr
    text = one(doc, "aia-fetch")["text"]
    assert "404" in text and url in text, text
    assert "would verify" not in text
    assert http.paths() == ["/int-rsa.der"]


def test_aia_fetch_of_something_else_than_a_certificate(nsstls, openssl_server, make_leaf,
                                                        http_server):
    http = http_server({"/int-rsa.der": b"this is not a certificate\n"})
    leaf = make_leaf(extensions="authorityInfoAccess = caIssuers;URI:"
                                + http.url_for("/int-rsa.der"))
    srv = openssl_server(leaf.cert, leaf.key)
    r, doc = connect(nsstls, srv, "--aia-fetch")
    assert r.returncode == 6, r.stderr
    text = one(doc, "aia-fetch")["text"]
    assert "not serve a certificate" in text and "would verify" not in text, text


def test_aia_fetch_sends_the_port_in_the_host_header(nsstls, openssl_server, make_leaf,
                                                     http_server):
    # RFC 9110 7.2: Host is the authority of the URI, port included when it
    # is not the scheme's default.
    http = http_server({"/int-rsa.der": peers.der_of("int-rsa.crt")})
    leaf = make_leaf(extensions="authorityInfoAccess = caIssuers;URI:"
                                + http.url_for("/int-rsa.der"))
    srv = openssl_server(leaf.cert, leaf.key)
    connect(nsstls, srv, "--aia-fetch")
    assert len(http.requests) == 1
    assert http.requests[0].headers.get("Host") == f"127.0.0.1:{http.port}", \
        http.requests[0].headers


def test_unknown_issuer(nsstls, openssl_server):
    srv = openssl_server("server-unknown.crt", "server-unknown.key",
                         chain="server-unknown-chain.pem")
    r, doc = connect(nsstls, srv)
    assert r.returncode == 6, r.stderr
    f = one(doc, "unknown-issuer")
    assert f["severity"] == "error"
    assert "nsstls Test Unknown Intermediate" in f["text"], f["text"]
    assert "CN=nsstls Test Unknown Root,O=nsstls tests" in f["text"], f["text"]
    assert "missing-intermediate" not in finding_ids(doc)
    assert "untrusted-root" not in finding_ids(doc)


# ---- the list the server sent: wrong-order, root-sent, unused-certificate ---

def test_wrong_order_root_before_intermediate(nsstls, openssl_server, tmp_path):
    chain = peers.pem_bundle(tmp_path / "chain.pem", "root-rsa.crt", "int-rsa.crt")
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain=chain)
    r, doc = connect(nsstls, srv)
    assert r.returncode == 0, r.stderr      # NSS sorts it out
    f = one(doc, "wrong-order")
    assert f["severity"] == "warning"
    assert "[0]" in f["text"] and "[2]" in f["text"], f["text"]
    assert "root-sent" in finding_ids(doc)
    assert "unused-certificate" not in finding_ids(doc)


def test_wrong_order_stranger_before_intermediate(nsstls, openssl_server, tmp_path):
    chain = peers.pem_bundle(tmp_path / "chain.pem", "unknown-int.crt", "int-rsa.crt")
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain=chain)
    r, doc = connect(nsstls, srv)
    assert r.returncode == 0, r.stderr
    assert "wrong-order" in finding_ids(doc), doc["findings"]
    unused = one(doc, "unused-certificate")
    assert "nsstls Test Unknown Intermediate" in unused["text"], unused["text"]


def test_root_sent(nsstls, openssl_server, tmp_path):
    chain = peers.pem_bundle(tmp_path / "chain.pem", "int-rsa.crt", "root-rsa.crt")
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain=chain)
    r, doc = connect(nsstls, srv)
    assert r.returncode == 0, r.stderr
    f = one(doc, "root-sent")
    assert f["severity"] == "note"
    assert "CN=nsstls Test Root RSA,O=nsstls tests" in f["text"], f["text"]
    assert "wrong-order" not in finding_ids(doc)
    assert "unused-certificate" not in finding_ids(doc)


@pytest.mark.parametrize("stranger,subject", [
    ("unknown-int.crt", "nsstls Test Unknown Intermediate"),
    ("int-ec.crt", "nsstls Test Intermediate EC"),
])
def test_unused_certificate(nsstls, openssl_server, tmp_path, stranger, subject):
    chain = peers.pem_bundle(tmp_path / "chain.pem", "int-rsa.crt", stranger)
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain=chain)
    r, doc = connect(nsstls, srv)
    assert r.returncode == 0, r.stderr
    f = one(doc, "unused-certificate")
    assert f["severity"] == "warning"
    assert subject in f["text"] and "[2]" in f["text"], f["text"]
    assert "wrong-order" not in finding_ids(doc)


def test_good_chain_has_no_order_findings(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt")
    r, doc = connect(nsstls, srv)
    for fid in ("wrong-order", "root-sent", "unused-certificate"):
        assert fid not in finding_ids(doc)


# ---- validity: expired, not-yet-valid, expires-soon, --attime ----------------

def test_expired(nsstls, openssl_server):
    srv = openssl_server("expired.crt", "expired.key", chain="int-rsa.crt")
    before = (now() - cert_dates("expired.crt")[1]).days
    r, doc = connect(nsstls, srv)
    after = (now() - cert_dates("expired.crt")[1]).days
    assert r.returncode == 6, r.stderr
    f = one(doc, "expired")
    assert f["severity"] == "error"
    assert "nsstls Test Server Expired" in f["text"] and "2021-01-01" in f["text"], f["text"]
    days = int(re.search(r"(\d+) days ago", f["text"]).group(1))
    assert days in (before, after), f["text"]
    assert "expires-soon" not in finding_ids(doc)


def test_expired_days_agree_between_validity_line_and_finding(nsstls, openssl_server):
    # Both count whole days since notAfter: the "Valid ... (EXPIRED N days
    # ago)" line of the certificate and the finding must give the same N.
    srv = openssl_server("expired.crt", "expired.key", chain="int-rsa.crt")
    r = connect_text(nsstls, srv)
    line = re.search(r"\(EXPIRED (\d+) days ago\)", r.stderr)
    finding = re.search(r"expired: .* (\d+) days ago$", r.stderr, re.M)
    assert line and finding, r.stderr
    assert line.group(1) == finding.group(1), (line.group(0), finding.group(0))


def test_not_yet_valid(nsstls, openssl_server):
    srv = openssl_server("notyet.crt", "notyet.key", chain="int-rsa.crt")
    r, doc = connect(nsstls, srv)
    left = (cert_dates("notyet.crt")[0] - now()).total_seconds() / 86400
    assert r.returncode == 6, r.stderr
    f = one(doc, "not-yet-valid")
    assert f["severity"] == "error"
    assert "2040-01-01" in f["text"], f["text"]
    days = int(re.search(r"in (\d+) days", f["text"]).group(1))
    assert int(left) <= days <= int(left) + 1, f["text"]
    assert "expired" not in finding_ids(doc)


def test_expired_fixture_verifies_at_a_time_it_was_valid(nsstls, openssl_server):
    srv = openssl_server("expired.crt", "expired.key", chain="int-rsa.crt")
    r, doc = connect(nsstls, srv, "--attime", "2020-06-15")
    assert r.returncode == 0, r.stderr
    assert "expired" not in finding_ids(doc)
    assert serious(doc) == [], doc["findings"]


def test_attime_counts_days_from_that_time(nsstls, openssl_server):
    srv = openssl_server("expired.crt", "expired.key", chain="int-rsa.crt")
    r, doc = connect(nsstls, srv, "--attime", "2021-06-01")
    assert r.returncode == 6, r.stderr
    assert "expired on 2021-01-01, 151 days ago" in one(doc, "expired")["text"]


def test_notyet_fixture_verifies_at_a_time_it_is_valid(nsstls, openssl_server):
    srv = openssl_server("notyet.crt", "notyet.key", chain="int-rsa.crt")
    r, doc = connect(nsstls, srv, "--attime", "2045-01-01")
    assert r.returncode == 0, r.stderr
    assert "not-yet-valid" not in finding_ids(doc)


def test_not_yet_valid_days_at_attime(nsstls, openssl_server):
    # 2039-12-01 00:00 to 2040-01-01 00:00 is exactly 31 days.
    srv = openssl_server("notyet.crt", "notyet.key", chain="int-rsa.crt")
    r, doc = connect(nsstls, srv, "--attime", "2039-12-01")
    assert r.returncode == 6, r.stderr
    text = one(doc, "not-yet-valid")["text"]
    assert "not valid before 2040-01-01, in 31 days" in text, text


def test_attime_expires_soon(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt")
    r, doc = connect(nsstls, srv, "--attime", "2049-12-20")
    assert r.returncode == 0, r.stderr
    text = one(doc, "expires-soon")["text"]
    assert "2049-12-31" in text and "in 11 days" in text, text


def test_expires_soon(nsstls, openssl_server, make_leaf):
    leaf = make_leaf(days=10)
    end = cert_dates(leaf.cert)[1]
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r, doc = connect(nsstls, srv)
    assert r.returncode == 0, r.stderr
    f = one(doc, "expires-soon")
    assert f["severity"] == "warning"
    assert end.strftime("%Y-%m-%d") in f["text"], f["text"]
    assert re.search(r"in (9|10) days", f["text"]), f["text"]
    assert "--warn-days 30" in f["text"], f["text"]
    r, doc = connect(nsstls, srv, "--warn-days", "5")
    assert r.returncode == 0, r.stderr
    assert "expires-soon" not in finding_ids(doc)
    r, doc = connect(nsstls, srv, "--warn-days", "20")
    assert "--warn-days 20" in one(doc, "expires-soon")["text"]
    r, doc = connect(nsstls, srv, "--warn-days", "0")          # 0: off
    assert "expires-soon" not in finding_ids(doc)


def test_expires_soon_default_is_30_days(nsstls, openssl_server, make_leaf):
    leaf = make_leaf(days=35)
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r, doc = connect(nsstls, srv)
    assert r.returncode == 0, r.stderr
    assert "expires-soon" not in finding_ids(doc)
    r, doc = connect(nsstls, srv, "--warn-days", "40")
    assert "expires-soon" in finding_ids(doc)


def test_validity_line_follows_attime(nsstls, openssl_server):
    # man: with --attime "the validity periods ... and the findings all use
    # it": a certificate valid at that time is not shown as EXPIRED.
    srv = openssl_server("expired.crt", "expired.key", chain="int-rsa.crt")
    r = connect_text(nsstls, srv, "--attime", "2020-06-15")
    assert r.returncode == 0, r.stderr
    assert "Verification: OK" in r.stderr
    assert "EXPIRED" not in r.stderr, r.stderr


# ---- the end of the chain: self-signed, untrusted-root ----------------------

def test_self_signed(nsstls, openssl_server):
    srv = openssl_server("selfsigned.crt", "selfsigned.key")
    r, doc = connect(nsstls, srv)
    assert r.returncode == 6, r.stderr
    f = one(doc, "self-signed")
    assert f["severity"] == "error"
    for fid in ("untrusted-root", "missing-intermediate", "unknown-issuer"):
        assert fid not in finding_ids(doc)


def test_self_signed_made_now(nsstls, openssl_server, make_leaf):
    leaf = make_leaf(issuer="self")
    srv = openssl_server(leaf.cert, leaf.key)
    r, doc = connect(nsstls, srv)
    assert r.returncode == 6, r.stderr
    assert "self-signed" in finding_ids(doc)


def test_untrusted_root(nsstls, openssl_server, tmp_path):
    chain = peers.pem_bundle(tmp_path / "chain.pem", "unknown-int.crt", "unknown-root.crt")
    srv = openssl_server("server-unknown.crt", "server-unknown.key", chain=chain)
    r, doc = connect(nsstls, srv)
    assert r.returncode == 6, r.stderr
    f = one(doc, "untrusted-root")
    assert f["severity"] == "error"
    assert "CN=nsstls Test Unknown Root,O=nsstls tests" in f["text"], f["text"]
    assert "unknown-issuer" not in finding_ids(doc)
    assert "self-signed" not in finding_ids(doc)


# ---- CA constraints: not-a-ca, path-length -----------------------------------

def test_not_a_ca(nsstls, openssl_server):
    # The server sends leaf + notca-int; notca-int (CA:FALSE) issued the leaf.
    srv = openssl_server("server-notca.crt", "server-notca.key", chain="server-notca-chain.pem")
    r, doc = connect(nsstls, srv)
    assert r.returncode == 6, r.stderr          # NSS: SEC_ERROR_UNKNOWN_ISSUER
    f = one(doc, "not-a-ca")
    assert f["severity"] == "error"
    assert "nsstls Test Not-CA Intermediate" in f["text"], f["text"]
    # It was sent: it is not missing, and it is part of the chain.
    assert "missing-intermediate" not in finding_ids(doc), doc["findings"]
    assert "unused-certificate" not in finding_ids(doc), doc["findings"]


def test_not_a_ca_made_now(nsstls, openssl_server, make_leaf):
    leaf = make_leaf(issuer="notca-int", days=90)
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r, doc = connect(nsstls, srv)
    assert r.returncode == 6, r.stderr
    assert "not-a-ca" in finding_ids(doc), doc["findings"]


def test_path_length(nsstls, openssl_server):
    srv = openssl_server("server-pathlen.crt", "server-pathlen.key",
                         chain="server-pathlen-chain.pem")
    r, doc = connect(nsstls, srv)
    f = one(doc, "path-length")
    assert f["severity"] == "error"
    assert "nsstls Test Intermediate Pathlen 0" in f["text"], f["text"]
    # NSS rejects this chain (SEC_ERROR_PATH_LEN_CONSTRAINT_INVALID, see
    # test_nss_verdict_on_certificates), so the verdict is a failure.
    assert r.returncode == 6, (r.returncode, doc["verification"], r.stderr)
    assert doc["verification"]["ok"] is False


def test_path_length_made_now(nsstls, openssl_server, make_leaf):
    leaf = make_leaf(issuer="sub-int", days=90)
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r, doc = connect(nsstls, srv)
    assert "path-length" in finding_ids(doc), doc["findings"]
    assert r.returncode == 6, (r.returncode, doc["verification"])


def test_good_chain_has_no_ca_findings(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt")
    r, doc = connect(nsstls, srv)
    assert "not-a-ca" not in finding_ids(doc) and "path-length" not in finding_ids(doc)


# ---- strength: weak-key, weak-signature ---------------------------------------

def test_weak_key_rsa_1024(nsstls, openssl_server):
    srv = openssl_server("weak-rsa.crt", "weak-rsa.key", chain="int-rsa.crt", args=SECLEVEL0)
    r, doc = connect(nsstls, srv)
    f = one(doc, "weak-key")
    assert f["severity"] == "error"
    assert "1024" in f["text"] and "RSA" in f["text"], f["text"]
    # NSS accepts RSA 1024; the strict default policy does not.
    assert r.returncode == 6, r.stderr
    assert doc["verification"]["error"]["name"] == "SSL_ERROR_WEAK_SERVER_CERT_KEY", doc["verification"]
    r, doc = connect(nsstls, srv, "--allow-weak")
    assert r.returncode == 0, r.stderr
    assert one(doc, "weak-key")["severity"] == "warning"
    assert doc["policy"] == "allow-weak"


def test_weak_key_made_now(nsstls, openssl_server, make_leaf):
    leaf = make_leaf(key="rsa1024")
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain, args=SECLEVEL0)
    r, doc = connect(nsstls, srv)
    assert "weak-key" in finding_ids(doc)


def test_weak_key_in_the_path(nsstls, openssl_server):
    if not Path(fixture("server-ec224int.crt")).exists():
        pytest.skip("no server-ec224int fixture (openssl without P-224)")
    srv = openssl_server("server-ec224int.crt", "server-ec224int.key",
                         chain="server-ec224int-chain.pem")
    r, doc = connect(nsstls, srv)
    f = one(doc, "weak-key")
    assert "224" in f["text"] and "[1]" in f["text"], f["text"]
    # NSS cannot check a P-224 signature: SEC_ERROR_BAD_SIGNATURE.
    assert r.returncode == 6, (r.returncode, doc["verification"], doc["certificates"]["built"])


def test_weak_signature_sha1(nsstls, openssl_server):
    srv = openssl_server("sha1.crt", "sha1.key", chain="int-rsa.crt", args=SECLEVEL0)
    r, doc = connect(nsstls, srv)
    f = one(doc, "weak-signature")
    assert f["severity"] == "error"
    assert "SHA-1" in f["text"], f["text"]
    # NSS accepts SHA-1 here; the strict default policy does not.
    assert r.returncode == 6, r.stderr
    assert doc["verification"]["error"]["name"] == "SEC_ERROR_CERT_SIGNATURE_ALGORITHM_DISABLED"
    assert doc["policy"] == "strict"
    r, doc = connect(nsstls, srv, "--allow-weak")
    assert r.returncode == 0, r.stderr
    assert one(doc, "weak-signature")["severity"] == "warning"


def test_weak_signature_md5(nsstls, openssl_server):
    if not Path(fixture("md5.crt")).exists():
        pytest.skip("no md5 fixture")
    srv = openssl_server("md5.crt", "md5.key", chain="int-rsa.crt", args=SECLEVEL0)
    r, doc = connect(nsstls, srv)
    f = one(doc, "weak-signature")
    assert "MD5" in f["text"], f["text"]
    # NSS refuses MD5 signatures: SEC_ERROR_CERT_SIGNATURE_ALGORITHM_DISABLED.
    assert r.returncode == 6, (r.returncode, doc["verification"], doc["certificates"]["built"])


def test_good_chain_has_no_strength_findings(nsstls, openssl_server):
    # root-rsa is self-signed with SHA-256, int-rsa and server-rsa too; RSA 2048.
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt")
    r, doc = connect(nsstls, srv)
    assert "weak-key" not in finding_ids(doc) and "weak-signature" not in finding_ids(doc)


# ---- usage: key-usage, extended-key-usage -------------------------------------

def test_key_usage(nsstls, openssl_server):
    srv = openssl_server("badku.crt", "badku.key", chain="int-rsa.crt")
    r, doc = connect(nsstls, srv)
    assert r.returncode == 6, r.stderr      # NSS: SEC_ERROR_INADEQUATE_KEY_USAGE
    f = one(doc, "key-usage")
    assert f["severity"] == "error"
    assert "digitalSignature" in f["text"], f["text"]
    assert "extended-key-usage" not in finding_ids(doc)


def test_extended_key_usage(nsstls, openssl_server):
    srv = openssl_server("clientonly.crt", "clientonly.key", chain="int-rsa.crt")
    r, doc = connect(nsstls, srv)
    assert r.returncode == 6, r.stderr      # NSS: SEC_ERROR_INADEQUATE_CERT_TYPE
    f = one(doc, "extended-key-usage")
    assert f["severity"] == "error"
    assert "serverAuth" in f["text"], f["text"]
    assert "key-usage" not in finding_ids(doc)


# ---- long-validity -----------------------------------------------------------

def test_long_validity_is_a_note_for_a_private_ca(nsstls, openssl_server, make_leaf):
    leaf = make_leaf(days=800)
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r, doc = connect(nsstls, srv)
    assert r.returncode == 0, r.stderr
    f = one(doc, "long-validity")
    assert f["severity"] == "note"
    assert "valid for 800 days" in f["text"], f["text"]
    assert serious(doc) == [], doc["findings"]


def test_no_long_validity_at_398_days_or_less(nsstls, openssl_server, make_leaf):
    leaf = make_leaf(days=398)
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r, doc = connect(nsstls, srv)
    assert r.returncode == 0, r.stderr
    assert "long-validity" not in finding_ids(doc)


# ---- must-staple-missing -----------------------------------------------------

def test_must_staple_missing(nsstls, openssl_server):
    srv = openssl_server("muststaple.crt", "muststaple.key", chain="int-rsa.crt")
    r, doc = connect(nsstls, srv)
    f = one(doc, "must-staple-missing")
    assert f["severity"] == "error"
    assert "staple" in f["text"], f["text"]
    # NSS accepts it without a staple, and findings do not change the verdict.
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_must_staple_satisfied(nsstls, openssl_server, version):
    srv = openssl_server("muststaple.crt", "muststaple.key", chain="int-rsa.crt",
                         args=[version, "-status_file", fixture("ocsp-muststaple.der")])
    r, doc = connect(nsstls, srv)
    assert r.returncode == 0, r.stderr
    assert "must-staple-missing" not in finding_ids(doc)
    assert doc["revocation"]["staple"]["status"] == "good"
    assert serious(doc) == [], doc["findings"]


# ---- --brief -----------------------------------------------------------------

def test_brief_prints_errors_and_warnings(nsstls, openssl_server):
    srv = openssl_server("wronghost.crt", "wronghost.key", chain="int-rsa.crt")
    r = connect_text(nsstls, srv, "--brief")
    assert r.returncode == 6, r.stderr
    assert re.search(r'^error: the certificate is not valid for "localhost"; it names '
                     r"DNS:wrong\.example$", r.stderr, re.M), r.stderr
    # notes are left out of the brief report
    assert "long-validity" not in r.stderr and "publicly trusted" not in r.stderr, r.stderr
    assert not re.search(r"^note:", r.stderr, re.M), r.stderr


def test_brief_prints_warnings(nsstls, openssl_server, make_leaf):
    leaf = make_leaf(days=10)
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r = connect_text(nsstls, srv, "--brief")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^warning: the certificate expires on \d{4}-\d\d-\d\d, in \d+ days",
                     r.stderr, re.M), r.stderr


def test_brief_good_chain_has_no_finding_lines(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt")
    r = connect_text(nsstls, srv, "--brief")
    assert r.returncode == 0, r.stderr
    assert not re.search(r"^(error|warning|note):", r.stderr, re.M), r.stderr
