/*
 * nssinit: NSS/NSPR initialisation and shutdown, policy, the password
 * callback, and the trust sources (built-in roots module, PEM bundles, the
 * system store, an NSS database).  Owns every NSS object it creates and
 * releases them all in nssinit_teardown(), so NSS_Shutdown can succeed.
 */
#ifndef NSSTLS_NSSINIT_H
#define NSSTLS_NSSINIT_H

#include <stdbool.h>

#include <cert.h>
#include <prio.h>
#include <secmod.h>

#include "cli.h"
#include "report.h"

struct client_cred;
struct crl_set;

struct anchor {
	CERTCertificate *cert;
	size_t source;           /* index into report->trust */
};

struct nss_ctx {
	bool initialized;
	SECMODModule *builtin;   /* libnssckbi, or NULL */
	size_t builtin_source;   /* index into report->trust */
	bool db_open;
	size_t db_source;
	struct anchor *anchors;  /* certificates from PEM sources */
	size_t n_anchors;
	char *password;          /* resolved --pass / --pass-file, or NULL */
	struct client_cred *cred;    /* --cert/--pkcs12, loaded once; or NULL */
	PRFileDesc *model;       /* the model SSL socket: made by tls_model_create,
	                          * closed by tls_model_destroy, or NULL */
	struct crl_set *crls;    /* every --crl-file, read once; or NULL */
	struct report *report;
	long read_timeout_ms;    /* --timeout, for file inputs (util_read_file) */
};

/* Initialise NSS as the options ask and load every trust source, recording
 * each in the report.  Returns 0, or -1 after report_fail(PHASE_SETUP). */
int nssinit_setup(const struct nsstls_opts *o, struct nss_ctx *ctx,
    struct report *r);

/* Initialise NSS without trust, for --list-ciphers and --version. */
int nssinit_minimal(struct nss_ctx *ctx);

/* The trust source (index into report->trust) that holds c, or -1.
 * *is_anchor says whether c carries CA trust for TLS servers. */
int nssinit_source_of(const struct nss_ctx *ctx, CERTCertificate *c,
    bool *is_anchor);

/* Release everything and shut NSS down.  Returns 0, or -1 when
 * NSS_Shutdown failed (a leaked NSS reference: a bug). */
int nssinit_teardown(struct nss_ctx *ctx);

#endif
