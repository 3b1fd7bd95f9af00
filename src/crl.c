/*
 * crl: CRL checking (see crl.h).  Done here rather than by NSS's verifier:
 * with NSS_NoDB_Init there is no CRL store to import into, and the report
 * should say which CRL revoked which certificate.
 */
#include "crl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <certdb.h>
#include <secder.h>
#include <nssb64.h>

#include "util.h"

/* PEM "X509 CRL" → DER in *der (allocated by NSS), or the bytes as they
 * are when the file is DER. */
static int
to_der(unsigned char *buf, size_t len, SECItem *der, bool *allocated)
{
	static const char begin[] = "-----BEGIN X509 CRL-----";
	static const char end[] = "-----END X509 CRL-----";
	char *b = strstr((char *)buf, begin), *e;

	*allocated = false;
	if (b == NULL) {
		der->data = buf;
		der->len = (unsigned)len;
		return len > 0 && buf[0] == 0x30 ? 0 : -1;
	}
	b += sizeof(begin) - 1;
	e = strstr(b, end);
	if (e == NULL || NSSBase64_DecodeBuffer(NULL, der, b, (PRUint32)(e - b)) == NULL)
		return -1;
	*allocated = true;
	return 0;
}

int
crl_check(const char *file, long timeout_ms, CERTCertificate **chain,
    size_t n, PRTime when, void *pwarg, struct crl_result *out)
{
	size_t len = 0;
	unsigned char *buf;
	char *why;
	SECItem der = { siBuffer, NULL, 0 };
	bool allocated = false;
	CERTSignedCrl *crl = NULL;
	CERTCertificate *issuer = NULL;
	char *name;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->file = xstrdup(file);
	out->revoked_cert = -1;
	if (util_read_file(file, "--crl-file", UTIL_LIMIT_CERTS, timeout_ms,
	    &buf, &len, &why) != 0) {
		out->problem = xasprintf("cannot read %s: %s", file, why);
		free(why);
		return -1;
	}
	if (to_der(buf, len, &der, &allocated) != 0) {
		out->problem = xasprintf("%s is not a CRL (PEM or DER)", file);
		goto out;
	}
	crl = CERT_DecodeDERCrl(NULL, &der, SEC_CRL_TYPE);
	if (crl == NULL) {
		out->problem = xasprintf("%s cannot be decoded as a CRL", file);
		goto out;
	}
	rc = 0;
	name = CERT_NameToAscii(&crl->crl.name);
	out->issuer = xstrdup(name ? name : "?");
	if (name != NULL)
		PORT_Free(name);
	(void)DER_DecodeTimeChoice(&out->this_update, &crl->crl.lastUpdate);
	if (crl->crl.nextUpdate.len > 0)
		(void)DER_DecodeTimeChoice(&out->next_update, &crl->crl.nextUpdate);

	issuer = CERT_FindCertByName(CERT_GetDefaultCertDB(), &crl->crl.derName);
	if (issuer == NULL) {
		out->problem = xasprintf("the CRL's issuer \"%s\" is not known here, "
		    "so its signature cannot be checked", out->issuer);
		goto out;
	}
	if (CERT_VerifySignedData(&crl->signatureWrap, issuer, when, pwarg) !=
	    SECSuccess) {
		out->problem = xstrdup("its signature does not verify against its issuer");
		goto out;
	}
	out->signature_ok = true;
	if (out->next_update != 0 && out->next_update < when)
		out->problem = xstrdup("it is stale (past its nextUpdate)");
	else if (out->this_update > when)
		out->problem = xstrdup("it was issued after the time verified at");
	for (size_t i = 0; i < n; i++) {
		if (!SECITEM_ItemsAreEqual(&chain[i]->derIssuer, &crl->crl.derName) ||
		    crl->crl.entries == NULL)
			continue;
		for (CERTCrlEntry **e = crl->crl.entries; *e != NULL; e++) {
			if (SECITEM_ItemsAreEqual(&(*e)->serialNumber,
			    &chain[i]->serialNumber)) {
				PRTime at = 0;

				(void)DER_DecodeTimeChoice(&at, &(*e)->revocationDate);
				/* Revoked later than the time verified at: not yet. */
				if (at > when)
					continue;
				out->revoked_cert = (int)i;
				out->revoked_at = at;
				goto out;
			}
		}
	}
out:
	if (issuer != NULL)
		CERT_DestroyCertificate(issuer);
	if (crl != NULL)
		SEC_DestroyCrl(crl);
	if (allocated)
		SECITEM_FreeItem(&der, PR_FALSE);
	free(buf);
	return rc;
}
