/* Unit tests for der.c (the DER reader) and sct.c (SCT list parsing). */
#include <string.h>

#include "der.h"
#include "report.h"
#include "sct.h"
#include "tap.h"

static void
test_der(void)
{
	/* SEQUENCE { INTEGER 5, OCTET STRING "ab" } */
	static const unsigned char seq[] = { 0x30, 0x07, 0x02, 0x01, 0x05, 0x04,
	    0x02, 'a', 'b' };
	static const unsigned char longform[] = { 0x04, 0x81, 0x03, 1, 2, 3 };
	static const unsigned char truncated[] = { 0x30, 0x05, 0x02, 0x01 };
	static const unsigned char indefinite[] = { 0x30, 0x80, 0x00, 0x00 };
	struct der in = { seq, sizeof(seq) }, body, x;
	unsigned tag;

	ok(der_expect(&in, TAG_SEQUENCE, &body) == 0 && body.len == 7 && in.len == 0,
	    "SEQUENCE read, input consumed");
	ok(der_expect(&body, TAG_OCTET_STRING, &x) == -1 && body.len == 7,
	    "wrong tag leaves the input untouched");
	ok(der_expect(&body, TAG_INTEGER, &x) == 0 && x.len == 1 && x.p[0] == 5,
	    "INTEGER 5");
	ok(der_peek(&body, TAG_OCTET_STRING) &&
	    der_read(&body, &tag, &x) == 0 && tag == TAG_OCTET_STRING &&
	    x.len == 2 && memcmp(x.p, "ab", 2) == 0, "OCTET STRING \"ab\"");
	in = (struct der){ longform, sizeof(longform) };
	ok(der_read(&in, &tag, &x) == 0 && x.len == 3 && x.p[2] == 3,
	    "long-form length");
	in = (struct der){ truncated, sizeof(truncated) };
	ok(der_read(&in, &tag, &x) == -1, "truncated TLV rejected");
	in = (struct der){ indefinite, sizeof(indefinite) };
	ok(der_read(&in, &tag, &x) == -1, "indefinite length rejected");
	in = (struct der){ seq, 1 };
	ok(der_read(&in, &tag, &x) == -1, "one byte is not a TLV");
}

static size_t
make_sct(unsigned char *p, unsigned char logbyte, uint64_t ms)
{
	size_t n = 0;

	p[n++] = 0;                             /* v1 */
	memset(p + n, logbyte, 32);
	n += 32;
	for (int i = 7; i >= 0; i--)
		p[n++] = (unsigned char)(ms >> (8 * i));
	p[n++] = 0;                             /* no extensions */
	p[n++] = 0;
	p[n++] = 4;                             /* sha256 */
	p[n++] = 3;                             /* ecdsa */
	p[n++] = 0;                             /* 2-byte signature */
	p[n++] = 2;
	p[n++] = 0xaa;
	p[n++] = 0xbb;
	return n;
}

static void
test_sct(void)
{
	unsigned char list[256], one[128];
	size_t n1, off = 2;
	struct report r;

	report_init(&r, "h", 443);
	for (int k = 0; k < 2; k++) {
		n1 = make_sct(one, (unsigned char)(0x11 * (k + 1)), 1700000000000ULL + (uint64_t)k);
		list[off++] = (unsigned char)(n1 >> 8);
		list[off++] = (unsigned char)n1;
		memcpy(list + off, one, n1);
		off += n1;
	}
	list[0] = (unsigned char)((off - 2) >> 8);
	list[1] = (unsigned char)(off - 2);
	ok(sct_parse_list(list, off, "tls-extension", &r) == 2 && r.n_scts == 2,
	    "two SCTs parsed");
	ok(r.scts[0].version == 0 && strncmp(r.scts[0].log_id, "1111", 4) == 0 &&
	    strncmp(r.scts[1].log_id, "2222", 4) == 0, "log ids in hex");
	ok(r.scts[0].timestamp == (PRTime)1700000000000LL * 1000 &&
	    r.scts[0].hash_alg == 4 && r.scts[0].sig_alg == 3,
	    "timestamp (ms -> us) and algorithms");
	ok(sct_parse_list(list, off - 1, "tls-extension", &r) == -1,
	    "length mismatch rejected");
	list[3] = 200;  /* first SCT claims more bytes than there are */
	ok(sct_parse_list(list, off, "tls-extension", &r) == -1,
	    "oversized SCT rejected");
	ok(sct_parse_list(list, 1, "tls-extension", &r) == -1, "one byte rejected");
	report_free(&r);
}

int
main(void)
{
	test_der();
	test_sct();
	return done_testing();
}
