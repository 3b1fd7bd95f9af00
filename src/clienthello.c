/*
 * clienthello: ClientHello decoder and JA3/JA4 fingerprints (see
 * clienthello.h).
 *
 * Every read goes through struct rd, which refuses to go past its end, so
 * a hostile length can only make the parse fail.  Lists longer than the
 * arrays are cut (and said so); fingerprints are computed from what was
 * kept, which for real clients is everything.
 */
#include "clienthello.h"

#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include <pk11pub.h>
#include <secoid.h>

#define REC_HEADER 5
#define HS_CLIENT_HELLO 1

/* A bounded reader. */
struct rd {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static uint32_t
rd_n(struct rd *r, size_t n)
{
	uint32_t v = 0;

	if (r->bad || r->left < n) {
		r->bad = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v = v << 8 | r->p[i];
	r->p += n;
	r->left -= n;
	return v;
}

/* A sub-reader over the next n bytes (a length-prefixed vector). */
static struct rd
rd_sub(struct rd *r, size_t n)
{
	struct rd s = { r->p, n, false };

	if (r->bad || r->left < n) {
		r->bad = true;
		s.left = 0;
		s.bad = true;
		return s;
	}
	r->p += n;
	r->left -= n;
	return s;
}

static struct rd
rd_vec(struct rd *r, size_t len_bytes)
{
	return rd_sub(r, rd_n(r, len_bytes));
}

bool
clienthello_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

const char *
clienthello_result_str(enum ch_result r)
{
	switch (r) {
	case CH_OK: return "ok";
	case CH_INCOMPLETE: return "the ClientHello was not received whole";
	case CH_NOT_TLS: return "the client did not start with a TLS handshake record";
	case CH_NOT_HELLO: return "the first handshake message is not a ClientHello";
	case CH_MALFORMED: return "the ClientHello is malformed";
	case CH_TOO_BIG: return "the ClientHello is too large to decode";
	}
	return "?";
}

/* Walk the records: how many bytes hold the whole first handshake
 * message, and its length.  Copies the message into body when given. */
static size_t
frame(const uint8_t *buf, size_t len, uint8_t *body, size_t *body_len,
    enum ch_result *res)
{
	size_t off = 0, have = 0, need = 0;
	uint8_t hdr[4];

	while (off + REC_HEADER <= len) {
		size_t rlen = (size_t)buf[off + 3] << 8 | buf[off + 4];

		if (buf[off] != 22 || buf[off + 1] != 3) {
			*res = CH_NOT_TLS;
			return 0;
		}
		if (rlen == 0 || rlen > 16384 + 2048) {
			*res = CH_MALFORMED;
			return 0;
		}
		if (off + REC_HEADER + rlen > len)
			break;
		for (size_t i = 0; i < rlen; i++, have++) {
			uint8_t b = buf[off + REC_HEADER + i];

			if (have < 4)
				hdr[have] = b;
			else if (body != NULL && have - 4 < need)
				body[have - 4] = b;
			if (have == 3) {
				if (hdr[0] != HS_CLIENT_HELLO) {
					*res = CH_NOT_HELLO;
					return 0;
				}
				need = (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
				if (need > CH_MAX_BYTES) {
					*res = CH_TOO_BIG;
					return 0;
				}
			}
		}
		off += REC_HEADER + rlen;
		if (have >= 4 && have - 4 >= need) {
			*body_len = need;
			*res = CH_OK;
			return off;
		}
	}
	*res = CH_INCOMPLETE;
	return 0;
}

size_t
clienthello_frame(const uint8_t *buf, size_t len, enum ch_result *res)
{
	size_t body_len;

	return frame(buf, len, NULL, &body_len, res);
}

static void
parse_u16_list(struct rd *r, size_t len_bytes, uint16_t *out, size_t *n,
    size_t max, bool *truncated)
{
	struct rd v = rd_vec(r, len_bytes);

	while (v.left >= 2) {
		uint16_t x = (uint16_t)rd_n(&v, 2);

		if (*n < max)
			out[(*n)++] = x;
		else
			*truncated = true;
	}
	if (v.left != 0 || v.bad)
		r->bad = true;
}

static void
parse_sni(struct rd *e, struct clienthello *ch)
{
	struct rd list = rd_vec(e, 2);

	while (list.left > 0 && !list.bad) {
		unsigned type = rd_n(&list, 1);
		struct rd name = rd_vec(&list, 2);

		if (type == 0 && !ch->has_sni) {
			ch->has_sni = true;
			ch->sni_len = name.left < CH_MAX_SNI ? name.left : CH_MAX_SNI;
			memcpy(ch->sni, name.p, ch->sni_len);
			ch->sni[ch->sni_len] = '\0';
		}
	}
	if (list.bad)
		e->bad = true;
}

static void
parse_alpn(struct rd *e, struct clienthello *ch)
{
	struct rd list = rd_vec(e, 2);

	while (list.left > 0 && !list.bad) {
		struct rd p = rd_vec(&list, 1);
		size_t n = p.left < CH_MAX_ALPN_LEN ? p.left : CH_MAX_ALPN_LEN;

		if (list.bad || p.left == 0)
			break;
		if (ch->n_alpn == CH_MAX_ALPN) {
			ch->truncated = true;
			continue;
		}
		memcpy(ch->alpn[ch->n_alpn], p.p, n);
		ch->alpn[ch->n_alpn][n] = '\0';
		ch->alpn_len[ch->n_alpn++] = (uint8_t)n;
	}
	if (list.bad)
		e->bad = true;
}

static void
parse_key_shares(struct rd *e, struct clienthello *ch)
{
	struct rd list = rd_vec(e, 2);

	while (list.left > 0 && !list.bad) {
		uint16_t g = (uint16_t)rd_n(&list, 2);
		struct rd k = rd_vec(&list, 2);

		if (list.bad)
			break;
		if (ch->n_shares == CH_MAX_SHARES) {
			ch->truncated = true;
			continue;
		}
		ch->shares[ch->n_shares].group = g;
		ch->shares[ch->n_shares++].len = (uint16_t)k.left;
	}
	if (list.bad)
		e->bad = true;
}

static void
parse_psk(struct rd *e, struct clienthello *ch)
{
	struct rd ids = rd_vec(e, 2);

	while (ids.left > 0 && !ids.bad) {
		(void)rd_vec(&ids, 2);
		(void)rd_n(&ids, 4);            /* obfuscated_ticket_age */
		if (!ids.bad)
			ch->psk_identities++;
	}
	if (ids.bad)
		e->bad = true;
}

static void
parse_extension(uint16_t type, struct rd *e, struct clienthello *ch)
{
	switch (type) {
	case 0: parse_sni(e, ch); break;
	case 5: ch->status_request = true; break;
	case 10:
		parse_u16_list(e, 2, ch->groups, &ch->n_groups, CH_MAX_LIST,
		    &ch->truncated);
		break;
	case 11: {
		struct rd v = rd_vec(e, 1);

		while (v.left > 0) {
			uint8_t f = (uint8_t)rd_n(&v, 1);

			if (ch->n_point_formats < CH_MAX_LIST)
				ch->point_formats[ch->n_point_formats++] = f;
		}
		break;
	}
	case 13:
		parse_u16_list(e, 2, ch->sigalgs, &ch->n_sigalgs, CH_MAX_LIST,
		    &ch->truncated);
		break;
	case 16: parse_alpn(e, ch); break;
	case 18: ch->sct = true; break;
	case 23: ch->ems = true; break;
	case 35:
		ch->ticket_ext = true;
		ch->ticket_offered = e->left > 0;
		break;
	case 41: parse_psk(e, ch); break;
	case 42: ch->early_data = true; break;
	case 43:
		parse_u16_list(e, 1, ch->versions, &ch->n_versions, CH_MAX_LIST,
		    &ch->truncated);
		break;
	case 49: ch->post_handshake_auth = true; break;
	case 51: parse_key_shares(e, ch); break;
	case 0xfe0d:
		ch->ech = true;
		ch->ech_outer = e->left > 0 && e->p[0] == 0;
		break;
	case 0xff01: ch->reneg_info = true; break;
	default: break;
	}
}

static enum ch_result
parse_body(struct rd *r, struct clienthello *ch)
{
	struct rd sid, suites, comp, exts;

	ch->legacy_version = (uint16_t)rd_n(r, 2);
	if (r->left >= 32)
		memcpy(ch->random, r->p, 32);
	(void)rd_sub(r, 32);
	sid = rd_vec(r, 1);
	ch->session_id_len = (uint8_t)sid.left;
	suites = rd_vec(r, 2);
	if (suites.left % 2 != 0)
		return CH_MALFORMED;
	while (suites.left > 0) {
		uint16_t s = (uint16_t)rd_n(&suites, 2);

		if (ch->n_suites < CH_MAX_SUITES)
			ch->suites[ch->n_suites++] = s;
		else
			ch->truncated = true;
	}
	comp = rd_vec(r, 1);
	ch->n_compression = (uint8_t)comp.left;
	if (r->bad)
		return CH_MALFORMED;
	if (r->left == 0)
		return CH_OK;           /* no extensions at all (old clients) */
	exts = rd_vec(r, 2);
	while (exts.left > 0 && !exts.bad) {
		uint16_t type = (uint16_t)rd_n(&exts, 2);
		struct rd e = rd_vec(&exts, 2);

		if (exts.bad)
			break;
		if (ch->n_exts < CH_MAX_EXTS)
			ch->exts[ch->n_exts++] = type;
		else
			ch->truncated = true;
		parse_extension(type, &e, ch);
		if (e.bad)
			return CH_MALFORMED;
	}
	return r->bad || exts.bad ? CH_MALFORMED : CH_OK;
}

enum ch_result
clienthello_parse(const uint8_t *buf, size_t len, struct clienthello *out)
{
	enum ch_result res;
	uint8_t *body;
	size_t body_len = 0;
	struct rd r;

	memset(out, 0, sizeof(*out));
	if (frame(buf, len, NULL, &body_len, &res) == 0)
		return res;
	/* The message may span records: put its body together first. */
	body = malloc(body_len ? body_len : 1);
	if (body == NULL)
		return CH_TOO_BIG;
	(void)frame(buf, len, body, &body_len, &res);
	r = (struct rd){ body, body_len, false };
	res = parse_body(&r, out);
	free(body);
	return res;
}

/* ------------------------------------------------------------------ */
/* Fingerprints                                                        */

/* Append "%u" items of a list, GREASE left out, joined by '-'. */
/* Append len bytes of t at out + pos as snprintf would (cut at size,
 * always terminated) and return pos + len.  The fingerprints are made
 * per connection in server mode: printf's format parsing was a tenth of a
 * resumed handshake's CPU (perf). */
static size_t
append(char *out, size_t size, size_t pos, const char *t, size_t len)
{
	if (pos < size) {
		size_t room = size - 1 - pos;
		size_t n = len < room ? len : room;

		memcpy(out + pos, t, n);
		out[pos + n] = '\0';
	}
	return pos + len;
}

/* v in decimal (JA3) or as four hex digits (JA4), after sep. */
static size_t
append_u16(char *out, size_t size, size_t pos, char sep, uint16_t v, bool hex)
{
	static const char digits[] = "0123456789abcdef";
	char t[8], *p = t + sizeof(t);
	unsigned base = hex ? 16 : 10, left = v;
	ptrdiff_t min = hex ? 4 : 1;

	do {
		*--p = digits[left % base];
		left /= base;
	} while (left > 0 || t + sizeof(t) - p < min);
	if (sep != '\0')
		*--p = sep;
	return append(out, size, pos, p, (size_t)(t + sizeof(t) - p));
}

static size_t
ja3_list(char *out, size_t size, size_t pos, const uint16_t *v, size_t n)
{
	bool first = true;

	for (size_t i = 0; i < n; i++) {
		if (clienthello_is_grease(v[i]))
			continue;
		pos = append_u16(out, size, pos, first ? '\0' : '-', v[i], false);
		first = false;
	}
	return pos;
}

size_t
clienthello_ja3_string(const struct clienthello *ch, char *out, size_t size)
{
	uint16_t formats[CH_MAX_LIST];
	size_t pos;
	int w;

	if (size == 0)
		return 0;
	out[0] = '\0';
	for (size_t i = 0; i < ch->n_point_formats; i++)
		formats[i] = ch->point_formats[i];
	w = snprintf(out, size, "%u,", ch->legacy_version);
	pos = ja3_list(out, size, (size_t)w, ch->suites, ch->n_suites);
	pos += (size_t)snprintf(out + pos, pos < size ? size - pos : 0, ",");
	pos = ja3_list(out, size, pos, ch->exts, ch->n_exts);
	pos += (size_t)snprintf(out + pos, pos < size ? size - pos : 0, ",");
	pos = ja3_list(out, size, pos, ch->groups, ch->n_groups);
	pos += (size_t)snprintf(out + pos, pos < size ? size - pos : 0, ",");
	pos = ja3_list(out, size, pos, formats, ch->n_point_formats);
	return pos < size ? pos : size - 1;
}

static int
cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Hex items ("%04x"), comma-separated, of v without GREASE (and without
 * SNI and ALPN when skip_sni_alpn), sorted when sort. */
static void
ja4_list(const uint16_t *v, size_t n, bool sort, bool skip_sni_alpn,
    char *out, size_t size)
{
	uint16_t tmp[CH_MAX_SUITES];
	size_t k = 0, pos = 0;

	for (size_t i = 0; i < n && k < CH_MAX_SUITES; i++) {
		if (clienthello_is_grease(v[i]) ||
		    (skip_sni_alpn && (v[i] == 0 || v[i] == 16)))
			continue;
		tmp[k++] = v[i];
	}
	if (sort)
		qsort(tmp, k, sizeof(tmp[0]), cmp_u16);
	out[0] = '\0';
	for (size_t i = 0; i < k && pos + 6 < size; i++)
		pos = append_u16(out, size, pos, i ? ',' : '\0', tmp[i], true);
}

static size_t
count_no_grease(const uint16_t *v, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += !clienthello_is_grease(v[i]);
	return k;
}

static const char *
ja4_version(const struct clienthello *ch)
{
	uint16_t best = 0;

	for (size_t i = 0; i < ch->n_versions; i++)
		if (!clienthello_is_grease(ch->versions[i]) && ch->versions[i] > best)
			best = ch->versions[i];
	if (ch->n_versions == 0)
		best = ch->legacy_version;
	switch (best) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0002: return "s2";
	default: return "00";
	}
}

/* The first and last characters of the first ALPN value; their hex
 * digits when either is not alphanumeric (JA4's rule). */
static void
ja4_alpn(const struct clienthello *ch, char out[3])
{
	static const char hex[] = "0123456789abcdef";
	const char *a;
	size_t n;

	if (ch->n_alpn == 0) {
		memcpy(out, "00", 3);
		return;
	}
	a = ch->alpn[0];
	n = ch->alpn_len[0];
	if (((a[0] >= '0' && a[0] <= '9') || (a[0] >= 'a' && a[0] <= 'z') ||
	    (a[0] >= 'A' && a[0] <= 'Z')) &&
	    ((a[n - 1] >= '0' && a[n - 1] <= '9') ||
	    (a[n - 1] >= 'a' && a[n - 1] <= 'z') ||
	    (a[n - 1] >= 'A' && a[n - 1] <= 'Z'))) {
		out[0] = a[0];
		out[1] = a[n - 1];
	} else {
		out[0] = hex[(uint8_t)a[0] >> 4];
		out[1] = hex[(uint8_t)a[n - 1] & 0xf];
	}
	out[2] = '\0';
}

void
clienthello_ja4_parts(const struct clienthello *ch, char a[16], char *b,
    size_t bsize, char *c, size_t csize)
{
	size_t suites = count_no_grease(ch->suites, ch->n_suites);
	size_t exts = count_no_grease(ch->exts, ch->n_exts);
	char alpn[3];
	size_t pos;

	ja4_alpn(ch, alpn);
	snprintf(a, 16, "t%s%c%02zu%02zu%s", ja4_version(ch),
	    ch->has_sni ? 'd' : 'i', suites > 99 ? 99 : suites,
	    exts > 99 ? 99 : exts, alpn);
	ja4_list(ch->suites, ch->n_suites, true, false, b, bsize);
	ja4_list(ch->exts, ch->n_exts, true, true, c, csize);
	pos = strlen(c);
	if (ch->n_sigalgs > 0 && pos + 2 < csize) {
		c[pos++] = '_';
		ja4_list(ch->sigalgs, ch->n_sigalgs, false, false, c + pos,
		    csize - pos);
	}
}

/* The first 12 hex digits of SHA-256(s), or twelve zeros for "". */
static int
ja4_hash(const char *s, char out[13])
{
	unsigned char d[32];
	static const char hex[] = "0123456789abcdef";

	if (s[0] == '\0') {
		memcpy(out, "000000000000", 13);
		return 0;
	}
	if (PK11_HashBuf(SEC_OID_SHA256, d, (const unsigned char *)s,
	    (PRInt32)strlen(s)) != SECSuccess)
		return -1;
	for (int i = 0; i < 6; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 0xf];
	}
	out[12] = '\0';
	return 0;
}

int
clienthello_fingerprints(const struct clienthello *ch, char ja3[33],
    char ja4[48])
{
	static const char hex[] = "0123456789abcdef";
	char s[4096], a[16], hb[13], hc[13];
	char *b = malloc(CH_MAX_SUITES * 5 + 1);
	char *c = malloc(CH_MAX_EXTS * 5 + CH_MAX_LIST * 5 + 2);
	unsigned char md5[16];
	int rc = -1;

	if (b == NULL || c == NULL)
		goto out;
	clienthello_ja3_string(ch, s, sizeof(s));
	if (PK11_HashBuf(SEC_OID_MD5, md5, (const unsigned char *)s,
	    (PRInt32)strlen(s)) != SECSuccess)
		goto out;
	for (int i = 0; i < 16; i++) {
		ja3[2 * i] = hex[md5[i] >> 4];
		ja3[2 * i + 1] = hex[md5[i] & 0xf];
	}
	ja3[32] = '\0';
	clienthello_ja4_parts(ch, a, b, CH_MAX_SUITES * 5 + 1, c,
	    CH_MAX_EXTS * 5 + CH_MAX_LIST * 5 + 2);
	if (ja4_hash(b, hb) != 0 || ja4_hash(c, hc) != 0)
		goto out;
	snprintf(ja4, 48, "%s_%s_%s", a, hb, hc);
	rc = 0;
out:
	free(b);
	free(c);
	return rc;
}
