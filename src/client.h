/*
 * client: connect mode from start to end — reach the server, shake hands,
 * run the requested post-handshake actions, render the report, then the
 * data phase.  It sequences the modules; the facts live in the report.
 */
#ifndef NSSTLS_CLIENT_H
#define NSSTLS_CLIENT_H

#include <stdio.h>

#include <prio.h>

#include "cli.h"
#include "nssinit.h"
#include "report.h"

struct tls_ctx;
struct verify_ctx;

/* A connection's state, empty, for target o->target and report r. */
void client_ctx_init(struct tls_ctx *t, const struct nsstls_opts *o,
    struct nss_ctx *nss, struct report *r);

/* The plain socket TLS starts on: TCP to the target, directly or through
 * a tunnel of the proxy, then the STARTTLS dialogue when asked for.
 * Returns NULL after report_fail(). */
PRFileDesc *client_reach(const struct nsstls_opts *o, struct report *r);

/* Reach the server and put TLS on the connection, ready for the
 * handshake: the first connection and every --reconnect.  Returns 0, or
 * -1 after report_fail(). */
int client_open(struct tls_ctx *t, struct verify_ctx *v);

/* Returns the process exit status (the check code with --check). */
int client_run(const struct nsstls_opts *o, struct nss_ctx *nss,
    struct report *r, FILE *out, FILE *err);

#endif
