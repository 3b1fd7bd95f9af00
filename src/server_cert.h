/*
 * server_cert: the certificates server mode presents.  The one loaded by
 * clientauth_load (--cert/--key, --pkcs12, --db nickname), each later
 * --cert (with its own --key and --cert-chain, loaded here by
 * clientauth_load_source), and/or --self-signed NAME...: an RSA 2048 and
 * an EC P-256 certificate made in memory for the names (session key
 * objects, nothing written to disk).  At most one per key type: NSS picks
 * the one that fits each handshake.
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

/* NSS holds one certificate per key type (RSA, RSA-PSS, ECDSA, DSA). */
#define SERVER_CERT_MAX 4

struct client_cred;

struct server_certs {
	CERTCertificate *cert[SERVER_CERT_MAX];
	SECKEYPrivateKey *key[SERVER_CERT_MAX];
	char *source[SERVER_CERT_MAX];   /* "--cert FILE", for messages */
	/* Its credential (chain given with it), NULL for --self-signed. */
	const struct client_cred *cred[SERVER_CERT_MAX];
	struct cert_info info[SERVER_CERT_MAX];  /* for the start-up lines */
	int sent[SERVER_CERT_MAX];       /* certificates sent as given, leaf
	                                  * included; 0: NSS builds the chain */
	size_t n;
	struct client_cred *more[SERVER_CERT_MAX];  /* later --certs' */
	size_t n_more;
};

/* Make or take the certificates and configure them on the model socket.
 * Returns 0, or -1 after report_fail() (setup, exit 2). */
int server_cert_config(PRFileDesc *model, const struct nsstls_opts *o,
    struct nss_ctx *nss, struct report *r, struct server_certs *out);

/* Release what server_cert_config took (after the model is closed). */
void server_cert_free(struct server_certs *c);

#endif
