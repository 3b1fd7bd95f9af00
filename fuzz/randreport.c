/*
 * randreport: a report model from bytes (see randreport.h).
 */
#include "randreport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <secerr.h>
#include <sslerr.h>
#include <prerror.h>

#include "echconfig.h"
#include "fuzz.h"
#include "names.h"
#include "util.h"

#define STR_MAX 300

/* Years 0001 to 9999, the range of an X.509 GeneralizedTime. */
#define TIME_MIN (-62135596800LL * 1000000)
#define TIME_MAX (253402300799LL * 1000000)

static const char *
pick(struct fuzz_cursor *c, const char *const *list, size_t n)
{
	return list[fuzz_below(c, n)];
}
#define PICK(c, list) pick(c, list, sizeof(list) / sizeof(list[0]))

static char *
str(struct fuzz_cursor *c)
{
	return fuzz_str(c, STR_MAX);
}

static char *
str_or_null(struct fuzz_cursor *c)
{
	return fuzz_bool(c) ? str(c) : NULL;
}

static PRTime
when_present(struct fuzz_cursor *c)
{
	uint64_t v = fuzz_u64(c);
	PRTime t = TIME_MIN + (PRTime)(v % (uint64_t)(TIME_MAX - TIME_MIN + 1));

	return t != 0 ? t : 1;
}

static PRTime
when(struct fuzz_cursor *c)
{
	PRTime t = when_present(c);

	return fuzz_bool(c) ? 0 : t;     /* 0: absent */
}

static int64_t
duration(struct fuzz_cursor *c)
{
	return (int64_t)fuzz_u32(c);
}

static PRErrorCode
error_code(struct fuzz_cursor *c)
{
	switch (fuzz_u8(c) % 5) {
	case 0: return 0;
	case 1: return SEC_ERROR_BASE + (PRErrorCode)fuzz_below(c, 200);
	case 2: return SSL_ERROR_BASE + (PRErrorCode)fuzz_below(c, 200);
	case 3: return PR_NSPR_ERROR_BASE + (PRErrorCode)fuzz_below(c, 80);
	default: return (PRErrorCode)fuzz_u32(c);
	}
}

static char *
hex(struct fuzz_cursor *c, size_t bytes)
{
	unsigned char raw[64];
	char *out = xmalloc(bytes * 2 + 1);

	for (size_t i = 0; i < bytes; i++)
		raw[i] = fuzz_u8(c);
	util_hex(raw, bytes, '\0', out);
	return out;
}

/* A string of at least one byte, prefixed (a SAN is "DNS:..."). */
static char *
nonempty(struct fuzz_cursor *c, const char *prefix)
{
	char *s = str(c), *out = xasprintf("%s%s", prefix, *s ? s : "x");

	free(s);
	return out;
}

static char **
str_list(struct fuzz_cursor *c, size_t *n, const char *prefix)
{
	char **list;

	*n = fuzz_below(c, 4);
	list = xcalloc(*n + 1, sizeof(*list));
	for (size_t i = 0; i < *n; i++)
		list[i] = prefix != NULL ? nonempty(c, prefix) : str(c);
	return list;
}

static void
address(struct fuzz_cursor *c, char *out, size_t len)
{
	uint32_t a = fuzz_u32(c);

	if (fuzz_bool(c))
		snprintf(out, len, "%u.%u.%u.%u", a >> 24, a >> 16 & 255,
		    a >> 8 & 255, a & 255);
	else
		snprintf(out, len, "%x::%x:%x", a >> 16, fuzz_u16(c), a & 0xffff);
}

static void
cert(struct fuzz_cursor *c, struct cert_info *ci)
{
	static const char *const weak[] = { NULL, "SHA-1", "MD5" };
	char *sha;
	unsigned char serial[20];
	size_t serial_len = fuzz_below(c, sizeof(serial) + 1);

	memset(ci, 0, sizeof(*ci));
	ci->subject = str(c);
	ci->issuer = str(c);
	for (size_t i = 0; i < serial_len; i++)
		serial[i] = fuzz_u8(c);
	ci->serial = xcalloc(serial_len * 3 + 1, 1);
	util_hex(serial, serial_len, ':', ci->serial);
	ci->not_before = when(c);
	ci->not_after = when(c);
	ci->sans = str_list(c, &ci->n_sans, "DNS:");
	ci->key_type = str_or_null(c);
	ci->key_bits = (int)fuzz_below(c, 16385);
	ci->key_curve = str_or_null(c);
	ci->sig_alg = str_or_null(c);
	sha = hex(c, 32);
	memcpy(ci->sha256, sha, sizeof(ci->sha256));
	free(sha);
	ci->is_ca = fuzz_bool(c);
	ci->path_len = (int)fuzz_below(c, 20) - 1;
	ci->self_signed = fuzz_bool(c);
	ci->has_key_usage = fuzz_bool(c);
	ci->key_usage = fuzz_u16(c);
	ci->has_eku = fuzz_bool(c);
	ci->eku_server_auth = fuzz_bool(c);
	ci->eku_client_auth = fuzz_bool(c);
	ci->must_staple = fuzz_bool(c);
	ci->aia_ca_issuers = str_or_null(c);
	ci->ocsp_url = str_or_null(c);
	ci->weak_hash = PICK(c, weak);
}

static void
transcript(struct fuzz_cursor *c, struct transcript *t)
{
	t->n = fuzz_below(c, 4);
	t->lines = xcalloc(t->n + 1, sizeof(*t->lines));
	for (size_t i = 0; i < t->n; i++) {
		t->lines[i].from_server = fuzz_bool(c);
		t->lines[i].text = str(c);
	}
	t->truncated = fuzz_bool(c);
}

static void
ocsp(struct fuzz_cursor *c, struct ocsp_result *o)
{
	o->present = fuzz_bool(c);
	o->url = str_or_null(c);
	o->status = (enum ocsp_status)fuzz_below(c, 4);
	o->for_this_cert = fuzz_bool(c);
	o->signature_ok = fuzz_bool(c);
	o->signer = str_or_null(c);
	o->produced_at = when(c);
	o->this_update = when(c);
	o->next_update = when(c);
	o->revoked_at = when(c);
	o->revocation_reason = (int)fuzz_below(c, 257) - 1;
	o->stale = fuzz_bool(c);
	o->error = error_code(c);
	o->problem = str_or_null(c);
}

static void
handshake(struct fuzz_cursor *c, struct handshake_info *h)
{
	static const char *const resumed_by[] = { NULL, "ticket", "session id" };
	char *alpn;

	memset(h, 0, sizeof(*h));
	h->version = fuzz_u16(c);
	h->suite = fuzz_u16(c);
	h->suite_name = names_cipher_str(h->suite);
	h->group = fuzz_u16(c);
	h->first_group = fuzz_u16(c);
	h->hrr = fuzz_bool(c);
	h->sig_scheme = fuzz_u16(c);
	alpn = fuzz_str(c, 255);
	snprintf(h->alpn, sizeof(h->alpn), "%s", alpn);
	free(alpn);
	h->resumed = fuzz_bool(c);
	h->resumed_by = PICK(c, resumed_by);
	h->early_data_accepted = fuzz_bool(c);
	h->ticket_offered = fuzz_bool(c);
	h->ems = fuzz_bool(c);
	h->forward_secret = fuzz_bool(c);
	h->auth_bits = (int)fuzz_below(c, 16385);
	h->kea_bits = (int)fuzz_below(c, 16385);
	h->duration_us = duration(c);
}

static void
reach(struct fuzz_cursor *c, struct randreport *rr)
{
	static const char *const sources[] = { "--proxy", "https_proxy",
	    "HTTPS_PROXY", "all_proxy", "ALL_PROXY" };
	static const char *const protocols[] = { NULL, "smtp", "imap", "xmpp",
	    "ldap", "postgres" };
	static const char *const fields[] = { NULL, "EHLO", "LHLO", "to" };
	struct report *r = &rr->r;
	size_t n = fuzz_below(c, 4);

	for (size_t i = 0; i < n; i++) {
		char addr[64];
		struct addr_attempt *a;

		address(c, addr, sizeof(addr));
		a = report_add_attempt(r, addr);
		a->connect_us = duration(c);
		a->error = error_code(c);
	}
	r->connected_index = (int)fuzz_below(c, n + 1) - 1;
	r->resolve_us = duration(c);
	if (fuzz_bool(c)) {
		r->proxy.host = nonempty(c, "");
		r->proxy.port = (uint16_t)(fuzz_below(c, 65535) + 1);
		r->proxy.source = PICK(c, sources);
		r->proxy.user = str_or_null(c);
		r->proxy.no_proxy_match = str_or_null(c);
		r->proxy.used = fuzz_bool(c);
		r->proxy.status_line = str_or_null(c);
		/* status_code's range: 0 (no status line), or 100 to 999. */
		r->proxy.status = (int)fuzz_below(c, 901);
		if (r->proxy.status > 0)
			r->proxy.status += 99;
		transcript(c, &r->proxy.transcript);
		r->proxy.duration_us = duration(c);
	}
	r->starttls.protocol = PICK(c, protocols);
	if (r->starttls.protocol != NULL) {
		r->starttls.by_port = fuzz_bool(c);
		rr->borrowed[0] = str_or_null(c);
		r->starttls.name = rr->borrowed[0];
		r->starttls.name_field = PICK(c, fields);
		r->starttls.ok = fuzz_bool(c);
		transcript(c, &r->starttls.transcript);
		r->starttls.duration_us = duration(c);
	}
}

static void
chains(struct fuzz_cursor *c, struct report *r)
{
	static const char *const trust[] = { "builtin", "ca-file", "system", "db" };
	static const char *const ids[] = { "missing-intermediate", "expired",
	    "weak-key", "name-mismatch", "self-signed" };
	size_t n;

	n = fuzz_below(c, 4);
	for (size_t i = 0; i < n; i++) {
		char *detail = str(c);

		report_add_trust(r, PICK(c, trust), detail,
		    (int)fuzz_below(c, 200) - 1);
		free(detail);
	}
	r->n_sent = fuzz_below(c, 4);
	r->sent = xcalloc(r->n_sent + 1, sizeof(*r->sent));
	for (size_t i = 0; i < r->n_sent; i++)
		cert(c, &r->sent[i]);
	r->n_built = fuzz_below(c, 4);
	r->built = xcalloc(r->n_built + 1, sizeof(*r->built));
	for (size_t i = 0; i < r->n_built; i++) {
		struct chain_link *l = &r->built[i];

		cert(c, &l->cert);
		l->origin = fuzz_bool(c) ? ORIGIN_SERVER : ORIGIN_LOCAL;
		l->sent_index = (int)fuzz_below(c, r->n_sent + 1) - 1;
		l->anchor = fuzz_bool(c);
		l->source = (int)fuzz_below(c, r->n_trust + 1) - 1;
		l->error = error_code(c);
	}
	r->verify.done = fuzz_bool(c);
	r->verify.chain_ok = fuzz_bool(c);
	r->verify.name_checked = fuzz_bool(c);
	r->verify.name_ok = fuzz_bool(c);
	r->verify.error = error_code(c);
	r->verify.error_depth = (int)fuzz_below(c, r->n_built + 1) - 1;
	r->verify.overridden = fuzz_bool(c);
	r->verify.missing_issuer = str_or_null(c);
	r->verify_time = when(c);
	n = fuzz_below(c, 4);
	for (size_t i = 0; i < n; i++) {
		char *text = str(c);

		report_add_finding(r, (enum severity)fuzz_below(c, 3), PICK(c, ids),
		    (int)fuzz_below(c, r->n_built + 1) - 1,
		    (int)fuzz_below(c, r->n_sent + 1) - 1, "%s", text);
		free(text);
	}
}

static void
revocation(struct fuzz_cursor *c, struct report *r)
{
	static const char *const sources[] = { "tls-extension", "certificate" };

	ocsp(c, &r->staple);
	ocsp(c, &r->ocsp);
	r->n_crls = fuzz_below(c, 3);
	r->crls = xcalloc(r->n_crls + 1, sizeof(*r->crls));
	for (size_t i = 0; i < r->n_crls; i++) {
		struct crl_result *k = &r->crls[i];

		k->file = str(c);
		k->count = (unsigned)fuzz_below(c, 8) + 1;
		k->position = (unsigned)fuzz_below(c, k->count) + 1;
		k->issuer = str_or_null(c);
		k->signature_ok = fuzz_bool(c);
		k->this_update = when(c);
		k->next_update = when(c);
		k->cert = (int)fuzz_below(c, r->n_built + 1) - 1;
		k->usable = fuzz_bool(c);
		k->revoked_cert = (int)fuzz_below(c, r->n_built + 1) - 1;
		k->revoked_at = when(c);
		k->problem = str_or_null(c);
	}
	/* One verdict per built certificate, or none (no verification). */
	r->n_revocation = fuzz_bool(c) ? r->n_built : 0;
	r->revocation = xcalloc(r->n_revocation + 1, sizeof(*r->revocation));
	for (size_t i = 0; i < r->n_revocation; i++) {
		struct cert_revocation *v = &r->revocation[i];

		v->status = (enum revocation_status)fuzz_below(c, 4);
		v->source = str_or_null(c);
		v->revoked_at = when(c);
		v->reason = str_or_null(c);
	}
	for (size_t i = fuzz_below(c, 4); i > 0; i--) {
		struct sct_info *s = report_add_sct(r);
		char *id = hex(c, 32);

		s->source = PICK(c, sources);
		s->version = fuzz_u8(c);
		memcpy(s->log_id, id, sizeof(s->log_id));
		free(id);
		s->timestamp = when(c);
		s->hash_alg = fuzz_u8(c);
		s->sig_alg = fuzz_u8(c);
	}
}

static void
channel(struct fuzz_cursor *c, struct report *r)
{
	size_t n = fuzz_below(c, 3);

	for (size_t i = 0; i < n; i++)
		handshake(c, report_add_handshake(r));
	r->n_reconnects = fuzz_below(c, 3);
	r->reconnects = xcalloc(r->n_reconnects + 1, sizeof(*r->reconnects));
	for (size_t i = 0; i < r->n_reconnects; i++) {
		struct reconnect_info *k = &r->reconnects[i];

		if (fuzz_bool(c))
			address(c, k->attempt.addr, sizeof(k->attempt.addr));
		k->attempt.connect_us = duration(c);
		k->ok = fuzz_bool(c);
		handshake(c, &k->hs);
		k->saved_us = (int64_t)fuzz_u32(c) - INT32_MAX;
		k->early_data_wanted = fuzz_bool(c);
		k->early_data_sent = fuzz_u16(c);
		k->error = error_code(c);
		k->problem = str_or_null(c);
		k->exit_code = (enum nsstls_exit)fuzz_below(c, 8);
		k->phase = (enum phase)fuzz_below(c, PHASE_DONE + 1);
	}
	r->tickets_awaited = fuzz_bool(c);
	r->key_update_sent = fuzz_bool(c);
	r->key_update_requested = fuzz_bool(c);
	r->peer_key_update_seen = fuzz_bool(c);
	for (size_t i = fuzz_below(c, 17); i > 0; i--)
		report_add_alert(r, fuzz_bool(c), fuzz_bool(c) ? 2 : 1, fuzz_u8(c));
	r->client_auth.requested = fuzz_bool(c);
	r->client_auth.post_handshake = fuzz_bool(c);
	r->client_auth.ca_names = str_list(c, &r->client_auth.n_ca_names, NULL);
	r->client_auth.sent_subject = str_or_null(c);
	r->client_auth.not_sent_reason = str_or_null(c);
}

static char *
b64_or_null(struct fuzz_cursor *c)
{
	unsigned char raw[64];
	size_t n = fuzz_below(c, sizeof(raw) + 1);

	if (n == 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		raw[i] = fuzz_u8(c);
	return echconfig_b64_encode(raw, n);
}

static void
extras(struct fuzz_cursor *c, struct randreport *rr)
{
	static const char *const ech_sources[] = { NULL, "option", "dns" };
	struct report *r = &rr->r;

	r->ech.mode = (enum ech_mode)fuzz_below(c, 3);
	if (r->ech.mode != ECH_OFF) {
		r->ech.source = PICK(c, ech_sources);
		r->ech.dns_name = str_or_null(c);
		r->ech.config_list_b64 = b64_or_null(c);
		r->ech.config_id = fuzz_u8(c);
		r->ech.public_name = str_or_null(c);
		r->ech.inner_name = str_or_null(c);
		r->ech.accepted = fuzz_bool(c);
		r->ech.rejected = !r->ech.accepted && fuzz_bool(c);
		r->ech.public_name_verified = fuzz_bool(c);
		r->ech.retry_configs = b64_or_null(c);
	}
	r->n_keying = fuzz_below(c, 3);
	r->keying = xcalloc(r->n_keying + 1, sizeof(*r->keying));
	for (size_t i = 0; i < r->n_keying; i++) {
		r->keying[i].label = nonempty(c, "");
		r->keying[i].context = str_or_null(c);
		r->keying[i].length = (unsigned)fuzz_below(c, 33) + 1;
		r->keying[i].hex = hex(c, r->keying[i].length);
	}
	r->wire_seen = fuzz_bool(c);
	r->wire_sent.bytes = fuzz_u32(c);
	r->wire_sent.records = fuzz_u16(c);
	r->wire_received.bytes = fuzz_u32(c);
	r->wire_received.records = fuzz_u16(c);
	if (fuzz_bool(c)) {
		char *note = str(c);

		rr->borrowed[1] = nonempty(c, "");
		r->keylog.file = rr->borrowed[1];
		r->keylog.lines = fuzz_u16(c);
		snprintf(r->keylog.note, sizeof(r->keylog.note), "%s", note);
		free(note);
	}
}

static void
outcome(struct fuzz_cursor *c, struct report *r)
{
	static const char *const status[] = { NULL, "OK", "WARNING", "CRITICAL",
	    "UNKNOWN" };

	r->started_at = when_present(c);     /* report_init's PR_Now() */
	r->first_byte_us = duration(c);
	r->bytes_sent = fuzz_u32(c);
	r->bytes_received = fuzz_u32(c);
	r->peer_closed = fuzz_bool(c);
	r->close_notify_received = fuzz_bool(c);
	r->allow_weak = fuzz_bool(c);
	r->phase = (enum phase)fuzz_below(c, PHASE_DONE + 1);
	r->error = error_code(c);
	r->message = str_or_null(c);
	r->exit_code = (enum nsstls_exit)fuzz_below(c, 8);
	r->check_status = PICK(c, status);
	if (r->check_status != NULL) {
		r->check_line = str(c);
		r->check_problems = str_list(c, &r->n_check_problems, NULL);
		r->check_warn_days = (int)fuzz_below(c, 100);
		r->check_crit_days = (int)fuzz_below(c, 100);
	}
}

void
randreport_build(struct randreport *rr, const uint8_t *data, size_t size)
{
	struct fuzz_cursor c = { data, size };
	struct report *r = &rr->r;
	char *host;

	memset(rr, 0, sizeof(*rr));
	host = str(&c);
	report_init(r, host, fuzz_u16(&c));
	free(host);
	if (fuzz_bool(&c)) {
		rr->borrowed[2] = str(&c);
		r->source_file = rr->borrowed[2];
	}
	rr->borrowed[3] = str_or_null(&c);
	r->servername = rr->borrowed[3];
	rr->borrowed[4] = str_or_null(&c);
	r->verify_name = rr->borrowed[4];
	rr->o.json_pretty = fuzz_bool(&c);
	reach(&c, rr);
	chains(&c, r);
	revocation(&c, r);
	channel(&c, r);
	extras(&c, rr);
	outcome(&c, r);
}

void
randreport_free(struct randreport *rr)
{
	report_free(&rr->r);
	for (size_t i = 0; i < sizeof(rr->borrowed) / sizeof(rr->borrowed[0]); i++)
		free(rr->borrowed[i]);
}
