/*
 * Golden tests of the renderers (issue 10.2).  Reports are built by hand —
 * no network, no clock — then diagnosed (diagnose_chain: findings and the
 * verdict, a pure function of the report) and rendered as text, JSON and
 * the --check line; each output is compared with a committed file in
 * tests/golden/.  A renderer that reads anything but the report cannot
 * pass: nothing else here is fixed.
 *
 * To accept a deliberate change of the output:
 *   NSSTLS_GOLDEN_UPDATE=1 build/tests/test-golden
 * rewrites the files (then review the diff with git).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nss.h>
#include <prerror.h>
#include <secerr.h>
#include <ssl.h>
#include <sslerr.h>
#include <sslproto.h>

#include "check.h"
#include "cli.h"
#include "diagnose.h"
#include "out_json.h"
#include "out_text.h"
#include "report.h"
#include "tap.h"
#include "util.h"

#ifndef GOLDEN_DIR
#error "GOLDEN_DIR: the tests/golden directory, set by meson"
#endif

/* 2026-01-01T00:00:00Z, and a day, in PRTime microseconds. */
#define T0 ((PRTime)1767225600 * PR_USEC_PER_SEC)
#define DAY ((PRTime)86400 * PR_USEC_PER_SEC)

struct cert_spec {
	const char *cn, *issuer_cn;
	long from_days, to_days;         /* validity around T0 */
	const char *key_type;
	int bits;
	bool ca, self_signed;
	const char *weak_hash;
};

static void
make_cert(struct cert_info *c, const struct cert_spec *s, int serial)
{
	char buf[256];

	memset(c, 0, sizeof(*c));
	snprintf(buf, sizeof(buf), "CN=%s,O=nsstls tests", s->cn);
	c->subject = xstrdup(buf);
	snprintf(buf, sizeof(buf), "CN=%s,O=nsstls tests", s->issuer_cn);
	c->issuer = xstrdup(buf);
	snprintf(buf, sizeof(buf), "10:%02x", serial);
	c->serial = xstrdup(buf);
	c->not_before = T0 + s->from_days * DAY;
	c->not_after = T0 + s->to_days * DAY;
	c->days_left = s->to_days;
	c->sans = xcalloc(3, sizeof(*c->sans));
	if (!s->ca) {
		c->sans[0] = xstrdup("DNS:localhost");
		c->sans[1] = xstrdup("IP:127.0.0.1");
		c->n_sans = 2;
	}
	c->key_type = xstrdup(s->key_type);
	c->key_bits = s->bits;
	c->key_curve = strcmp(s->key_type, "EC") == 0 ?
	    xstrdup("ANSI X9.62 elliptic curve prime256v1 (aka secp256r1, NIST P-256)") : NULL;
	c->sig_alg = xstrdup(s->weak_hash != NULL ? "PKCS #1 SHA-1 With RSA Encryption" :
	    "PKCS #1 SHA-256 With RSA Encryption");
	c->weak_hash = s->weak_hash;
	for (int i = 0; i < 64; i++)
		c->sha256[i] = "0123456789abcdef"[(serial * 7 + i * 3) % 16];
	c->is_ca = s->ca;
	c->path_len = -1;
	c->self_signed = s->self_signed;
	c->has_key_usage = true;
	c->key_usage = s->ca ? (KU_KEY_CERT_SIGN | KU_CRL_SIGN) :
	    (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	c->has_eku = !s->ca;
	c->eku_server_auth = !s->ca;
}

static const struct cert_spec LEAF = { "localhost", "Test Intermediate", -30, 60,
	"RSA", 2048, false, false, NULL };
static const struct cert_spec INTER = { "Test Intermediate", "Test Root", -3000, 3000,
	"RSA", 2048, true, false, NULL };
static const struct cert_spec ROOT = { "Test Root", "Test Root", -4000, 4000,
	"RSA", 2048, true, true, NULL };

/* A connection that reached 127.0.0.1:443 and trusts one PEM file. */
static void
base_report(struct report *r)
{
	struct addr_attempt *a;

	report_init(r, "localhost", 443);
	r->nss_version = "3.x (golden)";
	r->servername = "localhost";
	r->verify_name = "localhost";
	r->started_at = T0;
	r->resolve_us = 120;
	a = report_add_attempt(r, "127.0.0.1");
	a->connect_us = 250;
	r->connected_index = 0;
	report_add_trust(r, "ca-file", "roots.pem", 1);
}

/* The server sent specs[0..n_sent-1]; the chain built is specs[0..n_built-1]
 * (the last one an anchor when anchored). */
static void
add_chain(struct report *r, const struct cert_spec *const *specs, size_t n_sent,
    size_t n_built, bool anchored)
{
	r->sent = xcalloc(n_sent, sizeof(*r->sent));
	for (size_t i = 0; i < n_sent; i++)
		make_cert(&r->sent[r->n_sent++], specs[i], (int)i + 1);
	r->built = xcalloc(n_built, sizeof(*r->built));
	for (size_t i = 0; i < n_built; i++) {
		struct chain_link *l = &r->built[r->n_built++];

		make_cert(&l->cert, specs[i], (int)i + 1);
		l->sent_index = i < n_sent ? (int)i : -1;
		l->origin = i < n_sent ? ORIGIN_SERVER : ORIGIN_LOCAL;
		l->anchor = anchored && i == n_built - 1;
		l->source = l->anchor ? 0 : -1;
	}
	r->verify.done = true;
	r->verify.chain_ok = true;
	r->verify.name_checked = true;
	r->verify.name_ok = true;
	r->verify.error_depth = -1;
	r->verify.version = SSL_LIBRARY_VERSION_TLS_1_3;
	r->verify_time = T0;
}

static void
add_handshake(struct report *r, uint16_t version)
{
	struct handshake_info *h = report_add_handshake(r);

	h->version = version;
	h->suite = version == SSL_LIBRARY_VERSION_TLS_1_3 ? 0x1301 : 0xc02f;
	h->suite_name = version == SSL_LIBRARY_VERSION_TLS_1_3 ?
	    "TLS_AES_128_GCM_SHA256" : "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
	h->group = ssl_grp_ec_curve25519;
	h->sig_scheme = ssl_sig_rsa_pss_rsae_sha256;
	h->ems = true;
	h->forward_secret = true;
	h->auth_bits = 2048;
	h->kea_bits = 255;
	h->duration_us = 4200;
	r->handshake_done_us = 4570;
	r->phase = PHASE_DONE;
}

static void
fail_chain(struct report *r, int depth, PRErrorCode err)
{
	if (depth >= 0)
		r->built[depth].error = err;
	r->verify.chain_ok = false;
	r->verify.error = err;
	r->verify.error_depth = depth;
	report_fail(r, PHASE_HANDSHAKE, err, NSSTLS_EXIT_VERIFY,
	    "certificate verification failed");
}

/* ---- the cases --------------------------------------------------------- */

static void
case_ok(struct report *r)
{
	const struct cert_spec *c[] = { &LEAF, &INTER, &ROOT };

	base_report(r);
	add_chain(r, c, 2, 3, true);
	add_handshake(r, SSL_LIBRARY_VERSION_TLS_1_3);
}

static void
case_expired(struct report *r)
{
	struct cert_spec leaf = LEAF;
	const struct cert_spec *c[] = { &leaf, &INTER, &ROOT };

	leaf.from_days = -400;
	leaf.to_days = -10;
	base_report(r);
	add_chain(r, c, 2, 3, true);
	fail_chain(r, 0, SEC_ERROR_EXPIRED_CERTIFICATE);
}

static void
case_missing_intermediate(struct report *r)
{
	const struct cert_spec *c[] = { &LEAF };

	base_report(r);
	add_chain(r, c, 1, 1, false);
	r->verify.missing_issuer = xstrdup("CN=Test Intermediate,O=nsstls tests");
	fail_chain(r, 0, SEC_ERROR_UNKNOWN_ISSUER);
}

static void
case_name_mismatch(struct report *r)
{
	const struct cert_spec *c[] = { &LEAF, &INTER, &ROOT };

	base_report(r);
	r->verify_name = "www.example.org";
	add_chain(r, c, 2, 3, true);
	r->verify.name_ok = false;
	r->verify.error = SSL_ERROR_BAD_CERT_DOMAIN;
	report_fail(r, PHASE_HANDSHAKE, SSL_ERROR_BAD_CERT_DOMAIN,
	    NSSTLS_EXIT_VERIFY, "certificate verification failed");
}

static void
case_weak_key_and_sha1(struct report *r)
{
	struct cert_spec leaf = LEAF;
	const struct cert_spec *c[] = { &leaf, &INTER, &ROOT };

	leaf.bits = 1024;
	leaf.weak_hash = "SHA-1";
	base_report(r);
	add_chain(r, c, 2, 3, true);
	fail_chain(r, 0, SSL_ERROR_WEAK_SERVER_CERT_KEY);
}

static void
case_wrong_order_root_sent(struct report *r)
{
	const struct cert_spec *c[] = { &LEAF, &ROOT, &INTER };

	base_report(r);
	add_chain(r, c, 3, 0, true);
	/* Built in the right order from the sent ones. */
	free(r->built);
	r->built = xcalloc(3, sizeof(*r->built));
	for (size_t i = 0; i < 3; i++) {
		struct chain_link *l = &r->built[r->n_built++];
		const struct cert_spec *s = i == 0 ? &LEAF : i == 1 ? &INTER : &ROOT;

		make_cert(&l->cert, s, (int)i + 1);
		l->sent_index = i == 0 ? 0 : i == 1 ? 2 : 1;
		l->origin = ORIGIN_SERVER;
		l->anchor = i == 2;
		l->source = i == 2 ? 0 : -1;
	}
	add_handshake(r, SSL_LIBRARY_VERSION_TLS_1_2);
}

static void
case_refused(struct report *r)
{
	base_report(r);
	r->attempts[0].error = PR_CONNECT_REFUSED_ERROR;
	r->connected_index = -1;
	report_fail(r, PHASE_CONNECT, PR_CONNECT_REFUSED_ERROR,
	    NSSTLS_EXIT_REACH, "cannot connect to localhost:443");
}

static void
case_handshake_alert(struct report *r)
{
	base_report(r);
	report_add_alert(r, false, 2, 40);
	report_fail(r, PHASE_HANDSHAKE, SSL_ERROR_HANDSHAKE_FAILURE_ALERT,
	    NSSTLS_EXIT_HANDSHAKE, "the server refused the handshake");
}

static void
case_tls11(struct report *r)
{
	const struct cert_spec *c[] = { &LEAF, &INTER, &ROOT };

	base_report(r);
	add_chain(r, c, 2, 3, true);
	r->verify.version = SSL_LIBRARY_VERSION_TLS_1_1;
	add_handshake(r, SSL_LIBRARY_VERSION_TLS_1_1);
}

struct golden_case {
	const char *name;
	void (*build)(struct report *);
};

static const struct golden_case CASES[] = {
	{ "ok", case_ok },
	{ "expired", case_expired },
	{ "missing-intermediate", case_missing_intermediate },
	{ "name-mismatch", case_name_mismatch },
	{ "weak-key-sha1", case_weak_key_and_sha1 },
	{ "wrong-order-root-sent", case_wrong_order_root_sent },
	{ "connect-refused", case_refused },
	{ "handshake-alert", case_handshake_alert },
	{ "tls11", case_tls11 },
};

/* ---- comparing --------------------------------------------------------- */

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0;

	*len = 0;
	if (f == NULL)
		return NULL;
	for (;;) {
		buf = xrealloc(buf, cap + 4096 + 1);
		size_t n = fread(buf + *len, 1, 4096, f);

		*len += n;
		cap += 4096;
		if (n < 4096)
			break;
	}
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

static void
compare(const char *name, const char *ext, const char *got, size_t len)
{
	char path[512];
	size_t want_len;
	char *want;

	snprintf(path, sizeof(path), "%s/%s.%s", GOLDEN_DIR, name, ext);
	if (getenv("NSSTLS_GOLDEN_UPDATE") != NULL) {
		FILE *f = fopen(path, "wb");

		ok(f != NULL && fwrite(got, 1, len, f) == len && fclose(f) == 0,
		    "%s.%s rewritten", name, ext);
		return;
	}
	want = slurp(path, &want_len);
	ok(want != NULL && want_len == len && memcmp(want, got, len) == 0,
	    "%s.%s matches %s", name, ext, path);
	if (want != NULL && (want_len != len || memcmp(want, got, len) != 0))
		fprintf(stderr, "# --- want\n%s# --- got\n%s", want, got);
	free(want);
}

typedef void (*render_fn)(FILE *, struct report *, const struct nsstls_opts *);

static void
render_text(FILE *f, struct report *r, const struct nsstls_opts *o)
{
	out_text_report(f, r, o);
	out_text_error(f, r);
}

static void
render_json(FILE *f, struct report *r, const struct nsstls_opts *o)
{
	(void)out_json_report(f, r, o);
}

static void
render_check(FILE *f, struct report *r, const struct nsstls_opts *o)
{
	(void)check_evaluate(r, o);
	check_print(f, r, true);
}

static void
run_case(const struct golden_case *c, const char *ext, render_fn render,
    const struct nsstls_opts *o)
{
	struct report r;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	c->build(&r);
	diagnose_chain(&r, o);
	render(m, &r, o);
	fclose(m);
	compare(c->name, ext, buf, len);
	free(buf);
	report_free(&r);
}

int
main(void)
{
	const char *text_argv[] = { "nsstls", "--no-data", "localhost" };
	const char *json_argv[] = { "nsstls", "--json", "localhost" };
	const char *check_argv[] = { "nsstls", "--check", "localhost" };
	struct nsstls_opts text_o, json_o, check_o;

	/* The error tables (names and texts of NSS errors) are NSS's. */
	if (NSS_NoDB_Init(NULL) != SECSuccess || NSS_SetDomesticPolicy() != SECSuccess) {
		printf("Bail out! NSS_NoDB_Init failed\n");
		return 1;
	}
	if (cli_parse(3, text_argv, &text_o) != CLI_RUN ||
	    cli_parse(3, json_argv, &json_o) != CLI_RUN ||
	    cli_parse(3, check_argv, &check_o) != CLI_RUN) {
		printf("Bail out! cli_parse failed\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
		run_case(&CASES[i], "txt", render_text, &text_o);
		run_case(&CASES[i], "json", render_json, &json_o);
		run_case(&CASES[i], "check", render_check, &check_o);
	}
	cli_free(&text_o);
	cli_free(&json_o);
	cli_free(&check_o);
	if (NSS_Shutdown() != SECSuccess)
		printf("not ok - NSS_Shutdown\n");
	return done_testing();
}
