/*
 * check: monitoring verdict (see check.h).
 */
#include "check.h"

#include <stdarg.h>
#include <string.h>

#include <prerror.h>

#include "certinfo.h"
#include "names.h"
#include "ocspcheck.h"
#include "util.h"

static const char *const status_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

static void problem(struct report *r, enum check_code *code, enum check_code c,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Record one broken expectation; the verdict is the worst of them. */
static void
problem(struct report *r, enum check_code *code, enum check_code c,
    const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = xstrdup("?");
	va_end(ap);
	/* The same reason twice (a finding and an expectation) is said once. */
	for (size_t i = 0; i < r->n_check_problems && text != NULL; i++) {
		if (strcmp(r->check_problems[i], text) == 0) {
			free(text);
			text = NULL;
		}
	}
	if (text != NULL) {
		r->check_problems = xrealloc(r->check_problems,
		    (r->n_check_problems + 2) * sizeof(char *));
		r->check_problems[r->n_check_problems++] = text;
		r->check_problems[r->n_check_problems] = NULL;
	}
	/* UNKNOWN only wins when nothing was learnt about the service. */
	if (*code == CHECK_UNKNOWN || c == CHECK_UNKNOWN)
		*code = *code == CHECK_OK ? c : *code;
	else if (c > *code)
		*code = c;
}

static void
outcome_problems(struct report *r, const struct nsstls_opts *o,
    enum check_code *code)
{
	const char *name = r->error ? PR_ErrorToName(r->error) : NULL;
	char suffix[96] = "";

	if (name != NULL)
		snprintf(suffix, sizeof(suffix), " (%s)", name);
	switch (r->exit_code) {
	case NSSTLS_EXIT_OK:
		break;
	case NSSTLS_EXIT_USAGE:
	case NSSTLS_EXIT_SETUP:
		problem(r, code, CHECK_UNKNOWN, "%s%s", r->message ? r->message :
		    "setup failed", suffix);
		break;
	case NSSTLS_EXIT_REACH:
		/* A name that does not resolve says nothing about the service
		 * (plugin convention: UNKNOWN); a refused or silent port does. */
		problem(r, code, r->phase == PHASE_RESOLVE ? CHECK_UNKNOWN :
		    CHECK_CRITICAL, "%s%s", r->message ? r->message : "unreachable",
		    suffix);
		break;
	case NSSTLS_EXIT_VERIFY:
		/* The verdict's headline says which certificate and why. */
		if (r->verdict.headline != NULL && !r->verdict.ok)
			problem(r, code, CHECK_CRITICAL, "%s", r->verdict.headline);
		else
			problem(r, code, CHECK_CRITICAL, "certificate verification "
			    "failed%s", suffix);
		break;
	default:
		problem(r, code, CHECK_CRITICAL, "%s%s", r->message ? r->message :
		    "failed", suffix);
		break;
	}
	if (r->verify.done && r->verify.overridden)
		problem(r, code, CHECK_WARNING, "%s, ignored with --insecure",
		    r->verdict.headline != NULL ? r->verdict.headline :
		    "certificate verification failed");
	(void)o;
}

/* Days are counted once, from the verification time (verdict.c).  A
 * threshold of N alerts below N days, as the range "N:" of the perfdata
 * says. */
static void
expiry_problems(struct report *r, const struct nsstls_opts *o,
    enum check_code *code)
{
	long min = r->verdict.first_expiry_days;
	int which = r->verdict.first_expiry;

	if (which < 0 || min < 0)
		return;         /* expired: verification already says so */
	if (min < o->crit_days)
		problem(r, code, CHECK_CRITICAL, "certificate [%d] \"%s\" expires in "
		    "%ld days (--crit-days %d)", which, r->built[which].cert.subject,
		    min, o->crit_days);
	else if (min < o->warn_days)
		problem(r, code, CHECK_WARNING, "certificate [%d] \"%s\" expires in "
		    "%ld days (--warn-days %d)", which, r->built[which].cert.subject,
		    min, o->warn_days);
}

/* Warnings a monitor must not take for OK: what --allow-weak or --tls-min
 * let through. */
static bool
risk_accepted(const struct finding *f)
{
	return f->severity == SEV_WARNING && (strcmp(f->id, "weak-key") == 0 ||
	    strcmp(f->id, "weak-signature") == 0 ||
	    strcmp(f->id, "deprecated-protocol") == 0);
}

static void
expectation_problems(struct report *r, const struct nsstls_opts *o,
    enum check_code *code)
{
	const struct handshake_info *h;

	if (r->n_handshakes == 0)
		return;
	h = &r->handshakes[0];
	if (o->min_tls && h->version < o->min_tls)
		problem(r, code, CHECK_CRITICAL, "%s is below --min-tls %s",
		    names_version_str(h->version), names_version_str(o->min_tls));
	if (o->expect_alpn != NULL && strcmp(h->alpn, o->expect_alpn) != 0)
		problem(r, code, CHECK_CRITICAL, "ALPN %s, expected %s",
		    h->alpn[0] ? h->alpn : "none", o->expect_alpn);
	if (o->require_staple) {
		if (!r->staple.present)
			problem(r, code, CHECK_CRITICAL, "no OCSP staple "
			    "(--require-ocsp-staple)");
		else if (r->staple.problem != NULL || r->staple.status != OCSP_STATUS_GOOD)
			problem(r, code, CHECK_CRITICAL, "OCSP staple %s%s%s",
			    ocsp_status_str(r->staple.status),
			    r->staple.problem ? ": " : "",
			    r->staple.problem ? r->staple.problem : "");
	}
	if (o->forbid_weak) {
		if (!h->forward_secret)
			problem(r, code, CHECK_CRITICAL, "%s has no forward secrecy",
			    h->suite_name ? h->suite_name : "the suite");
		for (size_t i = 0; i < r->n_built; i++) {
			const struct chain_link *l = &r->built[i];

			if (strncmp(l->cert.key_type, "RSA", 3) == 0 &&
			    l->cert.key_bits < 2048)
				problem(r, code, CHECK_CRITICAL, "certificate [%zu] has "
				    "a %d-bit RSA key", i, l->cert.key_bits);
			if (l->cert.weak_hash != NULL && !(l->anchor && l->cert.self_signed))
				problem(r, code, CHECK_CRITICAL, "certificate [%zu] is "
				    "signed with %s", i, l->cert.weak_hash);
		}
	}
	/* Error findings that did not fail verification (must-staple,
	 * key size...) still deserve attention. */
	if (r->verify.done && r->verify.chain_ok && r->verify.name_ok)
		for (size_t i = 0; i < r->n_findings; i++)
			if (r->findings[i].severity == SEV_ERROR ||
			    risk_accepted(&r->findings[i]))
				problem(r, code, CHECK_WARNING, "%s", r->findings[i].text);
}

/* Revoked is CRITICAL, whatever --insecure did to the exit status; unknown
 * is at least WARNING: a source was given for the certificate and could
 * not be used, so nothing vouches for it. */
static void
revocation_problems(struct report *r, enum check_code *code)
{
	for (size_t i = 0; i < r->n_revocation; i++) {
		const struct cert_revocation *c = &r->revocation[i];

		if (c->status == REVOCATION_REVOKED)
			problem(r, code, CHECK_CRITICAL, "certificate [%zu] is revoked "
			    "(%s)", i, c->source != NULL ? c->source : "?");
		else if (c->status == REVOCATION_UNKNOWN)
			problem(r, code, CHECK_WARNING, "revocation of certificate "
			    "[%zu] unknown: %s", i, c->reason != NULL ? c->reason :
			    "no usable source");
	}
}

enum check_code
check_evaluate(struct report *r, const struct nsstls_opts *o)
{
	enum check_code code = CHECK_OK;
	char summary[512] = "";
	size_t used = 0;

	outcome_problems(r, o, &code);
	revocation_problems(r, &code);
	if (r->exit_code == NSSTLS_EXIT_OK) {
		expiry_problems(r, o, &code);
		expectation_problems(r, o, &code);
	}
	r->check_status = status_names[code];
	r->check_warn_days = o->warn_days;
	r->check_crit_days = o->crit_days;

	for (size_t i = 0; i < r->n_check_problems && used < sizeof(summary); i++)
		used += (size_t)snprintf(summary + used, sizeof(summary) - used,
		    "%s%s", i ? "; " : "", r->check_problems[i]);
	if (r->n_handshakes > 0 && used < sizeof(summary)) {
		const struct handshake_info *h = &r->handshakes[0];

		used += (size_t)snprintf(summary + used, sizeof(summary) - used,
		    "%s%s %s", used ? ", " : "", names_version_str(h->version),
		    h->suite_name ? h->suite_name : "?");
		if (r->n_built > 0 && code == CHECK_OK)
			snprintf(summary + used, sizeof(summary) - used,
			    ", certificate valid %ld days", r->built[0].cert.days_left);
	}
	free(r->check_line);
	r->check_line = xasprintf("TLS %s - %s:%u %s", r->check_status, r->host,
	    r->port, summary);
	return code;
}

static bool
in_problems(const struct report *r, const char *text)
{
	for (size_t i = 0; i < r->n_check_problems; i++)
		if (strstr(r->check_problems[i], text) != NULL)
			return true;
	return false;
}

/* Performance data (monitoring-plugins guidelines): 'label'=value[UOM]
 * [;warn[;crit]], thresholds as ranges ("30:" alerts below 30), times in
 * ms; no "|" when there is nothing to measure. */
static void
print_perfdata(FILE *f, const struct report *r)
{
	char perf[256] = "";
	size_t used = 0;

	if (r->verdict.first_expiry >= 0)
		used += (size_t)snprintf(perf + used, sizeof(perf) - used,
		    " days_left=%ld;%d:;%d:", r->verdict.first_expiry_days,
		    r->check_warn_days, r->check_crit_days);
	if (r->connected_index >= 0 && used < sizeof(perf))
		used += (size_t)snprintf(perf + used, sizeof(perf) - used,
		    " connect_time=%.3fms",
		    (double)r->attempts[r->connected_index].connect_us / 1000.0);
	if (r->n_handshakes > 0 && used < sizeof(perf))
		used += (size_t)snprintf(perf + used, sizeof(perf) - used,
		    " handshake_time=%.3fms", (double)report_handshake_us(r) / 1000.0);
	if (r->fetch_us > 0 && used < sizeof(perf))
		snprintf(perf + used, sizeof(perf) - used, " fetch_time=%.3fms",
		    (double)r->fetch_us / 1000.0);
	if (perf[0] != '\0')
		fprintf(f, " |%s", perf);
}

void
check_print(FILE *f, const struct report *r, bool long_output)
{
	/* The target and the problems may hold bytes from outside. */
	util_fputs_term(r->check_line, f);
	print_perfdata(f, r);
	fputc('\n', f);
	/* Long output: the other warnings and errors, each once. */
	for (size_t i = 0; long_output && i < r->n_findings; i++) {
		const struct finding *x = &r->findings[i];
		bool seen = false;

		/* Expiry is the status line's own threshold check. */
		if (x->severity == SEV_NOTE || x->in_headline ||
		    strcmp(x->id, "expires-soon") == 0 || in_problems(r, x->text))
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = r->findings[j].severity != SEV_NOTE &&
			    strcmp(r->findings[j].text, x->text) == 0;
		if (!seen) {
			fprintf(f, "%s: ", report_severity_str(x->severity));
			util_fputs_term(x->text, f);
			fputc('\n', f);
		}
	}
	fflush(f);
}
