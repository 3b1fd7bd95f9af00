/*
 * nssinit: NSS start-up, trust sources and shutdown (see nssinit.h).
 *
 * Start-up cost matters (the benchmark compares whole-process times with
 * openssl s_client): NSS_NoDB_Init is ~1 ms and loading the built-in roots
 * module is ~0.2 ms because NSS reads its objects lazily, but listing the
 * module's 160 roots costs ~6 ms — so they are only counted with -v.
 */
#include "nssinit.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <certdb.h>
#include <nss.h>
#include <nssb64.h>
#include <pk11pub.h>
#include <prinit.h>
#include <ssl.h>

#include "certinfo.h"
#include "config.h"
#include "crl.h"
#include "keylog.h"
#include "util.h"

/*
 * PK11_SetPasswordFunc takes one global callback; NSS passes it the pin
 * argument of the operation (SSL_SetPKCS11PinArg on sockets), which is our
 * nss_ctx.  Returning NULL on a retry stops NSS from asking forever.
 */
static char *
password_cb(PK11SlotInfo *slot, PRBool retry, void *arg)
{
	struct nss_ctx *ctx = arg;
	char prompt[160];
	char *pw;

	if (retry || ctx == NULL)
		return NULL;
	if (ctx->password != NULL)
		return PORT_Strdup(ctx->password);
	if (!isatty(STDIN_FILENO))
		return NULL;
	snprintf(prompt, sizeof(prompt), "Password for %s: ",
	    PK11_GetTokenName(slot));
	pw = getpass(prompt);
	return pw != NULL ? PORT_Strdup(pw) : NULL;
}

/* The first line of a password file (a 1 MiB file at most, read within
 * the --timeout like any input).  Returns it, or NULL with *why set. */
static char *
read_first_line(const char *path, const char *option, long timeout_ms,
    char **why)
{
	unsigned char *text;
	char *line;
	size_t len;

	if (util_read_file(path, option, UTIL_LIMIT_SECRET, timeout_ms, &text,
	    &len, why) != 0)
		return NULL;
	if (len == 0) {
		free(text);
		*why = xstrdup("file is empty");
		return NULL;
	}
	text[strcspn((char *)text, "\r\n")] = '\0';
	line = xstrdup((char *)text);
	explicit_bzero(text, len);
	free(text);
	return line;
}

static int
resolve_password(const struct nsstls_opts *o, struct nss_ctx *ctx,
    struct report *r)
{
	char *why = NULL;

	if (o->pass_file != NULL) {
		ctx->password = read_first_line(o->pass_file, "--pass-file",
		    o->timeout_ms, &why);
		if (ctx->password == NULL) {
			report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
			    "cannot read password file %s: %s", o->pass_file, why);
			free(why);
			return -1;
		}
	} else if (o->pass != NULL) {
		if (strncmp(o->pass, "env:", 4) == 0) {
			const char *v = getenv(o->pass + 4);

			if (v == NULL) {
				report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
				    "--pass: environment variable %s is not set",
				    o->pass + 4);
				return -1;
			}
			ctx->password = xstrdup(v);
		} else if (strncmp(o->pass, "file:", 5) == 0) {
			ctx->password = read_first_line(o->pass + 5, "--pass",
			    o->timeout_ms, &why);
			if (ctx->password == NULL) {
				report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
				    "cannot read password file %s: %s", o->pass + 5, why);
				free(why);
				return -1;
			}
		} else {
			ctx->password = xstrdup(o->pass + 5);
		}
	}
	return 0;
}

/* Make der a temporary certificate trusted as a CA for TLS servers.  With
 * NoDB init there is no database to store trust in: CERT_ChangeCertTrust on
 * a temporary certificate keeps it in memory, which is what
 * CERT_VerifyCertificate consults. */
static int
add_anchor(struct nss_ctx *ctx, SECItem *der, size_t source)
{
	CERTCertificate *c;
	CERTCertTrust trust;

	c = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), der, NULL,
	    PR_FALSE, PR_TRUE);
	if (c == NULL)
		return -1;
	if (CERT_DecodeTrustString(&trust, "C,C,C") == SECSuccess)
		(void)CERT_ChangeCertTrust(CERT_GetDefaultCertDB(), c, &trust);
	ctx->anchors = xrealloc(ctx->anchors,
	    (ctx->n_anchors + 1) * sizeof(*ctx->anchors));
	ctx->anchors[ctx->n_anchors].cert = c;
	ctx->anchors[ctx->n_anchors].source = source;
	ctx->n_anchors++;
	return 0;
}

/* Load every certificate of a PEM bundle (or one DER certificate) as an
 * anchor.  No PEM PKCS#11 module is involved: we split and decode the base64
 * ourselves and hand NSS the DER. */
static int
load_pem_source(struct nss_ctx *ctx, struct report *r, const char *kind,
    const char *path)
{
	size_t len = 0, n = 0, source = r->n_trust;
	unsigned char *text;
	char *why;
	SECItem *ders;
	int bad = 0;

	if (util_read_file(path, strcmp(kind, "system") == 0 ? "--trust system" :
	    "--ca-file", UTIL_LIMIT_CERTS, ctx->read_timeout_ms, &text, &len,
	    &why) != 0) {
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "cannot read %s %s: %s", kind, path, why);
		free(why);
		return -1;
	}
	report_add_trust(r, kind, path, 0);
	ders = cert_decode_ders(text, len, &n, &bad);
	free(text);
	for (size_t i = 0; i < n; i++)
		if (add_anchor(ctx, &ders[i], source) != 0)
			bad++;
	cert_ders_free(ders, n);
	if (bad > 0) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "%s %s: %d certificate%s could not be decoded", kind, path,
		    bad, bad == 1 ? "" : "s");
		return -1;
	}
	if (n == 0) {
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "%s %s holds no certificate (expected PEM 'BEGIN CERTIFICATE' "
		    "blocks or one DER certificate)", kind, path);
		return -1;
	}
	r->trust[source].anchors = (int)n;
	return 0;
}

/* The files of an OpenSSL CA directory that hold certificates: the
 * hash links c_rehash makes ("9d6523ce.0") and *.pem files. */
static bool
ca_path_entry(const char *name)
{
	size_t len = strlen(name), hex = strspn(name, "0123456789abcdef");

	if (len > 4 && strcmp(name + len - 4, ".pem") == 0)
		return true;
	return hex == 8 && name[8] == '.' && name[9] != '\0' &&
	    strspn(name + 9, "0123456789") == len - 9;
}

/* Add the anchors of one file of a CA directory; a file with no
 * certificate (a key, a CRL) is passed over, as OpenSSL does. */
static void
load_ca_path_file(struct nss_ctx *ctx, const char *path, size_t source,
    int *anchors)
{
	size_t len = 0, n = 0;
	unsigned char *text = NULL;
	char *why = NULL;
	SECItem *ders;
	int bad = 0;

	/* Bounded like --ca-file; an unreadable entry is passed over. */
	if (util_read_file(path, "-CApath", UTIL_LIMIT_CERTS, ctx->read_timeout_ms,
	    &text, &len, &why) != 0) {
		free(why);
		return;
	}
	ders = cert_decode_ders(text, len, &n, &bad);
	free(text);
	for (size_t i = 0; i < n; i++)
		if (add_anchor(ctx, &ders[i], source) == 0)
			(*anchors)++;
	cert_ders_free(ders, n);
}

/* -CApath DIR: every certificate file of the directory, each file once
 * (its hash links point at the *.pem files). */
static int
load_ca_path(struct nss_ctx *ctx, struct report *r, const char *dir)
{
	size_t source = r->n_trust, n_seen = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	struct { dev_t dev; ino_t ino; } *seen = NULL;
	int anchors = 0;

	if (d == NULL) {
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "cannot read CA directory %s: %s", dir, strerror(errno));
		return -1;
	}
	report_add_trust(r, "ca-path", dir, 0);
	while ((e = readdir(d)) != NULL) {
		char *path;
		struct stat st;
		bool dup = false;

		if (!ca_path_entry(e->d_name))
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			for (size_t i = 0; i < n_seen && !dup; i++)
				dup = seen[i].dev == st.st_dev && seen[i].ino == st.st_ino;
			if (!dup) {
				seen = xrealloc(seen, (n_seen + 1) * sizeof(*seen));
				seen[n_seen].dev = st.st_dev;
				seen[n_seen++].ino = st.st_ino;
				load_ca_path_file(ctx, path, source, &anchors);
			}
		}
		free(path);
	}
	closedir(d);
	free(seen);
	r->trust[source].anchors = anchors;
	if (anchors == 0) {
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "CA directory %s holds no certificate (expected *.pem files "
		    "or hash links such as 9d6523ce.0)", dir);
		return -1;
	}
	return 0;
}

static int
count_trusted(CERTCertList *list)
{
	int n = 0;

	if (list == NULL)
		return 0;
	for (CERTCertListNode *node = CERT_LIST_HEAD(list);
	    !CERT_LIST_END(node, list); node = CERT_LIST_NEXT(node)) {
		CERTCertTrust trust;

		if (CERT_GetCertTrust(node->cert, &trust) == SECSuccess &&
		    (trust.sslFlags & CERTDB_TRUSTED_CA))
			n++;
	}
	return n;
}

static int
load_builtin(struct nss_ctx *ctx, struct report *r, int verbose)
{
	char spec[256];
	CK_INFO info;
	char *detail;
	int anchors = -1;

	snprintf(spec, sizeof(spec), "name=\"Builtin Roots\" library=%s",
	    NSSTLS_BUILTIN_ROOTS_MODULE);
	ctx->builtin = SECMOD_LoadUserModule(spec, NULL, PR_FALSE);
	if (ctx->builtin == NULL || !ctx->builtin->loaded) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "cannot load NSS's built-in roots module %s "
		    "(use --no-builtin-roots with --ca-file or --trust system)",
		    NSSTLS_BUILTIN_ROOTS_MODULE);
		return -1;
	}
	/* PKCS#11 gives the library's description in a fixed 32-byte field,
	 * which cuts NSS's ("NSS Builtin Object Cryptoki Modu"): the file
	 * name of the module says the same thing whole. */
	if (PK11_GetModInfo(ctx->builtin, &info) == SECSuccess) {
		detail = xasprintf("%s, %s %d.%d",
		    ctx->builtin->slotCount > 0 ?
		    PK11_GetTokenName(ctx->builtin->slots[0]) : "no token",
		    ctx->builtin->dllName != NULL ? ctx->builtin->dllName :
		    NSSTLS_BUILTIN_ROOTS_MODULE,
		    info.libraryVersion.major, info.libraryVersion.minor);
	} else {
		detail = xstrdup(NSSTLS_BUILTIN_ROOTS_MODULE);
	}
	/* Listing the module's objects decodes all ~160 roots (~6 ms): only
	 * when the user asked for detail. */
	if (verbose > 0 && ctx->builtin->slotCount > 0) {
		CERTCertList *list = PK11_ListCertsInSlot(ctx->builtin->slots[0]);

		anchors = count_trusted(list);
		if (list != NULL)
			CERT_DestroyCertList(list);
	}
	ctx->builtin_source = r->n_trust;
	report_add_trust(r, "builtin", detail, anchors);
	free(detail);
	return 0;
}

static int
open_db(const struct nsstls_opts *o, struct nss_ctx *ctx, struct report *r)
{
	char *dir;
	SECStatus rv;
	PK11SlotInfo *slot;
	CERTCertList *list;

	if (strncmp(o->db, "sql:", 4) == 0 || strncmp(o->db, "dbm:", 4) == 0)
		dir = xstrdup(o->db);
	else
		dir = xasprintf("sql:%s", o->db);
	/* NSS_Init opens the database read-only: a diagnostic tool must never
	 * modify the user's database. */
	rv = NSS_Init(dir);
	free(dir);
	if (rv != SECSuccess) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "cannot open NSS database %s", o->db);
		return -1;
	}
	ctx->initialized = true;
	ctx->db_open = true;
	slot = PK11_GetInternalKeySlot();
	if (ctx->password != NULL && slot != NULL && PK11_NeedLogin(slot) &&
	    PK11_CheckUserPassword(slot, ctx->password) != SECSuccess) {
		PRErrorCode err = PR_GetError();

		PK11_FreeSlot(slot);
		report_fail(r, PHASE_SETUP, err, NSSTLS_EXIT_SETUP,
		    "wrong password for NSS database %s", o->db);
		return -1;
	}
	list = slot != NULL ? PK11_ListCertsInSlot(slot) : NULL;
	ctx->db_source = r->n_trust;
	report_add_trust(r, "db", o->db, count_trusted(list));
	if (list != NULL)
		CERT_DestroyCertList(list);
	if (slot != NULL)
		PK11_FreeSlot(slot);
	return 0;
}

int
nssinit_minimal(struct nss_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	PR_Init(PR_USER_THREAD, PR_PRIORITY_NORMAL, 0);
	if (NSS_NoDB_Init(NULL) != SECSuccess)
		return -1;
	ctx->initialized = true;
	/* Also registers libssl's error table, so error names print. */
	NSS_SetDomesticPolicy();
	return 0;
}

int
nssinit_setup(const struct nsstls_opts *o, struct nss_ctx *ctx,
    struct report *r)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->report = r;
	ctx->read_timeout_ms = o->timeout_ms;
	PR_Init(PR_USER_THREAD, PR_PRIORITY_NORMAL, 0);
	PK11_SetPasswordFunc(password_cb);
	if (resolve_password(o, ctx, r) != 0)
		return -1;
	if (o->db != NULL) {
		if (open_db(o, ctx, r) != 0)
			return -1;
	} else {
		if (NSS_NoDB_Init(NULL) != SECSuccess) {
			report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
			    "NSS initialisation failed");
			return -1;
		}
		ctx->initialized = true;
	}
	/* Marks every implemented suite as allowed (unless a system policy
	 * says otherwise) and registers the SSL error strings. */
	if (NSS_SetDomesticPolicy() != SECSuccess) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "NSS cipher policy could not be set");
		return -1;
	}
	if (o->trust_builtin && load_builtin(ctx, r, o->verbose) != 0)
		return -1;
	if (o->trust_system &&
	    load_pem_source(ctx, r, "system", NSSTLS_SYSTEM_CA_BUNDLE) != 0)
		return -1;
	for (size_t i = 0; i < o->n_ca_files; i++)
		if (load_pem_source(ctx, r, "ca-file", o->ca_files[i]) != 0)
			return -1;
	if (o->ca_path != NULL && load_ca_path(ctx, r, o->ca_path) != 0)
		return -1;
	/* Every CRL is read and decoded once, here: a bad file is a setup
	 * error before any connection, and each connection checks its chain
	 * against the same decoded CRLs. */
	if (o->n_crl_files > 0) {
		char *err = NULL;

		ctx->crls = crl_load(o->crl_files, o->n_crl_files, o->timeout_ms,
		    &err);
		if (ctx->crls == NULL) {
			report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP, "%s", err);
			free(err);
			return -1;
		}
	}
	/* The key log is opened again for each connection; a file unfit for
	 * secrets is refused now, before any connection is made. */
	if (o->keylog != NULL && o->print_cert == NULL &&
	    keylog_preflight(o->keylog, r) != 0)
		return -1;
	return 0;
}

int
nssinit_source_of(const struct nss_ctx *ctx, CERTCertificate *c,
    bool *is_anchor)
{
	CERTCertTrust trust;

	*is_anchor = CERT_GetCertTrust(c, &trust) == SECSuccess &&
	    (trust.sslFlags & CERTDB_TRUSTED_CA) != 0;
	for (size_t i = 0; i < ctx->n_anchors; i++)
		if (SECITEM_ItemsAreEqual(&ctx->anchors[i].cert->derCert, &c->derCert))
			return (int)ctx->anchors[i].source;
	if (c->slot != NULL && ctx->builtin != NULL) {
		for (int i = 0; i < ctx->builtin->slotCount; i++)
			if (c->slot == ctx->builtin->slots[i])
				return (int)ctx->builtin_source;
	}
	if (ctx->db_open && c->isperm)
		return (int)ctx->db_source;
	return -1;
}

int
nssinit_teardown(struct nss_ctx *ctx)
{
	int rc = 0;

	crl_free(ctx->crls);
	ctx->crls = NULL;
	for (size_t i = 0; i < ctx->n_anchors; i++)
		CERT_DestroyCertificate(ctx->anchors[i].cert);
	free(ctx->anchors);
	ctx->anchors = NULL;
	ctx->n_anchors = 0;
	if (ctx->password != NULL) {
		memset(ctx->password, 0, strlen(ctx->password));
		free(ctx->password);
		ctx->password = NULL;
	}
	if (ctx->initialized) {
		/* The client session cache holds certificate references. */
		SSL_ClearSessionCache();
		if (ctx->builtin != NULL) {
			SECMOD_UnloadUserModule(ctx->builtin);
			SECMOD_DestroyModule(ctx->builtin);
			ctx->builtin = NULL;
		}
		if (NSS_Shutdown() != SECSuccess)
			rc = -1;
		ctx->initialized = false;
	}
	PR_Cleanup();
	return rc;
}
