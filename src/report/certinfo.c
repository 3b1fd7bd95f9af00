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
#include <secerr.h>
#include <secoid.h>

#include "der.h"
#include "pem.h"
#include "util.h"

static char *
name_to_string(CERTName *name)
{
	char *s = CERT_NameToAscii(name);
	char *copy;

	if (s == NULL)
		return xstrdup("(undecodable name)");
	/* Non-ASCII stays (UTF-8, or Latin-1 the JSON renderer reads as
	 * such); control bytes are escaped. */
	copy = util_escape(s, strlen(s), true);
	PORT_Free(s);
	return copy;
}

/* "DNS:", "email:", "URI:" + an IA5String, escaped whole: a NUL inside
 * ("good.example\0.evil.example") must show, not cut the name. */
static char *
ia5_name(const char *prefix, const SECItem *v)
{
	char *e = util_escape((const char *)v->data, v->len, false);
	char *s = xasprintf("%s%s", prefix, e);

	free(e);
	return s;
}

static char *
general_name_to_string(CERTGeneralName *g)
{
	char buf[64];

	switch (g->type) {
	case certDNSName:
		return ia5_name("DNS:", &g->name.other);
	case certRFC822Name:
		return ia5_name("email:", &g->name.other);
	case certURI:
		return ia5_name("URI:", &g->name.other);
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

static void
read_eku(CERTCertificate *c, struct cert_info *out)
{
	SECItem ext = { siBuffer, NULL, 0 };
	CERTOidSequence *seq;

	if (CERT_FindCertExtension(c, SEC_OID_X509_EXT_KEY_USAGE, &ext) != SECSuccess)
		return;
	out->has_eku = true;
	seq = CERT_DecodeOidSequence(&ext);
	if (seq != NULL) {
		for (SECItem **o = seq->oids; o != NULL && *o != NULL; o++) {
			switch (SECOID_FindOIDTag(*o)) {
			case SEC_OID_EXT_KEY_USAGE_SERVER_AUTH:
				out->eku_server_auth = true;
				break;
			case SEC_OID_EXT_KEY_USAGE_CLIENT_AUTH:
				out->eku_client_auth = true;
				break;
			case SEC_OID_X509_ANY_EXT_KEY_USAGE:
				out->eku_server_auth = out->eku_client_auth = true;
				break;
			default:
				break;
			}
		}
		CERT_DestroyOidSequence(seq);
	}
	SECITEM_FreeItem(&ext, PR_FALSE);
}

static void
read_aia(CERTCertificate *c, struct cert_info *out)
{
	SECItem ext = { siBuffer, NULL, 0 };
	PLArenaPool *arena;
	CERTAuthInfoAccess **aia;

	if (CERT_FindCertExtension(c, SEC_OID_X509_AUTH_INFO_ACCESS, &ext) !=
	    SECSuccess)
		return;
	arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
	aia = arena ? CERT_DecodeAuthInfoAccessExtension(arena, &ext) : NULL;
	for (; aia != NULL && *aia != NULL; aia++) {
		CERTGeneralName *loc = (*aia)->location;
		char **slot;

		if (loc == NULL || loc->type != certURI)
			continue;
		switch (SECOID_FindOIDTag(&(*aia)->method)) {
		case SEC_OID_PKIX_CA_ISSUERS: slot = &out->aia_ca_issuers; break;
		case SEC_OID_PKIX_OCSP: slot = &out->ocsp_url; break;
		default: continue;
		}
		/* Escaped: the URL is shown, and fetched only when it is a
		 * plain http:// URL (http.c). */
		if (*slot == NULL)
			*slot = util_escape((const char *)loc->name.other.data,
			    loc->name.other.len, false);
	}
	if (arena != NULL)
		PORT_FreeArena(arena, PR_FALSE);
	SECITEM_FreeItem(&ext, PR_FALSE);
}

/* TLS feature extension (RFC 7633, 1.3.6.1.5.5.7.1.24) listing
 * status_request (5): "must staple".  NSS has no tag for it. */
static bool
has_must_staple(CERTCertificate *c)
{
	static const unsigned char oid[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07,
	    0x01, 0x18 };

	if (c->extensions == NULL)
		return false;
	for (CERTCertExtension **e = c->extensions; *e != NULL; e++) {
		struct der in = { (*e)->value.data, (*e)->value.len }, seq, n;

		if ((*e)->id.len != sizeof(oid) || memcmp((*e)->id.data, oid, sizeof(oid)))
			continue;
		/* SEQUENCE OF INTEGER: look for status_request (5). */
		if (der_expect(&in, TAG_SEQUENCE, &seq) != 0)
			return false;
		while (der_expect(&seq, TAG_INTEGER, &n) == 0)
			if (n.len == 1 && n.p[0] == 5)
				return true;
	}
	return false;
}

static const char *
weak_hash(SECOidTag sig)
{
	switch (sig) {
	case SEC_OID_PKCS1_SHA1_WITH_RSA_ENCRYPTION:
	case SEC_OID_ANSIX962_ECDSA_SHA1_SIGNATURE:
	case SEC_OID_ANSIX9_DSA_SIGNATURE_WITH_SHA1_DIGEST:
	case SEC_OID_ISO_SHA1_WITH_RSA_SIGNATURE:
		return "SHA-1";
	case SEC_OID_PKCS1_MD5_WITH_RSA_ENCRYPTION:
		return "MD5";
	case SEC_OID_PKCS1_MD2_WITH_RSA_ENCRYPTION:
		return "MD2";
	case SEC_OID_PKCS1_MD4_WITH_RSA_ENCRYPTION:
		return "MD4";
	default:
		return NULL;
	}
}

/*
 * Self-signed means the signature verifies with the certificate's own key,
 * not just subject == issuer: a CA key rollover makes self-issued
 * certificates (the new key under the old name, signed by the old key)
 * that are no chain end.  Only a self-issued certificate pays for the
 * check.  A signature algorithm NSS's policy refuses (an MD5 root) cannot
 * be checked: such a certificate keeps the name test.
 */
static bool
is_self_signed(CERTCertificate *c)
{
	if (!SECITEM_ItemsAreEqual(&c->derSubject, &c->derIssuer))
		return false;
	if (CERT_VerifySignedDataWithPublicKeyInfo(&c->signatureWrap,
	    &c->subjectPublicKeyInfo, NULL) == SECSuccess)
		return true;
	return PR_GetError() == SEC_ERROR_CERT_SIGNATURE_ALGORITHM_DISABLED;
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
	out->path_len = -1;
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
	out->weak_hash = weak_hash(SECOID_GetAlgorithmTag(&c->signature));
	out->has_key_usage = c->keyUsagePresent;
	out->key_usage = c->rawKeyUsage;
	read_eku(c, out);
	read_aia(c, out);
	out->must_staple = has_must_staple(c);
	if (PK11_HashBuf(SEC_OID_SHA256, digest, c->derCert.data,
	    (PRInt32)c->derCert.len) == SECSuccess)
		util_hex(digest, sizeof(digest), '\0', out->sha256);
	/* CERT_FindBasicConstraintExten is declared but not exported by
	 * NSS 3.87: find and decode the extension ourselves. */
	if (CERT_FindCertExtension(c, SEC_OID_X509_BASIC_CONSTRAINTS, &ext) ==
	    SECSuccess) {
		if (CERT_DecodeBasicConstraintValue(&bc, &ext) == SECSuccess) {
			out->is_ca = bc.isCA;
			out->path_len = bc.isCA && bc.pathLenConstraint >= 0 ?
			    bc.pathLenConstraint : -1;
		}
		SECITEM_FreeItem(&ext, PR_FALSE);
	}
	out->self_signed = is_self_signed(c);
	out->der = xmalloc(c->derCert.len);
	memcpy(out->der, c->derCert.data, c->derCert.len);
	out->der_len = c->derCert.len;
	return rc;
}

SECItem *
cert_decode_ders(const unsigned char *buf, size_t len, size_t *n, int *bad)
{
	const char *cursor = (const char *)buf;   /* NUL-terminated */
	SECItem *ders = NULL;

	*n = 0;
	*bad = 0;
	/* Certificate blocks count; other blocks (keys, CRLs) are passed
	 * over.  A certificate block that cannot be read is counted bad: the
	 * callers take a file whole or not at all. */
	for (;;) {
		const char *before = cursor;
		struct pem_block b;
		int found = pem_next(&cursor, &b);

		if (found > 0 && pem_is_certificate(b.label)) {
			ders = xrealloc(ders, (*n + 1) * sizeof(*ders));
			ders[(*n)++] = b.der;
			b.der.data = NULL;
			b.der.len = 0;
		} else if (found < 0 && pem_is_certificate(b.label)) {
			(*bad)++;
		}
		pem_block_free(&b);
		if (found == 0)
			break;
		/* No END line: look for the next block after this BEGIN. */
		if (cursor == before)
			cursor = strstr(before, "-----BEGIN ") + 11;
	}
	if (*n == 0 && *bad == 0 && pem_looks_like_der(buf, len)) {
		ders = xcalloc(1, sizeof(*ders));
		if (SECITEM_AllocItem(NULL, &ders[0], (unsigned)len) != NULL) {
			memcpy(ders[0].data, buf, len);
			*n = 1;
		}
	}
	return ders;
}

void
cert_ders_free(SECItem *ders, size_t n)
{
	for (size_t i = 0; i < n; i++)
		SECITEM_FreeItem(&ders[i], PR_FALSE);
	free(ders);
}

size_t
cert_key_usage_names(unsigned ku, const char *names[8])
{
	static const char *const all[8] = { "digitalSignature", "nonRepudiation",
	    "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign",
	    "cRLSign", "encipherOnly" };
	size_t n = 0;

	/* NSS keeps the first octet of the BIT STRING: bit 0 is 0x80. */
	for (int i = 0; i < 8; i++)
		if (ku & (0x80u >> i))
			names[n++] = all[i];
	return n;
}

void
cert_format_time(PRTime t, bool clock, char *buf, size_t len)
{
	PRExplodedTime e;

	PR_ExplodeTime(t, PR_GMTParameters, &e);
	PR_FormatTime(buf, (int)len, clock ? "%Y-%m-%d %H:%M:%S UTC" : "%Y-%m-%d", &e);
}

long
cert_days_between(PRTime from, PRTime to)
{
	/* Truncated towards zero both ways: "expires in 3 days" and
	 * "expired 3 days ago" count the same way. */
	return (long)((to - from) / (PR_USEC_PER_SEC * (PRTime)86400));
}

long
cert_days_left(PRTime t)
{
	return cert_days_between(PR_Now(), t);
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
