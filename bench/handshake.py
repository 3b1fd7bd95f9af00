#!/usr/bin/python3
"""Paired one-shot handshake benchmark: nsstls against openssl s_client, gnutls-cli and tstclnt.

Each measured run is one whole client process: spawn, TCP connect to a local openssl s_server,
TLS handshake, certificate verification, exit.  The tools are run interleaved (A B C D A B C D ...)
so that a slow phase of a noisy machine hits all of them alike; each tool's wall time is then
divided by the openssl s_client run of the same round and the median of those per-round ratios is
reported.  See bench/README.md.

Python 3 standard library only.  Needs the openssl CLI (certificates, servers); gnutls-cli and the
NSS tools (certutil, tstclnt) are used when installed.
"""

import argparse
import errno
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loopback     # noqa: E402  (bench/loopback.py: certificates, servers, client plumbing)
from loopback import DEFAULT_NSSTLS, KEYGEN, check_run, empty_stdin, kill_group  # noqa: E402

TOOLS = ("nsstls", "openssl", "gnutls-cli", "tstclnt")    # run order within a round
REFERENCE = "openssl"

CASES = {
    "a": "as typed: each tool with its default trust store",
    "b": "same single PEM anchor (the server's root) for every tool",
}

# Exit codes nsstls must show for a run to count towards a target (cli-spec: 6 = verification
# failed, which is what the built-in roots give for a private root; 0 = success).
NSSTLS_EXPECTED_EXIT = {"a": {6}, "b": {0}}

TARGET_A_MAX = 0.30     # case (a): nsstls wall <= 0.3 x s_client, both servers
TARGET_B_MAX = 1.00     # case (b): nsstls wall <= 1.0 x s_client, RSA server


# --------------------------------------------------------------------------------------------
# certificates, NSS DB, servers

SERVER_LABEL = {"rsa": "RSA-2048", "ecdsa": "ECDSA P-256"}


def make_pki(openssl, d):
    """Root + leaf per key type; returns {kind: {root, leaf, key}} (PEM paths)."""
    cnf = loopback.write_openssl_cnf(d)
    out = {}
    for serial, kind in enumerate(("rsa", "ecdsa"), start=1):
        # distinct subjects: NSS files certificates with one subject under one nickname
        out[kind] = loopback.make_root_and_leaf(
            openssl, cnf, os.path.join(d, kind + "-"), kind,
            root_subj="/O=nsstls bench/CN=nsstls bench %s root" % kind.upper(),
            leaf_subj="/O=nsstls bench %s/CN=localhost" % kind,
            root_serial=1000 + serial, leaf_serial=2000 + serial, root_days=7, leaf_days=7)
    return out


def make_nssdb(certutil, d, pki):
    db = os.path.join(d, "nssdb")
    os.mkdir(db)
    check_run([certutil, "-N", "-d", "sql:" + db, "--empty-password"])
    for kind, files in pki.items():
        check_run([certutil, "-A", "-d", "sql:" + db, "-n", "nsstls bench %s root" % kind,
                   "-t", "C,,", "-a", "-i", files["root"]])
    return db


def start_server(openssl, d, kind, files):
    """openssl s_server on 127.0.0.1:<ephemeral>; returns (Popen, port).

    No -quiet (and no -www): s_server then echoes, and quits for good when its stdin reaches
    EOF, so loopback.start_server keeps stdin a pipe that stays open until the end.  Its
    chatter goes to a file."""
    return loopback.start_server(openssl, files, os.path.join(d, "s_server-%s.log" % kind),
                                 "openssl s_server (%s)" % kind)


# --------------------------------------------------------------------------------------------
# running one client process

def wait_with_timeout(pid, timeout, pgid):
    """wait4(pid); after `timeout` seconds SIGKILL its process group (the client and anything
    it started).  Returns (status, rusage, timed_out)."""
    timed_out = False
    try:
        pfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pfd = None
    if pfd is not None:
        try:
            poller = select.poll()
            poller.register(pfd, select.POLLIN)
            if not poller.poll(timeout * 1000):
                timed_out = True
                kill_group(pgid)
        finally:
            os.close(pfd)
    else:               # no pidfd: poll with WNOHANG
        deadline = time.monotonic() + timeout
        while True:
            wpid, status, ru = os.wait4(pid, os.WNOHANG)
            if wpid:
                return status, ru, False
            if time.monotonic() > deadline:
                timed_out = True
                kill_group(pgid)
                break
            time.sleep(0.0005)
    _, status, ru = os.wait4(pid, 0)
    if timed_out:       # reap what the client had started (re-parented to us, the subreaper)
        while True:
            try:
                os.waitpid(-pgid, 0)
            except ChildProcessError:
                break
    return status, ru, timed_out


def exit_label(status, timed_out):
    if timed_out:
        return "timeout"
    code = os.waitstatus_to_exitcode(status)
    return str(code) if code >= 0 else "sig%d" % -code


def spawn_error(e):
    return "spawn-error:%s" % (errno.errorcode.get(e.errno, e.errno) if e.errno else e)


def timed_run(argv, timeout):
    """One run for timing: the tool is spawned directly by this process."""
    r = empty_stdin()
    fa = [(os.POSIX_SPAWN_DUP2, r, 0), *loopback.DEVNULL_OUT]
    try:
        t0 = time.perf_counter()
        try:
            pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=fa, setpgroup=0)
        except OSError as e:        # e.g. the binary is being rebuilt right now
            return {"wall_ms": None, "cpu_ms": None, "exit": spawn_error(e)}
        status, ru, timed_out = wait_with_timeout(pid, timeout, pid)
        wall = time.perf_counter() - t0
    finally:
        os.close(r)
    return {"wall_ms": wall * 1e3, "cpu_ms": (ru.ru_utime + ru.ru_stime) * 1e3,
            "exit": exit_label(status, timed_out)}


# Peak RSS: the client is forked by a small sh, not by this interpreter, whose RSS it would
# otherwise report (see loopback.launch).  SUBREAPER: whether that is possible here.
SUBREAPER = False


def become_subreaper():
    global SUBREAPER
    SUBREAPER = loopback.become_subreaper()
    return SUBREAPER


def rss_run(argv, timeout, sh):
    """One run for peak RSS (KiB); the client is forked by a small shell, see above."""
    if not SUBREAPER:       # fallback: polluted by this interpreter's RSS, flagged in the output
        return direct_rss_run(argv, timeout)
    try:
        shpid, pid = loopback.launch(argv, sh, loopback.DEVNULL_OUT)
    except OSError as e:
        return {"maxrss_kib": None, "exit": spawn_error(e)}
    if pid is None:
        return {"maxrss_kib": None, "exit": "launcher-failed"}
    status, ru, timed_out = wait_with_timeout(pid, timeout, shpid)
    return {"maxrss_kib": ru.ru_maxrss, "exit": exit_label(status, timed_out)}


def direct_rss_run(argv, timeout):
    r = empty_stdin()
    fa = [(os.POSIX_SPAWN_DUP2, r, 0), *loopback.DEVNULL_OUT]
    try:
        try:
            pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=fa, setpgroup=0)
        except OSError as e:
            return {"maxrss_kib": None, "exit": spawn_error(e)}
        status, ru, timed_out = wait_with_timeout(pid, timeout, pid)
    finally:
        os.close(r)
    return {"maxrss_kib": ru.ru_maxrss, "exit": exit_label(status, timed_out)}


# --------------------------------------------------------------------------------------------
# commands

def commands(paths, port, root_pem, nssdb, case):
    p = str(port)
    cmds = {}
    if "nsstls" in paths:
        if case == "a":
            cmds["nsstls"] = [paths["nsstls"], "--no-data", "--servername", "localhost",
                              "127.0.0.1:" + p]
        else:
            cmds["nsstls"] = [paths["nsstls"], "--no-data", "--no-builtin-roots",
                              "--ca-file", root_pem, "--servername", "localhost",
                              "127.0.0.1:" + p]
    if "openssl" in paths:
        cmds["openssl"] = [paths["openssl"], "s_client", "-connect", "127.0.0.1:" + p,
                           "-servername", "localhost"]
        if case == "b":
            cmds["openssl"] += ["-CAfile", root_pem, "-no-CApath", "-no-CAstore",
                                "-verify_return_error"]
    if "gnutls-cli" in paths:
        cmds["gnutls-cli"] = [paths["gnutls-cli"]]
        if case == "b":
            cmds["gnutls-cli"] += ["--x509cafile", root_pem]
        cmds["gnutls-cli"] += ["--sni-hostname", "localhost", "-p", p, "127.0.0.1"]
    if "tstclnt" in paths and nssdb:
        cmds["tstclnt"] = [paths["tstclnt"], "-h", "127.0.0.1", "-p", p, "-a", "localhost",
                           "-d", "sql:" + nssdb]
        cmds["tstclnt"] += ["-b", "-Q"] if case == "a" else ["-Q"]
    return cmds


# --------------------------------------------------------------------------------------------
# statistics and output

def quartiles(xs):
    xs = sorted(xs)
    if len(xs) < 2:
        return (xs[0], xs[0]) if xs else (None, None)
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


def exit_summary(labels):
    counts = {}
    for x in labels:
        counts[x] = counts.get(x, 0) + 1
    def key(k):
        return (0, int(k)) if k.lstrip("-").isdigit() else (1, k)
    return ",".join("%s×%d" % (k, counts[k]) for k in sorted(counts, key=key))


def summarise(table):
    tools = table["tools"]
    ref = tools.get(REFERENCE)
    for name, t in tools.items():
        walls = [r["wall_ms"] for r in t["runs"] if r["wall_ms"] is not None]
        cpus = [r["cpu_ms"] for r in t["runs"] if r["cpu_ms"] is not None]
        rss = [r["maxrss_kib"] for r in t["rss_runs"] if r["maxrss_kib"] is not None]
        s = {
            "median_wall_ms": statistics.median(walls) if walls else None,
            "median_cpu_ms": statistics.median(cpus) if cpus else None,
            "median_maxrss_mib": statistics.median(rss) / 1024 if rss else None,
            "exit_codes": exit_summary([r["exit"] for r in t["runs"] + t["rss_runs"]]),
        }
        if ref is not None:
            pairs = [(a, b) for a, b in zip(t["runs"], ref["runs"])
                     if a["wall_ms"] is not None and b["wall_ms"] is not None]
            pw = [a["wall_ms"] / b["wall_ms"] for a, b in pairs]
            pc = [a["cpu_ms"] / b["cpu_ms"] for a, b in pairs if b["cpu_ms"] > 0]
            s["pair_wall_ratios"] = pw
            s["wall_ratio"] = statistics.median(pw) if pw else None
            s["wall_ratio_iqr"] = quartiles(pw)
            s["cpu_ratio"] = statistics.median(pc) if pc else None
        t["summary"] = s


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def print_table(table, verbose):
    print()
    print("== %s server (127.0.0.1:%d) · case (%s) %s"
          % (SERVER_LABEL[table["server"]], table["port"], table["case"],
             CASES[table["case"]]))
    hdr = "%-11s %9s %8s %8s  %-22s %s" % ("tool", "wall ms", "cpu ms", "RSS MiB",
                                            "exit codes", "wall ×s_client [IQR]  cpu ×s_client")
    print(hdr)
    for name in TOOLS:
        t = table["tools"].get(name)
        if t is None:
            continue
        s = t["summary"]
        if s.get("wall_ratio") is not None:
            lo, hi = s["wall_ratio_iqr"]
            ratio = "%5.2f [%.2f–%.2f]     %s" % (s["wall_ratio"], lo, hi,
                                                fmt(s["cpu_ratio"], "5.2f"))
        else:
            ratio = "-"
        print("%-11s %9s %8s %8s  %-22s %s"
              % (name, fmt(s["median_wall_ms"], ".2f"), fmt(s["median_cpu_ms"], ".2f"),
                 fmt(s["median_maxrss_mib"], ".2f"), s["exit_codes"], ratio))
        if verbose:
            print("            $ " + " ".join(t["argv"]))


def verdicts(tables, have_nsstls):
    """The issue's targets; returns printable lines."""
    if not have_nsstls:
        return ["targets: n/a (nsstls was not run)"]
    by = {(t["server"], t["case"]): t for t in tables}
    lines = []

    def nss_ok(t):
        seen = {r["exit"] for r in t["tools"]["nsstls"]["runs"] + t["tools"]["nsstls"]["rss_runs"]}
        bad = seen - {str(c) for c in NSSTLS_EXPECTED_EXIT[t["case"]]}
        return not bad, seen

    def cell(t, limit):
        if t is None or "nsstls" not in t["tools"] or REFERENCE not in t["tools"]:
            return "n/a", None
        ok_exit, seen = nss_ok(t)
        r = t["tools"]["nsstls"]["summary"]["wall_ratio"]
        if not ok_exit or r is None:
            return ("%s× INVALID (nsstls exit codes %s, expected %s)"
                    % (fmt(r, ".2f"), ",".join(sorted(seen)),
                       ",".join(str(c) for c in sorted(NSSTLS_EXPECTED_EXIT[t["case"]]))),
                    False)
        return "%.2f× %s" % (r, "PASS" if r <= limit else "FAIL"), r <= limit

    parts, oks = [], []
    for kind in ("ecdsa", "rsa"):
        text, ok = cell(by.get((kind, "a")), TARGET_A_MAX)
        parts.append("%s %s" % (SERVER_LABEL[kind], text))
        oks.append(ok)
    lines.append("target (a) nsstls ≤ %.2f× s_client wall, as typed: %s  => %s"
                 % (TARGET_A_MAX, "; ".join(parts), overall(oks)))

    text, ok = cell(by.get(("rsa", "b")), TARGET_B_MAX)
    extra, _ = cell(by.get(("ecdsa", "b")), TARGET_B_MAX)
    lines.append("target (b) nsstls ≤ %.2f× s_client wall, same anchor, RSA server: %s  => %s"
                 "   (ECDSA server, for information: %s)"
                 % (TARGET_B_MAX, text, overall([ok]), extra.replace(" PASS", "").replace(" FAIL", "")))

    parts, oks = [], []
    for case in ("a", "b"):
        for kind in ("ecdsa", "rsa"):
            t = by.get((kind, case))
            if t is None or "nsstls" not in t["tools"] or REFERENCE not in t["tools"]:
                continue
            n = t["tools"]["nsstls"]["summary"]["median_maxrss_mib"]
            o = t["tools"][REFERENCE]["summary"]["median_maxrss_mib"]
            if n is None or o is None:
                parts.append("(%s) %s n/a" % (case, SERVER_LABEL[kind]))
                oks.append(None)
                continue
            ok_exit, _ = nss_ok(t)
            ok = ok_exit and n < o
            oks.append(ok)
            parts.append("(%s) %s %.2f vs %.2f %s" % (case, SERVER_LABEL[kind], n, o,
                                                      "INVALID (exit codes)" if not ok_exit
                                                      else "PASS" if ok else "FAIL"))
    lines.append("target RSS nsstls < s_client peak RSS (MiB): %s  => %s"
                 % ("; ".join(parts), overall(oks)))
    return lines


def overall(oks):
    if not oks or any(o is None for o in oks):
        return "INCOMPLETE"
    return "PASS" if all(oks) else "FAIL"


def fingerprint(path):
    try:
        st = os.stat(path)
        return [st.st_ino, st.st_size, st.st_mtime_ns]
    except OSError:
        return None


def tool_versions(paths):
    v = {}
    probes = {"openssl": ["version"], "gnutls-cli": ["--version"], "nsstls": ["--version"]}
    for name, args in probes.items():
        if name in paths:
            try:
                proc = subprocess.Popen([paths[name]] + args, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        start_new_session=True)
            except OSError as e:
                v[name] = "error: %s" % e
                continue
            try:
                out, err = proc.communicate(timeout=5)
                lines = (out or err).decode(errors="replace").strip().splitlines()
                v[name] = lines[0] if lines else ""
            except subprocess.TimeoutExpired:
                kill_group(proc.pid)
                proc.communicate()
                v[name] = "error: no answer to %s within 5 s" % " ".join(args)
    if "tstclnt" in paths and shutil.which("dpkg-query"):
        r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libnss3"],
                           capture_output=True)
        v["tstclnt"] = "libnss3 " + r.stdout.decode(errors="replace")
    return v


# --------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=21, help="timed rounds per table (default 21)")
    ap.add_argument("--rss-runs", type=int, default=7,
                    help="extra rounds per table for peak RSS (default 7)")
    ap.add_argument("--warmup", type=int, default=2, help="warm-up rounds (default 2)")
    ap.add_argument("--timeout", type=float, default=10.0,
                    help="seconds before a client run is killed and counted as a timeout")
    ap.add_argument("--nsstls", default=DEFAULT_NSSTLS,
                    help="nsstls binary (default: build/src/nsstls under the repo root)")
    ap.add_argument("--servers", default="ecdsa,rsa", help="comma list of ecdsa,rsa")
    ap.add_argument("--cases", default="a,b", help="comma list of a,b")
    ap.add_argument("--json", metavar="FILE", help="write all raw numbers to FILE")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the command lines")
    args = ap.parse_args()
    if args.runs < 1 or args.rss_runs < 0 or args.warmup < 0:
        ap.error("--runs must be >= 1, --rss-runs and --warmup >= 0")
    servers = [s for s in args.servers.split(",") if s]
    cases = [c for c in args.cases.split(",") if c]
    if not set(servers) <= set(KEYGEN) or not set(cases) <= set(CASES):
        ap.error("--servers takes ecdsa,rsa; --cases takes a,b")

    paths, skipped = {}, []
    nsstls = os.path.abspath(args.nsstls)
    if os.path.isfile(nsstls) and os.access(nsstls, os.X_OK):
        paths["nsstls"] = nsstls
    else:
        skipped.append("nsstls (no executable at %s)" % nsstls)
    for name in ("openssl", "gnutls-cli", "tstclnt"):
        p = shutil.which(name)
        if p:
            paths[name] = p
        else:
            skipped.append("%s (not installed)" % name)
    if "openssl" not in paths:
        raise SystemExit("handshake.py: the openssl CLI is required (certificates, servers, "
                         "reference)")
    certutil = shutil.which("certutil")
    if "tstclnt" in paths and not certutil:
        skipped.append("tstclnt (certutil not installed, no NSS DB)")
        del paths["tstclnt"]
    sh = shutil.which("sh") or "/bin/sh"
    if not become_subreaper():
        print("warning: prctl(PR_SET_CHILD_SUBREAPER) failed; peak RSS figures include this "
              "Python process's RSS and are not comparable", file=sys.stderr)

    print("nsstls handshake bench: %d timed rounds + %d RSS rounds per table, %d warm-up, "
          "timeout %.0f s" % (args.runs, args.rss_runs, args.warmup, args.timeout))
    print("tools: " + ", ".join(n for n in TOOLS if n in paths))
    for s in skipped:
        print("skipped: " + s)
    sys.stdout.flush()

    nsstls_fp = fingerprint(paths["nsstls"]) if "nsstls" in paths else None
    versions = tool_versions(paths)
    tables = []
    servers_running = []
    tmp = tempfile.mkdtemp(prefix="nsstls-bench-")
    try:
        pki = make_pki(paths["openssl"], tmp)
        nssdb = make_nssdb(certutil, tmp, pki) if "tstclnt" in paths else None
        ports = {}
        for kind in servers:
            proc, port = start_server(paths["openssl"], tmp, kind, pki[kind])
            servers_running.append(proc)
            ports[kind] = port
        for kind in servers:
            for case in cases:
                cmds = commands(paths, ports[kind], pki[kind]["root"], nssdb, case)
                order = [n for n in TOOLS if n in cmds]
                table = {"server": kind, "case": case, "port": ports[kind],
                         "tools": {n: {"argv": cmds[n], "runs": [], "rss_runs": []}
                                   for n in order}}
                for _ in range(args.warmup):
                    for n in order:
                        timed_run(cmds[n], args.timeout)
                for _ in range(args.runs):
                    for n in order:
                        table["tools"][n]["runs"].append(timed_run(cmds[n], args.timeout))
                for _ in range(args.rss_runs):
                    for n in order:
                        table["tools"][n]["rss_runs"].append(rss_run(cmds[n], args.timeout, sh))
                summarise(table)
                tables.append(table)
                print_table(table, args.verbose)
                sys.stdout.flush()
    finally:
        for proc in servers_running:
            loopback.stop_server(proc)
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    vlines = verdicts(tables, "nsstls" in paths)
    if "nsstls" in paths and fingerprint(paths["nsstls"]) != nsstls_fp:
        vlines.insert(0, "WARNING: %s changed during the run (rebuilt?): the figures mix "
                         "builds, run again" % paths["nsstls"])
    for line in vlines:
        print(line)
    if not SUBREAPER:
        print("note: RSS figures are floored at this Python process's RSS (no subreaper)")

    if args.json:
        doc = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "runs": args.runs, "rss_runs": args.rss_runs, "warmup": args.warmup,
            "timeout_s": args.timeout,
            "rss_method": "sh-launched child, subreaper" if SUBREAPER else "direct (polluted)",
            "host": {"nproc": os.cpu_count(), "uname": " ".join(os.uname())},
            "tools": paths, "versions": versions, "skipped": skipped,
            "tables": tables, "verdict": vlines,
        }
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        print("raw numbers written to %s" % args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
