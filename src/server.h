/*
 * server: server mode, `nsstls --listen [ADDR:]PORT`.  Owns the listening
 * socket, the accept loop, one worker thread per connection, the clean
 * stop on SIGINT/SIGTERM, and the per-connection flow: capture and decode
 * the ClientHello, the handshake (with client certificates on demand),
 * the data (--once: stdin <-> TLS, --echo, --www, or read and drop), and
 * the report of each connection through server_report.
 */
#ifndef NSSTLS_SERVER_H
#define NSSTLS_SERVER_H

#include "cli.h"
#include "nssinit.h"
#include "report.h"

/* Serve until a signal, --max-connections, or the one connection of
 * --once.  setup is the run's report (setup failures go there).  Returns
 * the exit status: setup errors as connect mode, 0 after a clean stop,
 * with --once that connection's. */
int server_run(const struct nsstls_opts *o, struct nss_ctx *nss,
    struct report *setup);

#endif
