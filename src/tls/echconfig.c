/*
 * echconfig: ECHConfigList bytes — base64 and the parser (see echconfig.h).
 *
 * Why our own parser when NSS parses the list too: SSL_SetClientEchConfigs
 * answers a bad list with one error code and no position, and NSS does not
 * say which config (and so which public name) it chose.  Parsing first
 * gives the user "byte 41: public_name runs past the end" and gives the
 * report the outer name before the handshake.
 */
#include "echconfig.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static int
b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

unsigned char *
echconfig_b64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s), out_len = 0, digits = 0, pad = 0;
	unsigned char *out = xmalloc(n / 4 * 3 + 3);
	uint32_t acc = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i], v;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		v = b64_value(c);
		if (v < 0 || pad > 0)   /* not base64, or data after padding */
			goto bad;
		acc = acc << 6 | (uint32_t)v;
		if (++digits % 4 == 0) {
			out[out_len++] = (unsigned char)(acc >> 16);
			out[out_len++] = (unsigned char)(acc >> 8);
			out[out_len++] = (unsigned char)acc;
			acc = 0;
		}
	}
	switch (digits % 4) {
	case 0:
		if (pad != 0)
			goto bad;
		break;
	case 1:
		goto bad;       /* six bits cannot end a byte */
	case 2:
		if (pad != 0 && pad != 2)
			goto bad;
		out[out_len++] = (unsigned char)(acc >> 4);
		break;
	case 3:
		if (pad != 0 && pad != 1)
			goto bad;
		out[out_len++] = (unsigned char)(acc >> 10);
		out[out_len++] = (unsigned char)(acc >> 2);
		break;
	}
	if (out_len == 0)
		goto bad;
	*len = out_len;
	return out;
bad:
	free(out);
	return NULL;
}

char *
echconfig_b64_encode(const unsigned char *p, size_t len)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = alphabet[v >> 18 & 63];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? alphabet[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* A cursor over the list; every read checks the bytes left. */
struct cur {
	const unsigned char *p;
	size_t len;
	size_t off;              /* offset of p in the whole list */
};

static int
get_u8(struct cur *c, unsigned *v)
{
	if (c->len < 1)
		return -1;
	*v = c->p[0];
	c->p++;
	c->len--;
	c->off++;
	return 0;
}

static int
get_u16(struct cur *c, unsigned *v)
{
	if (c->len < 2)
		return -1;
	*v = (unsigned)c->p[0] << 8 | c->p[1];
	c->p += 2;
	c->len -= 2;
	c->off += 2;
	return 0;
}

/* The next n bytes as a sub-cursor. */
static int
get_bytes(struct cur *c, size_t n, struct cur *sub)
{
	if (c->len < n)
		return -1;
	sub->p = c->p;
	sub->len = n;
	sub->off = c->off;
	c->p += n;
	c->len -= n;
	c->off += n;
	return 0;
}

/* RFC 9849 §4: the public name is a host name, and clients ignore
 * configs whose name is an IPv4 address. */
static bool
host_name_ok(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
			return false;
	}
	return n > 0 && p[0] != '.';
}

/* HPKE suites NSS 3.87 implements: HKDF-SHA256 with AES-128-GCM or
 * ChaCha20-Poly1305, and only the X25519 KEM. */
static bool
suite_supported(unsigned kdf, unsigned aead)
{
	return kdf == 0x0001 && (aead == 0x0001 || aead == 0x0003);
}

/* The contents of a version 0xfe0d config.  Returns NULL or the reason. */
static const char *
parse_contents(struct cur *c, struct echconfig *e, size_t *where)
{
	struct cur key, suites, name, ext;
	unsigned id, kem, klen, slen, max, nlen, elen;

	*where = c->off;
	if (get_u8(c, &id) != 0 || get_u16(c, &kem) != 0 || get_u16(c, &klen) != 0)
		return "the key config is cut short";
	*where = c->off;
	if (klen == 0 || get_bytes(c, klen, &key) != 0)
		return "the public key is empty or runs past the config";
	*where = c->off;
	if (get_u16(c, &slen) != 0 || slen < 4 || slen % 4 != 0 ||
	    get_bytes(c, slen, &suites) != 0)
		return "the cipher suite list is empty, not a multiple of 4 bytes, "
		    "or runs past the config";
	e->config_id = (uint8_t)id;
	e->kem_id = (uint16_t)kem;
	e->n_suites = slen / 4;
	while (suites.len > 0) {
		unsigned kdf = 0, aead = 0;

		(void)get_u16(&suites, &kdf);
		(void)get_u16(&suites, &aead);
		if (suite_supported(kdf, aead))
			e->suite_ok = true;
	}
	*where = c->off;
	if (get_u8(c, &max) != 0 || get_u8(c, &nlen) != 0)
		return "the config ends before its public_name";
	*where = c->off;
	if (nlen == 0 || get_bytes(c, nlen, &name) != 0)
		return "public_name is empty or runs past the config";
	if (!host_name_ok(name.p, name.len))
		return "public_name is not a host name";
	e->max_name_len = (uint8_t)max;
	memcpy(e->public_name, name.p, name.len);
	e->public_name[name.len] = '\0';
	*where = c->off;
	if (get_u16(c, &elen) != 0 || get_bytes(c, elen, &ext) != 0)
		return "the extension list runs past the config";
	e->usable = e->kem_id == 0x0020 && e->suite_ok;
	while (ext.len > 0) {
		unsigned type, len;
		struct cur skip;

		*where = ext.off;
		if (get_u16(&ext, &type) != 0 || get_u16(&ext, &len) != 0 ||
		    get_bytes(&ext, len, &skip) != 0)
			return "an extension runs past the extension list";
		/* The high bit marks a mandatory extension: a client that
		 * does not know it must skip the config (RFC 9849 §4.2). */
		if (type & 0x8000)
			e->usable = false;
	}
	*where = c->off;
	if (c->len != 0)
		return "bytes left over after the extensions";
	if (util_is_ip_literal(e->public_name))
		e->usable = false;
	return NULL;
}

int
echconfig_parse(const unsigned char *p, size_t len, struct echconfig **out,
    char **err)
{
	struct cur all = { p, len, 0 }, list;
	struct echconfig *cfg = NULL;
	size_t n = 0, num = 0, where = 0;
	unsigned total;
	const char *why = NULL;

	*out = NULL;
	if (get_u16(&all, &total) != 0) {
		*err = xasprintf("an ECHConfigList needs at least 2 bytes, got %zu",
		    len);
		return -1;
	}
	if (total != all.len) {
		*err = xasprintf("the ECHConfigList says it holds %u bytes, but %zu "
		    "follow its length", total, all.len);
		return -1;
	}
	if (total == 0) {
		*err = xstrdup("the ECHConfigList is empty");
		return -1;
	}
	list = all;
	while (list.len > 0) {
		struct echconfig *e;
		struct cur body;
		unsigned version, clen;

		num = n + 1;
		where = list.off;
		if (get_u16(&list, &version) != 0 || get_u16(&list, &clen) != 0) {
			why = "an ECHConfig header is cut short";
			goto bad;
		}
		if (get_bytes(&list, clen, &body) != 0) {
			why = "an ECHConfig runs past the end of the list";
			goto bad;
		}
		cfg = xrealloc(cfg, (n + 1) * sizeof(*cfg));
		e = &cfg[n++];
		memset(e, 0, sizeof(*e));
		e->version = (uint16_t)version;
		/* Other versions are skipped, as a client must. */
		if (version != ECHCONFIG_VERSION)
			continue;
		e->known = true;
		why = parse_contents(&body, e, &where);
		if (why != NULL)
			goto bad;
	}
	*out = cfg;
	return (int)n;
bad:
	*err = xasprintf("ECHConfig %zu, byte %zu: %s", num, where, why);
	free(cfg);
	return -1;
}

const struct echconfig *
echconfig_first_usable(const struct echconfig *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (c[i].usable)
			return &c[i];
	return NULL;
}
