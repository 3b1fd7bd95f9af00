/*
 * keyfile: private keys from files, imported as session objects on NSS's
 * internal slot (nothing written anywhere): PKCS#8, encrypted PKCS#8,
 * traditional RSA/EC, OpenSSL-encrypted PEM, DER.  Also the pieces the
 * PKCS#12 import shares: the password, the public value NSS wants next to
 * a key, and the proof that a key matches its certificate.
 */
#ifndef NSSTLS_KEYFILE_H
#define NSSTLS_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <cert.h>
#include <keyhi.h>
#include <secoidt.h>

#include "nssinit.h"
#include "report.h"

/* The key in key_path for cert (read from cert_path, named in messages).
 * Returns 0 with *out, or -1 after report_fail() (unreadable file, wrong
 * password, a key that does not match the certificate). */
int keyfile_load(const char *key_path, const char *cert_path,
    CERTCertificate *cert, struct nss_ctx *nss, struct report *r,
    SECKEYPrivateKey **out);

/* The password of an encrypted file: --pass / --pass-file, else asked on
 * a terminal; NULL when there is none. */
const char *keyfile_password(struct nss_ctx *nss, const char *path);

/* The public value NSS's import needs beside a private key (RSA modulus,
 * EC point), or NULL for a key type nsstls cannot use. */
SECItem *keyfile_public_value(SECKEYPublicKey *pub);

/* "RSA", "EC", ... for messages. */
const char *keyfile_type_name(KeyType t);

/* The password as PKCS#12 wants it (BMPString, NUL-terminated) into out
 * (free with SECITEM_ZfreeItem).  Returns 0 or -1. */
int keyfile_bmp_password(const char *pw, SECItem *out);

/* Does this password-based scheme take the password as a BMPString
 * (PKCS#12 and PKCS#5 v1.5 schemes) rather than as its bytes (PBES2)? */
bool keyfile_is_pkcs12_pbe(SECOidTag tag);

/* 0 when key is the private half of pub (a signature proves it). */
int keyfile_matches_cert(SECKEYPrivateKey *key, SECKEYPublicKey *pub,
    void *pin_arg);

#endif
