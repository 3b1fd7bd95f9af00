/*
 * credential: what a loaded client credential holds, shared by the modules
 * that make one (clientauth.c for PEM files and --db nicknames, pkcs12.c)
 * and the hook that presents it.  Private to src/tls/: everyone else sees
 * struct client_cred as opaque (clientauth.h).
 */
#ifndef NSSTLS_CREDENTIAL_H
#define NSSTLS_CREDENTIAL_H

#include <stdbool.h>

#include <cert.h>
#include <keyhi.h>

#include "report.h"

struct client_cred {
	CERTCertificate *cert;   /* the certificate we present */
	SECKEYPrivateKey *key;   /* its private key */
	/* Intermediates from the PEM files or the PKCS#12 file.  They are
	 * only referenced, never used directly: when the hook returns the
	 * leaf, NSS builds the chain it sends (CERT_CertChainFromCert) from
	 * the certificates it can find, and a temporary certificate can only
	 * be found while someone holds a reference to it. */
	CERTCertList *extra;
	/* extra holds more than the leaf, from PEM files: server mode sends
	 * exactly the leaf and these, in file order (clientauth_cred_chain). */
	bool chain_given;
	struct report *report;
	/* --db without --cert: the hook picks from the database, per
	 * connection, since the choice depends on the server's CA names. */
	bool from_db;
	const char *db;
	void *pin_arg;           /* our nss_ctx, for a protected database */
};

#endif
