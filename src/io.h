/*
 * io: the data phase.  stdin goes to the server, the server's data to
 * stdout, under PR_Poll.  stdin EOF half-closes (close_notify); the phase
 * ends when the server closes or nothing moves for the timeout.  On a
 * terminal, lines of the form "~X" are commands (renegotiate, key update,
 * quit); piped data is passed through unchanged.
 */
#ifndef NSSTLS_IO_H
#define NSSTLS_IO_H

#include "tls.h"

/* Returns 0, or -1 after report_fail() (exit 5 or 7). */
int io_run(struct tls_ctx *t);

#endif
