/*
 * keylog: the key log file of --keylog, in the NSS key log format that
 * SSLKEYLOGFILE would produce (this NSS build ignores the variable), for
 * Wireshark and the like.  TLS 1.3 only: the secrets come from the secret
 * callback (tls.c) and the client random from the ClientHello the trace
 * layer saw on the wire (trace.c), because NSS hands out neither the
 * random nor, in any version, a TLS 1.2 master secret.  What was written,
 * and why nothing was, goes into report->keylog.
 */
#ifndef NSSTLS_KEYLOG_H
#define NSSTLS_KEYLOG_H

#include <stdbool.h>

#include <prio.h>
#include <sslexp.h>

#include "report.h"

struct keylog;

/* Check, before connecting, that path can safely hold secrets (see
 * keylog.c); creates it (mode 0600) if missing.  Returns 0, or -1 after
 * report_fail(PHASE_SETUP, exit 2). */
int keylog_preflight(const char *path, struct report *r);

/* Open path for one connection, with the checks of keylog_preflight:
 * created with mode 0600 if missing, appended to otherwise (several runs
 * and targets share a file).
 * Returns the state, or NULL after report_fail(PHASE_SETUP, exit 2). */
struct keylog *keylog_open(const char *path, struct report *r);

/* The random of the first ClientHello sent (32 bytes), and whether that
 * ClientHello carried an ECH extension (real or GREASE): with ECH the
 * secrets may belong to the encrypted inner ClientHello, whose random the
 * wire never shows.  Lines wait for this.  NULL-safe. */
/* Server mode: the secrets we write are the server's (the labels swap
 * sides); the random is the client's, from its ClientHello. */
void keylog_as_server(struct keylog *k);

void keylog_set_random(struct keylog *k, const unsigned char *random,
    bool ech_offered);

/* One traffic secret from SSL_SecretCallback on the client socket fd.
 * NULL-safe. */
void keylog_on_secret(struct keylog *k, PRFileDesc *fd, PRUint16 epoch,
    SSLSecretDirection dir, PK11SymKey *secret);

/* Say in the report why no (more) lines can be written, from what NSS
 * knows of the connection now: TLS 1.2, or ECH accepted.  Call after a
 * handshake and before closing.  NULL-safe. */
void keylog_check(struct keylog *k, PRFileDesc *fd);

/* Close the file; lines still waiting (no random seen) are dropped and
 * wiped.  NULL-safe. */
void keylog_close(struct keylog *k);

#endif
