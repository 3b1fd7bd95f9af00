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
	r->check_problems = xrealloc(r->check_problems,
	    (r->n_check_problems + 2) * sizeof(char *));
	r->check_problems[r->n_check_problems++] = text;
	r->check_problems[r->n_check_problems] = NULL;
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
		problem(r, code, CHECK_CRITICAL, "certificate verification failed%s",
		    suffix);
		break;
	default:
		problem(r, code, CHECK_CRITICAL, "%s%s", r->message ? r->message :
		    "failed", suffix);
		break;
	}
	if (r->verify.done && r->verify.overridden)
		problem(r, code, CHECK_WARNING, "certificate verification failed "
		    "(%s), ignored with --insecure", PR_ErrorToName(r->verify.error) ?
		    PR_ErrorToName(r->verify.error) : "?");
	(void)o;
}

static void
expiry_problems(struct report *r, const struct nsstls_opts *o,
    enum check_code *code)
{
	long min = 0;
	int which = -1;

	for (size_t i = 0; i < r->n_built; i++) {
		long left = cert_days_left(r->built[i].cert.not_after);

		if (which < 0 || left < min) {
			min = left;
			which = (int)i;
		}
	}
	if (which < 0 || min < 0)
		return;         /* expired: verification already says so */
	if (min <= o->crit_days)
		problem(r, code, CHECK_CRITICAL, "certificate [%d] \"%s\" expires in "
		    "%ld days (--crit-days %d)", which, r->built[which].cert.subject,
		    min, o->crit_days);
	else if (min <= o->warn_days)
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
			    ", certificate valid %ld days",
			    cert_days_left(r->built[0].cert.not_after));
	}
	free(r->check_line);
	r->check_line = xasprintf("TLS %s - %s:%u %s", r->check_status, r->host,
	    r->port, summary);
	return code;
}

void
check_print(FILE *f, const struct report *r)
{
	long min = 0;
	bool have = false;

	/* The target and the problems may hold bytes from outside. */
	util_fputs_term(r->check_line, f);
	/* Performance data: 'label'=value[UOM];warn;crit (plugin guidelines). */
	fputs(" |", f);
	for (size_t i = 0; i < r->n_built; i++) {
		long left = cert_days_left(r->built[i].cert.not_after);

		if (!have || left < min)
			min = left;
		have = true;
	}
	if (have)
		fprintf(f, " days_left=%ld;%d;%d", min, r->check_warn_days,
		    r->check_crit_days);
	if (r->connected_index >= 0)
		fprintf(f, " connect_ms=%.3f",
		    (double)r->attempts[r->connected_index].connect_us / 1000.0);
	if (r->n_handshakes > 0)
		fprintf(f, " handshake_ms=%.3f",
		    (double)r->handshakes[0].duration_us / 1000.0);
	fputc('\n', f);
	fflush(f);
}
