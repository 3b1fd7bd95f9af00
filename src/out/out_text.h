/*
 * out_text: the human renderer.  Reads the report model and writes the
 * report (normal, --brief, -v), the one-line error message, and the PEM
 * chain for --showcerts.  Never calls NSS for facts: everything it prints
 * is in struct report.
 */
#ifndef NSSTLS_OUT_TEXT_H
#define NSSTLS_OUT_TEXT_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "report.h"

/* The report as far as the run got (to stderr in connect mode). */
void out_text_report(FILE *f, const struct report *r,
    const struct nsstls_opts *o);

/* "nsstls: PHASE: message (NSS_ERROR_NAME)" when the run failed. */
void out_text_error(FILE *f, const struct report *r);

/* After the data phase: bytes moved, how it ended (with -v). */
void out_text_session_end(FILE *f, const struct report *r,
    const struct nsstls_opts *o);

/* --showcerts: the chain the server sent (or, with built, the chain NSS
 * built) as PEM. */
int out_text_pem_chain(FILE *f, const struct report *r, bool built);

/* One handshake's channel block, and the alerts (server mode). */
void out_text_handshake(FILE *f, const struct report *r, size_t index);
void out_text_alerts(FILE *f, const struct report *r);
/* --list-ciphers */

#endif
