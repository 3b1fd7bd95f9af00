/*
 * clienthello: the decoder of a TLS ClientHello as a server receives it
 * (server mode).  clienthello_parse() is a pure, bounded function over the
 * bytes of the handshake records (record headers included): no NSS, no
 * allocation, no I/O, so it can be fuzzed alone.  The JA3 and JA4
 * fingerprints are computed from the decoded fields; only their hashes
 * need NSS.
 */
#ifndef NSSTLS_CLIENTHELLO_H
#define NSSTLS_CLIENTHELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CH_MAX_SUITES 256
#define CH_MAX_EXTS 64
#define CH_MAX_LIST 64           /* groups, sigalgs, versions, formats */
#define CH_MAX_SHARES 16
#define CH_MAX_ALPN 16
#define CH_MAX_ALPN_LEN 64
#define CH_MAX_SNI 256
/* A ClientHello larger than this is not kept (TLS allows 2^24 bytes). */
#define CH_MAX_BYTES 65536

struct ch_share {
	uint16_t group;
	uint16_t len;            /* key_exchange length */
};

struct clienthello {
	uint16_t legacy_version;
	uint8_t random[32];
	uint8_t session_id_len;
	uint16_t suites[CH_MAX_SUITES];
	size_t n_suites;
	uint8_t n_compression;
	uint16_t exts[CH_MAX_EXTS];          /* extension types, in order */
	size_t n_exts;
	uint16_t versions[CH_MAX_LIST];      /* supported_versions */
	size_t n_versions;
	uint16_t groups[CH_MAX_LIST];        /* supported_groups */
	size_t n_groups;
	uint8_t point_formats[CH_MAX_LIST];  /* ec_point_formats */
	size_t n_point_formats;
	struct ch_share shares[CH_MAX_SHARES];  /* key_share */
	size_t n_shares;
	uint16_t sigalgs[CH_MAX_LIST];       /* signature_algorithms */
	size_t n_sigalgs;
	char alpn[CH_MAX_ALPN][CH_MAX_ALPN_LEN + 1];  /* raw bytes, NUL-ended */
	uint8_t alpn_len[CH_MAX_ALPN];
	size_t n_alpn;
	char sni[CH_MAX_SNI + 1];            /* host_name, raw bytes; "" none */
	size_t sni_len;
	bool has_sni;
	bool ticket_offered;                 /* session_ticket, non-empty */
	bool ticket_ext;                     /* session_ticket, present */
	unsigned psk_identities;             /* pre_shared_key */
	bool early_data;
	bool ech;                            /* encrypted_client_hello */
	bool ech_outer;                      /* ... of type outer (0) */
	bool post_handshake_auth;
	bool status_request;
	bool sct;
	bool ems;
	bool reneg_info;
	bool truncated;                      /* a list longer than kept */
};

enum ch_result {
	CH_OK = 0,
	CH_INCOMPLETE,           /* more bytes needed */
	CH_NOT_TLS,              /* not a TLS handshake record */
	CH_NOT_HELLO,            /* a handshake, but not a ClientHello */
	CH_MALFORMED,            /* a length points outside its container */
	CH_TOO_BIG,
};

/* How many bytes of buf (records as read from the wire) the ClientHello
 * takes, records included, or 0 with *res saying why not yet (or never). */
size_t clienthello_frame(const uint8_t *buf, size_t len, enum ch_result *res);

/* Decode the ClientHello in buf (TLS records as read from the wire, the
 * hello possibly split across several).  Fills *out (zeroed first). */
enum ch_result clienthello_parse(const uint8_t *buf, size_t len,
    struct clienthello *out);

/* What a result means, in words. */
const char *clienthello_result_str(enum ch_result r);

/* RFC 8701 GREASE value (0x?a?a). */
bool clienthello_is_grease(uint16_t v);

/* The JA3 string ("771,4865-...,0-11-...,29-23,0"), GREASE left out.
 * Returns the length written (truncated at size). */
size_t clienthello_ja3_string(const struct clienthello *ch, char *out,
    size_t size);

/* JA4's parts before hashing: a ("t13d1516h2"), b (sorted suites, hex,
 * comma-separated) and c (sorted extensions without SNI and ALPN, then
 * "_" and the signature schemes in order). */
void clienthello_ja4_parts(const struct clienthello *ch, char a[16],
    char *b, size_t bsize, char *c, size_t csize);

/* The fingerprints: ja3 (MD5 hex, 33 bytes), ja4 ("a_b_c", at most 48 bytes).
 * Uses NSS's hash functions.  Returns 0 or -1. */
int clienthello_fingerprints(const struct clienthello *ch, char ja3[33],
    char ja4[48]);

#endif
