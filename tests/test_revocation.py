"""Revocation and Certificate Transparency (issue 3): stapled OCSP responses
(openssl s_server -status_file), --ocsp / --ocsp-url against openssl ocsp,
--crl-file, and SCTs from the TLS extension (s_server -serverinfo) and from
the certificate.

The text report is read from stderr ("Revocation:", "Signed certificate
timestamps", "Findings", "Verification:"); from --json only the findings'
ids and the revocation / scts members are read (no schema check here).
"""

import datetime as dt
import json
import re
import subprocess

import pytest

import peers
from peers import BOUNDED, ROOTS, fixture, finding_ids, findings_with, report_doc

CA = ("--ca-file", ROOTS)
RESPONDER = "CN=nsstls Test OCSP Responder RSA,O=nsstls tests"
VERSIONS = ["-tls1_2", "-tls1_3"]


def run_json(nsstls, srv, *args):
    r = nsstls(*BOUNDED, *CA, "--no-data", "--json", *args, f"localhost:{srv.port}")
    assert r.stdout.startswith("{"), (r.returncode, r.stdout, r.stderr)
    return r, report_doc(r)


def run_text(nsstls, srv, *args):
    return nsstls(*BOUNDED, *CA, "--no-data", *args, f"localhost:{srv.port}")


def one(doc, fid):
    found = findings_with(doc, fid)
    assert len(found) == 1, f"expected one {fid} finding, got {doc['findings']}"
    return found[0]


def section(text, title):
    """The lines of the report section starting with `title` up to the next
    unindented line."""
    m = re.search(rf"^{re.escape(title)}.*\n(?:[ \t].*\n)*", text, re.M)
    assert m, f"no {title!r} section in:\n{text}"
    return m.group(0)


def stapling(openssl_server, leaf, respfile, version="-tls1_3", args=()):
    status = ["-status_file", fixture(respfile)] if respfile else []
    return openssl_server(f"{leaf}.crt", f"{leaf}.key", chain="int-rsa.crt",
                          args=[version, *status, *args])


def ocsp_next_update(respfile):
    out = subprocess.run(["openssl", "ocsp", "-respin", fixture(respfile), "-resp_text",
                          "-noverify"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"Next Update: (.*)$", out, re.M)
    return dt.datetime.strptime(m.group(1).strip(), "%b %d %H:%M:%S %Y GMT").replace(
        tzinfo=dt.timezone.utc)


# ---- stapled OCSP ---------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_staple_good_text(nsstls, openssl_server, version):
    srv = stapling(openssl_server, "server-rsa", "ocsp-good.der", version)
    r = run_text(nsstls, srv)
    assert r.returncode == 0, r.stderr
    rev = section(r.stderr, "Revocation:")
    assert re.search(r"^  OCSP staple      good$", rev, re.M), rev
    assert re.search(r"^    For this cert  yes$", rev, re.M), rev
    assert re.search(rf"^    Signature      valid, signed by {re.escape(RESPONDER)}$", rev, re.M), rev
    assert re.search(r"^    Updated        .*, next update 2049-", rev, re.M), rev
    assert "STALE" not in rev and "Problem" not in rev, rev
    assert re.search(r'^Verification: OK \(chain trusted, name "localhost" matches\)$',
                     r.stderr, re.M), r.stderr


@pytest.mark.parametrize("version", VERSIONS)
def test_staple_good_json(nsstls, openssl_server, version):
    srv = stapling(openssl_server, "server-rsa", "ocsp-good.der", version)
    r, doc = run_json(nsstls, srv)
    assert r.returncode == 0, r.stderr
    staple = doc["revocation"]["staple"]
    assert staple["status"] == "good"
    assert staple["signature_ok"] is True
    assert staple["for_this_certificate"] is True
    assert staple["next_update"].startswith("2049-")
    assert not [i for i in finding_ids(doc) if i.startswith("ocsp-")], doc["findings"]


def test_staple_signed_by_the_issuer_itself(nsstls, openssl_server):
    srv = stapling(openssl_server, "server-rsa", "ocsp-direct.der")
    r, doc = run_json(nsstls, srv)
    assert r.returncode == 0, r.stderr
    staple = doc["revocation"]["staple"]
    assert staple["status"] == "good" and staple["signature_ok"] is True
    assert "Intermediate RSA" in staple["signer"]
    assert not [i for i in finding_ids(doc) if i.startswith("ocsp-")], doc["findings"]


@pytest.mark.parametrize("version", VERSIONS)
def test_staple_revoked(nsstls, openssl_server, version):
    srv = stapling(openssl_server, "revoked", "ocsp-revoked.der", version)
    r = run_text(nsstls, srv)
    assert r.returncode == 6, r.stderr
    rev = section(r.stderr, "Revocation:")
    assert re.search(r"^  OCSP staple      revoked, revoked 2024-06-01 .*reason keyCompromise$",
                     rev, re.M), rev
    assert re.search(r"^Verification: FAILED: .*revoked.*\(SEC_ERROR_REVOKED_CERTIFICATE\)$",
                     r.stderr, re.M), r.stderr
    r, doc = run_json(nsstls, srv)
    assert r.returncode == 6
    f = one(doc, "ocsp-revoked")
    assert f["severity"] == "error"
    assert "keyCompromise" in f["text"] and "2024-06-01" in f["text"], f["text"]
    staple = doc["revocation"]["staple"]
    assert staple["status"] == "revoked" and staple["revocation_reason"] == "keyCompromise"
    assert doc["verification"]["ok"] is False


def test_staple_revoked_insecure(nsstls, openssl_server):
    srv = stapling(openssl_server, "revoked", "ocsp-revoked.der")
    r, doc = run_json(nsstls, srv, "--insecure")
    assert r.returncode == 0, r.stderr
    assert "ocsp-revoked" in finding_ids(doc)


def test_revoked_leaf_without_revocation_data_verifies(nsstls, openssl_server):
    srv = stapling(openssl_server, "revoked", None)
    r, doc = run_json(nsstls, srv)
    assert r.returncode == 0, r.stderr
    assert "ocsp-revoked" not in finding_ids(doc)


def test_staple_unknown(nsstls, openssl_server):
    srv = stapling(openssl_server, "server-rsa", "ocsp-unknown.der")
    r, doc = run_json(nsstls, srv)
    assert r.returncode == 0, r.stderr
    f = one(doc, "ocsp-unknown")
    assert f["severity"] == "warning"
    assert doc["revocation"]["staple"]["status"] == "unknown"
    assert "ocsp-unusable" not in finding_ids(doc)


def test_staple_about_another_certificate(nsstls, openssl_server):
    srv = stapling(openssl_server, "server-rsa", "ocsp-other.der")
    r, doc = run_json(nsstls, srv)
    assert r.returncode == 0, r.stderr
    f = one(doc, "ocsp-unusable")
    assert f["severity"] == "warning"
    assert "about another certificate" in f["text"], f["text"]
    assert doc["revocation"]["staple"]["for_this_certificate"] is False


def test_staple_about_another_certificate_is_not_shown_as_none(nsstls, openssl_server):
    # "OCSP staple none" means no staple (man: "none, or the status the
    # stapled response gives"); a staple was received here.
    srv = stapling(openssl_server, "server-rsa", "ocsp-other.der")
    r = run_text(nsstls, srv)
    rev = section(r.stderr, "Revocation:")
    assert re.search(r"^    For this cert  NO$", rev, re.M), rev
    assert not re.search(r"^  OCSP staple      none$", rev, re.M), rev


@pytest.mark.parametrize("respfile", ["ocsp-badsig.der", "ocsp-corrupt.der"])
def test_staple_bad_signature(nsstls, openssl_server, respfile):
    srv = stapling(openssl_server, "server-rsa", respfile)
    r, doc = run_json(nsstls, srv)
    assert r.returncode == 0, r.stderr
    f = one(doc, "ocsp-unusable")
    assert "signature" in f["text"], f["text"]
    assert doc["revocation"]["staple"]["signature_ok"] is False
    r = run_text(nsstls, srv)
    rev = section(r.stderr, "Revocation:")
    assert re.search(r"^    Signature      NOT VALID", rev, re.M), rev


def test_staple_stale(nsstls, openssl_server):
    # nextUpdate is one minute after make-certs.sh made it (fixtures README).
    if dt.datetime.now(dt.timezone.utc) < ocsp_next_update("ocsp-stale.der") + dt.timedelta(minutes=5):
        pytest.skip("ocsp-stale.der was made less than 6 minutes ago")
    srv = stapling(openssl_server, "server-rsa", "ocsp-stale.der")
    r, doc = run_json(nsstls, srv)
    assert r.returncode == 0, r.stderr
    f = one(doc, "ocsp-unusable")
    assert "stale" in f["text"], f["text"]
    assert doc["revocation"]["staple"]["stale"] is True
    r = run_text(nsstls, srv)
    assert "(STALE)" in section(r.stderr, "Revocation:")


@pytest.mark.parametrize("version", VERSIONS)
def test_no_staple(nsstls, openssl_server, version):
    srv = stapling(openssl_server, "server-rsa", None, version)
    r = run_text(nsstls, srv)
    assert r.returncode == 0, r.stderr
    rev = section(r.stderr, "Revocation:")
    assert re.search(r"^  OCSP staple      none$", rev, re.M), rev
    assert "OCSP responder" not in rev                # not asked
    r, doc = run_json(nsstls, srv)
    assert doc["revocation"]["staple"] is None
    assert not [i for i in finding_ids(doc) if i.startswith("ocsp-")], doc["findings"]


def test_staple_dated_after_attime_is_unusable(nsstls, openssl_server):
    # ocsp-good.der's thisUpdate is when make-certs.sh ran (after 2025).
    srv = stapling(openssl_server, "server-rsa", "ocsp-good.der")
    r, doc = run_json(nsstls, srv, "--attime", "2025-01-01")
    assert r.returncode == 0, r.stderr
    assert "future" in one(doc, "ocsp-unusable")["text"]


def test_staple_revoked_after_attime(nsstls, openssl_server):
    # --attime 2024-03-01: the revocation (2024-06-01) had not happened yet,
    # and the response (made at fixture time) is dated in the future.
    srv = stapling(openssl_server, "revoked", "ocsp-revoked.der")
    r, doc = run_json(nsstls, srv, "--attime", "2024-03-01")
    assert "ocsp-revoked" not in finding_ids(doc), doc["findings"]
    assert r.returncode == 0, (r.returncode, doc["verification"])


# ---- --ocsp, --ocsp-url ----------------------------------------------------------

def test_ocsp_url_good(nsstls, openssl_server, ocsp_responder):
    resp = ocsp_responder()
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         )
    r, doc = run_json(nsstls, srv, "--ocsp-url", resp.url)
    assert r.returncode == 0, r.stderr
    ocsp = doc["revocation"]["ocsp"]
    assert ocsp["status"] == "good" and ocsp["signature_ok"] is True
    assert ocsp["for_this_certificate"] is True and ocsp["url"] == resp.url
    assert not [i for i in finding_ids(doc) if i.startswith("ocsp-")], doc["findings"]
    assert len(resp.request_lines()) == 1, resp.log()
    r = run_text(nsstls, srv, "--ocsp-url", resp.url)
    rev = section(r.stderr, "Revocation:")
    assert re.search(rf"^  OCSP responder   good from {re.escape(resp.url)}$", rev, re.M), rev


def test_ocsp_url_revoked(nsstls, openssl_server, ocsp_responder):
    resp = ocsp_responder()
    srv = openssl_server("revoked.crt", "revoked.key", chain="int-rsa.crt",
                         )
    r, doc = run_json(nsstls, srv, "--ocsp-url", resp.url)
    assert r.returncode == 6, r.stderr
    f = one(doc, "ocsp-revoked")
    assert "responder" in f["text"] and "keyCompromise" in f["text"], f["text"]
    assert doc["revocation"]["ocsp"]["status"] == "revoked"
    r, doc = run_json(nsstls, srv, "--ocsp-url", resp.url, "--insecure")
    assert r.returncode == 0, r.stderr


def test_ocsp_from_the_certificate(nsstls, openssl_server, ocsp_responder, make_leaf,
                                   tmp_path):
    good, bad = 0x4E57_1500_0000_0001, 0x4E57_1500_0000_0002
    index = tmp_path / "index.txt"
    peers.write_ocsp_index(index, good=[good], revoked=[bad])
    resp = ocsp_responder(index=str(index))
    aia = f"authorityInfoAccess = OCSP;URI:{resp.url}"
    leaf = make_leaf(serial=good, extensions=aia)
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r, doc = run_json(nsstls, srv, "--ocsp")
    assert r.returncode == 0, r.stderr
    assert doc["revocation"]["ocsp"]["status"] == "good"
    assert doc["revocation"]["ocsp"]["url"] == resp.url
    revoked = make_leaf(serial=bad, extensions=aia)
    srv = openssl_server(revoked.cert, revoked.key, chain=revoked.chain)
    r, doc = run_json(nsstls, srv, "--ocsp")
    assert r.returncode == 6, r.stderr
    assert "ocsp-revoked" in finding_ids(doc)
    assert len(resp.request_lines()) == 2, resp.log()


def test_ocsp_is_not_asked_without_the_option(nsstls, openssl_server, ocsp_responder,
                                              make_leaf, tmp_path):
    serial = 0x4E57_1500_0000_0003
    index = tmp_path / "index.txt"
    peers.write_ocsp_index(index, revoked=[serial])
    resp = ocsp_responder(index=str(index))
    leaf = make_leaf(serial=serial, extensions=f"authorityInfoAccess = OCSP;URI:{resp.url}")
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r, doc = run_json(nsstls, srv)
    assert r.returncode == 0, r.stderr
    assert doc["revocation"]["ocsp"] is None
    assert resp.request_lines() == []


def test_ocsp_url_overrides_the_certificate(nsstls, openssl_server, ocsp_responder,
                                            make_leaf, tmp_path, closed_port):
    serial = 0x4E57_1500_0000_0004
    index = tmp_path / "index.txt"
    peers.write_ocsp_index(index, revoked=[serial])
    resp = ocsp_responder(index=str(index))
    leaf = make_leaf(serial=serial, extensions="authorityInfoAccess = "
                     f"OCSP;URI:http://127.0.0.1:{closed_port}/")
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r, doc = run_json(nsstls, srv, "--ocsp-url", resp.url)
    assert r.returncode == 6, r.stderr
    assert doc["revocation"]["ocsp"]["url"] == resp.url
    assert doc["revocation"]["ocsp"]["status"] == "revoked"


def test_ocsp_responder_refuses(nsstls, openssl_server, closed_port):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt")
    url = f"http://127.0.0.1:{closed_port}/"
    r, doc = run_json(nsstls, srv, "--ocsp-url", url)
    assert r.returncode == 0, r.stderr
    f = one(doc, "ocsp-unusable")
    assert f["severity"] == "warning"
    assert doc["revocation"]["ocsp"]["url"] == url
    assert doc["revocation"]["ocsp"]["status"] != "good"


def test_ocsp_without_a_responder_in_the_certificate(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt")
    r, doc = run_json(nsstls, srv, "--ocsp")
    assert r.returncode == 0, r.stderr
    assert "--ocsp-url" in one(doc, "ocsp-unusable")["text"]


# ---- --crl-file --------------------------------------------------------------------

REVOKED = dict(cert="revoked.crt", key="revoked.key", chain="int-rsa.crt")
GOOD = dict(cert="server-rsa.crt", key="server-rsa.key", chain="int-rsa.crt")
BUNDLES = ["crl-bundle.pem", "crl-bundle-reverse.pem"]
INT_ISSUER = "CN=nsstls Test Intermediate RSA,O=nsstls tests"


def crl_args(*files):
    return [a for f in files for a in ("--crl-file", fixture(f))]


def statuses(doc):
    """Per built certificate: the revocation status word."""
    certs = doc["revocation"]["certificates"]
    assert [c["certificate"] for c in certs] == list(range(len(certs))), certs
    return [c["status"] for c in certs]


def cert_line(text, i):
    m = re.search(rf"^  Certificate \[{i}\]  (.*)$", section(text, "Revocation:"), re.M)
    assert m, text
    return m.group(1)


def check_line(r, code, status):
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    line = r.stdout.splitlines()[0]
    assert line.startswith(f"TLS {status} - "), line
    return line


@pytest.mark.parametrize("crl", ["crl-int-rsa.pem", "crl-int-rsa.der"])
def test_crl_does_not_list_the_chain(nsstls, openssl_server, crl):
    srv = openssl_server(**GOOD)
    r = run_text(nsstls, srv, "--crl-file", fixture(crl))
    assert r.returncode == 0, r.stderr
    rev = section(r.stderr, "Revocation:")
    assert re.search(r"^  CRL              .*" + re.escape(crl)
                     + r": certificate \[0\] not listed \(issuer " + re.escape(INT_ISSUER),
                     rev, re.M), rev
    assert cert_line(r.stderr, 0) == f"good (CRL {fixture(crl)})"
    assert cert_line(r.stderr, 1) == "not checked (no revocation source covers it)"
    assert cert_line(r.stderr, 2) == "not checked (trust anchor)"
    r, doc = run_json(nsstls, srv, "--crl-file", fixture(crl))
    peers.validate_json(doc)
    assert not [i for i in finding_ids(doc) if i.startswith("crl-")], doc["findings"]
    (entry,) = doc["revocation"]["crls"]
    assert entry["signature_ok"] is True and entry["revoked_certificate"] is None
    assert entry["usable"] is True and entry["certificate"] == 0
    assert statuses(doc) == ["good", "not_checked", "not_checked"]


@pytest.mark.parametrize("crl", ["crl-int-rsa.pem", "crl-int-rsa.der"])
def test_crl_lists_the_leaf(nsstls, openssl_server, crl):
    srv = openssl_server(**REVOKED)
    r = run_text(nsstls, srv, "--crl-file", fixture(crl))
    assert r.returncode == 6, r.stderr
    assert re.search(r"^  CRL              .*: certificate \[0\] REVOKED on 2024-06-01",
                     section(r.stderr, "Revocation:"), re.M), r.stderr
    assert re.search(r"^Verification: FAILED: .*\(SEC_ERROR_REVOKED_CERTIFICATE\)$",
                     r.stderr, re.M), r.stderr
    r, doc = run_json(nsstls, srv, "--crl-file", fixture(crl))
    assert r.returncode == 6
    f = one(doc, "crl-revoked")
    assert f["severity"] == "error" and "2024-06-01" in f["text"], f
    assert doc["revocation"]["crls"][0]["revoked_certificate"] == 0
    r, doc = run_json(nsstls, srv, "--crl-file", fixture(crl), "--insecure")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("bundle", BUNDLES)
def test_crl_bundle_revokes_the_leaf(nsstls, openssl_server, bundle):
    """Issue 8.3: every CRL of a PEM bundle counts, in either order: the
    intermediate's CRL (first or second) revokes the leaf, the root's
    vouches for the intermediate."""
    srv = openssl_server(**REVOKED)
    pos = 2 if bundle == "crl-bundle.pem" else 1
    r = run_text(nsstls, srv, *crl_args(bundle))
    assert r.returncode == 6, r.stderr
    rev = section(r.stderr, "Revocation:")
    assert re.search(rf"^  CRL              .*{re.escape(bundle)} #{pos}: certificate \[0\] "
                     r"REVOKED on 2024-06-01", rev, re.M), rev
    assert re.search(rf"^  CRL              .*{re.escape(bundle)} #{3 - pos}: certificate \[1\] "
                     r"not listed \(issuer CN=nsstls Test Root RSA", rev, re.M), rev
    assert cert_line(r.stderr, 0).startswith("REVOKED on 2024-06-01"), rev
    assert cert_line(r.stderr, 0).endswith(f"(CRL {fixture(bundle)} #{pos})"), rev
    assert cert_line(r.stderr, 1) == f"good (CRL {fixture(bundle)} #{3 - pos})", rev
    assert re.search(r"^Verification: FAILED: .*\(SEC_ERROR_REVOKED_CERTIFICATE\)$",
                     r.stderr, re.M), r.stderr
    r, doc = run_json(nsstls, srv, *crl_args(bundle))
    assert r.returncode == 6
    peers.validate_json(doc)
    assert statuses(doc) == ["revoked", "good", "not_checked"]
    assert doc["revocation"]["certificates"][0]["revoked_at"] == "2024-06-01T00:00:00Z"
    assert [(c["position"], c["count"], c["usable"]) for c in doc["revocation"]["crls"]] \
        == [(1, 2, True), (2, 2, True)]
    assert f"#{pos}" in one(doc, "crl-revoked")["text"]
    assert doc["verification"]["ok"] is False


@pytest.mark.parametrize("bundle", BUNDLES)
def test_crl_bundle_check_is_critical(nsstls, openssl_server, bundle):
    srv = openssl_server(**REVOKED)
    for extra in ([], ["--insecure"]):
        r = nsstls(*BOUNDED, *CA, "--check", *extra, *crl_args(bundle),
                   f"localhost:{srv.port}")
        line = check_line(r, 2, "CRITICAL")
        assert "certificate [0] is revoked (CRL" in line, line


@pytest.mark.parametrize("bundle", BUNDLES)
def test_crl_bundle_good_leaf(nsstls, openssl_server, bundle):
    srv = openssl_server(**GOOD)
    r, doc = run_json(nsstls, srv, *crl_args(bundle))
    assert r.returncode == 0, r.stderr
    peers.validate_json(doc)
    assert statuses(doc) == ["good", "good", "not_checked"]
    assert not [i for i in finding_ids(doc) if i.startswith("crl-")], doc["findings"]
    r = nsstls(*BOUNDED, *CA, "--check", *crl_args(bundle), f"localhost:{srv.port}")
    check_line(r, 0, "OK")


# Each CRL that must not count, the leaf it is about, and why (the reason
# in the report).  The int-rsa ones list "revoked": they still must not
# revoke it, nor call "server-rsa" good.
UNUSABLE = {
    "crl-stale.pem": (r"stale: its nextUpdate \(2024-07-01 00:00:00 UTC\) has passed",
                      [REVOKED, GOOD]),
    "crl-wrongkey.pem": (r"its signature does not verify with the key of certificate \[1\]",
                         [REVOKED, GOOD]),
    "crl-critext.pem": (r"unknown critical extension \(SEC_ERROR_CRL_UNKNOWN_CRITICAL_EXTENSION\)",
                        [REVOKED, GOOD]),
    "crl-nocrlsign.pem": (r"key usage of certificate \[1\], its issuer, does not allow "
                          r"signing CRLs \(no cRLSign\)",
                          [dict(cert="server-nocrlsign.crt", key="server-nocrlsign.key",
                                chain="int-nocrlsign.crt")]),
}


@pytest.mark.parametrize("crl", sorted(UNUSABLE))
def test_crl_unusable_makes_revocation_unknown(nsstls, openssl_server, crl):
    why, servers = UNUSABLE[crl]
    for server in servers:
        srv = openssl_server(**server)
        r = run_text(nsstls, srv, *crl_args(crl))
        assert r.returncode == 0, r.stderr          # unknown: not a failure
        rev = section(r.stderr, "Revocation:")
        assert re.search(rf"^  CRL              .*{re.escape(crl)}: UNUSABLE for certificate "
                         rf"\[0\]: .*{why}.* \(issuer CN=", rev, re.M), rev
        assert re.search(rf"^UNKNOWN: the CRL .*{re.escape(crl)} \(issuer CN=.*\) cannot be "
                         rf"used: .*{why}", cert_line(r.stderr, 0)), rev
        assert "REVOKED" not in rev and "good" not in rev, rev
        r, doc = run_json(nsstls, srv, *crl_args(crl))
        assert r.returncode == 0, r.stderr
        peers.validate_json(doc)
        assert statuses(doc)[0] == "unknown"
        assert "good" not in statuses(doc) and "revoked" not in statuses(doc)
        assert re.search(why, doc["revocation"]["certificates"][0]["reason"])
        (entry,) = doc["revocation"]["crls"]
        assert entry["usable"] is False and entry["certificate"] == 0
        assert re.search(why, entry["problem"]), entry
        assert re.search(why, one(doc, "crl-unusable")["text"])
        assert "crl-revoked" not in finding_ids(doc)
        r = nsstls(*BOUNDED, *CA, "--check", *crl_args(crl), f"localhost:{srv.port}")
        line = check_line(r, 1, "WARNING")
        assert re.search(rf"revocation of certificate \[0\] unknown: .*{why}", line), line


def test_crl_several_files(nsstls, openssl_server):
    """Several --crl-file options: each counts (the root's in one file, the
    intermediate's, DER, in another)."""
    srv = openssl_server(**REVOKED)
    r, doc = run_json(nsstls, srv, *crl_args("crl-root-rsa.pem", "crl-int-rsa.der"))
    assert r.returncode == 6, r.stderr
    peers.validate_json(doc)
    assert statuses(doc) == ["revoked", "good", "not_checked"]
    assert [c["file"] for c in doc["revocation"]["crls"]] == [
        fixture("crl-root-rsa.pem"), fixture("crl-int-rsa.der")]
    srv = openssl_server(**GOOD)
    r, doc = run_json(nsstls, srv, *crl_args("crl-int-rsa.der", "crl-root-rsa.pem"))
    assert r.returncode == 0, r.stderr
    assert statuses(doc) == ["good", "good", "not_checked"]


def test_crl_unusable_beside_a_usable_one(nsstls, openssl_server):
    """A stale CRL next to a usable one: the usable one decides (revoked, or
    good), the stale one is still reported as unusable."""
    srv = openssl_server(**REVOKED)
    r, doc = run_json(nsstls, srv, *crl_args("crl-stale.pem", "crl-bundle.pem"))
    assert r.returncode == 6, r.stderr
    assert statuses(doc)[:2] == ["revoked", "good"]
    assert "stale" in one(doc, "crl-unusable")["text"]
    srv = openssl_server(**GOOD)
    r, doc = run_json(nsstls, srv, *crl_args("crl-wrongkey.pem", "crl-bundle.pem"))
    assert r.returncode == 0, r.stderr
    assert statuses(doc)[:2] == ["good", "good"]
    assert doc["revocation"]["certificates"][0]["source"] == \
        f"CRL {fixture('crl-bundle.pem')} #2"


def test_crl_file_is_read_once(nsstls, openssl_server, tmp_path):
    """Issue 10.7: a --crl-file is read once, at start-up, and its CRLs serve
    every connection.  A FIFO can be read only once: two targets, both
    judged by the bundle that came through it."""
    import os
    import threading

    srv = openssl_server(**REVOKED)
    fifo = tmp_path / "crls.pem"
    os.mkfifo(fifo)
    data = open(fixture("crl-bundle.pem"), "rb").read()

    def feed():
        with open(fifo, "wb") as w:
            w.write(data)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    r = nsstls(*BOUNDED, *CA, "--no-data", "--json", "--crl-file", str(fifo),
               f"localhost:{srv.port}", f"localhost:{srv.port}", timeout=20)
    writer.join(5)
    assert r.returncode == 6, r.stderr
    docs = peers.json_documents(r.stdout_bytes)
    assert len(docs) == 2
    for doc in docs:
        assert statuses(doc)[:2] == ["revoked", "good"], doc["revocation"]


@pytest.mark.parametrize("jobs", ["1", "4"])
def test_crl_verdicts_are_per_target(nsstls, openssl_server, jobs):
    """The decoded CRLs are shared by every connection, the verdicts are not:
    good and revoked servers mixed, run together, each get their own."""
    bad, good = openssl_server(**REVOKED), openssl_server(**GOOD)
    ports = [good.port, bad.port, good.port, bad.port]
    r = nsstls(*BOUNDED, *CA, "--no-data", "--json", "-j", jobs, *crl_args("crl-bundle.pem"),
               *[f"localhost:{p}" for p in ports], timeout=60)
    assert r.returncode == 6, r.stderr
    docs = peers.json_documents(r.stdout_bytes)
    assert [d["target"]["port"] for d in docs] == ports
    assert [statuses(d)[0] for d in docs] == ["good", "revoked", "good", "revoked"]


def test_crl_unreadable(nsstls, openssl_server, tmp_path):
    """An unreadable --crl-file is a setup error (exit 2) before any
    connection, like an unreadable --ca-file; the JSON says so too."""
    srv = openssl_server(**GOOD)
    missing = tmp_path / "missing.crl"
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", "--crl-file", str(missing),
               f"localhost:{srv.port}")
    assert r.returncode == 2, r.stderr
    doc = json.loads(r.stdout)
    peers.validate_json(doc)
    assert doc["outcome"]["phase"] == "setup"
    assert str(missing) in doc["outcome"]["message"]
    assert "ACCEPT" in srv.log() and "CIPHER is" not in srv.log()


@pytest.mark.parametrize("content,why", [
    (b"not a CRL at all\n", "is not a CRL: neither PEM"),
    (b"\x30\x03\x02\x01\x00", "CRL 1 cannot be decoded as a CRL (SEC_ERROR_BAD_DER)"),
    (b"-----BEGIN X509 CRL-----\n!!!\n-----END X509 CRL-----\n", "CRL 1 is empty or not valid base64"),
    (b"", "holds no CRL"),
    (b"PEM", "second CRL cut"),
], ids=["text", "short-der", "bad-pem", "empty", "bundle-cut"])
def test_crl_garbage_is_a_setup_error(nsstls, openssl_server, tmp_path, content, why):
    """A file that is not (all) CRLs is a setup error before connecting:
    exit 2, the file and the problem named; never a silent "not listed"."""
    srv = openssl_server(**GOOD)
    bad = tmp_path / "bad.crl"
    if content == b"PEM":
        good = open(fixture("crl-bundle.pem"), "rb").read()
        content = good[:good.rindex(b"-----END")]        # the second one cut
        why = "CRL 2 has no END line"
    bad.write_bytes(content)
    r = nsstls(*BOUNDED, *CA, "--json", "--crl-file", str(bad), f"localhost:{srv.port}")
    assert r.returncode == 2, r.stderr
    doc = json.loads(r.stdout)
    peers.validate_json(doc)
    assert doc["outcome"]["phase"] == "setup"
    assert str(bad) in doc["outcome"]["message"] and why in doc["outcome"]["message"], \
        doc["outcome"]["message"]
    assert "CIPHER is" not in srv.log()


def test_crl_of_an_issuer_not_in_the_chain(nsstls, openssl_server):
    # int-rsa's CRL against the EC chain: meant for none of its certificates.
    srv = openssl_server("server-ec.crt", "server-ec.key", chain="int-ec.crt")
    r, doc = run_json(nsstls, srv, "--crl-file", fixture("crl-int-rsa.pem"))
    assert r.returncode == 0, r.stderr
    peers.validate_json(doc)
    assert not [i for i in finding_ids(doc) if i.startswith("crl-")], doc["findings"]
    (entry,) = doc["revocation"]["crls"]
    assert entry["certificate"] is None and entry["usable"] is False
    assert statuses(doc) == ["not_checked"] * 3
    r = run_text(nsstls, srv, "--crl-file", fixture("crl-int-rsa.pem"))
    assert "crl-int-rsa.pem: meant for no certificate of this chain" in r.stderr, r.stderr


def test_crl_before_the_revocation_date(nsstls, openssl_server):
    # At --attime 2024-06-15 the CRL (thisUpdate 2024-06-01) is usable and
    # lists the leaf; at 2024-03-01 it did not exist yet: unknown, not good.
    srv = openssl_server(**REVOKED)
    r, doc = run_json(nsstls, srv, "--attime", "2024-03-01",
                      "--crl-file", fixture("crl-int-rsa.pem"))
    assert "crl-revoked" not in finding_ids(doc), doc["findings"]
    assert r.returncode == 0, (r.returncode, doc["verification"])
    assert statuses(doc)[0] == "unknown"


def test_crl_issued_after_attime_is_unusable(nsstls, openssl_server):
    # fixtures README: the CRL is "not valid before 2024-06-01 (so not for
    # expired at its own time)".
    srv = openssl_server("expired.crt", "expired.key", chain="int-rsa.crt")
    r, doc = run_json(nsstls, srv, "--attime", "2020-06-15",
                      "--crl-file", fixture("crl-int-rsa.pem"))
    assert r.returncode == 0, r.stderr
    assert "after the time verified at" in one(doc, "crl-unusable")["text"]
    assert statuses(doc)[0] == "unknown"


def test_ocsp_staple_gives_the_leaf_a_verdict(nsstls, openssl_server):
    """The per-certificate verdicts take the OCSP staple too: good, revoked,
    and unknown (a staple about another certificate) for the leaf."""
    for respfile, leaf, status in [("ocsp-good.der", "server-rsa", "good"),
                                   ("ocsp-revoked.der", "revoked", "revoked"),
                                   ("ocsp-other.der", "server-rsa", "unknown")]:
        srv = stapling(openssl_server, leaf, respfile)
        r, doc = run_json(nsstls, srv)
        peers.validate_json(doc)
        assert statuses(doc) == [status, "not_checked", "not_checked"], respfile
        assert doc["revocation"]["certificates"][0]["source"] == "OCSP staple"


# ---- SCTs ----------------------------------------------------------------------------

LOG_ID = bytes(range(0x10, 0x30))
SCT_MS = 1_700_000_000_000          # 2023-11-14T22:13:20Z


def test_sct_from_the_tls_extension(nsstls, openssl_server, tmp_path):
    serverinfo = peers.sct_serverinfo(tmp_path / "sct.pem",
                                      peers.sct_list(peers.sct_entry(LOG_ID, SCT_MS)))
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-tls1_2", "-serverinfo", serverinfo])
    r = run_text(nsstls, srv)
    assert r.returncode == 0, r.stderr
    scts = section(r.stderr, "Signed certificate timestamps")
    assert scts.startswith("Signed certificate timestamps (1):"), scts
    assert LOG_ID.hex() in scts, scts
    assert "2023-11-14 22:13:20" in scts and "from the TLS extension" in scts, scts
    r, doc = run_json(nsstls, srv)
    (sct,) = doc["scts"]
    assert sct["source"] == "tls-extension"
    assert sct["log_id"] == LOG_ID.hex()
    assert sct["timestamp"] == "2023-11-14T22:13:20Z"


def test_two_scts_from_the_tls_extension(nsstls, openssl_server, tmp_path):
    other = bytes(32)
    serverinfo = peers.sct_serverinfo(tmp_path / "sct.pem", peers.sct_list(
        peers.sct_entry(LOG_ID, SCT_MS), peers.sct_entry(other, SCT_MS + 86_400_000)))
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-tls1_2", "-serverinfo", serverinfo])
    r, doc = run_json(nsstls, srv)
    assert r.returncode == 0, r.stderr
    assert [s["log_id"] for s in doc["scts"]] == [LOG_ID.hex(), other.hex()]
    assert doc["scts"][1]["timestamp"] == "2023-11-15T22:13:20Z"


def test_sct_embedded_in_the_certificate(nsstls, openssl_server, make_leaf):
    value = peers.der_octet_string(peers.sct_list(peers.sct_entry(LOG_ID, SCT_MS)))
    leaf = make_leaf(extensions=f"1.3.6.1.4.1.11129.2.4.2 = DER:{value.hex()}")
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r, doc = run_json(nsstls, srv)
    assert r.returncode == 0, r.stderr
    (sct,) = doc["scts"]
    assert sct["source"] == "certificate"
    assert sct["log_id"] == LOG_ID.hex()
    assert sct["timestamp"] == "2023-11-14T22:13:20Z"
    r = run_text(nsstls, srv)
    scts = section(r.stderr, "Signed certificate timestamps")
    assert "(1)" in scts and "from the certificate" in scts, scts


def test_no_scts(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         )
    r = run_text(nsstls, srv)
    assert re.search(r"^Signed certificate timestamps: none$", r.stderr, re.M), r.stderr
    r, doc = run_json(nsstls, srv)
    assert doc["scts"] == []
