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

/*
 * The standard streams.  Every write to stdout and stderr goes through
 * stdio, whose error flag is sticky; these check it at the points where
 * output must have reached its descriptor, and keep the first error so
 * that it is said once and decides the exit status.  A reader that went
 * away (EPIPE: SIGPIPE is ignored, because NSPR writes to sockets without
 * MSG_NOSIGNAL) ends the run quietly, with the same exit status.
 */

/* Flush f; for stdout and stderr remember the first write error.
 * Returns 0, or that errno. */
int out_stream_check(FILE *f);

/* The reader of stdout went away (EPIPE): write nothing more. */
bool out_stdout_gone(void);

/* The stdout error was said already (in the report's error line). */
void out_stdout_said(void);

/* Last thing before exit: flush and close stdout, flush stderr.  A write
 * error says "nsstls: cannot write to stdout: ..." on stderr (not for
 * EPIPE, not twice) and turns success into status 7 (check: 3, UNKNOWN);
 * a run that failed keeps its status.  Returns the exit status. */
int out_exit(int code, bool check);

/* a and b name the same directory entry, however spelt ("x.pem" and
 * "./x.pem"): an output file given twice. */
bool out_same_file(const char *a, const char *b);

/* Before connecting: the directories of --save-chain and
 * --save-chain-verified can take the file.  Returns 0, or -1 after
 * report_fail() (setup, exit 2). */
int out_check_paths(const struct nsstls_opts *o, struct report *r);

/* --showcerts (stdout), --save-chain, --save-chain-verified (written to
 * a temporary file and renamed into place), once per run.  A write
 * failure becomes the outcome (exit 7) when the run had none worse, and
 * is said on stderr otherwise.  Returns 0 or -1. */
int out_write_chains(const struct nsstls_opts *o, struct report *r);

/* Render the outcome of a run on out (JSON, check line) and err (text
 * report, error line).  text_done: the text report was already printed
 * (before the data phase).  Returns the process exit status. */
int out_finish(struct report *r, const struct nsstls_opts *o, bool text_done,
    FILE *out, FILE *err);

#endif
