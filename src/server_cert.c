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
#include <ssl.h>

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

/* One self-signed certificate of the given key type into out. */
static int
self_signed(const struct nsstls_opts *o, KeyType type, struct server_certs *out)
{
	PK11SlotInfo *slot = PK11_GetInternalSlot();
	SECKEYPublicKey *pub = NULL;
	SECKEYPrivateKey *key;
	CERTCertificate *cert = NULL;
	unsigned char serial[4];

	if (slot == NULL)
		return -1;
	key = make_key(slot, type, &pub);
	PK11_FreeSlot(slot);
	if (key == NULL)
		return -1;
	/* A random serial: a client that cached one of our certificates must
	 * not mistake the next run's for it. */
	(void)PK11_GenerateRandom(serial, sizeof(serial));
	cert = build_cert(o->self_signed, o->n_self_signed, pub, key,
	    ((unsigned long)serial[0] << 24 | (unsigned long)serial[1] << 16 |
	    (unsigned long)serial[2] << 8 | serial[3]) & 0x7fffffff);
	SECKEY_DestroyPublicKey(pub);
	if (cert == NULL) {
		SECKEY_DestroyPrivateKey(key);
		return -1;
	}
	out->cert[out->n] = cert;
	out->key[out->n++] = key;
	return 0;
}

int
server_cert_config(PRFileDesc *model, const struct nsstls_opts *o,
    struct nss_ctx *nss, struct report *r, struct server_certs *out)
{
	CERTCertificate *cert;
	SECKEYPrivateKey *key;

	memset(out, 0, sizeof(*out));
	clientauth_cred_parts(nss->cred, &cert, &key);
	if (cert != NULL) {
		out->cert[out->n] = CERT_DupCertificate(cert);
		out->key[out->n++] = SECKEY_CopyPrivateKey(key);
	}
	if (o->n_self_signed > 0 && (self_signed(o, rsaKey, out) != 0 ||
	    self_signed(o, ecKey, out) != 0)) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "cannot make the self-signed certificate");
		return -1;
	}
	/* One certificate per authentication type; NSS chooses per
	 * handshake from what the client accepts.  With no chain given, NSS
	 * sends the chain it can build from the certificates it can find
	 * (--cert-chain's are kept findable by clientauth). */
	for (size_t i = 0; i < out->n; i++) {
		if (SSL_ConfigServerCert(model, out->cert[i], out->key[i], NULL, 0) !=
		    SECSuccess) {
			report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
			    "the server certificate cannot be used (%s)",
			    out->cert[i]->subjectName ? out->cert[i]->subjectName : "?");
			return -1;
		}
	}
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
	}
	memset(c, 0, sizeof(*c));
}
