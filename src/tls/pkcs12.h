/*
 * pkcs12: a --pkcs12 file into a client credential, in memory only.
 */
#ifndef NSSTLS_PKCS12_H
#define NSSTLS_PKCS12_H

#include "credential.h"
#include "nssinit.h"
#include "report.h"

/* --pkcs12 path: checked by NSS's decoder (password, MAC), its
 * certificates as temporary certificates with no trust change (the one
 * with the key is cred->cert, all in cred->extra), the key a session
 * object.  Returns 0, or -1 after report_fail(). */
int pkcs12_load(const char *path, struct nss_ctx *nss, struct report *r,
    struct client_cred *cred);

#endif
