/*
 * diagnose: chain findings (see diagnose.h).
 */
#include "diagnose.h"

#include <string.h>

#include <certt.h>
#include <prtime.h>
#include <secerr.h>
#include <sslproto.h>

#include "certinfo.h"
#include "ocspcheck.h"
#include "policy.h"
#include "util.h"
#include "verdict.h"


/* CA/Browser Forum Baseline Requirements 6.3.2: at most 398 days for
 * certificates issued since 2020-09-01. */
#define CABF_MAX_DAYS 398
#define CABF_SINCE ((PRTime)1598918400 * PR_USEC_PER_SEC)   /* 2020-09-01 */

/* More unused certificates than this are summarised in one finding. */
#define UNUSED_LISTED 5

static void
date(PRTime t, char *buf, size_t len)
{
	cert_format_time(t, false, buf, len);
}

/* Who provided the certificates: offline (--print-cert) there is no
 * server, only a file. */
static const char *
sender(const struct report *r)
{
	return r->source_file != NULL ? "the file" : "the server";
}

static void
name_findings(struct report *r, const struct nsstls_opts *o)
{
	char names[512] = "";
	size_t used = 0;

	if (!r->verify.name_checked || r->verify.name_ok || r->n_built == 0)
		return;
	for (size_t i = 0; i < r->built[0].cert.n_sans && used < sizeof(names); i++)
		used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
		    i ? ", " : "", r->built[0].cert.sans[i]);
	report_add_finding(r, SEV_ERROR, "name-mismatch", 0, r->built[0].sent_index,
	    "the certificate is not valid for \"%s\"; it names %s%s%s%s",
	    r->verify_name, names[0] ? names : "no DNS or IP names (subject only: ",
	    names[0] ? "" : r->built[0].cert.subject, names[0] ? "" : ")",
	    /* r->verify_name: the ECH public name when ECH was rejected,
	     * which was the SNI of the hello the server answered. */
	    o->servername != NULL && !r->ech.public_name_verified &&
	    strcmp(o->servername, r->verify_name) != 0 ?
	    " (the SNI sent was a different name)" : "");
}

static void
chain_end_findings(struct report *r)
{
	size_t last = r->n_built - 1;
	const struct chain_link *l = &r->built[last];

	if (r->verify.missing_issuer != NULL) {
		const char *id = last == 0 || !l->cert.is_ca ? "missing-intermediate" :
		    "unknown-issuer";
		char aia[1024] = "";

		if (l->cert.aia_ca_issuers != NULL)
			snprintf(aia, sizeof(aia), " (its AIA caIssuers URL: %s)",
			    l->cert.aia_ca_issuers);
		if (strcmp(id, "missing-intermediate") == 0)
			report_add_finding(r, SEV_ERROR, id, (int)last, l->sent_index,
			    "the intermediate certificate \"%s\" that issued [%zu] "
			    "is %s, and no trust source has it%s",
			    r->verify.missing_issuer, last, r->source_file != NULL ?
			    "not in the file" : "not sent by the server", aia);
		else
			report_add_finding(r, SEV_ERROR, id, (int)last, l->sent_index,
			    "the chain ends at \"%s\", whose issuer \"%s\" is in no "
			    "trust source: an untrusted root, or a missing "
			    "intermediate%s", l->cert.subject, r->verify.missing_issuer, aia);
		if (r->aia.attempted) {
			if (!r->aia.fetched)
				report_add_finding(r, SEV_NOTE, "aia-fetch", (int)last, -1,
				    "--aia-fetch: %s", r->aia.problem);
			else if (r->aia.would_verify)
				report_add_finding(r, SEV_NOTE, "aia-fetch", (int)last, -1,
				    "--aia-fetch: fetched \"%s\" from %s; with it the chain "
				    "would verify, so the server should send it",
				    r->aia.cert.subject, r->aia.url);
			else
				report_add_finding(r, SEV_NOTE, "aia-fetch", (int)last, -1,
				    "--aia-fetch: fetched \"%s\" from %s, but the chain "
				    "would still not verify (%s)", r->aia.cert.subject,
				    r->aia.url, PR_ErrorToName(r->aia.verify_error) ?
				    PR_ErrorToName(r->aia.verify_error) : "error");
		}
		return;
	}
	if (l->anchor)
		return;
	/* A trust source that has the root without trusting it distrusts
	 * it; otherwise no source has it at all. */
	if (last == 0 && l->cert.self_signed)
		report_add_finding(r, SEV_ERROR, "self-signed", 0, l->sent_index,
		    "%s is self-signed and %s", r->verify.as_ca ? "the CA "
		    "certificate" : r->source_file != NULL ? "the certificate" :
		    "the server's certificate", l->source >= 0 ? "its trust source "
		    "does not trust it" : "in no trust source");
	else if (l->cert.self_signed && l->source >= 0)
		report_add_finding(r, SEV_ERROR, "untrusted-root", (int)last,
		    l->sent_index, "the chain ends at the root \"%s\", which the "
		    "trust source %s has but does not trust", l->cert.subject,
		    r->trust[l->source].name);
	else if (l->cert.self_signed)
		report_add_finding(r, SEV_ERROR, "untrusted-root", (int)last,
		    l->sent_index, "the chain ends at the root \"%s\", which is "
		    "in no trust source", l->cert.subject);
}

static bool
in_built(const struct report *r, size_t sent)
{
	for (size_t k = 0; k < r->n_built; k++)
		if (r->built[k].sent_index == (int)sent)
			return true;
	return false;
}

static size_t
unused_count(const struct report *r)
{
	size_t n = 0;

	for (size_t i = 1; i < r->n_sent; i++)
		if (!in_built(r, i) && !(r->sent[i].self_signed && r->sent[i].is_ca))
			n++;
	return n;
}

/* Hundreds of unused certificates make one finding, not hundreds: how
 * many were sent, which ones the chain uses. */
static void
too_many_finding(struct report *r, size_t unused)
{
	char used[256] = "";
	size_t len = 0, n_used = 0;

	for (size_t i = 0; i < r->n_sent && len < sizeof(used); i++) {
		size_t j = i;

		if (!in_built(r, i))
			continue;
		while (j + 1 < r->n_sent && in_built(r, j + 1))
			j++;
		n_used += j - i + 1;
		len += j == i ? (size_t)snprintf(used + len, sizeof(used) - len,
		    "%s[%zu]", len ? ", " : "", i) : (size_t)snprintf(used + len,
		    sizeof(used) - len, "%s[%zu]-[%zu]", len ? ", " : "", i, j);
		i = j;
	}
	report_add_finding(r, SEV_WARNING, "too-many-certificates", -1, -1,
	    "%s %s %zu certificates; the chain uses %zu of them (%s), %zu others "
	    "are not part of the chain to the anchor", sender(r),
	    r->source_file != NULL ? "holds" : "sent", r->n_sent, n_used,
	    used[0] ? used : "none", unused);
}

static void
sent_list_findings(struct report *r)
{
	size_t unused = unused_count(r);

	if (unused > UNUSED_LISTED)
		too_many_finding(r, unused);
	for (size_t i = 1; i < r->n_sent; i++) {
		const struct cert_info *prev = &r->sent[i - 1], *c = &r->sent[i];
		bool in_path = false;

		if (!prev->self_signed && strcmp(prev->issuer, c->subject) != 0) {
			for (size_t j = i + 1; j < r->n_sent; j++) {
				if (strcmp(r->sent[j].subject, prev->issuer) == 0) {
					report_add_finding(r, SEV_WARNING, "wrong-order", -1,
					    (int)j, "%s has its certificates out of "
					    "order: the issuer of [%zu] comes at [%zu], not "
					    "right after it", sender(r), i - 1, j);
					break;
				}
			}
		}
		/* Offline, a root in the file costs nothing. */
		if (c->self_signed && c->is_ca && r->source_file == NULL)
			report_add_finding(r, SEV_NOTE, "root-sent", -1, (int)i,
			    "the server sends the root \"%s\" [%zu]; clients must "
			    "already have it, so it only costs bytes", c->subject, i);
		in_path = in_built(r, i);
		if (!in_path && !(c->self_signed && c->is_ca) &&
		    unused <= UNUSED_LISTED)
			report_add_finding(r, SEV_WARNING, "unused-certificate", -1,
			    (int)i, "%s %s \"%s\" [%zu], which is not part of the "
			    "chain to the anchor", sender(r), r->source_file != NULL ?
			    "holds" : "sent", c->subject, i);
	}
}

/* Does the chain end at an anchor of a public trust store? */
static bool
publicly_trusted(const struct report *r)
{
	const struct chain_link *l = &r->built[r->n_built - 1];

	if (!l->anchor || l->source < 0)
		return false;
	return strcmp(r->trust[l->source].name, "builtin") == 0 ||
	    strcmp(r->trust[l->source].name, "system") == 0;
}

static void
validity_findings(struct report *r, const struct nsstls_opts *o)
{
	PRTime when = r->verify_time;
	char d[24];

	for (size_t i = 0; i < r->n_built; i++) {
		const struct cert_info *c = &r->built[i].cert;

		if (c->not_after < when) {
			date(c->not_after, d, sizeof(d));
			report_add_finding(r, SEV_ERROR, "expired", (int)i,
			    r->built[i].sent_index, "certificate [%zu] \"%s\" expired on "
			    "%s, %ld days ago", i, c->subject, d,
			    cert_days_between(c->not_after, when));
		} else if (c->not_before > when) {
			date(c->not_before, d, sizeof(d));
			long in = cert_days_between(when, c->not_before);

			report_add_finding(r, SEV_ERROR, "not-yet-valid", (int)i,
			    r->built[i].sent_index, "certificate [%zu] \"%s\" is not "
			    "valid before %s, in %ld day%s", i, c->subject, d, in,
			    in == 1 ? "" : "s");
		}
	}
	if (r->n_built > 0) {
		const struct cert_info *leaf = &r->built[0].cert;
		long left = cert_days_between(when, leaf->not_after);

		if (leaf->not_after >= when && left < o->warn_days) {
			date(leaf->not_after, d, sizeof(d));
			report_add_finding(r, SEV_WARNING, "expires-soon", 0,
			    r->built[0].sent_index, "the certificate expires on %s, in "
			    "%ld days (--warn-days %d)", d, left, o->warn_days);
		}
		/* The limit binds publicly trusted CAs; for a private CA it is
		 * only worth a note.  It is about server certificates. */
		if (!r->verify.as_ca && leaf->not_before >= CABF_SINCE &&
		    cert_days_between(leaf->not_before, leaf->not_after) > CABF_MAX_DAYS)
			report_add_finding(r, publicly_trusted(r) ? SEV_WARNING : SEV_NOTE,
			    "long-validity", 0, r->built[0].sent_index, "the certificate "
			    "is valid for %ld days; publicly trusted certificates may "
			    "last %d at most", cert_days_between(leaf->not_before,
			    leaf->not_after), CABF_MAX_DAYS);
	}
}

static void
ca_findings(struct report *r)
{
	for (size_t i = 1; i < r->n_built; i++) {
		const struct cert_info *c = &r->built[i].cert;

		if (!c->is_ca)
			report_add_finding(r, SEV_ERROR, "not-a-ca", (int)i,
			    r->built[i].sent_index, "\"%s\" [%zu] issued [%zu] but is "
			    "not a CA certificate (basic constraints)", c->subject, i,
			    i - 1);
		/* pathLen counts the intermediates below this CA, the leaf
		 * excluded: links 1 .. i-1. */
		else if (c->path_len >= 0 && (long)i - 1 > c->path_len)
			report_add_finding(r, SEV_ERROR, "path-length", (int)i,
			    r->built[i].sent_index, "\"%s\" [%zu] allows %d "
			    "intermediate%s below it, the chain has %zu", c->subject,
			    i, c->path_len, c->path_len == 1 ? "" : "s", i - 1);
	}
}

/* Verification is bounded: by --timeout, and by a limit on name-constraint
 * comparisons that refuses a chain built to make NSS work for seconds. */
static void
limit_findings(struct report *r)
{
	if (r->verify.timed_out_ms > 0)
		report_add_finding(r, SEV_ERROR, "verification-timeout", -1, -1,
		    "verification did not finish in %ld.%03ld s (--timeout): the "
		    "chain is too costly to verify", r->verify.timed_out_ms / 1000,
		    r->verify.timed_out_ms % 1000);
	else if (r->verify.error == PR_OPERATION_ABORTED_ERROR &&
	    r->verify.name_checks > 0)
		report_add_finding(r, SEV_ERROR, "verification-limit", 0,
		    r->n_built > 0 ? r->built[0].sent_index : -1,
		    "verification refused: the chain asks for %s%lu comparisons of "
		    "names with name constraints (limit 250000), a pattern that "
		    "makes verifiers work for seconds", r->verify.name_checks > 250000 ?
		    "more than " : "", r->verify.name_checks > 250000 ? 250000UL :
		    r->verify.name_checks);
}

/* TLS 1.0 and 1.1 are offered only when --tls-min asks for them (RFC 8996
 * deprecates both); a server that picks one is worth a warning. */
static void
protocol_findings(struct report *r)
{
	if (r->verify.version == 0 || r->verify.version >= SSL_LIBRARY_VERSION_TLS_1_2)
		return;
	report_add_finding(r, SEV_WARNING, "deprecated-protocol", -1, -1,
	    "the server chose %s, deprecated since 2021 (RFC 8996); TLS 1.2 is "
	    "the minimum", r->verify.version == SSL_LIBRARY_VERSION_TLS_1_1 ?
	    "TLS 1.1" : r->verify.version == SSL_LIBRARY_VERSION_TLS_1_0 ?
	    "TLS 1.0" : "a protocol older than TLS 1.0");
}

/* The strict policy (policy.h) fails the chain on these; --allow-weak
 * turns them into warnings. */
static void
strength_findings(struct report *r)
{
	enum severity sev = r->verify.weak_allowed ? SEV_WARNING : SEV_ERROR;

	for (size_t i = 0; i < r->n_built; i++) {
		const struct chain_link *l = &r->built[i];
		const struct cert_info *c = &l->cert;

		if (policy_weak_key(c) && strcmp(c->key_type, "EC") == 0)
			report_add_finding(r, sev, "weak-key", (int)i, l->sent_index,
			    "certificate [%zu] has a %d-bit EC key; P-256 is the minimum",
			    i, c->key_bits);
		else if (policy_weak_key(c))
			report_add_finding(r, sev, "weak-key", (int)i, l->sent_index,
			    "certificate [%zu] has a %d-bit %s key; 2048 bits is the "
			    "minimum", i, c->key_bits, c->key_type);
		if (policy_weak_signature(l))
			report_add_finding(r, sev, "weak-signature", (int)i,
			    l->sent_index, "certificate [%zu] \"%s\" is signed with %s "
			    "(%s)", i, c->subject, c->weak_hash, c->sig_alg);
	}
}

/* What NSS checks for a TLS server certificate (certUsageSSLServer):
 * not a CA, key usage and extended key usage.  A CA certificate given to
 * --print-cert is verified as a CA, so none of it applies. */
static void
usage_findings(struct report *r)
{
	const struct cert_info *leaf = &r->built[0].cert;

	if (r->verify.client_usage) {
		if (leaf->has_eku && !leaf->eku_client_auth)
			report_add_finding(r, SEV_ERROR, "extended-key-usage", 0,
			    r->built[0].sent_index, "the certificate's extended key "
			    "usage does not include clientAuth (TLS client "
			    "authentication)");
		return;
	}
	if (r->verify.as_ca)
		return;
	if (leaf->is_ca)
		report_add_finding(r, SEV_ERROR, "ca-as-server", 0,
		    r->built[0].sent_index, "the certificate is a CA certificate "
		    "(basic constraints CA:TRUE) used as a server certificate; NSS "
		    "accepts a CA certificate only to issue others");
	if (leaf->has_key_usage && !(leaf->key_usage &
	    (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT)))
		report_add_finding(r, SEV_ERROR, "key-usage", 0, r->built[0].sent_index,
		    "the certificate's key usage allows neither digitalSignature "
		    "(needed to sign an (EC)DHE key exchange) nor keyEncipherment "
		    "(needed for RSA key exchange): it cannot authenticate a TLS "
		    "server");
	if (leaf->has_eku && !leaf->eku_server_auth)
		report_add_finding(r, SEV_ERROR, "extended-key-usage", 0,
		    r->built[0].sent_index, "the certificate's extended key usage "
		    "does not include serverAuth (TLS server authentication)");
}

static void
ocsp_findings(struct report *r, const struct ocsp_result *o, const char *what)
{
	char d[24];

	if (!o->present && o->problem == NULL)
		return;
	if (o->status == OCSP_STATUS_REVOKED && o->signature_ok && o->for_this_cert &&
	    o->problem == NULL && o->revoked_at <= r->verify_time) {
		date(o->revoked_at, d, sizeof(d));
		report_add_finding(r, SEV_ERROR, "ocsp-revoked", 0, 0, "%s says the "
		    "certificate was revoked on %s (reason: %s)", what, d,
		    ocsp_reason_str(o->revocation_reason));
	} else if (o->problem != NULL) {
		report_add_finding(r, SEV_WARNING, "ocsp-unusable", 0, 0,
		    "%s cannot be relied on: %s", what, o->problem);
	} else if (o->status == OCSP_STATUS_UNKNOWN) {
		report_add_finding(r, SEV_WARNING, "ocsp-unknown", 0, 0,
		    "%s answers \"unknown\": the responder does not know the "
		    "certificate", what);
	}
}

static void
revocation_findings(struct report *r)
{
	char d[24];

	/* Offline (--print-cert) there is no staple to expect. */
	if (r->source_file == NULL && r->n_built > 0 &&
	    r->built[0].cert.must_staple && !r->staple.present)
		/* A warning: NSS verifies such a chain, so an error finding
		 * would contradict the verdict (Firefox refuses the server). */
		report_add_finding(r, SEV_WARNING, "must-staple-missing", 0,
		    r->built[0].sent_index, "the certificate requires an OCSP staple "
		    "(TLS feature extension) and the server sent none; Firefox "
		    "refuses such a server");
	ocsp_findings(r, &r->staple, "the stapled OCSP response");
	ocsp_findings(r, &r->ocsp, "the OCSP responder");
	for (size_t i = 0; i < r->n_crls; i++) {
		const struct crl_result *c = &r->crls[i];

		char at[24] = "";

		if (c->count > 1)
			snprintf(at, sizeof(at), " #%u", c->position);
		if (c->revoked_cert >= 0) {
			date(c->revoked_at, d, sizeof(d));
			report_add_finding(r, SEV_ERROR, "crl-revoked", c->revoked_cert,
			    (size_t)c->revoked_cert < r->n_built ?
			    r->built[c->revoked_cert].sent_index : -1,
			    "the CRL %s%s lists certificate [%d] as revoked on %s",
			    c->file, at, c->revoked_cert, d);
		} else if (c->problem != NULL) {
			report_add_finding(r, SEV_WARNING, "crl-unusable", c->cert,
			    (size_t)c->cert < r->n_built ?
			    r->built[c->cert].sent_index : -1,
			    "the CRL %s%s (issuer %s) cannot be used for certificate "
			    "[%d]: %s", c->file, at, c->issuer, c->cert, c->problem);
		}
	}
}

void
diagnose_chain(struct report *r, const struct nsstls_opts *o)
{
	limit_findings(r);
	if (r->n_built == 0) {
		verdict_compute(r);
		return;
	}
	name_findings(r, o);
	chain_end_findings(r);
	sent_list_findings(r);
	validity_findings(r, o);
	ca_findings(r);
	strength_findings(r);
	usage_findings(r);
	revocation_findings(r);
	protocol_findings(r);
	verdict_compute(r);
}
