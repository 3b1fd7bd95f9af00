/*
 * out_scan_json: the JSON document of a scan.  It is the connect-mode
 * document (out_json.c: target, addresses, trust sources, outcome; every
 * key present) with "mode": "scan" and a "scan" section, so one schema
 * and one reader serve both.  The section lives in
 * schema/nsstls-report.schema.json under $defs/scan.
 */
#include "scan.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "out_json.h"
#include "rawhello.h"
#include "scan_suites.h"

static json_t *
jstr(const char *s)
{
	return out_json_str(s);
}

static const char *
vname(uint16_t v)
{
	return v == RAWHELLO_SSL2 ? "SSLv2" : v == 0x0300 ? "SSLv3" :
	    names_version_str(v);
}

static json_t *
jsuite(const struct scan_version *v, const struct scan_suite *s)
{
	const struct scan_suite_info *in = scan_suite_find(s->id);
	char id[8];

	snprintf(id, sizeof(id), "0x%04x", s->id);
	return json_pack("{s:s, s:o, s:o, s:o, s:i, s:s, s:b, s:o, s:o}",
	    "id", id, "name", jstr(in ? in->iana : names_cipher_str(s->id)),
	    "openssl_name", jstr(in ? in->openssl : NULL),
	    "key_exchange", jstr(in ? scan_suite_kx(in) : NULL),
	    "bits", in ? in->bits : 0,
	    "severity", scan_suite_severity_str(scan_suite_severity(s->id)),
	    "raw_probe", s->raw,
	    "group", s->group != 0 && v->version < 0x0304 ?
	    jstr(scan_group_name(s->group)) : json_null(),
	    "dh_bits", s->kea_bits > 0 && s->group == 0 && in != NULL &&
	    strcmp(scan_suite_kx(in), "DHE") == 0 ?
	    json_integer(s->kea_bits) : json_null());
}

static json_t *
jversion(const struct scan_version *v)
{
	json_t *suites = json_array(), *groups = json_array(), *sigs = json_array();

	for (size_t k = 0; k < v->n_suites; k++)
		json_array_append_new(suites, jsuite(v, &v->suites[k]));
	for (size_t k = 0; k < v->n_groups; k++)
		json_array_append_new(groups, json_pack("{s:s, s:o, s:b}",
		    "name", scan_group_name(v->groups[k].id),
		    "hello_retry_request", v->groups[k].share_tested ?
		    json_boolean(v->groups[k].hrr) : json_null(),
		    "raw_probe", v->groups[k].raw));
	for (size_t k = 0; k < v->n_sigalgs; k++)
		json_array_append_new(sigs, json_string(
		    names_sigalg_str((SSLSignatureScheme)v->sigalgs[k])));
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o}",
	    "version", vname(v->version), "accepted", scan_state_str(v->state),
	    "dh_params", v->dh_bits > 0 ? json_pack("{s:i, s:o}", "bits", v->dh_bits,
	    "prime", jstr(v->dh_prime)) : json_null(),
	    "order", v->order == ORDER_SERVER ? json_string("server") :
	    v->order == ORDER_CLIENT ? json_string("client") : json_null(),
	    "suites", suites, "groups", groups, "signature_schemes", sigs);
}

static json_t *
jcert(const struct scan_cert *c)
{
	const struct report *r = c->r;
	const struct cert_info *x = &r->sent[0];
	json_t *findings = json_array();

	for (size_t k = 0; k < r->n_findings; k++)
		json_array_append_new(findings, json_pack("{s:s, s:s, s:o}",
		    "severity", report_severity_str(r->findings[k].severity),
		    "id", r->findings[k].id, "text", jstr(r->findings[k].text)));
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:i, s:b, s:o, s:o}",
	    "found_by", jstr(c->label), "subject", jstr(x->subject),
	    "issuer", jstr(x->issuer), "sha256", jstr(x->sha256),
	    "key_type", jstr(x->key_type), "key_bits", x->key_bits,
	    "verified", r->verify.chain_ok && r->verify.name_ok,
	    "message", jstr(r->message), "findings", findings);
}

static json_t *
jfeatures(const struct scan_features *f)
{
	json_t *alpn = json_array();

	for (size_t i = 0; i < f->n_alpn; i++)
		json_array_append_new(alpn, jstr(f->alpn[i]));
	return json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, "
	    "s:o, s:I, s:s, s:s, s:s, s:s, s:s}", "alpn", alpn,
	    "fallback_scsv", scan_state_str(f->fallback_scsv),
	    "secure_renegotiation", scan_state_str(f->secure_reneg),
	    "client_renegotiation", scan_state_str(f->client_reneg),
	    "extended_master_secret", scan_state_str(f->ems),
	    "resumption_session_id", scan_state_str(f->resume_id),
	    "resumption_ticket", scan_state_str(f->resume_ticket),
	    "resumption_tls13", scan_state_str(f->resume_tls13),
	    "early_data", scan_state_str(f->early_data),
	    "early_data_result", jstr(scan_early_str(f->early_result)),
	    "early_data_max_size", f->early_max >= 0 ?
	    json_integer(f->early_max) : json_null(),
	    "early_data_sent", (json_int_t)f->early_sent,
	    "ocsp_stapling", scan_state_str(f->ocsp_stapling),
	    "scts", scan_state_str(f->scts),
	    "compression", scan_state_str(f->compression),
	    "heartbeat", scan_state_str(f->heartbeat),
	    "ech", scan_state_str(f->ech));
}

static json_t *
jscan(const struct scan_result *res)
{
	static const char *const verdict[] = { "pass", "warn", "fail" };
	json_t *versions = json_array(), *certs = json_array(),
	    *findings = json_array();

	for (int i = 0; i < SCAN_N_VERSIONS; i++)
		json_array_append_new(versions, jversion(&res->versions[i]));
	for (size_t i = 0; i < res->n_certs; i++)
		json_array_append_new(certs, jcert(&res->certs[i]));
	for (size_t i = 0; i < res->n_findings; i++)
		json_array_append_new(findings, json_pack("{s:s, s:s, s:o}",
		    "severity", report_severity_str(res->findings[i].severity),
		    "id", res->findings[i].id, "text", jstr(res->findings[i].text)));
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:b, s:o, s:o, s:o, s:o, s:o}",
	    "profile", res->profile, "verdict", verdict[scan_check_code(res)],
	    "connections", (json_int_t)res->connections,
	    "refused_connections", (json_int_t)res->refusals,
	    "duration_us", (json_int_t)res->duration_us,
	    "complete", !res->incomplete,
	    "incomplete_reason", jstr(res->incomplete_why),
	    "versions", versions, "certificates", certs,
	    "features", jfeatures(&res->f), "findings", findings);
}

int
out_scan_json(FILE *f, const struct scan_result *res, const struct report *r,
    const struct nsstls_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	json_t *doc = NULL;
	int rc;

	/* The common keys come from connect mode's renderer, as they are. */
	if (mem == NULL)
		return -1;
	rc = out_json_report(mem, r, o);
	if (fclose(mem) != 0)
		rc = -1;
	if (rc != 0)
		goto out;
	rc = -1;
	doc = json_loadb(buf, len, 0, NULL);
	if (doc == NULL)
		goto out;
	json_object_set_new(doc, "mode", json_string("scan"));
	json_object_set_new(doc, "scan", jscan(res));
	rc = json_dumpf(doc, f, JSON_PRESERVE_ORDER |
	    (o->json_pretty ? JSON_INDENT(2) : JSON_COMPACT));
	fputc('\n', f);
	rc = rc == 0 && fflush(f) == 0 ? 0 : -1;
out:
	json_decref(doc);
	free(buf);
	return rc;
}
