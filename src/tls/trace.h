/*
 * trace: an NSPR I/O layer between SSL and the TCP socket, the one place
 * that sees the TLS records as they cross the wire.  It counts bytes and
 * records per direction into the report (always), prints one line per
 * record on the report stream with --trace (and a hex dump with
 * --trace=hex), decrypting TLS 1.3 records with the traffic secrets NSS
 * hands out, and gives the ClientHello's random to the key log, which no
 * NSS API gives.  It never changes a byte.
 */
#ifndef NSSTLS_TRACE_H
#define NSSTLS_TRACE_H

#include <stdio.h>

#include <prio.h>
#include <sslexp.h>

#include "cli.h"
#include "keylog.h"
#include "report.h"

struct trace;

/*
 * Push the layer on a connected TCP socket, before SSL_ImportFD puts SSL
 * on top (bytes sent before, e.g. STARTTLS, are not TLS and not seen).
 * The layer's state lives in the layer and is freed when the socket
 * stack is closed; the counts stay in r.  Trace lines go to out (the
 * report stream of this connection), the random to k (may be NULL).
 * Returns the state, valid until the socket is closed, or NULL with the
 * NSPR error set (the socket is untouched).
 */
struct trace *trace_push(PRFileDesc *tcp, const struct nsstls_opts *o,
    struct report *r, FILE *out, struct keylog *k);

/* A TLS 1.3 traffic secret from SSL_SecretCallback on the SSL socket fd:
 * with --trace, the records of that epoch and direction are decrypted and
 * described.  NULL-safe. */
/* While held, reads through the layer answer "would block".  0-RTT needs
 * it: NSS sends the ClientHello and at once reads on; a fast server's
 * answer would complete the handshake inside that same call, before the
 * application could write its early data. */
void trace_hold_reads(struct trace *t, bool hold);

void trace_on_secret(struct trace *t, PRFileDesc *fd, PRUint16 epoch,
    SSLSecretDirection dir, PK11SymKey *secret);

#endif
