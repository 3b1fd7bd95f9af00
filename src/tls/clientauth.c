/*
 * clientauth: client credentials and the client-auth hook (see
 * clientauth.h): which source a credential comes from, the certificates of
 * PEM files, --db nicknames, and the hook that presents the credential.
 * Private keys from files are keyfile.c's, PKCS#12 files pkcs12.c's.
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

#include "credential.h"
#include "keyfile.h"
#include "pem.h"
#include "pkcs12.h"
#include "util.h"


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
	return keyfile_load(key_path, cert_path, cred->cert, nss, r,
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
load_nickname(const char *nick, const char *db, struct nss_ctx *nss,
    struct report *r, struct client_cred *cred)
{
	CERTCertificate *cert;

	/* Prefers a certificate valid for client authentication when several
	 * share the nickname; validOnly=false still finds an expired one,
	 * which the server should be the one to reject. */
	cert = CERT_FindUserCertByUsage(CERT_GetDefaultCertDB(), nick,
	    certUsageSSLClient, PR_FALSE, nss);
	if (cert == NULL)
		cert = PK11_FindCertFromNickname(nick, nss);
	if (cert == NULL) {
		char *names = user_nicknames(nss);

		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "no certificate with nickname '%s' in NSS database %s "
		    "(%s%s)%s", nick, db,
		    names ? "certificates with a key: " :
		    "it holds no certificate with a private key",
		    names ? names : "", access(nick, R_OK) == 0 ?
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
			    "--pass-file", nick, db);
		else
			report_fail(r, PHASE_SETUP, PR_GetError(),
			    NSSTLS_EXIT_SETUP, "NSS database %s has no private "
			    "key for the certificate '%s'", db, nick);
		return -1;
	}
	return 0;
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
clientauth_load_source(const struct cert_source *src,
    const struct nsstls_opts *o, struct nss_ctx *nss, struct report *r,
    struct client_cred **out)
{
	struct client_cred *cred = xcalloc(1, sizeof(*cred));
	int rc;

	*out = NULL;
	cred->report = r;
	if (src->key != NULL)
		rc = load_pem(src->cert, src->key, nss, r, cred);
	else if (o->db != NULL)
		rc = load_nickname(src->cert, o->db, nss, r, cred);
	else    /* a PEM file holding both (s_client's -cert without -key) */
		rc = load_pem(src->cert, src->cert, nss, r, cred);
	if (rc == 0 && src->chain != NULL &&
	    load_cert_file(src->chain, "--cert-chain file", "--cert-chain",
	    o->timeout_ms, &cred->extra, r) < 0)
		rc = -1;
	if (rc != 0) {
		clientauth_free(cred);
		return -1;
	}
	/* The PEM files' other certificates are an order the user chose;
	 * a PKCS#12 file's bags have none, so for it NSS builds the chain. */
	for (CERTCertListNode *n = cred->extra ? CERT_LIST_HEAD(cred->extra) :
	    NULL; n != NULL && !CERT_LIST_END(n, cred->extra);
	    n = CERT_LIST_NEXT(n))
		if (!CERT_CompareCerts(n->cert, cred->cert))
			cred->chain_given = true;
	*out = cred;
	return 0;
}

int
clientauth_load(const struct nsstls_opts *o, struct nss_ctx *nss,
    struct report *r, struct client_cred **out)
{
	struct client_cred *cred;
	int rc;

	*out = NULL;
	if (o->cert == NULL && o->pkcs12 == NULL && o->db == NULL)
		return 0;
	if (o->pkcs12 == NULL && o->cert != NULL) {
		struct cert_source first = { o->cert, o->key, o->cert_chain };

		return clientauth_load_source(&first, o, nss, r, out);
	}
	cred = xcalloc(1, sizeof(*cred));
	cred->report = r;
	if (o->pkcs12 == NULL) {
		cred->from_db = true;
		cred->db = o->db;
		cred->pin_arg = nss;
		*out = cred;
		return 0;
	}
	rc = pkcs12_load(o->pkcs12, nss, r, cred);
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

int
clientauth_cred_chain(const struct client_cred *cred,
    CERTCertificateList **out)
{
	PLArenaPool *arena;
	CERTCertificateList *list;
	int n = 1;

	*out = NULL;
	if (cred == NULL || cred->cert == NULL || !cred->chain_given)
		return 0;
	for (CERTCertListNode *e = CERT_LIST_HEAD(cred->extra);
	    !CERT_LIST_END(e, cred->extra); e = CERT_LIST_NEXT(e))
		n++;
	arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
	list = arena ? PORT_ArenaZNew(arena, CERTCertificateList) : NULL;
	if (list == NULL)
		goto fail;
	/* The shape CERT_DestroyCertificateList frees: everything in the
	 * list's own arena. */
	list->arena = arena;
	list->certs = PORT_ArenaZNewArray(arena, SECItem, n);
	if (list->certs == NULL || SECITEM_CopyItem(arena, &list->certs[0],
	    &cred->cert->derCert) != SECSuccess)
		goto fail;
	list->len = 1;
	for (CERTCertListNode *e = CERT_LIST_HEAD(cred->extra);
	    !CERT_LIST_END(e, cred->extra); e = CERT_LIST_NEXT(e)) {
		if (CERT_CompareCerts(e->cert, cred->cert))
			continue;
		if (SECITEM_CopyItem(arena, &list->certs[list->len++],
		    &e->cert->derCert) != SECSuccess)
			goto fail;
	}
	*out = list;
	return 0;
fail:
	if (arena != NULL)
		PORT_FreeArena(arena, PR_FALSE);
	return -1;
}
