/*
 * server_report: renderers of a server-mode connection (see
 * server_report.h).  Everything from the client (SNI, ALPN) is escaped on
 * its way to the terminal and made valid UTF-8 for JSON.
 */
#include "server_report.h"

#include <stdlib.h>
#include <string.h>

#include <prerror.h>

#include "names.h"
#include "out_json.h"
#include "out_text.h"
#include "util.h"

void
server_conn_info_free(struct server_conn_info *s)
{
	free(s->cert_subject);
	s->cert_subject = NULL;
}

/* IANA names of the extensions a ClientHello commonly carries. */
static const char *
ext_name(uint16_t t)
{
	static const struct { uint16_t t; const char *n; } names[] = {
		{ 0, "server_name" }, { 1, "max_fragment_length" },
		{ 5, "status_request" }, { 10, "supported_groups" },
		{ 11, "ec_point_formats" }, { 13, "signature_algorithms" },
		{ 15, "heartbeat" }, { 16, "application_layer_protocol_negotiation" },
		{ 17, "status_request_v2" }, { 18, "signed_certificate_timestamp" },
		{ 21, "padding" }, { 22, "encrypt_then_mac" },
		{ 23, "extended_master_secret" }, { 27, "compress_certificate" },
		{ 28, "record_size_limit" }, { 34, "delegated_credentials" },
		{ 35, "session_ticket" }, { 41, "pre_shared_key" },
		{ 42, "early_data" }, { 43, "supported_versions" }, { 44, "cookie" },
		{ 45, "psk_key_exchange_modes" }, { 47, "certificate_authorities" },
		{ 49, "post_handshake_auth" }, { 50, "signature_algorithms_cert" },
		{ 51, "key_share" }, { 57, "quic_transport_parameters" },
		{ 17513, "application_settings" }, { 0xfe0d, "encrypted_client_hello" },
		{ 0xff01, "renegotiation_info" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].t == t)
			return names[i].n;
	return NULL;
}

enum kind { K_SUITE, K_EXT, K_GROUP, K_SIG, K_VERSION };

/* The name of a value of a kind, or NULL when it has none. */
static const char *
value_name(enum kind k, uint16_t v)
{
	const char *n = NULL;

	if (clienthello_is_grease(v))
		return "GREASE";
	switch (k) {
	case K_SUITE:
		n = names_cipher_str(v);
		if (n == NULL && v == 0x00ff)
			n = "TLS_EMPTY_RENEGOTIATION_INFO_SCSV";
		if (n == NULL && v == 0x5600)
			n = "TLS_FALLBACK_SCSV";
		return n;
	case K_EXT: return ext_name(v);
	case K_GROUP:
		n = names_group_str((SSLNamedGroup)v);
		return strncmp(n, "group-", 6) == 0 ? NULL : n;
	case K_SIG:
		n = names_sigalg_str((SSLSignatureScheme)v);
		return strncmp(n, "0x", 2) == 0 ? NULL : n;
	case K_VERSION:
		n = names_version_str(v);
		return strncmp(n, "0x", 2) == 0 ? NULL : n;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Text                                                                */

static void
text_list(FILE *f, const char *label, enum kind k, const uint16_t *v, size_t n)
{
	fprintf(f, "  %-22s", label);
	if (n == 0)
		fputs(" none", f);
	for (size_t i = 0; i < n; i++) {
		const char *name = value_name(k, v[i]);

		fprintf(f, "%s%s", i ? ", " : " ", name ? name : "");
		fprintf(f, name ? " (0x%04x)" : "0x%04x", v[i]);
	}
	fputc('\n', f);
}

static void
text_hello(FILE *f, const struct server_conn_info *s)
{
	const struct clienthello *h = &s->hello;

	if (s->hello_result != CH_OK) {
		fprintf(f, "ClientHello            not decoded: %s\n",
		    clienthello_result_str(s->hello_result));
		return;
	}
	fprintf(f, "ClientHello received after %.1f ms\n", s->hello_us / 1000.0);
	fprintf(f, "  %-22s %s (0x%04x)\n", "Legacy version",
	    names_version_str(h->legacy_version), h->legacy_version);
	text_list(f, "Supported versions", K_VERSION, h->versions, h->n_versions);
	text_list(f, "Cipher suites", K_SUITE, h->suites, h->n_suites);
	text_list(f, "Extensions", K_EXT, h->exts, h->n_exts);
	text_list(f, "Groups", K_GROUP, h->groups, h->n_groups);
	fprintf(f, "  %-22s", "Key shares");
	if (h->n_shares == 0)
		fputs(" none", f);
	for (size_t i = 0; i < h->n_shares; i++)
		fprintf(f, "%s%s (%u bytes)", i ? ", " : " ",
		    names_group_str((SSLNamedGroup)h->shares[i].group),
		    h->shares[i].len);
	fputc('\n', f);
	text_list(f, "Signature schemes", K_SIG, h->sigalgs, h->n_sigalgs);
	fprintf(f, "  %-22s", "ALPN");
	if (h->n_alpn == 0)
		fputs(" none", f);
	for (size_t i = 0; i < h->n_alpn; i++) {
		fputs(i ? ", " : " ", f);
		util_fputs_term(h->alpn[i], f);
	}
	fprintf(f, "\n  %-22s ", "Server name (SNI)");
	if (h->has_sni)
		util_fputs_term(h->sni, f);
	else
		fputs("none", f);
	fprintf(f, "\n  %-22s %s\n", "Session ticket", h->ticket_offered ?
	    "offered" : h->ticket_ext ? "supported (empty)" : "no");
	fprintf(f, "  %-22s %u\n", "PSK identities", h->psk_identities);
	fprintf(f, "  %-22s %s\n", "Early data", h->early_data ? "offered" : "no");
	fprintf(f, "  %-22s %s\n", "ECH", !h->ech ? "no" : h->ech_outer ?
	    "offered (outer)" : "yes (inner)");
	fprintf(f, "  %-22s %s\n", "JA3", s->ja3);
	fprintf(f, "  %-22s %s\n", "JA3 string", s->ja3_string);
	fprintf(f, "  %-22s %s\n", "JA4", s->ja4);
}

void
server_report_client_cert(FILE *f, const struct server_conn_info *s,
    const struct report *r)
{
	fprintf(f, "Client certificate     ");
	if (!s->cert_received) {
		fputs("none sent\n", f);
	} else {
		util_fputs_term(s->cert_subject ? s->cert_subject : "?", f);
		if (s->cert_ok)
			fprintf(f, "\n  verified (%s)\n", s->cert_when);
		else
			fprintf(f, "\n  NOT verified: %s (%s)\n",
			    PR_ErrorToString(s->cert_error, PR_LANGUAGE_I_DEFAULT),
			    PR_ErrorToName(s->cert_error) ?
			    PR_ErrorToName(s->cert_error) : "?");
	}
	for (size_t i = 0; i < r->n_findings; i++) {
		fprintf(f, "  %s: ", report_severity_str(r->findings[i].severity));
		util_fputs_term(r->findings[i].text, f);
		fputc('\n', f);
	}
}

void
server_report_text(FILE *f, const struct server_conn_info *s,
    const struct report *r, const struct nsstls_opts *o)
{
	if (o->quiet)
		return;
	fprintf(f, "Connection from %s on %s\n", s->peer, s->listen);
	text_hello(f, s);
	for (size_t i = 0; i < r->n_handshakes; i++)
		out_text_handshake(f, r, i);
	if (s->cert_requested)
		server_report_client_cert(f, s, r);
	if (o->verbose > 0 || r->exit_code != NSSTLS_EXIT_OK)
		out_text_alerts(f, r);
	if (r->phase == PHASE_DONE || r->exit_code == NSSTLS_EXIT_OK)
		fprintf(f, "Closed: %llu bytes received, %llu sent\n",
		    (unsigned long long)r->bytes_received,
		    (unsigned long long)r->bytes_sent);
	out_text_error(f, r);
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */

/* Bytes from the client as a JSON string: control bytes escaped, the rest
 * made valid UTF-8. */
static json_t *
jclient_str(const char *s, size_t len)
{
	char *esc = util_escape(s, len, true);
	char *clean = out_json_utf8(esc);
	json_t *j = json_string(clean);

	free(esc);
	free(clean);
	return j != NULL ? j : json_null();
}

static json_t *
jvalues(enum kind k, const uint16_t *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		const char *name = value_name(k, v[i]);

		json_array_append_new(a, json_pack("{s:i, s:o, s:b}", "id", v[i],
		    "name", name ? json_string(name) : json_null(),
		    "grease", clienthello_is_grease(v[i])));
	}
	return a;
}

static json_t *
jhello(const struct server_conn_info *s)
{
	const struct clienthello *h = &s->hello;
	json_t *o, *shares = json_array(), *alpn = json_array(), *pf = json_array();

	for (size_t i = 0; i < h->n_shares; i++)
		json_array_append_new(shares, json_pack("{s:i, s:o, s:b, s:i}",
		    "id", h->shares[i].group, "name",
		    value_name(K_GROUP, h->shares[i].group) ?
		    json_string(value_name(K_GROUP, h->shares[i].group)) :
		    json_null(), "grease", clienthello_is_grease(h->shares[i].group),
		    "length", h->shares[i].len));
	for (size_t i = 0; i < h->n_alpn; i++)
		json_array_append_new(alpn, jclient_str(h->alpn[i], h->alpn_len[i]));
	for (size_t i = 0; i < h->n_point_formats; i++)
		json_array_append_new(pf, json_integer(h->point_formats[i]));
	o = json_pack("{s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "legacy_version", h->legacy_version,
	    "supported_versions", jvalues(K_VERSION, h->versions, h->n_versions),
	    "cipher_suites", jvalues(K_SUITE, h->suites, h->n_suites),
	    "extensions", jvalues(K_EXT, h->exts, h->n_exts),
	    "groups", jvalues(K_GROUP, h->groups, h->n_groups),
	    "key_shares", shares,
	    "signature_schemes", jvalues(K_SIG, h->sigalgs, h->n_sigalgs),
	    "point_formats", pf, "alpn", alpn);
	json_object_set_new(o, "server_name", h->has_sni ?
	    jclient_str(h->sni, h->sni_len) : json_null());
	json_object_set_new(o, "session_id_length", json_integer(h->session_id_len));
	json_object_set_new(o, "session_ticket", json_boolean(h->ticket_offered));
	json_object_set_new(o, "psk_identities", json_integer(h->psk_identities));
	json_object_set_new(o, "early_data", json_boolean(h->early_data));
	json_object_set_new(o, "ech", json_boolean(h->ech));
	json_object_set_new(o, "post_handshake_auth",
	    json_boolean(h->post_handshake_auth));
	json_object_set_new(o, "truncated", json_boolean(h->truncated));
	json_object_set_new(o, "ja3", json_string(s->ja3));
	json_object_set_new(o, "ja3_string", json_string(s->ja3_string));
	json_object_set_new(o, "ja4", json_string(s->ja4));
	return o;
}

int
server_report_json(FILE *f, const struct server_conn_info *s,
    const struct report *r, const struct nsstls_opts *o)
{
	json_t *doc = out_json_doc(r, o);
	const char *err = s->cert_error ? PR_ErrorToName(s->cert_error) : NULL;

	json_object_set_new(doc, "mode", json_string("server"));
	json_object_set_new(doc, "server", json_pack(
	    "{s:s, s:{s:s, s:i}, s:o, s:o, s:{s:b, s:b, s:b, s:b, s:o, s:o}}",
	    "listen", s->listen,
	    "peer", "address", s->peer_addr, "port", s->peer_port,
	    "client_hello", s->hello_result == CH_OK ? jhello(s) : json_null(),
	    "client_hello_problem", s->hello_result == CH_OK ? json_null() :
	    json_string(clienthello_result_str(s->hello_result)),
	    "client_certificate",
	    "requested", s->cert_requested, "required", s->cert_required,
	    "received", s->cert_received, "verified", s->cert_ok,
	    "subject", s->cert_subject ? jclient_str(s->cert_subject,
	    strlen(s->cert_subject)) : json_null(),
	    "error", err ? json_string(err) : json_null()));
	return out_json_write(f, doc, o);
}

void
server_report_certs(FILE *f, const struct cert_info *info, const int *sent,
    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct cert_info *c = &info[i];

		fprintf(f, "nsstls: serving %s %d bits%s%s: ",
		    c->key_type ? c->key_type : "unknown", c->key_bits,
		    c->key_curve ? ", " : "", c->key_curve ? c->key_curve : "");
		util_fputs_term(c->subject ? c->subject : "(unknown subject)", f);
		if (sent[i] > 0)
			fprintf(f, " (sent with %d chain certificate%s, as "
			    "given)\n", sent[i] - 1, sent[i] == 2 ? "" : "s");
		else
			fputs(" (chain built by NSS)\n", f);
	}
}

void
server_report_listening(FILE *f, const char *where)
{
	fprintf(f, "nsstls: listening on %s\n", where);
	fflush(f);
}
