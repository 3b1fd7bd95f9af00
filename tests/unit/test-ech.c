/*
 * Unit tests for echconfig.c (base64, ECHConfigList parsing) and the
 * HTTPS record parser of httpsrr.c, on hand-built bytes: the tests have
 * no network, so no DNS answer is captured live.
 */
#include <stdlib.h>
#include <string.h>

#include "echconfig.h"
#include "exporter.h"
#include "httpsrr.h"
#include "tap.h"

/* An ECHConfigList made by NSS's SSL_EncodeEchConfigId (tests/tools/
 * echserver): config id 7, X25519, HKDF-SHA256/AES-128-GCM, max name
 * length 100, public name public.nsstls.test. */
static const char good_b64[] =
    "AEX+DQBBBwAgACBq1t1teHkHQeYLfr59AwPPbRkIx/ojYHUT7jl6AvpoBAAEAAEAAWQScHVi"
    "bGljLm5zc3Rscy50ZXN0AAA=";

/* Build one version-0xfe0d ECHConfig (header included) into p. */
static size_t
make_config(unsigned char *p, unsigned kem, unsigned kdf, unsigned aead,
    const char *name, unsigned ext_type)
{
	size_t n = 0, body, nlen = strlen(name);

	p[n++] = 0xfe;
	p[n++] = 0x0d;
	n += 2;                 /* length, below */
	body = n;
	p[n++] = 3;             /* config_id */
	p[n++] = (unsigned char)(kem >> 8);
	p[n++] = (unsigned char)kem;
	p[n++] = 0;
	p[n++] = 32;            /* public key */
	memset(p + n, 0x42, 32);
	n += 32;
	p[n++] = 0;
	p[n++] = 4;             /* one suite */
	p[n++] = (unsigned char)(kdf >> 8);
	p[n++] = (unsigned char)kdf;
	p[n++] = (unsigned char)(aead >> 8);
	p[n++] = (unsigned char)aead;
	p[n++] = 64;            /* maximum_name_length */
	p[n++] = (unsigned char)nlen;
	memcpy(p + n, name, nlen);
	n += nlen;
	if (ext_type != 0) {
		p[n++] = 0;
		p[n++] = 4;
		p[n++] = (unsigned char)(ext_type >> 8);
		p[n++] = (unsigned char)ext_type;
		p[n++] = 0;
		p[n++] = 0;
	} else {
		p[n++] = 0;
		p[n++] = 0;
	}
	p[body - 2] = (unsigned char)((n - body) >> 8);
	p[body - 1] = (unsigned char)(n - body);
	return n;
}

/* Wrap configs of total length len (at p + 2) in the list's length. */
static size_t
wrap_list(unsigned char *p, size_t len)
{
	p[0] = (unsigned char)(len >> 8);
	p[1] = (unsigned char)len;
	return len + 2;
}

static void
test_base64(void)
{
	size_t len = 0;
	unsigned char *d;
	char *e;

	d = echconfig_b64_decode("aGVsbG8=", &len);
	ok(d != NULL && len == 5 && memcmp(d, "hello", 5) == 0, "base64 with padding");
	free(d);
	d = echconfig_b64_decode("aGVsbG8", &len);
	ok(d != NULL && len == 5, "base64 without padding");
	free(d);
	d = echconfig_b64_decode(" aGVs\nbG8= ", &len);
	ok(d != NULL && len == 5, "spaces and line breaks are ignored");
	free(d);
	ok(echconfig_b64_decode("aGV*bG8=", &len) == NULL, "a '*' is not base64");
	ok(echconfig_b64_decode("aGVsbG8=x", &len) == NULL, "data after padding");
	ok(echconfig_b64_decode("a", &len) == NULL, "one digit is no byte");
	ok(echconfig_b64_decode("aGVsbG8==", &len) == NULL, "too much padding");
	ok(echconfig_b64_decode("", &len) == NULL, "empty");
	ok(echconfig_b64_decode("auto-ish", &len) == NULL,
	    "'-' is base64url, not base64");
	e = echconfig_b64_encode((const unsigned char *)"hello", 5);
	ok(strcmp(e, "aGVsbG8=") == 0, "encode pads: %s", e);
	free(e);
	d = echconfig_b64_decode(good_b64, &len);
	e = echconfig_b64_encode(d, len);
	ok(d != NULL && strcmp(e, good_b64) == 0, "decode/encode round trip");
	free(d);
	free(e);
}

static void
test_parse_good(void)
{
	size_t len = 0;
	unsigned char *d = echconfig_b64_decode(good_b64, &len);
	struct echconfig *c = NULL;
	char *err = NULL;
	int n = echconfig_parse(d, len, &c, &err);

	ok(n == 1, "NSS's config list parses (%d)", n);
	if (n == 1) {
		ok(c[0].known && c[0].version == 0xfe0d, "version 0xfe0d");
		ok(c[0].config_id == 7 && c[0].kem_id == 0x0020, "config id 7, X25519");
		ok(c[0].max_name_len == 100 && c[0].n_suites == 1, "max name 100, 1 suite");
		ok(strcmp(c[0].public_name, "public.nsstls.test") == 0,
		    "public name %s", c[0].public_name);
		ok(echconfig_first_usable(c, 1) == &c[0], "usable by NSS");
	}
	free(c);
	free(d);
}

static void
test_parse_lists(void)
{
	unsigned char buf[1024];
	struct echconfig *c = NULL;
	char *err = NULL;
	size_t n1, n2, len;
	int n;

	/* An unknown version first (skipped), then a good one. */
	buf[2] = 0xfe;
	buf[3] = 0x0a;
	buf[4] = 0;
	buf[5] = 3;
	buf[6] = buf[7] = buf[8] = 9;
	n1 = 7;
	n2 = make_config(buf + 2 + n1, 0x20, 1, 3, "cover.example", 0);
	len = wrap_list(buf, n1 + n2);
	n = echconfig_parse(buf, len, &c, &err);
	ok(n == 2 && !c[0].known && c[1].known && c[1].usable,
	    "unknown version skipped, ChaCha20 suite usable");
	ok(n == 2 && echconfig_first_usable(c, 2) == &c[1], "the second is used");
	free(c);

	/* Usable only by other clients. */
	len = wrap_list(buf, make_config(buf + 2, 0x10, 1, 1, "p256.example", 0));
	n = echconfig_parse(buf, len, &c, &err);
	ok(n == 1 && !c[0].usable && echconfig_first_usable(c, 1) == NULL,
	    "P-256 KEM: parsed, not usable by NSS 3.87");
	free(c);
	len = wrap_list(buf, make_config(buf + 2, 0x20, 2, 1, "sha384.example", 0));
	n = echconfig_parse(buf, len, &c, &err);
	ok(n == 1 && !c[0].usable, "HKDF-SHA384 only: not usable");
	free(c);
	len = wrap_list(buf, make_config(buf + 2, 0x20, 1, 1, "m.example", 0xfe01));
	n = echconfig_parse(buf, len, &c, &err);
	ok(n == 1 && !c[0].usable, "unknown mandatory extension: not usable");
	free(c);
	len = wrap_list(buf, make_config(buf + 2, 0x20, 1, 1, "o.example", 0x0e01));
	n = echconfig_parse(buf, len, &c, &err);
	ok(n == 1 && c[0].usable, "unknown optional extension: usable");
	free(c);
	len = wrap_list(buf, make_config(buf + 2, 0x20, 1, 1, "192.0.2.1", 0));
	n = echconfig_parse(buf, len, &c, &err);
	ok(n == 1 && !c[0].usable, "an IPv4 public name is ignored");
	free(c);
}

static void
expect_error(const unsigned char *p, size_t len, const char *needle,
    const char *what)
{
	struct echconfig *c = NULL;
	char *err = NULL;
	int n = echconfig_parse(p, len, &c, &err);

	ok(n == -1 && c == NULL && err != NULL && strstr(err, needle) != NULL,
	    "%s: %s", what, err ? err : "(no error)");
	free(err);
	free(c);
}

static void
test_parse_bad(void)
{
	unsigned char buf[1024] = { 0 };
	size_t cl, len;

	expect_error(buf, 1, "at least 2 bytes", "one byte");
	buf[0] = 0;
	buf[1] = 0;
	expect_error(buf, 2, "empty", "empty list");
	cl = make_config(buf + 2, 0x20, 1, 1, "public.example", 0);
	len = wrap_list(buf, cl);
	expect_error(buf, len - 1, "says it holds", "list shorter than its length");
	buf[1]++;
	expect_error(buf, len + 1, "header is cut short",
	    "a stray byte after the config");
	buf[1]--;
	buf[5]++;               /* the config's own length */
	expect_error(buf, len, "runs past the end", "config longer than the list");
	buf[5]--;
	/* public_name length pointing past the config */
	buf[2 + 4 + 1 + 2 + 2 + 32 + 2 + 4 + 1] = 200;
	expect_error(buf, len, "public_name", "public_name past the end");
	cl = make_config(buf + 2, 0x20, 1, 1, "bad name!", 0);
	len = wrap_list(buf, cl);
	expect_error(buf, len, "not a host name", "public_name with a space");
	/* cipher suites: 3 bytes */
	cl = make_config(buf + 2, 0x20, 1, 1, "x.example", 0);
	len = wrap_list(buf, cl);
	buf[2 + 4 + 1 + 2 + 2 + 32 + 1] = 3;
	expect_error(buf, len, "cipher suite", "suite list not a multiple of 4");
	/* a stray byte inside the config, after its extensions */
	cl = make_config(buf + 2, 0x20, 1, 1, "x.example", 0);
	buf[2 + cl] = 0;
	buf[5]++;               /* the config's length */
	len = wrap_list(buf, cl + 1);
	expect_error(buf, len, "left over", "bytes after the extensions");
}

/* RDATA: priority, target name, then key/value pairs. */
static size_t
rdata(unsigned char *p, unsigned prio, const char *const *labels,
    const unsigned *keys, const unsigned char *const *vals,
    const size_t *lens, size_t nparams)
{
	size_t n = 0;

	p[n++] = (unsigned char)(prio >> 8);
	p[n++] = (unsigned char)prio;
	for (size_t i = 0; labels != NULL && labels[i] != NULL; i++) {
		size_t l = strlen(labels[i]);

		p[n++] = (unsigned char)l;
		memcpy(p + n, labels[i], l);
		n += l;
	}
	p[n++] = 0;
	for (size_t i = 0; i < nparams; i++) {
		p[n++] = (unsigned char)(keys[i] >> 8);
		p[n++] = (unsigned char)keys[i];
		p[n++] = (unsigned char)(lens[i] >> 8);
		p[n++] = (unsigned char)lens[i];
		memcpy(p + n, vals[i], lens[i]);
		n += lens[i];
	}
	return n;
}

static void
test_https_rr(void)
{
	static const unsigned char alpn[] = { 2, 'h', '2', 8, 'h', 't', 't', 'p',
	    '/', '1', '.', '1' };
	static const unsigned char v4hint[] = { 192, 0, 2, 1 };
	static const char *const svc[] = { "svc", "example", "net", NULL };
	unsigned char ech[256], buf[1024];
	size_t ech_len = 0;
	unsigned char *d = echconfig_b64_decode(good_b64, &ech_len);
	struct https_rr rr;
	const char *err = NULL;
	size_t n;
	char *q;

	memcpy(ech, d, ech_len);
	free(d);
	{
		/* 1 . alpn="h2,http/1.1" ipv4hint=192.0.2.1 ech=... */
		const unsigned keys[] = { 1, 4, 5 };
		const unsigned char *const vals[] = { alpn, v4hint, ech };
		const size_t lens[] = { sizeof(alpn), sizeof(v4hint), ech_len };

		n = rdata(buf, 1, NULL, keys, vals, lens, 3);
		ok(httpsrr_parse(buf, n, &rr, &err) == 0 && rr.priority == 1 &&
		    strcmp(rr.target, ".") == 0, "ServiceMode record, target \".\"");
		ok(rr.ech == buf + n - ech_len && rr.ech_len == ech_len,
		    "the ech value is found after alpn and ipv4hint");
	}
	{
		const unsigned keys[] = { 1 };
		const unsigned char *const vals[] = { alpn };
		const size_t lens[] = { sizeof(alpn) };

		n = rdata(buf, 2, svc, keys, vals, lens, 1);
		ok(httpsrr_parse(buf, n, &rr, &err) == 0 && rr.ech == NULL &&
		    strcmp(rr.target, "svc.example.net") == 0,
		    "no ech parameter; target %s", rr.target);
	}
	{
		const unsigned keys[] = { 5 };
		const unsigned char *const vals[] = { ech };
		const size_t lens[] = { ech_len };

		n = rdata(buf, 0, svc, keys, vals, lens, 1);
		ok(httpsrr_parse(buf, n, &rr, &err) == 0 && rr.priority == 0 &&
		    rr.ech == NULL, "AliasMode: SvcParams are ignored");
	}
	{
		const unsigned keys[] = { 5, 1 };
		const unsigned char *const vals[] = { ech, alpn };
		const size_t lens[] = { ech_len, sizeof(alpn) };

		n = rdata(buf, 1, NULL, keys, vals, lens, 2);
		ok(httpsrr_parse(buf, n, &rr, &err) == -1 && strstr(err, "order"),
		    "keys out of order: %s", err);
	}
	{
		const unsigned keys[] = { 5, 5 };
		const unsigned char *const vals[] = { ech, ech };
		const size_t lens[] = { ech_len, ech_len };

		n = rdata(buf, 1, NULL, keys, vals, lens, 2);
		ok(httpsrr_parse(buf, n, &rr, &err) == -1, "a repeated key");
	}
	{
		const unsigned keys[] = { 5 };
		const unsigned char *const vals[] = { ech };
		const size_t lens[] = { ech_len };

		n = rdata(buf, 1, NULL, keys, vals, lens, 1);
		ok(httpsrr_parse(buf, n - 1, &rr, &err) == -1 && strstr(err, "past"),
		    "truncated value: %s", err);
		ok(httpsrr_parse(buf, 1, &rr, &err) == -1, "one byte");
	}
	buf[0] = 0;
	buf[1] = 1;
	buf[2] = 0xc0;          /* a compression pointer */
	buf[3] = 12;
	ok(httpsrr_parse(buf, 4, &rr, &err) == -1 && strstr(err, "TargetName"),
	    "compressed TargetName: %s", err);

	q = httpsrr_query_name("example.com", 443);
	ok(strcmp(q, "example.com") == 0, "port 443 queries the host");
	free(q);
	q = httpsrr_query_name("example.com", 8443);
	ok(strcmp(q, "_8443._https.example.com") == 0, "other ports: %s", q);
	free(q);
}

static void
test_exporter_parse(void)
{
	struct exporter_req e;
	const char *err = NULL;

	ok(exporter_parse("EXPORTER-x", &e, &err) == 0 && e.len == 32 &&
	    e.context == NULL && strcmp(e.label, "EXPORTER-x") == 0,
	    "label alone: 32 bytes, no context");
	exporter_req_free(&e);
	ok(exporter_parse("L:20", &e, &err) == 0 && e.len == 20 && e.context == NULL,
	    "label and length");
	exporter_req_free(&e);
	ok(exporter_parse("L:20:", &e, &err) == 0 && e.context != NULL &&
	    e.context_len == 0, "trailing colon: empty context");
	exporter_req_free(&e);
	ok(exporter_parse("L::a:b", &e, &err) == 0 && e.len == 32 &&
	    strcmp(e.context, "a:b") == 0,
	    "empty length: default; context keeps colons");
	exporter_req_free(&e);
	ok(exporter_parse(":8", &e, &err) == -1, "empty label: %s", err);
	ok(exporter_parse("L:0", &e, &err) == -1, "length 0");
	ok(exporter_parse("L:1025", &e, &err) == -1, "length 1025");
	ok(exporter_parse("L:99999999999999999999", &e, &err) == -1, "huge length");
	ok(exporter_parse("L:1024", &e, &err) == 0 && e.len == 1024, "length 1024");
	exporter_req_free(&e);
	ok(exporter_parse("L:x", &e, &err) == -1, "length not a number");
}

int
main(void)
{
	test_base64();
	test_parse_good();
	test_parse_lists();
	test_parse_bad();
	test_https_rr();
	test_exporter_parse();
	return done_testing();
}
