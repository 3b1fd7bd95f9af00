/*
 * scan_profile: the judgement of a scan — each suite's severity, and
 * findings against Mozilla's server-side TLS profiles (modern,
 * intermediate, old; https://wiki.mozilla.org/Security/Server_Side_TLS,
 * version 5.7): ERROR for what the profile forbids, WARNING for what it
 * discourages, NOTE for what is worth knowing.
 */
#include "scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prerror.h>

#include "names.h"
#include "rawhello.h"
#include "scan_suites.h"

struct profile {
	const char *name;
	uint16_t min, max;               /* versions allowed */
	const char *const *suites12;     /* OpenSSL names, NULL-terminated */
	bool ecdsa_cert;                 /* the certificate should be ECDSA */
};

static const char *const intermediate12[] = {
	"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
	"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
	"ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
	"DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384",
	"DHE-RSA-CHACHA20-POLY1305", NULL,
};

static const char *const old12[] = {
	"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
	"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
	"ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
	"DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384",
	"DHE-RSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES128-SHA256",
	"ECDHE-RSA-AES128-SHA256", "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA",
	"ECDHE-ECDSA-AES256-SHA384", "ECDHE-RSA-AES256-SHA384",
	"ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA", "DHE-RSA-AES128-SHA256",
	"DHE-RSA-AES256-SHA256", "AES128-GCM-SHA256", "AES256-GCM-SHA384",
	"AES128-SHA256", "AES256-SHA256", "AES128-SHA", "AES256-SHA",
	"DES-CBC3-SHA", NULL,
};

static const char *const none12[] = { NULL };

static const struct profile profiles[] = {
	{ "modern", 0x0304, 0x0304, none12, true },
	{ "intermediate", 0x0303, 0x0304, intermediate12, false },
	{ "old", 0x0301, 0x0304, old12, false },
};

/* ---- suites ---------------------------------------------------------- */

const struct scan_suite_info *
scan_suite_find(uint16_t id)
{
	size_t lo = 0, hi = scan_suites_len;

	/* The table is sorted by id (the generator sorts it). */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (scan_suites[mid].id == id)
			return &scan_suites[mid];
		if (scan_suites[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

enum suite_severity
scan_suite_severity(uint16_t id)
{
	const struct scan_suite_info *s = scan_suite_find(id);

	if (s == NULL)
		return SUITE_WEAK;
	if (s->export_grade || s->bits < 112 || strcmp(s->au, "None") == 0 ||
	    strcmp(s->enc, "None") == 0 || strcmp(s->enc, "RC4") == 0 ||
	    strncmp(s->enc, "DES", 3) == 0 || strcmp(s->enc, "3DES") == 0 ||
	    strcmp(s->mac, "MD5") == 0 || strcmp(s->enc, "RC2") == 0 ||
	    strcmp(s->enc, "IDEA") == 0)
		return SUITE_WEAK;
	if (strcmp(s->mac, "AEAD") != 0 || strcmp(s->kx, "RSA") == 0 ||
	    strncmp(s->kx, "DH/", 3) == 0 || strncmp(s->kx, "ECDH/", 5) == 0)
		return SUITE_DEPRECATED;
	return SUITE_OK;
}

const char *
scan_suite_severity_str(enum suite_severity s)
{
	return s == SUITE_OK ? "ok" : s == SUITE_DEPRECATED ? "deprecated" : "weak";
}

const char *
scan_suite_kx(const struct scan_suite_info *s)
{
	if (strcmp(s->kx, "any") == 0)
		return "TLS 1.3";
	if (strcmp(s->au, "None") == 0)
		return strncmp(s->kx, "ECDH", 4) == 0 ? "ECDH anon" : "DH anon";
	if (strcmp(s->kx, "ECDH") == 0)
		return "ECDHE";
	if (strcmp(s->kx, "DH") == 0)
		return "DHE";
	if (strncmp(s->kx, "DH/", 3) == 0 || strncmp(s->kx, "ECDH/", 5) == 0)
		return strncmp(s->kx, "EC", 2) == 0 ? "static ECDH" : "static DH";
	return s->kx;               /* RSA, RSA(512), GOST, ... */
}

/* ---- the verdict ----------------------------------------------------- */

static const struct profile *
profile_get(const char *name)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (strcmp(profiles[i].name, name) == 0)
			return &profiles[i];
	return &profiles[1];
}

static bool
in_list(const char *const *list, const char *name)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

static const char *
version_name(uint16_t v)
{
	return v == RAWHELLO_SSL2 ? "SSLv2" : v == 0x0300 ? "SSLv3" :
	    names_version_str(v);
}

static void
judge_versions(struct scan_result *res, const struct profile *p)
{
	for (int i = 0; i < SCAN_N_VERSIONS; i++) {
		const struct scan_version *v = &res->versions[i];
		bool allowed = v->version >= p->min && v->version <= p->max;

		if (v->state == SCAN_YES && !allowed)
			scan_add_finding(res, SEV_ERROR, "version-forbidden",
			    "%s is accepted; the %s profile forbids it", version_name(v->version),
			    p->name);
		if (v->state == SCAN_NO && allowed && v->version >= 0x0303)
			scan_add_finding(res, SEV_WARNING, "version-missing",
			    "%s is not accepted; the %s profile recommends it",
			    version_name(v->version), p->name);
	}
}

/* One finding per version and kind: the suites the profile does not
 * list, and the broken ones, each named. */
static void
suite_finding(struct scan_result *res, const struct scan_version *v,
    bool weak, const struct profile *p)
{
	char *list = NULL;
	size_t len = 0, n = 0;
	FILE *m = open_memstream(&list, &len);

	if (m == NULL)
		abort();
	for (size_t k = 0; k < v->n_suites; k++) {
		const struct scan_suite_info *s = scan_suite_find(v->suites[k].id);
		bool is_weak = scan_suite_severity(v->suites[k].id) == SUITE_WEAK;
		bool listed = s != NULL && (v->version == 0x0304 ?
		    v->suites[k].id <= 0x1303 : in_list(p->suites12, s->openssl));

		if (is_weak != weak || (!weak && listed))
			continue;
		fprintf(m, "%s%s", n++ ? ", " : "", s ? s->iana : "unknown suite");
	}
	fclose(m);
	if (n > 0 && weak)
		scan_add_finding(res, SEV_ERROR, "suite-weak",
		    "%s accepts %zu broken suite%s: %s", version_name(v->version),
		    n, n == 1 ? "" : "s", list);
	else if (n > 0)
		scan_add_finding(res, SEV_WARNING, "suite-outside-profile",
		    "%s accepts %zu suite%s the %s profile does not list: %s",
		    version_name(v->version), n, n == 1 ? "" : "s", p->name, list);
	free(list);
}
static void
judge_suites(struct scan_result *res, const struct profile *p)
{
	for (int i = 0; i < SCAN_N_VERSIONS; i++) {
		const struct scan_version *v = &res->versions[i];

		/* A forbidden version is one finding, not one per suite. */
		if (v->version < p->min || v->version > p->max)
			continue;
		suite_finding(res, v, true, p);
		suite_finding(res, v, false, p);
	}
}

/* Why a certificate failed, in the words of connect mode: its first
 * error finding, else NSS's error name. */
static const char *
cert_reason(const struct report *r)
{
	for (size_t k = 0; k < r->n_findings; k++)
		if (r->findings[k].severity == SEV_ERROR && r->findings[k].text != NULL)
			return r->findings[k].text;
	return r->verify.error ? PR_ErrorToName(r->verify.error) : "unknown reason";
}

static void
judge_certs(struct scan_result *res, const struct profile *p)
{
	for (size_t i = 0; i < res->n_certs; i++) {
		const struct report *r = res->certs[i].r;
		const struct cert_info *c = &r->sent[0];

		if (!(r->verify.chain_ok && r->verify.name_ok))
			scan_add_finding(res, SEV_ERROR, "certificate-invalid",
			    "the certificate found by %s probes (%s) fails verification: %s",
			    res->certs[i].label, c->subject ? c->subject : "?",
			    cert_reason(r));
		if (p->ecdsa_cert && c->key_type != NULL && strcmp(c->key_type, "EC") != 0)
			scan_add_finding(res, SEV_WARNING, "certificate-key-type",
			    "the certificate found by %s probes has a %s key; the %s "
			    "profile wants ECDSA P-256", res->certs[i].label, c->key_type,
			    p->name);
	}
}

static void
judge_features(struct scan_result *res)
{
	const struct scan_features *f = &res->f;

	if (f->compression == SCAN_YES)
		scan_add_finding(res, SEV_ERROR, "compression",
		    "TLS compression is accepted (CRIME)");
	if (f->secure_reneg == SCAN_NO)
		scan_add_finding(res, SEV_ERROR, "insecure-renegotiation",
		    "no secure renegotiation (RFC 5746)");
	if (f->client_reneg == SCAN_YES)
		scan_add_finding(res, SEV_WARNING, "client-renegotiation",
		    "the server lets clients renegotiate (a denial-of-service lever)");
	if (f->fallback_scsv == SCAN_NO)
		scan_add_finding(res, SEV_WARNING, "no-fallback-scsv",
		    "TLS_FALLBACK_SCSV is not honoured: a downgrade goes unnoticed");
	if (f->ems == SCAN_NO)
		scan_add_finding(res, SEV_NOTE, "no-ems",
		    "no extended master secret (RFC 7627) below TLS 1.3");
	if (f->heartbeat == SCAN_YES)
		scan_add_finding(res, SEV_NOTE, "heartbeat",
		    "the heartbeat extension is accepted");
	if (res->incomplete)
		scan_add_finding(res, SEV_WARNING, "scan-incomplete", "%s",
		    res->incomplete_why);
}

void
scan_profile_judge(struct scan_result *res, const struct nsstls_opts *o)
{
	const struct profile *p = profile_get(o->scan_profile ? o->scan_profile :
	    "intermediate");

	res->profile = p->name;
	judge_versions(res, p);
	judge_suites(res, p);
	judge_certs(res, p);
	judge_features(res);
}

int
scan_check_code(const struct scan_result *res)
{
	int code = 0;

	for (size_t i = 0; i < res->n_findings; i++) {
		if (res->findings[i].severity == SEV_ERROR)
			return 2;
		if (res->findings[i].severity == SEV_WARNING)
			code = 1;
	}
	return code;
}
