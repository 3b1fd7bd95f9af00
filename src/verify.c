/*
 * verify: certificate hooks (see verify.h).
 *
 * Why our own hook instead of NSS's SSL_AuthCertificate: the default hook
 * checks the name given to SSL_SetURL, which is also the SNI, so "send SNI
 * X, verify Y" is impossible with it; and it stops at the first error,
 * while a diagnostic tool must show every certificate's verdict.  The chain
 * is verified once (CERT_VerifyCertificate with a CERTVerifyLog) and the
 * result reused for the report: an ECDSA verify costs ~0.4 ms in NSS.
 */
#include "verify.h"

#include <string.h>

#include <cert.h>
#include <secerr.h>
#include <ssl.h>
#include <sslerr.h>

#include "certinfo.h"
#include "util.h"

#define MAX_CHAIN 16

static void
record_sent(struct report *r, PRFileDesc *fd)
{
	CERTCertList *list = SSL_PeerCertificateChain(fd);
	size_t n = 0;

	if (list == NULL)
		return;
	for (CERTCertListNode *node = CERT_LIST_HEAD(list);
	    !CERT_LIST_END(node, list); node = CERT_LIST_NEXT(node))
		n++;
	r->sent = xcalloc(n, sizeof(*r->sent));
	for (CERTCertListNode *node = CERT_LIST_HEAD(list);
	    !CERT_LIST_END(node, list); node = CERT_LIST_NEXT(node))
		cert_info_from_nss(node->cert, &r->sent[r->n_sent++]);
	CERT_DestroyCertList(list);
}

static int
sent_index_of(const struct report *r, CERTCertificate *c)
{
	for (size_t i = 0; i < r->n_sent; i++)
		if (r->sent[i].der_len == c->derCert.len &&
		    memcmp(r->sent[i].der, c->derCert.data, c->derCert.len) == 0)
			return (int)i;
	return -1;
}

/*
 * Walk from the leaf to an anchor the way NSS's chain builder does
 * (CERT_FindCertIssuer looks in the temporary store, which holds what the
 * server sent, and in every trust source).  Stops at a self-signed
 * certificate, at a trusted anchor, or when an issuer cannot be found.
 */
static void
record_built(struct verify_ctx *v, CERTCertificate *leaf, PRTime when)
{
	struct report *r = v->report;
	CERTCertificate *c = CERT_DupCertificate(leaf);

	r->built = xcalloc(MAX_CHAIN, sizeof(*r->built));
	while (c != NULL && r->n_built < MAX_CHAIN) {
		struct chain_link *l = &r->built[r->n_built++];
		bool anchor = false;
		CERTCertificate *issuer;

		cert_info_from_nss(c, &l->cert);
		l->sent_index = sent_index_of(r, c);
		l->origin = l->sent_index >= 0 ? ORIGIN_SERVER : ORIGIN_LOCAL;
		l->source = nssinit_source_of(v->nss, c, &anchor);
		l->anchor = anchor;
		if (anchor || l->cert.self_signed) {
			CERT_DestroyCertificate(c);
			c = NULL;
			break;
		}
		issuer = CERT_FindCertIssuer(c, when, certUsageAnyCA);
		if (issuer == NULL || issuer == c) {
			r->verify.missing_issuer = xstrdup(l->cert.issuer);
			if (issuer != NULL)
				CERT_DestroyCertificate(issuer);
			CERT_DestroyCertificate(c);
			c = NULL;
			break;
		}
		CERT_DestroyCertificate(c);
		c = issuer;
	}
	if (c != NULL)
		CERT_DestroyCertificate(c);
}

/* Copy each log node's error onto the link at its depth; the node's
 * certificate reference is ours to release. */
static PRErrorCode
apply_log(struct report *r, CERTVerifyLog *log)
{
	PRErrorCode first = 0;

	for (CERTVerifyLogNode *node = log->head; node != NULL; node = node->next) {
		if (first == 0) {
			first = node->error;
			r->verify.error_depth = (int)node->depth;
		}
		if (node->depth < r->n_built && r->built[node->depth].error == 0)
			r->built[node->depth].error = node->error;
		if (node->cert != NULL)
			CERT_DestroyCertificate(node->cert);
	}
	return first;
}

static SECStatus
auth_certificate(void *arg, PRFileDesc *fd, PRBool check_sig, PRBool is_server)
{
	struct verify_ctx *v = arg;
	struct report *r = v->report;
	CERTCertificate *leaf = SSL_PeerCertificate(fd);
	CERTVerifyLog log;
	PRTime now = PR_Now();
	SECStatus rv;
	PRErrorCode err = 0;

	report_clear_chains(r);
	r->verify.done = true;
	if (leaf == NULL) {
		r->verify.error = SSL_ERROR_NO_CERTIFICATE;
		PORT_SetError(SSL_ERROR_NO_CERTIFICATE);
		return SECFailure;
	}
	record_sent(r, fd);
	record_built(v, leaf, now);

	memset(&log, 0, sizeof(log));
	log.arena = PORT_NewArena(512);
	rv = CERT_VerifyCertificate(CERT_GetDefaultCertDB(), leaf, check_sig,
	    certificateUsageSSLServer, now, SSL_RevealPinArg(fd), &log, NULL);
	/* With a log, PR_GetError() after the call is unreliable: the first
	 * log node carries the real reason. */
	err = apply_log(r, &log);
	if (rv != SECSuccess && err == 0)
		err = PR_GetError();
	PORT_FreeArena(log.arena, PR_FALSE);
	r->verify.chain_ok = rv == SECSuccess;

	r->verify.name_ok = v->opts->verify_name != NULL &&
	    CERT_VerifyCertName(leaf, v->opts->verify_name) == SECSuccess;
	if (r->verify.chain_ok && !r->verify.name_ok)
		err = SSL_ERROR_BAD_CERT_DOMAIN;
	CERT_DestroyCertificate(leaf);

	r->verify.error = err;
	if (r->verify.chain_ok && r->verify.name_ok)
		return SECSuccess;
	/* NSS derives the alert it sends from this error code. */
	PORT_SetError(err);
	return SECFailure;
}

static SECStatus
bad_certificate(void *arg, PRFileDesc *fd)
{
	struct verify_ctx *v = arg;

	if (v->opts->insecure) {
		v->report->verify.overridden = true;
		return SECSuccess;
	}
	return SECFailure;
}

int
verify_install(PRFileDesc *model, struct verify_ctx *v)
{
	if (SSL_AuthCertificateHook(model, auth_certificate, v) != SECSuccess)
		return -1;
	if (SSL_BadCertHook(model, bad_certificate, v) != SECSuccess)
		return -1;
	return 0;
}
