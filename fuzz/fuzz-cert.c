/*
 * fuzz-cert: certificate files (--ca-file, --print-cert, --cert-chain):
 * cert_decode_ders finds the PEM blocks or the one DER certificate, NSS
 * decodes each, and certinfo and sct read every field the report shows
 * (names, SANs, key, EKU, AIA, TLS feature, embedded SCTs).
 */
#include "fuzz.h"

#include <stdlib.h>

#include "certinfo.h"
#include "report.h"
#include "sct.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_nss_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* util_read_file hands the parser a NUL-terminated buffer. */
	char *text = fuzz_cstr(data, size);
	size_t n = 0;
	int bad = 0;
	SECItem *ders = cert_decode_ders((unsigned char *)text, size, &n, &bad);
	struct report r;

	report_init(&r, "fuzz", 443);
	for (size_t i = 0; i < n; i++) {
		/* As nsstls takes a server's or a file's certificates. */
		CERTCertificate *c = CERT_NewTempCertificate(
		    CERT_GetDefaultCertDB(), &ders[i], NULL, PR_FALSE, PR_TRUE);
		struct cert_info info = { 0 };

		if (c == NULL)
			continue;
		(void)cert_info_from_nss(c, &info);
		cert_info_free(&info);
		sct_from_cert(c, &r);
		CERT_DestroyCertificate(c);
	}
	report_free(&r);
	cert_ders_free(ders, n);
	free(text);
	return 0;
}
