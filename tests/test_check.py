"""--check: the monitoring-plugin verdict.

Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, and exactly one status line on
stdout, `TLS <STATUS> - host:port <summary> | <performance data>`, in every
case (usage errors included: a monitoring system shows stdout, and an empty
one reads as "no output returned from plugin").
"""

import re
import subprocess
from pathlib import Path

import pytest

from peers import BOUNDED, ROOTS, fixture, json_document

SERVER = dict(cert="server-rsa.crt", key="server-rsa.key", chain="int-rsa.crt")
OK_LINE = re.compile(r"^TLS OK - localhost:\d+ TLSv1\.3 \S+, certificate valid \d+ days "
                     r"\| days_left=\d+;30;7 connect_ms=[\d.]+ handshake_ms=[\d.]+$")
PERF = re.compile(r" \|( \S+=\S+)*$")


def status_line(r, code: int, status: str) -> str:
    """The one line on stdout; checks the exit code and the status word."""
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    lines = r.stdout.splitlines()
    assert len(lines) == 1 and r.stdout.endswith("\n"), \
        f"expected exactly one line on stdout, got {r.stdout!r}; stderr:\n{r.stderr}"
    line = lines[0]
    assert line.startswith(f"TLS {status} - "), line
    return line


def check(nsstls, *args, **kw):
    return nsstls(*BOUNDED, "--check", *args, **kw)


# ---- OK ---------------------------------------------------------------------

def test_ok(nsstls, openssl_server):
    srv = openssl_server(**SERVER, args=["-tls1_3"])
    r = check(nsstls, "--ca-file", ROOTS, f"localhost:{srv.port}")
    line = status_line(r, 0, "OK")
    assert OK_LINE.match(line), line
    assert f"localhost:{srv.port} " in line


def test_ok_ignores_stdin_and_stays_one_line(nsstls, openssl_server):
    srv = openssl_server(**SERVER, args=["-tls1_3", "-www"])
    r = check(nsstls, "--ca-file", ROOTS, f"localhost:{srv.port}",
              input=b"GET / HTTP/1.0\r\n\r\n")
    line = status_line(r, 0, "OK")
    assert OK_LINE.match(line), line


# ---- expiry thresholds (any certificate in the path) ---------------------------

# All fixtures in the path expire 2049-12-31: thousands of days from now.
@pytest.mark.parametrize("warn", ["10000", "100000"])
def test_warning_by_expiry_threshold(nsstls, openssl_server, warn):
    srv = openssl_server(**SERVER)
    r = check(nsstls, "--ca-file", ROOTS, "--warn-days", warn, f"localhost:{srv.port}")
    line = status_line(r, 1, "WARNING")
    assert re.search(r'certificate \[\d\] "CN=nsstls Test [^"]+" expires in \d+ days', line), line
    assert f"--warn-days {warn}" in line, line
    assert re.search(rf"\| days_left=\d+;{warn};7 connect_ms=[\d.]+ handshake_ms=[\d.]+$",
                     line), line


@pytest.mark.parametrize("crit,warn", [("9999", "10000"), ("99999", "100000")])
def test_critical_by_expiry_threshold(nsstls, openssl_server, crit, warn):
    srv = openssl_server(**SERVER)
    r = check(nsstls, "--ca-file", ROOTS, "--crit-days", crit, "--warn-days", warn,
              f"localhost:{srv.port}")
    line = status_line(r, 2, "CRITICAL")
    assert re.search(r'certificate \[\d\] "CN=nsstls Test [^"]+" expires in \d+ days', line), line
    assert f"--crit-days {crit}" in line, line
    assert re.search(rf"\| days_left=\d+;{warn};{crit} ", line), line


@pytest.mark.parametrize("days,code,status", [(20, 1, "WARNING"), (3, 2, "CRITICAL")])
def test_expiry_defaults_on_the_leaf(nsstls, openssl_server, make_leaf, days, code, status):
    """Default thresholds: --warn-days 30, --crit-days 7."""
    leaf = make_leaf(days=days)
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r = check(nsstls, "--ca-file", ROOTS, f"localhost:{srv.port}")
    line = status_line(r, code, status)
    # notBefore is 5 minutes ago, so "days" of validity leave days - 1 whole days.
    assert re.search(rf'certificate \[0\] "CN=localhost,O=nsstls tests" '
                     rf'expires in {days - 1} days', line), line
    assert re.search(rf"\| days_left={days - 1};30;7 ", line), line


def short_intermediate(tmp_path: Path, days: int) -> str:
    """An intermediate CA under root-rsa valid for `days`; returns its path
    without extension (for make_leaf(issuer=...))."""
    base = tmp_path / "short-int"
    ext = tmp_path / "int-ext.cnf"
    ext.write_text("basicConstraints = critical, CA:TRUE, pathlen:0\n"
                   "keyUsage = critical, keyCertSign, cRLSign\n"
                   "subjectKeyIdentifier = hash\n"
                   "authorityKeyIdentifier = keyid:always\n")
    run = lambda *a: subprocess.run([str(x) for x in a], check=True, capture_output=True)
    run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
        "-out", f"{base}.key")
    run("openssl", "req", "-new", "-key", f"{base}.key",
        "-subj", "/O=nsstls tests/CN=nsstls Test Short Intermediate", "-out", f"{base}.csr")
    run("openssl", "x509", "-req", "-in", f"{base}.csr", "-CA", fixture("root-rsa.crt"),
        "-CAkey", fixture("root-rsa.key"), "-set_serial", "0x5157", "-days", days,
        "-extfile", ext, "-out", f"{base}.crt")
    return str(base)


def test_expiry_counts_every_certificate_in_the_path(nsstls, openssl_server, make_leaf,
                                                      tmp_path):
    """A long-lived leaf under an intermediate that expires in 20 days: the
    intermediate is the one that triggers WARNING."""
    inter = short_intermediate(tmp_path, 20)
    leaf = make_leaf(issuer=inter, days=365)
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r = check(nsstls, "--ca-file", ROOTS, f"localhost:{srv.port}")
    line = status_line(r, 1, "WARNING")
    assert re.search(r'certificate \[1\] "CN=nsstls Test Short Intermediate,O=nsstls tests" '
                     r'expires in 1[89] days \(--warn-days 30\)', line), line


# ---- CRITICAL ---------------------------------------------------------------

def test_critical_verification_failure(nsstls, openssl_server):
    srv = openssl_server(**SERVER)
    r = check(nsstls, f"localhost:{srv.port}")          # no --ca-file: unknown root
    line = status_line(r, 2, "CRITICAL")
    assert "certificate verification failed" in line, line
    assert "SEC_ERROR_UNKNOWN_ISSUER" in line, line
    assert PERF.search(line), line


def test_critical_expired(nsstls, openssl_server):
    srv = openssl_server("expired.crt", "expired.key", chain="int-rsa.crt")
    r = check(nsstls, "--ca-file", ROOTS, f"localhost:{srv.port}")
    line = status_line(r, 2, "CRITICAL")
    assert "SEC_ERROR_EXPIRED_CERTIFICATE" in line, line


def test_critical_refused_port(nsstls, closed_port):
    r = check(nsstls, f"127.0.0.1:{closed_port}")
    line = status_line(r, 2, "CRITICAL")
    assert line.startswith(f"TLS CRITICAL - 127.0.0.1:{closed_port} "), line
    assert "refused" in line, line


def test_critical_handshake_timeout(nsstls, silent_server):
    r = nsstls("--timeout", "1", "--connect-timeout", "2", "--check",
               f"127.0.0.1:{silent_server.port}", timeout=20)
    line = status_line(r, 2, "CRITICAL")
    assert "PR_IO_TIMEOUT_ERROR" in line, line


def test_critical_min_tls(nsstls, openssl_server):
    srv = openssl_server(**SERVER, args=["-tls1_2"])
    r = check(nsstls, "--ca-file", ROOTS, "--min-tls", "1.3", f"localhost:{srv.port}")
    line = status_line(r, 2, "CRITICAL")
    assert "TLSv1.2 is below --min-tls TLSv1.3" in line, line


def test_min_tls_met_is_ok(nsstls, openssl_server):
    srv = openssl_server(**SERVER, args=["-tls1_3"])
    r = check(nsstls, "--ca-file", ROOTS, "--min-tls", "1.3", f"localhost:{srv.port}")
    line = status_line(r, 0, "OK")
    assert OK_LINE.match(line), line


def test_critical_expect_alpn_without_alpn(nsstls, openssl_server):
    srv = openssl_server(**SERVER)                      # no -alpn: the server ignores it
    r = check(nsstls, "--ca-file", ROOTS, "--expect-alpn", "h2", f"localhost:{srv.port}")
    line = status_line(r, 2, "CRITICAL")
    assert "ALPN none, expected h2" in line, line


def test_expect_alpn_met_is_ok(nsstls, openssl_server):
    srv = openssl_server(**SERVER, args=["-tls1_3", "-alpn", "h2"])
    r = check(nsstls, "--ca-file", ROOTS, "--expect-alpn", "h2", f"localhost:{srv.port}")
    line = status_line(r, 0, "OK")
    assert OK_LINE.match(line), line


def test_critical_require_ocsp_staple_without_staple(nsstls, openssl_server):
    srv = openssl_server(**SERVER)
    r = check(nsstls, "--ca-file", ROOTS, "--require-ocsp-staple", f"localhost:{srv.port}")
    line = status_line(r, 2, "CRITICAL")
    assert "no OCSP staple" in line, line


def test_critical_forbid_weak_no_forward_secrecy(nsstls, openssl_server):
    srv = openssl_server(**SERVER, args=["-tls1_2"])
    r = check(nsstls, "--ca-file", ROOTS, "--forbid", "weak",
              "--ciphers", "TLS_RSA_WITH_AES_128_GCM_SHA256", "--tls1.2",
              f"localhost:{srv.port}")
    line = status_line(r, 2, "CRITICAL")
    assert "no forward secrecy" in line, line
    assert "TLS_RSA_WITH_AES_128_GCM_SHA256" in line, line


def test_forbid_weak_on_a_strong_server_is_ok(nsstls, openssl_server):
    srv = openssl_server(**SERVER, args=["-tls1_3"])
    r = check(nsstls, "--ca-file", ROOTS, "--forbid", "weak", f"localhost:{srv.port}")
    line = status_line(r, 0, "OK")
    assert OK_LINE.match(line), line


# ---- UNKNOWN ------------------------------------------------------------------

def test_unknown_unresolvable(nsstls):
    r = check(nsstls, "nonexistent.invalid")
    line = status_line(r, 3, "UNKNOWN")
    assert line.startswith("TLS UNKNOWN - nonexistent.invalid:443 "), line


@pytest.mark.parametrize("args", [
    ["--no-such-option", "localhost:1"],
    ["--warn-days", "many", "localhost:1"],
    ["--crit-days", "40", "--warn-days", "30", "localhost:1"],      # crit above warn
    ["--forbid", "everything", "localhost:1"],
    [],                                                             # no target
], ids=["unknown-option", "bad-number", "crit-above-warn", "bad-forbid", "no-target"])
def test_unknown_usage_error(nsstls, args):
    r = nsstls("--check", *args)
    assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)
    assert r.stderr.startswith("nsstls: "), r.stderr        # the explanation


@pytest.mark.parametrize("args", [
    ["--no-such-option", "localhost:1"],
    ["--warn-days", "many", "localhost:1"],
    [],
], ids=["unknown-option", "bad-number", "no-target"])
def test_unknown_usage_error_prints_status_line(nsstls, args):
    """Plugin convention: even misuse gives one UNKNOWN line on stdout."""
    r = nsstls("--check", *args)
    line = status_line(r, 3, "UNKNOWN")
    assert line.startswith("TLS UNKNOWN - "), line


# ---- --check --json ------------------------------------------------------------

def test_check_json_ok(nsstls, openssl_server):
    srv = openssl_server(**SERVER, args=["-tls1_3"])
    r = check(nsstls, "--ca-file", ROOTS, "--json", f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("\n") == 1, r.stdout
    doc = json_document(r)
    c = doc["check"]
    assert c["status"] == "OK"
    assert c["problems"] == []
    assert re.match(r"^TLS OK - localhost:\d+ TLSv1\.3 \S+, certificate valid \d+ days$",
                    c["line"]), c["line"]
    assert doc["outcome"]["exit_code"] == 0


def test_check_json_critical(nsstls, openssl_server):
    srv = openssl_server("expired.crt", "expired.key", chain="int-rsa.crt")
    r = check(nsstls, "--ca-file", ROOTS, "--json", f"localhost:{srv.port}")
    assert r.returncode == 2, r.stderr
    doc = json_document(r)
    assert doc["check"]["status"] == "CRITICAL"
    assert any("SEC_ERROR_EXPIRED_CERTIFICATE" in p for p in doc["check"]["problems"])
    assert doc["outcome"]["exit_code"] == 6           # the connect-mode verdict


def test_check_json_warning(nsstls, openssl_server):
    srv = openssl_server(**SERVER)
    r = check(nsstls, "--ca-file", ROOTS, "--warn-days", "10000", "--json",
              f"localhost:{srv.port}")
    assert r.returncode == 1, r.stderr
    doc = json_document(r)
    assert doc["check"]["status"] == "WARNING"
    assert doc["check"]["line"].startswith("TLS WARNING - ")
    assert any("--warn-days 10000" in p for p in doc["check"]["problems"])


def test_check_json_unknown(nsstls):
    r = check(nsstls, "--json", "nonexistent.invalid")
    assert r.returncode == 3, r.stderr
    doc = json_document(r)
    assert doc["check"]["status"] == "UNKNOWN"
    assert doc["outcome"]["phase"] == "resolve"
