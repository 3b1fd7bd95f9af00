/*
 * crl: CRL reading and checking (see crl.h).  Done here rather than by
 * NSS's verifier: with NSS_NoDB_Init there is no CRL store to import into,
 * NSS's CRL cache is process-wide (one target's CRLs must not decide
 * another's verdict), and the report must say which CRL revoked which
 * certificate, or why a CRL could not be used.
 */
#include "crl.h"

#include <errno.h>
#include <string.h>

#include <certdb.h>
#include <keyhi.h>
#include <nssb64.h>
#include <prerror.h>
#include <secder.h>
#include <secerr.h>

#include "certinfo.h"
#include "der.h"
#include "pem.h"
#include "util.h"

#define CRL_MAX 4096                /* CRLs in all the files */

struct loaded_crl {
	const char *file;        /* escaped for output; owned by the set */
	unsigned position;       /* 1-based place in the file */
	unsigned count;          /* CRLs in the file */
	CERTSignedCrl *crl;
	PRErrorCode refused;     /* why NSS will not use it, or 0 */
	bool partial;            /* a delta CRL, or an issuing distribution point */
};

struct crl_set {
	struct loaded_crl *crls;
	size_t n;
	char **files;            /* the file names, escaped (NULL-terminated) */
	size_t n_files;
};

static bool
has_extension(const CERTCrl *crl, SECOidTag tag)
{
	for (CERTCertExtension **e = crl->extensions; e != NULL && *e != NULL; e++)
		if (SECOID_FindOIDTag(&(*e)->id) == tag)
			return true;
	return false;
}

/* NSS's reasons to refuse a CRL that is well-formed: a CRL, but not one
 * to use.  Anything else (bad DER) means the bytes are no CRL. */
static bool
must_not_use(PRErrorCode err)
{
	return err == SEC_ERROR_CRL_INVALID_VERSION ||
	    err == SEC_ERROR_CRL_V1_CRITICAL_EXTENSION ||
	    err == SEC_ERROR_CRL_UNKNOWN_CRITICAL_EXTENSION;
}

/* Decode one DER CRL into the set.  Returns 0, or -1 when it is no CRL. */
static int
add_crl(struct crl_set *s, const char *file, SECItem *der)
{
	struct loaded_crl *lc;
	CERTSignedCrl *crl;
	PRErrorCode refused = 0;

	crl = CERT_DecodeDERCrl(NULL, der, SEC_CRL_TYPE);
	if (crl == NULL) {
		refused = PORT_GetError();
		if (!must_not_use(refused))
			return -1;
		/* NSS refuses a CRL that decodes but must not be used.  Keep
		 * it anyway (CRL_DECODE_KEEP_BAD_CRL), so the report can name
		 * its issuer and say why it does not count. */
		crl = CERT_DecodeDERCrlWithFlags(NULL, der, SEC_CRL_TYPE,
		    CRL_DECODE_KEEP_BAD_CRL);
		if (crl == NULL)
			return -1;
		PORT_SetError(0);
	}
	s->crls = xrealloc(s->crls, (s->n + 1) * sizeof(*s->crls));
	lc = &s->crls[s->n++];
	memset(lc, 0, sizeof(*lc));
	lc->file = file;
	lc->crl = crl;
	lc->refused = refused;
	lc->partial = has_extension(&crl->crl, SEC_OID_X509_DELTA_CRL_INDICATOR) ||
	    has_extension(&crl->crl, SEC_OID_X509_ISSUING_DISTRIBUTION_POINT);
	return 0;
}

static char *
decode_error(const struct crl_set *s, const char *file, int k)
{
	const char *name = PR_ErrorToName(PORT_GetError());

	if (s->n >= CRL_MAX)
		return xasprintf("--crl-file %s: more than %d CRLs in all", file,
		    CRL_MAX);
	return xasprintf("--crl-file %s: CRL %d cannot be decoded as a CRL (%s)",
	    file, k, name != NULL ? name : "bad DER");
}

/* Every PEM "X509 CRL" block of text (NUL-terminated); other blocks are
 * passed over.  Returns how many were added, or -1 with *err. */
static int
add_pem(struct crl_set *s, const char *file, const char *text, char **err)
{
	const char *cursor = text;
	int found = 0;

	for (;;) {
		const char *before = cursor;
		struct pem_block b;
		int got = pem_next(&cursor, &b), rc = 0;
		bool crl = b.label != NULL && strcmp(b.label, "X509 CRL") == 0;

		if (got < 0 && crl)
			*err = xasprintf("--crl-file %s: CRL %d %s", file, found + 1,
			    cursor == before ? "has no END line" :
			    "is empty or not valid base64");
		else if (got > 0 && crl)
			rc = s->n < CRL_MAX ? add_crl(s, file, &b.der) : -1;
		pem_block_free(&b);
		if (got == 0)
			return found;
		if (got < 0 && crl)
			return -1;
		if (rc != 0) {
			*err = decode_error(s, file, found + 1);
			return -1;
		}
		/* Another kind of block, broken without its END line: look for
		 * the next block after its BEGIN. */
		if (got < 0 && cursor == before)
			cursor = strstr(before, "-----BEGIN ") + 11;
		found += got > 0 && crl;
	}
}

/* DER CRLs one after another, each a SEQUENCE.  Returns how many were
 * added, or -1 with *err. */
static int
add_der(struct crl_set *s, const char *file, const unsigned char *buf,
    size_t len, char **err)
{
	struct der in = { buf, len };
	int found = 0;

	while (in.len > 0) {
		const unsigned char *start = in.p;
		struct der content;
		unsigned tag;
		SECItem der = { siBuffer, (unsigned char *)start, 0 };

		if (der_read(&in, &tag, &content) != 0 || tag != TAG_SEQUENCE) {
			*err = xasprintf("--crl-file %s is not a CRL: neither PEM "
			    "(\"BEGIN X509 CRL\") nor DER%s", file, found ?
			    " after its first CRL" : "");
			return -1;
		}
		der.len = (unsigned)(in.p - start);
		if (s->n >= CRL_MAX || add_crl(s, file, &der) != 0) {
			*err = decode_error(s, file, found + 1);
			return -1;
		}
		found++;
	}
	return found;
}

/* Read file (shown as `shown` in the report) within timeout_ms. */
static int
load_file(struct crl_set *s, const char *file, const char *shown,
    long timeout_ms, char **err)
{
	size_t len = 0, first = s->n;
	unsigned char *buf;
	char *why;
	int found;

	if (util_read_file(file, "--crl-file", UTIL_LIMIT_CERTS, timeout_ms,
	    &buf, &len, &why) != 0) {
		*err = xasprintf("cannot read --crl-file %s: %s", shown, why);
		free(why);
		return -1;
	}
	/* util_read_file NUL-terminates, so the text search stays inside. */
	if (strstr((char *)buf, "-----BEGIN X509 CRL-----") != NULL)
		found = add_pem(s, shown, (char *)buf, err);
	else
		found = add_der(s, shown, buf, len, err);
	free(buf);
	if (found == 0)
		*err = xasprintf("--crl-file %s holds no CRL", shown);
	if (found <= 0)
		return -1;
	for (size_t i = first; i < s->n; i++) {
		s->crls[i].position = (unsigned)(i - first + 1);
		s->crls[i].count = (unsigned)found;
	}
	return 0;
}

struct crl_set *
crl_load(char *const *files, size_t n, long timeout_ms, char **err)
{
	struct crl_set *s = xcalloc(1, sizeof(*s));

	*err = NULL;
	s->files = xcalloc(n + 1, sizeof(*s->files));
	for (size_t i = 0; i < n; i++) {
		/* A file name is outside bytes too: escape it once, here. */
		s->files[s->n_files++] = util_escape(files[i], strlen(files[i]), true);
		if (load_file(s, files[i], s->files[i], timeout_ms, err) != 0) {
			crl_free(s);
			return NULL;
		}
	}
	return s;
}

void
crl_free(struct crl_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		SEC_DestroyCrl(s->crls[i].crl);
	free(s->crls);
	util_list_free(s->files);
	free(s);
}

/* "CRL FILE", or "CRL FILE #2" in a file of several. */
static char *
source_name(const struct loaded_crl *lc)
{
	if (lc->count > 1)
		return xasprintf("CRL %s #%u", lc->file, lc->position);
	return xasprintf("CRL %s", lc->file);
}

static bool
signed_by(const struct loaded_crl *lc, CERTCertificate *issuer, void *pwarg)
{
	SECKEYPublicKey *key = CERT_ExtractPublicKey(issuer);
	bool ok;

	if (key == NULL)
		return false;
	ok = CERT_VerifySignedDataWithPublicKey(&lc->crl->signatureWrap, key,
	    pwarg) == SECSuccess;
	SECKEY_DestroyPublicKey(key);
	return ok;
}

/* NSS's own words for why it refuses a CRL, without the final period. */
static char *
refusal(PRErrorCode err)
{
	const char *text = PR_ErrorToString(err, PR_LANGUAGE_I_DEFAULT);
	const char *name = PR_ErrorToName(err);
	size_t len = text != NULL ? strlen(text) : 0;

	if (len > 0 && text[len - 1] == '.')
		len--;
	return xasprintf("NSS refuses it: %.*s (%s)", (int)len, text ? text : "",
	    name != NULL ? name : "?");
}

/* Why the CRL cannot be used for the certificate at depth i, or NULL.
 * The issuer is certs[i + 1]; *sig_ok says whether its key signed it. */
static char *
crl_problem(const struct loaded_crl *lc, CERTCertificate **certs, size_t n,
    size_t i, PRTime when, void *pwarg, bool *sig_ok)
{
	const CERTCrl *crl = &lc->crl->crl;
	PRTime t = 0;
	char d[40];

	*sig_ok = false;
	if (i + 1 >= n)
		return xstrdup("the certificate of its issuer is not in the built "
		    "chain, so its signature cannot be checked");
	if (!signed_by(lc, certs[i + 1], pwarg))
		return xasprintf("its signature does not verify with the key of "
		    "certificate [%zu], the issuer", i + 1);
	*sig_ok = true;
	/* With no keyUsage extension, NSS allows every usage. */
	if (CERT_CheckCertUsage(certs[i + 1], KU_CRL_SIGN) != SECSuccess)
		return xasprintf("the key usage of certificate [%zu], its issuer, "
		    "does not allow signing CRLs (no cRLSign)", i + 1);
	if (lc->refused != 0)
		return refusal(lc->refused);
	if (lc->partial)
		return xstrdup("it is a delta CRL or covers only part of its "
		    "issuer's certificates (issuing distribution point); only "
		    "complete CRLs are used");
	if (DER_DecodeTimeChoice(&t, &crl->lastUpdate) != SECSuccess)
		return xstrdup("its thisUpdate time cannot be read");
	cert_format_time(t, true, d, sizeof(d));
	if (t > when)
		return xasprintf("it was issued on %s, after the time verified at", d);
	if (crl->nextUpdate.len > 0) {
		if (DER_DecodeTimeChoice(&t, &crl->nextUpdate) != SECSuccess)
			return xstrdup("its nextUpdate time cannot be read");
		cert_format_time(t, true, d, sizeof(d));
		if (t < when)
			return xasprintf("it is stale: its nextUpdate (%s) has passed", d);
	}
	return NULL;
}

/* Whether the CRL lists c as revoked at `when` (*at: since when). */
static bool
lists(const CERTSignedCrl *crl, const CERTCertificate *c, PRTime when,
    PRTime *at)
{
	for (CERTCrlEntry **e = crl->crl.entries; e != NULL && *e != NULL; e++) {
		if (!SECITEM_ItemsAreEqual(&(*e)->serialNumber, &c->serialNumber))
			continue;
		*at = 0;
		(void)DER_DecodeTimeChoice(at, &(*e)->revocationDate);
		/* Revoked later than the time verified at: not yet. */
		return *at <= when;
	}
	return false;
}

/* A CRL is meant for certs[i] when its issuer issued it; a trust anchor
 * or a self-signed end of the chain is not checked. */
static bool
meant_for(const struct loaded_crl *lc, CERTCertificate **certs, size_t n,
    size_t i, const struct report *r)
{
	if (!SECITEM_ItemsAreEqual(&certs[i]->derIssuer, &lc->crl->crl.derName))
		return false;
	return i + 1 < n || !(r->built[i].anchor || r->built[i].cert.self_signed);
}

static void
apply_one(const struct loaded_crl *lc, CERTCertificate **certs, size_t n,
    size_t i, PRTime when, void *pwarg, struct report *r, struct crl_result *c)
{
	bool sig_ok;
	char *problem = crl_problem(lc, certs, n, i, when, pwarg, &sig_ok);
	char *source = source_name(lc), *why;
	PRTime at = 0;

	if (c->cert < 0) {
		c->cert = (int)i;
		c->signature_ok = sig_ok;
		c->usable = problem == NULL;
		c->problem = problem != NULL ? xstrdup(problem) : NULL;
	}
	if (problem != NULL) {
		why = xasprintf("the %s (issuer %s) cannot be used: %s", source,
		    c->issuer, problem);
		report_revocation(r, i, REVOCATION_UNKNOWN, source, 0, why);
		free(why);
	} else if (lists(lc->crl, certs[i], when, &at)) {
		if (c->revoked_cert < 0) {
			c->revoked_cert = (int)i;
			c->revoked_at = at;
		}
		report_revocation(r, i, REVOCATION_REVOKED, source, at, NULL);
	} else {
		report_revocation(r, i, REVOCATION_GOOD, source, 0, NULL);
	}
	free(problem);
	free(source);
}

static void
describe(const struct loaded_crl *lc, struct crl_result *c)
{
	char *name = CERT_NameToAscii(&lc->crl->crl.name);

	memset(c, 0, sizeof(*c));
	c->file = xstrdup(lc->file);
	c->position = lc->position;
	c->count = lc->count;
	/* Control bytes escaped, as certinfo does for certificate names. */
	c->issuer = name != NULL ? util_escape(name, strlen(name), true) :
	    xstrdup("(undecodable name)");
	if (name != NULL)
		PORT_Free(name);
	(void)DER_DecodeTimeChoice(&c->this_update, &lc->crl->crl.lastUpdate);
	if (lc->crl->crl.nextUpdate.len > 0)
		(void)DER_DecodeTimeChoice(&c->next_update, &lc->crl->crl.nextUpdate);
	c->cert = -1;
	c->revoked_cert = -1;
}

void
crl_apply(const struct crl_set *s, CERTCertificate **certs, size_t n,
    PRTime when, void *pwarg, struct report *r)
{
	if (s == NULL || s->n == 0)
		return;
	r->crls = xcalloc(s->n, sizeof(*r->crls));
	for (size_t k = 0; k < s->n; k++) {
		struct crl_result *c = &r->crls[r->n_crls++];

		describe(&s->crls[k], c);
		for (size_t i = 0; i < n; i++)
			if (meant_for(&s->crls[k], certs, n, i, r))
				apply_one(&s->crls[k], certs, n, i, when, pwarg, r, c);
	}
}
