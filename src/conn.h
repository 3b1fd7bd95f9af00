/*
 * conn: name resolution and TCP connection with timeouts.  Knows nothing
 * about TLS: it hands back a connected, non-blocking NSPR socket with
 * TCP_NODELAY set, and records every address it tried in the report.
 */
#ifndef NSSTLS_CONN_H
#define NSSTLS_CONN_H

#include <prio.h>

#include "cli.h"
#include "report.h"

/* Resolve host (the target, or a proxy), try each address in turn within
 * o->connect_timeout_ms (and -4/-6).  Returns the socket, or NULL after
 * report_fail(PHASE_RESOLVE/CONNECT). */
PRFileDesc *conn_open(const struct nsstls_opts *o, const char *host,
    uint16_t port, struct report *r);

#endif
