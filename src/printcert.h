/*
 * printcert: --print-cert FILE, the offline mode.  The certificates in the
 * file (leaf first) are described and verified against the same trust
 * sources as a connection would use, with the same findings — for a chain
 * someone pasted into a ticket.
 */
#ifndef NSSTLS_PRINTCERT_H
#define NSSTLS_PRINTCERT_H

#include "cli.h"
#include "nssinit.h"
#include "report.h"

/* Returns the exit status: 0 valid, 6 not valid, 2 unreadable file. */
int printcert_run(const struct nsstls_opts *o, struct nss_ctx *nss,
    struct report *r);

#endif
