"""--db without --cert picks the client certificate, as tstclnt does: the
one certificate of the database (with its key, valid now) whose chain
reaches a CA name the server sent.  Several that fit are not guessed
between; none that fits sends nothing.  Databases are made by certutil and
pk12util (peers.nss_client_db); servers are openssl s_server -Verify with
the CA list of -CAfile.
"""

import subprocess

import peers
from peers import BOUNDED, P12_PASSWORD, ROOTS, fixture

GET = b"GET / HTTP/1.0\r\n\r\n"


def server(openssl_server, cafile):
    # The RSA server for an EC client and vice versa does not matter here:
    # the chain's intermediate comes from the database in both cases.
    return openssl_server("server-rsa.crt", "server-rsa.key", chain="int-rsa.crt",
                          args=["-naccept", "2", "-tls1_3", "-Verify", "1",
                                "-verify_return_error", "-CAfile", cafile, "-www"])


def add_p12(db, p12, nickname):
    """Add a second PKCS#12 credential to an empty-password database."""
    subprocess.run(["pk12util", "-i", fixture(p12), "-d", f"sql:{db}", "-W", P12_PASSWORD,
                    "-K", ""], check=True, capture_output=True, timeout=30)


def run(nsstls, srv, db, *args):
    return nsstls(*BOUNDED, "--ca-file", ROOTS, "--db", db, *args,
                  f"localhost:{srv.port}", input=GET)


def test_the_one_certificate_is_chosen(nsstls, openssl_server, nss_client_db):
    db = nss_client_db("client-rsa.p12", nickname="alice")
    srv = server(openssl_server, ROOTS)
    r = run(nsstls, srv, db)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("HTTP/1.0 200 ok"), r.stdout
    assert "  Sent             CN=nsstls Test Client RSA,O=nsstls tests" in r.stderr, r.stderr
    assert "  Chosen           automatically from --db: alice" in r.stderr, r.stderr
    log = peers.wait_for_log(srv, "CN = nsstls Test Client RSA")
    assert "verify error" not in log, log
    js = nsstls(*BOUNDED, "--ca-file", ROOTS, "--db", db, "--json",
                f"localhost:{srv.port}")
    assert js.returncode == 0, js.stderr
    ca = peers.json_document(js)["client_auth"]
    assert ca["chosen_from_db"] == "alice"
    assert ca["sent"] == "CN=nsstls Test Client RSA,O=nsstls tests"


def test_the_server_ca_list_decides(nsstls, openssl_server, nss_client_db):
    # RSA and EC certificates; the server names only the EC root.
    db = nss_client_db("client-rsa.p12", nickname="alice")
    add_p12(db, "client-ec.p12", "bob")
    srv = server(openssl_server, fixture("root-ec.crt"))
    r = run(nsstls, srv, db)
    assert r.returncode == 0, r.stderr
    assert "  Sent             CN=nsstls Test Client EC,O=nsstls tests" in r.stderr, r.stderr
    assert "  Chosen           automatically from --db: " in r.stderr


def test_two_that_fit_are_not_guessed(nsstls, openssl_server, nss_client_db):
    db = nss_client_db("client-rsa.p12", nickname="alice")
    add_p12(db, "client-ec.p12", "bob")
    srv = server(openssl_server, ROOTS)
    js = nsstls(*BOUNDED, "--ca-file", ROOTS, "--db", db, "--json",
                f"localhost:{srv.port}")
    ca = peers.json_document(js)["client_auth"]
    assert ca["sent"] is None and ca["chosen_from_db"] is None
    assert ca["not_sent_reason"].startswith(f"2 certificates in --db {db} fit the server's "
                                            "CA names ("), ca
    assert ca["not_sent_reason"].endswith("): choose one with --cert NICKNAME"), ca
    assert "alice" in ca["not_sent_reason"]
    assert js.returncode != 0


def test_none_that_fits_sends_nothing(nsstls, openssl_server, nss_client_db):
    db = nss_client_db("client-rsa.p12", nickname="alice")
    srv = server(openssl_server, fixture("root-ec.crt"))
    r = run(nsstls, srv, db)
    assert r.returncode != 0, r.stderr
    assert f"  Not sent         no certificate with a key in --db {db} is valid now and " \
           "issued under the CA names the server sent" in r.stderr, r.stderr
    assert "Chosen" not in r.stderr
