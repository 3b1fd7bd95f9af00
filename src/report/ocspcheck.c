/*
 * ocspcheck: OCSP response checking (see ocspcheck.h).
 *
 * NSS verifies the response's signature (CERT_VerifyOCSPResponseSignature,
 * which also checks a delegated responder's authority), but NSS 3.87 has
 * no public getters for producedAt, thisUpdate, nextUpdate or the
 * revocation time, so the SingleResponses are read with our DER reader.
 */
#include "ocspcheck.h"

#include <string.h>

#include <ocsp.h>
#include <pk11pub.h>
#include <secder.h>
#include <secerr.h>

#include "der.h"
#include "http.h"
#include "util.h"

/* Past nextUpdate (or, without one, a week after thisUpdate) a response
 * is stale. */
#define OCSP_DEFAULT_LIFETIME ((PRTime)7 * 86400 * PR_USEC_PER_SEC)

const char *
ocsp_status_str(enum ocsp_status s)
{
	switch (s) {
	case OCSP_STATUS_GOOD: return "good";
	case OCSP_STATUS_REVOKED: return "revoked";
	case OCSP_STATUS_UNKNOWN: return "unknown";
	case OCSP_STATUS_NONE: break;
	}
	return "none";
}

const char *
ocsp_reason_str(int reason)
{
	static const char *const names[] = { "unspecified", "keyCompromise",
	    "cACompromise", "affiliationChanged", "superseded",
	    "cessationOfOperation", "certificateHold", "(7)", "removeFromCRL",
	    "privilegeWithdrawn", "aACompromise" };

	if (reason < 0 || reason > 10)
		return "not given";
	return names[reason];
}

static PRTime
gen_time(const struct der *d)
{
	SECItem item = { siGeneralizedTime, (unsigned char *)d->p, (unsigned)d->len };
	PRTime t = 0;

	if (DER_GeneralizedTimeToTime(&t, &item) != SECSuccess)
		return 0;
	return t;
}

/* Does this CertID name leaf (serial) from issuer (key hash)? */
static bool
certid_matches(struct der certid, CERTCertificate *leaf, CERTCertificate *issuer)
{
	struct der alg, oid, name_hash, key_hash, serial;
	static const unsigned char sha1[] = { 0x2b, 0x0e, 0x03, 0x02, 0x1a };
	static const unsigned char sha256[] = { 0x60, 0x86, 0x48, 0x01, 0x65,
	    0x03, 0x04, 0x02, 0x01 };
	unsigned char digest[32];
	SECOidTag hash;
	SECItem spk;

	if (der_expect(&certid, TAG_SEQUENCE, &alg) != 0 ||
	    der_expect(&alg, TAG_OID, &oid) != 0 ||
	    der_expect(&certid, TAG_OCTET_STRING, &name_hash) != 0 ||
	    der_expect(&certid, TAG_OCTET_STRING, &key_hash) != 0 ||
	    der_expect(&certid, TAG_INTEGER, &serial) != 0)
		return false;
	if (serial.len != leaf->serialNumber.len ||
	    memcmp(serial.p, leaf->serialNumber.data, serial.len) != 0)
		return false;
	if (issuer == NULL)
		return true;    /* serial matches; the issuer cannot be checked */
	if (oid.len == sizeof(sha1) && memcmp(oid.p, sha1, sizeof(sha1)) == 0)
		hash = SEC_OID_SHA1;
	else if (oid.len == sizeof(sha256) && memcmp(oid.p, sha256, sizeof(sha256)) == 0)
		hash = SEC_OID_SHA256;
	else
		return true;
	/* issuerKeyHash is the hash of the issuer's public key bits. */
	spk = issuer->subjectPublicKeyInfo.subjectPublicKey;
	DER_ConvertBitString(&spk);
	if (PK11_HashBuf(hash, digest, spk.data, (PRInt32)spk.len) != SECSuccess)
		return false;
	return key_hash.len == (hash == SEC_OID_SHA1 ? 20u : 32u) &&
	    memcmp(key_hash.p, digest, key_hash.len) == 0;
}

/* Walk OCSPResponse → BasicOCSPResponse → ResponseData and fill the times
 * and the status of the SingleResponse for leaf. */
static int
read_response(const SECItem *der, CERTCertificate *leaf, CERTCertificate *issuer,
    struct ocsp_result *out)
{
	struct der in = { der->data, der->len }, resp, status, bytes, rb, type,
	    basic_os, basic, tbs, field, responses;
	unsigned tag;

	if (der_expect(&in, TAG_SEQUENCE, &resp) != 0 ||
	    der_expect(&resp, TAG_ENUMERATED, &status) != 0)
		return -1;
	if (status.len != 1 || status.p[0] != 0)
		return 1;       /* not "successful": NSS names the reason */
	if (der_expect(&resp, TAG_CONTEXT_CONS(0), &bytes) != 0 ||
	    der_expect(&bytes, TAG_SEQUENCE, &rb) != 0 ||
	    der_expect(&rb, TAG_OID, &type) != 0 ||
	    der_expect(&rb, TAG_OCTET_STRING, &basic_os) != 0 ||
	    der_expect(&basic_os, TAG_SEQUENCE, &basic) != 0 ||
	    der_expect(&basic, TAG_SEQUENCE, &tbs) != 0)
		return -1;
	if (der_peek(&tbs, TAG_CONTEXT_CONS(0)))        /* version */
		(void)der_read(&tbs, &tag, &field);
	if (der_read(&tbs, &tag, &field) != 0)          /* responderID */
		return -1;
	if (der_expect(&tbs, TAG_GENERALIZED_TIME, &field) != 0)
		return -1;
	out->produced_at = gen_time(&field);
	if (der_expect(&tbs, TAG_SEQUENCE, &responses) != 0)
		return -1;
	while (responses.len > 0) {
		struct der single, certid, st, t;

		if (der_expect(&responses, TAG_SEQUENCE, &single) != 0 ||
		    der_expect(&single, TAG_SEQUENCE, &certid) != 0 ||
		    der_read(&single, &tag, &st) != 0)
			return -1;
		if (!certid_matches(certid, leaf, issuer))
			continue;
		out->for_this_cert = true;
		if (tag == TAG_CONTEXT(0)) {
			out->status = OCSP_STATUS_GOOD;
		} else if (tag == TAG_CONTEXT_CONS(1)) {
			struct der reason_exp, reason;

			out->status = OCSP_STATUS_REVOKED;
			if (der_expect(&st, TAG_GENERALIZED_TIME, &t) == 0)
				out->revoked_at = gen_time(&t);
			if (der_expect(&st, TAG_CONTEXT_CONS(0), &reason_exp) == 0 &&
			    der_expect(&reason_exp, TAG_ENUMERATED, &reason) == 0 &&
			    reason.len == 1)
				out->revocation_reason = reason.p[0];
		} else {
			out->status = OCSP_STATUS_UNKNOWN;
		}
		if (der_expect(&single, TAG_GENERALIZED_TIME, &t) == 0)
			out->this_update = gen_time(&t);
		if (der_expect(&single, TAG_CONTEXT_CONS(0), &field) == 0 &&
		    der_expect(&field, TAG_GENERALIZED_TIME, &t) == 0)
			out->next_update = gen_time(&t);
		return 0;
	}
	return 0;
}

static void
set_problem(struct ocsp_result *out, PRErrorCode err, const char *words)
{
	if (out->problem != NULL)
		return;         /* keep the first, most basic problem */
	out->error = err;
	out->problem = xstrdup(words);
}

void
ocsp_check(const SECItem *der, CERTCertificate *leaf, CERTCertificate *issuer,
    PRTime when, void *pwarg, struct ocsp_result *out)
{
	CERTOCSPResponse *resp = NULL;
	CERTCertificate *signer = NULL;
	int rc;

	out->present = true;
	out->revocation_reason = -1;
	rc = read_response(der, leaf, issuer, out);
	resp = CERT_DecodeOCSPResponse((SECItem *)der);
	if (resp == NULL || rc < 0) {
		set_problem(out, resp == NULL ? PR_GetError() :
		    SEC_ERROR_OCSP_MALFORMED_RESPONSE, "the response cannot be decoded");
		goto out;
	}
	if (CERT_GetOCSPResponseStatus(resp) != SECSuccess) {
		set_problem(out, PR_GetError(), "the responder did not answer "
		    "\"successful\"");
		goto out;
	}
	if (issuer == NULL) {
		set_problem(out, SEC_ERROR_UNKNOWN_ISSUER, "the issuer is unknown, "
		    "so the signature cannot be checked");
	} else if (CERT_VerifyOCSPResponseSignature(resp, CERT_GetDefaultCertDB(),
	    pwarg, &signer, issuer) == SECSuccess) {
		out->signature_ok = true;
	} else {
		set_problem(out, PR_GetError(), "its signature does not verify "
		    "against the issuer or a responder it authorised");
	}
	if (signer != NULL) {
		char *s = CERT_NameToAscii(&signer->subject);

		out->signer = xstrdup(s ? s : "?");
		if (s != NULL)
			PORT_Free(s);
	}
	if (!out->for_this_cert)
		set_problem(out, SEC_ERROR_OCSP_UNKNOWN_CERT,
		    "it is about another certificate");
	else if ((out->next_update != 0 && out->next_update < when) ||
	    (out->next_update == 0 && out->this_update + OCSP_DEFAULT_LIFETIME < when)) {
		out->stale = true;
		set_problem(out, SEC_ERROR_OCSP_OLD_RESPONSE, "it is stale "
		    "(past its nextUpdate)");
	} else if (out->this_update > when + 5 * 60 * (PRTime)PR_USEC_PER_SEC) {
		set_problem(out, SEC_ERROR_OCSP_FUTURE_RESPONSE,
		    "it is dated in the future");
	}
out:
	if (signer != NULL)
		CERT_DestroyCertificate(signer);
	if (resp != NULL)
		CERT_DestroyOCSPResponse(resp);
}

void
ocsp_fetch(const char *url, CERTCertificate *leaf, CERTCertificate *issuer,
    PRTime when, long timeout_ms, void *pwarg, struct ocsp_result *out)
{
	CERTCertList *list = NULL;
	CERTOCSPRequest *req = NULL;
	PLArenaPool *arena = NULL;
	SECItem *encoded;
	char *aia = NULL, *err = NULL;
	unsigned char *body = NULL;
	size_t body_len = 0;

	out->revocation_reason = -1;
	if (url == NULL) {
		aia = CERT_GetOCSPAuthorityInfoAccessLocation(leaf);
		if (aia == NULL) {
			set_problem(out, SEC_ERROR_CERT_BAD_ACCESS_LOCATION,
			    "the certificate names no OCSP responder (use --ocsp-url)");
			return;
		}
		url = aia;
	}
	out->url = xstrdup(url);
	if (issuer == NULL) {
		set_problem(out, SEC_ERROR_UNKNOWN_ISSUER, "the issuer is unknown, "
		    "so no request can be made");
		goto out;
	}
	list = CERT_NewCertList();
	arena = PORT_NewArena(1024);
	if (list == NULL || arena == NULL)
		goto fail;
	{
		CERTCertificate *dup = CERT_DupCertificate(leaf);

		if (CERT_AddCertToListTail(list, dup) != SECSuccess) {
			CERT_DestroyCertificate(dup);
			goto fail;
		}
	}
	/* A request needs the issuer to be findable (for the CertID's hashes),
	 * which it is: the chain's certificates are in the temporary store. */
	req = CERT_CreateOCSPRequest(list, when, PR_FALSE, NULL);
	if (req == NULL)
		goto fail;
	encoded = CERT_EncodeOCSPRequest(arena, req, pwarg);
	if (encoded == NULL)
		goto fail;
	if (http_request(url, "application/ocsp-request", encoded->data,
	    encoded->len, timeout_ms, &body, &body_len, &err) != 0) {
		set_problem(out, SEC_ERROR_OCSP_SERVER_ERROR, err);
		goto out;
	}
	{
		SECItem item = { siBuffer, body, (unsigned)body_len };

		ocsp_check(&item, leaf, issuer, when, pwarg, out);
	}
	goto out;
fail:
	set_problem(out, PR_GetError(), "the OCSP request could not be built");
out:
	free(err);
	free(body);
	if (req != NULL)
		CERT_DestroyOCSPRequest(req);
	if (list != NULL)
		CERT_DestroyCertList(list);
	if (arena != NULL)
		PORT_FreeArena(arena, PR_FALSE);
	if (aia != NULL)
		PORT_Free(aia);
}
