/*
 * echconfig: the ECHConfigList of Encrypted Client Hello (RFC 9849 §4,
 * draft-ietf-tls-esni-13 and later) as bytes: strict base64 in and out,
 * and a parser that checks the structure and extracts what the report
 * shows (public name, config id, KEM, suites) and whether NSS 3.87 can use
 * a config.  Pure: no NSS state, unit-tested in tests/unit/test-ech.c.
 */
#ifndef NSSTLS_ECHCONFIG_H
#define NSSTLS_ECHCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ECHCONFIG_VERSION 0xfe0d    /* the ECHConfig version NSS speaks */

struct echconfig {
	uint16_t version;
	bool known;              /* version 0xfe0d: the fields below are set */
	uint8_t config_id;
	uint16_t kem_id;         /* 0x0020 = DHKEM(X25519, HKDF-SHA256) */
	size_t n_suites;
	bool suite_ok;           /* a suite NSS implements is among them */
	uint8_t max_name_len;
	char public_name[256];
	bool usable;             /* NSS 3.87 can use this config */
};

/* Decode base64 (standard alphabet; '=' padding optional; spaces and line
 * breaks ignored).  Returns the bytes (malloc'd) and their count in *len,
 * or NULL if s is not base64 or decodes to nothing. */
unsigned char *echconfig_b64_decode(const char *s, size_t *len);

/* Encode as base64 with padding, on one line.  Returns a malloc'd string. */
char *echconfig_b64_encode(const unsigned char *p, size_t len);

/* Parse an ECHConfigList.  Returns the number of configs (at least one)
 * with them in *out (malloc'd, free with free()), or -1 with a malloc'd
 * message in *err saying what is wrong and at which byte. */
int echconfig_parse(const unsigned char *p, size_t len,
    struct echconfig **out, char **err);

/* The first config NSS will use (NSS takes the first usable one), or
 * NULL. */
const struct echconfig *echconfig_first_usable(const struct echconfig *c,
    size_t n);

#endif
