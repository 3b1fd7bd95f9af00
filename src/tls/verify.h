/*
 * verify: the certificate hooks and the chain verdict.  The auth hook
 * verifies the server's chain once for TLS server use and the host name,
 * and records in the report the chain as sent, the chain NSS built (with
 * where each certificate came from), each certificate's verdict, the
 * stapled OCSP response and SCTs, and the findings (diagnose.c).
 * SSL_BadCertHook then fails closed unless --insecure.  --print-cert runs
 * the same verification on certificates from a file.
 */
#ifndef NSSTLS_VERIFY_H
#define NSSTLS_VERIFY_H

#include <cert.h>
#include <prio.h>

#include "cli.h"
#include "nssinit.h"
#include "report.h"

struct verify_ctx {
	const struct nsstls_opts *opts;
	struct nss_ctx *nss;
	struct report *report;
	const char *name;        /* checked instead of opts->verify_name (the
	                          * ECH public name when ECH was rejected) */
	CERTCertificate *extra;  /* also usable in the chain: what --aia-fetch
	                          * fetched for this target, or NULL */
	unsigned long target_id; /* per target: keeps NSS's session cache apart */
	unsigned version;        /* TLS version of the handshake, or 0 */
	SECCertificateUsage usage;  /* 0: TLS server; certificateUsageSSLCA
	                          * for --print-cert of a CA certificate;
	                          * certificateUsageSSLClient in server mode */
};

/* Install both hooks on the model socket (children inherit them). */
int verify_install(PRFileDesc *model, struct verify_ctx *v);

/* Verify leaf with the certificates in sent (the server's list, leaf
 * first; findable in NSS's temporary store), the stapled OCSP response and
 * the TLS SCT list (both may be NULL).  Records everything in the report.
 * Returns 0 when the chain and name are good, -1 otherwise (the reason is
 * in report->verify). */
int verify_run(struct verify_ctx *v, CERTCertificate *leaf, CERTCertList *sent,
    const SECItem *staple, const SECItem *tls_scts, void *pwarg);

/* Verification workers that outlived their --timeout and still run inside
 * NSS: while there is one, NSS_Shutdown cannot succeed. */
int verify_abandoned(void);

#endif
