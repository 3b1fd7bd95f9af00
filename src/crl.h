/*
 * crl: --crl-file.  Decodes a CRL (PEM or DER), verifies its signature
 * against its issuer, and looks up the serial numbers of the chain's
 * certificates that this issuer signed.
 */
#ifndef NSSTLS_CRL_H
#define NSSTLS_CRL_H

#include <cert.h>

#include "report.h"

/* chain[0..n) is the built chain (leaf first); the file is read within
 * timeout_ms.  Fills out; returns 0, or -1 when the file cannot be read at
 * all (out->problem says why). */
int crl_check(const char *file, long timeout_ms, CERTCertificate **chain,
    size_t n, PRTime when, void *pwarg, struct crl_result *out);

#endif
