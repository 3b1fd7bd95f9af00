/*
 * policy: the strict default verification policy, one place for what is
 * "too weak".  Modern clients (browsers; OpenSSL at Debian's default
 * security level; GnuTLS for SHA-1) refuse RSA/DSA keys below 2048 bits,
 * EC keys below 256 bits and SHA-1/MD5 signatures, while NSS 3.87 accepts
 * all of them.  verify.c fails a chain that breaks this policy (unless
 * --allow-weak), diagnose.c words the findings with the same tests.
 */
#ifndef NSSTLS_POLICY_H
#define NSSTLS_POLICY_H

#include <stdbool.h>

#include "report.h"

/* The key of c is below the minimum for its type. */
bool policy_weak_key(const struct cert_info *c);

/* The signature on link l uses SHA-1 or MD5 and is checked: a trust
 * anchor's own self-signature never is, so it does not count. */
bool policy_weak_signature(const struct chain_link *l);

#endif
