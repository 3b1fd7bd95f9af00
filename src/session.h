/*
 * session: --reconnect and --early-data.  After the first handshake, the
 * same server is reached N more times in this process; NSS's client cache
 * offers the session (TLS 1.3: a ticket, waited for before reconnecting),
 * and the report says for each connection whether it resumed, by what,
 * the time saved, and whether 0-RTT data was accepted.
 *
 * Saving a session for another process (s_client -sess_out/-sess_in) is
 * refused in cli.c: NSS 3.87 binds a resumption token to the process.
 */
#ifndef NSSTLS_SESSION_H
#define NSSTLS_SESSION_H

#include "tls.h"
#include "verify.h"

/* Read --early-data before anything connects (an unreadable file is a
 * setup error, exit 2).  *buf is NULL without the option.  Returns 0 or
 * -1 after report_fail(). */
int session_load_early_data(const struct nsstls_opts *o, struct report *r,
    unsigned char **buf, size_t *len);

/* t is the first connection, handshake done: wait for its tickets, close
 * it, then reconnect o->reconnect times, sending early (may be NULL) as
 * 0-RTT data.  Returns 0, or -1 after report_fail() when the first
 * connection refused us or a reconnection failed (each connection's result
 * is in the report either way). */
int session_reconnect(struct tls_ctx *t, struct verify_ctx *v,
    const unsigned char *early, size_t early_len);

#endif
