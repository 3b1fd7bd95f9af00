/*
 * out_json: JSON rendering of the report model (see out_json.h).
 *
 * Conventions: snake_case keys; times as RFC 3339 UTC strings; durations
 * as integer microseconds (*_us); fingerprints and ids as lowercase hex;
 * absent facts as null, never as a missing key, so consumers can rely on
 * the shape; errors as {"name", "code", "message"}.
 */
#include "out_json.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nss.h>
#include <prerror.h>

#include "certinfo.h"
#include "config.h"
#include "names.h"
#include "ocspcheck.h"
#include "util.h"

/* Length of the valid UTF-8 sequence at p (1-4), or 0. */
static size_t
utf8_seq(const unsigned char *p)
{
	size_t n;
	unsigned c = p[0];
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

char *
out_json_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = xmalloc(strlen(s) * 2 + 1), *o = out;

	while (*p != '\0') {
		size_t n = utf8_seq(p);

		if (n > 0) {
			memcpy(o, p, n);
			o += n;
			p += n;
		} else {
			/* Latin-1 byte → U+0080..U+00FF in two bytes. */
			*o++ = (char)(0xc0 | (*p >> 6));
			*o++ = (char)(0x80 | (*p & 0x3f));
			p++;
		}
	}
	*o = '\0';
	return out;
}

json_t *
out_json_str(const char *s)
{
	char *clean;
	json_t *j;

	if (s == NULL)
		return json_null();
	clean = out_json_utf8(s);
	j = json_string(clean);
	free(clean);
	return j != NULL ? j : json_null();
}

static json_t *
jstr(const char *s)
{
	return out_json_str(s);
}

static json_t *
jtime(PRTime t)
{
	PRExplodedTime e;
	char buf[32];

	if (t == 0)
		return json_null();
	PR_ExplodeTime(t, PR_GMTParameters, &e);
	/* RFC 3339 has four-digit years: anything else is no valid time. */
	if (e.tm_year < 1 || e.tm_year > 9999)
		return json_null();
	/* Not PR_FormatTime: strftime's %Y writes year 500 as "500"
	 * (found by tests/test_json_random.py). */
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", e.tm_year,
	    e.tm_month + 1, e.tm_mday, e.tm_hour, e.tm_min, e.tm_sec);
	return json_string(buf);
}

static json_t *
jint_or_null(long long v, bool present)
{
	return present ? json_integer(v) : json_null();
}

static json_t *
jerror(PRErrorCode err)
{
	const char *name;

	if (err == 0)
		return json_null();
	name = PR_ErrorToName(err);
	return json_pack("{s:s, s:I, s:o}", "name", name ? name : "UNKNOWN_ERROR",
	    "code", (json_int_t)err, "message",
	    jstr(PR_ErrorToString(err, PR_LANGUAGE_I_DEFAULT)));
}

static json_t *
jstrings(char *const *list, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, jstr(list[i]));
	return a;
}

static json_t *
jcert(const struct cert_info *c)
{
	json_t *j = json_object();

	json_object_set_new(j, "subject", jstr(c->subject));
	json_object_set_new(j, "issuer", jstr(c->issuer));
	json_object_set_new(j, "serial", jstr(c->serial));
	json_object_set_new(j, "not_before", jtime(c->not_before));
	json_object_set_new(j, "not_after", jtime(c->not_after));
	json_object_set_new(j, "days_left", json_integer(c->days_left));
	json_object_set_new(j, "sans", jstrings(c->sans, c->n_sans));
	json_object_set_new(j, "key", json_pack("{s:o, s:i, s:o}",
	    "type", jstr(c->key_type), "bits", c->key_bits,
	    "curve", jstr(c->key_curve)));
	json_object_set_new(j, "signature_algorithm", jstr(c->sig_alg));
	json_object_set_new(j, "weak_hash", jstr(c->weak_hash));
	json_object_set_new(j, "sha256", jstr(c->sha256));
	json_object_set_new(j, "is_ca", json_boolean(c->is_ca));
	json_object_set_new(j, "path_len", jint_or_null(c->path_len, c->path_len >= 0));
	json_object_set_new(j, "self_signed", json_boolean(c->self_signed));
	if (c->has_key_usage) {
		const char *ku[8];
		size_t n = cert_key_usage_names(c->key_usage, ku);
		json_t *a = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_string(ku[i]));
		json_object_set_new(j, "key_usage", a);
	} else {
		json_object_set_new(j, "key_usage", json_null());
	}
	json_object_set_new(j, "eku_client_auth", c->has_eku ?
	    json_boolean(c->eku_client_auth) : json_null());
	json_object_set_new(j, "eku_server_auth", c->has_eku ?
	    json_boolean(c->eku_server_auth) : json_null());
	json_object_set_new(j, "must_staple", json_boolean(c->must_staple));
	json_object_set_new(j, "aia_ca_issuers", jstr(c->aia_ca_issuers));
	json_object_set_new(j, "ocsp_url", jstr(c->ocsp_url));
	return j;
}

static json_t *
jchains(const struct report *r)
{
	json_t *sent = json_array(), *built = json_array();

	for (size_t i = 0; i < r->n_sent; i++)
		json_array_append_new(sent, jcert(&r->sent[i]));
	for (size_t i = 0; i < r->n_built; i++) {
		const struct chain_link *l = &r->built[i];

		json_array_append_new(built, json_pack("{s:s, s:o, s:b, s:o, s:o, s:o}",
		    "origin", l->origin == ORIGIN_SERVER ? "server" : "local",
		    "sent_index", jint_or_null(l->sent_index, l->sent_index >= 0),
		    "anchor", l->anchor,
		    "trust_source", l->source >= 0 ? jstr(r->trust[l->source].name) :
		    json_null(),
		    "error", jerror(l->error),
		    "certificate", jcert(&l->cert)));
	}
	return json_pack("{s:o, s:o}", "sent", sent, "built", built);
}

static json_t *
jverify(const struct report *r)
{
	const struct verify_result *v = &r->verify;

	if (!v->done)
		return json_null();
	return json_pack("{s:b, s:o, s:b, s:b, s:b, s:o, s:o, s:o, s:b, s:b, s:o}",
	    "ok", r->verdict.ok,
	    "headline", jstr(r->verdict.headline),
	    "chain_ok", v->chain_ok,
	    "name_checked", v->name_checked,
	    "name_ok", v->name_ok,
	    "error", jerror(v->chain_ok && v->name_ok ? 0 : v->error),
	    "error_depth", jint_or_null(v->error_depth, !(v->chain_ok && v->name_ok) &&
		v->error_depth >= 0),
	    "missing_issuer", jstr(v->missing_issuer),
	    "overridden", v->overridden,
	    "as_ca", v->as_ca,
	    "verified_at", jtime(r->verify_time));
}

static json_t *
jocsp(const struct ocsp_result *o)
{
	if (!o->present && o->problem == NULL)
		return json_null();
	return json_pack("{s:b, s:o, s:s, s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o}",
	    "present", o->present,
	    "url", jstr(o->url),
	    "status", ocsp_status_str(o->status),
	    "for_this_certificate", o->for_this_cert,
	    "signature_ok", o->signature_ok,
	    "signer", jstr(o->signer),
	    "produced_at", jtime(o->produced_at),
	    "this_update", jtime(o->this_update),
	    "next_update", jtime(o->next_update),
	    "revoked_at", jtime(o->revoked_at),
	    "revocation_reason", o->revocation_reason >= 0 ?
		json_string(ocsp_reason_str(o->revocation_reason)) : json_null(),
	    "stale", o->stale,
	    "problem", jstr(o->problem),
	    "error", jerror(o->error));
}

static json_t *
jcrl(const struct crl_result *c)
{
	return json_pack("{s:o, s:I, s:I, s:o, s:b, s:o, s:o, s:o, s:b, s:o, s:o, s:o}",
	    "file", jstr(c->file),
	    "position", (json_int_t)c->position,
	    "count", (json_int_t)c->count,
	    "issuer", jstr(c->issuer),
	    "signature_ok", c->signature_ok,
	    "this_update", jtime(c->this_update),
	    "next_update", jtime(c->next_update),
	    "certificate", jint_or_null(c->cert, c->cert >= 0),
	    "usable", c->usable,
	    "revoked_certificate", jint_or_null(c->revoked_cert, c->revoked_cert >= 0),
	    "revoked_at", jtime(c->revoked_at),
	    "problem", jstr(c->problem));
}

static json_t *
jrevocation(const struct report *r)
{
	json_t *crls = json_array(), *certs = json_array();

	for (size_t i = 0; i < r->n_crls; i++)
		json_array_append_new(crls, jcrl(&r->crls[i]));
	for (size_t i = 0; i < r->n_revocation; i++) {
		const struct cert_revocation *c = &r->revocation[i];

		json_array_append_new(certs, json_pack("{s:I, s:s, s:o, s:o, s:o}",
		    "certificate", (json_int_t)i,
		    "status", report_revocation_str(c->status),
		    "source", jstr(c->source),
		    "revoked_at", jtime(c->status == REVOCATION_REVOKED ?
			c->revoked_at : 0),
		    "reason", jstr(c->reason)));
	}
	return json_pack("{s:o, s:o, s:o, s:o}", "staple", jocsp(&r->staple),
	    "ocsp", jocsp(&r->ocsp), "crls", crls, "certificates", certs);
}

static json_t *
jscts(const struct report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->n_scts; i++) {
		const struct sct_info *s = &r->scts[i];

		json_array_append_new(a, json_pack("{s:s, s:i, s:s, s:o, s:i, s:i}",
		    "source", s->source, "version", s->version + 1,
		    "log_id", s->log_id, "timestamp", jtime(s->timestamp),
		    "hash_algorithm", (int)s->hash_alg,
		    "signature_algorithm", (int)s->sig_alg));
	}
	return a;
}

static json_t *
jfindings(const struct report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->n_findings; i++) {
		const struct finding *f = &r->findings[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o, s:o}",
		    "severity", report_severity_str(f->severity), "id", f->id,
		    "certificate", jint_or_null(f->cert, f->cert >= 0),
		    "sent_index", jint_or_null(f->sent, f->sent >= 0),
		    "text", jstr(f->text)));
	}
	return a;
}

static json_t *
jhandshake(const struct handshake_info *h)
{
	char id[8];

	snprintf(id, sizeof(id), "0x%04x", h->suite);
	return json_pack("{s:s, s:o, s:s, s:s, s:i, s:b, s:o, s:s, s:i, s:o, s:b, s:o, s:b, s:b, s:b, s:I}",
	    "protocol", names_version_str(h->version),
	    "cipher_suite", jstr(h->suite_name),
	    "cipher_suite_id", id,
	    "group", names_group_str(h->group),
	    "key_exchange_bits", h->kea_bits,
	    "hello_retry_request", h->hrr,
	    "first_group", h->hrr ? json_string(names_group_str(h->first_group)) :
		json_null(),
	    "signature_scheme", names_sigalg_str(h->sig_scheme),
	    "auth_key_bits", h->auth_bits,
	    "alpn", h->alpn[0] ? jstr(h->alpn) : json_null(),
	    "resumed", h->resumed,
	    "resumed_by", h->resumed_by ? json_string(h->resumed_by) : json_null(),
	    "early_data_accepted", h->early_data_accepted,
	    "extended_master_secret", h->ems,
	    "forward_secrecy", h->forward_secret,
	    "duration_us", (json_int_t)h->duration_us);
}

static json_t *
jhandshakes(const struct report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->n_handshakes; i++)
		json_array_append_new(a, jhandshake(&r->handshakes[i]));
	return a;
}

static json_t *
jreconnects(const struct report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->n_reconnects; i++) {
		const struct reconnect_info *c = &r->reconnects[i];

		json_array_append_new(a, json_pack("{s:o, s:I, s:b, s:o, s:o, s:b, s:I, s:o, s:o}",
		    "address", c->attempt.addr[0] ? json_string(c->attempt.addr) :
			json_null(),
		    "connect_us", (json_int_t)c->attempt.connect_us,
		    "ok", c->ok,
		    "handshake", c->ok ? jhandshake(&c->hs) : json_null(),
		    "saved_us", jint_or_null(c->saved_us, c->ok),
		    "early_data_wanted", c->early_data_wanted,
		    "early_data_sent", (json_int_t)c->early_data_sent,
		    "error", jerror(c->error),
		    "problem", jstr(c->problem)));
	}
	return a;
}

static json_t *
jaddresses(const struct report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->n_attempts; i++)
		json_array_append_new(a, json_pack("{s:s, s:I, s:o}",
		    "address", r->attempts[i].addr,
		    "connect_us", (json_int_t)r->attempts[i].connect_us,
		    "error", jerror(r->attempts[i].error)));
	return a;
}

static json_t *
jtrust(const struct report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->n_trust; i++)
		json_array_append_new(a, json_pack("{s:s, s:o, s:o}",
		    "name", r->trust[i].name, "detail", jstr(r->trust[i].detail),
		    "anchors", jint_or_null(r->trust[i].anchors, r->trust[i].anchors >= 0)));
	return a;
}

static json_t *
jclient_auth(const struct report *r)
{
	const struct client_auth_info *c = &r->client_auth;

	return json_pack("{s:b, s:b, s:o, s:o, s:o, s:o}",
	    "requested", c->requested, "post_handshake", c->post_handshake,
	    "ca_names", jstrings(c->ca_names, c->n_ca_names),
	    "sent", jstr(c->sent_subject), "not_sent_reason", jstr(c->not_sent_reason),
	    "chosen_from_db", jstr(c->chosen_from_db));
}

static json_t *
jech(const struct report *r)
{
	const struct ech_info *e = &r->ech;
	bool config = e->mode == ECH_CONFIG;

	if (e->mode == ECH_OFF)
		return json_null();
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:b, s:b, s:o}",
	    "mode", config ? "config" : "grease",
	    "source", e->source ? json_string(e->source) : json_null(),
	    "dns_name", jstr(e->dns_name),
	    "config_list", jstr(e->config_list_b64),
	    "config_id", jint_or_null(e->config_id, config && e->public_name),
	    "public_name", jstr(e->public_name),
	    "inner_name", jstr(e->inner_name),
	    "status", !config ? "grease" : e->accepted ? "accepted" :
		e->rejected ? "rejected" : r->connected_index >= 0 ? "offered" :
		"not_offered",
	    "accepted", e->accepted,
	    "public_name_verified", e->public_name_verified,
	    "retry_configs", jstr(e->retry_configs));
}

static json_t *
jkeying(const struct report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->n_keying; i++)
		json_array_append_new(a, json_pack("{s:o, s:o, s:i, s:s}",
		    "label", jstr(r->keying[i].label),
		    "context", jstr(r->keying[i].context),
		    "length", (int)r->keying[i].length,
		    "value", r->keying[i].hex));
	return a;
}

static json_t *
jalerts(const struct report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->n_alerts; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}",
		    "direction", r->alerts[i].sent ? "sent" : "received",
		    "level", r->alerts[i].level == 2 ? "fatal" : "warning",
		    "description", names_alert_str(r->alerts[i].desc)));
	return a;
}

static json_t *
jtranscript(const struct transcript *t)
{
	json_t *a = json_array();

	for (size_t i = 0; i < t->n; i++)
		json_array_append_new(a, json_pack("{s:s, s:o}",
		    "from", t->lines[i].from_server ? "server" : "client",
		    "text", jstr(t->lines[i].text)));
	return a;
}

static json_t *
jproxy(const struct report *r)
{
	const struct proxy_info *p = &r->proxy;

	if (p->host == NULL)
		return json_null();
	return json_pack("{s:b, s:o, s:i, s:s, s:o, s:o, s:o, s:o, s:o, s:b}",
	    "used", p->used, "host", jstr(p->host), "port", (int)p->port,
	    "source", p->source, "user", jstr(p->user),
	    "no_proxy_match", jstr(p->no_proxy_match),
	    "status_line", jstr(p->status_line),
	    "status_code", jint_or_null(p->status, p->status > 0),
	    "transcript", jtranscript(&p->transcript),
	    "transcript_truncated", p->transcript.truncated);
}

static json_t *
jstarttls(const struct report *r)
{
	const struct starttls_info *s = &r->starttls;

	if (s->protocol == NULL)
		return json_null();
	return json_pack("{s:s, s:s, s:o, s:o, s:b, s:o, s:b}",
	    "protocol", s->protocol, "chosen_by", s->by_port ? "port" : "option",
	    "name", jstr(s->name), "name_field", jstr(s->name_field),
	    "ok", s->ok, "transcript", jtranscript(&s->transcript),
	    "transcript_truncated", s->transcript.truncated);
}

static json_t *
jtimings(const struct report *r)
{
	bool connected = r->connected_index >= 0;

	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "resolve_us", jint_or_null(r->resolve_us, r->n_attempts > 0 || connected),
	    "connect_us", connected ?
		json_integer(r->attempts[r->connected_index].connect_us) : json_null(),
	    "proxy_us", jint_or_null(r->proxy.duration_us, r->proxy.used &&
		connected),
	    "starttls_us", jint_or_null(r->starttls.duration_us,
		r->starttls.protocol != NULL),
	    /* Without the OCSP/AIA fetches made inside it (fetch_us). */
	    "handshake_us", r->n_handshakes > 0 ?
		json_integer(report_handshake_us(r)) : json_null(),
	    "fetch_us", jint_or_null(r->fetch_us, r->fetch_us > 0),
	    "first_byte_us", jint_or_null(r->first_byte_us, r->first_byte_us > 0));
}

/* Bytes and records per direction under TLS (trace.c); null when no TLS
 * connection was made. */
static json_t *
jwire(const struct report *r)
{
	if (!r->wire_seen)
		return json_null();
	return json_pack("{s:{s:I, s:I}, s:{s:I, s:I}}",
	    "sent", "bytes", (json_int_t)r->wire_sent.bytes,
	    "records", (json_int_t)r->wire_sent.records,
	    "received", "bytes", (json_int_t)r->wire_received.bytes,
	    "records", (json_int_t)r->wire_received.records);
}

json_t *
out_json_doc(const struct report *r, const struct nsstls_opts *o)
{
	json_t *doc = json_object();

	json_object_set_new(doc, "schema", json_integer(JSON_SCHEMA_VERSION));
	json_object_set_new(doc, "nsstls_version", json_string(PACKAGE_VERSION));
	json_object_set_new(doc, "nss_version", json_string(r->nss_version));
	json_object_set_new(doc, "mode", json_string(r->source_file ? "print-cert" :
	    "connect"));
	json_object_set_new(doc, "target", r->source_file ?
	    json_pack("{s:o}", "file", jstr(r->source_file)) :
	    json_pack("{s:o, s:i, s:o, s:o}", "host", jstr(r->host),
	    "port", (int)r->port, "servername", jstr(r->servername),
	    "verify_name", jstr(r->verify_name)));
	json_object_set_new(doc, "started_at", jtime(r->started_at));
	json_object_set_new(doc, "addresses", jaddresses(r));
	json_object_set_new(doc, "connected_address", r->connected_index >= 0 ?
	    json_string(r->attempts[r->connected_index].addr) : json_null());
	json_object_set_new(doc, "proxy", jproxy(r));
	json_object_set_new(doc, "starttls", jstarttls(r));
	json_object_set_new(doc, "timings", jtimings(r));
	json_object_set_new(doc, "trust_sources", jtrust(r));
	json_object_set_new(doc, "policy", json_string(r->allow_weak ?
	    "allow-weak" : "strict"));
	json_object_set_new(doc, "certificates", jchains(r));
	json_object_set_new(doc, "verification", jverify(r));
	json_object_set_new(doc, "findings", jfindings(r));
	json_object_set_new(doc, "revocation", jrevocation(r));
	json_object_set_new(doc, "scts", jscts(r));
	json_object_set_new(doc, "handshakes", jhandshakes(r));
	json_object_set_new(doc, "reconnects", jreconnects(r));
	json_object_set_new(doc, "tickets_awaited", json_boolean(r->tickets_awaited));
	json_object_set_new(doc, "client_auth", jclient_auth(r));
	json_object_set_new(doc, "key_update", json_pack("{s:b, s:b, s:b}",
	    "sent", r->key_update_sent, "requested", r->key_update_requested,
	    "peer_updated", r->peer_key_update_seen));
	json_object_set_new(doc, "ech", jech(r));
	json_object_set_new(doc, "keying_material", jkeying(r));
	json_object_set_new(doc, "wire", jwire(r));
	json_object_set_new(doc, "keylog", r->keylog.file == NULL ? json_null() :
	    json_pack("{s:o, s:I, s:o}", "file", jstr(r->keylog.file),
	    "lines", (json_int_t)r->keylog.lines,
	    "note", r->keylog.note[0] ? jstr(r->keylog.note) : json_null()));
	json_object_set_new(doc, "alerts", jalerts(r));
	json_object_set_new(doc, "outcome", json_pack("{s:b, s:s, s:i, s:o, s:o}",
	    "ok", r->exit_code == NSSTLS_EXIT_OK,
	    "phase", report_phase_str(r->phase), "exit_code", (int)r->exit_code,
	    "error", jerror(r->error), "message", jstr(r->message)));
	json_object_set_new(doc, "check", r->check_status == NULL ? json_null() :
	    json_pack("{s:s, s:o, s:o}", "status", r->check_status,
	    "line", jstr(r->check_line),
	    "problems", jstrings(r->check_problems, r->n_check_problems)));
	return doc;
}

int
out_json_write(FILE *f, json_t *doc, const struct nsstls_opts *o)
{
	int rc;

	rc = json_dumpf(doc, f, JSON_PRESERVE_ORDER |
	    (o->json_pretty ? JSON_INDENT(2) : JSON_COMPACT));
	fputc('\n', f);
	json_decref(doc);
	return rc == 0 && fflush(f) == 0 ? 0 : -1;
}

int
out_json_report(FILE *f, const struct report *r, const struct nsstls_opts *o)
{
	return out_json_write(f, out_json_doc(r, o), o);
}
