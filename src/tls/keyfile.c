/*
 * keyfile: private keys from files, as session objects (see keyfile.h).
 *
 * NSS has no PEM reader (the nss-pem module is not part of NSS): pem.c
 * splits the text, and the key is imported on the internal crypto slot,
 * which holds session objects without a login whatever database (if any)
 * NSS was opened on.  Nothing is written anywhere.
 */
#include "keyfile.h"

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

/* ------------------------------------------------------------------ */
/* Private keys                                                        */

/* The password for an encrypted file: --pass / --pass-file, else asked
 * on the terminal (and kept for later files), else NULL. */
const char *
keyfile_password(struct nss_ctx *nss, const char *path)
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
SECItem *
keyfile_public_value(SECKEYPublicKey *pub)
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

const char *
keyfile_type_name(KeyType t)
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
	    keyfile_public_value(pub), PR_FALSE /* session object */,
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
bool
keyfile_is_pkcs12_pbe(SECOidTag tag)
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
int
keyfile_bmp_password(const char *pw, SECItem *out)
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
	if (keyfile_is_pkcs12_pbe(SECOID_GetAlgorithmTag(&epki.algorithm))) {
		if (keyfile_bmp_password(password, &pw) != 0)
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
	    NULL, keyfile_public_value(pub), PR_FALSE, PR_TRUE, first, KU_ALL, out,
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
int
keyfile_matches_cert(SECKEYPrivateKey *key, SECKEYPublicKey *pub, void *pin_arg)
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
		    &b->der, NULL, keyfile_public_value(pub), PR_FALSE,
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

	password = keyfile_password(nss, path);
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
	    keyfile_public_value(pub), PR_FALSE, PR_TRUE, KU_ALL, &key, nss) ==
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
		    keyfile_type_name(kt), keyfile_type_name(pub->keyType));
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
int
keyfile_load(const char *key_path, const char *cert_path,
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
	if (pub == NULL || keyfile_public_value(pub) == NULL) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "the certificate in %s has a %s key, which nsstls cannot "
		    "use for client authentication", cert_path,
		    pub ? keyfile_type_name(pub->keyType) : "unreadable");
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
	if (keyfile_matches_cert(key, pub, nss) != 0) {
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
	util_wipe_free(text, len);
	return rc;
}
