/*
 * fuzz-key: client credential files through clientauth_load, as --cert,
 * --key and --cert-chain name them: PEM blocks (PKCS#8, encrypted PKCS#8,
 * traditional RSA/EC, OpenSSL-encrypted traditional), DER keys and
 * certificate files.  The first byte picks which file the bytes are; the
 * others are fixtures.  The password is the fixtures' one, so encrypted
 * keys are decrypted too.  (PKCS#12 is not fuzzed here yet: loading one
 * still creates a scratch database on disk, issue 9 item 1.)
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clientauth.h"
#include "nssinit.h"
#include "report.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_nss_init();
	return 0;
}

static char *
fixture_text(const char *file)
{
	static char pw[256];
	FILE *f = fopen(fuzz_fixture_path(file), "r");

	if (f == NULL || fgets(pw, sizeof(pw), f) == NULL)
		abort();
	fclose(f);
	pw[strcspn(pw, "\r\n")] = '\0';
	return pw;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *cert_rsa, *cert_ec, *key_rsa, *password;
	struct nsstls_opts o;
	struct nss_ctx nss;
	struct report r;
	struct client_cred *cred = NULL;
	const char *file;

	if (size == 0)
		return 0;
	if (cert_rsa == NULL) {
		cert_rsa = strdup(fuzz_fixture_path("client-rsa.crt"));
		cert_ec = strdup(fuzz_fixture_path("client-ec.crt"));
		key_rsa = strdup(fuzz_fixture_path("client-rsa.key"));
		password = strdup(fixture_text("client-rsa.pass"));
	}
	file = fuzz_file(0, data + 1, size - 1);
	memset(&o, 0, sizeof(o));
	switch (data[0] % 4) {
	case 0:         /* a key for an RSA certificate */
		o.cert = cert_rsa;
		o.key = (char *)file;
		break;
	case 1:         /* a key for an EC certificate */
		o.cert = cert_ec;
		o.key = (char *)file;
		break;
	case 2:         /* one file with the certificate and the key */
		o.cert = (char *)file;
		break;
	default:        /* --cert-chain */
		o.cert = cert_rsa;
		o.key = key_rsa;
		o.cert_chain = (char *)file;
		break;
	}
	memset(&nss, 0, sizeof(nss));
	nss.initialized = true;
	nss.password = password;
	report_init(&r, "fuzz", 443);
	nss.report = &r;
	if (clientauth_load(&o, &nss, &r, &cred) == 0)
		clientauth_free(cred);
	report_free(&r);
	return 0;
}
