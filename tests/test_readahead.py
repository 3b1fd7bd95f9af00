"""One byte stream from TCP to TLS: bytes a plaintext stage reads past its
own end reach the next stage (src/net/readahead.c).

A proxy's answer to CONNECT and the target's first words may arrive in one
segment; the SMTP greeting behind the proxy's 200 must reach the STARTTLS
dialogue, and TLS must start after it.  The scripted proxy here waits for
the SMTP server's greeting and sends it in the same send() as its answer,
so every run has the two in one read, not one run in six.
"""

import peers
import starttls_peers as sp
from peers import ROOTS

NO_ENV = {v: None for v in peers.PROXY_ENV}
RUNS = 50


def run(nsstls, *args):
    return nsstls("--timeout", "3", "--connect-timeout", "3", "--ca-file", ROOTS,
                  *args, timeout=30, env=dict(NO_ENV), input=b"")


def test_greeting_in_the_proxy_answer_50_times(nsstls):
    with sp.starttls_server(sp.smtp) as smtp, sp.connect_proxy("greeting") as proxy:
        for i in range(RUNS):
            r = run(nsstls, "--json", "--starttls", "smtp", "--proxy",
                    f"127.0.0.1:{proxy.port}", f"localhost:{smtp.port}")
            assert r.returncode == 0, f"run {i}: {r.stderr}"
            doc = peers.json_document(r)
            assert doc["starttls"]["ok"] and doc["proxy"]["status_code"] == 200
            # The greeting came with the proxy's answer and was read by
            # the SMTP dialogue, which then said EHLO.
            said = [line["text"] for line in doc["starttls"]["transcript"]]
            assert "220 mail.test ready" in said, said
            assert any(t.startswith("EHLO ") for t in said), said
        assert proxy.tunnels == RUNS
    assert sp.handshakes(smtp) == RUNS

