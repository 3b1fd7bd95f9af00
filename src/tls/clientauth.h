/*
 * clientauth: client certificates.  Loads the credential the options name
 * (a nickname in --db, PEM certificate and key files, or a PKCS#12 file)
 * before any connection, and answers the server's CertificateRequest from
 * SSL_GetClientAuthDataHook, recording in the report that a certificate
 * was asked for, the CA names the server accepts, and what was sent.
 */
#ifndef NSSTLS_CLIENTAUTH_H
#define NSSTLS_CLIENTAUTH_H

#include <cert.h>
#include <prio.h>

#include "cli.h"
#include "nssinit.h"
#include "report.h"

struct client_cred;

/* Load the credential named by the options.  *out is NULL when no client
 * certificate was asked for.  Returns 0, or -1 after report_fail() with
 * the setup exit code (unreadable file, wrong password, key not matching
 * the certificate). */
int clientauth_load(const struct nsstls_opts *o, struct nss_ctx *nss,
    struct report *r, struct client_cred **out);

/* Load one certificate source (a --cert with its --key and --cert-chain:
 * PEM files, or a nickname with --db) as clientauth_load does the first.
 * Server mode loads each later --cert with it.  Returns 0 with *out, or
 * -1 after report_fail() (setup, exit 2). */
int clientauth_load_source(const struct cert_source *src,
    const struct nsstls_opts *o, struct nss_ctx *nss, struct report *r,
    struct client_cred **out);

/* What the hook needs for one connection: the credential (shared, read
 * only; may be NULL: the request is still recorded and nothing is sent)
 * and that connection's report. */
struct clientauth_hook {
	struct client_cred *cred;
	struct report *report;
};

/* Install the hook on a model socket; hook must outlive its sockets. */
int clientauth_install(PRFileDesc *model, struct clientauth_hook *hook);

void clientauth_free(struct client_cred *cred);

/* Server mode (server_cert.c): the loaded certificate and its key,
 * borrowed (valid until clientauth_free). */
void clientauth_cred_parts(const struct client_cred *cred,
    CERTCertificate **cert, SECKEYPrivateKey **key);

/* Server mode: into *out the certificate list to send for cred, leaf
 * first, then the other certificates of its PEM files as given (free with
 * CERT_DestroyCertificateList); NULL when none were given (a lone leaf,
 * a --db nickname without --cert-chain, a PKCS#12 file): NSS then builds
 * the chain from the certificates it can find.  Returns 0, or -1 (out of
 * memory, NSS error set). */
int clientauth_cred_chain(const struct client_cred *cred,
    CERTCertificateList **out);

#endif
