/* Unit tests for clienthello.c: the ClientHello decoder is bounded (every
 * truncation and every lying length is refused, never read past), puts a
 * hello split over records together, and builds the JA3/JA4 strings. */
#include <stdlib.h>
#include <string.h>

#include "clienthello.h"
#include "tap.h"

/* A TLS 1.3-style hello: GREASE suite, two suites, SNI "a.b", groups
 * x25519 + GREASE, one key share, sigalgs, ALPN "h2","x", versions. */
static const uint8_t body[] = {
	0x03, 0x03,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x00,                                   /* session id */
	0x00, 0x06, 0x2a, 0x2a, 0x13, 0x01, 0x13, 0x02,
	0x01, 0x00,                             /* compression */
	0x00, 0x3c,                             /* extensions: 60 bytes */
	0x00, 0x00, 0x00, 0x08, 0x00, 0x06, 0x00, 0x00, 0x03, 'a', '.', 'b',
	0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x3a, 0x3a,
	0x00, 0x33, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x02, 0xaa, 0xbb,
	0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x03,
	0x00, 0x10, 0x00, 0x07, 0x00, 0x05, 0x02, 'h', '2', 0x01, 'x',
	0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04,
};

/* body as one handshake message in records of at most rec bytes. */
static size_t
records(uint8_t *out, size_t rec)
{
	uint8_t msg[sizeof(body) + 4];
	size_t n = 0;

	msg[0] = 1;
	msg[1] = 0;
	msg[2] = (uint8_t)(sizeof(body) >> 8);
	msg[3] = (uint8_t)sizeof(body);
	memcpy(msg + 4, body, sizeof(body));
	for (size_t off = 0; off < sizeof(msg); off += rec) {
		size_t len = sizeof(msg) - off < rec ? sizeof(msg) - off : rec;

		out[n++] = 22;
		out[n++] = 3;
		out[n++] = 1;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
		memcpy(out + n, msg + off, len);
		n += len;
	}
	return n;
}

static void
test_decode(void)
{
	uint8_t wire[1024];
	size_t n = records(wire, 16384);
	struct clienthello *ch = calloc(1, sizeof(*ch));
	char ja3[256], a[16], b[256], c[256];

	ok(clienthello_parse(wire, n, ch) == CH_OK, "a whole hello decodes");
	ok(ch->n_suites == 3 && ch->suites[1] == 0x1301 &&
	    clienthello_is_grease(ch->suites[0]), "suites in order, GREASE kept");
	ok(ch->has_sni && strcmp(ch->sni, "a.b") == 0, "SNI");
	ok(ch->n_shares == 1 && ch->shares[0].group == 0x1d &&
	    ch->shares[0].len == 2, "key share");
	ok(ch->n_alpn == 2 && strcmp(ch->alpn[0], "h2") == 0 &&
	    strcmp(ch->alpn[1], "x") == 0, "ALPN");
	ok(ch->n_versions == 1 && ch->versions[0] == 0x0304, "supported_versions");
	clienthello_ja3_string(ch, ja3, sizeof(ja3));
	ok(strcmp(ja3, "771,4865-4866,0-10-51-13-16-43,29,") == 0,
	    "JA3 string without GREASE: %s", ja3);
	clienthello_ja4_parts(ch, a, b, sizeof(b), c, sizeof(c));
	ok(strcmp(a, "t13d0206h2") == 0, "JA4 a: %s", a);
	ok(strcmp(b, "1301,1302") == 0, "JA4 b: %s", b);
	ok(strcmp(c, "000a,000d,002b,0033_0403") == 0, "JA4 c: %s", c);

	n = records(wire, 7);
	ok(clienthello_parse(wire, n, ch) == CH_OK && ch->n_exts == 6 &&
	    strcmp(ch->sni, "a.b") == 0, "a hello split over 7-byte records");
	free(ch);
}

static void
test_bounds(void)
{
	uint8_t wire[1024], bad[1024];
	size_t n = records(wire, 16384);
	struct clienthello *ch = calloc(1, sizeof(*ch));
	int refused = 0;

	for (size_t cut = 0; cut < n; cut++)
		refused += clienthello_parse(wire, cut, ch) == CH_INCOMPLETE;
	ok(refused == (int)n, "every truncation is incomplete (%d of %zu)",
	    refused, n);
	/* Every single byte of the body made 0xff: decoded or refused as
	 * malformed, never read out of bounds (ASan watches). */
	refused = 0;
	for (size_t i = 9; i < n; i++) {
		memcpy(bad, wire, n);
		bad[i] = 0xff;
		refused += clienthello_parse(bad, n, ch) != CH_OK;
	}
	ok(refused > 0, "lying lengths refused (%d)", refused);
	memcpy(bad, wire, n);
	bad[0] = 23;
	ok(clienthello_parse(bad, n, ch) == CH_NOT_TLS, "not a handshake record");
	memcpy(bad, wire, n);
	bad[5] = 2;
	ok(clienthello_parse(bad, n, ch) == CH_NOT_HELLO, "a ServerHello is no ClientHello");
	ok(clienthello_parse((const uint8_t *)"GET / HTTP/1.0\r\n", 16, ch) ==
	    CH_NOT_TLS, "HTTP is not TLS");
	free(ch);
}

int
main(void)
{
	test_decode();
	test_bounds();
	return done_testing();
}
