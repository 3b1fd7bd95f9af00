/*
 * out_text: human-readable rendering of the report model (see out_text.h).
 * Layout: what was reached, what was trusted, what the server sent, what
 * NSS built, the verdict in plain words, then the channel.
 */
#include "out_text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <prerror.h>
#include <secerr.h>
#include <ssl.h>
#include <sslerr.h>

#include "certinfo.h"
#include "names.h"
#include "ocspcheck.h"
#include "util.h"

static const char *
err_name(PRErrorCode err)
{
	const char *n = PR_ErrorToName(err);

	return n != NULL ? n : "UNKNOWN_ERROR";
}

static void
fmt_time(PRTime t, char *buf, size_t len)
{
	cert_format_time(t, true, buf, len);
}

static void
fmt_date(PRTime t, char *buf, size_t len)
{
	cert_format_time(t, false, buf, len);
}

static double
ms(int64_t us)
{
	return (double)us / 1000.0;
}

/* More certificates than this in a list: the ones outside the chain
 * are counted, not listed (-v lists them). */
#define SENT_LISTED 20

/* Days are counted once, from the verification time (verdict.c). */
static void
print_validity(FILE *f, const struct cert_info *c, PRTime when)
{
	char nb[40], na[40];
	long left = c->days_left;

	fmt_time(c->not_before, nb, sizeof(nb));
	fmt_time(c->not_after, na, sizeof(na));
	fprintf(f, "      Valid        %s to %s", nb, na);
	if (c->not_before > when)
		fprintf(f, " (NOT YET VALID: starts in %ld days)\n",
		    cert_days_between(when, c->not_before));
	else if (left < 0)
		fprintf(f, " (EXPIRED %ld days ago)\n", -left);
	else
		fprintf(f, " (%ld days left)\n", left);
}

static void
print_cert(FILE *f, const struct cert_info *c, int verbose, PRTime when)
{
	fprintf(f, "      Issuer       %s\n", c->issuer);
	print_validity(f, c, when);
	if (c->n_sans > 0) {
		fputs("      Names        ", f);
		for (size_t i = 0; i < c->n_sans; i++)
			fprintf(f, "%s%s", i ? ", " : "", c->sans[i]);
		fputc('\n', f);
	}
	fprintf(f, "      Key          %s %d bits%s%s\n", c->key_type, c->key_bits,
	    c->key_curve ? ", " : "", c->key_curve ? c->key_curve : "");
	fprintf(f, "      Signature    %s\n", c->sig_alg);
	fprintf(f, "      Serial       %s\n", c->serial);
	fprintf(f, "      SHA-256      %s\n", c->sha256);
	if (verbose > 0 || c->is_ca) {
		fprintf(f, "      CA           %s%s", c->is_ca ? "yes" : "no",
		    c->self_signed ? ", self-signed" : "");
		if (c->path_len >= 0)
			fprintf(f, ", path length %d", c->path_len);
		fputc('\n', f);
	}
	if (verbose == 0)
		return;
	if (c->has_key_usage) {
		const char *ku[8];
		size_t n = cert_key_usage_names(c->key_usage, ku);

		fputs("      Key usage   ", f);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%s%s", i ? ", " : " ", ku[i]);
		fputc('\n', f);
	}
	if (c->has_eku)
		fprintf(f, "      Ext. usage   serverAuth %s, clientAuth %s\n",
		    c->eku_server_auth ? "yes" : "no", c->eku_client_auth ? "yes" : "no");
	if (c->must_staple)
		fputs("      Must staple  yes (TLS feature extension)\n", f);
	if (c->ocsp_url != NULL)
		fprintf(f, "      OCSP         %s\n", c->ocsp_url);
	if (c->aia_ca_issuers != NULL)
		fprintf(f, "      CA issuers   %s\n", c->aia_ca_issuers);
	if (c->weak_hash != NULL)
		fprintf(f, "      Weak hash    %s\n", c->weak_hash);
}

static void
print_transcript(FILE *f, const struct transcript *t)
{
	for (size_t i = 0; i < t->n; i++)
		fprintf(f, "    %s %s\n", t->lines[i].from_server ? "S:" : "C:",
		    t->lines[i].text);
	if (t->truncated)
		fputs("    (later lines were not kept)\n", f);
}

/* The proxy and the STARTTLS dialogue; their transcripts with -v, and
 * always when that is where the run failed. */
static void
print_plaintext(FILE *f, const struct report *r, const struct nsstls_opts *o,
    bool failures_only)
{
	const struct proxy_info *p = &r->proxy;
	const struct starttls_info *s = &r->starttls;
	bool failed = r->exit_code != NSSTLS_EXIT_OK;
	bool proxy_failed = failed && r->phase == PHASE_PROXY;
	bool starttls_failed = failed && r->phase == PHASE_STARTTLS;

	if (p->host != NULL && !p->used && !failures_only)
		fprintf(f, "  Proxy            none: no_proxy entry \"%s\" names the "
		    "target (%s gave %s port %u)\n", p->no_proxy_match, p->source,
		    p->host, p->port);
	if (p->used && (!failures_only || proxy_failed)) {
		fprintf(f, "  Proxy            %s port %u (from %s)%s%s\n", p->host,
		    p->port, p->source, p->user ? ", user " : "",
		    p->user ? p->user : "");
		if (p->status_line != NULL)
			fprintf(f, "  Tunnel           %s (%.1f ms)\n", p->status_line,
			    ms(p->duration_us));
		if (o->verbose > 0 || proxy_failed)
			print_transcript(f, &p->transcript);
	}
	if (s->protocol != NULL && (!failures_only || starttls_failed)) {
		fprintf(f, "  STARTTLS         %s", s->protocol);
		if (s->by_port)
			fprintf(f, " (by port %u)", r->port);
		if (s->name != NULL)
			fprintf(f, ", %s %s", s->name_field, s->name);
		if (s->ok)
			fprintf(f, ": the server is ready for TLS (%.1f ms)\n",
			    ms(s->duration_us));
		else
			fprintf(f, ": FAILED after %.1f ms\n", ms(s->duration_us));
		if (o->verbose > 0 || starttls_failed)
			print_transcript(f, &s->transcript);
	}
}

static void
print_reach(FILE *f, const struct report *r, const struct nsstls_opts *o)
{
	/* A single failed address is said by the error line already. */
	if (o->verbose > 0 || (r->connected_index < 0 && r->n_attempts > 1)) {
		for (size_t i = 0; i < r->n_attempts; i++) {
			const struct addr_attempt *a = &r->attempts[i];

			if (a->error != 0)
				fprintf(f, "Trying %s port %u: failed after %.1f ms: %s (%s)\n",
				    a->addr, r->port, ms(a->connect_us),
				    PR_ErrorToString(a->error, PR_LANGUAGE_I_DEFAULT),
				    err_name(a->error));
		}
	}
	if (r->connected_index >= 0) {
		const struct addr_attempt *a = &r->attempts[r->connected_index];

		/* Through a proxy, the addresses tried are the proxy's. */
		fprintf(f, "Connected to %s%s (%s) port %u in %.1f ms",
		    r->proxy.used ? "proxy " : "",
		    r->proxy.used ? r->proxy.host : r->host, a->addr,
		    r->proxy.used ? r->proxy.port : r->port, ms(a->connect_us));
		if (o->verbose > 0)
			fprintf(f, " (resolved in %.1f ms)", ms(r->resolve_us));
		fputc('\n', f);
	}
	if (r->connected_index >= 0 || o->verbose > 0)
		print_plaintext(f, r, o, false);
	if (r->connected_index >= 0 || o->verbose > 0) {
		fprintf(f, "  SNI              %s\n",
		    r->servername ? r->servername : "(none)");
		fprintf(f, "  Verified name    %s\n", r->verify_name);
	}
}

static void
print_trust(FILE *f, const struct report *r)
{
	if (r->n_trust == 0) {
		fputs("Trust: no trust anchors loaded\n", f);
		return;
	}
	fputs("Trust sources:\n", f);
	for (size_t i = 0; i < r->n_trust; i++) {
		const struct trust_source *t = &r->trust[i];

		if (strcmp(t->name, "builtin") == 0) {
			fprintf(f, "  %-16s NSS built-in roots (%s)", t->name, t->detail);
		} else {
			/* A file name may hold a line end of its own. */
			fprintf(f, "  %-16s ", t->name);
			util_fputs_term(t->detail, f);
		}
		if (t->anchors >= 0)
			fprintf(f, ", %d anchor%s", t->anchors, t->anchors == 1 ? "" : "s");
		fputc('\n', f);
	}
	if (r->allow_weak)
		fputs("Policy: allow-weak (--allow-weak: weak keys and SHA-1/MD5 "
		    "signatures accepted)\n", f);
}

static bool
sent_in_chain(const struct report *r, size_t i)
{
	for (size_t k = 0; k < r->n_built; k++)
		if (r->built[k].sent_index == (int)i)
			return true;
	return i == 0;
}

static void
print_sent(FILE *f, const struct report *r, const struct nsstls_opts *o)
{
	bool all = o->verbose > 0 || r->n_sent <= SENT_LISTED;
	size_t skipped = 0;

	if (r->source_file != NULL) {
		fputs("Certificates in ", f);
		util_fputs_term(r->source_file, f);
		fprintf(f, " (%zu):\n", r->n_sent);
	} else {
		fprintf(f, "Certificate chain sent by the server (%zu):\n", r->n_sent);
	}
	for (size_t i = 0; i < r->n_sent; i++) {
		if (!all && !sent_in_chain(r, i)) {
			skipped++;
			continue;
		}
		fprintf(f, "  [%zu] %s\n", i, r->sent[i].subject);
		print_cert(f, &r->sent[i], o->verbose, r->verify_time);
	}
	if (skipped > 0)
		fprintf(f, "  (%zu more, not part of the chain NSS built; -v lists "
		    "them)\n", skipped);
}

/* One certificate's verdict in words; NSS says "expired" for both ends of
 * the validity period, so the dates decide which. */
static void
print_problem(FILE *f, const struct report *r, const struct chain_link *l)
{
	char d[24];
	const char *words;

	switch (l->error) {
	case SEC_ERROR_EXPIRED_CERTIFICATE:
	case SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE:
		if (l->cert.not_before > r->verify_time) {
			fmt_date(l->cert.not_before, d, sizeof(d));
			fprintf(f, "      Problem      not valid yet: valid from %s (%s)\n",
			    d, err_name(l->error));
			return;
		}
		if (l->cert.not_after < r->verify_time) {
			fmt_date(l->cert.not_after, d, sizeof(d));
			fprintf(f, "      Problem      expired on %s (%s)\n", d,
			    err_name(l->error));
			return;
		}
		words = PR_ErrorToString(l->error, PR_LANGUAGE_I_DEFAULT);
		break;
	case SEC_ERROR_CA_CERT_INVALID:
		words = l->cert.self_signed && !l->cert.is_ca ?
		    "self-signed, and not a CA certificate that could be an anchor" :
		    "used as a CA but not a CA certificate";
		break;
	case SEC_ERROR_UNKNOWN_ISSUER:
		words = l->cert.self_signed ? "self-signed and not trusted" :
		    "its issuer is unknown";
		break;
	case SEC_ERROR_REVOKED_CERTIFICATE:
		words = "revoked";
		break;
	default:
		words = PR_ErrorToString(l->error, PR_LANGUAGE_I_DEFAULT);
		break;
	}
	fprintf(f, "      Problem      %s (%s)\n", words, err_name(l->error));
}

static void
print_built(FILE *f, const struct report *r, const struct nsstls_opts *o)
{
	fprintf(f, "Chain built by NSS (%zu):\n", r->n_built);
	for (size_t i = 0; i < r->n_built; i++) {
		const struct chain_link *l = &r->built[i];

		fprintf(f, "  [%zu] %s\n", i, l->cert.subject);
		if (l->origin == ORIGIN_SERVER)
			fprintf(f, "      From         %s (sent as [%d])\n",
			    r->source_file ? "the file" : "the server", l->sent_index);
		else if (l->source >= 0)
			fprintf(f, "      From         local trust source: %s %s\n",
			    r->trust[l->source].name, r->trust[l->source].detail);
		else
			fputs("      From         local certificate store\n", f);
		if (l->anchor)
			fputs("      Anchor       yes: trusted as a CA for TLS servers\n", f);
		if (l->error != 0)
			print_problem(f, r, l);
		/* Certificates the server sent are described above. */
		if (l->origin == ORIGIN_LOCAL)
			print_cert(f, &l->cert, o->verbose, r->verify_time);
	}
	if (r->verify.missing_issuer != NULL)
		fprintf(f, "  (chain ends: issuer \"%s\" was not sent by the server "
		    "and is in no trust source)\n", r->verify.missing_issuer);
}

static void
print_ocsp(FILE *f, const char *label, const struct ocsp_result *o)
{
	char t1[40], t2[40];

	if (!o->present && o->problem == NULL) {
		fprintf(f, "  %-16s none\n", label);
		return;
	}
	fprintf(f, "  %-16s %s", label, !o->present ? "not obtained" :
	    o->status == OCSP_STATUS_NONE ? "received, with no status for this "
	    "certificate" : ocsp_status_str(o->status));
	if (o->url != NULL) {
		/* The URL and the signer's name come from the certificate and
		 * the response as they are: a line end in them stays escaped. */
		fputs(" from ", f);
		util_fputs_term(o->url, f);
	}
	if (o->status == OCSP_STATUS_REVOKED) {
		fmt_time(o->revoked_at, t1, sizeof(t1));
		fprintf(f, ", revoked %s, reason %s", t1,
		    ocsp_reason_str(o->revocation_reason));
	}
	fputc('\n', f);
	if (o->present) {
		fprintf(f, "    For this cert  %s\n", o->for_this_cert ? "yes" : "NO");
		fprintf(f, "    Signature      %s%s", o->signature_ok ? "valid" :
		    "NOT VALID", o->signer ? ", signed by " : "");
		util_fputs_term(o->signer ? o->signer : "", f);
		fputc('\n', f);
		if (o->this_update != 0) {
			fmt_time(o->this_update, t1, sizeof(t1));
			if (o->next_update != 0)
				fmt_time(o->next_update, t2, sizeof(t2));
			fprintf(f, "    Updated        %s, next update %s%s\n", t1,
			    o->next_update ? t2 : "not given", o->stale ? " (STALE)" : "");
		}
		if (o->produced_at != 0) {
			fmt_time(o->produced_at, t1, sizeof(t1));
			fprintf(f, "    Produced       %s\n", t1);
		}
	}
	if (o->problem != NULL)
		fprintf(f, "    Problem        %s (%s)\n", o->problem, err_name(o->error));
}

static void
print_crl(FILE *f, const struct crl_result *c)
{
	char t[40];

	fprintf(f, "  %-16s ", "CRL");
	util_fputs_term(c->file, f);
	if (c->count > 1)
		fprintf(f, " #%u", c->position);
	fputs(": ", f);
	if (c->revoked_cert >= 0) {
		fmt_time(c->revoked_at, t, sizeof(t));
		fprintf(f, "certificate [%d] REVOKED on %s", c->revoked_cert, t);
	} else if (c->cert < 0) {
		fputs("meant for no certificate of this chain", f);
	} else if (c->problem != NULL) {
		fprintf(f, "UNUSABLE for certificate [%d]: ", c->cert);
		util_fputs_term(c->problem, f);
	} else {
		fprintf(f, "certificate [%d] not listed", c->cert);
	}
	fputs(" (issuer ", f);
	util_fputs_term(c->issuer != NULL ? c->issuer : "?", f);
	fputs(")\n", f);
}

static const char *
revocation_word(enum revocation_status s)
{
	switch (s) {
	case REVOCATION_GOOD:
		return "good";
	case REVOCATION_REVOKED:
		return "REVOKED";
	case REVOCATION_UNKNOWN:
		return "UNKNOWN";
	case REVOCATION_NOT_CHECKED:
		break;
	}
	return "not checked";
}

/* One line per certificate of the chain, once any source was asked. */
static void
print_cert_revocation(FILE *f, const struct report *r)
{
	char label[48], t[40];

	for (size_t i = 0; i < r->n_revocation; i++) {
		const struct cert_revocation *c = &r->revocation[i];

		snprintf(label, sizeof(label), "Certificate [%zu]", i);
		fprintf(f, "  %-16s %s", label, revocation_word(c->status));
		if (c->status == REVOCATION_REVOKED) {
			fmt_time(c->revoked_at, t, sizeof(t));
			fprintf(f, " on %s", t);
		}
		if (c->status == REVOCATION_UNKNOWN && c->reason != NULL)
			fprintf(f, ": %s\n", c->reason);
		else if (c->source != NULL)
			fprintf(f, " (%s)\n", c->source);
		else if (c->reason != NULL)
			fprintf(f, " (%s)\n", c->reason);
		else
			fputc('\n', f);
	}
}

static void
print_revocation(FILE *f, const struct report *r, const struct nsstls_opts *o)
{
	if (r->source_file != NULL && !o->ocsp && r->n_crls == 0)
		return;         /* offline: no staple, nothing asked */
	fputs("Revocation:\n", f);
	if (r->source_file == NULL)
		print_ocsp(f, "OCSP staple", &r->staple);
	if (o->ocsp)
		print_ocsp(f, "OCSP responder", &r->ocsp);
	for (size_t i = 0; i < r->n_crls; i++)
		print_crl(f, &r->crls[i]);
	if (r->staple.present || o->ocsp || r->n_crls > 0)
		print_cert_revocation(f, r);
}

static void
print_scts(FILE *f, const struct report *r)
{
	char t[40];

	if (r->n_scts == 0) {
		fputs("Signed certificate timestamps: none\n", f);
		return;
	}
	fprintf(f, "Signed certificate timestamps (%zu):\n", r->n_scts);
	for (size_t i = 0; i < r->n_scts; i++) {
		const struct sct_info *s = &r->scts[i];

		fmt_time(s->timestamp, t, sizeof(t));
		fprintf(f, "  [%zu] v%d log %s\n      %s, from the %s, "
		    "hash %u signature %u\n", i, s->version + 1, s->log_id, t,
		    strcmp(s->source, "certificate") == 0 ? "certificate" :
		    "TLS extension", s->hash_alg, s->sig_alg);
	}
}

static void
print_findings(FILE *f, const struct report *r)
{
	if (r->n_findings == 0) {
		fputs("Findings: none\n", f);
		return;
	}
	fprintf(f, "Findings (%zu):\n", r->n_findings);
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct finding *x = &r->findings[i];

		fprintf(f, "  %-7s %s: %s\n", report_severity_str(x->severity),
		    x->id, x->text);
	}
}

static void
print_client_auth(FILE *f, const struct report *r)
{
	const struct client_auth_info *c = &r->client_auth;

	if (!c->requested)
		return;
	fprintf(f, "Client certificate: requested by the server%s\n",
	    c->post_handshake ? " after the handshake" : "");
	if (c->n_ca_names == 0)
		fputs("  Accepted CAs     any (the server named none)\n", f);
	for (size_t i = 0; i < c->n_ca_names; i++) {
		/* Names the server sent, as NSS wrote them out. */
		fprintf(f, "  %-16s ", i == 0 ? "Accepted CAs" : "");
		util_fputs_term(c->ca_names[i], f);
		fputc('\n', f);
	}
	if (c->sent_subject != NULL)
		fprintf(f, "  Sent             %s\n", c->sent_subject);
	if (c->chosen_from_db != NULL)
		fprintf(f, "  Chosen           automatically from --db: %s\n",
		    c->chosen_from_db);
	if (c->sent_subject == NULL)
		fprintf(f, "  Not sent         %s\n", c->not_sent_reason ?
		    c->not_sent_reason : "no certificate");
}

/* The verdict as verdict.c worded it. */
static void
print_verdict(FILE *f, const struct report *r)
{
	const struct verify_result *v = &r->verify;
	const char *headline = r->verdict.headline;

	if (!v->done)
		return;
	if (r->verdict.ok) {
		fprintf(f, "Verification: OK (%s)\n", headline ? headline : "");
		return;
	}
	if (headline != NULL)
		fprintf(f, "Verification: FAILED: %s\n", headline);
	else    /* no certificate at all: nothing for verdict.c to word */
		fprintf(f, "Verification: FAILED: %s (%s)\n",
		    PR_ErrorToString(v->error, PR_LANGUAGE_I_DEFAULT),
		    err_name(v->error));
	if (v->overridden)
		fputs("  --insecure: going on despite the failure\n", f);
}

static void
print_handshake(FILE *f, const struct report *r, const struct handshake_info *h,
    size_t index)
{
	if (index == 0 && r->fetch_us > 0)
		fprintf(f, "TLS handshake done in %.1f ms (and %.1f ms of OCSP/AIA "
		    "fetches)\n", ms(report_handshake_us(r)), ms(r->fetch_us));
	else if (index == 0)
		fprintf(f, "TLS handshake done in %.1f ms\n", ms(h->duration_us));
	else
		fprintf(f, "Renegotiation %zu done in %.1f ms\n", index,
		    ms(h->duration_us));
	fprintf(f, "  Protocol               %s\n", names_version_str(h->version));
	fprintf(f, "  Cipher suite           %s (0x%04x)\n",
	    h->suite_name ? h->suite_name : "unknown", h->suite);
	fprintf(f, "  Key exchange           %s", names_group_str(h->group));
	if (h->kea_bits > 0)
		fprintf(f, ", %d bits", h->kea_bits);
	if (h->hrr)
		fprintf(f, " after HelloRetryRequest (first offered %s)",
		    names_group_str(h->first_group));
	fputc('\n', f);
	fprintf(f, "  Signature              %s\n", names_sigalg_str(h->sig_scheme));
	fprintf(f, "  ALPN                   %s\n", h->alpn[0] ? h->alpn : "none");
	if (h->resumed)
		fprintf(f, "  Resumed                yes, by %s\n", h->resumed_by ?
		    h->resumed_by : "?");
	else
		fputs("  Resumed                no\n", f);
	fprintf(f, "  Extended master secret %s\n", h->ems ? "yes" : "no");
	fprintf(f, "  Forward secrecy        %s\n", h->forward_secret ? "yes" :
	    "NO (static RSA key exchange)");
}

static void
print_alerts(FILE *f, const struct report *r)
{
	for (size_t i = 0; i < r->n_alerts; i++)
		fprintf(f, "Alert %s: %s %s\n", r->alerts[i].sent ? "sent" : "received",
		    r->alerts[i].level == 2 ? "fatal" : "warning",
		    names_alert_str(r->alerts[i].desc));
}

static void
print_reconnects(FILE *f, const struct report *r)
{
	if (r->n_reconnects == 0)
		return;
	fprintf(f, "Reconnections (%zu)%s:\n", r->n_reconnects, r->tickets_awaited ?
	    " after waiting for the TLS 1.3 session tickets" : "");
	for (size_t i = 0; i < r->n_reconnects; i++) {
		const struct reconnect_info *c = &r->reconnects[i];
		const struct handshake_info *h = &c->hs;

		if (!c->ok) {
			fprintf(f, "  [%zu] failed: %s", i + 1, c->problem);
			if (c->error != 0)
				fprintf(f, " (%s)", err_name(c->error));
			fputc('\n', f);
			continue;
		}
		fprintf(f, "  [%zu] %s, %s, %s in %.1f ms", i + 1,
		    h->resumed ? "resumed" : "NOT resumed (full handshake)",
		    names_version_str(h->version), h->suite_name ? h->suite_name : "?",
		    ms(h->duration_us));
		if (h->resumed)
			fprintf(f, " by %s, %.1f ms %s than the first", h->resumed_by,
			    ms(c->saved_us >= 0 ? c->saved_us : -c->saved_us),
			    c->saved_us >= 0 ? "faster" : "slower");
		fputc('\n', f);
		if (c->early_data_sent > 0)
			fprintf(f, "      0-RTT        %zu bytes sent as early data, %s\n",
			    c->early_data_sent, h->early_data_accepted ? "accepted" :
			    "REJECTED by the server (not sent again)");
		else if (c->early_data_wanted)
			fputs("      0-RTT        not sent: NSS was not offered early data "
			    "for this session (not resumed, or the ticket allows none)\n", f);
	}
}

/* Post-handshake actions; brief mode gets one line per renegotiation. */
static void
print_actions(FILE *f, const struct report *r, bool brief)
{
	if (brief)
		for (size_t i = 1; i < r->n_handshakes; i++)
			fprintf(f, "Renegotiation %zu done: %s, %s\n", i,
			    names_version_str(r->handshakes[i].version),
			    r->handshakes[i].suite_name ? r->handshakes[i].suite_name : "?");
	if (r->key_update_sent)
		fprintf(f, "KeyUpdate sent%s\n", r->key_update_requested ?
		    " (the server was asked to update its keys too)" : "");
}

/* Encrypted Client Hello: what was offered and what the server did. */
static void
print_ech(FILE *f, const struct report *r)
{
	const struct ech_info *e = &r->ech;
	const char *state;

	if (e->mode == ECH_OFF || r->connected_index < 0)
		return;
	if (e->mode == ECH_GREASE) {
		fputs("ECH: GREASE sent (a placeholder extension: no configuration, "
		    "the server name is not hidden)\n", f);
		return;
	}
	state = e->accepted ? "accepted" : e->rejected ? "REJECTED" : "offered";
	fprintf(f, "ECH: %s (outer name %s, inner name %s)\n", state,
	    e->public_name ? e->public_name : "?",
	    e->inner_name ? e->inner_name : "?");
	if (e->dns_name != NULL)
		fprintf(f, "  Configuration    from the DNS HTTPS record of %s\n",
		    e->dns_name);
	if (e->rejected)
		fprintf(f, "  Server saw       only the outer name %s; the inner "
		    "ClientHello was not decrypted\n", e->public_name);
	if (e->public_name_verified)
		fprintf(f, "  Certificate      checked against the public name %s\n",
		    e->public_name);
	if (e->retry_configs != NULL)
		fprintf(f, "  Retry configs    %s\n", e->retry_configs);
}

/* --export-keying-material, one line each. */
static void
print_keying(FILE *f, const struct report *r)
{
	for (size_t i = 0; i < r->n_keying; i++) {
		const struct keying_material *k = &r->keying[i];

		fprintf(f, "Keying material \"%s\" (%u bytes, ", k->label, k->length);
		if (k->context == NULL)
			fputs("no context", f);
		else if (k->context[0] == '\0')
			fputs("empty context", f);
		else
			fprintf(f, "context \"%s\"", k->context);
		fprintf(f, "): %s\n", k->hex);
	}
}

static void
print_brief(FILE *f, const struct report *r)
{
	if (r->connected_index >= 0 && r->n_handshakes > 0) {
		const struct handshake_info *h = &r->handshakes[0];

		if (r->proxy.used)
			fprintf(f, "Connected to %s port %u via proxy %s (%s) port %u",
			    r->host, r->port, r->proxy.host,
			    r->attempts[r->connected_index].addr, r->proxy.port);
		else
			fprintf(f, "Connected to %s (%s) port %u", r->host,
			    r->attempts[r->connected_index].addr, r->port);
		fprintf(f, ": %s, %s, %s%s%s\n", names_version_str(h->version),
		    h->suite_name ? h->suite_name : "?", names_group_str(h->group),
		    h->alpn[0] ? ", ALPN " : "", h->alpn);
	}
	if (r->n_sent > 0) {
		char d[24];

		long left = r->sent[0].days_left;

		fmt_date(r->sent[0].not_after, d, sizeof(d));
		if (left >= 0)
			fprintf(f, "Certificate: %s (expires %s, %ld days left)\n",
			    r->sent[0].subject, d, left);
		else
			fprintf(f, "Certificate: %s (EXPIRED %s, %ld days ago)\n",
			    r->sent[0].subject, d, -left);
	}
	print_verdict(f, r);
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].severity != SEV_NOTE)
			fprintf(f, "%s: %s\n", report_severity_str(r->findings[i].severity),
			    r->findings[i].text);
	print_actions(f, r, true);
}

/* The TLS records counted under SSL (trace.c). */
static void
print_wire(FILE *f, const struct report *r, const char *what)
{
	if (!r->wire_seen)
		return;
	fprintf(f, "%s: %llu sent (%llu bytes), %llu received (%llu bytes)\n",
	    what, (unsigned long long)r->wire_sent.records,
	    (unsigned long long)r->wire_sent.bytes,
	    (unsigned long long)r->wire_received.records,
	    (unsigned long long)r->wire_received.bytes);
}

static void
print_keylog(FILE *f, const struct report *r)
{
	const struct keylog_result *k = &r->keylog;

	if (k->file == NULL)
		return;
	if (k->lines > 0) {
		fprintf(f, "Key log: %zu line%s appended to ", k->lines,
		    k->lines == 1 ? "" : "s");
		util_fputs_term(k->file, f);
		fprintf(f, "%s%s%s\n", r->n_reconnects > 0 ?
		    " (and the reconnections' own)" : "",
		    k->note[0] ? "; then " : "", k->note);
	} else if (k->note[0] != '\0') {
		fprintf(f, "Key log: not written: %s\n", k->note);
	} else {
		fputs("Key log: nothing written to ", f);
		util_fputs_term(k->file, f);
		fprintf(f, ": %s\n", r->wire_seen ? "no TLS 1.3 secret was derived" :
		    "no TLS connection was made");
	}
}

/* Every string in the report came from outside (servers, certificates,
 * files, arguments), and a hostile one must not drive the terminal: the
 * text is rendered into memory and written through util_escape_term,
 * which keeps the renderer's own line ends and escapes everything else. */
static FILE *
term_open(char **buf, size_t *len)
{
	FILE *m = open_memstream(buf, len);

	if (m == NULL)
		abort();        /* out of memory */
	return m;
}

static void
term_close(FILE *m, char **buf, size_t *len, FILE *f)
{
	char *e;

	fclose(m);
	e = util_escape_term(*buf, *len, true);
	fputs(e, f);
	fflush(f);
	free(e);
	free(*buf);
}

static void
render_report(FILE *f, const struct report *r, const struct nsstls_opts *o)
{
	if (o->brief) {
		print_plaintext(f, r, o, true);
		print_brief(f, r);
		print_ech(f, r);
		print_keying(f, r);
		print_keylog(f, r);
		return;
	}
	print_reach(f, r, o);
	if (r->connected_index >= 0 || r->source_file != NULL || o->verbose > 0)
		print_trust(f, r);
	if (r->n_sent > 0) {
		print_sent(f, r, o);
		print_built(f, r, o);
	}
	if (r->verify.done) {
		print_revocation(f, r, o);
		print_scts(f, r);
		print_findings(f, r);
	}
	print_verdict(f, r);
	print_client_auth(f, r);
	for (size_t i = 0; i < r->n_handshakes; i++)
		print_handshake(f, r, &r->handshakes[i], i);
	print_ech(f, r);
	print_reconnects(f, r);
	print_actions(f, r, false);
	print_keying(f, r);
	print_keylog(f, r);
	if (o->verbose > 0 || o->trace)
		print_wire(f, r, "TLS records");
	if (o->verbose > 0 || r->exit_code != NSSTLS_EXIT_OK)
		print_alerts(f, r);
}

/* Render into memory, then write it escaped for the terminal whole. */
static void
render_escaped(FILE *f, void (*render)(FILE *, const struct report *,
    const struct nsstls_opts *), const struct report *r,
    const struct nsstls_opts *o)
{
	char *buf;
	size_t len;
	FILE *m;

	if (o->quiet)
		return;
	m = term_open(&buf, &len);
	render(m, r, o);
	term_close(m, &buf, &len, f);
}

void
out_text_report(FILE *f, const struct report *r, const struct nsstls_opts *o)
{
	render_escaped(f, render_report, r, o);
}

void
out_text_error(FILE *f, const struct report *r)
{
	if (r->exit_code == NSSTLS_EXIT_OK)
		return;
	/* One line, whatever the message holds. */
	fprintf(f, "nsstls: %s: ", report_phase_str(r->phase));
	util_fputs_term(r->message ? r->message : "failed", f);
	if (r->error != 0)
		fprintf(f, " (%s)", err_name(r->error));
	fputc('\n', f);
	fflush(f);
}

static void
render_session_end(FILE *f, const struct report *r,
    const struct nsstls_opts *o)
{
	if (r->peer_key_update_seen)
		fputs("The server updated its keys (KeyUpdate received)\n", f);
	/* A TLS 1.3 request after the handshake comes after the report. */
	if (r->client_auth.post_handshake)
		print_client_auth(f, r);
	if (o->verbose > 0 && r->first_byte_us > 0)
		fprintf(f, "First byte from the server %.1f ms after the handshake\n",
		    ms(r->first_byte_us));
	if (o->verbose > 0)
		fprintf(f, "Connection closed %s: %llu bytes sent, %llu bytes "
		    "received\n", r->peer_closed ? "by the server" : "by nsstls",
		    (unsigned long long)r->bytes_sent,
		    (unsigned long long)r->bytes_received);
	/* Many HTTP/1.0 servers just close; a cut connection looks the same. */
	if (r->peer_closed && !r->close_notify_received)
		fputs("The server closed without close_notify (the data may be "
		    "truncated)\n", f);
	if (o->verbose > 0 || o->trace)
		print_wire(f, r, "TLS records before closing");
}

void
out_text_session_end(FILE *f, const struct report *r,
    const struct nsstls_opts *o)
{
	render_escaped(f, render_session_end, r, o);
}

int
out_text_pem_chain(FILE *f, const struct report *r, bool built)
{
	size_t n = built ? r->n_built : r->n_sent;

	for (size_t i = 0; i < n; i++) {
		const struct cert_info *c = built ? &r->built[i].cert : &r->sent[i];

		fprintf(f, "# [%zu] ", i);
		util_fputs_term(c->subject, f);
		fputc('\n', f);
		if (cert_write_pem(f, c->der, c->der_len) != 0)
			return -1;
	}
	return fflush(f) == 0 ? 0 : -1;
}

void
out_text_handshake(FILE *f, const struct report *r, size_t index)
{
	print_handshake(f, r, &r->handshakes[index], index);
}

void
out_text_alerts(FILE *f, const struct report *r)
{
	print_alerts(f, r);
}
