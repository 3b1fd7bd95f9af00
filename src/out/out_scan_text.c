/*
 * out_scan_text: the text renderings of a scan — the grouped table,
 * --brief's few lines, and the --check status line.  Severity colour on a
 * terminal only, never with NO_COLOR.  Every string from the server
 * (certificate names, ALPN) is escaped before it is printed.
 */
#include "scan.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "names.h"
#include "rawhello.h"
#include "scan_suites.h"
#include "util.h"

static bool
colour(FILE *f)
{
	const char *nc = getenv("NO_COLOR");

	return (nc == NULL || nc[0] == '\0') && isatty(fileno(f));
}

/* "ERROR"/"WARNING"/"NOTE", or a suite's "weak"/"deprecated"/"ok", in
 * red, yellow or plain. */
static void
put_sev(FILE *f, const char *word, int level, int width)
{
	static const char *const sgr[] = { "", "\033[33m", "\033[31m" };

	if (colour(f) && level > 0)
		fprintf(f, "%s%-*s\033[0m", sgr[level], width, word);
	else
		fprintf(f, "%-*s", width, word);
}

static void
put_escaped(FILE *f, const char *s)
{
	char *e = util_escape(s ? s : "", s ? strlen(s) : 0, false);

	fputs(e, f);
	free(e);
}

static const char *
vname(uint16_t v)
{
	return v == RAWHELLO_SSL2 ? "SSLv2" : v == 0x0300 ? "SSLv3" :
	    names_version_str(v);
}

const char *
scan_group_name(unsigned g)
{
	static const struct { unsigned id; const char *name; } extra[] = {
		{ 0x001e, "x448" }, { 0x001f, "brainpoolP256r1tls13" },
		{ 0x0020, "brainpoolP384r1tls13" }, { 0x0021, "brainpoolP512r1tls13" },
		{ 0x11ec, "X25519MLKEM768" }, { 0x11eb, "SecP256r1MLKEM768" },
		{ 0x11ed, "SecP384r1MLKEM1024" }, { 0x6399, "X25519Kyber768Draft00" },
		{ 0x001a, "brainpoolP256r1" }, { 0x001b, "brainpoolP384r1" },
		{ 0x001c, "brainpoolP512r1" }, { 0x0016, "secp256k1" },
		{ 0x0015, "secp224r1" }, { 0x0014, "secp224k1" },
		{ 0x0013, "secp192r1" }, { 0x0012, "secp192k1" },
		{ 0x0011, "secp160r2" }, { 0x0010, "secp160r1" },
		{ 0x000f, "secp160k1" }, { 0x000e, "sect571r1" },
		{ 0x000d, "sect571k1" }, { 0x000c, "sect409r1" },
		{ 0x000b, "sect409k1" }, { 0x000a, "sect283r1" },
		{ 0x0009, "sect283k1" }, { 0x0008, "sect239k1" },
		{ 0x0007, "sect233r1" }, { 0x0006, "sect233k1" },
		{ 0x0005, "sect193r2" }, { 0x0004, "sect193r1" },
		{ 0x0003, "sect163r2" }, { 0x0002, "sect163r1" },
		{ 0x0001, "sect163k1" },
	};

	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (extra[i].id == g)
			return extra[i].name;
	return names_group_str((SSLNamedGroup)g);
}

static void
text_versions(FILE *f, const struct scan_result *res)
{
	fputs("Protocols\n", f);
	for (int i = 0; i < SCAN_N_VERSIONS; i++) {
		const struct scan_version *v = &res->versions[i];
		int level = v->state == SCAN_YES && v->version < 0x0303 ? 2 : 0;

		fprintf(f, "  %-9s ", vname(v->version));
		put_sev(f, scan_state_str(v->state), level, 0);
		fputc('\n', f);
	}
	if (res->f.fallback_scsv != SCAN_UNTESTED)
		fprintf(f, "  TLS_FALLBACK_SCSV %s\n",
		    res->f.fallback_scsv == SCAN_YES ? "honoured" :
		    res->f.fallback_scsv == SCAN_NO ? "ignored" : "unknown");
}

static void
text_suites(FILE *f, const struct scan_version *v, bool verbose)
{
	fprintf(f, "Cipher suites, %s (%s)\n", vname(v->version),
	    v->order == ORDER_SERVER ? "server order" :
	    v->order == ORDER_CLIENT ? "client order: the server follows the client" :
	    "one suite");
	for (size_t k = 0; k < v->n_suites; k++) {
		const struct scan_suite *s = &v->suites[k];
		const struct scan_suite_info *in = scan_suite_find(s->id);
		enum suite_severity sev = scan_suite_severity(s->id);

		fprintf(f, "  %-48s", in ? in->iana : names_cipher_str(s->id) ?
		    names_cipher_str(s->id) : "unknown");
		if (verbose)
			fprintf(f, " %-30s", in ? in->openssl : "");
		fprintf(f, " %-11s %4d  ", in ? scan_suite_kx(in) : "?", in ? in->bits : 0);
		put_sev(f, scan_suite_severity_str(sev), (int)sev, 10);
		if (s->kea_bits > 0 && s->group == 0 && in != NULL &&
		    strcmp(scan_suite_kx(in), "DHE") == 0)
			fprintf(f, " DH %d", s->kea_bits);
		else if (s->group != 0 && v->version < 0x0304)
			fprintf(f, " %s", scan_group_name(s->group));
		if (s->raw)
			fputs(" (raw probe)", f);
		fputc('\n', f);
	}
}

static void
text_groups(FILE *f, const struct scan_version *v)
{
	if (v->n_groups > 0) {
		fprintf(f, "Groups, %s:", vname(v->version));
		for (size_t k = 0; k < v->n_groups; k++)
			fprintf(f, "%s %s%s", k ? "," : "", scan_group_name(v->groups[k].id),
			    v->groups[k].hrr ? " (HRR even with its key share)" :
			    v->version == 0x0304 && !v->groups[k].share_tested ?
			    " (key share not tested)" : "");
		fputc('\n', f);
	}
	if (v->dh_bits > 0) {
		fprintf(f, "DHE parameters, %s: %d-bit ", vname(v->version), v->dh_bits);
		fprintf(f, "%s\n", v->dh_prime ? v->dh_prime : "custom prime");
	}
	if (v->n_sigalgs > 0) {
		fprintf(f, "Signature schemes, %s:", vname(v->version));
		for (size_t k = 0; k < v->n_sigalgs; k++)
			fprintf(f, "%s %s", k ? "," : "",
			    names_sigalg_str((SSLSignatureScheme)v->sigalgs[k]));
		fputc('\n', f);
	}
}

static void
text_certs(FILE *f, const struct scan_result *res)
{
	fputs("Certificates\n", f);
	for (size_t i = 0; i < res->n_certs; i++) {
		const struct report *r = res->certs[i].r;
		const struct cert_info *c = &r->sent[0];
		bool ok = r->verify.chain_ok && r->verify.name_ok;
		PRExplodedTime t;

		PR_ExplodeTime(c->not_after, PR_GMTParameters, &t);
		fprintf(f, "  [%s] ", res->certs[i].label);
		put_escaped(f, c->subject);
		fprintf(f, "\n    %s %d bits, expires %04d-%02d-%02d, sha256 %.16s..., ",
		    c->key_type ? c->key_type : "?", c->key_bits, t.tm_year,
		    t.tm_month + 1, t.tm_mday, c->sha256);
		put_sev(f, ok ? "verified" : "NOT VERIFIED", ok ? 0 : 2, 0);
		if (!ok && r->message != NULL) {
			fputs(": ", f);
			put_escaped(f, r->message);
		}
		fputc('\n', f);
		for (size_t k = 0; k < r->n_findings; k++) {
			fputs("    - ", f);
			put_escaped(f, r->findings[k].text);
			fputc('\n', f);
		}
	}
}

static void
feature(FILE *f, const char *what, enum scan_state s)
{
	fprintf(f, "  %-30s %s\n", what, scan_state_str(s));
}

/* 0-RTT: the state, then what became of the request and what the
 * tickets allow. */
static void
text_early(FILE *f, const struct scan_features *x)
{
	fprintf(f, "  %-30s %s", "0-RTT early data", scan_state_str(x->early_data));
	if (x->early_result == EARLY_ACCEPTED || x->early_result == EARLY_REJECTED)
		fprintf(f, " (%zu-byte request %s; tickets allow %lld bytes)",
		    x->early_sent, scan_early_str(x->early_result),
		    (long long)x->early_max);
	else if (x->early_result == EARLY_NOT_OFFERED)
		fputs(" (the tickets allow none)", f);
	else if (x->early_data == SCAN_NOT_TESTABLE)
		fputs(" (no harmless request in this protocol)", f);
	fputc('\n', f);
}

static void
text_features(FILE *f, const struct scan_result *res)
{
	const struct scan_features *x = &res->f;

	fputs("Features\n  ALPN                           ", f);
	if (x->n_alpn == 0)
		fputs("none of those asked", f);
	for (size_t i = 0; i < x->n_alpn; i++) {
		fputs(i ? ", " : "", f);
		put_escaped(f, x->alpn[i]);
	}
	fputc('\n', f);
	feature(f, "secure renegotiation", x->secure_reneg);
	feature(f, "client-initiated renegotiation", x->client_reneg);
	feature(f, "extended master secret", x->ems);
	feature(f, "resumption by session ID", x->resume_id);
	feature(f, "resumption by ticket (TLS 1.2)", x->resume_ticket);
	feature(f, "resumption (TLS 1.3)", x->resume_tls13);
	text_early(f, x);
	feature(f, "OCSP stapling", x->ocsp_stapling);
	feature(f, "SCTs", x->scts);
	feature(f, "TLS compression", x->compression);
	feature(f, "heartbeat extension", x->heartbeat);
	feature(f, "ECH (with --ech's configs)", x->ech);
}

static void
text_verdict(FILE *f, const struct scan_result *res)
{
	static const char *const words[] = { "NOTE", "WARNING", "ERROR" };

	fprintf(f, "Verdict against Mozilla's %s profile: %s\n", res->profile,
	    scan_check_code(res) == 2 ? "fails" :
	    scan_check_code(res) == 1 ? "passes with warnings" : "passes");
	for (size_t i = 0; i < res->n_findings; i++) {
		fputs("  ", f);
		put_sev(f, words[res->findings[i].severity],
		    (int)res->findings[i].severity, 8);
		fputc(' ', f);
		put_escaped(f, res->findings[i].text);  /* may quote a certificate */
		fputc('\n', f);
	}
}

void
out_scan_text(FILE *f, const struct scan_result *res, const struct report *r,
    const struct nsstls_opts *o)
{
	fputs("Scan of ", f);
	put_escaped(f, r->host);
	fprintf(f, ":%u: %u connections, %.2f s\n\n", r->port, res->connections,
	    res->duration_us / 1e6);
	text_versions(f, res);
	for (int i = SCAN_N_VERSIONS - 1; i >= 0; i--)
		if (res->versions[i].n_suites > 0) {
			fputc('\n', f);
			text_suites(f, &res->versions[i], o->verbose > 0);
		}
	fputc('\n', f);
	for (int i = SCAN_N_VERSIONS - 1; i >= 0; i--)
		text_groups(f, &res->versions[i]);
	fputc('\n', f);
	text_certs(f, res);
	fputc('\n', f);
	text_features(f, res);
	if (res->refusals > 0)
		fprintf(f, "  the server refused %u connections during the scan; "
		    "they were retried\n", res->refusals);
	fputc('\n', f);
	text_verdict(f, res);
}

static size_t
count_suites(const struct scan_result *res)
{
	size_t n = 0;

	for (int i = 0; i < SCAN_N_VERSIONS; i++)
		n += res->versions[i].n_suites;
	return n;
}

static void
put_versions(FILE *f, const struct scan_result *res, char sep)
{
	bool first = true;

	for (int i = 0; i < SCAN_N_VERSIONS; i++)
		if (res->versions[i].state == SCAN_YES) {
			if (!first)
				fputc(sep, f);
			fputs(vname(res->versions[i].version), f);
			first = false;
		}
}

void
out_scan_brief(FILE *f, const struct scan_result *res, const struct report *r,
    const struct nsstls_opts *o)
{
	size_t err = 0, warn = 0;

	for (size_t i = 0; i < res->n_findings; i++) {
		err += res->findings[i].severity == SEV_ERROR;
		warn += res->findings[i].severity == SEV_WARNING;
	}
	put_escaped(f, r->host);
	fprintf(f, ":%u: ", r->port);
	put_versions(f, res, ' ');
	fprintf(f, "; %zu suites; %zu certificate%s\n", count_suites(res),
	    res->n_certs, res->n_certs == 1 ? "" : "s");
	fprintf(f, "%s profile: %s (%zu errors, %zu warnings)\n", res->profile,
	    err ? "fails" : warn ? "passes with warnings" : "passes", err, warn);
	for (size_t i = 0; i < res->n_findings; i++)
		if (res->findings[i].severity == SEV_ERROR) {
			fputs("  ", f);
			put_escaped(f, res->findings[i].text);
			fputc('\n', f);
		}
	(void)o;
}

void
out_scan_check(FILE *f, const struct scan_result *res, const struct report *r,
    const struct nsstls_opts *o)
{
	static const char *const status[] = { "OK", "WARNING", "CRITICAL" };
	int code = scan_check_code(res);
	size_t shown = 0;

	fprintf(f, "TLS SCAN %s - ", status[code]);
	put_escaped(f, r->host);
	fprintf(f, ":%u %s profile", r->port, res->profile);
	for (size_t i = 0; i < res->n_findings; i++) {
		if ((int)res->findings[i].severity != code || code == 0)
			continue;
		fputs(shown++ ? "; " : ": ", f);
		put_escaped(f, res->findings[i].text);
	}
	fputs(" | versions=", f);
	put_versions(f, res, ',');
	fprintf(f, " suites=%zu", count_suites(res));
	for (int i = 0; i < SCAN_N_VERSIONS; i++)
		if (res->versions[i].n_suites > 0)
			fprintf(f, " suites_%s=%zu", vname(res->versions[i].version),
			    res->versions[i].n_suites);
	fprintf(f, " connections=%u scan_ms=%lld\n", res->connections,
	    (long long)(res->duration_us / 1000));
	(void)o;
}
