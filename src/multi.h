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

/* --targets FILE ("-": stdin), read and checked line by line (exposed for
 * fuzz/fuzz-target.c; multi_run is the caller): one job per target
 * appended to *jobs.  Returns 0, -1 after printing a bad line, -2 after
 * printing why the file cannot be read.  Free with multi_jobs_free. */
struct job;
int multi_read_targets(const char *path, const struct nsstls_opts *o,
    struct job **jobs, size_t *n);
void multi_jobs_free(struct job *jobs, size_t n);

#endif
