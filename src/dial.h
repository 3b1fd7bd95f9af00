/*
 * dial: from the options to a socket TLS can start on — TCP to the
 * target, directly or through a proxy's tunnel, then the STARTTLS
 * dialogue — and TLS put on it.  Connect mode, --reconnect and the scan
 * probes all open their connections here, so proxy.c and starttls.c need
 * no options struct: dial.c hands each one the few values it needs.
 */
#ifndef NSSTLS_DIAL_H
#define NSSTLS_DIAL_H

#include <prio.h>

#include "cli.h"
#include "nssinit.h"
#include "proxy.h"
#include "report.h"
#include "starttls.h"

struct tls_ctx;
struct verify_ctx;

/* A connection's state, empty, for target o->target and report r. */
void dial_ctx_init(struct tls_ctx *t, const struct nsstls_opts *o,
    struct nss_ctx *nss, struct report *r);

/* What proxy.c and starttls.c are asked to do for o's target. */
void dial_proxy_request(const struct nsstls_opts *o, struct proxy_request *q);
void dial_starttls_request(const struct nsstls_opts *o,
    struct starttls_request *q);

/* The plain socket TLS starts on.  Returns NULL after report_fail(). */
PRFileDesc *dial_reach(const struct nsstls_opts *o, struct report *r);

/* Reach the server and put TLS on the connection, ready for the
 * handshake: the first connection and every --reconnect.  Returns 0, or
 * -1 after report_fail(). */
int dial_open(struct tls_ctx *t, struct verify_ctx *v);

#endif
