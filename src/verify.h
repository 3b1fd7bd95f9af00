/*
 * verify: the certificate hooks.  SSL_AuthCertificateHook verifies the
 * server's chain for TLS server use and the host name once, and records
 * the chain as sent, the chain NSS built (with where each certificate came
 * from), and each certificate's verdict in the report.  SSL_BadCertHook then
 * fails closed unless --insecure.
 */
#ifndef NSSTLS_VERIFY_H
#define NSSTLS_VERIFY_H

#include <prio.h>

#include "cli.h"
#include "nssinit.h"
#include "report.h"

struct verify_ctx {
	const struct nsstls_opts *opts;
	struct nss_ctx *nss;
	struct report *report;
};

/* Install both hooks on the model socket (children inherit them). */
int verify_install(PRFileDesc *model, struct verify_ctx *v);

#endif
