/*
 * server_cert: the certificates server mode presents.  The one loaded by
 * clientauth_load (--cert/--key, --pkcs12, --db nickname), and/or
 * --self-signed NAME...: an RSA 2048 and an EC P-256 certificate made in
 * memory for the names (session key objects, nothing written to disk).
 * NSS picks the one that fits each handshake.
 */
#ifndef NSSTLS_SERVER_CERT_H
#define NSSTLS_SERVER_CERT_H

#include <stddef.h>

#include <cert.h>
#include <keyhi.h>
#include <prio.h>

#include "cli.h"
#include "nssinit.h"
#include "report.h"

#define SERVER_CERT_MAX 4

struct server_certs {
	CERTCertificate *cert[SERVER_CERT_MAX];
	SECKEYPrivateKey *key[SERVER_CERT_MAX];
	size_t n;
};

/* Make or take the certificates and configure them on the model socket.
 * Returns 0, or -1 after report_fail() (setup, exit 2). */
int server_cert_config(PRFileDesc *model, const struct nsstls_opts *o,
    struct nss_ctx *nss, struct report *r, struct server_certs *out);

/* Release what server_cert_config took (after the model is closed). */
void server_cert_free(struct server_certs *c);

#endif
