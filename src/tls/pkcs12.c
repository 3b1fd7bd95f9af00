/*
 * pkcs12: --pkcs12 files (see pkcs12.h).
 */
#include "pkcs12.h"

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

#include "keyfile.h"
#include "util.h"

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
	return keyfile_is_pkcs12_pbe(SECOID_GetAlgorithmTag(alg)) ? k->bmp_pw :
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
			    NULL, keyfile_public_value(k->pub), PR_FALSE /* session */,
			    PR_TRUE, k->pub->keyType == ecKey ? ecKey : rsaKey,
			    KU_ALL, &key, k->pin_arg);
	} else if (SEC_ASN1DecodeItem(arena, &pki,
	    SEC_ASN1_GET(SECKEY_PrivateKeyInfoTemplate), value) == SECSuccess) {
		rv = PK11_ImportPrivateKeyInfoAndReturnKey(k->slot, &pki, NULL,
		    keyfile_public_value(k->pub), PR_FALSE /* session */, PR_TRUE,
		    KU_ALL, &key, k->pin_arg);
	}
	if (rv != SECSuccess) {
		k->error = PR_GetError();
	} else if (keyfile_matches_cert(key, k->pub, k->pin_arg) != 0) {
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
	util_wipe_free(s.data, s.cap + 1);
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
	if (k.pub == NULL || keyfile_public_value(k.pub) == NULL) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "the certificate in %s has a %s key, which nsstls cannot "
		    "use for client authentication", path,
		    k.pub ? keyfile_type_name(k.pub->keyType) : "unreadable");
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
int
pkcs12_load(const char *path, struct nss_ctx *nss, struct report *r,
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
	password = keyfile_password(nss, path);
	if (keyfile_bmp_password(password ? password : "", &pw) != 0) {
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
	util_wipe_free(data, len);
	return rc;
}
