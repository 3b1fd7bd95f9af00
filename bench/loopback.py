"""Shared set-up for the benches: throw-away certificates, local openssl s_server instances on
127.0.0.1, and the plumbing for running a client process (empty stdin, process groups, peak RSS
through a small sh parent).  Imported by bench/handshake.py and bench/many.py.

Python 3 standard library only.  See bench/README.md.
"""

import ctypes
import os
import re
import signal
import subprocess
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_NSSTLS = os.path.join(REPO_ROOT, "build", "src", "nsstls")


# --------------------------------------------------------------------------------------------
# certificates

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
[leaf_rsa]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_ec]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""

# openssl req arguments for a new key of each kind, and the leaf extensions section to go with it
KEYGEN = {
    "rsa": ["-newkey", "rsa:2048"],
    "ecdsa": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
}
LEAF_EXT = {"rsa": "leaf_rsa", "ecdsa": "leaf_ec"}


def check_run(argv, **kw):
    """Run one set-up step; exit the bench with its output if it fails.  Returns its output."""
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, **kw)
    if r.returncode != 0:
        raise SystemExit("setup step failed (exit %d): %s\n%s"
                         % (r.returncode, " ".join(argv), r.stdout.decode(errors="replace")))
    return r.stdout.decode(errors="replace")


def write_openssl_cnf(d):
    """OPENSSL_CNF as d/openssl.cnf; returns its path."""
    cnf = os.path.join(d, "openssl.cnf")
    with open(cnf, "w") as f:
        f.write(OPENSSL_CNF)
    return cnf


def make_root_and_leaf(openssl, cnf, prefix, kind, root_subj, leaf_subj, root_serial,
                       leaf_serial, root_days, leaf_days):
    """A self-signed root and a leaf it issues (SAN localhost and 127.0.0.1, EKU serverAuth),
    both with a new key of `kind` (a KEYGEN key); the files are prefix + root.key, root.pem,
    leaf.key, leaf.csr, leaf.pem.  Returns {root, leaf, key} (PEM paths)."""
    p = lambda name: prefix + name
    check_run([openssl, "req", "-x509", "-new", "-config", cnf, "-extensions", "root_ext",
               *KEYGEN[kind], "-nodes", "-keyout", p("root.key"), "-out", p("root.pem"),
               "-days", str(root_days), "-sha256", "-set_serial", str(root_serial),
               "-subj", root_subj])
    check_run([openssl, "req", "-new", "-config", cnf, *KEYGEN[kind], "-nodes",
               "-keyout", p("leaf.key"), "-out", p("leaf.csr"), "-subj", leaf_subj])
    check_run([openssl, "x509", "-req", "-in", p("leaf.csr"), "-CA", p("root.pem"),
               "-CAkey", p("root.key"), "-set_serial", str(leaf_serial), "-days", str(leaf_days),
               "-sha256", "-extfile", cnf, "-extensions", LEAF_EXT[kind], "-out", p("leaf.pem")])
    return {"root": p("root.pem"), "leaf": p("leaf.pem"), "key": p("leaf.key")}


# --------------------------------------------------------------------------------------------
# servers

def start_server(openssl, files, log_path, name, extra_args=()):
    """openssl s_server -accept 127.0.0.1:0 with files' leaf and key (then extra_args);
    returns (Popen, port).

    s_server quits for good when its stdin reaches EOF, so stdin is a pipe that stays open
    until stop_server().  Its output goes to log_path, where the ACCEPT line gives the port.
    Without an ACCEPT line within 10 s the server is stopped and the bench exits with the log,
    calling the server `name`."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([openssl, "s_server", "-accept", "127.0.0.1:0",
                                 "-cert", files["leaf"], "-key", files["key"], *extra_args],
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
        raise SystemExit("%s did not report an ACCEPT line:\n%s"
                         % (name, f.read().decode(errors="replace")))


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
# running a client process

def empty_stdin():
    """Read end of a pipe whose write end is already closed: the tool sees EOF at once."""
    r, w = os.pipe()
    os.close(w)
    return r


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# posix_spawn file actions for a client's stdout and stderr
DEVNULL_OUT = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
               (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)]


def file_out(path):
    """stdout to path, stderr to path + ".err" (both created or truncated)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    return [(os.POSIX_SPAWN_OPEN, 1, path, flags, 0o600),
            (os.POSIX_SPAWN_OPEN, 2, path + ".err", flags, 0o600)]


# Peak RSS.  ru_maxrss of a child is at least the RSS of the process it was forked/spawned
# from: at exec the kernel folds the old address space's high-water mark into the process's
# maxrss, and a posix_spawn child's old address space is this Python interpreter's (~13 MiB,
# more than any of the clients).  So for RSS the client is forked by a small /bin/sh instead
# (~1 MiB), which exits at once; this process is a child subreaper (prctl), so the client is
# re-parented to it and its own rusage can be collected with wait4.  (Checked against GNU
# /usr/bin/time -f %M: the same figures within about 0.2 MiB.)
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    """prctl(PR_SET_CHILD_SUBREAPER); True if it worked."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


# fd 3: the shell reports the client's PID; fd 4/5: a gate pipe whose only write end (5) the
# parent shell holds.  The forked child waits for EOF on the gate, i.e. until the parent shell
# has exited, before it execs the client: otherwise dash may reap a client that has already
# finished (it sweeps with wait4(-1, WNOHANG)) and its rusage would be lost.
LAUNCHER = '{ exec 3>&- 5>&-; read _ <&4; exec 4<&- "$@"; } 0<&0 & echo $! >&3'


def launch(argv, sh, out_actions):
    """Start argv for peak RSS through LAUNCHER (see above), stdin empty, stdout and stderr as
    out_actions (posix_spawn file actions for fds 1 and 2).  Needs become_subreaper().

    Returns (shpid, pid): shpid, already reaped, is the process group the client runs in (no
    job control in sh -c); pid is the client's, now our child, or None if the shell did not
    report one.  Raises OSError if the shell cannot be spawned."""
    r = empty_stdin()
    pr, pw = os.pipe()
    gr, gw = os.pipe()
    fa = [(os.POSIX_SPAWN_DUP2, r, 0), *out_actions,
          (os.POSIX_SPAWN_DUP2, pw, 3),
          (os.POSIX_SPAWN_DUP2, gr, 4),
          (os.POSIX_SPAWN_DUP2, gw, 5)]
    try:
        shpid = os.posix_spawn(sh, [sh, "-c", LAUNCHER, "sh"] + list(argv), os.environ,
                               file_actions=fa, setpgroup=0)
    except OSError:
        for fd in (r, pr, pw, gr, gw):
            os.close(fd)
        raise
    for fd in (r, pw, gr, gw):      # the gate must have no write end left here
        os.close(fd)
    try:
        os.wait4(shpid, 0)          # from here on the client is our child
        data = b""
        while True:
            chunk = os.read(pr, 64)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(pr)
    return shpid, int(data) if data.strip().isdigit() else None
