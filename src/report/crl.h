/*
 * crl: --crl-file.  Every CRL of every file is read once, at start-up (PEM
 * bundles with any number of "X509 CRL" blocks, or DER: one CRL or several
 * one after another), decoded by NSS and kept for every connection of the
 * run.  Per connection, each CRL is applied to the certificates of the
 * built chain it is meant for (those its issuer issued) once it proves
 * usable: signed with the key of that issuer's certificate in the chain,
 * the issuer's key usage allows cRLSign, the time verified at lies within
 * thisUpdate..nextUpdate, a complete CRL (no delta, no issuing distribution
 * point), and no critical extension NSS does not understand.
 */
#ifndef NSSTLS_CRL_H
#define NSSTLS_CRL_H

#include <cert.h>

#include "report.h"

struct crl_set;

/* Read and decode every CRL of files[0..n), each file within timeout_ms
 * (util_read_file).  Returns the set, or NULL with *err (allocated) naming
 * the file and the problem: an unreadable file, or one that holds no CRL
 * or a block that is no CRL. */
struct crl_set *crl_load(char *const *files, size_t n, long timeout_ms,
    char **err);

/* Release the set and every CRL in it (before NSS_Shutdown). */
void crl_free(struct crl_set *s);

/* Record in r->crls how each CRL of s applies to the built chain
 * certs[0..n) (leaf first, r->built describing the same certificates) at
 * `when`, and fold what each usable or unusable CRL says into
 * r->revocation (allocated by the caller, n entries). */
void crl_apply(const struct crl_set *s, CERTCertificate **certs, size_t n,
    PRTime when, void *pwarg, struct report *r);

#endif
