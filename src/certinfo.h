/*
 * certinfo: X.509 facts from NSS certificates into struct cert_info, and PEM
 * output.  The only module that decodes certificate fields; it copies what
 * it reads, so callers may destroy the CERTCertificate right after.
 */
#ifndef NSSTLS_CERTINFO_H
#define NSSTLS_CERTINFO_H

#include <stdio.h>

#include <cert.h>

#include "report.h"

/* Fill *out from c.  Returns 0, or -1 if NSS could not decode a field that
 * every certificate has (validity); the rest degrades to "unknown". */
int cert_info_from_nss(CERTCertificate *c, struct cert_info *out);

/* Days from now until t (negative when past), rounded down. */
long cert_days_left(PRTime t);

/* Write der as a PEM CERTIFICATE block.  Returns 0 or -1. */
int cert_write_pem(FILE *f, const unsigned char *der, size_t len);

#endif
