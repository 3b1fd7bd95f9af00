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

/* conn_resolve's answer when the resolver did not answer in time. */
#define CONN_RESOLVE_TIMEOUT (-10000)

struct addrinfo;

/* Resolve host (AF_UNSPEC, AF_INET or AF_INET6) within timeout_ms: no
 * resolver can hang the caller (getaddrinfo_a).  Returns 0 with *res
 * (freeaddrinfo it), a getaddrinfo error code, or CONN_RESOLVE_TIMEOUT. */
int conn_resolve(const char *host, int family, long timeout_ms,
    struct addrinfo **res);

/* Resolve host (the target, or a proxy), try each address in turn within
 * o->connect_timeout_ms (and -4/-6).  Returns the socket, or NULL after
 * report_fail(PHASE_RESOLVE/CONNECT). */
PRFileDesc *conn_open(const struct nsstls_opts *o, const char *host,
    uint16_t port, struct report *r);

#endif
