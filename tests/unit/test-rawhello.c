/* Unit tests for rawhello.c: the hand-built ClientHello and the bounded
 * reader of the server's first answer. */
#include <stdint.h>
#include <string.h>

#include "rawhello.h"
#include "tap.h"

/* A ServerHello record: version, suite, compression, extensions. */
static size_t
server_hello(uint8_t *out, uint16_t version, uint16_t suite, uint8_t comp,
    const uint8_t *ext, size_t ext_len, const uint8_t *random)
{
	size_t body = 2 + 32 + 1 + 2 + 1 + 2 + ext_len, n = 0;

	out[n++] = 22;
	out[n++] = 3;
	out[n++] = 3;
	out[n++] = (uint8_t)((body + 4) >> 8);
	out[n++] = (uint8_t)(body + 4);
	out[n++] = 2;
	out[n++] = 0;
	out[n++] = (uint8_t)(body >> 8);
	out[n++] = (uint8_t)body;
	out[n++] = (uint8_t)(version >> 8);
	out[n++] = (uint8_t)version;
	if (random != NULL)
		memcpy(out + n, random, 32);
	else
		memset(out + n, 0x42, 32);
	n += 32;
	out[n++] = 0;                    /* session id */
	out[n++] = (uint8_t)(suite >> 8);
	out[n++] = (uint8_t)suite;
	out[n++] = comp;
	out[n++] = (uint8_t)(ext_len >> 8);
	out[n++] = (uint8_t)ext_len;
	if (ext_len > 0)
		memcpy(out + n, ext, ext_len);
	return n + ext_len;
}

static void
test_build(void)
{
	static const uint16_t suites[] = { 0xc0ac, 0x0035 };
	struct rawhello_spec s = { .version = 0x0303, .suites = suites,
		.n_suites = 2, .sni = "example.com", .compression = true,
		.heartbeat = true };
	uint8_t buf[4096];
	size_t len = rawhello_build(&s, buf, sizeof(buf));

	ok(len > 60 && buf[0] == 22 && (size_t)(buf[3] << 8 | buf[4]) == len - 5,
	    "TLS 1.2 hello: one handshake record, its length right");
	ok(buf[5] == 1 && (size_t)(buf[6] << 16 | buf[7] << 8 | buf[8]) == len - 9,
	    "client_hello message length right");
	ok(buf[9] == 3 && buf[10] == 3, "client_version 3.3");
	ok(buf[43] == 0 && buf[44] == 0 && buf[45] == 4 && buf[46] == 0xc0 &&
	    buf[47] == 0xac, "suites listed as given");
	ok(buf[50] == 2 && buf[51] == 1 && buf[52] == 0, "DEFLATE offered before null");
	ok(memmem(buf, len, "example.com", 11) != NULL, "SNI present");
	ok(rawhello_build(&s, buf, 40) == 0, "too small a buffer: 0, no overflow");
	s.version = RAWHELLO_SSL2;
	len = rawhello_build(&s, buf, sizeof(buf));
	ok(len > 2 && (buf[0] & 0x80) && buf[2] == 1 && buf[3] == 0 && buf[4] == 2,
	    "SSLv2 CLIENT-HELLO");
	s.version = 0x0304;
	s.no_key_share = true;
	len = rawhello_build(&s, buf, sizeof(buf));
	ok(len > 0 && memmem(buf, len, "\x00\x2b\x00\x03\x02\x03\x04", 7) != NULL,
	    "TLS 1.3: supported_versions names 1.3 alone");
	ok(memmem(buf, len, "\x00\x33\x00\x02\x00\x00", 6) != NULL,
	    "TLS 1.3: an empty key_share when asked");
	s.no_key_share = false;
	s.share_group = 0x0100;
	len = rawhello_build(&s, buf, sizeof(buf));
	ok(len > 0 && memmem(buf, len, "\x00\x33\x01\x06\x01\x04\x01\x00\x01\x00", 10)
	    != NULL && buf[len - 1 - 6] == 2, "ffdhe2048 share: 256 bytes, value 2");
	s.share_group = 0x11ec;
	len = rawhello_build(&s, buf, sizeof(buf));
	ok(len > 0 && memmem(buf, len, "\x11\xec\x04\xc0", 4) != NULL,
	    "X25519MLKEM768 share: 1184 + 32 bytes");
	s.share_group = 0x11ed;
	len = rawhello_build(&s, buf, sizeof(buf));
	ok(len > 0 && memmem(buf, len, "\x11\xed\x06\x81", 4) != NULL,
	    "SecP384r1MLKEM1024 share: 97 + 1568 bytes");
	ok(rawhello_can_share(0x6399) && rawhello_can_share(0x001e) &&
	    !rawhello_can_share(0x001f), "shares for hybrids and x448, none for brainpool");
	s.share_group = 0x001f;
	ok(rawhello_build(&s, buf, sizeof(buf)) == 0, "no share to make: 0");
}

static void
test_parse(void)
{
	static const uint8_t hrr_random[32] = {
		0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
		0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
		0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c };
	static const uint8_t ext12[] = { 0x00, 0x0f, 0x00, 0x01, 0x01,
		0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x17, 0x00, 0x00 };
	static const uint8_t ext13[] = { 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04,
		0x00, 0x33, 0x00, 0x02, 0x00, 0x1e };
	static const uint8_t alert[] = { 21, 3, 3, 0, 2, 2, 40 };
	static const uint8_t ssl2[] = { 0x80, 0x2e, 4, 0, 1, 0, 2, 0, 0 };
	uint8_t buf[512], two[600];
	struct rawhello_answer a;
	size_t len = server_hello(buf, 0x0303, 0xc0ac, 1, ext12, sizeof(ext12), NULL);
	bool all = true;

	ok(rawhello_parse_server_hello(buf, len, &a) == RAWHELLO_SERVER_HELLO &&
	    a.version == 0x0303 && a.suite == 0xc0ac && a.compression == 1 &&
	    a.heartbeat && a.renegotiation_info && a.ems,
	    "ServerHello: version, suite, compression, extensions");
	for (size_t n = 0; n < len; n++)
		all &= rawhello_parse_server_hello(buf, n, &a) == RAWHELLO_INCOMPLETE;
	ok(all, "every truncation is incomplete, never a misread");
	/* The same message split over two records. */
	memcpy(two, buf, 5 + 10);
	two[3] = 0;
	two[4] = 10;
	two[15] = 22;
	two[16] = 3;
	two[17] = 3;
	two[18] = (uint8_t)((len - 15) >> 8);
	two[19] = (uint8_t)(len - 15);
	memcpy(two + 20, buf + 15, len - 15);
	ok(rawhello_parse_server_hello(two, len + 5, &a) == RAWHELLO_SERVER_HELLO &&
	    a.suite == 0xc0ac, "a ServerHello split over two records");
	len = server_hello(buf, 0x0303, 0x1302, 0, ext13, sizeof(ext13), hrr_random);
	ok(rawhello_parse_server_hello(buf, len, &a) == RAWHELLO_HRR &&
	    a.version == 0x0304 && a.group == 0x001e && a.suite == 0x1302,
	    "HelloRetryRequest: TLS 1.3, the group asked for");
	ok(rawhello_parse_server_hello(alert, sizeof(alert), &a) == RAWHELLO_ALERT &&
	    a.alert_level == 2 && a.alert_desc == 40, "alert: level and description");
	ok(rawhello_parse_server_hello(ssl2, sizeof(ssl2), &a) == RAWHELLO_SSL2_HELLO,
	    "SSLv2 SERVER-HELLO");
	ok(rawhello_parse_server_hello((const uint8_t *)"HTTP/1.1 400", 12, &a) ==
	    RAWHELLO_MALFORMED, "plain text is malformed");
	len = server_hello(buf, 0x0303, 0xc0ac, 0, ext12, sizeof(ext12), NULL);
	buf[len - 1] = 0xff;             /* the last extension: past the end */
	ok(rawhello_parse_server_hello(buf, len, &a) == RAWHELLO_MALFORMED,
	    "an extension longer than its list is malformed");
	buf[5] = 11;                     /* a Certificate first */
	ok(rawhello_parse_server_hello(buf, len, &a) == RAWHELLO_MALFORMED,
	    "a handshake message other than ServerHello first is malformed");
}

/* Append one handshake message (type, body) to a stream of records of
 * at most rec_max bytes each. */
static size_t
put_records(uint8_t *out, size_t at, const uint8_t *hs, size_t len, size_t rec_max)
{
	for (size_t off = 0; off < len; off += rec_max) {
		size_t n = len - off < rec_max ? len - off : rec_max;

		out[at++] = 22;
		out[at++] = 3;
		out[at++] = 3;
		out[at++] = (uint8_t)(n >> 8);
		out[at++] = (uint8_t)n;
		memcpy(out + at, hs + off, n);
		at += n;
	}
	return at;
}

static size_t
message(uint8_t *out, uint8_t type, const uint8_t *body, size_t len)
{
	out[0] = type;
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	if (len > 0)
		memcpy(out + 4, body, len);
	return 4 + len;
}

/* A TLS 1.2 flight: ServerHello, a 40 KB Certificate over three records,
 * then a ServerKeyExchange (ECDHE x448, or DHE with a 2047-bit p). */
static void
test_key_exchange(void)
{
	static uint8_t flight[64 * 1024], hs[48 * 1024];
	static const uint8_t ecdhe[] = { 3, 0x00, 0x1e, 1, 4 };
	uint8_t dhe[2 + 256 + 3];
	struct rawhello_answer a;
	size_t len = server_hello(flight, 0x0303, 0xc030, 0, NULL, 0, NULL), base, n;
	bool all = true;

	memset(hs, 0x30, sizeof(hs));
	n = message(hs, 11, hs + 4, 40000);
	len = base = put_records(flight, len, hs, n, 16384);
	n = message(hs, 12, ecdhe, sizeof(ecdhe));
	len = put_records(flight, len, hs, n, 16384);
	ok(rawhello_parse_key_exchange(flight, len, RAWHELLO_KX_ECDHE, &a) ==
	    RAWHELLO_SERVER_HELLO && a.suite == 0xc030 && a.ske && a.ske_group == 0x001e,
	    "ECDHE: the curve from the ServerKeyExchange after a 40 KB Certificate");
	ok(rawhello_parse_server_hello(flight, len, &a) == RAWHELLO_SERVER_HELLO &&
	    !a.ske, "the ServerHello alone without asking for more");
	for (n = 0; n < len; n += 97)
		all &= rawhello_parse_key_exchange(flight, n, RAWHELLO_KX_ECDHE, &a) ==
		    RAWHELLO_INCOMPLETE;
	ok(all, "every truncation before the key exchange is incomplete");
	/* No ServerKeyExchange: RSA key transport ends with ServerHelloDone. */
	n = message(hs, 14, NULL, 0);
	len = put_records(flight, base, hs, n, 16384);
	ok(rawhello_parse_key_exchange(flight, len, RAWHELLO_KX_ECDHE, &a) ==
	    RAWHELLO_SERVER_HELLO && !a.ske, "ServerHelloDone: no key exchange");
	/* An alert after the ServerHello: the ServerHello stands. */
	memcpy(flight + base, "\x15\x03\x03\x00\x02\x02\x28", 7);
	ok(rawhello_parse_key_exchange(flight, base + 7, RAWHELLO_KX_ECDHE, &a) ==
	    RAWHELLO_SERVER_HELLO && !a.ske, "an alert after the ServerHello");
	dhe[0] = 1;
	dhe[1] = 0;
	memset(dhe + 2, 0xab, 256);
	dhe[2] = 0x7f;                   /* 2047 bits */
	memcpy(dhe + 258, "\x00\x01\x02", 3);
	n = message(hs, 12, dhe, sizeof(dhe));
	len = put_records(flight, base, hs, n, 100);
	ok(rawhello_parse_key_exchange(flight, len, RAWHELLO_KX_DHE, &a) ==
	    RAWHELLO_SERVER_HELLO && a.ske && a.dh_bits == 2047 && a.dh_p_len == 256 &&
	    a.dh_p[0] == 0x7f && a.dh_p[255] == 0xab,
	    "DHE: p across records, its size and bytes");
	dhe[1] = 0xff;                   /* p longer than the message */
	n = message(hs, 12, dhe, sizeof(dhe));
	len = put_records(flight, base, hs, n, 16384);
	ok(rawhello_parse_key_exchange(flight, len, RAWHELLO_KX_DHE, &a) ==
	    RAWHELLO_SERVER_HELLO && !a.ske, "DHE: a p past the message is not read");
}

/* Every single-byte change of a valid answer is read without a fault
 * (the sanitizers would see one). */
static void
test_mutations(void)
{
	static const uint8_t ext[] = { 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04 };
	uint8_t buf[512], m[512];
	size_t len = server_hello(buf, 0x0303, 0x1301, 0, ext, sizeof(ext), NULL);
	struct rawhello_answer a;
	unsigned kinds = 0;

	for (size_t i = 0; i < len; i++)
		for (unsigned v = 0; v < 256; v += 51) {
			memcpy(m, buf, len);
			m[i] = (uint8_t)v;
			kinds |= 1u << rawhello_parse_server_hello(m, len, &a);
		}
	ok(kinds & (1u << RAWHELLO_MALFORMED), "mutations read without a fault");
}

int
main(void)
{
	test_build();
	test_parse();
	test_key_exchange();
	test_mutations();
	return done_testing();
}
