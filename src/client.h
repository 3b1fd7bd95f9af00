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

/* Returns the process exit status (the check code with --check). */
int client_run(const struct nsstls_opts *o, struct nss_ctx *nss,
    struct report *r, FILE *out, FILE *err);

#endif
