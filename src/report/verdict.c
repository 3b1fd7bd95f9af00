/*
 * verdict: the verdict and its headline (see verdict.h).  NSS names an
 * error and the depth where it logged it, which is not always the
 * certificate at fault (an expired issuer is logged on the certificate it
 * issued); the headline names the certificate the facts point at, with its
 * own dates and extensions.
 */
#include "verdict.h"

#include <string.h>

#include <certt.h>
#include <prerror.h>
#include <secerr.h>
#include <sslerr.h>

#include "certinfo.h"
#include "util.h"

static const char *
err_name(PRErrorCode err)
{
	const char *n = PR_ErrorToName(err);

	return n != NULL ? n : "UNKNOWN_ERROR";
}

/* What the first certificate is called: offline there is no server. */
static const char *
first_cert_words(const struct report *r)
{
	if (r->verify.as_ca)
		return "the CA certificate";
	return r->source_file != NULL ? "the certificate" : "the server's certificate";
}

static const char *
not_sent_words(const struct report *r)
{
	return r->source_file != NULL ? "not in the file" : "not sent by the server";
}

static void
count_days(struct report *r)
{
	PRTime when = r->verify_time;

	for (size_t i = 0; i < r->n_sent; i++)
		r->sent[i].days_left = cert_days_between(when, r->sent[i].not_after);
	for (size_t i = 0; i < r->n_built; i++) {
		struct cert_info *c = &r->built[i].cert;

		c->days_left = cert_days_between(when, c->not_after);
		if (r->verdict.first_expiry < 0 ||
		    c->days_left < r->verdict.first_expiry_days) {
			r->verdict.first_expiry = (int)i;
			r->verdict.first_expiry_days = c->days_left;
		}
	}
}

/* The built link outside its validity period, searched from `from` up the
 * chain first (NSS logs EXPIRED_ISSUER below the one that expired). */
static int
outside_validity(const struct report *r, int from)
{
	for (size_t k = 0; k < r->n_built; k++) {
		size_t i = ((size_t)(from > 0 ? from : 0) + k) % r->n_built;
		const struct cert_info *c = &r->built[i].cert;

		if (c->not_after < r->verify_time || c->not_before > r->verify_time)
			return (int)i;
	}
	return -1;
}

static char *
validity_headline(const struct report *r, int depth)
{
	int i = outside_validity(r, depth);
	const struct cert_info *c;
	char d[24];

	if (i < 0)
		return xstrdup("a certificate is outside its validity period");
	c = &r->built[i].cert;
	if (c->not_before > r->verify_time) {
		cert_format_time(c->not_before, false, d, sizeof(d));
		return xasprintf("certificate [%d] \"%s\" is not valid yet (valid "
		    "from %s)", i, c->subject, d);
	}
	cert_format_time(c->not_after, false, d, sizeof(d));
	return xasprintf("%scertificate [%d] \"%s\" expired on %s",
	    i == 0 ? "" : r->built[i].anchor ? "the root " : "the issuing ", i,
	    c->subject, d);
}

/* The link whose subject is `name`, or NULL. */
static const struct chain_link *
link_named(const struct report *r, const char *name)
{
	for (size_t i = 0; i < r->n_built; i++)
		if (strcmp(r->built[i].cert.subject, name) == 0)
			return &r->built[i];
	return NULL;
}

static char *
issuer_headline(const struct report *r, const struct chain_link *l)
{
	const struct verify_result *v = &r->verify;
	const struct chain_link *iss;

	if (v->error == SEC_ERROR_UNTRUSTED_ISSUER) {
		/* "Not trusted" is NSS's word for any issuer without trust
		 * flags: say "distrusted" only when a trust source has it. */
		iss = link_named(r, l != NULL ? l->cert.issuer : "");
		if (iss != NULL && iss->source >= 0)
			return xasprintf("\"%s\" is in the trust source %s but not "
			    "trusted as a CA there", iss->cert.subject,
			    r->trust[iss->source].name);
		return xasprintf("the chain ends at \"%s\", which is in no trust "
		    "source", iss != NULL ? iss->cert.subject : l != NULL ?
		    l->cert.issuer : "the issuer");
	}
	if (l != NULL && l->cert.self_signed)
		return xasprintf("the chain ends at \"%s\", which is not a trust "
		    "anchor here", l->cert.subject);
	if (v->missing_issuer != NULL && v->error_depth == 0 && r->n_sent <= 1)
		return xasprintf("issuer \"%s\" is missing: %s no intermediate "
		    "certificate and no trust source has it", v->missing_issuer,
		    r->source_file != NULL ? "the file holds" : "the server sent");
	if (v->missing_issuer != NULL)
		return xasprintf("issuer \"%s\" is unknown: %s and in no trust "
		    "source", v->missing_issuer, not_sent_words(r));
	if (l != NULL)
		return xasprintf("the issuer \"%s\" of certificate [%d] \"%s\" is "
		    "unknown", l->cert.issuer, v->error_depth, l->cert.subject);
	return xstrdup("the issuer of a certificate is unknown");
}

/* Which of key usage and extended key usage stops a TLS server
 * certificate, and why. */
static char *
usage_headline(const struct report *r, int depth)
{
	const struct cert_info *c;
	const char *ca = "";

	if (depth < 0 || (size_t)depth >= r->n_built)
		return xstrdup("a certificate does not allow the use it is put to");
	c = &r->built[depth].cert;
	if (depth == 0 && c->is_ca && !r->verify.as_ca)
		ca = " is a CA certificate (basic constraints CA:TRUE) used as a "
		    "server certificate, and";
	if (depth > 0)
		return xasprintf("certificate [%d] \"%s\" is not allowed to issue "
		    "TLS server certificates (key usage or extended key usage)",
		    depth, c->subject);
	if (r->verify.error == SEC_ERROR_INADEQUATE_KEY_USAGE && c->has_key_usage &&
	    !(c->key_usage & (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT)))
		return xasprintf("certificate [0] \"%s\"%s its key usage allows "
		    "neither digitalSignature (needed to sign an (EC)DHE key "
		    "exchange) nor keyEncipherment (needed for RSA key exchange)",
		    c->subject, ca);
	if (c->has_eku && !c->eku_server_auth)
		return xasprintf("certificate [0] \"%s\"%s its extended key usage "
		    "does not include serverAuth", c->subject, ca);
	if (ca[0] != '\0')
		return xasprintf("certificate [0] \"%s\" is a CA certificate (basic "
		    "constraints CA:TRUE): NSS does not accept one as a server "
		    "certificate", c->subject);
	return xasprintf("certificate [0] \"%s\" does not allow TLS server "
	    "authentication (%s)", c->subject,
	    r->verify.error == SEC_ERROR_INADEQUATE_KEY_USAGE ? "key usage" :
	    "certificate type or extended key usage");
}

static char *
name_headline(const struct report *r)
{
	char names[512] = "";
	size_t used = 0;

	for (size_t i = 0; r->n_sent > 0 && i < r->sent[0].n_sans &&
	    used < sizeof(names); i++)
		used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
		    i ? ", " : "", r->sent[0].sans[i]);
	return xasprintf("the certificate is not valid for \"%s\"%s%s%s",
	    r->verify_name, names[0] ? " (it names " : "", names,
	    names[0] ? ")" : "");
}

/* NSS reports a lone self-signed certificate as an unknown issuer or as
 * an invalid CA, depending on its extensions: say what it is. */
static bool
lone_self_signed(const struct report *r)
{
	PRErrorCode e = r->verify.error;

	return r->n_built == 1 && r->built[0].cert.self_signed &&
	    !r->built[0].anchor && (e == SEC_ERROR_UNKNOWN_ISSUER ||
	    e == SEC_ERROR_CA_CERT_INVALID || e == SEC_ERROR_UNTRUSTED_ISSUER);
}

static char *
chain_headline(const struct report *r)
{
	const struct verify_result *v = &r->verify;
	int d = v->error_depth;
	const struct chain_link *l = d >= 0 && (size_t)d < r->n_built ?
	    &r->built[d] : NULL;
	const char *subject = l != NULL ? l->cert.subject : "?";

	/* Bounded verification (verify.c): NSS's error says nothing. */
	if (v->timed_out_ms > 0)
		return xasprintf("verification did not finish in %ld.%03ld s "
		    "(--timeout)", v->timed_out_ms / 1000, v->timed_out_ms % 1000);
	if (v->error == PR_OPERATION_ABORTED_ERROR && v->name_checks > 0)
		return xstrdup("verification refused: the chain asks for too many "
		    "comparisons of names with name constraints");
	if (lone_self_signed(r))
		return xasprintf("%s \"%s\" is self-signed and in no trust source",
		    first_cert_words(r), r->built[0].cert.subject);
	switch (v->error) {
	case SEC_ERROR_UNKNOWN_ISSUER:
	case SEC_ERROR_UNTRUSTED_ISSUER:
		return issuer_headline(r, l);
	case SEC_ERROR_EXPIRED_CERTIFICATE:
	case SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE:
		return validity_headline(r, d);
	case SEC_ERROR_CA_CERT_INVALID:
		return xasprintf("\"%s\" issues certificates but is not a CA "
		    "certificate", subject);
	case SEC_ERROR_INADEQUATE_KEY_USAGE:
	case SEC_ERROR_INADEQUATE_CERT_TYPE:
		return usage_headline(r, d);
	case SEC_ERROR_REVOKED_CERTIFICATE:
		return xasprintf("certificate [%d] \"%s\" is revoked", d, subject);
	case SEC_ERROR_BAD_SIGNATURE:
		return xasprintf("the signature on certificate [%d] \"%s\" does not "
		    "verify", d, subject);
	case SSL_ERROR_WEAK_SERVER_CERT_KEY:
		return l != NULL ? xasprintf("certificate [%d] \"%s\" has a weak "
		    "%d-bit %s key", d, subject, l->cert.key_bits,
		    l->cert.key_type) : xstrdup("a certificate has a weak key");
	case SEC_ERROR_CERT_SIGNATURE_ALGORITHM_DISABLED:
		return l != NULL ? xasprintf("certificate [%d] \"%s\" is signed "
		    "with %s, which is not accepted", d, subject, l->cert.sig_alg) :
		    xstrdup("a certificate's signature algorithm is not accepted");
	default:
		if (l != NULL)
			return xasprintf("certificate [%d] \"%s\": %s", d, subject,
			    PR_ErrorToString(v->error, PR_LANGUAGE_I_DEFAULT));
		return xstrdup(PR_ErrorToString(v->error, PR_LANGUAGE_I_DEFAULT));
	}
}

static char *
failed_headline(const struct report *r)
{
	const struct verify_result *v = &r->verify;
	char *why = v->chain_ok || v->error == SSL_ERROR_BAD_CERT_DOMAIN ?
	    name_headline(r) : chain_headline(r);
	char *line;

	if (!v->chain_ok && !v->name_ok)
		line = xasprintf("%s (%s), and the name \"%s\" does not match "
		    "either", why, err_name(v->error), r->verify_name);
	else
		line = xasprintf("%s (%s)", why, err_name(v->error));
	free(why);
	return line;
}

/* The findings that give the reason the headline gives, by NSS error. */
static const struct {
	PRErrorCode error;
	const char *ids;
} same_reason[] = {
	{ SEC_ERROR_UNKNOWN_ISSUER, " missing-intermediate unknown-issuer "
	    "untrusted-root self-signed " },
	{ SEC_ERROR_UNTRUSTED_ISSUER, " untrusted-root self-signed unknown-issuer " },
	{ SEC_ERROR_CA_CERT_INVALID, " not-a-ca self-signed " },
	{ SEC_ERROR_EXPIRED_CERTIFICATE, " expired not-yet-valid " },
	{ SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE, " expired not-yet-valid " },
	{ SEC_ERROR_INADEQUATE_KEY_USAGE, " key-usage ca-as-server " },
	{ SEC_ERROR_INADEQUATE_CERT_TYPE, " extended-key-usage ca-as-server " },
	{ SEC_ERROR_REVOKED_CERTIFICATE, " ocsp-revoked crl-revoked " },
	{ SSL_ERROR_WEAK_SERVER_CERT_KEY, " weak-key " },
	{ SEC_ERROR_CERT_SIGNATURE_ALGORITHM_DISABLED, " weak-signature " },
	{ SSL_ERROR_BAD_CERT_DOMAIN, " name-mismatch " },
	{ PR_OPERATION_ABORTED_ERROR, " verification-limit " },
	{ PR_IO_TIMEOUT_ERROR, " verification-timeout " },
};

static void
mark_in_headline(struct report *r)
{
	const char *ids = NULL;
	char id[64];

	for (size_t i = 0; i < sizeof(same_reason) / sizeof(same_reason[0]); i++)
		if (same_reason[i].error == r->verify.error)
			ids = same_reason[i].ids;
	for (size_t i = 0; i < r->n_findings; i++) {
		struct finding *f = &r->findings[i];

		snprintf(id, sizeof(id), " %s ", f->id);
		if (f->severity == SEV_ERROR && ((ids != NULL &&
		    strstr(ids, id) != NULL) || (!r->verify.name_ok &&
		    strcmp(f->id, "name-mismatch") == 0)))
			f->in_headline = true;
	}
}

void
verdict_compute(struct report *r)
{
	const struct verify_result *v = &r->verify;
	struct verdict *vd = &r->verdict;

	free(vd->headline);
	vd->headline = NULL;
	vd->first_expiry = -1;
	count_days(r);
	vd->done = v->done;
	vd->ok = v->done && v->chain_ok && v->name_ok;
	if (!v->done)
		return;
	if (!vd->ok) {
		vd->headline = failed_headline(r);
		mark_in_headline(r);
	}
	else if (!v->name_checked)
		vd->headline = xstrdup(v->as_ca ? "CA certificate trusted; no name "
		    "checked" : "chain trusted; no name checked, use --verify-name");
	else
		vd->headline = xasprintf("chain trusted, name \"%s\" matches",
		    r->verify_name);
}
