/*
 * rawhello: hand-built ClientHellos and the ServerHello reader (see
 * rawhello.h).
 */
#include "rawhello.h"

#include <string.h>

/* Every group a server might pick: the elliptic curves (brainpool
 * too), x448, FFDHE, and the post-quantum hybrids. */
static const uint16_t broad_groups[] = {
	0x001d, 0x0017, 0x0018, 0x0019, 0x001e, 0x001a, 0x001b, 0x001c,
	0x0100, 0x0101, 0x0102, 0x0103, 0x0104, 0x11ec, 0x11eb, 0x6399,
	0x0016, 0x0015, 0x0013, 0x0012,
};

static const uint16_t sigalgs[] = {
	0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806,
	0x0809, 0x080a, 0x080b, 0x0401, 0x0501, 0x0601, 0x0303, 0x0203,
	0x0301, 0x0201, 0x0402, 0x0502, 0x0602, 0x0302, 0x0202, 0x0101,
};

/* SSLv2 cipher specs (3 bytes each): RC4, RC2, IDEA, DES, 3DES and
 * their export variants. */
static const uint8_t ssl2_specs[] = {
	0x01, 0x00, 0x80, 0x02, 0x00, 0x80, 0x03, 0x00, 0x80, 0x04, 0x00, 0x80,
	0x05, 0x00, 0x80, 0x06, 0x00, 0x40, 0x07, 0x00, 0xc0,
};

/* SHA-256("HelloRetryRequest"): the random of a HRR (RFC 8446 4.1.3). */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02,
	0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* The generators of P-256, P-384 and P-521, uncompressed: valid points,
 * so a key share a server can take (it never learns a secret of ours,
 * and none is needed: only its first answer is read). */
static const uint8_t p256_g[65] = {
	0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6,
	0xe5, 0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33,
	0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42,
	0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e,
	0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40,
	0x68, 0x37, 0xbf, 0x51, 0xf5,
};
static const uint8_t p384_g[97] = {
	0x04, 0xaa, 0x87, 0xca, 0x22, 0xbe, 0x8b, 0x05, 0x37, 0x8e, 0xb1, 0xc7,
	0x1e, 0xf3, 0x20, 0xad, 0x74, 0x6e, 0x1d, 0x3b, 0x62, 0x8b, 0xa7, 0x9b,
	0x98, 0x59, 0xf7, 0x41, 0xe0, 0x82, 0x54, 0x2a, 0x38, 0x55, 0x02, 0xf2,
	0x5d, 0xbf, 0x55, 0x29, 0x6c, 0x3a, 0x54, 0x5e, 0x38, 0x72, 0x76, 0x0a,
	0xb7, 0x36, 0x17, 0xde, 0x4a, 0x96, 0x26, 0x2c, 0x6f, 0x5d, 0x9e, 0x98,
	0xbf, 0x92, 0x92, 0xdc, 0x29, 0xf8, 0xf4, 0x1d, 0xbd, 0x28, 0x9a, 0x14,
	0x7c, 0xe9, 0xda, 0x31, 0x13, 0xb5, 0xf0, 0xb8, 0xc0, 0x0a, 0x60, 0xb1,
	0xce, 0x1d, 0x7e, 0x81, 0x9d, 0x7a, 0x43, 0x1d, 0x7c, 0x90, 0xea, 0x0e,
	0x5f,
};
static const uint8_t p521_g[133] = {
	0x04, 0x00, 0xc6, 0x85, 0x8e, 0x06, 0xb7, 0x04, 0x04, 0xe9, 0xcd, 0x9e,
	0x3e, 0xcb, 0x66, 0x23, 0x95, 0xb4, 0x42, 0x9c, 0x64, 0x81, 0x39, 0x05,
	0x3f, 0xb5, 0x21, 0xf8, 0x28, 0xaf, 0x60, 0x6b, 0x4d, 0x3d, 0xba, 0xa1,
	0x4b, 0x5e, 0x77, 0xef, 0xe7, 0x59, 0x28, 0xfe, 0x1d, 0xc1, 0x27, 0xa2,
	0xff, 0xa8, 0xde, 0x33, 0x48, 0xb3, 0xc1, 0x85, 0x6a, 0x42, 0x9b, 0xf9,
	0x7e, 0x7e, 0x31, 0xc2, 0xe5, 0xbd, 0x66, 0x01, 0x18, 0x39, 0x29, 0x6a,
	0x78, 0x9a, 0x3b, 0xc0, 0x04, 0x5c, 0x8a, 0x5f, 0xb4, 0x2c, 0x7d, 0x1b,
	0xd9, 0x98, 0xf5, 0x44, 0x49, 0x57, 0x9b, 0x44, 0x68, 0x17, 0xaf, 0xbd,
	0x17, 0x27, 0x3e, 0x66, 0x2c, 0x97, 0xee, 0x72, 0x99, 0x5e, 0xf4, 0x26,
	0x40, 0xc5, 0x50, 0xb9, 0x01, 0x3f, 0xad, 0x07, 0x61, 0x35, 0x3c, 0x70,
	0x86, 0xa2, 0x72, 0xc2, 0x40, 0x88, 0xbe, 0x94, 0x76, 0x9f, 0xd1, 0x66,
	0x50,
};

/* A bounded writer: every put checks the room left. */
struct wbuf {
	uint8_t *p;
	size_t len, cap;
	bool overflow;
};

static void
put(struct wbuf *w, const void *data, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->len, data, n);
	w->len += n;
}

static void
put8(struct wbuf *w, unsigned v)
{
	uint8_t b = (uint8_t)v;

	put(w, &b, 1);
}

static void
put16(struct wbuf *w, unsigned v)
{
	put8(w, v >> 8);
	put8(w, v);
}

/* Reserve a length field of n bytes; patch() fills it in later. */
static size_t
reserve(struct wbuf *w, size_t n)
{
	size_t at = w->len;

	for (size_t i = 0; i < n; i++)
		put8(w, 0);
	return at;
}

static void
patch(struct wbuf *w, size_t at, size_t n)
{
	size_t v = w->len - at - n;

	if (w->overflow)
		return;
	for (size_t i = 0; i < n; i++)
		w->p[at + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static void
put_list16(struct wbuf *w, const uint16_t *v, size_t n)
{
	put16(w, (unsigned)(2 * n));
	for (size_t i = 0; i < n; i++)
		put16(w, v[i]);
}

static void
put_sni(struct wbuf *w, const char *name)
{
	size_t n = strlen(name);

	put16(w, 0x0000);
	put16(w, (unsigned)(n + 5));
	put16(w, (unsigned)(n + 3));
	put8(w, 0);
	put16(w, (unsigned)n);
	put(w, name, n);
}

/* An ML-KEM (or Kyber round 3) encapsulation key of k polynomials: all
 * coefficients zero (each below q, so the key passes FIPS 203's modulus
 * check) and a random seed.  Valid to parse and encapsulate to; only the
 * server's first answer is read. */
static void
put_mlkem(struct wbuf *w, const struct rawhello_spec *s, size_t k)
{
	for (size_t i = 0; i < 384 * k; i++)
		put8(w, 0);
	put(w, s->random, 32);
}

/* The key exchange bytes of a share for group g: random bytes for
 * x25519 and x448, a curve's generator, 2 (below p, and a generator of
 * its prime-order subgroup) for an FFDHE group, both halves for a
 * hybrid.  Returns false when we can make no share for g. */
static bool
put_share_bytes(struct wbuf *w, const struct rawhello_spec *s, unsigned g)
{
	static const size_t ffdhe_len[] = { 256, 384, 512, 768, 1024 };

	switch (g) {
	case 0x001d:
		put(w, s->random, 32);
		return true;
	case 0x001e:
		put(w, s->random, 32);
		put(w, s->random, 24);
		return true;
	case 0x0017:
		put(w, p256_g, sizeof(p256_g));
		return true;
	case 0x0018:
		put(w, p384_g, sizeof(p384_g));
		return true;
	case 0x0019:
		put(w, p521_g, sizeof(p521_g));
		return true;
	case 0x11ec:                            /* X25519MLKEM768: ML-KEM first */
		put_mlkem(w, s, 3);
		put(w, s->random, 32);
		return true;
	case 0x6399:                            /* X25519Kyber768Draft00 */
		put(w, s->random, 32);
		put_mlkem(w, s, 3);
		return true;
	case 0x11eb:                            /* SecP256r1MLKEM768 */
		put(w, p256_g, sizeof(p256_g));
		put_mlkem(w, s, 3);
		return true;
	case 0x11ed:                            /* SecP384r1MLKEM1024 */
		put(w, p384_g, sizeof(p384_g));
		put_mlkem(w, s, 4);
		return true;
	}
	if (g < 0x0100 || g > 0x0104)
		return false;
	for (size_t i = 0; i + 1 < ffdhe_len[g - 0x0100]; i++)
		put8(w, 0);
	put8(w, 2);
	return true;
}

bool
rawhello_can_share(unsigned g)
{
	uint8_t buf[2048];
	struct wbuf w = { buf, 0, sizeof(buf), false };
	struct rawhello_spec s = { 0 };

	return put_share_bytes(&w, &s, g) && !w.overflow;
}

/* One KeyShareEntry (in its list) for s->share_group. */
static void
put_key_share(struct wbuf *w, const struct rawhello_spec *s)
{
	unsigned g = s->share_group ? s->share_group : 0x001d;
	size_t at = reserve(w, 2), n;

	put16(w, g);
	n = reserve(w, 2);
	if (!put_share_bytes(w, s, g)) {
		w->overflow = true;     /* no share we can make */
		return;
	}
	patch(w, n, 2);
	patch(w, at, 2);
}

static void
put_extensions(struct wbuf *w, const struct rawhello_spec *s)
{
	const uint16_t *groups = s->groups ? s->groups : broad_groups;
	size_t n_groups = s->groups ? s->n_groups :
	    sizeof(broad_groups) / sizeof(broad_groups[0]);
	size_t at = reserve(w, 2), e;

	if (s->sni != NULL)
		put_sni(w, s->sni);
	put16(w, 0x000a);                       /* supported_groups */
	put16(w, (unsigned)(2 + 2 * n_groups));
	put_list16(w, groups, n_groups);
	put16(w, 0x000b);                       /* ec_point_formats */
	put16(w, 2);
	put8(w, 1);
	put8(w, 0);
	if (s->version >= 0x0303) {
		put16(w, 0x000d);               /* signature_algorithms */
		put16(w, (unsigned)(2 + sizeof(sigalgs)));
		put_list16(w, sigalgs, sizeof(sigalgs) / sizeof(sigalgs[0]));
	}
	if (s->heartbeat) {
		put16(w, 0x000f);               /* peer_allowed_to_send */
		put16(w, 1);
		put8(w, 1);
	}
	put16(w, 0x0017);                       /* extended_master_secret */
	put16(w, 0);
	put16(w, 0xff01);                       /* renegotiation_info */
	put16(w, 1);
	put8(w, 0);
	if (s->version == 0x0304) {
		put16(w, 0x002b);               /* supported_versions */
		put16(w, 3);
		put8(w, 2);
		put16(w, 0x0304);
		put16(w, 0x0033);               /* key_share */
		e = reserve(w, 2);
		if (!s->no_key_share)
			put_key_share(w, s);
		else
			put16(w, 0);
		patch(w, e, 2);
		put16(w, 0x002d);               /* psk_key_exchange_modes */
		put16(w, 2);
		put8(w, 1);
		put8(w, 1);
	}
	patch(w, at, 2);
}

static size_t
build_ssl2(const struct rawhello_spec *s, struct wbuf *w)
{
	size_t body = 9 + sizeof(ssl2_specs) + 16;

	put8(w, 0x80 | (unsigned)(body >> 8));
	put8(w, (unsigned)body);
	put8(w, 1);                             /* CLIENT-HELLO */
	put16(w, 0x0002);
	put16(w, sizeof(ssl2_specs));
	put16(w, 0);                            /* session id */
	put16(w, 16);                           /* challenge */
	put(w, ssl2_specs, sizeof(ssl2_specs));
	put(w, s->random, 16);
	return w->overflow ? 0 : w->len;
}

size_t
rawhello_build(const struct rawhello_spec *s, uint8_t *buf, size_t cap)
{
	struct wbuf w = { buf, 0, cap, false };
	size_t rec, hs;

	if (s->version == RAWHELLO_SSL2)
		return build_ssl2(s, &w);
	if (s->version < 0x0300 || s->version > 0x0304 || s->n_suites == 0 ||
	    s->n_suites > 2000)
		return 0;
	put8(&w, 22);
	/* TLS 1.3 hellos go in a TLS 1.0 record, as every client does. */
	put16(&w, s->version == 0x0300 ? 0x0300 : 0x0301);
	rec = reserve(&w, 2);
	put8(&w, 1);                            /* client_hello */
	hs = reserve(&w, 3);
	put16(&w, s->version == 0x0304 ? 0x0303 : s->version);
	put(&w, s->random, 32);
	/* TLS 1.3 middlebox compatibility wants a session ID. */
	put8(&w, s->version == 0x0304 ? 32 : 0);
	if (s->version == 0x0304)
		put(&w, s->random, 32);
	put_list16(&w, s->suites, s->n_suites);
	put8(&w, s->compression ? 2 : 1);
	if (s->compression)
		put8(&w, 1);                    /* DEFLATE */
	put8(&w, 0);
	if (s->version > 0x0300)
		put_extensions(&w, s);
	patch(&w, hs, 3);
	patch(&w, rec, 2);
	if (w.overflow || w.len - 5 > 16384)
		return 0;
	return w.len;
}

/* A bounded reader: every get checks the bytes left. */
struct rbuf {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static unsigned
get(struct rbuf *r, size_t n)
{
	unsigned v = 0;

	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v = v << 8 | r->p[r->off++];
	return v;
}

static const uint8_t *
skip(struct rbuf *r, size_t n)
{
	const uint8_t *at = r->p + r->off;

	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return NULL;
	}
	r->off += n;
	return at;
}

static void
parse_extension(unsigned type, struct rbuf *x, bool hrr,
    struct rawhello_answer *a)
{
	switch (type) {
	case 0x002b:
		a->version = (uint16_t)get(x, 2);
		break;
	case 0x0033:
		/* A HRR names the group alone; a ServerHello its share. */
		a->group = (uint16_t)get(x, 2);
		(void)hrr;
		break;
	case 0x000f:
		a->heartbeat = true;
		break;
	case 0xff01:
		a->renegotiation_info = true;
		break;
	case 0x0017:
		a->ems = true;
		break;
	}
}

/* The body of a ServerHello (after its 4-byte header). */
static enum rawhello_kind
parse_body(const uint8_t *p, size_t len, struct rawhello_answer *a)
{
	struct rbuf r = { p, len, 0, false };
	const uint8_t *random;
	bool hrr;

	a->version = (uint16_t)get(&r, 2);
	random = skip(&r, 32);
	skip(&r, get(&r, 1));
	a->suite = (uint16_t)get(&r, 2);
	a->compression = (uint8_t)get(&r, 1);
	if (r.bad)
		return RAWHELLO_MALFORMED;
	hrr = memcmp(random, hrr_random, 32) == 0;
	if (r.off < r.len) {
		size_t ext_len = get(&r, 2);
		struct rbuf e = { skip(&r, ext_len), ext_len, 0, false };

		if (r.bad)
			return RAWHELLO_MALFORMED;
		while (e.off < e.len && !e.bad) {
			unsigned type = get(&e, 2);
			size_t n = get(&e, 2);
			struct rbuf x = { skip(&e, n), n, 0, false };

			if (!e.bad)
				parse_extension(type, &x, hrr, a);
		}
		if (e.bad)
			return RAWHELLO_MALFORMED;
	}
	return hrr ? RAWHELLO_HRR : RAWHELLO_SERVER_HELLO;
}

/* SSLv2: a 2-byte header with the high bit set, then SERVER-HELLO (4). */
static enum rawhello_kind
parse_ssl2(const uint8_t *buf, size_t len, struct rawhello_answer *a)
{
	size_t body;

	if (len < 2)
		return RAWHELLO_INCOMPLETE;
	body = (size_t)(buf[0] & 0x7f) << 8 | buf[1];
	if (body < 11)
		return RAWHELLO_MALFORMED;
	if (len < 2 + 7)
		return RAWHELLO_INCOMPLETE;
	if (buf[2] != 4)
		return RAWHELLO_MALFORMED;
	a->version = (uint16_t)(buf[5] << 8 | buf[6]);
	return a->version == 0x0002 ? RAWHELLO_SSL2_HELLO : RAWHELLO_MALFORMED;
}

/* The largest ServerHello or ServerKeyExchange kept: far more than any
 * real one (an FFDHE-8192 key exchange with its signature is ~3 KiB). */
#define HELLO_MAX 16384

/* ServerKeyExchange (RFC 8422 5.4, RFC 5246 7.4.3): ECDHE names its
 * curve (curve_type 3: named_curve); DHE sends p, g and Ys, and p is
 * kept to tell an RFC 7919 group from a custom one. */
static void
parse_ske(const uint8_t *p, size_t len, enum rawhello_kx kx,
    struct rawhello_answer *a)
{
	struct rbuf r = { p, len, 0, false };

	if (kx == RAWHELLO_KX_ECDHE) {
		unsigned type = get(&r, 1);

		if (type == 3)
			a->ske_group = (uint16_t)get(&r, 2);
		a->ske = !r.bad;
		a->ske_explicit_curve = !r.bad && type != 3;
		return;
	}
	{
		size_t n = get(&r, 2);
		const uint8_t *prime = skip(&r, n);

		if (r.bad || n == 0)
			return;
		while (n > 1 && *prime == 0) {       /* a sloppy encoder's zeros */
			prime++;
			n--;
		}
		a->ske = true;
		a->dh_p_len = (uint16_t)n;
		a->dh_bits = (uint16_t)(8 * n);
		for (uint8_t top = prime[0]; top < 0x80 && a->dh_bits > 0; top <<= 1)
			a->dh_bits--;
		if (n <= sizeof(a->dh_p))
			memcpy(a->dh_p, prime, n);
	}
}

/* The handshake messages of the server's first flight, as they come
 * across records: the ServerHello and the ServerKeyExchange are kept,
 * everything else (the Certificate: it may be far larger) is skipped. */
struct flight {
	uint8_t hdr[4];
	size_t hdr_have, msg_len, msg_have, n_msgs;
	uint8_t body[HELLO_MAX];
	enum rawhello_kx kx;
	bool done;
	enum rawhello_kind kind;
};

/* One whole message.  Sets f->done when the answer is complete. */
static void
flight_message(struct flight *f, struct rawhello_answer *a)
{
	uint8_t type = f->hdr[0];

	if (f->n_msgs++ == 0) {
		f->kind = type != 2 ? RAWHELLO_MALFORMED :
		    parse_body(f->body, f->msg_len, a);
		/* Only TLS 1.2 and older send the rest in the clear. */
		f->done = f->kx == RAWHELLO_KX_NONE || f->kind != RAWHELLO_SERVER_HELLO ||
		    a->version >= 0x0304;
		return;
	}
	if (type == 12)
		parse_ske(f->body, f->msg_len, f->kx, a);
	/* ServerKeyExchange, or ServerHelloDone: there is none. */
	f->done = type == 12 || type == 14;
}

/* Feed n bytes of handshake data. */
static void
flight_feed(struct flight *f, const uint8_t *p, size_t n,
    struct rawhello_answer *a)
{
	while (!f->done) {
		size_t take;

		if (f->hdr_have < 4) {
			if (n == 0)
				return;
			f->hdr[f->hdr_have++] = *p++;
			n--;
			if (f->hdr_have < 4)
				continue;
			f->msg_len = (size_t)f->hdr[1] << 16 | (size_t)f->hdr[2] << 8 |
			    f->hdr[3];
			f->msg_have = 0;
			if ((f->n_msgs == 0 && f->hdr[0] != 2) ||
			    ((f->hdr[0] == 2 || f->hdr[0] == 12) && f->msg_len > HELLO_MAX)) {
				f->kind = RAWHELLO_MALFORMED;
				f->done = true;
				return;
			}
		}
		take = f->msg_len - f->msg_have < n ? f->msg_len - f->msg_have : n;
		if (f->hdr[0] == 2 || f->hdr[0] == 12)
			memcpy(f->body + f->msg_have, p, take);
		f->msg_have += take;
		p += take;
		n -= take;
		if (f->msg_have < f->msg_len)
			return;
		flight_message(f, a);
		f->hdr_have = 0;
	}
}

/* One record at buf[0..len) (len >= 5, whole).  Returns false when it
 * ends the reading. */
static bool
flight_record(struct flight *f, const uint8_t *rec, size_t rec_len,
    struct rawhello_answer *a)
{
	if (rec[0] == 21) {
		if (f->n_msgs > 0 && f->kind == RAWHELLO_SERVER_HELLO) {
			f->done = true;         /* the ServerHello stands */
			return false;
		}
		if (f->n_msgs > 0 || f->hdr_have > 0 || rec_len < 2) {
			f->kind = RAWHELLO_MALFORMED;
			return false;
		}
		a->alert_level = rec[5];
		a->alert_desc = rec[6];
		f->kind = RAWHELLO_ALERT;
		return false;
	}
	if (rec[0] != 22) {
		f->kind = f->n_msgs > 0 ? f->kind : RAWHELLO_MALFORMED;
		f->done = f->n_msgs > 0;
		return false;
	}
	flight_feed(f, rec + 5, rec_len, a);
	return !f->done;
}

static enum rawhello_kind
parse_flight(const uint8_t *buf, size_t len, enum rawhello_kx kx,
    struct rawhello_answer *a)
{
	struct flight f;
	size_t off = 0;

	memset(a, 0, sizeof(*a));
	f.hdr_have = f.n_msgs = 0;
	f.kx = kx;
	f.done = false;
	f.kind = RAWHELLO_INCOMPLETE;
	if (len == 0)
		return a->kind = RAWHELLO_INCOMPLETE;
	if (buf[0] & 0x80)
		return a->kind = parse_ssl2(buf, len, a);
	while (!f.done) {
		size_t rec_len, take;

		if (len - off < 5)
			return a->kind = RAWHELLO_INCOMPLETE;
		rec_len = (size_t)buf[off + 3] << 8 | buf[off + 4];
		if (buf[off + 1] != 3 || rec_len == 0 || rec_len > 16384 + 2048)
			return a->kind = f.n_msgs > 0 && f.kind == RAWHELLO_SERVER_HELLO ?
			    f.kind : RAWHELLO_MALFORMED;
		take = len - off - 5 < rec_len ? len - off - 5 : rec_len;
		if (buf[off] == 21 && take < 2)
			return a->kind = RAWHELLO_INCOMPLETE;
		if (buf[off] == 22)
			flight_feed(&f, buf + off + 5, take, a);
		else if (!flight_record(&f, buf + off, take, a))
			return a->kind = f.kind;
		if (f.done || take < rec_len)
			break;
		off += 5 + rec_len;
	}
	return a->kind = f.done ? f.kind : RAWHELLO_INCOMPLETE;
}

enum rawhello_kind
rawhello_parse_server_hello(const uint8_t *buf, size_t len,
    struct rawhello_answer *a)
{
	return parse_flight(buf, len, RAWHELLO_KX_NONE, a);
}

enum rawhello_kind
rawhello_parse_key_exchange(const uint8_t *buf, size_t len,
    enum rawhello_kx kx, struct rawhello_answer *a)
{
	return parse_flight(buf, len, kx, a);
}
