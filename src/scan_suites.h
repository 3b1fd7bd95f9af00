/*
 * scan_suites: every cipher suite of the IANA registry that a server can
 * choose for a plain ClientHello (scan_suites.c is generated), and the
 * severity --scan gives each.
 */
#ifndef NSSTLS_SCAN_SUITES_H
#define NSSTLS_SCAN_SUITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct scan_suite_info {
	uint16_t id;
	const char *iana;        /* TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 */
	const char *openssl;     /* ECDHE-RSA-AES128-GCM-SHA256 */
	const char *kx;          /* RSA, DH, ECDH, DH(512), any, ... */
	const char *au;          /* RSA, ECDSA, DSS, None, any, ... */
	const char *enc;         /* AESGCM, AES, 3DES, RC4, ChaCha20, None, ... */
	int bits;                /* symmetric key bits */
	const char *mac;         /* AEAD, SHA1, SHA256, MD5, ... */
	uint16_t min_version;    /* 0x0300 SSLv3 ... 0x0304 TLS 1.3 */
	bool export_grade;
};

extern const struct scan_suite_info scan_suites[];
extern const size_t scan_suites_len;

enum suite_severity {
	SUITE_OK,                /* forward secret AEAD (or TLS 1.3) */
	SUITE_DEPRECATED,        /* CBC, SHA-1 MAC, or no forward secrecy */
	SUITE_WEAK,              /* broken: NULL, export, anonymous, RC4,
	                          * DES, 3DES, MD5, below 112 bits */
};

/* The registry entry of id, or NULL. */
const struct scan_suite_info *scan_suite_find(uint16_t id);

/* The severity of a suite; unknown ids are weak (nothing vouches for
 * them). */
enum suite_severity scan_suite_severity(uint16_t id);
const char *scan_suite_severity_str(enum suite_severity s);

/* "ECDHE", "DHE", "RSA", "TLS 1.3", ... for the key-exchange column. */
const char *scan_suite_kx(const struct scan_suite_info *s);

#endif
