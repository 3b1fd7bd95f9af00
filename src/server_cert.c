/*
 * server_cert: server certificates (see server_cert.h).
 *
 * A self-signed certificate is built the way certutil -S does it: a key
 * pair on the internal slot as session objects (isPerm false: gone with
 * the process), CERT_CreateCertificate from a request for the subject,
 * a subjectAltName for the names, then the DER encoding signed with
 * SEC_DerSignData and decoded again as a temporary certificate, which is
 * what SSL_ConfigServerCert needs.
 */
#include "server_cert.h"

#include <string.h>

#include <cryptohi.h>
#include <pk11pub.h>
#include <prnetdb.h>
#include <secasn1.h>
#include <secder.h>
#include <secoid.h>
#include <ssl.h>

#include "certinfo.h"
#include "clientauth.h"
#include "util.h"

/* Validity: from an hour ago (clocks differ) for 30 days. */
#define SELF_SIGNED_DAYS 30

static SECKEYPrivateKey *
make_key(PK11SlotInfo *slot, KeyType type, SECKEYPublicKey **pub)
{
	PK11RSAGenParams rsa = { 2048, 65537 };
	/* DER OID of prime256v1, the EC parameters NSS expects. */
	static unsigned char p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
		0x3d, 0x03, 0x01, 0x07 };
	SECItem ec = { siBuffer, p256, sizeof(p256) };

	if (type == rsaKey)
		return PK11_GenerateKeyPair(slot, CKM_RSA_PKCS_KEY_PAIR_GEN, &rsa,
		    pub, PR_FALSE, PR_FALSE, NULL);
	return PK11_GenerateKeyPair(slot, CKM_EC_KEY_PAIR_GEN, &ec, pub,
	    PR_FALSE, PR_FALSE, NULL);
}

/* subjectAltName: DNS names, and IP addresses for address literals. */
static int
add_san(CERTCertificate *cert, char **names, size_t n)
{
	PLArenaPool *arena = cert->arena;
	CERTGeneralName *head = NULL;
	SECItem der = { siBuffer, NULL, 0 };
	void *ext;

	for (size_t i = 0; i < n; i++) {
		CERTGeneralName *g = PORT_ArenaZNew(arena, CERTGeneralName);
		PRNetAddr a;

		if (g == NULL)
			return -1;
		if (PR_StringToNetAddr(names[i], &a) == PR_SUCCESS) {
			g->type = certIPAddress;
			if (a.raw.family == PR_AF_INET) {
				g->name.other.len = 4;
				g->name.other.data = PORT_ArenaAlloc(arena, 4);
				memcpy(g->name.other.data, &a.inet.ip, 4);
			} else {
				g->name.other.len = 16;
				g->name.other.data = PORT_ArenaAlloc(arena, 16);
				memcpy(g->name.other.data, &a.ipv6.ip, 16);
			}
		} else {
			g->type = certDNSName;
			g->name.other.data = (unsigned char *)PORT_ArenaStrdup(arena,
			    names[i]);
			g->name.other.len = (unsigned)strlen(names[i]);
		}
		PR_INIT_CLIST(&g->l);
		if (head == NULL)
			head = g;
		else
			PR_INSERT_BEFORE(&g->l, &head->l);
	}
	if (CERT_EncodeAltNameExtension(arena, head, &der) != SECSuccess)
		return -1;
	ext = CERT_StartCertExtensions(cert);
	if (ext == NULL)
		return -1;
	if (CERT_AddExtension(ext, SEC_OID_X509_SUBJECT_ALT_NAME, &der, PR_FALSE,
	    PR_TRUE) != SECSuccess) {
		(void)CERT_FinishExtensions(ext);
		return -1;
	}
	return CERT_FinishExtensions(ext) == SECSuccess ? 0 : -1;
}

/* Sign the certificate and decode it as a temporary certificate. */
static CERTCertificate *
sign_cert(CERTCertificate *cert, SECKEYPrivateKey *key)
{
	SECOidTag alg = SEC_GetSignatureAlgorithmOidTag(key->keyType,
	    SEC_OID_SHA256);
	SECItem tbs = { siBuffer, NULL, 0 }, signed_der = { siBuffer, NULL, 0 };

	if (SECOID_SetAlgorithmID(cert->arena, &cert->signature, alg, NULL) !=
	    SECSuccess)
		return NULL;
	*cert->version.data = SEC_CERTIFICATE_VERSION_3;
	cert->version.len = 1;
	if (SEC_ASN1EncodeItem(cert->arena, &tbs, cert,
	    SEC_ASN1_GET(CERT_CertificateTemplate)) == NULL)
		return NULL;
	if (SEC_DerSignData(cert->arena, &signed_der, tbs.data, (int)tbs.len, key,
	    alg) != SECSuccess)
		return NULL;
	return CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &signed_der, NULL,
	    PR_FALSE, PR_TRUE);
}

static CERTCertificate *
build_cert(char **names, size_t n, SECKEYPublicKey *pub, SECKEYPrivateKey *key,
    unsigned long serial)
{
	CERTName *subject = NULL;
	CERTSubjectPublicKeyInfo *spki = NULL;
	CERTCertificateRequest *req = NULL;
	CERTValidity *validity = NULL;
	CERTCertificate *draft = NULL, *done = NULL;
	char *cn = xasprintf("CN=%s", names[0]);
	PRTime now = PR_Now();

	subject = CERT_AsciiToName(cn);
	spki = SECKEY_CreateSubjectPublicKeyInfo(pub);
	if (subject == NULL || spki == NULL)
		goto out;
	req = CERT_CreateCertificateRequest(subject, spki, NULL);
	validity = CERT_CreateValidity(now - 3600 * PR_USEC_PER_SEC,
	    now + (PRTime)SELF_SIGNED_DAYS * 86400 * PR_USEC_PER_SEC);
	if (req == NULL || validity == NULL)
		goto out;
	draft = CERT_CreateCertificate(serial, subject, validity, req);
	if (draft == NULL || add_san(draft, names, n) != 0)
		goto out;
	done = sign_cert(draft, key);
out:
	free(cn);
	if (draft != NULL)
		CERT_DestroyCertificate(draft);
	if (validity != NULL)
		CERT_DestroyValidity(validity);
	if (req != NULL)
		CERT_DestroyCertificateRequest(req);
	if (spki != NULL)
		SECKEY_DestroySubjectPublicKeyInfo(spki);
	if (subject != NULL)
		CERT_DestroyName(subject);
	return done;
}

/*
 * NSS's authentication type for a certificate, from its public key
 * algorithm as ssl_GetCertificateAuthTypes (sslcert.c) reads it.  NSS
 * keeps one certificate per type: SSL_ConfigServerCert with a second
 * silently replaces the first, so a second of a type is refused instead.
 */
static const char *
auth_type(const CERTCertificate *c)
{
	switch (SECOID_GetAlgorithmTag(&c->subjectPublicKeyInfo.algorithm)) {
	case SEC_OID_PKCS1_RSA_ENCRYPTION:
	case SEC_OID_X500_RSA_ENCRYPTION:
		return "RSA";
	case SEC_OID_PKCS1_RSA_PSS_SIGNATURE:
		return "RSA-PSS";
	case SEC_OID_ANSIX962_EC_PUBLIC_KEY:
		return "ECDSA";
	case SEC_OID_ANSIX9_DSA_SIGNATURE:
		return "DSA";
	default:
		return "unknown";
	}
}

/* Take cert and key (references the caller gives up) from source (a
 * malloc'd label, taken too) into out, unless out has one of its type. */
static int
add_cert(struct server_certs *out, CERTCertificate *cert,
    SECKEYPrivateKey *key, const struct client_cred *cred, char *source,
    struct report *r)
{
	for (size_t i = 0; i < out->n; i++) {
		if (strcmp(auth_type(out->cert[i]), auth_type(cert)) != 0)
			continue;
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "%s and %s are both %s certificates: NSS serves one "
		    "certificate per key type (a second would silently replace "
		    "the first), so give at most one each of RSA, RSA-PSS and "
		    "ECDSA%s", out->source[i], source, auth_type(cert),
		    strncmp(source, "--self-signed", 13) == 0 ? " (--self-signed "
		    "makes one RSA and one ECDSA)" : "");
		CERT_DestroyCertificate(cert);
		SECKEY_DestroyPrivateKey(key);
		free(source);
		return -1;
	}
	out->cert[out->n] = cert;
	out->key[out->n] = key;
	out->cred[out->n] = cred;
	out->source[out->n++] = source;
	return 0;
}

/* One self-signed certificate of the given key type into out. */
static int
self_signed(const struct nsstls_opts *o, KeyType type, struct server_certs *out,
    struct report *r)
{
	PK11SlotInfo *slot = PK11_GetInternalSlot();
	SECKEYPublicKey *pub = NULL;
	SECKEYPrivateKey *key = NULL;
	CERTCertificate *cert = NULL;
	unsigned char serial[4];

	if (slot != NULL) {
		key = make_key(slot, type, &pub);
		PK11_FreeSlot(slot);
	}
	if (key != NULL) {
		/* A random serial: a client that cached one of our
		 * certificates must not mistake the next run's for it. */
		(void)PK11_GenerateRandom(serial, sizeof(serial));
		cert = build_cert(o->self_signed, o->n_self_signed, pub, key,
		    ((unsigned long)serial[0] << 24 |
		    (unsigned long)serial[1] << 16 |
		    (unsigned long)serial[2] << 8 | serial[3]) & 0x7fffffff);
		SECKEY_DestroyPublicKey(pub);
	}
	if (cert == NULL) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "cannot make the self-signed certificate");
		if (key != NULL)
			SECKEY_DestroyPrivateKey(key);
		return -1;
	}
	return add_cert(out, cert, key, NULL, xasprintf("--self-signed (%s)",
	    type == rsaKey ? "RSA" : "ECDSA"), r);
}

/* The credential of --cert, --pkcs12 or --db NICKNAME, loaded by main,
 * and each later --cert, loaded here (and freed by server_cert_free). */
static int
take_creds(const struct nsstls_opts *o, struct nss_ctx *nss, struct report *r,
    struct server_certs *out)
{
	CERTCertificate *cert;
	SECKEYPrivateKey *key;

	clientauth_cred_parts(nss->cred, &cert, &key);
	if (cert != NULL && add_cert(out, CERT_DupCertificate(cert),
	    SECKEY_CopyPrivateKey(key), nss->cred, xasprintf("--%s %s",
	    o->pkcs12 ? "pkcs12" : "cert", o->pkcs12 ? o->pkcs12 : o->cert),
	    r) != 0)
		return -1;
	for (size_t i = 0; i < o->n_more_certs; i++) {
		struct client_cred *cred;

		if (clientauth_load_source(&o->more_certs[i], o, nss, r,
		    &cred) != 0)
			return -1;
		out->more[out->n_more++] = cred;
		clientauth_cred_parts(cred, &cert, &key);
		if (add_cert(out, CERT_DupCertificate(cert),
		    SECKEY_CopyPrivateKey(key), cred, xasprintf("--cert %s",
		    o->more_certs[i].cert), r) != 0)
			return -1;
	}
	return 0;
}

/*
 * Each certificate with its own chain: the leaf and the certificates its
 * PEM files gave, in their order, sent as they are; NSS builds a chain
 * only for a certificate given alone (from the certificates it can find,
 * the root included).  certChain is copied by NSS.
 */
static int
configure(PRFileDesc *model, struct server_certs *c, size_t i,
    struct report *r)
{
	SSLExtraServerCertData data = { .authType = ssl_auth_null };
	CERTCertificateList *chain = NULL;
	SECStatus rv = SECFailure;

	if (clientauth_cred_chain(c->cred[i], &chain) == 0) {
		data.certChain = chain;
		rv = SSL_ConfigServerCert(model, c->cert[i], c->key[i], &data,
		    sizeof(data));
	}
	if (rv != SECSuccess)
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "%s: the server certificate cannot be used", c->source[i]);
	c->sent[i] = chain != NULL ? chain->len : 0;
	if (chain != NULL)
		CERT_DestroyCertificateList(chain);
	/* A field NSS cannot decode reads "unknown": only words depend on it. */
	if (rv == SECSuccess)
		(void)cert_info_from_nss(c->cert[i], &c->info[i]);
	return rv == SECSuccess ? 0 : -1;
}

int
server_cert_config(PRFileDesc *model, const struct nsstls_opts *o,
    struct nss_ctx *nss, struct report *r, struct server_certs *out)
{
	size_t n = (o->cert != NULL || o->pkcs12 != NULL) + o->n_more_certs +
	    (o->n_self_signed > 0 ? 2 : 0);

	memset(out, 0, sizeof(*out));
	/* Said before any file is read; a setup error like every other
	 * refusal of the set, most of which only the files can show. */
	if (n > SERVER_CERT_MAX) {
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "%zu server certificates given (--self-signed makes two): NSS "
		    "serves at most %d, one per key type", n, SERVER_CERT_MAX);
		return -1;
	}
	if (take_creds(o, nss, r, out) != 0)
		return -1;
	if (o->n_self_signed > 0 && (self_signed(o, rsaKey, out, r) != 0 ||
	    self_signed(o, ecKey, out, r) != 0))
		return -1;
	/* NSS chooses per handshake from what the client accepts. */
	for (size_t i = 0; i < out->n; i++)
		if (configure(model, out, i, r) != 0)
			return -1;
	return 0;
}

void
server_cert_free(struct server_certs *c)
{
	for (size_t i = 0; i < c->n; i++) {
		if (c->cert[i] != NULL)
			CERT_DestroyCertificate(c->cert[i]);
		if (c->key[i] != NULL)
			SECKEY_DestroyPrivateKey(c->key[i]);
		free(c->source[i]);
		cert_info_free(&c->info[i]);
	}
	for (size_t i = 0; i < c->n_more; i++)
		clientauth_free(c->more[i]);
	memset(c, 0, sizeof(*c));
}
