#!/usr/bin/python3
"""Scan benchmark: nsstls --scan against sslscan and testssl.sh --fast on the same loopback servers.

Each round runs every tool once against each server, interleaved (nsstls, sslscan, testssl.sh,
nsstls, ...), so a slow phase of a noisy machine hits all alike.  Reported per server and tool:
the median wall time, its ratio to sslscan's median, and the number of TCP connections the tool
opened (counted in one extra run under strace -f -e connect, not timed; not for testssl.sh).
testssl.sh --fast takes minutes per server on these machines, so it runs once, with --testssl.  Target: nsstls <= 0.5x
sslscan's wall time on every server.  See bench/README.md.

Servers (certificates from tests/fixtures, RSA-2048 with an intermediate):
  default   openssl s_server with OpenSSL's defaults (TLS 1.2 and 1.3); one connection at a time
  wide      openssl s_server, TLS 1.0-1.2, ALL:COMPLEMENTOFALL:@SECLEVEL=0 (~100 suites, many of
            them beyond NSS: the raw probes' case)
  gnutls    gnutls-serv --priority NORMAL (serves connections concurrently)

Python 3 standard library only; sslscan, testssl (Debian: testssl.sh) and gnutls-serv are used
when installed.  Servers are stopped by PID.
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loopback     # noqa: E402
from loopback import DEFAULT_NSSTLS, REPO_ROOT  # noqa: E402

FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures")
FILES = {"leaf": os.path.join(FIXTURES, "server-rsa-chain.pem"),
         "key": os.path.join(FIXTURES, "server-rsa.key")}
ROOTS = os.path.join(FIXTURES, "roots.pem")
TARGET = 0.5


def start_gnutls(log_path):
    """gnutls-serv on a port we choose (it does not report one); returns (Popen, port)."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(["gnutls-serv", "--port", str(port), "--x509certfile",
                                 FILES["leaf"], "--x509keyfile", FILES["key"],
                                 "--priority", "NORMAL"],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    loopback.stop_server(proc)
    raise SystemExit("gnutls-serv did not start")


def commands(nsstls, port, with_testssl):
    target = f"localhost:{port}"
    cmds = {"nsstls": [nsstls, "--scan", "--json", "--ca-file", ROOTS, target]}
    if shutil.which("sslscan"):
        cmds["sslscan"] = ["sslscan", "--no-colour", target]
    testssl = shutil.which("testssl") or shutil.which("testssl.sh")
    if testssl and with_testssl:
        cmds["testssl"] = [testssl, "--fast", "--quiet", "--color", "0", "--warnings",
                           "off", "--ip", "127.0.0.1", target]
    return cmds


def run(argv, timeout):
    t0 = time.monotonic()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    return time.monotonic() - t0, r


def count_connections(argv, port, timeout):
    """TCP connections to port, from one run under strace (not timed)."""
    if shutil.which("strace") is None:
        return None
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as f:
        subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect", "-o", f.name, *argv],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        return sum(1 for line in f if f"htons({port})" in line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nsstls", default=os.environ.get("NSSTLS", DEFAULT_NSSTLS))
    ap.add_argument("--runs", type=int, default=5, help="timed rounds (default 5)")
    ap.add_argument("--testssl", action="store_true",
                    help="add testssl.sh --fast to the first round (it takes minutes here)")
    ap.add_argument("--servers", default="default,wide,gnutls")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--json", help="write every run to this file")
    args = ap.parse_args()
    if not os.access(args.nsstls, os.X_OK):
        raise SystemExit(f"no nsstls binary at {args.nsstls}")

    tmp = tempfile.mkdtemp(prefix="nsstls-bench-scan-")
    servers, procs = {}, []
    try:
        for name in args.servers.split(","):
            log = os.path.join(tmp, name + ".log")
            if name == "default":
                p, port = loopback.start_server("openssl", FILES, log, name)
            elif name == "wide":
                p, port = loopback.start_server("openssl", FILES, log, name, [
                    "-min_protocol", "TLSv1", "-cipher", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"])
            elif name == "gnutls" and shutil.which("gnutls-serv"):
                p, port = start_gnutls(log)
            else:
                continue
            procs.append(p)
            servers[name] = port
        results = {}
        for rnd in range(args.runs):
            for name, port in servers.items():
                for tool, argv in commands(args.nsstls, port, args.testssl and rnd == 0).items():
                    wall, r = run(argv, args.timeout)
                    results.setdefault((name, tool), []).append(
                        {"wall_s": wall, "exit": r.returncode})
        rows, ok = [], True
        for name, port in servers.items():
            base = statistics.median(x["wall_s"] for x in results.get((name, "sslscan"), [{"wall_s": 0}]))
            for tool, argv in commands(args.nsstls, port, args.testssl).items():
                runs = results[(name, tool)]
                med = statistics.median(x["wall_s"] for x in runs)
                conns = None if tool == "testssl" else \
                    count_connections(argv, port, args.timeout)
                ratio = med / base if base else None
                if tool == "nsstls" and ratio is not None and ratio > TARGET:
                    ok = False
                rows.append({"server": name, "tool": tool, "runs": len(runs),
                             "median_wall_s": round(med, 3),
                             "ratio_to_sslscan": None if ratio is None else round(ratio, 3),
                             "connections": conns,
                             "exits": sorted({x["exit"] for x in runs})})
        print(f"{'server':8} {'tool':8} {'runs':>4} {'median s':>9} {'x sslscan':>9} "
              f"{'connections':>11}")
        for row in rows:
            ratio = "-" if row["ratio_to_sslscan"] is None else f"{row['ratio_to_sslscan']:.2f}"
            print(f"{row['server']:8} {row['tool']:8} {row['runs']:>4} "
                  f"{row['median_wall_s']:>9.3f} {ratio:>9} {str(row['connections']):>11}")
        print(f"target nsstls <= {TARGET} x sslscan on every server: "
              f"{'met' if ok else 'NOT met'}")
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"rows": rows, "runs": {f"{k[0]}/{k[1]}": v
                                                  for k, v in results.items()}}, f, indent=2)
    finally:
        for p in procs:
            loopback.stop_server(p)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
