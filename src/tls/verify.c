/*
 * verify: certificate hooks and chain verdict (see verify.h).
 *
 * Why our own hook instead of NSS's SSL_AuthCertificate: the default hook
 * checks the name given to SSL_SetURL, which is also the SNI, so "send SNI
 * X, verify Y" is impossible with it; and it stops at the first error,
 * while a diagnostic tool must show every certificate's verdict.  The chain
 * is verified once (CERT_VerifyCertificate with a CERTVerifyLog) and the
 * result reused for the report: an ECDSA verify costs ~0.4 ms in NSS.
 *
 * Three guarantees are added on top of NSS:
 *  - isolation: the chain uses only this target's certificates and the
 *    trust sources (allowed(), confirmed by libpkix with a chain callback);
 *  - the strict policy of policy.h (weak keys, SHA-1/MD5);
 *  - a bound: the NSS work runs on a worker thread and the verdict is
 *    "did not finish" at --timeout (verify_bounded).
 */
#include "verify.h"

#include <string.h>

#include <certdb.h>
#include <prcvar.h>
#include <prlock.h>
#include <prthread.h>
#include <secerr.h>
#include <ssl.h>
#include <sslerr.h>

#include "certinfo.h"
#include "crl.h"
#include "diagnose.h"
#include "ech.h"
#include "http.h"
#include "ocspcheck.h"
#include "policy.h"
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
 * Isolation.  NSS keeps every certificate it decodes in one process-wide
 * store, and both of its chain builders look issuers up there by name: the
 * intermediates of other targets verified at the same time, the CAs of the
 * client credential, anything decoded earlier.  A target's chain may only
 * use what its own server sent plus the loaded trust sources, so every
 * issuer lookup below is filtered through allowed(), and libpkix (which
 * takes a chain callback that can veto a path and make it look for another)
 * confirms a good verdict on exactly such a chain.
 */
static bool
allowed(const struct verify_ctx *v, CERTCertificate *c)
{
	bool anchor;

	if (sent_index_of(v->report, c) >= 0)
		return true;
	if (v->extra != NULL && c == v->extra)
		return true;
	return nssinit_source_of(v->nss, c, &anchor) >= 0;
}

/* How good a candidate issuer of c is: its signature on c verifies, it is
 * an anchor, it is valid at `when`. */
static int
issuer_rank(const struct verify_ctx *v, CERTCertificate *c,
    CERTCertificate *k, PRTime when, bool check_sig)
{
	bool anchor = false;
	int rank = 0;

	(void)nssinit_source_of(v->nss, k, &anchor);
	if (check_sig && CERT_VerifySignedDataWithPublicKeyInfo(&c->signatureWrap,
	    &k->subjectPublicKeyInfo, NULL) == SECSuccess)
		rank += 4;
	if (anchor)
		rank += 2;
	if (CERT_CheckCertValidTimes(k, when, PR_FALSE) == secCertTimeValid)
		rank += 1;
	return rank;
}

/*
 * The issuer of c among the allowed certificates, or NULL.  Candidates
 * are the certificates named like c's issuer (CERT_CreateSubjectCertList
 * searches the temporary store and every token); c itself is skipped, so
 * a self-issued certificate (a CA key rollover) finds its real issuer.
 * With several candidates the signature decides.
 */
static CERTCertificate *
find_issuer(const struct verify_ctx *v, CERTCertificate *c, PRTime when)
{
	CERTCertList *list = CERT_CreateSubjectCertList(NULL,
	    CERT_GetDefaultCertDB(), &c->derIssuer, when, PR_FALSE);
	CERTCertificate *best = NULL;
	int best_rank = -1;
	size_t n = 0;

	if (list == NULL)
		return NULL;
	for (CERTCertListNode *node = CERT_LIST_HEAD(list);
	    !CERT_LIST_END(node, list); node = CERT_LIST_NEXT(node))
		if (node->cert != c && allowed(v, node->cert))
			n++;
	for (CERTCertListNode *node = CERT_LIST_HEAD(list);
	    !CERT_LIST_END(node, list); node = CERT_LIST_NEXT(node)) {
		int rank;

		if (node->cert == c || !allowed(v, node->cert))
			continue;
		rank = issuer_rank(v, c, node->cert, when, n > 1);
		if (rank > best_rank) {
			best = node->cert;
			best_rank = rank;
		}
	}
	if (best != NULL)
		best = CERT_DupCertificate(best);
	CERT_DestroyCertList(list);
	return best;
}

/*
 * Walk from the leaf to an anchor through allowed certificates only.
 * Stops at a self-signed certificate, at a trusted anchor, or when no
 * allowed issuer exists (then verify.missing_issuer names it).
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
		issuer = find_issuer(v, c, when);
		for (size_t i = 0; issuer != NULL && i < n; i++)
			if (certs[i] == issuer) {       /* a loop: stop */
				CERT_DestroyCertificate(issuer);
				issuer = NULL;
				r->verify.chain_loop = true;
			}
		if (issuer != NULL && r->n_built == MAX_CHAIN) {
			CERT_DestroyCertificate(issuer);
			break;
		}
		if (issuer == NULL) {
			if (!r->verify.chain_loop)
				r->verify.missing_issuer = xstrdup(l->cert.issuer);
			break;
		}
		c = issuer;
	}
	return n;
}

/* libpkix's chain callback: the anchor first, then down to the leaf. */
static SECStatus
chain_is_own(void *arg, const CERTCertList *chain, PRBool *ok)
{
	struct verify_ctx *v = arg;

	*ok = PR_TRUE;
	for (CERTCertListNode *node = CERT_LIST_HEAD(chain);
	    !CERT_LIST_END(node, chain); node = CERT_LIST_NEXT(node))
		if (!allowed(v, node->cert)) {
			*ok = PR_FALSE;
			break;
		}
	return SECSuccess;
}

/*
 * Does leaf verify on a chain of allowed certificates only?  libpkix
 * builds candidate paths from the same process-wide store, calls
 * chain_is_own for each and looks for another path when it says no.
 * Revocation is not checked here (OCSP and CRLs are checked by our own
 * code with this target's evidence): without explicit flags NSS 3.87
 * fails with SEC_ERROR_INVALID_ARGS.  Returns 0, or the error.
 */
static PRErrorCode
verify_isolated(struct verify_ctx *v, CERTCertificate *leaf,
    SECCertificateUsage usage, PRTime when, void *pwarg)
{
	PRUint64 none[2] = {
		CERT_REV_M_DO_NOT_TEST_USING_THIS_METHOD,
		CERT_REV_M_DO_NOT_TEST_USING_THIS_METHOD,
	};
	CERTRevocationFlags rev = {
		{ 2, none, 0, NULL, 0 }, { 2, none, 0, NULL, 0 },
	};
	CERTChainVerifyCallback cb = { chain_is_own, v };
	CERTValInParam in[5];
	CERTValOutParam out[1];

	in[0].type = cert_pi_revocationFlags;
	in[0].value.pointer.revocation = &rev;
	in[1].type = cert_pi_date;
	in[1].value.scalar.time = when;
	in[2].type = cert_pi_chainVerifyCallback;
	in[2].value.pointer.chainVerifyCallback = &cb;
	in[3].type = cert_pi_useAIACertFetch;
	in[3].value.scalar.b = PR_FALSE;
	in[4].type = cert_pi_end;
	out[0].type = cert_po_end;
	if (CERT_PKIXVerifyCert(leaf, usage, in, out, pwarg) == SECSuccess)
		return 0;
	return PR_GetError() != 0 ? PR_GetError() : SEC_ERROR_UNKNOWN_ISSUER;
}

/* Copy each log node's error onto the link at its depth; the node's
 * certificate reference is ours to release.  *foreign is set to the
 * lowest depth where the classic verifier looked at a certificate that is
 * not in this target's chain (-1: none): its chain went through the
 * shared store. */
static PRErrorCode
apply_log(struct report *r, CERTVerifyLog *log, CERTCertificate **certs,
    size_t n, int *foreign)
{
	PRErrorCode first = 0;

	*foreign = -1;
	for (CERTVerifyLogNode *node = log->head; node != NULL; node = node->next) {
		size_t at = node->depth < n ? node->depth : n - 1;
		bool ours = false;

		/* (A name-constraints node carries the certificate below the
		 * CA at the CA's depth: any certificate of ours is ours.) */
		for (size_t i = 0; i < n && node->cert != NULL; i++)
			ours = ours || node->cert == certs[i];
		if (n > 0 && node->cert != NULL && !ours &&
		    (*foreign < 0 || (int)at < *foreign))
			*foreign = (int)at;
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

/* Record a failure NSS's classic verifier did not see, at depth d. */
static void
fail_at(struct report *r, int d, PRErrorCode err)
{
	if (d >= 0 && (size_t)d < r->n_built && r->built[d].error == 0)
		r->built[d].error = err;
	if (r->verify.chain_ok || r->verify.error_depth < 0 ||
	    d < r->verify.error_depth) {
		r->verify.error = err;
		r->verify.error_depth = d;
	}
	r->verify.chain_ok = false;
}

/*
 * The first depth whose issuer NSS's classic verifier could have taken
 * from outside this target: another certificate with that issuer name is
 * in the store and not allowed.  Below it, the classic verdict is about
 * this target's own certificates.  -1: no such depth.
 */
static int
first_shared_depth(const struct verify_ctx *v, CERTCertificate **certs,
    size_t n, PRTime when)
{
	for (size_t d = 0; d < n; d++) {
		CERTCertList *list = CERT_CreateSubjectCertList(NULL,
		    CERT_GetDefaultCertDB(), &certs[d]->derIssuer, when, PR_FALSE);
		bool foreign = false;

		if (list == NULL)
			continue;
		for (CERTCertListNode *node = CERT_LIST_HEAD(list);
		    !CERT_LIST_END(node, list) && !foreign; node = CERT_LIST_NEXT(node))
			foreign = node->cert != certs[d] && !allowed(v, node->cert);
		CERT_DestroyCertList(list);
		if (foreign)
			return (int)d;
	}
	return -1;
}

/* Forget what the classic verifier said from depth k up. */
static void
forget_from(struct report *r, int k)
{
	r->verify.chain_ok = true;
	r->verify.error = 0;
	r->verify.error_depth = -1;
	for (int d = 0; d < (int)r->n_built; d++) {
		if (d >= k)
			r->built[d].error = 0;
		else if (r->built[d].error != 0 && r->verify.chain_ok) {
			r->verify.chain_ok = false;
			r->verify.error = r->built[d].error;
			r->verify.error_depth = d;
		}
	}
}

/*
 * Judge this target's own chain from depth k up, as the classic verifier
 * does when it runs alone: dates first (an invalid issuer shows as
 * SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE on the certificate below it and on
 * the issuer), then an issuer nobody allowed gave; then libpkix,
 * restricted to allowed certificates, on the whole chain.
 */
static void
judge_own_chain(struct verify_ctx *v, CERTCertificate **certs, int k,
    PRTime when, void *pwarg)
{
	struct report *r = v->report;
	int last = (int)r->n_built - 1;
	PRErrorCode err;

	for (int d = k; d <= last; d++) {
		if (CERT_CheckCertValidTimes(certs[d], when, PR_FALSE) == secCertTimeValid)
			continue;
		if (d == 0) {
			fail_at(r, 0, SEC_ERROR_EXPIRED_CERTIFICATE);
		} else {
			fail_at(r, d - 1, SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE);
			fail_at(r, d, SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE);
		}
		break;
	}
	if (!r->built[last].anchor)
		fail_at(r, last, SEC_ERROR_UNKNOWN_ISSUER);
	if (!r->verify.chain_ok)
		return;
	err = verify_isolated(v, certs[0], v->usage ? v->usage :
	    certificateUsageSSLServer, when, pwarg);
	if (err == SEC_ERROR_APPLICATION_CALLBACK_ERROR)
		fail_at(r, last, SEC_ERROR_UNKNOWN_ISSUER);
	else if (err != 0)
		fail_at(r, 0, err);
}

/*
 * NSS's classic verifier gives the per-certificate reasons, but it takes
 * issuers from the shared store.  A good verdict stands only if libpkix,
 * restricted to this target's certificates, agrees; and where an issuer
 * name is shared with certificates from outside, the reasons from there
 * up are worked out again on this target's own chain.
 */
static void
isolate_verdict(struct verify_ctx *v, CERTCertificate **certs, size_t n,
    int foreign, PRTime when, void *pwarg)
{
	struct report *r = v->report;
	int k = first_shared_depth(v, certs, n, when);

	if (n == 0)
		return;
	if (foreign >= 0 && (k < 0 || foreign < k))
		k = foreign;
	if (k >= 0) {
		r->verify.isolated_veto = true;
		forget_from(r, k);
		judge_own_chain(v, certs, k, when, pwarg);
	} else if (r->verify.chain_ok) {
		judge_own_chain(v, certs, (int)n, when, pwarg);
	}
}

/*
 * The strict default policy (policy.h): a weak key anywhere in the path,
 * or a SHA-1/MD5 signature that is checked, fails the chain at that
 * certificate — NSS 3.87 itself accepts both.  --allow-weak keeps NSS's
 * verdict and the findings say what is weak.
 */
static void
apply_policy(struct verify_ctx *v)
{
	struct report *r = v->report;

	r->verify.weak_allowed = v->opts->allow_weak;
	if (v->opts->allow_weak)
		return;
	for (size_t i = 0; i < r->n_built; i++) {
		const struct chain_link *l = &r->built[i];

		if (policy_weak_key(&l->cert))
			fail_at(r, (int)i, SSL_ERROR_WEAK_SERVER_CERT_KEY);
		else if (policy_weak_signature(l))
			fail_at(r, (int)i, SEC_ERROR_CERT_SIGNATURE_ALGORITHM_DISABLED);
	}
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

/* What an OCSP answer (stapled or fetched) says about the leaf. */
static void
ocsp_verdict(struct report *r, const struct ocsp_result *o, const char *what,
    PRTime when)
{
	char *why;

	if (!o->present && o->problem == NULL)
		return;
	if (o->problem != NULL || !o->signature_ok || !o->for_this_cert) {
		why = xasprintf("the %s cannot be used: %s", what, o->problem ?
		    o->problem : "it is not signed properly for this certificate");
		report_revocation(r, 0, REVOCATION_UNKNOWN, what, 0, why);
		free(why);
	} else if (o->status == OCSP_STATUS_REVOKED && o->revoked_at <= when) {
		report_revocation(r, 0, REVOCATION_REVOKED, what, o->revoked_at, NULL);
	} else if (o->status == OCSP_STATUS_GOOD || o->status == OCSP_STATUS_REVOKED) {
		/* Revoked only after the time verified at (--attime): good then. */
		report_revocation(r, 0, REVOCATION_GOOD, what, 0, NULL);
	} else {
		why = xasprintf("the %s answers \"unknown\": the responder does "
		    "not know the certificate", what);
		report_revocation(r, 0, REVOCATION_UNKNOWN, what, 0, why);
		free(why);
	}
}

/*
 * Each certificate of the built chain gets one revocation verdict from
 * every source that speaks of it (the leaf's OCSP staple or responder,
 * each CRL its issuer signed); a revoked certificate fails the chain.
 */
static void
check_revocation(struct verify_ctx *v, CERTCertificate **certs, size_t n,
    const SECItem *staple, PRTime when, void *pwarg)
{
	struct report *r = v->report;
	CERTCertificate *issuer = n > 1 ? certs[1] : NULL;

	r->revocation = xcalloc(n > 0 ? n : 1, sizeof(*r->revocation));
	r->n_revocation = n;
	if (staple != NULL && staple->len > 0) {
		ocsp_check(staple, certs[0], issuer, when, pwarg, &r->staple);
		ocsp_verdict(r, &r->staple, "OCSP staple", when);
	}
	if (v->opts->ocsp) {
		int64_t t0 = util_now_us();

		ocsp_fetch(v->opts->ocsp_url, certs[0], issuer, when,
		    v->opts->connect_timeout_ms, pwarg, &r->ocsp);
		r->fetch_us += util_now_us() - t0;
		ocsp_verdict(r, &r->ocsp, "OCSP responder", when);
	}
	crl_apply(v->nss->crls, certs, n, when, pwarg, r);
	for (size_t i = 0; i < n; i++) {
		if (r->revocation[i].status == REVOCATION_REVOKED)
			mark_revoked(r, (int)i);
		else if (r->revocation[i].status == REVOCATION_NOT_CHECKED)
			report_revocation(r, i, REVOCATION_NOT_CHECKED, NULL, 0,
			    r->built[i].anchor ? "trust anchor" :
			    "no revocation source covers it");
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
	 * it; for this one check it counts as this target's own. */
	v->extra = fetched;
	r->aia.verify_error = verify_isolated(v, leaf, certificateUsageSSLServer,
	    when, pwarg);
	r->aia.would_verify = r->aia.verify_error == 0;
	v->extra = NULL;
out:
	if (fetched != NULL)
		CERT_DestroyCertificate(fetched);
	free(body);
}

/*
 * A name-constraints blow-up: NSS compares every name of every certificate
 * below a CA with every subtree of that CA's constraints.  A chain built to
 * make that product huge takes NSS seconds; it is refused before NSS starts
 * (the same limit as Go's crypto/x509).
 */
#define MAX_NAME_CHECKS 250000UL

static unsigned long
count_names(CERTCertificate *c, PLArenaPool *arena)
{
	CERTGeneralName *head = CERT_GetConstrainedCertificateNames(c, arena, PR_TRUE);
	CERTGeneralName *g = head;
	unsigned long n = 0;

	if (head == NULL)
		return 0;
	do {
		n++;
		g = CERT_GetNextGeneralName(g);
	} while (g != head && n < MAX_NAME_CHECKS);
	return n;
}

static unsigned long
count_subtrees(CERTCertificate *c, PLArenaPool *arena)
{
	CERTNameConstraints *nc = NULL;
	unsigned long n = 0;

	if (CERT_FindNameConstraintsExten(arena, c, &nc) != SECSuccess || nc == NULL)
		return 0;
	for (SECItem **p = nc->DERPermited; p != NULL && *p != NULL; p++)
		n++;
	for (SECItem **p = nc->DERExcluded; p != NULL && *p != NULL; p++)
		n++;
	return n;
}

/* Name comparisons NSS would make on certs[0..n-1] (saturating). */
static unsigned long
name_checks(CERTCertificate **certs, size_t n)
{
	PLArenaPool *arena = PORT_NewArena(4096);
	unsigned long names_below = 0, total = 0;

	if (arena == NULL)
		return 0;
	for (size_t d = 0; d < n && total <= MAX_NAME_CHECKS; d++) {
		unsigned long subtrees = count_subtrees(certs[d], arena);

		if (subtrees > 0 && names_below > 0)
			total += subtrees > MAX_NAME_CHECKS / names_below ?
			    MAX_NAME_CHECKS + 1 : subtrees * names_below;
		names_below += count_names(certs[d], arena);
	}
	PORT_FreeArena(arena, PR_FALSE);
	return total;
}

/*
 * The computing part of a verification, on the allowed chain: NSS's
 * classic verifier for the per-certificate reasons, isolation, policy.
 * Runs on a worker thread (verify_bounded); writes only v->report, which
 * is the worker's own until it is handed over.
 */
static void
verify_chain(struct verify_ctx *v, CERTCertificate *leaf, PRTime when,
    void *pwarg, CERTCertificate **certs, size_t *count)
{
	struct report *r = v->report;
	CERTVerifyLog log;
	SECStatus rv;
	PRErrorCode err;
	int foreign;
	size_t n = record_built(v, leaf, when, certs);

	*count = n;
	r->verify.name_checks = name_checks(certs, n);
	if (r->verify.name_checks > MAX_NAME_CHECKS) {
		r->verify.chain_ok = false;
		r->verify.error = PR_OPERATION_ABORTED_ERROR;
		r->verify.error_depth = 0;
		return;
	}
	memset(&log, 0, sizeof(log));
	log.arena = PORT_NewArena(512);
	rv = CERT_VerifyCertificate(CERT_GetDefaultCertDB(), leaf, PR_TRUE,
	    v->usage ? v->usage : certificateUsageSSLServer, when, pwarg, &log, NULL);
	/* With a log, PR_GetError() after the call is unreliable: the first
	 * log node carries the real reason. */
	err = apply_log(r, &log, certs, n, &foreign);
	if (rv != SECSuccess && err == 0)
		err = PR_GetError();
	PORT_FreeArena(log.arena, PR_FALSE);
	/* With a log, CERT_VerifyCertificate can return SECSuccess and still
	 * have logged errors (seen: path length, disabled MD5 signatures, a
	 * bad signature): any logged error fails the chain. */
	r->verify.chain_ok = rv == SECSuccess && err == 0;
	r->verify.error = err;
	isolate_verdict(v, certs, n, foreign, when, pwarg);
	apply_policy(v);

}

/* One verification handed to a worker thread.  Two owners (the waiter and
 * the worker); the last one out frees it.  The worker releases its NSS
 * references before it says it is done, so NSS can shut down as soon as
 * the waiter has what it needs. */
struct chain_job {
	PRLock *lock;
	PRCondVar *cv;
	int owners;
	bool done;
	bool abandoned;                  /* the waiter gave up */
	struct verify_ctx v;
	struct report scratch;           /* sent: borrowed from the caller */
	CERTCertificate *leaf;
	CERTCertificate *certs[MAX_CHAIN];
	size_t n;
	PRTime when;
	void *pwarg;
};

static int abandoned;                    /* workers still running, unwaited */

int
verify_abandoned(void)
{
	return __atomic_load_n(&abandoned, __ATOMIC_SEQ_CST);
}

static void
job_drop_refs(struct chain_job *j)
{
	for (size_t i = 0; i < j->n; i++)
		CERT_DestroyCertificate(j->certs[i]);
	j->n = 0;
	if (j->leaf != NULL)
		CERT_DestroyCertificate(j->leaf);
	j->leaf = NULL;
}

/* Called with j->lock held; unlocks it.  Frees j when last. */
static void
job_release_locked(struct chain_job *j)
{
	bool last = --j->owners == 0;

	PR_Unlock(j->lock);
	if (!last)
		return;
	job_drop_refs(j);
	j->scratch.sent = NULL;
	j->scratch.n_sent = 0;
	report_clear_chains(&j->scratch);
	free(j->scratch.host);
	PR_DestroyCondVar(j->cv);
	PR_DestroyLock(j->lock);
	free(j);
}

static void
job_run(void *arg)
{
	struct chain_job *j = arg;

	verify_chain(&j->v, j->leaf, j->when, j->pwarg, j->certs, &j->n);
	PR_Lock(j->lock);
	CERT_DestroyCertificate(j->leaf);
	j->leaf = NULL;
	if (j->abandoned) {
		job_drop_refs(j);
		__atomic_sub_fetch(&abandoned, 1, __ATOMIC_SEQ_CST);
	}
	j->done = true;
	PR_NotifyCondVar(j->cv);
	job_release_locked(j);
}

/* Hand the worker's results to the caller's report. */
static void
job_take(struct chain_job *j, struct report *r, CERTCertificate **certs,
    size_t *n)
{
	r->built = j->scratch.built;
	r->n_built = j->scratch.n_built;
	r->verify = j->scratch.verify;
	j->scratch.built = NULL;
	j->scratch.n_built = 0;
	j->scratch.verify.missing_issuer = NULL;
	memcpy(certs, j->certs, j->n * sizeof(*certs));
	*n = j->n;
	j->n = 0;
}

/*
 * Run verify_chain bounded by --timeout.  NSS's verifiers cannot be
 * interrupted, so the work goes to a worker thread and the caller waits
 * at most the timeout: past it, the verdict is "did not finish" and the
 * worker is left to end on its own (main then exits without NSS_Shutdown,
 * which cannot succeed while the worker holds NSS objects).
 * Returns 0, or -1 when the verification did not finish.
 */
static int
verify_bounded(struct verify_ctx *v, CERTCertificate *leaf, PRTime when,
    void *pwarg, CERTCertificate **certs, size_t *n)
{
	struct report *r = v->report;
	struct chain_job *j = xcalloc(1, sizeof(*j));
	PRIntervalTime limit = PR_MillisecondsToInterval(
	    (PRUint32)(v->opts->timeout_ms > 0 ? v->opts->timeout_ms : 10000));
	PRIntervalTime start = PR_IntervalNow();
	bool done;

	*n = 0;
	j->lock = PR_NewLock();
	j->cv = j->lock != NULL ? PR_NewCondVar(j->lock) : NULL;
	j->owners = 2;
	j->v = *v;
	j->v.report = &j->scratch;
	report_init(&j->scratch, "", 0);
	j->scratch.sent = r->sent;
	j->scratch.n_sent = r->n_sent;
	j->scratch.verify = r->verify;
	j->leaf = CERT_DupCertificate(leaf);
	j->when = when;
	j->pwarg = pwarg;
	if (j->cv == NULL || PR_CreateThread(PR_USER_THREAD, job_run, j,
	    PR_PRIORITY_NORMAL, PR_GLOBAL_THREAD, PR_UNJOINABLE_THREAD, 0) == NULL) {
		/* No thread: verify here, unbounded, rather than not at all. */
		verify_chain(&j->v, j->leaf, j->when, j->pwarg, j->certs, &j->n);
		job_take(j, r, certs, n);
		j->owners = 1;
		if (j->lock == NULL) {       /* job_release_locked needs one */
			job_drop_refs(j);
			report_clear_chains(&j->scratch);
			free(j->scratch.host);
			free(j);
			return 0;
		}
		PR_Lock(j->lock);
		job_release_locked(j);
		return 0;
	}
	PR_Lock(j->lock);
	while (!j->done && (PRIntervalTime)(PR_IntervalNow() - start) < limit)
		PR_WaitCondVar(j->cv, limit - (PRIntervalTime)(PR_IntervalNow() - start));
	done = j->done;
	if (done) {
		job_take(j, r, certs, n);
	} else {
		j->abandoned = true;
		__atomic_add_fetch(&abandoned, 1, __ATOMIC_SEQ_CST);
	}
	job_release_locked(j);
	if (done)
		return 0;
	r->verify.chain_ok = false;
	r->verify.error = PR_IO_TIMEOUT_ERROR;
	r->verify.error_depth = -1;
	r->verify.timed_out_ms = v->opts->timeout_ms;
	return -1;
}

int
verify_run(struct verify_ctx *v, CERTCertificate *leaf, CERTCertList *sent,
    const SECItem *staple, const SECItem *tls_scts, void *pwarg)
{
	struct report *r = v->report;
	const struct nsstls_opts *o = v->opts;
	const char *name = v->name != NULL ? v->name : o->verify_name;
	CERTCertificate *certs[MAX_CHAIN];
	PRTime when = o->attime ? (PRTime)o->attime : PR_Now();
	size_t n;

	report_clear_chains(r);
	r->verify.done = true;
	r->verify.as_ca = v->usage == certificateUsageSSLCA;
	r->verify.client_usage = v->usage == certificateUsageSSLClient;
	r->verify.version = v->version;
	r->verify_time = when;
	record_sent(r, sent);
	if (verify_bounded(v, leaf, when, pwarg, certs, &n) != 0) {
		diagnose_chain(r, o);
		return -1;
	}

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
	{
		SSLPreliminaryChannelInfo pi;

		v->version = SSL_GetPreliminaryChannelInfo(fd, &pi, sizeof(pi)) ==
		    SECSuccess && (pi.valuesSet & ssl_preinfo_version) ?
		    pi.protocolVersion : 0;
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
