#!/usr/bin/python3
"""Server-mode benchmark: handshakes per second served by `nsstls --listen
--echo` against `openssl s_server` and NSS `selfserv`, all with the same
RSA-2048 certificate (tests/fixtures/server-rsa) on 127.0.0.1, driven by the
same load generator, `openssl s_time` (one client process, one connection
at a time), for full handshakes (-new) and resumptions (-reuse), in TLS 1.3
and TLS 1.2.  Also the servers' peak RSS (VmHWM) at the end.  The servers
run one after the other, never at the same time.

    /usr/bin/python3 bench/server.py                 # 5 s per case
    /usr/bin/python3 bench/server.py --time 2 --nsstls build-rel/src/nsstls

Target (issue 12): nsstls at least selfserv's rate.  On a shared machine
the rates move by 10-30 % from run to run (selfserv's own TLS 1.2 resumption
rate was measured between 1057/s and 1451/s), so the bench also reports
each server's own CPU time per handshake (utime + stime of its process,
from /proc, over the case): the client's share of the two cores and the
neighbours' load do not change it much.  --rounds N runs every server N
times, alternating, and prints medians.  The verdicts are printed; the exit
status is 0 whenever the bench ran.
"""

import argparse
import os
import statistics
import re
import signal
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))
import peers  # noqa: E402  (fixtures, selfserv and s_server start-up, stop by PID)

RATE_RE = re.compile(r"(\d+) connections in (\d+) real seconds")
LISTEN_RE = re.compile(r"listening on \S+:(\d+)")


def cpu_seconds(pid):
    """utime + stime of process pid, all its threads, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def s_time(port, pid, mode, version, seconds):
    """(connections per second s_time made, the server's CPU ms per
    connection); mode: -new or -reuse.  None for what was not measured."""
    cpu0 = cpu_seconds(pid)
    out = subprocess.run(["openssl", "s_time", "-connect", f"127.0.0.1:{port}",
                          mode, version, "-time", str(seconds)],
                         capture_output=True, text=True, timeout=seconds * 3 + 30)
    cpu = cpu_seconds(pid) - cpu0
    found = RATE_RE.findall(out.stdout)
    if not found:
        return None, None
    n, secs = map(int, found[-1])
    return n / max(secs, 1), (1000 * cpu / n if n else None)


def peak_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Nsstls:
    def __init__(self, binary):
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--echo", "--quiet",
             "--cert", peers.fixture("server-rsa.crt"), "--key",
             peers.fixture("server-rsa.key"), "--cert-chain",
             peers.fixture("int-rsa.crt")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        m = LISTEN_RE.search(line)
        if not m:
            raise RuntimeError("nsstls did not start: " + line)
        self.port = int(m.group(1))
        self.pid = self.proc.pid

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30)
        if rc != 0:
            raise RuntimeError(f"nsstls --listen exited {rc}")


def run_cases(port, pid, seconds):
    rates, cpu = {}, {}
    for version in ("-tls1_3", "-tls1_2"):
        for mode in ("-new", "-reuse"):
            case = f"{version[1:]} {mode[1:]}"
            rates[case], cpu[case] = s_time(port, pid, mode, version, seconds)
    return rates, cpu, peak_rss_kib(pid)


def run_server(name, nsstls, seconds):
    if name == "nsstls --listen":
        srv = Nsstls(nsstls)
        try:
            return run_cases(srv.port, srv.pid, seconds)
        finally:
            srv.stop()
    if name == "openssl s_server":
        with peers.openssl_server("server-rsa.crt", "server-rsa.key",
                                  chain="int-rsa.crt") as s:
            return run_cases(s.port, s.proc.pid, seconds)
    # -u: session tickets, as nsstls and s_server issue them.
    with peers.selfserv_server("server-rsa", args=["-u"]) as s:
        return run_cases(s.port, s.proc.pid, seconds)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def table(title, cases, rows, fmt, extra=None):
    print(title)
    print(f"{'server':<18}" + "".join(f"{c:>14}" for c in cases) +
          (f"{extra[0]:>10}" if extra else ""))
    for name, values in rows.items():
        print(f"{name:<18}" + "".join(
            fmt.format(values[c]) if values[c] is not None else f"{'-':>14}"
            for c in cases) + (f"{extra[1][name] or '-':>10}" if extra else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--time", type=int, default=5, help="seconds per case")
    ap.add_argument("--rounds", type=int, default=1,
                    help="runs of every server, alternating (medians)")
    ap.add_argument("--nsstls", default=os.path.join(REPO, "build", "src", "nsstls"))
    args = ap.parse_args()

    servers = ["nsstls --listen", "openssl s_server", "selfserv"]
    runs = {name: [] for name in servers}
    for _ in range(args.rounds):
        for name in servers:
            runs[name].append(run_server(name, args.nsstls, args.time))
    cases = list(runs[servers[0]][0][0])
    rates = {n: {c: median([r[0][c] for r in runs[n]]) for c in cases} for n in servers}
    cpu = {n: {c: median([r[1][c] for r in runs[n]]) for c in cases} for n in servers}
    rss = {n: max(r[2] or 0 for r in runs[n]) or None for n in servers}
    table(f"handshakes/s served (openssl s_time, {args.time} s per case, "
          f"median of {args.rounds}); peak RSS", cases, rates, "{:>14.1f}",
          ("RSS KiB", rss))
    print()
    table("server CPU ms per handshake (utime + stime; lower is better)",
          cases, cpu, "{:>14.2f}")
    ours, ref = rates["nsstls --listen"], rates["selfserv"]
    worse = [c for c in cases if ours[c] is not None and ref[c] is not None
             and ours[c] < ref[c]]
    print("verdict (rate): nsstls at least selfserv's rate in every case"
          if not worse else "verdict (rate): below selfserv in " + ", ".join(worse))
    ours, ref = cpu["nsstls --listen"], cpu["selfserv"]
    dearer = [f"{c} ({ours[c] / ref[c]:.2f}x)" for c in cases
              if ours[c] and ref[c] and ours[c] > ref[c] * 1.10]
    print("verdict (CPU): nsstls within 10 % of selfserv's CPU per handshake "
          "or below, in every case" if not dearer else
          "verdict (CPU): dearer than selfserv in " + ", ".join(dearer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
