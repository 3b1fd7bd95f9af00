/*
 * names: the tables that map the names users type (TLS versions, cipher
 * suites, key-exchange groups, signature schemes) to NSS values and back,
 * and nsstls's defaults for each.  Lookups are pure; the cipher-suite
 * lookups use SSL_GetCipherSuiteInfo, which reads a static NSS table and
 * needs no initialisation.
 */
#ifndef NSSTLS_NAMES_H
#define NSSTLS_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sslt.h>

/* "1.2" or "TLSv1.2" → 0x0303.  Returns 0 or -1. */
int names_version_parse(const char *s, uint16_t *v);
/* 0x0304 → "TLSv1.3"; unknown values give "0xXXXX" in a static buffer. */
const char *names_version_str(uint16_t v);

/* IANA name ("TLS_AES_128_GCM_SHA256") or hex id ("0x1301") of a suite this
 * NSS implements → its id.  Returns 0 or -1. */
int names_cipher_parse(const char *s, uint16_t *id);
/* Suite id → IANA name, or NULL if NSS does not know it. */
const char *names_cipher_str(uint16_t id);
/* The suites enabled when --ciphers is not given (ECDHE and AEAD first, no
 * RC4, 3DES, DSS, NULL or export suites). */
extern const uint16_t names_default_ciphers[];
extern const size_t names_default_ciphers_len;
bool names_cipher_is_default(uint16_t id);

/* OpenSSL's name of a suite ("ECDHE-RSA-AES128-GCM-SHA256"; TLS 1.3
 * suites keep their IANA name), or NULL when OpenSSL has none. */
const char *names_cipher_openssl(uint16_t id);
/* OpenSSL name → id: 0, -1 unknown, -2 a suite this NSS lacks. */
int names_cipher_parse_openssl(const char *s, uint16_t *id);
bool names_cipher_is_tls13(uint16_t id);
/* The OpenSSL names of the implemented TLS 1.3 (or older) suites. */
void names_print_openssl_ciphers(FILE *f, bool tls13);

int names_group_parse(const char *s, SSLNamedGroup *g);
const char *names_group_str(SSLNamedGroup g);
extern const SSLNamedGroup names_default_groups[];
extern const size_t names_default_groups_len;

/* A TLS name ("rsa_pss_rsae_sha256") or OpenSSL's KEY+HASH spelling
 * ("RSA-PSS+SHA256").  Returns 0, -1 for an unknown name, -2 for a scheme
 * NSS 3.87 names but cannot use (Ed25519/Ed448). */
int names_sigalg_parse(const char *s, SSLSignatureScheme *sig);
const char *names_sigalg_str(SSLSignatureScheme sig);
/* OpenSSL's KEY+HASH spelling of a scheme, or NULL. */
const char *names_sigalg_openssl(SSLSignatureScheme sig);
extern const SSLSignatureScheme names_default_sigalgs[];
extern const size_t names_default_sigalgs_len;

/* Print the valid names of a kind, comma separated, for usage errors. */
void names_print_groups(FILE *f);
void names_print_sigalgs(FILE *f);
void names_print_versions(FILE *f);
void names_print_ciphers(FILE *f);

/* --list-groups, --list-sigalgs: one name a line, "default" or "-", and
 * the other spellings accepted (P-256; OpenSSL's RSA-PSS+SHA256). */
/* --list-ciphers: every suite this NSS implements, IANA and OpenSSL names. */
void names_list_ciphers(FILE *f);
void names_list_groups(FILE *f);
void names_list_sigalgs(FILE *f);

/* Alert description → name ("handshake_failure"). */
const char *names_alert_str(unsigned desc);

#endif
