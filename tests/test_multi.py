"""Many targets in one run: arguments, --targets FILE, --targets - (stdin),
-j N workers, --unordered.

Text reports are grouped per target under `== host:port` headers in input
order; --json gives JSON Lines (one document per target, each validated
against the schema); --check gives one status line per target.  The exit
status is the worst result.  A thousand targets must not need a thousand
threads or file descriptors: the process is sampled from /proc while it runs.
"""

import re

import pytest

import peers
from peers import BOUNDED, ROOTS, json_documents, run_nsstls_sampled


@pytest.fixture
def mixed(openssl_server, closed_port):
    """Targets in a fixed order: good (TLS 1.3), expired, refused, good
    (TLS 1.2, EC).  Yields (targets, expected connect-mode exit codes)."""
    good = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt")
    bad = openssl_server("expired.crt", "expired.key", chain="int-rsa.crt")
    good2 = openssl_server("server-ec.crt", "server-ec.key", chain="int-ec.crt",
                           args=["-tls1_2"])
    targets = [f"localhost:{good.port}", f"localhost:{bad.port}",
               f"127.0.0.1:{closed_port}", f"localhost:{good2.port}"]
    return targets, [0, 6, 3, 0]


def sections(stderr: str) -> list[tuple[str, str]]:
    """[(target, text)] from the `== target` headers, in output order."""
    parts = re.split(r"^== (.+)$", stderr, flags=re.M)
    assert parts[0].strip() == "", f"text before the first header: {parts[0]!r}"
    return [(parts[i], parts[i + 1]) for i in range(1, len(parts), 2)]


def summary(doc: dict) -> tuple:
    """The facts of a document that do not change from run to run."""
    h = doc["handshakes"][0] if doc["handshakes"] else {}
    err = doc["outcome"]["error"]
    return (doc["target"]["host"], doc["target"]["port"], doc["outcome"]["phase"],
            doc["outcome"]["exit_code"], err and err["name"],
            doc["verification"] and doc["verification"]["ok"],
            h.get("protocol"), h.get("cipher_suite"),
            tuple(c["sha256"] for c in doc["certificates"]["sent"]))


def check_text_sections(r, targets):
    got = sections(r.stderr)
    assert [t for t, _ in got] == targets, r.stderr
    good, bad, unreachable, good2 = (text for _, text in got)
    assert re.search(r"^Verification: OK\b", good, re.M), good
    assert re.search(r"^\s+Protocol\s+TLSv1\.3$", good, re.M), good
    assert "SEC_ERROR_EXPIRED_CERTIFICATE" in bad and "Verification: FAILED" in bad, bad
    assert "Verification: OK" not in bad
    assert "PR_CONNECT_REFUSED_ERROR" in unreachable, unreachable
    assert "Verification" not in unreachable
    assert re.search(r"^Verification: OK\b", good2, re.M), good2
    assert re.search(r"^\s+Protocol\s+TLSv1\.2$", good2, re.M), good2


def check_json_lines(r, targets, codes, ordered=True):
    docs = json_documents(r.stdout_bytes)
    assert len(docs) == len(targets), r.stdout
    got = [(f"{d['target']['host']}:{d['target']['port']}", d["outcome"]["exit_code"])
           for d in docs]
    want = list(zip(targets, codes))
    if ordered:
        assert got == want
    else:
        assert sorted(got) == sorted(want)
    return docs


def check_status_lines(r, targets, statuses):
    lines = r.stdout.splitlines()
    assert len(lines) == len(targets), r.stdout
    for line, target, status in zip(lines, targets, statuses):
        assert line.startswith(f"TLS {status} - {target} "), (line, target, status)
        assert " |" in line, line


# ---- targets as arguments ----------------------------------------------------

def test_text_grouped_per_target(nsstls, mixed):
    targets, _ = mixed
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, *targets)
    assert r.returncode == 6, r.stderr             # the worst: a bad certificate
    assert r.stdout == ""
    check_text_sections(r, targets)


def test_json_lines_in_input_order(nsstls, mixed):
    targets, codes = mixed
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", *targets)
    assert r.returncode == 6, r.stderr
    docs = check_json_lines(r, targets, codes)
    assert docs[1]["verification"]["error"]["name"] == "SEC_ERROR_EXPIRED_CERTIFICATE"
    assert docs[2]["outcome"]["error"]["name"] == "PR_CONNECT_REFUSED_ERROR"
    assert docs[0]["handshakes"][0]["protocol"] == "TLSv1.3"
    assert docs[3]["handshakes"][0]["protocol"] == "TLSv1.2"
    # Every document names the same trust sources, as a single run would.
    for d in docs:
        assert [s["name"] for s in d["trust_sources"]] == ["builtin", "ca-file"]
    assert docs[0]["certificates"]["built"][-1]["trust_source"] == "ca-file"


def test_json_pretty_many_targets(nsstls, mixed):
    """--json=pretty with several targets: still one valid document each."""
    targets, codes = mixed
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json=pretty", *targets)
    assert r.returncode == 6, r.stderr
    import json
    dec = json.JSONDecoder()
    text, pos, docs = r.stdout_bytes.decode("utf-8"), 0, []
    while pos < len(text):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            break
        doc, pos = dec.raw_decode(text, pos)
        docs.append(peers.validate_json(doc))
    assert [d["outcome"]["exit_code"] for d in docs] == codes


def test_json_unordered_same_set(nsstls, mixed):
    targets, codes = mixed
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", "--unordered", *targets)
    assert r.returncode == 6, r.stderr
    check_json_lines(r, targets, codes, ordered=False)


def test_unordered_prints_as_they_finish(nsstls, openssl_server, silent_server):
    """A slow target first: in input order it comes first, with --unordered
    the fast one is printed before it."""
    good = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt")
    slow, fast = f"127.0.0.1:{silent_server.port}", f"localhost:{good.port}"
    args = ("--timeout", "1", "--connect-timeout", "2", "--ca-file", ROOTS, "--json", "-j", "2")
    r = nsstls(*args, slow, fast, timeout=20)
    assert r.returncode == 5, r.stderr
    check_json_lines(r, [slow, fast], [5, 0])
    r = nsstls(*args, "--unordered", slow, fast, timeout=20)
    assert r.returncode == 5, r.stderr
    docs = json_documents(r.stdout_bytes)
    assert [d["outcome"]["exit_code"] for d in docs] == [0, 5]


def test_check_one_line_per_target(nsstls, mixed):
    targets, _ = mixed
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--check", *targets)
    assert r.returncode == 2, r.stdout                # CRITICAL
    check_status_lines(r, targets, ["OK", "CRITICAL", "CRITICAL", "OK"])


def test_check_json_lines(nsstls, mixed):
    targets, codes = mixed
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--check", "--json", *targets)
    assert r.returncode == 2, r.stderr
    docs = check_json_lines(r, targets, codes)
    assert [d["check"]["status"] for d in docs] == ["OK", "CRITICAL", "CRITICAL", "OK"]


# ---- the worst result wins -------------------------------------------------------

def test_exit_unreachable_and_good_is_3(nsstls, mixed):
    targets, _ = mixed
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, targets[0], targets[2], targets[3])
    assert r.returncode == 3, r.stderr
    assert [t for t, _ in sections(r.stderr)] == [targets[0], targets[2], targets[3]]


def test_exit_all_good_is_0(nsstls, mixed):
    targets, _ = mixed
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, targets[0], targets[3])
    assert r.returncode == 0, r.stderr
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--check", targets[0], targets[3])
    assert r.returncode == 0, r.stdout
    check_status_lines(r, [targets[0], targets[3]], ["OK", "OK"])


def test_check_unknown_and_good_is_unknown(nsstls, mixed):
    targets, _ = mixed
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--check", targets[0], "nonexistent.invalid")
    assert r.returncode == 3, r.stdout
    check_status_lines(r, [targets[0], "nonexistent.invalid:443"], ["OK", "UNKNOWN"])


def test_check_critical_beats_unknown(nsstls, mixed):
    targets, _ = mixed
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--check", "nonexistent.invalid", targets[1])
    assert r.returncode == 2, r.stdout
    check_status_lines(r, ["nonexistent.invalid:443", targets[1]], ["UNKNOWN", "CRITICAL"])


def test_check_warning_per_target(nsstls, mixed):
    targets, _ = mixed
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--check", "--warn-days", "10000",
               targets[0], targets[3])
    assert r.returncode == 1, r.stdout
    check_status_lines(r, [targets[0], targets[3]], ["WARNING", "WARNING"])


# ---- --targets FILE and --targets - ---------------------------------------------

def targets_file_text(targets):
    good, bad, unreachable, good2 = targets
    return (f"# targets for nsstls\n"
            f"\n"
            f"  {good}   # the good one\n"
            f"\t\n"
            f"{bad}\n"
            f"# unreachable next\n"
            f"{unreachable}\r\n"
            f"   \n"
            f"{good2}")                      # no newline at the end


def test_targets_file(nsstls, mixed, tmp_path):
    targets, codes = mixed
    f = tmp_path / "targets.txt"
    f.write_text(targets_file_text(targets))
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--targets", f)
    assert r.returncode == 6, r.stderr
    check_text_sections(r, targets)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--targets", f, "--json")
    assert r.returncode == 6, r.stderr
    check_json_lines(r, targets, codes)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--targets", f, "--check")
    assert r.returncode == 2, r.stdout
    check_status_lines(r, targets, ["OK", "CRITICAL", "CRITICAL", "OK"])


def test_targets_stdin(nsstls, mixed):
    targets, codes = mixed
    text = targets_file_text(targets)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--targets", "-", input=text)
    assert r.returncode == 6, r.stderr
    check_text_sections(r, targets)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--targets", "-", "--json", input=text)
    assert r.returncode == 6, r.stderr
    check_json_lines(r, targets, codes)
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--targets", "-", "--check", input=text)
    assert r.returncode == 2, r.stdout
    check_status_lines(r, targets, ["OK", "CRITICAL", "CRITICAL", "OK"])


def test_targets_file_with_one_target_is_still_grouped(nsstls, mixed, tmp_path):
    targets, _ = mixed
    f = tmp_path / "one.txt"
    f.write_text(f"{targets[0]}\n")
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--targets", f, "--json")
    assert r.returncode == 0, r.stderr
    check_json_lines(r, targets[:1], [0])


@pytest.mark.parametrize("bad", ["localhost:99999", "localhost:notaport", "[::1"])
def test_targets_file_bad_line(nsstls, tmp_path, bad):
    f = tmp_path / "targets.txt"
    f.write_text(f"# first line is a comment\nlocalhost:1\n\n{bad}\nlocalhost:2\n")
    r = nsstls(*BOUNDED, "--targets", f)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert re.search(r"\bline 4\b", r.stderr), r.stderr
    assert bad in r.stderr, r.stderr
    assert "== " not in r.stderr                   # nothing ran
    assert r.stdout == ""


def test_targets_stdin_bad_line(nsstls):
    r = nsstls(*BOUNDED, "--targets", "-", input="localhost:1\nlocalhost:0\n")
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert re.search(r"\bline 2\b", r.stderr), r.stderr


def test_targets_file_missing(nsstls, tmp_path):
    """An unreadable file is a local setup error (2), like --ca-file's."""
    r = nsstls(*BOUNDED, "--targets", tmp_path / "nope.txt")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "nope.txt" in r.stderr


def test_targets_file_only_comments(nsstls, tmp_path):
    f = tmp_path / "empty.txt"
    f.write_text("# nothing here\n\n")
    r = nsstls(*BOUNDED, "--targets", f)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert r.stderr.startswith("nsstls: "), r.stderr


# ---- -j ---------------------------------------------------------------------------

def test_jobs_1_and_16_agree(nsstls, mixed):
    targets, codes = mixed
    many = targets * 3
    results = {}
    for j in ("1", "16"):
        r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", "-j", j, *many)
        assert r.returncode == 6, r.stderr
        docs = check_json_lines(r, many, codes * 3)
        results[j] = [summary(d) for d in docs]
        c = nsstls(*BOUNDED, "--ca-file", ROOTS, "--check", "-j", j, *many)
        assert c.returncode == 2, c.stdout
        results[f"check{j}"] = [l.split(" |")[0] for l in c.stdout.splitlines()]
    assert results["1"] == results["16"]
    # The status text of a line has no timings: equal too.
    assert results["check1"] == results["check16"]


def test_repeated_target_is_checked_afresh(nsstls, openssl_server):
    """The same TLS 1.2 server twice, one after the other: each target gets
    a full handshake and its own verification, not a resumed session with
    no certificates (which would skip the chain and the expiry checks)."""
    srv = openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                         args=["-tls1_2"])
    t = f"localhost:{srv.port}"
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--json", "-j", "1", t, t)
    assert r.returncode == 0, r.stderr
    docs = check_json_lines(r, [t, t], [0, 0])
    for d in docs:
        assert d["handshakes"][0]["resumed"] is False, d["handshakes"]
        assert len(d["certificates"]["sent"]) == 2
        assert d["verification"] is not None and d["verification"]["ok"] is True
    c = nsstls(*BOUNDED, "--ca-file", ROOTS, "--check", "--warn-days", "10000",
               "-j", "1", t, t)
    assert c.returncode == 1, c.stdout
    check_status_lines(c, [t, t], ["WARNING", "WARNING"])


@pytest.mark.parametrize("j", ["0", "-1", "x", "100000"])
def test_jobs_bad_value(nsstls, j):
    r = nsstls("-j", j, "localhost:1", "localhost:2")
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert r.stderr.startswith("nsstls: "), r.stderr


# ---- 40 targets, bounded resources ---------------------------------------------------

JOBS = 4


@pytest.fixture
def forty(openssl_server, gnutls_server):
    srvs = [
        openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt"),
        openssl_server("server-ec.crt", "server-ec.key", chain="int-ec.crt", args=["-tls1_2"]),
        gnutls_server("server-rsa-chain.pem", "server-rsa.key"),
    ]
    return [f"localhost:{srvs[i % len(srvs)].port}" for i in range(40)]


def test_forty_targets_all_ok(nsstls, forty):
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--check", "-j", str(JOBS), *forty, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    check_status_lines(r, forty, ["OK"] * 40)


def test_forty_targets_bounded_sockets_and_threads(forty):
    """While 40 targets run with -j 4 the process never holds more than
    jobs + 3 sockets, nor more than two threads per job plus the helpers a
    -j 1 run shows: each worker may have one name resolution in flight, and
    glibc runs each getaddrinfo_a request (what bounds resolution by
    --connect-timeout) in a helper thread of its own."""
    args = (*BOUNDED, "--ca-file", ROOTS, "--check")
    base = run_nsstls_sampled(*args, "-j", "1", *forty, timeout=120, interval=0.005)
    assert base.returncode == 0, base.stdout + base.stderr
    assert base.stdout.count("TLS OK - ") == 40
    helpers = max(3, base.max_threads - 2)      # beside one worker + its resolver
    run = run_nsstls_sampled(*args, "-j", str(JOBS), *forty, timeout=120, interval=0.005)
    assert run.returncode == 0, run.stdout + run.stderr
    check_status_lines(run, forty, ["OK"] * 40)
    assert run.samples >= 2, "the run ended before /proc could be sampled"
    facts = (f"-j 1: {base.max_threads} threads, {base.max_sockets} sockets; "
             f"-j {JOBS}: {run.max_threads} threads, {run.max_sockets} sockets, "
             f"{run.max_fds} fds, {run.samples} samples")
    assert run.max_sockets <= JOBS + 3, facts
    assert run.max_threads <= 2 * JOBS + helpers, facts


def test_many_targets_do_not_grow_resources(forty):
    """Three times the targets, same -j: the peaks stay within the same
    bounds (nothing is held per target)."""
    args = (*BOUNDED, "--ca-file", ROOTS, "--check", "-j", "2")
    run = run_nsstls_sampled(*args, *(forty * 3), timeout=180, interval=0.005)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("TLS OK - ") == 120
    facts = f"{run.max_threads} threads, {run.max_sockets} sockets, {run.max_fds} fds"
    assert run.max_sockets <= 2 + 3, facts
    assert run.max_fds <= 2 + 3 + 8, facts       # stdio, NSS db/urandom, pipes
