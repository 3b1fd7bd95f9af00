/*
 * multi: many targets from one process.  Targets come from the arguments
 * and --targets FILE; a pool of -j worker threads (never more) runs the
 * connect mode on each with its own report, and the main thread prints
 * each result whole — in input order, or as they finish (--unordered) —
 * text grouped per target, JSON Lines, or one --check line per target.
 */
#ifndef NSSTLS_MULTI_H
#define NSSTLS_MULTI_H

#include "cli.h"
#include "nssinit.h"
#include "report.h"

/* setup holds the trust sources loaded once for all targets.  Returns the
 * worst exit status of all targets. */
int multi_run(const struct nsstls_opts *o, struct nss_ctx *nss,
    const struct report *setup);

#endif
