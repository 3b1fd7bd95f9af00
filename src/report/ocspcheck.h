/*
 * ocspcheck: OCSP evidence — a stapled response or one fetched from the
 * responder — checked, not just printed: is it for this certificate, does
 * its signature verify against the issuer or a delegated responder, what
 * status and times does it give, is it stale.
 */
#ifndef NSSTLS_OCSPCHECK_H
#define NSSTLS_OCSPCHECK_H

#include <cert.h>

#include "report.h"

/* Check the DER OCSPResponse `der` about leaf, issued by issuer (may be
 * NULL when the chain has no issuer: then nothing can be verified). */
void ocsp_check(const SECItem *der, CERTCertificate *leaf,
    CERTCertificate *issuer, PRTime when, void *pwarg, struct ocsp_result *out);

/* Ask the responder at url (NULL: the leaf's AIA OCSP URL) over HTTP and
 * check its answer the same way. */
void ocsp_fetch(const char *url, CERTCertificate *leaf, CERTCertificate *issuer,
    PRTime when, long timeout_ms, void *pwarg, struct ocsp_result *out);

const char *ocsp_status_str(enum ocsp_status s);
const char *ocsp_reason_str(int reason);

#endif
