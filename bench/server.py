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

Target (issue 12): nsstls at least selfserv's rate.  The verdict is
printed; the exit status is 0 whenever the bench ran.
"""

import argparse
import os
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


def s_time(port, mode, version, seconds):
    """Connections per second s_time made (mode: -new or -reuse)."""
    out = subprocess.run(["openssl", "s_time", "-connect", f"127.0.0.1:{port}",
                          mode, version, "-time", str(seconds)],
                         capture_output=True, text=True, timeout=seconds * 3 + 30)
    found = RATE_RE.findall(out.stdout)
    if not found:
        return None
    n, secs = map(int, found[-1])
    return n / max(secs, 1)


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
    rates = {}
    for version in ("-tls1_3", "-tls1_2"):
        for mode in ("-new", "-reuse"):
            rates[f"{version[1:]} {mode[1:]}"] = s_time(port, mode, version, seconds)
    return rates, peak_rss_kib(pid)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--time", type=int, default=5, help="seconds per case")
    ap.add_argument("--nsstls", default=os.path.join(REPO, "build", "src", "nsstls"))
    args = ap.parse_args()

    results = {}
    srv = Nsstls(args.nsstls)
    try:
        results["nsstls --listen"] = run_cases(srv.port, srv.pid, args.time)
    finally:
        srv.stop()
    with peers.openssl_server("server-rsa.crt", "server-rsa.key",
                              chain="int-rsa.crt") as s:
        results["openssl s_server"] = run_cases(s.port, s.proc.pid, args.time)
    # -u: session tickets, as nsstls and s_server issue them.
    with peers.selfserv_server("server-rsa", args=["-u"]) as s:
        results["selfserv"] = run_cases(s.port, s.proc.pid, args.time)

    cases = list(next(iter(results.values()))[0])
    print(f"handshakes/s served (openssl s_time, {args.time} s per case); peak RSS")
    print(f"{'server':<18}" + "".join(f"{c:>14}" for c in cases) + f"{'RSS KiB':>10}")
    for name, (rates, rss) in results.items():
        print(f"{name:<18}" + "".join(
            f"{rates[c]:>14.1f}" if rates[c] is not None else f"{'-':>14}"
            for c in cases) + f"{rss if rss else '-':>10}")
    ours, ref = results["nsstls --listen"][0], results["selfserv"][0]
    worse = [c for c in cases if ours[c] is not None and ref[c] is not None
             and ours[c] < ref[c]]
    print("verdict: nsstls at least selfserv's rate in every case" if not worse
          else "verdict: below selfserv in " + ", ".join(worse))
    return 0


if __name__ == "__main__":
    sys.exit(main())
