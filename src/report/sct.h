/*
 * sct: Signed Certificate Timestamps (RFC 6962) — the list from the TLS
 * extension and the one embedded in the certificate — parsed into the
 * report.  NSS hands over the raw bytes only.
 */
#ifndef NSSTLS_SCT_H
#define NSSTLS_SCT_H

#include <stddef.h>

#include <cert.h>

#include "report.h"

/* Parse a TLS-encoded SignedCertificateTimestampList.  Returns the number
 * of SCTs added, or -1 if the list is malformed (those before the fault
 * are kept). */
int sct_parse_list(const unsigned char *p, size_t len, const char *source,
    struct report *r);

/* Add the SCTs embedded in c (extension 1.3.6.1.4.1.11129.2.4.2). */
void sct_from_cert(CERTCertificate *c, struct report *r);

#endif
