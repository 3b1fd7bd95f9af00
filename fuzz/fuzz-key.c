/*
 * fuzz-key: client credential files through clientauth_load, as --cert,
 * --key, --cert-chain and --pkcs12 name them: PEM blocks (PKCS#8,
 * encrypted PKCS#8, traditional RSA/EC, OpenSSL-encrypted traditional),
 * DER keys, certificate files and PKCS#12 files (decoded in memory, the
 * key a session object).  The first byte picks which file the bytes are;
 * the others are fixtures.  The password is the fixtures' one, so
 * encrypted keys and PKCS#12 files are decrypted too.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clientauth.h"
#include "nssinit.h"
#include "report.h"
#include "util.h"

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
		abort();        /* the fixtures are part of the harness */
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
		cert_rsa = xstrdup(fuzz_fixture_path("client-rsa.crt"));
		cert_ec = xstrdup(fuzz_fixture_path("client-ec.crt"));
		key_rsa = xstrdup(fuzz_fixture_path("client-rsa.key"));
		password = xstrdup(fixture_text("client-rsa.pass"));
	}
	file = fuzz_file(0, data + 1, size - 1);
	memset(&o, 0, sizeof(o));
	/* Files are read within --timeout (a FIFO may never deliver). */
	o.timeout_ms = 2000;
	switch (data[0] % 5) {
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
	case 3:         /* --cert-chain */
		o.cert = cert_rsa;
		o.key = key_rsa;
		o.cert_chain = (char *)file;
		break;
	default:        /* --pkcs12 */
		o.pkcs12 = (char *)file;
		break;
	}
	memset(&nss, 0, sizeof(nss));
	nss.initialized = true;
	nss.password = password;
	nss.read_timeout_ms = o.timeout_ms;
	report_init(&r, "fuzz", 443);
	nss.report = &r;
	if (clientauth_load(&o, &nss, &r, &cred) == 0)
		clientauth_free(cred);
	report_free(&r);
	return 0;
}
