/*
 * certinfo: X.509 facts from NSS certificates into struct cert_info, and PEM
 * output.  The only module that decodes certificate fields; it copies what
 * it reads, so callers may destroy the CERTCertificate right after.
 */
#ifndef NSSTLS_CERTINFO_H
#define NSSTLS_CERTINFO_H

#include <stdbool.h>
#include <stdio.h>

#include <cert.h>

#include "report.h"

/* Fill *out from c.  Returns 0, or -1 if NSS could not decode a field that
 * every certificate has (validity); the rest degrades to "unknown". */
int cert_info_from_nss(CERTCertificate *c, struct cert_info *out);

/* The certificates in a file's contents: every PEM CERTIFICATE block, or
 * the whole buffer when it is one DER certificate.  Returns an array of
 * DER items (free with cert_ders_free), its length in *n, and in *bad the
 * number of blocks that could not be decoded. */
SECItem *cert_decode_ders(const unsigned char *buf, size_t len, size_t *n,
    int *bad);
void cert_ders_free(SECItem *ders, size_t n);

/* Names of the key usage bits set in ku ("digitalSignature", ...);
 * returns how many were written to names (at most 8). */
size_t cert_key_usage_names(unsigned ku, const char *names[8]);

/* t as "YYYY-MM-DD" or, with clock, "YYYY-MM-DD HH:MM:SS UTC". */
void cert_format_time(PRTime t, bool clock, char *buf, size_t len);

/* Whole days from `from` to `to`, truncated towards zero. */
long cert_days_between(PRTime from, PRTime to);

/* Days from now until t (negative when past), rounded down. */
long cert_days_left(PRTime t);

/* Write der as a PEM CERTIFICATE block.  Returns 0 or -1. */
int cert_write_pem(FILE *f, const unsigned char *der, size_t len);

#endif
