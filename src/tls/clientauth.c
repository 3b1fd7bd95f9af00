/*
 * clientauth: client credentials and the client-auth hook (see
 * clientauth.h).
 *
 * Where the credential comes from decides how NSS gets to hold it:
 *
 *  - a nickname in --db: certificate and key already live in the
 *    database.  NSS finds the key through the certificate's CKA_ID and,
 *    when the database has a password, logs in through the password
 *    callback of nssinit.c (the pin argument is our nss_ctx).
 *  - PEM files: NSS has no PEM reader (the nss-pem module is not part of
 *    NSS), so we split the PEM ourselves.  Certificates become temporary
 *    certificates, the key a session object on the internal crypto slot:
 *    nothing is written anywhere, and no database is needed.
 *  - PKCS#12: NSS's decoder checks the file and lists its certificates;
 *    the key is imported from its bag as a session object, like a PEM
 *    key.  No database is involved and nothing touches the disk.
 *
 * Certificates from a credential (the CAs of a PKCS#12 file or of a
 * --cert-chain file included) are temporary certificates with no trust
 * change: they are only sent, never anchors, never distrusted.
 *
 * Every NSS object made here belongs to struct client_cred and is released
 * by clientauth_free(), so NSS_Shutdown can succeed.
 */
#include "clientauth.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cert.h>
#include <certdb.h>
#include <ciferfam.h>
#include <keyhi.h>
#include <nssb64.h>
#include <p12.h>
#include <p12plcy.h>
#include <pk11pub.h>
#include <secasn1.h>
#include <secerr.h>
#include <secoid.h>
#include <secpkcs7.h>
#include <ssl.h>

#include "pem.h"
#include "util.h"

struct client_cred {
	CERTCertificate *cert;   /* the certificate we present */
	SECKEYPrivateKey *key;   /* its private key */
	/* Intermediates from the PEM files or the PKCS#12 file.  They are
	 * only referenced, never used directly: when the hook returns the
	 * leaf, NSS builds the chain it sends (CERT_CertChainFromCert) from
	 * the certificates it can find, and a temporary certificate can only
	 * be found while someone holds a reference to it. */
	CERTCertList *extra;
	struct report *report;
	/* --db without --cert: the hook picks from the database, per
	 * connection, since the choice depends on the server's CA names. */
	bool from_db;
	const char *db;
	void *pin_arg;           /* our nss_ctx, for a protected database */
};


/* ------------------------------------------------------------------ */
/* Files and PEM                                                       */


static void
wipe_free(unsigned char *buf, size_t len)
{
	if (buf == NULL)
		return;
	memset(buf, 0, len);
	free(buf);
}

/* ------------------------------------------------------------------ */
/* Certificates                                                        */

/* Every certificate block of a PEM text into list, as temporary
 * certificates (in memory only, even on a database).  Returns how many,
 * or -1 after report_fail(). */
static int
add_pem_certs(const char *cursor, const char *path, const char *kind,
    CERTCertList *list, struct report *r)
{
	int n = 0, index = 0;

	for (;;) {
		struct pem_block b;
		CERTCertificate *c;
		int found = pem_next(&cursor, &b);

		if (found == 0)
			return n;
		if (found < 0) {
			report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
			    "%s %s: malformed PEM block%s%s", kind, path,
			    b.label ? " " : "", b.label ? b.label : "");
			pem_block_free(&b);
			return -1;
		}
		if (!pem_is_certificate(b.label)) {
			pem_block_free(&b);
			continue;
		}
		index++;
		c = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &b.der,
		    NULL, PR_FALSE, PR_TRUE);
		pem_block_free(&b);
		if (c == NULL) {
			report_fail(r, PHASE_SETUP, PR_GetError(),
			    NSSTLS_EXIT_SETUP, "%s %s: certificate %d cannot "
			    "be decoded", kind, path, index);
			return -1;
		}
		if (CERT_AddCertToListTail(list, c) != SECSuccess) {
			CERT_DestroyCertificate(c);
			report_fail(r, PHASE_SETUP, PR_GetError(),
			    NSSTLS_EXIT_SETUP, "cannot keep the certificates "
			    "of %s", path);
			return -1;
		}
		n++;
	}
}

/*
 * Import every certificate of a PEM file (or the one certificate of a DER
 * file) as a temporary certificate and append it to *list (created when
 * NULL), in file order.  kind names the option in messages.  Returns the
 * number of certificates added, or -1 after report_fail().
 */
static int
load_cert_file(const char *path, const char *kind, const char *option,
    long timeout_ms, CERTCertList **list, struct report *r)
{
	unsigned char *text;
	char *why;
	size_t len = 0;
	int n = 0, rc = -1;

	if (util_read_file(path, option, UTIL_LIMIT_CERTS, timeout_ms, &text,
	    &len, &why) != 0) {
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "cannot read %s %s: %s", kind, path, why);
		free(why);
		return -1;
	}
	if (*list == NULL)
		*list = CERT_NewCertList();
	if (*list == NULL) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "cannot allocate a certificate list");
		goto out;
	}
	if (pem_looks_like_der(text, len)) {
		SECItem der = { siBuffer, text, (unsigned)len };
		CERTCertificate *c = CERT_NewTempCertificate(
		    CERT_GetDefaultCertDB(), &der, NULL, PR_FALSE, PR_TRUE);

		if (c == NULL) {
			report_fail(r, PHASE_SETUP, PR_GetError(),
			    NSSTLS_EXIT_SETUP, "%s %s: the DER certificate "
			    "cannot be decoded", kind, path);
			goto out;
		}
		if (CERT_AddCertToListTail(*list, c) != SECSuccess) {
			CERT_DestroyCertificate(c);
			goto out;
		}
		rc = 1;
		goto out;
	}
	n = add_pem_certs((const char *)text, path, kind, *list, r);
	if (n < 0)
		goto out;
	if (n == 0) {
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "%s %s holds no certificate (expected a PEM "
		    "'BEGIN CERTIFICATE' block)", kind, path);
		goto out;
	}
	rc = n;
out:
	free(text);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Private keys                                                        */

/* The password for an encrypted file: --pass / --pass-file, else asked
 * on the terminal (and kept for later files), else NULL. */
static const char *
file_password(struct nss_ctx *nss, const char *path)
{
	char prompt[256];
	char *pw;

	if (nss->password != NULL)
		return nss->password;
	if (!isatty(STDIN_FILENO))
		return NULL;
	snprintf(prompt, sizeof(prompt), "Password for %s: ", path);
	pw = getpass(prompt);
	if (pw == NULL)
		return NULL;
	nss->password = xstrdup(pw);
	memset(pw, 0, strlen(pw));
	return nss->password;
}

/* The public value NSS wants next to an imported private key (the RSA
 * modulus or the EC point): NSS derives the key's CKA_ID from it, the
 * attribute that links a key to its certificate. */
static SECItem *
public_value(SECKEYPublicKey *pub)
{
	switch (pub->keyType) {
	case rsaKey:
	case rsaPssKey:
		return &pub->u.rsa.modulus;
	case ecKey:
		return &pub->u.ec.publicValue;
	default:
		return NULL;
	}
}

static const char *
key_type_name(KeyType t)
{
	switch (t) {
	case rsaKey: return "RSA";
	case rsaPssKey: return "RSA-PSS";
	case ecKey: return "EC";
	case dsaKey: return "DSA";
	default: return "unknown";
	}
}

/* The parts of the traditional (PKCS#1 / SEC 1) key structures we look at,
 * decoded with NSS's ASN.1 decoder. */
struct rsa_private_key {
	SECItem version;
	SECItem modulus;
};

static const SEC_ASN1Template rsa_private_key_template[] = {
	{ SEC_ASN1_SEQUENCE, 0, NULL, sizeof(struct rsa_private_key) },
	{ SEC_ASN1_INTEGER, offsetof(struct rsa_private_key, version),
	    NULL, 0 },
	{ SEC_ASN1_INTEGER, offsetof(struct rsa_private_key, modulus),
	    NULL, 0 },
	{ SEC_ASN1_SKIP_REST, 0, NULL, 0 },
	{ 0, 0, NULL, 0 }
};

struct ec_private_key {
	SECItem version;
	SECItem private_value;
	SECItem curve;           /* DER OID (tag and length included) */
};

static const SEC_ASN1Template ec_private_key_template[] = {
	{ SEC_ASN1_SEQUENCE, 0, NULL, sizeof(struct ec_private_key) },
	{ SEC_ASN1_INTEGER, offsetof(struct ec_private_key, version), NULL, 0 },
	{ SEC_ASN1_OCTET_STRING, offsetof(struct ec_private_key, private_value),
	    NULL, 0 },
	{ SEC_ASN1_OPTIONAL | SEC_ASN1_CONSTRUCTED | SEC_ASN1_EXPLICIT |
	    SEC_ASN1_CONTEXT_SPECIFIC | SEC_ASN1_XTRN | 0,
	    offsetof(struct ec_private_key, curve),
	    SEC_ASN1_SUB(SEC_AnyTemplate), 0 },
	{ SEC_ASN1_SKIP_REST, 0, NULL, 0 },
	{ 0, 0, NULL, 0 }
};

enum trad_kind { TRAD_RSA, TRAD_EC };

/*
 * Import a traditional key (the DER of an RSAPrivateKey or ECPrivateKey,
 * i.e. "BEGIN RSA/EC PRIVATE KEY").  NSS only imports PKCS#8, but a
 * PKCS#8 PrivateKeyInfo is just the algorithm identifier plus that same
 * DER as its privateKey field, so we fill a SECKEYPrivateKeyInfo and let
 * NSS's own ASN.1 code take it from there (PK11_ImportDERPrivateKeyInfo
 * does exactly this after decoding).  The EC curve comes from the key's
 * parameters, or from the certificate when the key omits them.
 * Returns the key, or NULL with the NSS error set (SEC_ERROR_BAD_DER when
 * der is not such a structure).
 */
static SECKEYPrivateKey *
import_traditional(PK11SlotInfo *slot, enum trad_kind kind, SECItem *der,
    SECKEYPublicKey *pub, void *pin_arg)
{
	PLArenaPool *arena;
	SECKEYPrivateKeyInfo pki;
	SECKEYPrivateKey *key = NULL;
	unsigned char version = 0;
	SECStatus rv;

	arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
	if (arena == NULL)
		return NULL;
	memset(&pki, 0, sizeof(pki));
	pki.version.type = siUnsignedInteger;
	pki.version.data = &version;
	pki.version.len = 1;
	if (kind == TRAD_RSA) {
		struct rsa_private_key rsa;

		memset(&rsa, 0, sizeof(rsa));
		if (SEC_QuickDERDecodeItem(arena, &rsa,
		    rsa_private_key_template, der) != SECSuccess)
			goto out;
		rv = SECOID_SetAlgorithmID(arena, &pki.algorithm,
		    SEC_OID_PKCS1_RSA_ENCRYPTION, NULL);
	} else {
		struct ec_private_key ec;
		SECItem *curve;

		memset(&ec, 0, sizeof(ec));
		if (SEC_QuickDERDecodeItem(arena, &ec, ec_private_key_template,
		    der) != SECSuccess)
			goto out;
		curve = ec.curve.len > 0 ? &ec.curve :
		    &pub->u.ec.DEREncodedParams;
		if (ec.curve.len == 0 && pub->keyType != ecKey) {
			PORT_SetError(SEC_ERROR_BAD_KEY);
			goto out;
		}
		rv = SECOID_SetAlgorithmID(arena, &pki.algorithm,
		    SEC_OID_ANSIX962_EC_PUBLIC_KEY, curve);
	}
	if (rv != SECSuccess)
		goto out;
	pki.privateKey = *der;
	if (PK11_ImportPrivateKeyInfoAndReturnKey(slot, &pki, NULL,
	    public_value(pub), PR_FALSE /* session object */,
	    PR_TRUE /* private, sensitive */, KU_ALL, &key, pin_arg) !=
	    SECSuccess)
		key = NULL;
out:
	PORT_FreeArena(arena, PR_TRUE);
	return key;
}

/* The PKCS#12 password-based schemes (and the PKCS#5 v1.5 ones NSS treats
 * alike) derive keys from a BMPString password; PBES2 uses the password's
 * bytes as they are.  The same split as NSS's p12 decoder. */
static bool
is_pkcs12_pbe(SECOidTag tag)
{
	switch (tag) {
	case SEC_OID_PKCS12_V2_PBE_WITH_SHA1_AND_3KEY_TRIPLE_DES_CBC:
	case SEC_OID_PKCS12_V2_PBE_WITH_SHA1_AND_2KEY_TRIPLE_DES_CBC:
	case SEC_OID_PKCS12_PBE_WITH_SHA1_AND_TRIPLE_DES_CBC:
	case SEC_OID_PKCS12_PBE_WITH_SHA1_AND_40_BIT_RC2_CBC:
	case SEC_OID_PKCS12_PBE_WITH_SHA1_AND_128_BIT_RC2_CBC:
	case SEC_OID_PKCS12_V2_PBE_WITH_SHA1_AND_128_BIT_RC2_CBC:
	case SEC_OID_PKCS12_V2_PBE_WITH_SHA1_AND_40_BIT_RC2_CBC:
	case SEC_OID_PKCS12_PBE_WITH_SHA1_AND_40_BIT_RC4:
	case SEC_OID_PKCS12_PBE_WITH_SHA1_AND_128_BIT_RC4:
	case SEC_OID_PKCS12_V2_PBE_WITH_SHA1_AND_128_BIT_RC4:
	case SEC_OID_PKCS12_V2_PBE_WITH_SHA1_AND_40_BIT_RC4:
	case SEC_OID_PKCS5_PBE_WITH_MD2_AND_DES_CBC:
	case SEC_OID_PKCS5_PBE_WITH_SHA1_AND_DES_CBC:
	case SEC_OID_PKCS5_PBE_WITH_MD5_AND_DES_CBC:
		return true;
	default:
		return false;
	}
}

/*
 * A UTF-8 password as the BMPString PKCS#12 wants: UCS-2 big-endian
 * (PORT_UCS2_UTF8Conversion writes network order) followed by two zero
 * bytes.  Free with SECITEM_ZfreeItem(out, PR_FALSE).  Returns 0, or -1
 * when pw is not valid UTF-8.
 */
static int
bmp_password(const char *pw, SECItem *out)
{
	unsigned int in_len = (unsigned int)strlen(pw), n = 0;
	unsigned int max = in_len * 2 + 2;

	if (SECITEM_AllocItem(NULL, out, max) == NULL)
		return -1;
	if (!PORT_UCS2_UTF8Conversion(PR_TRUE, (unsigned char *)pw, in_len,
	    out->data, max - 2, &n)) {
		SECITEM_ZfreeItem(out, PR_FALSE);
		return -1;
	}
	out->data[n] = out->data[n + 1] = 0;
	out->len = n + 2;
	return 0;
}

enum key_result {
	KEY_OK = 0,
	KEY_BAD_PASSWORD = -1,   /* decryption failed */
	KEY_ERROR = -2,          /* anything else; PR_GetError() says why */
};

/*
 * An encrypted PKCS#8 key ("BEGIN ENCRYPTED PRIVATE KEY"; openssl 3
 * writes PBES2 with PBKDF2 and AES-256-CBC).  NSS decrypts and imports in
 * one call, as the key type we name: we name the certificate's, and if
 * that fails try the others, so that a key of another type is reported as
 * a mismatch, not as a wrong password.
 */
static enum key_result
import_encrypted_pkcs8(PK11SlotInfo *slot, SECItem *der, const char *password,
    SECKEYPublicKey *pub, void *pin_arg, SECKEYPrivateKey **out,
    const char **why)
{
	static const KeyType types[] = { rsaKey, ecKey };
	PLArenaPool *arena;
	SECKEYEncryptedPrivateKeyInfo epki;
	SECItem pw = { siBuffer, NULL, 0 };
	PK11SymKey *sym;
	enum key_result res = KEY_ERROR;
	KeyType first = pub->keyType == ecKey ? ecKey : rsaKey;

	*out = NULL;
	arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
	if (arena == NULL)
		return KEY_ERROR;
	memset(&epki, 0, sizeof(epki));
	if (SEC_QuickDERDecodeItem(arena, &epki,
	    SEC_ASN1_GET(SECKEY_EncryptedPrivateKeyInfoTemplate), der) !=
	    SECSuccess)
		goto out;
	if (is_pkcs12_pbe(SECOID_GetAlgorithmTag(&epki.algorithm))) {
		if (bmp_password(password, &pw) != 0)
			goto out;
	} else {
		if (SECITEM_AllocItem(NULL, &pw,
		    (unsigned int)strlen(password) + 1) == NULL)
			goto out;
		pw.len = (unsigned int)strlen(password);
		memcpy(pw.data, password, pw.len);
	}
	/* Any password derives some key; failing to derive one means a
	 * scheme NSS does not know (openssl pkcs8 -scrypt, say), which
	 * must not be reported as a wrong password. */
	sym = PK11_PBEKeyGen(slot, &epki.algorithm, &pw, PR_FALSE, pin_arg);
	if (sym == NULL) {
		*why = "NSS does not support its encryption scheme "
		    "(PBES2 with PBKDF2 is supported)";
		goto out;
	}
	PK11_FreeSymKey(sym);
	res = KEY_BAD_PASSWORD;
	if (PK11_ImportEncryptedPrivateKeyInfoAndReturnKey(slot, &epki, &pw,
	    NULL, public_value(pub), PR_FALSE, PR_TRUE, first, KU_ALL, out,
	    pin_arg) == SECSuccess) {
		res = KEY_OK;
		goto out;
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (types[i] == first)
			continue;
		if (PK11_ImportEncryptedPrivateKeyInfoAndReturnKey(slot, &epki,
		    &pw, NULL, NULL, PR_FALSE, PR_TRUE, types[i], KU_ALL, out,
		    pin_arg) == SECSuccess) {
			res = KEY_OK;   /* the caller sees the types differ */
			break;
		}
	}
	if (res != KEY_OK)
		PORT_SetError(SEC_ERROR_BAD_PASSWORD);
out:
	if (pw.data != NULL)
		SECITEM_ZfreeItem(&pw, PR_FALSE);
	PORT_FreeArena(arena, PR_TRUE);
	return res;
}

/* The ciphers of traditional encrypted PEM ("DEK-Info: NAME,IV") that
 * OpenSSL writes. */
static const struct pem_cipher {
	const char *name;
	CK_MECHANISM_TYPE mech;  /* the _PAD variant: PEM uses PKCS#7 padding */
	unsigned int key_len;
	unsigned int iv_len;
} pem_ciphers[] = {
	{ "AES-128-CBC", CKM_AES_CBC_PAD, 16, 16 },
	{ "AES-192-CBC", CKM_AES_CBC_PAD, 24, 16 },
	{ "AES-256-CBC", CKM_AES_CBC_PAD, 32, 16 },
	{ "DES-EDE3-CBC", CKM_DES3_CBC_PAD, 24, 8 },
	{ "DES-CBC", CKM_DES_CBC_PAD, 8, 8 },
};

static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * OpenSSL's EVP_BytesToKey with MD5 and one iteration, which is how
 * traditional PEM encryption turns a password into a key: D1 = MD5(pw ||
 * salt), Di = MD5(Di-1 || pw || salt), key = D1 || D2 ...; the salt is
 * the first 8 bytes of the IV.  Hashing through PK11 keeps it in NSS.
 */
static int
bytes_to_key(const char *pw, const unsigned char *salt, unsigned char *key,
    unsigned int key_len)
{
	unsigned char d[16];
	unsigned int d_len = 0, have = 0;

	while (have < key_len) {
		PK11Context *md5 = PK11_CreateDigestContext(SEC_OID_MD5);
		unsigned int take;
		SECStatus rv;

		if (md5 == NULL)
			return -1;
		rv = PK11_DigestBegin(md5);
		if (rv == SECSuccess && d_len > 0)
			rv = PK11_DigestOp(md5, d, d_len);
		if (rv == SECSuccess)
			rv = PK11_DigestOp(md5, (const unsigned char *)pw,
			    (unsigned int)strlen(pw));
		if (rv == SECSuccess)
			rv = PK11_DigestOp(md5, salt, 8);
		if (rv == SECSuccess)
			rv = PK11_DigestFinal(md5, d, &d_len, sizeof(d));
		PK11_DestroyContext(md5, PR_TRUE);
		if (rv != SECSuccess || d_len != sizeof(d))
			return -1;
		take = key_len - have < d_len ? key_len - have : d_len;
		memcpy(key + have, d, take);
		have += take;
	}
	memset(d, 0, sizeof(d));
	return 0;
}

/*
 * Decrypt a traditional encrypted PEM body ("Proc-Type: 4,ENCRYPTED").
 * On success *plain holds the DER of the RSA/EC private key (free with
 * SECITEM_ZfreeItem(plain, PR_FALSE)).  A wrong password shows as bad
 * padding, or (1 time in 256) as a result that is not the key structure,
 * which the caller's decoding catches.  *why is set for KEY_ERROR.
 */
static enum key_result
decrypt_traditional(PK11SlotInfo *slot, const struct pem_block *b,
    const char *password, void *pin_arg, SECItem *plain, const char **why)
{
	const struct pem_cipher *c = NULL;
	unsigned char iv[16], key[32];
	SECItem key_item = { siBuffer, key, 0 };
	SECItem iv_item = { siBuffer, iv, 0 };
	PK11SymKey *sym = NULL;
	const char *hex;
	unsigned int n = 0, out_len = 0;
	enum key_result res = KEY_ERROR;

	plain->data = NULL;
	plain->len = 0;
	*why = "its DEK-Info header is missing or malformed";
	if (b->dek_info == NULL || (hex = strchr(b->dek_info, ',')) == NULL)
		return KEY_ERROR;
	for (size_t i = 0; i < sizeof(pem_ciphers) / sizeof(pem_ciphers[0]);
	    i++)
		if (strncasecmp(b->dek_info, pem_ciphers[i].name,
		    (size_t)(hex - b->dek_info)) == 0 &&
		    pem_ciphers[i].name[hex - b->dek_info] == '\0')
			c = &pem_ciphers[i];
	if (c == NULL) {
		*why = "its cipher is not supported "
		    "(use AES-*-CBC or DES-EDE3-CBC)";
		return KEY_ERROR;
	}
	for (hex++; hex[0] != '\0' && hex[1] != '\0' && n < sizeof(iv);
	    hex += 2) {
		int hi = hex_value(hex[0]), lo = hex_value(hex[1]);

		if (hi < 0 || lo < 0)
			return KEY_ERROR;
		iv[n++] = (unsigned char)(hi << 4 | lo);
	}
	if (n != c->iv_len || *hex != '\0')
		return KEY_ERROR;
	iv_item.len = n;
	*why = "NSS could not derive the decryption key";
	if (bytes_to_key(password, iv, key, c->key_len) != 0)
		goto out;
	key_item.len = c->key_len;
	sym = PK11_ImportSymKey(slot, c->mech, PK11_OriginUnwrap, CKA_DECRYPT,
	    &key_item, pin_arg);
	if (sym == NULL)
		goto out;
	if (SECITEM_AllocItem(NULL, plain, b->der.len) == NULL)
		goto out;
	if (PK11_Decrypt(sym, c->mech, &iv_item, plain->data, &out_len,
	    plain->len, b->der.data, b->der.len) != SECSuccess ||
	    out_len == 0) {
		SECITEM_ZfreeItem(plain, PR_FALSE);
		res = KEY_BAD_PASSWORD;
		goto out;
	}
	plain->len = out_len;
	res = KEY_OK;
out:
	if (sym != NULL)
		PK11_FreeSymKey(sym);
	memset(key, 0, sizeof(key));
	return res;
}

/* An RSA modulus without the leading zero bytes DER may add. */
static void
strip_zeros(SECItem *it)
{
	while (it->len > 1 && it->data[0] == 0) {
		it->data++;
		it->len--;
	}
}

/* Compare the modulus of an RSA private key object with the public key's. */
static int
modulus_matches(SECKEYPrivateKey *key, SECKEYPublicKey *pub)
{
	SECItem mod = { siBuffer, NULL, 0 };
	SECItem a, b = pub->u.rsa.modulus;
	int rc = -1;

	if (PK11_ReadRawAttribute(PK11_TypePrivKey, key, CKA_MODULUS, &mod) !=
	    SECSuccess)
		return -1;
	a = mod;
	strip_zeros(&a);
	strip_zeros(&b);
	if (SECITEM_ItemsAreEqual(&a, &b))
		rc = 0;
	SECITEM_FreeItem(&mod, PR_FALSE);
	return rc;
}

/*
 * Prove that key belongs to cert: sign a fixed digest with the key and
 * verify it with the certificate's public key.  The CKA_ID NSS gives an
 * imported key may come from the certificate's public value we pass
 * along, so finding the key "by certificate" proves nothing; a signature
 * does.  Returns 0 when they match.
 */
static int
key_matches_cert(SECKEYPrivateKey *key, SECKEYPublicKey *pub, void *pin_arg)
{
	unsigned char digest[32];
	SECItem data = { siBuffer, digest, sizeof(digest) };
	SECItem sig = { siBuffer, NULL, 0 };
	KeyType kt = SECKEY_GetPrivateKeyType(key);
	int len, rc = -1;

	/* An RSA-PSS certificate (id-RSASSA-PSS key) takes an ordinary RSA
	 * key, but PK11_Verify would want PSS parameters for it: compare the
	 * modulus instead. */
	if (kt == rsaKey && pub->keyType == rsaPssKey)
		return modulus_matches(key, pub);
	if (kt != pub->keyType)
		return -1;
	for (size_t i = 0; i < sizeof(digest); i++)
		digest[i] = (unsigned char)(0xa5 ^ i);
	len = PK11_SignatureLen(key);
	if (len <= 0 || SECITEM_AllocItem(NULL, &sig, (unsigned)len) == NULL)
		return -1;
	if (PK11_Sign(key, &sig, &data) == SECSuccess &&
	    PK11_Verify(pub, &sig, &data, pin_arg) == SECSuccess)
		rc = 0;
	SECITEM_FreeItem(&sig, PR_FALSE);
	return rc;
}

/* Does a PEM label name a private key? ("PRIVATE KEY", "RSA PRIVATE KEY",
 * "ENCRYPTED PRIVATE KEY", "OPENSSH PRIVATE KEY", ...) */
static bool
is_key_label(const char *label)
{
	size_t n = strlen(label);

	return n >= 11 && strcmp(label + n - 11, "PRIVATE KEY") == 0;
}

/*
 * Import the key of PEM block b (a "... PRIVATE KEY" block of path): plain
 * or encrypted PKCS#8, traditional RSA or EC, plain or encrypted.  Returns
 * the key, or NULL after report_fail().
 */
static SECKEYPrivateKey *
import_pem_key(PK11SlotInfo *slot, struct pem_block *b,
    const char *path, SECKEYPublicKey *pub, struct nss_ctx *nss,
    struct report *r)
{
	SECKEYPrivateKey *key = NULL;
	SECItem plain = { siBuffer, NULL, 0 };
	const char *password, *why = NULL;
	enum trad_kind kind = TRAD_RSA;
	enum key_result res;
	bool pkcs8 = false;

	if (strcmp(b->label, "PRIVATE KEY") == 0) {
		if (PK11_ImportDERPrivateKeyInfoAndReturnKey(slot,
		    &b->der, NULL, public_value(pub), PR_FALSE,
		    PR_TRUE, KU_ALL, &key, nss) != SECSuccess) {
			report_fail(r, PHASE_SETUP, PR_GetError(),
			    NSSTLS_EXIT_SETUP, "%s: the PKCS#8 private key "
			    "cannot be imported", path);
			return NULL;
		}
		return key;
	}
	if (strcmp(b->label, "ENCRYPTED PRIVATE KEY") == 0)
		pkcs8 = true;
	else if (strcmp(b->label, "EC PRIVATE KEY") == 0)
		kind = TRAD_EC;
	else if (strcmp(b->label, "RSA PRIVATE KEY") != 0) {
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "%s: unsupported key format 'BEGIN %s' (convert it with "
		    "openssl pkcs8 -topk8)", path, b->label);
		return NULL;
	}
	if (!pkcs8 && !b->encrypted) {
		key = import_traditional(slot, kind, &b->der, pub, nss);
		if (key == NULL)
			report_fail(r, PHASE_SETUP, PR_GetError(),
			    NSSTLS_EXIT_SETUP, "%s: the %s block cannot be "
			    "imported", path, b->label);
		return key;
	}

	password = file_password(nss, path);
	if (password == NULL) {
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "%s is encrypted and no password was given "
		    "(use --pass or --pass-file)", path);
		return NULL;
	}
	if (pkcs8) {
		res = import_encrypted_pkcs8(slot, &b->der, password,
		    pub, nss, &key, &why);
	} else {
		res = decrypt_traditional(slot, b, password, nss, &plain, &why);
		if (res == KEY_OK) {
			key = import_traditional(slot, kind, &plain, pub, nss);
			/* Valid padding but not a key structure: the
			 * password was wrong after all. */
			if (key == NULL)
				res = KEY_BAD_PASSWORD;
			SECITEM_ZfreeItem(&plain, PR_FALSE);
		}
	}
	if (res == KEY_BAD_PASSWORD)
		report_fail(r, PHASE_SETUP, SEC_ERROR_BAD_PASSWORD,
		    NSSTLS_EXIT_SETUP, "wrong password for %s", path);
	else if (res == KEY_ERROR)
		report_fail(r, PHASE_SETUP, why ? 0 : PR_GetError(),
		    NSSTLS_EXIT_SETUP, "%s: the encrypted key cannot be "
		    "read%s%s", path, why ? ": " : "", why ? why : "");
	return res == KEY_OK ? key : NULL;
}

/* A DER key file: PKCS#8 first, then the traditional forms. */
static SECKEYPrivateKey *
import_der_key(PK11SlotInfo *slot, unsigned char *data, size_t len,
    const char *path, SECKEYPublicKey *pub, struct nss_ctx *nss,
    struct report *r)
{
	SECItem der = { siBuffer, data, (unsigned int)len };
	SECKEYPrivateKey *key = NULL;

	if (PK11_ImportDERPrivateKeyInfoAndReturnKey(slot, &der, NULL,
	    public_value(pub), PR_FALSE, PR_TRUE, KU_ALL, &key, nss) ==
	    SECSuccess)
		return key;
	key = import_traditional(slot, pub->keyType == ecKey ? TRAD_EC :
	    TRAD_RSA, &der, pub, nss);
	if (key == NULL)
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "%s: not a private key NSS can read (unencrypted DER "
		    "PKCS#8, RSA or EC expected)", path);
	return key;
}

/* The private key of a key file's text: DER, or the first PEM key block.
 * Returns it, or NULL after report_fail(). */
static SECKEYPrivateKey *
import_key_text(PK11SlotInfo *slot, unsigned char *text, size_t len,
    const char *key_path, SECKEYPublicKey *pub, struct nss_ctx *nss,
    struct report *r)
{
	SECKEYPrivateKey *key = NULL;
	const char *cursor = (const char *)text;
	struct pem_block b;
	int found;

	if (pem_looks_like_der(text, len))
		return import_der_key(slot, text, len, key_path, pub, nss, r);
	memset(&b, 0, sizeof(b));
	while ((found = pem_next(&cursor, &b)) > 0 && !is_key_label(b.label))
		pem_block_free(&b);
	if (found < 0)
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "%s: malformed PEM block%s%s", key_path,
		    b.label ? " " : "", b.label ? b.label : "");
	else if (found == 0)
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "%s holds no private key (expected a PEM "
		    "'BEGIN PRIVATE KEY' block)", key_path);
	else
		key = import_pem_key(slot, &b, key_path, pub, nss, r);
	pem_block_free(&b);
	return key;
}

/* Say how a key and a certificate fail to match: other key types, or the
 * same type with another key. */
static void
report_mismatch(SECKEYPrivateKey *key, SECKEYPublicKey *pub,
    const char *key_path, const char *cert_path, struct report *r)
{
	KeyType kt = SECKEY_GetPrivateKeyType(key);

	if (kt != pub->keyType && !(kt == rsaKey && pub->keyType == rsaPssKey))
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "the key in %s does not match the certificate in "
		    "%s (%s key, %s certificate)", key_path, cert_path,
		    key_type_name(kt), key_type_name(pub->keyType));
	else
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "the key in %s does not match the certificate in "
		    "%s", key_path, cert_path);
}

/*
 * Load the private key of key_path for cert, as a session object on the
 * internal slot, and check that it is cert's.  Returns 0 with *out set,
 * or -1 after report_fail().
 */
static int
load_key_file(const char *key_path, const char *cert_path,
    CERTCertificate *cert, struct nss_ctx *nss, struct report *r,
    SECKEYPrivateKey **out)
{
	PK11SlotInfo *slot = NULL;
	SECKEYPublicKey *pub = NULL;
	SECKEYPrivateKey *key = NULL;
	unsigned char *text;
	bool own_file = strcmp(key_path, cert_path) != 0;
	char *why;
	size_t len = 0;
	int rc = -1;

	/* A key alone is small; a --cert file that holds the key too may
	 * hold a chain, and gets the certificates' limit. */
	if (util_read_file(key_path, own_file ? "--key" : "--cert",
	    own_file ? UTIL_LIMIT_SECRET : UTIL_LIMIT_CERTS, nss->read_timeout_ms,
	    &text, &len, &why) != 0) {
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "cannot read key file %s: %s", key_path, why);
		free(why);
		return -1;
	}
	pub = CERT_ExtractPublicKey(cert);
	if (pub == NULL || public_value(pub) == NULL) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "the certificate in %s has a %s key, which nsstls cannot "
		    "use for client authentication", cert_path,
		    pub ? key_type_name(pub->keyType) : "unreadable");
		goto out;
	}
	/* The internal crypto slot holds session objects without a login,
	 * whatever database (if any) NSS was opened on. */
	slot = PK11_GetInternalSlot();
	if (slot == NULL) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "NSS has no internal slot for the key");
		goto out;
	}

	key = import_key_text(slot, text, len, key_path, pub, nss, r);
	if (key == NULL)
		goto out;
	if (key_matches_cert(key, pub, nss) != 0) {
		report_mismatch(key, pub, key_path, cert_path, r);
		goto out;
	}
	*out = key;
	key = NULL;
	rc = 0;
out:
	if (key != NULL)
		SECKEY_DestroyPrivateKey(key);
	if (slot != NULL)
		PK11_FreeSlot(slot);
	if (pub != NULL)
		SECKEY_DestroyPublicKey(pub);
	wipe_free(text, len);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The three sources                                                   */

/* --cert FILE --key FILE: the first certificate of the file is ours, the
 * others (intermediates) are kept for the chain NSS sends. */
static int
load_pem(const char *cert_path, const char *key_path, struct nss_ctx *nss,
    struct report *r, struct client_cred *cred)
{
	CERTCertListNode *head;

	if (load_cert_file(cert_path, "certificate file", "--cert",
	    nss->read_timeout_ms, &cred->extra, r) < 0)
		return -1;
	head = CERT_LIST_HEAD(cred->extra);
	cred->cert = CERT_DupCertificate(head->cert);
	return load_key_file(key_path, cert_path, cred->cert, nss, r,
	    &cred->key);
}

/* "a, b, c": the nicknames of the certificates with a private key. */
static char *
user_nicknames(struct nss_ctx *nss)
{
	CERTCertList *list = PK11_ListCerts(PK11CertListUser, nss);
	char *s = NULL;

	if (list == NULL)
		return NULL;
	for (CERTCertListNode *n = CERT_LIST_HEAD(list);
	    !CERT_LIST_END(n, list); n = CERT_LIST_NEXT(n)) {
		const char *nick = n->cert->nickname;
		char *t;

		if (nick == NULL)
			continue;
		t = s ? xasprintf("%s, %s", s, nick) : xstrdup(nick);
		free(s);
		s = t;
	}
	CERT_DestroyCertList(list);
	return s;
}

/* --db DIR --cert NICKNAME. */
static int
load_nickname(const struct nsstls_opts *o, struct nss_ctx *nss,
    struct report *r, struct client_cred *cred)
{
	CERTCertificate *cert;

	/* Prefers a certificate valid for client authentication when several
	 * share the nickname; validOnly=false still finds an expired one,
	 * which the server should be the one to reject. */
	cert = CERT_FindUserCertByUsage(CERT_GetDefaultCertDB(), o->cert,
	    certUsageSSLClient, PR_FALSE, nss);
	if (cert == NULL)
		cert = PK11_FindCertFromNickname(o->cert, nss);
	if (cert == NULL) {
		char *names = user_nicknames(nss);

		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "no certificate with nickname '%s' in NSS database %s "
		    "(%s%s)%s", o->cert, o->db,
		    names ? "certificates with a key: " :
		    "it holds no certificate with a private key",
		    names ? names : "", access(o->cert, R_OK) == 0 ?
		    "; to use the file of that name, give its --key" : "");
		free(names);
		return -1;
	}
	cred->cert = cert;
	cred->key = PK11_FindKeyByAnyCert(cert, nss);
	if (cred->key == NULL) {
		PK11SlotInfo *slot = cert->slot;

		if (slot != NULL && PK11_NeedLogin(slot) &&
		    !PK11_IsLoggedIn(slot, nss))
			report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
			    "the key of '%s' is in the password-protected NSS "
			    "database %s: give its password with --pass or "
			    "--pass-file", o->cert, o->db);
		else
			report_fail(r, PHASE_SETUP, PR_GetError(),
			    NSSTLS_EXIT_SETUP, "NSS database %s has no private "
			    "key for the certificate '%s'", o->db, o->cert);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* PKCS#12                                                             */

/*
 * NSS's PKCS#12 decoder checks the password and the MAC and lists the
 * certificates, but it imports a key only as a permanent token object
 * (which needs a writable database: the key would be written to disk),
 * and its iterator shows certificate bags, never key bags.  So the
 * decoder checks the file and hands us the certificates, and we reach the
 * key bags with NSS's ASN.1 and PKCS#7 decoders and import the key as a
 * session object, like a PEM key.  Nothing is written anywhere, and no
 * certificate of the file is given trust or distrust: a CA in it is only
 * something to send (DESIGN.md, "credentials never change trust").
 */

/* Allow every cipher a PKCS#12 file may be encrypted with (decryption
 * only matters here; openssl 3 uses AES-256-CBC, older files 3DES and
 * RC2-40). */
static void
p12_enable_ciphers(void)
{
	static const long ciphers[] = {
		PKCS12_AES_CBC_128, PKCS12_AES_CBC_192, PKCS12_AES_CBC_256,
		PKCS12_DES_EDE3_168, PKCS12_DES_56, PKCS12_RC2_CBC_40,
		PKCS12_RC2_CBC_128, PKCS12_RC4_40, PKCS12_RC4_128,
	};

	for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
		(void)SEC_PKCS12EnableCipher(ciphers[i], 1);
}

/*
 * Decode and check one PKCS#12 blob with password pw.  Returns the decoder
 * context (verified: MAC and encryption agree with the password), or NULL
 * with the NSS error set.  Nothing is imported: the context is only read.
 */
static SEC_PKCS12DecoderContext *
p12_decode(PK11SlotInfo *slot, SECItem *pw, unsigned char *data, size_t len,
    void *pin_arg)
{
	SEC_PKCS12DecoderContext *dcx;

	dcx = SEC_PKCS12DecoderStart(pw, slot, pin_arg, NULL, NULL, NULL, NULL,
	    NULL);
	if (dcx == NULL)
		return NULL;
	if (SEC_PKCS12DecoderUpdate(dcx, data, (unsigned long)len) !=
	    SECSuccess || SEC_PKCS12DecoderVerify(dcx) != SECSuccess) {
		PRErrorCode err = PR_GetError();

		SEC_PKCS12DecoderFinish(dcx);
		PORT_SetError(err);
		return NULL;
	}
	return dcx;
}

/*
 * The certificates of the file, from the decoder's iterator, as temporary
 * certificates in cred->extra (in memory only, no trust change); ours is
 * the one the decoder pairs with a key bag (hasKey: same localKeyID or
 * friendly name).  Returns 0, or -1 with the NSS error set.
 */
static int
p12_certs(SEC_PKCS12DecoderContext *dcx, struct client_cred *cred)
{
	const SEC_PKCS12DecoderItem *item;

	cred->extra = CERT_NewCertList();
	if (cred->extra == NULL || SEC_PKCS12DecoderIterateInit(dcx) !=
	    SECSuccess)
		return -1;
	/* IterateNext fails at the end of the list (with error 0). */
	while (SEC_PKCS12DecoderIterateNext(dcx, &item) == SECSuccess) {
		CERTCertificate *c;

		if (item->type != SEC_OID_PKCS12_V1_CERT_BAG_ID ||
		    item->der == NULL)
			continue;
		c = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), item->der,
		    NULL, PR_FALSE, PR_TRUE);
		if (c == NULL)
			return -1;
		if (item->hasKey && cred->cert == NULL)
			cred->cert = CERT_DupCertificate(c);
		if (CERT_AddCertToListTail(cred->extra, c) != SECSuccess) {
			CERT_DestroyCertificate(c);
			return -1;
		}
	}
	return 0;
}

/* PFX ::= SEQUENCE { version, authSafe ContentInfo, macData OPTIONAL }
 * (RFC 7292); the MAC was checked by the decoder. */
struct p12_pfx {
	SECItem version;
	SECItem auth_safe;       /* a PKCS#7 ContentInfo, as DER */
};

static const SEC_ASN1Template p12_pfx_template[] = {
	{ SEC_ASN1_SEQUENCE, 0, NULL, sizeof(struct p12_pfx) },
	{ SEC_ASN1_INTEGER, offsetof(struct p12_pfx, version), NULL, 0 },
	{ SEC_ASN1_ANY, offsetof(struct p12_pfx, auth_safe), NULL, 0 },
	{ SEC_ASN1_SKIP_REST, 0, NULL, 0 },
	{ 0, 0, NULL, 0 }
};

/* SafeBag ::= SEQUENCE { bagId, bagValue [0] EXPLICIT, bagAttributes } */
struct p12_bag {
	SECItem id;
	SECItem value;
	SECItem **attributes;
};

static const SEC_ASN1Template p12_bag_template[] = {
	{ SEC_ASN1_SEQUENCE, 0, NULL, sizeof(struct p12_bag) },
	{ SEC_ASN1_OBJECT_ID, offsetof(struct p12_bag, id), NULL, 0 },
	{ SEC_ASN1_CONSTRUCTED | SEC_ASN1_EXPLICIT | SEC_ASN1_CONTEXT_SPECIFIC |
	    SEC_ASN1_XTRN | 0, offsetof(struct p12_bag, value),
	    SEC_ASN1_SUB(SEC_AnyTemplate), 0 },
	{ SEC_ASN1_OPTIONAL | SEC_ASN1_SET_OF | SEC_ASN1_XTRN,
	    offsetof(struct p12_bag, attributes),
	    SEC_ASN1_SUB(SEC_AnyTemplate), 0 },
	{ 0, 0, NULL, 0 }
};

/* The search for the key of our certificate among the key bags. */
struct p12_keys {
	PK11SlotInfo *slot;
	SECItem *bmp_pw;         /* the password as the decoder took it */
	SECItem utf8_pw;         /* the password's own bytes */
	SECKEYPublicKey *pub;    /* our certificate's public key */
	void *pin_arg;
	SECKEYPrivateKey *key;   /* its private key, once found */
	int seen;                /* key bags seen */
	bool mismatch;           /* a key bag held another key */
	PRErrorCode error;       /* why the last import failed */
	bool decrypt;            /* decrypt encrypted safes in this pass */
	bool refused;            /* a safe was left for the decrypting pass */
};

/* The PKCS#12 schemes take the password as a BMPString, PBES2 takes its
 * bytes (NSS's decoder makes the same split). */
static SECItem *
p12_password_for(struct p12_keys *k, SECAlgorithmID *alg)
{
	return is_pkcs12_pbe(SECOID_GetAlgorithmTag(alg)) ? k->bmp_pw :
	    &k->utf8_pw;
}

/* NSS's PKCS#7 decoder asks for the key of an encrypted safe.  It derives
 * the IV of the PKCS#12 schemes from the password, which it reads from
 * the key's user data (where NSS's PKCS#12 decoder puts it too). */
static PK11SymKey *
p12_decrypt_key(void *arg, SECAlgorithmID *alg)
{
	struct p12_keys *k = arg;
	SECItem *pw = p12_password_for(k, alg);
	PK11SymKey *sym;

	if (!k->decrypt) {
		k->refused = true;
		PORT_SetError(SEC_ERROR_NO_KEY);
		return NULL;
	}
	sym = PK11_PBEKeyGen(k->slot, alg, pw, PR_FALSE, k->pin_arg);
	if (sym != NULL)
		PK11_SetSymKeyUserData(sym, pw, NULL);
	return sym;
}

static PRBool
p12_decrypt_allowed(SECAlgorithmID *alg, PK11SymKey *key)
{
	(void)alg;
	(void)key;
	return PR_TRUE;
}

/*
 * Import the key of one keyBag or pkcs8ShroudedKeyBag as a session object
 * (isPerm false) on the internal slot, and keep it when it is our
 * certificate's: a signature proves it, as for PEM keys.
 */
static void
p12_key_bag(struct p12_keys *k, SECOidTag type, SECItem *value)
{
	PLArenaPool *arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
	SECKEYEncryptedPrivateKeyInfo epki;
	SECKEYPrivateKeyInfo pki;
	SECKEYPrivateKey *key = NULL;
	SECStatus rv = SECFailure;

	if (arena == NULL)
		return;
	k->seen++;
	memset(&epki, 0, sizeof(epki));
	memset(&pki, 0, sizeof(pki));
	if (type == SEC_OID_PKCS12_V1_PKCS8_SHROUDED_KEY_BAG_ID) {
		if (SEC_ASN1DecodeItem(arena, &epki,
		    SEC_ASN1_GET(SECKEY_EncryptedPrivateKeyInfoTemplate),
		    value) == SECSuccess)
			rv = PK11_ImportEncryptedPrivateKeyInfoAndReturnKey(
			    k->slot, &epki, p12_password_for(k, &epki.algorithm),
			    NULL, public_value(k->pub), PR_FALSE /* session */,
			    PR_TRUE, k->pub->keyType == ecKey ? ecKey : rsaKey,
			    KU_ALL, &key, k->pin_arg);
	} else if (SEC_ASN1DecodeItem(arena, &pki,
	    SEC_ASN1_GET(SECKEY_PrivateKeyInfoTemplate), value) == SECSuccess) {
		rv = PK11_ImportPrivateKeyInfoAndReturnKey(k->slot, &pki, NULL,
		    public_value(k->pub), PR_FALSE /* session */, PR_TRUE,
		    KU_ALL, &key, k->pin_arg);
	}
	if (rv != SECSuccess) {
		k->error = PR_GetError();
	} else if (key_matches_cert(key, k->pub, k->pin_arg) != 0) {
		k->mismatch = true;
		SECKEY_DestroyPrivateKey(key);
	} else {
		k->key = key;
	}
	PORT_FreeArena(arena, PR_TRUE);     /* zeroed: it held the key */
}

/* Walk one SafeContents (SEQUENCE OF SafeBag) to its key bags; a
 * safeContentsBag nests another (bounded). */
static void
p12_bags(struct p12_keys *k, SECItem *contents, int depth)
{
	PLArenaPool *arena;
	SECItem **bags = NULL;

	if (depth > 3 || (arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE)) == NULL)
		return;
	if (SEC_ASN1DecodeItem(arena, &bags,
	    SEC_ASN1_GET(SEC_SequenceOfAnyTemplate), contents) != SECSuccess)
		bags = NULL;
	for (size_t i = 0; bags != NULL && bags[i] != NULL && k->key == NULL;
	    i++) {
		struct p12_bag bag;
		SECOidTag type;

		memset(&bag, 0, sizeof(bag));
		if (SEC_ASN1DecodeItem(arena, &bag, p12_bag_template, bags[i]) !=
		    SECSuccess)
			continue;
		type = SECOID_FindOIDTag(&bag.id);
		if (type == SEC_OID_PKCS12_V1_KEY_BAG_ID ||
		    type == SEC_OID_PKCS12_V1_PKCS8_SHROUDED_KEY_BAG_ID)
			p12_key_bag(k, type, &bag.value);
		else if (type == SEC_OID_PKCS12_V1_SAFE_CONTENTS_BAG_ID)
			p12_bags(k, &bag.value, depth + 1);
	}
	PORT_FreeArena(arena, PR_TRUE);
}

/* The content of one safe, as NSS's PKCS#7 decoder hands it over (it
 * keeps decrypted content only through a callback).  The plaintext is no
 * longer than the safe, so the buffer never grows. */
struct p12_safe {
	unsigned char *data;
	size_t len, cap;
	bool overflow;
};

static void
p12_safe_content(void *arg, const char *buf, unsigned long len)
{
	struct p12_safe *s = arg;

	if (len > s->cap - s->len) {
		s->overflow = true;
		return;
	}
	memcpy(s->data + s->len, buf, len);
	s->len += len;
}

/* One safe of the authenticated safe: PKCS#7 data, or encryptedData that
 * NSS's PKCS#7 decoder decrypts with the key p12_decrypt_key makes (when
 * decrypt is set).  Returns false when the safe is left for decryption. */
static bool
p12_safe(struct p12_keys *k, SECItem *der, bool decrypt)
{
	struct p12_safe s = { xmalloc(der->len + 1), 0, der->len, false };
	SEC_PKCS7ContentInfo *cinfo;

	k->decrypt = decrypt;
	k->refused = false;
	cinfo = SEC_PKCS7DecodeItem(der, p12_safe_content, &s, NULL, NULL,
	    p12_decrypt_key, k, p12_decrypt_allowed);
	if (cinfo != NULL && !s.overflow && s.len > 0) {
		SECItem bags = { siBuffer, s.data, (unsigned int)s.len };

		p12_bags(k, &bags, 0);
	}
	if (cinfo != NULL)
		SEC_PKCS7DestroyContentInfo(cinfo);
	wipe_free(s.data, s.cap + 1);
	return !k->refused;
}

/* Walk every safe of the file's authenticated safe to the key bags: the
 * plain ones first (keys usually sit in a plain safe, shrouded), then the
 * encrypted ones, which the decoder has already decrypted once and whose
 * key derivation may be slow (pk12util: 600000 PBKDF2 iterations). */
static void
p12_find_key(struct p12_keys *k, unsigned char *data, size_t len)
{
	SECItem der = { siBuffer, data, (unsigned int)len };
	SEC_PKCS7ContentInfo *outer = NULL;
	PLArenaPool *arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
	struct p12_pfx pfx;
	SECItem **safes = NULL, *content;
	bool *later = NULL;
	size_t n = 0;

	if (arena == NULL)
		return;
	memset(&pfx, 0, sizeof(pfx));
	if (SEC_ASN1DecodeItem(arena, &pfx, p12_pfx_template, &der) !=
	    SECSuccess)
		goto out;
	/* Plain data: without a callback the decoder keeps it. */
	outer = SEC_PKCS7DecodeItem(&pfx.auth_safe, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL);
	if (outer == NULL || SEC_PKCS7ContentType(outer) != SEC_OID_PKCS7_DATA ||
	    (content = SEC_PKCS7GetContent(outer)) == NULL ||
	    SEC_ASN1DecodeItem(arena, &safes,
	    SEC_ASN1_GET(SEC_SequenceOfAnyTemplate), content) != SECSuccess)
		goto out;
	while (safes[n] != NULL)
		n++;
	later = xcalloc(n + 1, sizeof(*later));
	for (size_t i = 0; i < n && k->key == NULL; i++)
		later[i] = !p12_safe(k, safes[i], false);
	for (size_t i = 0; i < n && k->key == NULL; i++)
		if (later[i])
			(void)p12_safe(k, safes[i], true);
out:
	free(later);
	if (outer != NULL)
		SEC_PKCS7DestroyContentInfo(outer);
	PORT_FreeArena(arena, PR_TRUE);
}

/*
 * The private key of cred->cert from the key bags of the file data, as a
 * session object; bmp_pw is the password the decoder accepted.  Returns 0,
 * or -1 after report_fail().
 */
static int
p12_load_key(const char *path, unsigned char *data, size_t len,
    PK11SlotInfo *slot, SECItem *bmp_pw, const char *password,
    struct nss_ctx *nss, struct report *r, struct client_cred *cred)
{
	struct p12_keys k;

	memset(&k, 0, sizeof(k));
	k.slot = slot;
	k.bmp_pw = bmp_pw;
	k.utf8_pw.data = (unsigned char *)(password ? password : "");
	k.utf8_pw.len = (unsigned int)strlen((const char *)k.utf8_pw.data);
	k.pin_arg = nss;
	k.pub = CERT_ExtractPublicKey(cred->cert);
	if (k.pub == NULL || public_value(k.pub) == NULL) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "the certificate in %s has a %s key, which nsstls cannot "
		    "use for client authentication", path,
		    k.pub ? key_type_name(k.pub->keyType) : "unreadable");
		if (k.pub != NULL)
			SECKEY_DestroyPublicKey(k.pub);
		return -1;
	}
	p12_find_key(&k, data, len);
	SECKEY_DestroyPublicKey(k.pub);
	if (k.key != NULL) {
		cred->key = k.key;
		return 0;
	}
	if (k.mismatch)
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "the private key in PKCS#12 file %s does not match its "
		    "certificate", path);
	else if (k.seen == 0)
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "PKCS#12 file %s holds no private key", path);
	else
		report_fail(r, PHASE_SETUP, k.error, NSSTLS_EXIT_SETUP,
		    "the private key in PKCS#12 file %s cannot be imported",
		    path);
	return -1;
}

/* --pkcs12 FILE: checked by NSS's decoder, certificates as temporary
 * certificates, the key as a session object on the internal slot. */
static int
load_pkcs12(const char *path, struct nss_ctx *nss, struct report *r,
    struct client_cred *cred)
{
	SEC_PKCS12DecoderContext *dcx = NULL;
	PK11SlotInfo *slot = NULL;
	SECItem pw = { siBuffer, NULL, 0 };
	unsigned char *data;
	const char *password;
	char *why;
	size_t len = 0;
	int rc = -1;

	if (util_read_file(path, "--pkcs12", UTIL_LIMIT_SECRET,
	    nss->read_timeout_ms, &data, &len, &why) != 0) {
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "cannot read PKCS#12 file %s: %s", path, why);
		free(why);
		return -1;
	}
	p12_enable_ciphers();
	/* The internal crypto slot holds session objects without a login,
	 * whatever database (if any) NSS was opened on. */
	slot = PK11_GetInternalSlot();
	if (slot == NULL) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "NSS has no internal slot to import %s into", path);
		goto out;
	}
	password = file_password(nss, path);
	if (bmp_password(password ? password : "", &pw) != 0) {
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "the password for %s is not valid UTF-8", path);
		goto out;
	}
	dcx = p12_decode(slot, &pw, data, len, nss);
	if (dcx == NULL && pw.len == 2) {
		/* An empty password is written either as an empty BMPString
		 * (two zero bytes) or as no bytes at all: try both, as
		 * pk12util does (and keep the one that worked). */
		pw.len = 0;
		dcx = p12_decode(slot, &pw, data, len, nss);
	}
	if (dcx == NULL) {
		PRErrorCode err = PR_GetError();

		if (err == SEC_ERROR_BAD_PASSWORD)
			report_fail(r, PHASE_SETUP, err, NSSTLS_EXIT_SETUP,
			    "wrong password for %s%s", path, password ? "" :
			    " (no password was given: use --pass or "
			    "--pass-file)");
		else
			report_fail(r, PHASE_SETUP, err, NSSTLS_EXIT_SETUP,
			    "cannot decode PKCS#12 file %s", path);
		goto out;
	}
	if (p12_certs(dcx, cred) != 0) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "cannot read the certificates of PKCS#12 file %s", path);
		goto out;
	}
	if (cred->cert == NULL) {
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "PKCS#12 file %s holds no certificate with its private key",
		    path);
		goto out;
	}
	rc = p12_load_key(path, data, len, slot, &pw, password, nss, r, cred);
out:
	if (dcx != NULL)
		SEC_PKCS12DecoderFinish(dcx);
	if (pw.data != NULL)
		SECITEM_ZfreeItem(&pw, PR_FALSE);
	if (slot != NULL)
		PK11_FreeSlot(slot);
	wipe_free(data, len);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The hook                                                            */

static void
record_ca_names(struct report *r, CERTDistNames *names)
{
	struct client_auth_info *ca = &r->client_auth;

	util_list_free(ca->ca_names);
	ca->ca_names = xcalloc(1, sizeof(char *));
	ca->n_ca_names = 0;
	if (names == NULL)
		return;
	for (int i = 0; i < names->nnames; i++) {
		PLArenaPool *arena = PORT_NewArena(512);
		CERTName name;
		char *ascii = NULL;

		if (arena == NULL)
			continue;
		memset(&name, 0, sizeof(name));
		/* The names are DER; decode each into a CERTName to print
		 * it. */
		if (SEC_QuickDERDecodeItem(arena, &name,
		    SEC_ASN1_GET(CERT_NameTemplate), &names->names[i]) ==
		    SECSuccess)
			ascii = CERT_NameToAscii(&name);
		ca->ca_names = xrealloc(ca->ca_names,
		    (ca->n_ca_names + 2) * sizeof(char *));
		ca->ca_names[ca->n_ca_names++] =
		    xstrdup(ascii ? ascii : "(undecodable name)");
		ca->ca_names[ca->n_ca_names] = NULL;
		if (ascii != NULL)
			PORT_Free(ascii);
		PORT_FreeArena(arena, PR_FALSE);
	}
}

/* Whether c is one of the n certificates of found[] (a certificate with
 * two nicknames is listed twice). */
static bool
listed(CERTCertificate **found, int n, CERTCertificate *c)
{
	for (int i = 0; i < n; i++)
		if (found[i] == c)
			return true;
	return false;
}

/*
 * --db without --cert, as tstclnt does with NSS_GetClientAuthData: the
 * certificates of the database that have a private key, are valid now and
 * chain (through the certificates NSS can find) to one of the CA names the
 * server sent.  Only a single match is sent: with two, which one the
 * server wants is a guess, and the user is asked to name it.
 */
static SECStatus
pick_from_db(struct clientauth_hook *h, CERTDistNames *ca_names,
    CERTCertificate **pcert, SECKEYPrivateKey **pkey)
{
	struct client_auth_info *ca = &h->report->client_auth;
	CERTCertList *list = PK11_ListCerts(PK11CertListUser, h->cred->pin_arg);
	CERTCertificate *found[8];
	char *names = NULL;
	int n = 0;

	for (CERTCertListNode *node = list ? CERT_LIST_HEAD(list) : NULL;
	    node != NULL && !CERT_LIST_END(node, list);
	    node = CERT_LIST_NEXT(node)) {
		CERTCertificate *c = node->cert;
		char *t;

		if (listed(found, n < 8 ? n : 8, c) ||
		    CERT_CheckCertValidTimes(c, PR_Now(), PR_FALSE) !=
		    secCertTimeValid || (ca_names != NULL && ca_names->nnames > 0 &&
		    NSS_CmpCertChainWCANames(c, ca_names) != SECSuccess))
			continue;
		if (n < 8)
			found[n] = c;
		n++;
		t = xasprintf("%s%s%s", names ? names : "", names ? ", " : "",
		    c->nickname ? c->nickname : "?");
		free(names);
		names = t;
	}
	if (n == 1 && (*pkey = PK11_FindKeyByAnyCert(found[0],
	    h->cred->pin_arg)) != NULL) {
		*pcert = CERT_DupCertificate(found[0]);
		ca->chosen_from_db = xstrdup(names);
	} else if (n == 1) {
		ca->not_sent_reason = xasprintf("the key of '%s' in --db %s could "
		    "not be used", names, h->cred->db);
	} else if (n == 0) {
		ca->not_sent_reason = xasprintf("no certificate with a key in --db "
		    "%s is valid now and issued under the CA names the server "
		    "sent (--cert NICKNAME names one)", h->cred->db);
	} else {
		ca->not_sent_reason = xasprintf("%d certificates in --db %s fit "
		    "the server's CA names (%s): choose one with --cert NICKNAME",
		    n, h->cred->db, names);
	}
	free(names);
	if (list != NULL)
		CERT_DestroyCertList(list);
	return *pcert != NULL ? SECSuccess : SECFailure;
}

/*
 * SSL_GetClientAuthDataHook: called for each CertificateRequest, during
 * the handshake or (TLS 1.3, --post-handshake-auth) after it.  NSS takes
 * ownership of what we return and builds the chain it sends from the
 * leaf; returning SECFailure sends no certificate.
 */
static SECStatus
client_auth_data(void *arg, PRFileDesc *fd, CERTDistNames *ca_names,
    CERTCertificate **pcert, SECKEYPrivateKey **pkey)
{
	struct clientauth_hook *h = arg;
	struct report *r = h->report;
	char *subject;

	(void)fd;
	r->client_auth.requested = true;
	r->client_auth.post_handshake = r->n_handshakes > 0;
	record_ca_names(r, ca_names);
	free(r->client_auth.sent_subject);
	r->client_auth.sent_subject = NULL;
	free(r->client_auth.not_sent_reason);
	r->client_auth.not_sent_reason = NULL;
	free(r->client_auth.chosen_from_db);
	r->client_auth.chosen_from_db = NULL;
	*pcert = NULL;
	*pkey = NULL;
	if (h->cred != NULL && h->cred->from_db) {
		if (pick_from_db(h, ca_names, pcert, pkey) != SECSuccess)
			return SECFailure;
	} else if (h->cred == NULL || h->cred->cert == NULL || h->cred->key == NULL) {
		r->client_auth.not_sent_reason = xstrdup(
		    "no client certificate was given (--cert, --pkcs12)");
		return SECFailure;
	} else {
		*pcert = CERT_DupCertificate(h->cred->cert);
		*pkey = SECKEY_CopyPrivateKey(h->cred->key);
	}
	if (*pkey == NULL) {
		CERT_DestroyCertificate(*pcert);
		*pcert = NULL;
		r->client_auth.not_sent_reason =
		    xstrdup("the private key could not be used");
		return SECFailure;
	}
	subject = CERT_NameToAscii(&(*pcert)->subject);
	r->client_auth.sent_subject = xstrdup(subject ? subject : "?");
	if (subject != NULL)
		PORT_Free(subject);
	return SECSuccess;
}

/* ------------------------------------------------------------------ */
/* Public functions                                                    */

int
clientauth_load(const struct nsstls_opts *o, struct nss_ctx *nss,
    struct report *r, struct client_cred **out)
{
	struct client_cred *cred;
	int rc;

	*out = NULL;
	if (o->cert == NULL && o->pkcs12 == NULL && o->db == NULL)
		return 0;
	cred = xcalloc(1, sizeof(*cred));
	cred->report = r;
	if (o->cert == NULL && o->pkcs12 == NULL) {
		cred->from_db = true;
		cred->db = o->db;
		cred->pin_arg = nss;
		*out = cred;
		return 0;
	}
	if (o->pkcs12 != NULL)
		rc = load_pkcs12(o->pkcs12, nss, r, cred);
	else if (o->key != NULL)
		rc = load_pem(o->cert, o->key, nss, r, cred);
	else if (o->db != NULL)
		rc = load_nickname(o, nss, r, cred);
	else    /* a PEM file holding both (s_client's -cert without -key) */
		rc = load_pem(o->cert, o->cert, nss, r, cred);
	if (rc == 0 && o->cert_chain != NULL &&
	    load_cert_file(o->cert_chain, "--cert-chain file", "--cert-chain",
	    o->timeout_ms, &cred->extra, r) < 0)
		rc = -1;
	if (rc != 0) {
		clientauth_free(cred);
		return -1;
	}
	*out = cred;
	return 0;
}

int
clientauth_install(PRFileDesc *model, struct clientauth_hook *hook)
{
	return SSL_GetClientAuthDataHook(model, client_auth_data, hook) ==
	    SECSuccess ? 0 : -1;
}

void
clientauth_free(struct client_cred *cred)
{
	if (cred == NULL)
		return;
	if (cred->cert != NULL)
		CERT_DestroyCertificate(cred->cert);
	if (cred->key != NULL)
		SECKEY_DestroyPrivateKey(cred->key);
	if (cred->extra != NULL)
		CERT_DestroyCertList(cred->extra);
	free(cred);
}

void
clientauth_cred_parts(const struct client_cred *cred, CERTCertificate **cert,
    SECKEYPrivateKey **key)
{
	*cert = cred != NULL ? cred->cert : NULL;
	*key = cred != NULL ? cred->key : NULL;
}
