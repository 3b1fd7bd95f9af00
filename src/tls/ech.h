/*
 * ech: Encrypted Client Hello on one connection — where the ECHConfigList
 * comes from (--ech LIST, or --ech auto from the target's DNS HTTPS
 * record), what NSS is told (the configs, or GREASE), which name the
 * certificate must match when the server rejects ECH, and the outcome in
 * the report (accepted, rejected with or without retry configs).  All
 * ECH calls are NSS experimental API (sslexp.h).
 */
#ifndef NSSTLS_ECH_H
#define NSSTLS_ECH_H

#include <stdbool.h>

#include <prerror.h>
#include <prio.h>

#include "cli.h"
#include "report.h"

/* Before connecting: record in r->ech the list to offer and the outer and
 * inner names; with --ech auto, look the list up in DNS first.  Nothing
 * to do without --ech or --ech-grease.  Returns 0, or -1 after
 * report_fail() (exit 3 when DNS has no usable configuration, 2 when
 * there is no name to hide). */
int ech_prepare(const struct nsstls_opts *o, struct report *r);

/* What ech_prepare recorded, for another connection to the same target
 * (--reconnect): to's ECH fields must be empty. */
void ech_copy_setup(struct report *to, const struct report *from);

/* On the connection, before the handshake: the configs or GREASE (NSS
 * does not copy them from the model).  Returns 0, or -1 after
 * report_fail(). */
int ech_install(PRFileDesc *fd, struct report *r);

/* In the certificate hook: when ECH was configured and the server
 * rejected it, the certificate belongs to the outer ClientHello and must
 * be valid for the public name (RFC 9849 §6.1.7).  Returns that name
 * (owned by the report, which now names it as the verified name), or
 * NULL: verify the usual name. */
const char *ech_auth_name(PRFileDesc *fd, struct report *r);

/* After a completed handshake: record whether ECH was accepted.  Returns
 * 0, or -1 after report_fail() (exit 5) when ECH was configured and the
 * handshake completed without it (a TLS 1.2 server). */
int ech_handshake_done(PRFileDesc *fd, struct report *r);

/* A failed handshake: if err is an ECH outcome (rejected, with or without
 * retry configs), record it, report_fail() with exit 5 and return true. */
bool ech_explain_failure(PRFileDesc *fd, struct report *r, PRErrorCode err);

#endif
