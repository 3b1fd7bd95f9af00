/*
 * verify: certificate hooks and chain verdict (see verify.h).
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

#include <certdb.h>
#include <secerr.h>
#include <ssl.h>
#include <sslerr.h>

#include "certinfo.h"
#include "crl.h"
#include "diagnose.h"
#include "ech.h"
#include "http.h"
#include "ocspcheck.h"
#include "sct.h"
#include "util.h"

#define MAX_CHAIN 16

static void
record_sent(struct report *r, CERTCertList *list)
{
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
 * certs[] receives a reference to each link (the caller releases them).
 */
static size_t
record_built(struct verify_ctx *v, CERTCertificate *leaf, PRTime when,
    CERTCertificate **certs)
{
	struct report *r = v->report;
	CERTCertificate *c = CERT_DupCertificate(leaf);
	size_t n = 0;

	r->built = xcalloc(MAX_CHAIN, sizeof(*r->built));
	while (c != NULL && r->n_built < MAX_CHAIN) {
		struct chain_link *l = &r->built[r->n_built++];
		bool anchor = false;
		CERTCertificate *issuer;

		certs[n++] = c;
		cert_info_from_nss(c, &l->cert);
		l->sent_index = sent_index_of(r, c);
		l->origin = l->sent_index >= 0 ? ORIGIN_SERVER : ORIGIN_LOCAL;
		l->source = nssinit_source_of(v->nss, c, &anchor);
		l->anchor = anchor;
		if (anchor || l->cert.self_signed)
			break;
		issuer = CERT_FindCertIssuer(c, when, certUsageAnyCA);
		/* CERT_FindCertIssuer skips issuers that are no CA; find such a
		 * one by name, so the report can say what is wrong with it. */
		if (issuer == NULL)
			issuer = CERT_FindCertByName(CERT_GetDefaultCertDB(), &c->derIssuer);
		if (issuer != NULL && r->n_built == MAX_CHAIN) {
			CERT_DestroyCertificate(issuer);        /* a loop: stop */
			break;
		}
		if (issuer == NULL || issuer == c) {
			r->verify.missing_issuer = xstrdup(l->cert.issuer);
			if (issuer != NULL)
				CERT_DestroyCertificate(issuer);
			break;
		}
		c = issuer;
	}
	return n;
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
			r->verify.error_depth = node->depth < r->n_built ?
			    (int)node->depth : (int)r->n_built - 1;
		}
		/* A depth past the built chain (a self-signed leaf checked as
		 * its own issuer) belongs to the last link. */
		size_t d = node->depth < r->n_built ? node->depth : r->n_built - 1;

		if (r->n_built > 0 && r->built[d].error == 0)
			r->built[d].error = node->error;
		if (node->cert != NULL)
			CERT_DestroyCertificate(node->cert);
	}
	return first;
}

/* Revocation evidence turns a good chain bad: record it at its depth. */
static void
mark_revoked(struct report *r, int depth)
{
	if (depth >= 0 && (size_t)depth < r->n_built)
		r->built[depth].error = SEC_ERROR_REVOKED_CERTIFICATE;
	if (r->verify.chain_ok || r->verify.error_depth < 0 ||
	    depth < r->verify.error_depth) {
		r->verify.error = SEC_ERROR_REVOKED_CERTIFICATE;
		r->verify.error_depth = depth;
	}
	r->verify.chain_ok = false;
}

/* Usable evidence of a revocation in force at `when` (--attime can be
 * before the revocation, or before the response was even made). */
static bool
ocsp_says_revoked(const struct ocsp_result *o, PRTime when)
{
	return o->status == OCSP_STATUS_REVOKED && o->signature_ok &&
	    o->for_this_cert && o->problem == NULL && o->revoked_at <= when;
}

static void
check_revocation(struct verify_ctx *v, CERTCertificate **certs, size_t n,
    const SECItem *staple, PRTime when, void *pwarg)
{
	struct report *r = v->report;
	CERTCertificate *issuer = n > 1 ? certs[1] : NULL;

	if (staple != NULL && staple->len > 0) {
		ocsp_check(staple, certs[0], issuer, when, pwarg, &r->staple);
		if (ocsp_says_revoked(&r->staple, when))
			mark_revoked(r, 0);
	}
	if (v->opts->ocsp) {
		int64_t t0 = util_now_us();

		ocsp_fetch(v->opts->ocsp_url, certs[0], issuer, when,
		    v->opts->connect_timeout_ms, pwarg, &r->ocsp);
		r->fetch_us += util_now_us() - t0;
		if (ocsp_says_revoked(&r->ocsp, when))
			mark_revoked(r, 0);
	}
	if (v->opts->n_crl_files > 0)
		r->crls = xcalloc(v->opts->n_crl_files, sizeof(*r->crls));
	for (size_t i = 0; i < v->opts->n_crl_files; i++) {
		struct crl_result *c = &r->crls[r->n_crls++];

		(void)crl_check(v->opts->crl_files[i], certs, n, when, pwarg, c);
		if (c->revoked_cert >= 0 && c->signature_ok && c->problem == NULL)
			mark_revoked(r, c->revoked_cert);
	}
}

/*
 * The chain stops short: fetch the missing issuer from the last
 * certificate's AIA caIssuers URL and say whether the chain would verify
 * with it.  Diagnosis only — the connection's verdict does not change,
 * because a server that omits its intermediate is broken for many clients.
 */
static void
try_aia(struct verify_ctx *v, CERTCertificate *leaf, PRTime when, void *pwarg)
{
	struct report *r = v->report;
	const char *url = r->built[r->n_built - 1].cert.aia_ca_issuers;
	unsigned char *body = NULL;
	size_t len = 0;
	char *err = NULL;
	CERTCertificate *fetched = NULL;

	r->aia.attempted = true;
	if (url == NULL) {
		r->aia.problem = xstrdup("the certificate has no AIA caIssuers URL");
		return;
	}
	r->aia.url = xstrdup(url);
	if (http_request(url, NULL, NULL, 0, v->opts->connect_timeout_ms, &body,
	    &len, &err) != 0) {
		r->aia.problem = err;
		return;
	}
	/* AIA URLs serve a DER certificate or a PKCS#7 "certs-only" bundle
	 * (RFC 5280 §4.2.2.1); CERT_DecodeCertFromPackage takes both, and PEM. */
	fetched = CERT_DecodeCertFromPackage((char *)body, (int)len);
	if (fetched == NULL) {
		r->aia.problem = xasprintf("%s did not serve a certificate", url);
		goto out;
	}
	r->aia.fetched = true;
	cert_info_from_nss(fetched, &r->aia.cert);
	/* The fetched certificate sits in the temporary store while we hold
	 * it, so chain building finds it. */
	if (CERT_VerifyCertificate(CERT_GetDefaultCertDB(), leaf, PR_TRUE,
	    certificateUsageSSLServer, when, pwarg, NULL, NULL) == SECSuccess)
		r->aia.would_verify = true;
	else
		r->aia.verify_error = PR_GetError();
out:
	if (fetched != NULL)
		CERT_DestroyCertificate(fetched);
	free(body);
}

int
verify_run(struct verify_ctx *v, CERTCertificate *leaf, CERTCertList *sent,
    const SECItem *staple, const SECItem *tls_scts, void *pwarg)
{
	struct report *r = v->report;
	const struct nsstls_opts *o = v->opts;
	const char *name = v->name != NULL ? v->name : o->verify_name;
	CERTCertificate *certs[MAX_CHAIN];
	CERTVerifyLog log;
	PRTime when = o->attime ? (PRTime)o->attime : PR_Now();
	size_t n;
	SECStatus rv;
	PRErrorCode err;

	report_clear_chains(r);
	r->verify.done = true;
	r->verify.as_ca = v->usage == certificateUsageSSLCA;
	r->verify_time = when;
	record_sent(r, sent);
	n = record_built(v, leaf, when, certs);

	memset(&log, 0, sizeof(log));
	log.arena = PORT_NewArena(512);
	rv = CERT_VerifyCertificate(CERT_GetDefaultCertDB(), leaf, PR_TRUE,
	    v->usage ? v->usage : certificateUsageSSLServer, when, pwarg, &log, NULL);
	/* With a log, PR_GetError() after the call is unreliable: the first
	 * log node carries the real reason. */
	err = apply_log(r, &log);
	if (rv != SECSuccess && err == 0)
		err = PR_GetError();
	PORT_FreeArena(log.arena, PR_FALSE);
	/* With a log, CERT_VerifyCertificate can return SECSuccess and still
	 * have logged errors (seen: path length, disabled MD5 signatures, a
	 * bad signature): any logged error fails the chain. */
	r->verify.chain_ok = rv == SECSuccess && err == 0;
	r->verify.error = err;

	r->verify.name_checked = name != NULL;
	r->verify.name_ok = !r->verify.name_checked ||
	    CERT_VerifyCertName(leaf, name) == SECSuccess;

	check_revocation(v, certs, n, staple, when, pwarg);
	if (tls_scts != NULL && tls_scts->len > 0)
		(void)sct_parse_list(tls_scts->data, tls_scts->len, "tls-extension", r);
	sct_from_cert(leaf, r);
	if (r->verify.missing_issuer != NULL && o->aia_fetch) {
		int64_t t0 = util_now_us();

		try_aia(v, leaf, when, pwarg);
		r->fetch_us += util_now_us() - t0;
	}

	if (r->verify.chain_ok && !r->verify.name_ok)
		r->verify.error = SSL_ERROR_BAD_CERT_DOMAIN;
	diagnose_chain(r, o);
	for (size_t i = 0; i < n; i++)
		CERT_DestroyCertificate(certs[i]);
	return r->verify.chain_ok && r->verify.name_ok ? 0 : -1;
}

static SECStatus
auth_certificate(void *arg, PRFileDesc *fd, PRBool check_sig, PRBool is_server)
{
	struct verify_ctx *v = arg;
	CERTCertificate *leaf = SSL_PeerCertificate(fd);
	CERTCertList *sent;
	const SECItemArray *staples;
	int rc;

	if (leaf == NULL) {
		report_clear_chains(v->report);
		v->report->verify.done = true;
		v->report->verify.error = SSL_ERROR_NO_CERTIFICATE;
		PORT_SetError(SSL_ERROR_NO_CERTIFICATE);
		return SECFailure;
	}
	sent = SSL_PeerCertificateChain(fd);
	staples = SSL_PeerStapledOCSPResponses(fd);
	/* ECH rejected: the certificate answers the outer ClientHello, so
	 * it is checked against the public name (NSS leaves that to us). */
	v->name = ech_auth_name(fd, v->report);
	rc = verify_run(v, leaf, sent,
	    staples != NULL && staples->len > 0 ? &staples->items[0] : NULL,
	    SSL_PeerSignedCertTimestamps(fd), SSL_RevealPinArg(fd));
	if (sent != NULL)
		CERT_DestroyCertList(sent);
	CERT_DestroyCertificate(leaf);
	if (rc == 0)
		return SECSuccess;
	/* NSS derives the alert it sends from this error code. */
	PORT_SetError(v->report->verify.error);
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
