/*
 * fuzz-ocsp: OCSP responses (a stapled one, or a responder's answer)
 * through ocsp_check — NSS's decoder and signature check, and der.c's
 * reader for the fields NSS does not expose — plus a walk of the whole
 * input with der_read, which must never read past the bytes.
 */
#include "fuzz.h"

#include "der.h"
#include "ocspcheck.h"
#include "report.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_nss_init();
	return 0;
}

/* Every TLV, into constructed ones, to a bounded depth. */
static void
walk(struct der in, int depth)
{
	unsigned tag;
	struct der content;

	while (in.len > 0 && der_read(&in, &tag, &content) == 0) {
		if ((tag & 0x20) && depth < 16)
			walk(content, depth + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	SECItem der = { siBuffer, (unsigned char *)data, (unsigned)size };
	PRTime when = (PRTime)1893456000 * PR_USEC_PER_SEC;    /* 2030 */
	struct ocsp_result out = { 0 };
	struct der in = { data, size };

	walk(in, 0);
	ocsp_check(&der, fuzz_fixture_cert("server-rsa"),
	    fuzz_fixture_cert("int-rsa"), when, NULL, &out);
	ocsp_result_free(&out);
	/* No issuer: nothing can be verified, and that must be said. */
	ocsp_check(&der, fuzz_fixture_cert("revoked"), NULL, when, NULL, &out);
	ocsp_result_free(&out);
	return 0;
}
