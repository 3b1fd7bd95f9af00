"""--check: the monitoring-plugin verdict.

Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, and one status line first on
stdout, `TLS <STATUS> - host:port <summary> | <performance data>`, in every
case (usage errors included: a monitoring system shows stdout, and an empty
one reads as "no output returned from plugin").  The summary of a failed
verification is the verdict's headline; the lines after it (plugin long
output) are the other warnings and errors, each once.
"""

import re
import subprocess
from pathlib import Path

import pytest

from peers import BOUNDED, ROOTS, fixture, json_document

SERVER = dict(cert="server-rsa.crt", key="server-rsa.key", chain="int-rsa.crt")
OK_LINE = re.compile(r"^TLS OK - localhost:\d+ TLSv1\.3 \S+, certificate valid \d+ days "
                     r"\| days_left=\d+;30:;7: connect_time=[\d.]+ms handshake_time=[\d.]+ms$")
# Plugin guidelines: 'label'=value[UOM];warn;crit, ranges like "30:", times
# with their unit; no bare "|".
PERF = re.compile(r" \|( [a-z_]+=-?[\d.]+(ms)?(;\d+:;\d+:)?)+$")


def status_line(r, code: int, status: str) -> str:
    """The status line, first on stdout; checks the exit code, the status
    word, and that any further line is one warning or error, said once."""
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    lines = r.stdout.splitlines()
    assert lines and r.stdout.endswith("\n"), \
        f"expected a status line on stdout, got {r.stdout!r}; stderr:\n{r.stderr}"
    for extra in lines[1:]:
        assert re.match(r"^(warning|error): \S", extra), lines
    assert len(set(lines)) == len(lines), lines
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
    assert re.search(rf"\| days_left=\d+;{warn}:;7: connect_time=[\d.]+ms "
                     rf"handshake_time=[\d.]+ms$", line), line


@pytest.mark.parametrize("crit,warn", [("9999", "10000"), ("99999", "100000")])
def test_critical_by_expiry_threshold(nsstls, openssl_server, crit, warn):
    srv = openssl_server(**SERVER)
    r = check(nsstls, "--ca-file", ROOTS, "--crit-days", crit, "--warn-days", warn,
              f"localhost:{srv.port}")
    line = status_line(r, 2, "CRITICAL")
    assert re.search(r'certificate \[\d\] "CN=nsstls Test [^"]+" expires in \d+ days', line), line
    assert f"--crit-days {crit}" in line, line
    assert re.search(rf"\| days_left=\d+;{warn}:;{crit}: ", line), line


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
    assert re.search(rf"\| days_left={days - 1};30:;7: ", line), line


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
    # The verdict's headline, not "verification failed".
    assert ('issuer "CN=nsstls Test Root RSA,O=nsstls tests" is unknown: not sent '
            'by the server and in no trust source (SEC_ERROR_UNKNOWN_ISSUER)') in line, line
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


# ---- the status line says why (issue 8) -------------------------------------

def test_status_line_names_the_missing_intermediate(nsstls, openssl_server):
    srv = openssl_server("server-rsa.crt", "server-rsa.key")     # leaf only
    r = check(nsstls, "--ca-file", ROOTS, f"localhost:{srv.port}")
    line = status_line(r, 2, "CRITICAL")
    assert re.match(rf'^TLS CRITICAL - localhost:{srv.port} issuer "CN=nsstls Test '
                    r'Intermediate RSA,O=nsstls tests" is missing: the server sent no '
                    r'intermediate certificate and no trust source has it '
                    r'\(SEC_ERROR_UNKNOWN_ISSUER\) \|', line), line
    # The missing-intermediate finding is the same reason: not repeated.
    assert r.stdout.count("Intermediate RSA") == 1, r.stdout


def test_status_line_is_the_verdict_of_text_and_json(nsstls, openssl_server):
    """One sentence, computed once: text, --brief, JSON and --check agree."""
    srv = openssl_server("expired.crt", "expired.key", chain="int-rsa.crt",
                         args=["-naccept", "4"])
    target = f"localhost:{srv.port}"
    chk = status_line(check(nsstls, "--ca-file", ROOTS, target), 2, "CRITICAL")
    doc = json_document(nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", target))
    text = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", target).stderr
    brief = nsstls(*BOUNDED, "--ca-file", ROOTS, "--no-data", "--brief", target).stderr
    headline = doc["verification"]["headline"]
    assert headline == ('certificate [0] "CN=nsstls Test Server Expired,O=nsstls tests" '
                        'expired on 2021-01-01 (SEC_ERROR_EXPIRED_CERTIFICATE)'), headline
    assert chk.startswith(f"TLS CRITICAL - {target} {headline} |"), chk
    assert f"Verification: FAILED: {headline}\n" in text, text
    assert f"Verification: FAILED: {headline}\n" in brief, brief


def test_long_output_lists_the_other_findings_once(nsstls, openssl_server, tmp_path):
    """A server that sends a stranger and lacks its root: the headline says
    the root is unknown, the next line the unused certificate, once."""
    import peers
    chain = peers.pem_bundle(tmp_path / "chain.pem", "int-rsa.crt", "unknown-int.crt")
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain=chain)
    r = check(nsstls, f"localhost:{srv.port}")           # no --ca-file
    status_line(r, 2, "CRITICAL")
    lines = r.stdout.splitlines()
    assert lines[1:] == ['warning: the server sent "CN=nsstls Test Unknown Intermediate,'
                         'O=nsstls tests" [2], which is not part of the chain to the '
                         'anchor'], lines


def test_no_bare_pipe_without_measurements(nsstls, closed_port):
    r = check(nsstls, f"127.0.0.1:{closed_port}")
    line = status_line(r, 2, "CRITICAL")
    assert "|" not in line, line


def test_crit_days_alone_raises_the_warning_threshold(nsstls, openssl_server, make_leaf):
    """--crit-days 40 without --warn-days: warn at 40 too, not a usage error."""
    leaf = make_leaf(days=36)
    srv = openssl_server(leaf.cert, leaf.key, chain=leaf.chain)
    r = check(nsstls, "--ca-file", ROOTS, "--crit-days", "40", f"localhost:{srv.port}")
    line = status_line(r, 2, "CRITICAL")
    assert "expires in 35 days (--crit-days 40)" in line, line
    assert re.search(r"\| days_left=35;40:;40: ", line), line


def test_attime_moves_days_left_everywhere(nsstls, openssl_server):
    """days_left is counted once, from the verification time: --attime
    moves the text, JSON and --check figures together."""
    srv = openssl_server(**SERVER, args=["-naccept", "3"])
    target = f"localhost:{srv.port}"
    at = ("--attime", "2049-01-01")              # the chain ends 2049-12-31
    doc = json_document(nsstls(*BOUNDED, "--ca-file", ROOTS, *at, "--json", target))
    days = [c["days_left"] for c in doc["certificates"]["sent"]]
    assert days == [364, 364], days
    text = nsstls(*BOUNDED, "--ca-file", ROOTS, *at, "--no-data", target).stderr
    assert text.count("(364 days left)") == 3, text       # leaf, intermediate, root
    line = status_line(check(nsstls, "--ca-file", ROOTS, *at, target), 0, "OK")
    assert "certificate valid 364 days" in line and "days_left=364;30:;7:" in line, line


def test_handshake_time_excludes_a_slow_aia_fetch(nsstls, openssl_server, make_leaf):
    """An AIA fetch from a responder that waits 0.8 s is fetch_time, not
    handshake_time (perfdata), and fetch_us, not handshake_us (JSON)."""
    import socket
    import threading
    import time

    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4)
    port = lsock.getsockname()[1]

    def slow():
        while True:
            try:
                conn, _ = lsock.accept()
            except OSError:
                return
            time.sleep(0.8)
            conn.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            conn.close()
    threading.Thread(target=slow, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{port}/int.der"
        leaf = make_leaf(extensions=f"authorityInfoAccess = caIssuers;URI:{url}")
        srv = openssl_server(leaf.cert, leaf.key, args=["-naccept", "2"])
        target = f"localhost:{srv.port}"
        r = nsstls("--timeout", "5", "--ca-file", ROOTS, "--aia-fetch", "--check", target)
        line = status_line(r, 2, "CRITICAL")
        fetch = float(re.search(r" fetch_time=([\d.]+)ms", line).group(1))
        assert fetch >= 750, line
        doc = json_document(nsstls("--timeout", "5", "--ca-file", ROOTS, "--aia-fetch",
                                   "--insecure", "--json", target))
        t = doc["timings"]
        assert t["fetch_us"] >= 750_000, t
        assert t["handshake_us"] < 500_000, t
        assert doc["handshakes"][0]["duration_us"] >= t["fetch_us"], doc["handshakes"]
    finally:
        lsock.close()
