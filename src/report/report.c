/*
 * report: construction and destruction of the report model (see report.h).
 */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nss.h>

#include "util.h"

void
report_init(struct report *r, const char *host, uint16_t port)
{
	memset(r, 0, sizeof(*r));
	r->host = xstrdup(host != NULL ? host : "");
	r->port = port;
	r->connected_index = -1;
	r->started_at = PR_Now();
	r->verify.error_depth = -1;
	r->verdict.first_expiry = -1;
	r->phase = PHASE_SETUP;
	r->nss_version = NSS_GetVersion();
}

void
cert_info_free(struct cert_info *c)
{
	if (c == NULL)
		return;
	free(c->subject);
	free(c->issuer);
	free(c->serial);
	util_list_free(c->sans);
	free(c->key_type);
	free(c->key_curve);
	free(c->sig_alg);
	free(c->aia_ca_issuers);
	free(c->ocsp_url);
	free(c->der);
	memset(c, 0, sizeof(*c));
}

void
report_clear_chains(struct report *r)
{
	for (size_t i = 0; i < r->n_sent; i++)
		cert_info_free(&r->sent[i]);
	free(r->sent);
	r->sent = NULL;
	r->n_sent = 0;
	for (size_t i = 0; i < r->n_built; i++)
		cert_info_free(&r->built[i].cert);
	free(r->built);
	r->built = NULL;
	r->n_built = 0;
	free(r->verify.missing_issuer);
	memset(&r->verify, 0, sizeof(r->verify));
	free(r->verdict.headline);
	memset(&r->verdict, 0, sizeof(r->verdict));
	r->verdict.first_expiry = -1;
	r->verify.error_depth = -1;
	for (size_t i = 0; i < r->n_findings; i++)
		free(r->findings[i].text);
	free(r->findings);
	r->findings = NULL;
	r->n_findings = 0;
	ocsp_result_free(&r->staple);
	ocsp_result_free(&r->ocsp);
	for (size_t i = 0; i < r->n_crls; i++) {
		free(r->crls[i].file);
		free(r->crls[i].issuer);
		free(r->crls[i].problem);
	}
	free(r->crls);
	r->crls = NULL;
	r->n_crls = 0;
	for (size_t i = 0; i < r->n_revocation; i++) {
		free(r->revocation[i].source);
		free(r->revocation[i].reason);
	}
	free(r->revocation);
	r->revocation = NULL;
	r->n_revocation = 0;
	free(r->scts);
	r->scts = NULL;
	r->n_scts = 0;
	free(r->aia.url);
	cert_info_free(&r->aia.cert);
	free(r->aia.problem);
	memset(&r->aia, 0, sizeof(r->aia));
}

void
ocsp_result_free(struct ocsp_result *o)
{
	free(o->url);
	free(o->signer);
	free(o->problem);
	memset(o, 0, sizeof(*o));
	o->revocation_reason = -1;
}

void
report_add_finding(struct report *r, enum severity sev, const char *id,
    int cert, int sent, const char *fmt, ...)
{
	struct finding *f;
	va_list ap;

	r->findings = xrealloc(r->findings, (r->n_findings + 1) * sizeof(*f));
	f = &r->findings[r->n_findings++];
	memset(f, 0, sizeof(*f));
	f->severity = sev;
	f->id = id;
	f->cert = cert;
	f->sent = sent;
	va_start(ap, fmt);
	if (vasprintf(&f->text, fmt, ap) < 0)
		f->text = xstrdup(id);
	va_end(ap);
}

struct sct_info *
report_add_sct(struct report *r)
{
	struct sct_info *s;

	r->scts = xrealloc(r->scts, (r->n_scts + 1) * sizeof(*s));
	s = &r->scts[r->n_scts++];
	memset(s, 0, sizeof(*s));
	return s;
}

const char *
report_severity_str(enum severity s)
{
	switch (s) {
	case SEV_NOTE: return "note";
	case SEV_WARNING: return "warning";
	case SEV_ERROR: return "error";
	}
	return "?";
}

void
report_free(struct report *r)
{
	if (r == NULL)
		return;
	report_clear_chains(r);
	free(r->host);
	free(r->attempts);
	free(r->proxy.host);
	free(r->proxy.user);
	free(r->proxy.no_proxy_match);
	free(r->proxy.status_line);
	transcript_free(&r->proxy.transcript);
	transcript_free(&r->starttls.transcript);
	for (size_t i = 0; i < r->n_trust; i++) {
		free(r->trust[i].name);
		free(r->trust[i].detail);
	}
	free(r->trust);
	free(r->handshakes);
	for (size_t i = 0; i < r->n_reconnects; i++)
		free(r->reconnects[i].problem);
	free(r->reconnects);
	util_list_free(r->client_auth.ca_names);
	free(r->client_auth.sent_subject);
	free(r->client_auth.not_sent_reason);
	free(r->client_auth.chosen_from_db);
	free(r->ech.dns_name);
	free(r->ech.config_list);
	free(r->ech.config_list_b64);
	free(r->ech.public_name);
	free(r->ech.inner_name);
	free(r->ech.retry_configs);
	for (size_t i = 0; i < r->n_keying; i++) {
		free(r->keying[i].label);
		free(r->keying[i].context);
		free(r->keying[i].hex);
	}
	free(r->keying);
	free(r->message);
	free(r->check_line);
	util_list_free(r->check_problems);
	memset(r, 0, sizeof(*r));
}

struct addr_attempt *
report_add_attempt(struct report *r, const char *addr)
{
	struct addr_attempt *a;

	r->attempts = xrealloc(r->attempts,
	    (r->n_attempts + 1) * sizeof(*r->attempts));
	a = &r->attempts[r->n_attempts++];
	memset(a, 0, sizeof(*a));
	snprintf(a->addr, sizeof(a->addr), "%s", addr);
	return a;
}

void
report_add_trust(struct report *r, const char *name, const char *detail,
    int anchors)
{
	struct trust_source *t;

	r->trust = xrealloc(r->trust, (r->n_trust + 1) * sizeof(*r->trust));
	t = &r->trust[r->n_trust++];
	t->name = xstrdup(name);
	t->detail = xstrdup(detail != NULL ? detail : "");
	t->anchors = anchors;
}

struct handshake_info *
report_add_handshake(struct report *r)
{
	struct handshake_info *h;

	r->handshakes = xrealloc(r->handshakes,
	    (r->n_handshakes + 1) * sizeof(*r->handshakes));
	h = &r->handshakes[r->n_handshakes++];
	memset(h, 0, sizeof(*h));
	return h;
}

void
report_add_alert(struct report *r, bool sent, unsigned level, unsigned desc)
{
	/* NSS's PR_Recv returns 0 for a close_notify and for a bare TCP FIN
	 * alike; only the alert tells them apart. */
	if (!sent && desc == 0)
		r->close_notify_received = true;
	if (r->n_alerts >= sizeof(r->alerts) / sizeof(r->alerts[0]))
		return;
	r->alerts[r->n_alerts].sent = sent;
	r->alerts[r->n_alerts].level = level;
	r->alerts[r->n_alerts].desc = desc;
	r->n_alerts++;
}

void
transcript_free(struct transcript *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->lines[i].text);
	free(t->lines);
	memset(t, 0, sizeof(*t));
}

void
report_fail(struct report *r, enum phase phase, PRErrorCode err,
    enum nsstls_exit code, const char *fmt, ...)
{
	va_list ap;

	r->phase = phase;
	r->error = err;
	r->exit_code = code;
	free(r->message);
	r->message = NULL;
	if (fmt != NULL) {
		va_start(ap, fmt);
		if (vasprintf(&r->message, fmt, ap) < 0)
			r->message = NULL;
		va_end(ap);
	}
}

const char *
report_phase_str(enum phase p)
{
	switch (p) {
	case PHASE_SETUP: return "setup";
	case PHASE_RESOLVE: return "resolve";
	case PHASE_CONNECT: return "connect";
	case PHASE_PROXY: return "proxy";
	case PHASE_STARTTLS: return "starttls";
	case PHASE_HANDSHAKE: return "handshake";
	case PHASE_RENEGOTIATE: return "renegotiation";
	case PHASE_KEY_UPDATE: return "key update";
	case PHASE_DATA: return "data";
	case PHASE_VERIFY: return "verify";
	case PHASE_DONE: return "done";
	}
	return "?";
}

int64_t
report_handshake_us(const struct report *r)
{
	int64_t us;

	if (r->n_handshakes == 0)
		return -1;
	us = r->handshakes[0].duration_us - r->fetch_us;
	return us > 0 ? us : 0;
}

/* The rank of a revocation verdict: the stronger word wins. */
static int
revocation_rank(enum revocation_status s)
{
	switch (s) {
	case REVOCATION_REVOKED:
		return 3;
	case REVOCATION_GOOD:
		return 2;
	case REVOCATION_UNKNOWN:
		return 1;
	case REVOCATION_NOT_CHECKED:
		break;
	}
	return 0;
}

void
report_revocation(struct report *r, size_t cert, enum revocation_status status,
    const char *source, PRTime revoked_at, const char *reason)
{
	struct cert_revocation *v;

	if (cert >= r->n_revocation)
		return;
	v = &r->revocation[cert];
	if (revocation_rank(status) <= revocation_rank(v->status) &&
	    !(status == v->status && v->source == NULL && v->reason == NULL))
		return;
	free(v->source);
	free(v->reason);
	v->status = status;
	v->source = source != NULL ? xstrdup(source) : NULL;
	v->revoked_at = revoked_at;
	v->reason = reason != NULL ? xstrdup(reason) : NULL;
}

const char *
report_revocation_str(enum revocation_status s)
{
	switch (s) {
	case REVOCATION_GOOD:
		return "good";
	case REVOCATION_REVOKED:
		return "revoked";
	case REVOCATION_UNKNOWN:
		return "unknown";
	case REVOCATION_NOT_CHECKED:
		break;
	}
	return "not_checked";
}
