/*
 * diagnose: findings about a certificate chain, each a short sentence with
 * a severity, the certificate it concerns and a stable id.  A pure
 * function of the facts already in the report (sent chain, built chain,
 * verdict, staple, time): it calls no NSS verification itself.
 *
 * Ids: name-mismatch, missing-intermediate, unknown-issuer, wrong-order,
 * root-sent, unused-certificate, expired, not-yet-valid, expires-soon,
 * self-signed, untrusted-root, not-a-ca, path-length, weak-key,
 * weak-signature, key-usage, extended-key-usage, long-validity,
 * must-staple-missing, ocsp-revoked, ocsp-unusable, ocsp-unknown,
 * crl-revoked, crl-unusable, ca-as-server, too-many-certificates.
 * Last, it computes the verdict (verdict.c).
 */
#ifndef NSSTLS_DIAGNOSE_H
#define NSSTLS_DIAGNOSE_H

#include "cli.h"
#include "report.h"

void diagnose_chain(struct report *r, const struct nsstls_opts *o);

#endif
