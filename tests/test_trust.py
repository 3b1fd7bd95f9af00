"""Trust sources: --ca-file, the built-in roots, the system bundle, an NSS
database (with and without a password), and the local setup errors (exit 2).
"""

import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

import peers
from peers import BOUNDED, ROOTS

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
PASSWORD = "s3cret-pw"


def line(text, pattern):
    return re.search(pattern, text, re.M) is not None


def trust_sources(report):
    """The rows of the "Trust sources:" block: [(kind, rest)]."""
    m = re.search(r"^Trust sources:\n((?:  .*\n)+)", report, re.M)
    assert m, report
    return [tuple(l.strip().split(None, 1)) for l in m.group(1).splitlines()]


def one_error(stderr):
    lines = [l for l in stderr.splitlines() if l.startswith("nsstls: ")]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture
def tmp_path():
    """A private temporary directory.  Not pytest's tmp_path: concurrent
    pytest runs of one user prune each other's numbered base directories."""
    with tempfile.TemporaryDirectory(prefix="nsstls-trust-") as d:
        yield Path(d)


@pytest.fixture
def server(openssl_server):
    return openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                          args=["-naccept", "1"])


def _certutil(*args):
    certutil = peers._require("certutil")
    r = subprocess.run([certutil, *args], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.fixture
def plain_db(tmp_path):
    """An NSS database, empty password, trusting root-rsa for TLS servers."""
    db = tmp_path / "db"
    db.mkdir()
    _certutil("-N", "-d", f"sql:{db}", "--empty-password")
    _certutil("-A", "-d", f"sql:{db}", "-n", "root", "-t", "C,,",
              "-i", peers.fixture("root-rsa.crt"))
    return db


@pytest.fixture
def password_db(tmp_path):
    """An NSS database with password PASSWORD, trusting root-rsa."""
    db = tmp_path / "pwdb"
    db.mkdir()
    pwfile = tmp_path / "pw.txt"
    pwfile.write_text(PASSWORD + "\n")
    _certutil("-N", "-d", f"sql:{db}", "-f", str(pwfile))
    _certutil("-A", "-d", f"sql:{db}", "-n", "root", "-t", "C,,", "-f", str(pwfile),
              "-i", peers.fixture("root-rsa.crt"))
    return db, pwfile


# ---- setup errors: exit 2 ----------------------------------------------------

def test_ca_file_missing(nsstls, closed_port):
    r = nsstls(*BOUNDED, "--ca-file", "/nonexistent/roots.pem", f"127.0.0.1:{closed_port}")
    assert r.returncode == 2, r.stderr
    err = one_error(r.stderr)
    assert "/nonexistent/roots.pem" in err, err
    assert err.startswith("nsstls: setup: "), err


def test_ca_file_unreadable(nsstls, closed_port, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    f = tmp_path / "roots.pem"
    f.write_text(Path(ROOTS).read_text())
    f.chmod(0)
    r = nsstls(*BOUNDED, "--ca-file", f, f"127.0.0.1:{closed_port}")
    assert r.returncode == 2, r.stderr
    assert str(f) in one_error(r.stderr)


@pytest.mark.parametrize("content", ["", "not a certificate\n", "key"])
def test_ca_file_without_certificate(nsstls, closed_port, tmp_path, content):
    f = tmp_path / "empty.pem"
    f.write_text(Path(peers.fixture("server-rsa.key")).read_text() if content == "key"
                 else content)
    r = nsstls(*BOUNDED, "--ca-file", f, f"127.0.0.1:{closed_port}")
    assert r.returncode == 2, r.stderr
    err = one_error(r.stderr)
    assert str(f) in err, err
    assert "no certificate" in err, err


def test_ca_file_is_a_directory(nsstls, closed_port, tmp_path):
    r = nsstls(*BOUNDED, "--ca-file", tmp_path, f"127.0.0.1:{closed_port}")
    assert r.returncode == 2, r.stderr
    assert str(tmp_path) in one_error(r.stderr)


def test_second_ca_file_missing(nsstls, closed_port):
    r = nsstls(*BOUNDED, "--ca-file", ROOTS, "--ca-file", "/nonexistent.pem",
               f"127.0.0.1:{closed_port}")
    assert r.returncode == 2, r.stderr
    assert "/nonexistent.pem" in one_error(r.stderr)


def test_db_missing(nsstls, closed_port):
    r = nsstls(*BOUNDED, "--db", "/nonexistent", f"127.0.0.1:{closed_port}")
    assert r.returncode == 2, r.stderr
    err = one_error(r.stderr)
    assert "/nonexistent" in err, err
    assert re.search(r"\(SEC_ERROR_\w+\)$", err), err


def test_db_empty_directory(nsstls, closed_port, tmp_path):
    # A directory that holds no database is not a database (read-only open).
    r = nsstls(*BOUNDED, "--db", tmp_path, f"127.0.0.1:{closed_port}")
    assert r.returncode == 2, r.stderr
    assert str(tmp_path) in one_error(r.stderr)


# ---- what the report says about trust ----------------------------------------

def test_default_trust_is_builtin(nsstls, server):
    r = nsstls(*BOUNDED, "--no-data", "--insecure", f"localhost:{server.port}")
    assert r.returncode == 0, r.stderr
    sources = trust_sources(r.stderr)
    assert [k for k, _ in sources] == ["builtin"], sources
    assert "Builtin Object Token" in sources[0][1], sources
    # Token and module named in full (PKCS#11's 32-byte description cut
    # "NSS Builtin Object Cryptoki Module").
    assert re.fullmatch(r"NSS built-in roots \(Builtin Object Token, libnssckbi\.so "
                        r"\d+\.\d+\)", sources[0][1]), sources


def test_builtin_anchor_count_verbose(nsstls, server):
    r = nsstls(*BOUNDED, "--no-data", "--insecure", "-v", "--ca-file", ROOTS,
               f"localhost:{server.port}")
    assert r.returncode == 0, r.stderr
    sources = dict(trust_sources(r.stderr))
    m = re.search(r", (\d+) anchors$", sources["builtin"])
    assert m, sources
    assert int(m.group(1)) > 100, sources
    assert re.search(r"roots\.pem, 2 anchors$", sources["ca-file"]), sources


def test_no_builtin_roots_with_ca_file(nsstls, server):
    r = nsstls(*BOUNDED, "--no-data", "--no-builtin-roots", "--ca-file", ROOTS,
               f"localhost:{server.port}")
    assert r.returncode == 0, r.stderr
    sources = trust_sources(r.stderr)
    assert [k for k, _ in sources] == ["ca-file"], sources
    assert "Builtin Object Token" not in r.stderr


def test_no_trust_at_all(nsstls, server):
    r = nsstls(*BOUNDED, "--no-data", "--no-builtin-roots", f"localhost:{server.port}")
    assert r.returncode == 6, r.stderr
    assert line(r.stderr, r"^Trust: no trust anchors loaded$") or \
        line(r.stderr, r"^Trust sources:\s*\(none\)"), r.stderr
    assert r.stderr.rstrip().splitlines()[-1] == \
        "nsstls: handshake: certificate verification failed (SEC_ERROR_UNKNOWN_ISSUER)"


def test_two_ca_files(nsstls, server):
    r = nsstls(*BOUNDED, "--no-data", "--no-builtin-roots",
               "--ca-file", peers.fixture("root-ec.crt"),
               "--ca-file", peers.fixture("root-rsa.crt"), f"localhost:{server.port}")
    assert r.returncode == 0, r.stderr
    sources = trust_sources(r.stderr)
    assert [k for k, _ in sources] == ["ca-file", "ca-file"], sources
    assert line(r.stderr, r"^\s+From\s+local trust source: ca-file \S*root-rsa\.crt$"), r.stderr


def test_ca_file_of_the_other_root_fails(nsstls, server):
    r = nsstls(*BOUNDED, "--no-data", "--no-builtin-roots",
               "--ca-file", peers.fixture("root-ec.crt"), f"localhost:{server.port}")
    assert r.returncode == 6, r.stderr


@pytest.mark.skipif(not os.path.exists(SYSTEM_BUNDLE), reason="no system CA bundle")
@pytest.mark.parametrize("verbose", [[], ["-v"]])
def test_system_trust(nsstls, server, verbose):
    r = nsstls(*BOUNDED, "--no-data", "--trust", "system", *verbose,
               f"localhost:{server.port}")
    assert r.returncode == 6, r.stderr
    sources = dict(trust_sources(r.stderr))
    assert "system" in sources, sources
    m = re.search(re.escape(SYSTEM_BUNDLE) + r", (\d+) anchors?$", sources["system"])
    assert m and int(m.group(1)) > 50, sources
    assert r.stderr.rstrip().splitlines()[-1] == \
        "nsstls: handshake: certificate verification failed (SEC_ERROR_UNKNOWN_ISSUER)"


@pytest.mark.skipif(not os.path.exists(SYSTEM_BUNDLE), reason="no system CA bundle")
def test_system_and_builtin_and_ca_file(nsstls, server):
    r = nsstls(*BOUNDED, "--no-data", "--trust", "builtin,system", "--ca-file", ROOTS,
               f"localhost:{server.port}")
    assert r.returncode == 0, r.stderr
    kinds = [k for k, _ in trust_sources(r.stderr)]
    assert sorted(kinds) == ["builtin", "ca-file", "system"], kinds


def test_no_builtin_roots_contradicts_trust_builtin(nsstls):
    r = nsstls("--trust", "builtin", "--no-builtin-roots", "127.0.0.1:1", timeout=10)
    assert r.returncode == 1, r.stderr


# ---- NSS database ----------------------------------------------------------

def test_db_trust(nsstls, server, plain_db):
    r = nsstls(*BOUNDED, "--no-data", "--no-builtin-roots", "--db", plain_db,
               f"localhost:{server.port}")
    assert r.returncode == 0, r.stderr
    sources = trust_sources(r.stderr)
    assert [k for k, _ in sources] == ["db"], sources
    assert str(plain_db) in sources[0][1], sources
    assert re.search(r", 1 anchor$", sources[0][1]), sources
    assert line(r.stderr, r"^\s+From\s+local trust source: db "), r.stderr


def test_db_with_sql_prefix(nsstls, server, plain_db):
    r = nsstls(*BOUNDED, "--no-data", "--no-builtin-roots", "--db", f"sql:{plain_db}",
               f"localhost:{server.port}")
    assert r.returncode == 0, r.stderr


def test_db_is_opened_read_only(nsstls, server, plain_db):
    before = {p.name: p.stat().st_mtime_ns for p in plain_db.iterdir()}
    r = nsstls(*BOUNDED, "--no-data", "--no-builtin-roots", "--db", plain_db,
               f"localhost:{server.port}")
    assert r.returncode == 0, r.stderr
    after = {p.name: p.stat().st_mtime_ns for p in plain_db.iterdir()}
    assert after == before


def test_db_wrong_password(nsstls, closed_port, password_db, tmp_path):
    db, _ = password_db
    bad = tmp_path / "bad.txt"
    bad.write_text("wrong\n")
    r = nsstls(*BOUNDED, "--no-builtin-roots", "--db", db, "--pass-file", bad,
               f"127.0.0.1:{closed_port}")
    assert r.returncode == 2, r.stderr
    err = one_error(r.stderr)
    assert "wrong password" in err, err
    assert "(SEC_ERROR_BAD_PASSWORD)" in err, err


def test_db_right_password_file(nsstls, server, password_db):
    db, pwfile = password_db
    r = nsstls(*BOUNDED, "--no-data", "--no-builtin-roots", "--db", db,
               "--pass-file", pwfile, f"localhost:{server.port}")
    assert r.returncode == 0, r.stderr
    assert [k for k, _ in trust_sources(r.stderr)] == ["db"]


@pytest.mark.parametrize("spec", ["env", "file", "pass"])
def test_db_pass_spec(nsstls, server, password_db, spec):
    db, pwfile = password_db
    value = {"env": "env:NSSTLS_TEST_PW", "file": f"file:{pwfile}",
             "pass": f"pass:{PASSWORD}"}[spec]
    r = nsstls(*BOUNDED, "--no-data", "--no-builtin-roots", "--db", db, "--pass", value,
               f"localhost:{server.port}", env={"NSSTLS_TEST_PW": PASSWORD})
    assert r.returncode == 0, r.stderr


def test_db_pass_env_wrong(nsstls, closed_port, password_db):
    db, _ = password_db
    r = nsstls(*BOUNDED, "--no-builtin-roots", "--db", db, "--pass", "env:NSSTLS_TEST_PW",
               f"127.0.0.1:{closed_port}", env={"NSSTLS_TEST_PW": "nope"})
    assert r.returncode == 2, r.stderr
    assert "wrong password" in one_error(r.stderr)


def test_db_pass_env_unset(nsstls, closed_port, password_db):
    db, _ = password_db
    r = nsstls(*BOUNDED, "--no-builtin-roots", "--db", db, "--pass", "env:NSSTLS_UNSET_VAR",
               f"127.0.0.1:{closed_port}", env={"NSSTLS_UNSET_VAR": None})
    assert r.returncode == 2, r.stderr
    assert "NSSTLS_UNSET_VAR" in one_error(r.stderr)


def test_db_pass_file_missing(nsstls, closed_port, password_db):
    db, _ = password_db
    r = nsstls(*BOUNDED, "--no-builtin-roots", "--db", db, "--pass-file", "/nonexistent-pw",
               f"127.0.0.1:{closed_port}")
    assert r.returncode == 2, r.stderr
    assert "/nonexistent-pw" in one_error(r.stderr)


def test_db_and_ca_file(nsstls, openssl_server, plain_db):
    # The db trusts root-rsa, the ca-file root-ec: both chains verify.
    srv = openssl_server("server-ec.crt", "server-ec.key", chain="int-ec.crt",
                         args=["-naccept", "1"])
    r = nsstls(*BOUNDED, "--no-data", "--no-builtin-roots", "--db", plain_db,
               "--ca-file", peers.fixture("root-ec.crt"), f"localhost:{srv.port}")
    assert r.returncode == 0, r.stderr
    kinds = sorted(k for k, _ in trust_sources(r.stderr))
    assert kinds == ["ca-file", "db"], kinds
    assert line(r.stderr, r"^\s+From\s+local trust source: ca-file \S*root-ec\.crt$"), r.stderr
