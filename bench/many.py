#!/usr/bin/python3
"""Many-target benchmark: one `nsstls --check -j 16` run against a shell loop of openssl s_client.

The job: check N TLS endpoints.  (a) is one nsstls process with a pool of worker threads,
(b) is what people write without it: a sequential shell loop that runs `openssl s_client` once
per target.  Both go to the same N targets, spread over 4 local `openssl s_server -www`
instances, and verify against the same single root.  They run interleaved (a b a b a b); the
report gives each one's median wall time, the ratio loop/nsstls, and the verdict against the
target of the issue: nsstls at least 5x faster than the loop.  It also gives nsstls's peak RSS
and checks that every status line nsstls printed said OK (a tool that fails early is fast).

Python 3 standard library only; needs the openssl CLI.  See bench/README.md.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loopback     # noqa: E402  (bench/loopback.py: certificates, servers, client plumbing)
from loopback import DEFAULT_NSSTLS, empty_stdin, kill_group  # noqa: E402

N_SERVERS = 4
TARGET_RATIO = 5.0      # the issue: nsstls at least 5x faster than the loop

# The loop of (b), as a user would type it.  "$@" are ROOT.pem then the targets; it prints how
# many s_client runs failed, so that a loop of quick failures cannot pass for a fast one.
LOOP = r'''root=$1; shift; fails=0
for t in "$@"; do
    openssl s_client -connect "$t" -servername localhost -CAfile "$root" -verify_return_error </dev/null >/dev/null 2>&1 || fails=$((fails + 1))
done
echo "$fails"'''


# --------------------------------------------------------------------------------------------
# set-up: certificates and servers

def make_pki(openssl, d):
    """An RSA-2048 root and an RSA-2048 leaf for localhost / 127.0.0.1.

    Valid for a year and 90 days: --check's default thresholds (WARNING within 30 days,
    CRITICAL within 7) must not fire, or the lines would not say OK."""
    return loopback.make_root_and_leaf(
        openssl, loopback.write_openssl_cnf(d), os.path.join(d, ""), "rsa",
        root_subj="/O=nsstls bench/CN=nsstls many-targets bench root",
        leaf_subj="/O=nsstls bench/CN=localhost",
        root_serial=1001, leaf_serial=2001, root_days=365, leaf_days=90)


def start_server(openssl, d, i, pki):
    """openssl s_server -www on 127.0.0.1:<ephemeral>; returns (Popen, port).  It is kept
    alive by an open stdin pipe and stopped by PID: loopback.start_server, stop_server."""
    return loopback.start_server(openssl, pki, os.path.join(d, "s_server-%d.log" % i),
                                 "openssl s_server #%d" % i, ["-www"])


# --------------------------------------------------------------------------------------------
# running the two contenders

def wait_or_kill(pid, timeout, pgid):
    """wait4(pid), killing the process group pgid after `timeout` seconds.
    Returns (status, rusage, timed_out)."""
    deadline = time.monotonic() + timeout
    try:
        while True:
            wpid, status, ru = os.wait4(pid, os.WNOHANG)
            if wpid:
                return status, ru, False
            if time.monotonic() > deadline:
                kill_group(pgid)
                _, status, ru = os.wait4(pid, 0)
                return status, ru, True
            time.sleep(0.001)
    except BaseException:
        # Ctrl-C or SIGTERM: take the run (the loop and its s_client too) down with us.
        kill_group(pgid)
        try:
            os.wait4(pid, 0)
        except ChildProcessError:
            pass
        raise


def run(argv, out_path, timeout):
    """One timed run, spawned straight from here: stdin empty, stdout to out_path, stderr to
    out_path + ".err".  Returns {wall_s, cpu_s, exit, out}."""
    r = empty_stdin()
    fa = [(os.POSIX_SPAWN_DUP2, r, 0), *loopback.file_out(out_path)]
    try:
        t0 = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=fa, setpgroup=0)
        status, ru, timed_out = wait_or_kill(pid, timeout, pid)
        wall = time.perf_counter() - t0
    finally:
        os.close(r)
    with open(out_path, encoding="utf-8", errors="replace") as f:
        out = f.read()
    return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "maxrss_kib": ru.ru_maxrss,
            "exit": "timeout" if timed_out else os.waitstatus_to_exitcode(status), "out": out}


def rss_run(argv, out_path, timeout, sh):
    """One run for peak RSS: nsstls is forked by a small sh, not by this interpreter, whose RSS
    it would otherwise report (see loopback.launch; needs loopback.become_subreaper()).
    Returns {maxrss_kib, exit, out}."""
    shpid, pid = loopback.launch(argv, sh, loopback.file_out(out_path))
    if pid is None:
        return {"maxrss_kib": None, "exit": "launcher-failed", "out": ""}
    status, ru, timed_out = wait_or_kill(pid, timeout, shpid)
    with open(out_path, encoding="utf-8", errors="replace") as f:
        out = f.read()
    return {"maxrss_kib": ru.ru_maxrss,
            "exit": "timeout" if timed_out else os.waitstatus_to_exitcode(status), "out": out}


def check_lines(out, n):
    """(lines that say OK, total lines) of one nsstls --check run; n lines are expected."""
    lines = [l for l in out.splitlines() if l.strip()]
    ok = sum(1 for l in lines if l.startswith("TLS OK - "))
    return ok, len(lines)


# --------------------------------------------------------------------------------------------

def version_of(argv):
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=10)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--targets", type=int, default=200,
                    help="number of targets, spread over the 4 servers (default 200)")
    ap.add_argument("--jobs", type=int, default=16, help="nsstls -j (default 16)")
    ap.add_argument("--runs", type=int, default=3,
                    help="timed rounds, each one nsstls run and one loop (default 3)")
    ap.add_argument("--rss-runs", type=int, default=3,
                    help="extra nsstls runs for peak RSS (default 3)")
    ap.add_argument("--timeout", type=float, default=600.0,
                    help="seconds before a run is killed (default 600)")
    ap.add_argument("--nsstls", default=DEFAULT_NSSTLS,
                    help="nsstls binary (default: build/src/nsstls under the repo root)")
    args = ap.parse_args()
    if args.targets < 1 or not 1 <= args.jobs <= 256 or args.runs < 1 or args.rss_runs < 0:
        ap.error("--targets and --runs must be >= 1, --jobs 1 to 256, --rss-runs >= 0")
    nsstls = os.path.abspath(args.nsstls)
    if not (os.path.isfile(nsstls) and os.access(nsstls, os.X_OK)):
        raise SystemExit("many.py: no nsstls binary at %s (build it: ninja -C build)" % nsstls)
    openssl = shutil.which("openssl")
    if openssl is None:
        raise SystemExit("many.py: the openssl CLI is required")
    sh = shutil.which("sh") or "/bin/sh"
    subreaper = loopback.become_subreaper()
    # SIGTERM takes the same way out as Ctrl-C: through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    servers = []
    tmp = tempfile.mkdtemp(prefix="nsstls-many-")
    try:
        pki = make_pki(openssl, tmp)
        ports = []
        for i in range(N_SERVERS):
            proc, port = start_server(openssl, tmp, i, pki)
            servers.append(proc)
            ports.append(port)
        targets = ["127.0.0.1:%d" % ports[i % N_SERVERS] for i in range(args.targets)]
        targets_file = os.path.join(tmp, "targets.txt")
        with open(targets_file, "w") as f:
            f.write("# %d targets over %d openssl s_server\n" % (len(targets), N_SERVERS))
            f.write("\n".join(targets) + "\n")

        a_argv = [nsstls, "--check", "--no-builtin-roots", "--ca-file", pki["root"],
                  "--servername", "localhost", "--targets", targets_file, "-j", str(args.jobs)]
        b_argv = [sh, "-c", LOOP, "sh", pki["root"]] + targets

        print("nsstls many-targets bench: %d targets over %d openssl s_server -www on "
              "127.0.0.1 (ports %s), %d round%s interleaved, %d cores"
              % (len(targets), N_SERVERS, ", ".join(map(str, ports)), args.runs,
                 "" if args.runs == 1 else "s", os.cpu_count() or 0))
        print("  nsstls:  %s (%s)" % (nsstls, version_of([nsstls, "--version"])))
        print("  openssl: %s (%s)" % (openssl, version_of([openssl, "version"])))
        print("  (a) nsstls --check --no-builtin-roots --ca-file ROOT.pem --servername localhost "
              "--targets FILE -j %d" % args.jobs)
        print("  (b) for t in TARGETS; do openssl s_client -connect $t -servername localhost "
              "-CAfile ROOT.pem -verify_return_error </dev/null >/dev/null 2>&1; done")
        sys.stdout.flush()

        # Warm-up, not timed: page cache, each server's first accept.
        warm = targets[:N_SERVERS]
        run([nsstls, "--check", "--no-builtin-roots", "--ca-file", pki["root"],
             "--servername", "localhost"] + warm, os.path.join(tmp, "warm-a.out"), args.timeout)
        run([sh, "-c", LOOP, "sh", pki["root"]] + warm, os.path.join(tmp, "warm-b.out"),
            args.timeout)

        a_runs, b_runs = [], []
        for k in range(args.runs):
            a = run(a_argv, os.path.join(tmp, "a%d.out" % k), args.timeout)
            a["ok"], a["lines"] = check_lines(a["out"], len(targets))
            a_runs.append(a)
            b = run(b_argv, os.path.join(tmp, "b%d.out" % k), args.timeout)
            b["fails"] = int(b["out"].strip()) if b["out"].strip().isdigit() else None
            b_runs.append(b)
            print("  round %d: (a) nsstls %7.3f s, exit %s, %d/%d OK lines   "
                  "(b) loop %7.3f s, exit %s, %s failed s_client runs   loop/nsstls %.1fx"
                  % (k + 1, a["wall_s"], a["exit"], a["ok"], a["lines"], b["wall_s"],
                     b["exit"], "?" if b["fails"] is None else b["fails"],
                     b["wall_s"] / a["wall_s"]))
            sys.stdout.flush()

        rss_runs = []
        for k in range(args.rss_runs):
            out = os.path.join(tmp, "rss%d.out" % k)
            # Without a subreaper, only a direct run is possible: its figure is a floor set
            # by this interpreter, and is flagged as such below.
            r = rss_run(a_argv, out, args.timeout, sh) if subreaper else \
                run(a_argv, out, args.timeout)
            r["ok"], r["lines"] = check_lines(r["out"], len(targets))
            rss_runs.append(r)
    finally:
        for proc in servers:
            loopback.stop_server(proc)
        shutil.rmtree(tmp, ignore_errors=True)

    a_med = statistics.median(r["wall_s"] for r in a_runs)
    b_med = statistics.median(r["wall_s"] for r in b_runs)
    ratio = b_med / a_med
    paired = [b["wall_s"] / a["wall_s"] for a, b in zip(a_runs, b_runs)]
    n = len(targets)

    print()
    print("  %-34s %9s %9s %12s" % ("", "wall (s)", "CPU (s)", "per target"))
    print("  %-34s %9.3f %9.3f %9.2f ms" % ("(a) nsstls --check -j %d (median)" % args.jobs,
                                          a_med, statistics.median(r["cpu_s"] for r in a_runs),
                                          a_med / n * 1e3))
    print("  %-34s %9.3f %9.3f %9.2f ms" % ("(b) s_client shell loop (median)", b_med,
                                          statistics.median(r["cpu_s"] for r in b_runs),
                                          b_med / n * 1e3))
    print("  ratio loop/nsstls (medians): %.1fx   per round: %s"
          % (ratio, ", ".join("%.1fx" % x for x in paired)))

    all_runs = a_runs + rss_runs
    lines_ok = sum(r["ok"] for r in all_runs)
    lines_total = sum(r["lines"] for r in all_runs)
    exits = sorted({str(r["exit"]) for r in all_runs})
    valid_a = all(r["exit"] == 0 and r["ok"] == n and r["lines"] == n for r in all_runs)
    valid_b = all(r["exit"] == 0 and r["fails"] == 0 for r in b_runs)
    print("  nsstls check lines: %d of %d said OK (%d runs x %d targets, expected %d); exit "
          "status %s" % (lines_ok, lines_total, len(all_runs), n, len(all_runs) * n,
                         ", ".join(exits)))
    print("  openssl loop: %s failed s_client runs of %d"
          % (sum(r["fails"] or 0 for r in b_runs) if all(r["fails"] is not None for r in b_runs)
             else "?", len(b_runs) * n))
    rss = [r["maxrss_kib"] for r in rss_runs if r.get("maxrss_kib")]
    if rss:
        print("  nsstls peak RSS (wait4 ru_maxrss, %d runs%s): median %.1f MiB, max %.1f MiB"
              % (len(rss), "" if subreaper else "; POLLUTED: no subreaper, so the figure "
                 "includes this Python interpreter's RSS",
                 statistics.median(rss) / 1024, max(rss) / 1024))
    print()
    if not (valid_a and valid_b):
        print("verdict: INVALID: %s" % "; ".join(
            m for m, bad in (("not every nsstls check line said OK, or nsstls did not exit 0",
                              not valid_a),
                             ("some openssl s_client runs failed", not valid_b)) if bad))
    else:
        print("verdict: nsstls is %.1fx faster than the s_client loop over %d targets: "
              "target (>= %.0fx) %s" % (ratio, n, TARGET_RATIO,
                                        "MET" if ratio >= TARGET_RATIO else "NOT MET"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
