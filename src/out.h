/*
 * out: the one place that decides how a finished run is shown — the text
 * report on stderr, one JSON document on stdout, or the --check status
 * line — and what the exit status is.  Renderers live in out_text.c,
 * out_json.c and check.c.
 */
#ifndef NSSTLS_OUT_H
#define NSSTLS_OUT_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "report.h"

/* --showcerts (stdout), --save-chain, --save-chain-verified.  A write
 * failure becomes the outcome (exit 7) when the run had none worse, and
 * is said on stderr otherwise.  Returns 0 or -1. */
int out_write_chains(const struct nsstls_opts *o, struct report *r);

/* Render the outcome of a run on out (JSON, check line) and err (text
 * report, error line).  text_done: the text report was already printed
 * (before the data phase).  Returns the process exit status. */
int out_finish(struct report *r, const struct nsstls_opts *o, bool text_done,
    FILE *out, FILE *err);

#endif
