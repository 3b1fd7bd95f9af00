/*
 * certinfo: X.509 field extraction with NSS's own decoders (see certinfo.h).
 */
#include "certinfo.h"

#include <string.h>

#include <base64.h>
#include <keyhi.h>
#include <nssb64.h>
#include <pk11pub.h>
#include <prnetdb.h>
#include <secder.h>
#include <secoid.h>

#include "util.h"

static char *
name_to_string(CERTName *name)
{
	char *s = CERT_NameToAscii(name);
	char *copy;

	if (s == NULL)
		return xstrdup("(undecodable name)");
	copy = xstrdup(s);
	PORT_Free(s);
	return copy;
}

static char *
general_name_to_string(CERTGeneralName *g)
{
	char buf[64];

	switch (g->type) {
	case certDNSName:
		return xasprintf("DNS:%.*s", (int)g->name.other.len,
		    (const char *)g->name.other.data);
	case certRFC822Name:
		return xasprintf("email:%.*s", (int)g->name.other.len,
		    (const char *)g->name.other.data);
	case certURI:
		return xasprintf("URI:%.*s", (int)g->name.other.len,
		    (const char *)g->name.other.data);
	case certIPAddress: {
		PRNetAddr addr;

		memset(&addr, 0, sizeof(addr));
		if (g->name.other.len == 4) {
			addr.inet.family = PR_AF_INET;
			memcpy(&addr.inet.ip, g->name.other.data, 4);
		} else if (g->name.other.len == 16) {
			addr.ipv6.family = PR_AF_INET6;
			memcpy(&addr.ipv6.ip, g->name.other.data, 16);
		} else {
			return xstrdup("IP:(malformed)");
		}
		if (PR_NetAddrToString(&addr, buf, sizeof(buf)) != PR_SUCCESS)
			return xstrdup("IP:(malformed)");
		return xasprintf("IP:%s", buf);
	}
	case certDirectoryName: {
		char *dn = name_to_string(&g->name.directoryName);
		char *s = xasprintf("DirName:%s", dn);

		free(dn);
		return s;
	}
	default:
		return xstrdup("other:(not shown)");
	}
}

static void
read_sans(CERTCertificate *c, struct cert_info *out)
{
	SECItem ext = { siBuffer, NULL, 0 };
	PLArenaPool *arena = NULL;
	CERTGeneralName *head, *g;

	out->sans = xcalloc(1, sizeof(char *));
	if (CERT_FindCertExtension(c, SEC_OID_X509_SUBJECT_ALT_NAME, &ext) !=
	    SECSuccess)
		return;
	arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
	if (arena == NULL)
		goto out;
	head = CERT_DecodeAltNameExtension(arena, &ext);
	if (head == NULL)
		goto out;
	/* NSS keeps the names in a circular list. */
	g = head;
	do {
		out->sans = xrealloc(out->sans, (out->n_sans + 2) * sizeof(char *));
		out->sans[out->n_sans++] = general_name_to_string(g);
		out->sans[out->n_sans] = NULL;
		g = CERT_GetNextGeneralName(g);
	} while (g != NULL && g != head);
out:
	if (arena != NULL)
		PORT_FreeArena(arena, PR_FALSE);
	SECITEM_FreeItem(&ext, PR_FALSE);
}

static void
read_key(CERTCertificate *c, struct cert_info *out)
{
	SECKEYPublicKey *key = CERT_ExtractPublicKey(c);

	if (key == NULL) {
		out->key_type = xstrdup("unknown");
		return;
	}
	switch (SECKEY_GetPublicKeyType(key)) {
	case rsaKey: out->key_type = xstrdup("RSA"); break;
	case rsaPssKey: out->key_type = xstrdup("RSA-PSS"); break;
	case ecKey: out->key_type = xstrdup("EC"); break;
	case dsaKey: out->key_type = xstrdup("DSA"); break;
	case dhKey: out->key_type = xstrdup("DH"); break;
	default: out->key_type = xstrdup("other"); break;
	}
	out->key_bits = (int)SECKEY_PublicKeyStrengthInBits(key);
	if (SECKEY_GetPublicKeyType(key) == ecKey) {
		/* The curve is a DER OID: tag 0x06, length, then the OID. */
		SECItem *params = &key->u.ec.DEREncodedParams;

		if (params->len > 2 && params->data[0] == SEC_ASN1_OBJECT_ID) {
			SECItem oid = { siBuffer, params->data + 2, params->len - 2 };
			SECOidData *d = SECOID_FindOID(&oid);

			if (d != NULL)
				out->key_curve = xstrdup(d->desc);
		}
	}
	SECKEY_DestroyPublicKey(key);
}

int
cert_info_from_nss(CERTCertificate *c, struct cert_info *out)
{
	unsigned char digest[32];
	const char *desc;
	CERTBasicConstraints bc;
	SECItem ext = { siBuffer, NULL, 0 };
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->subject = name_to_string(&c->subject);
	out->issuer = name_to_string(&c->issuer);
	out->serial = xcalloc(c->serialNumber.len * 3 + 1, 1);
	util_hex(c->serialNumber.data, c->serialNumber.len, ':', out->serial);
	if (CERT_GetCertTimes(c, &out->not_before, &out->not_after) != SECSuccess)
		rc = -1;
	read_sans(c, out);
	read_key(c, out);
	desc = SECOID_FindOIDTagDescription(SECOID_GetAlgorithmTag(&c->signature));
	out->sig_alg = xstrdup(desc != NULL ? desc : "unknown");
	if (PK11_HashBuf(SEC_OID_SHA256, digest, c->derCert.data,
	    (PRInt32)c->derCert.len) == SECSuccess)
		util_hex(digest, sizeof(digest), '\0', out->sha256);
	/* CERT_FindBasicConstraintExten is declared but not exported by
	 * NSS 3.87: find and decode the extension ourselves. */
	if (CERT_FindCertExtension(c, SEC_OID_X509_BASIC_CONSTRAINTS, &ext) ==
	    SECSuccess) {
		if (CERT_DecodeBasicConstraintValue(&bc, &ext) == SECSuccess)
			out->is_ca = bc.isCA;
		SECITEM_FreeItem(&ext, PR_FALSE);
	}
	out->self_signed = SECITEM_ItemsAreEqual(&c->derSubject, &c->derIssuer);
	out->der = xmalloc(c->derCert.len);
	memcpy(out->der, c->derCert.data, c->derCert.len);
	out->der_len = c->derCert.len;
	return rc;
}

long
cert_days_left(PRTime t)
{
	PRTime diff = t - PR_Now();

	if (diff >= 0)
		return (long)(diff / (PR_USEC_PER_SEC * (PRTime)86400));
	return -(long)((-diff + PR_USEC_PER_SEC * (PRTime)86400 - 1) /
	    (PR_USEC_PER_SEC * (PRTime)86400));
}

int
cert_write_pem(FILE *f, const unsigned char *der, size_t len)
{
	SECItem item = { siBuffer, (unsigned char *)der, (unsigned)len };
	char *b64 = NSSBase64_EncodeItem(NULL, NULL, 0, &item);
	int rc = 0;

	if (b64 == NULL)
		return -1;
	/* NSS breaks lines with CRLF every 64 characters; PEM readers take
	 * either, but LF is what every other tool writes. */
	fputs("-----BEGIN CERTIFICATE-----\n", f);
	for (const char *p = b64; *p != '\0'; p++)
		if (*p != '\r')
			fputc(*p, f);
	fputs("\n-----END CERTIFICATE-----\n", f);
	if (ferror(f))
		rc = -1;
	PORT_Free(b64);
	return rc;
}
