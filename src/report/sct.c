/*
 * sct: SCT list parsing (see sct.h).
 */
#include "sct.h"

#include <string.h>

#include "der.h"
#include "util.h"

/* 9999-12-31T23:59:59Z in milliseconds: later is not a date. */
#define SCT_MAX_MS 253402300799999ULL

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

int
sct_parse_list(const unsigned char *p, size_t len, const char *source,
    struct report *r)
{
	size_t total, off;
	int n = 0;

	if (len < 2)
		return -1;
	total = get16(p);
	if (total + 2 != len)
		return -1;
	for (off = 2; off < len;) {
		size_t sct_len, ext_len;
		const unsigned char *s;
		struct sct_info *info;
		uint64_t ts = 0;

		if (len - off < 2)
			return -1;
		sct_len = get16(p + off);
		off += 2;
		if (sct_len > len - off || sct_len < 1 + 32 + 8 + 2 + 2 + 2)
			return -1;
		s = p + off;
		off += sct_len;
		/* version(1) log_id(32) timestamp(8) extensions<2> hash(1)
		 * sig(1) signature<2> */
		ext_len = get16(s + 41);
		if (43 + ext_len + 4 > sct_len)
			return -1;
		info = report_add_sct(r);
		info->source = source;
		info->version = s[0];
		util_hex(s + 1, 32, '\0', info->log_id);
		for (int i = 0; i < 8; i++)
			ts = ts << 8 | s[33 + i];
		/* RFC 6962 timestamps are milliseconds; PRTime microseconds.
		 * A hostile value past year 9999 is no time at all (0). */
		info->timestamp = ts <= SCT_MAX_MS ? (PRTime)ts * 1000 : 0;
		info->hash_alg = s[43 + ext_len];
		info->sig_alg = s[44 + ext_len];
		n++;
	}
	return n;
}

void
sct_from_cert(CERTCertificate *c, struct report *r)
{
	/* 1.3.6.1.4.1.11129.2.4.2 has no SECOidTag in NSS 3.87, and
	 * CERT_FindCertExtensionByOID is not exported: compare the raw OID. */
	static const unsigned char oid[] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6,
	    0x79, 0x02, 0x04, 0x02 };

	if (c->extensions == NULL)
		return;
	for (CERTCertExtension **e = c->extensions; *e != NULL; e++) {
		struct der in, content;

		if ((*e)->id.len != sizeof(oid) ||
		    memcmp((*e)->id.data, oid, sizeof(oid)) != 0)
			continue;
		/* The extension value is an OCTET STRING holding the list. */
		in.p = (*e)->value.data;
		in.len = (*e)->value.len;
		if (der_expect(&in, TAG_OCTET_STRING, &content) == 0)
			(void)sct_parse_list(content.p, content.len, "certificate", r);
		return;
	}
}
