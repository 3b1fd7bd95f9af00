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
import ctypes
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_NSSTLS = os.path.join(REPO_ROOT, "build", "src", "nsstls")

N_SERVERS = 4
TARGET_RATIO = 5.0      # the issue: nsstls at least 5x faster than the loop

OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[root_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""

# The loop of (b), as a user would type it.  "$@" are ROOT.pem then the targets; it prints how
# many s_client runs failed, so that a loop of quick failures cannot pass for a fast one.
LOOP = r'''root=$1; shift; fails=0
for t in "$@"; do
    openssl s_client -connect "$t" -servername localhost -CAfile "$root" -verify_return_error </dev/null >/dev/null 2>&1 || fails=$((fails + 1))
done
echo "$fails"'''


# --------------------------------------------------------------------------------------------
# set-up: certificates and servers

def check_run(argv):
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise SystemExit("setup step failed (exit %d): %s\n%s"
                         % (r.returncode, " ".join(argv), r.stdout.decode(errors="replace")))


def make_pki(openssl, d):
    """An RSA-2048 root and an RSA-2048 leaf for localhost / 127.0.0.1.

    Valid for a year and 90 days: --check's default thresholds (WARNING within 30 days,
    CRITICAL within 7) must not fire, or the lines would not say OK."""
    cnf = os.path.join(d, "openssl.cnf")
    with open(cnf, "w") as f:
        f.write(OPENSSL_CNF)
    p = lambda name: os.path.join(d, name)
    check_run([openssl, "req", "-x509", "-new", "-config", cnf, "-extensions", "root_ext",
               "-newkey", "rsa:2048", "-nodes", "-keyout", p("root.key"), "-out", p("root.pem"),
               "-days", "365", "-sha256", "-set_serial", "1001",
               "-subj", "/O=nsstls bench/CN=nsstls many-targets bench root"])
    check_run([openssl, "req", "-new", "-config", cnf, "-newkey", "rsa:2048", "-nodes",
               "-keyout", p("leaf.key"), "-out", p("leaf.csr"),
               "-subj", "/O=nsstls bench/CN=localhost"])
    check_run([openssl, "x509", "-req", "-in", p("leaf.csr"), "-CA", p("root.pem"),
               "-CAkey", p("root.key"), "-set_serial", "2001", "-days", "90", "-sha256",
               "-extfile", cnf, "-extensions", "leaf_ext", "-out", p("leaf.pem")])
    return {"root": p("root.pem"), "leaf": p("leaf.pem"), "key": p("leaf.key")}


def start_server(openssl, d, i, pki):
    """openssl s_server -www on 127.0.0.1:<ephemeral>; returns (Popen, port).

    s_server shuts down when its stdin reaches EOF, so stdin is a pipe kept open until the
    end.  Its output goes to a log file, where the ACCEPT line gives the port."""
    log_path = os.path.join(d, "s_server-%d.log" % i)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([openssl, "s_server", "-accept", "127.0.0.1:0",
                                 "-cert", pki["leaf"], "-key", pki["key"], "-www"],
                                stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open(log_path, "rb") as f:
            m = re.search(rb"^ACCEPT 127\.0\.0\.1:(\d+)\s*$", f.read(), re.M)
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    stop_server(proc)
    with open(log_path, "rb") as f:
        raise SystemExit("openssl s_server #%d did not report an ACCEPT line:\n%s"
                         % (i, f.read().decode(errors="replace")))


def stop_server(proc):
    """Stop one server by its PID (never by name)."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass
    if proc.stdin:
        try:
            proc.stdin.close()
        except OSError:
            pass


# --------------------------------------------------------------------------------------------
# running the two contenders

def empty_stdin():
    """Read end of a pipe whose write end is already closed: EOF at once."""
    r, w = os.pipe()
    os.close(w)
    return r


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


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run(argv, out_path, timeout):
    """One timed run, spawned straight from here: stdin empty, stdout to out_path, stderr to
    out_path + ".err".  Returns {wall_s, cpu_s, exit, out}."""
    r = empty_stdin()
    fa = [(os.POSIX_SPAWN_DUP2, r, 0),
          (os.POSIX_SPAWN_OPEN, 1, out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
          (os.POSIX_SPAWN_OPEN, 2, out_path + ".err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
           0o600)]
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


# Peak RSS.  A child spawned straight from Python starts its life in a copy of (or, with
# posix_spawn, in) the interpreter's address space, and at exec Linux folds that address
# space's high-water mark into the child's ru_maxrss: every figure would read at least the
# interpreter's ~13 MiB.  So for RSS nsstls is forked by a small /bin/sh that exits at once;
# this process is a child subreaper (prctl), so nsstls is re-parented to it and its own rusage
# comes back from wait4.  The same technique as bench/handshake.py, where it is explained in
# full; the figures agree with GNU time's %M.
PR_SET_CHILD_SUBREAPER = 36

# fd 3: the shell reports the PID of its child; fds 4/5: a gate pipe whose write end only the
# shell holds, so the child execs nsstls only after the shell has exited (and cannot reap it).
LAUNCHER = '{ exec 3>&- 5>&-; read _ <&4; exec 4<&- "$@"; } 0<&0 & echo $! >&3'


def become_subreaper():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def rss_run(argv, out_path, timeout, sh):
    """One run for peak RSS through the launcher.  Returns {maxrss_kib, exit, out}."""
    r = empty_stdin()
    pr, pw = os.pipe()
    gr, gw = os.pipe()
    fa = [(os.POSIX_SPAWN_DUP2, r, 0),
          (os.POSIX_SPAWN_OPEN, 1, out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
          (os.POSIX_SPAWN_OPEN, 2, out_path + ".err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
           0o600),
          (os.POSIX_SPAWN_DUP2, pw, 3), (os.POSIX_SPAWN_DUP2, gr, 4),
          (os.POSIX_SPAWN_DUP2, gw, 5)]
    shpid = os.posix_spawn(sh, [sh, "-c", LAUNCHER, "sh"] + list(argv), os.environ,
                           file_actions=fa, setpgroup=0)
    for fd in (r, pw, gr, gw):
        os.close(fd)
    try:
        os.wait4(shpid, 0)
        data = b""
        while True:
            chunk = os.read(pr, 64)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(pr)
    if not data.strip().isdigit():
        return {"maxrss_kib": None, "exit": "launcher-failed", "out": ""}
    status, ru, timed_out = wait_or_kill(int(data), timeout, shpid)
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
    subreaper = become_subreaper()
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
            stop_server(proc)
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
