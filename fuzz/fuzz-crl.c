/*
 * fuzz-crl: --crl-file through crl_check: PEM or DER, decoded by NSS,
 * its issuer looked up, its signature checked and the chain's serial
 * numbers searched (the chain: the revoked fixture and its issuer).
 */
#include "fuzz.h"

#include <stdlib.h>

#include "crl.h"
#include "report.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_nss_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	CERTCertificate *chain[3] = { fuzz_fixture_cert("revoked"),
	    fuzz_fixture_cert("int-rsa"), fuzz_fixture_cert("root-rsa") };
	/* 2030-01-01: inside the fixtures' validity, fixed for
	 * reproducible runs. */
	PRTime when = (PRTime)1893456000 * PR_USEC_PER_SEC;
	struct crl_result out;

	(void)crl_check(fuzz_file(0, data, size), chain, 3, when, NULL, &out);
	free(out.file);
	free(out.issuer);
	free(out.problem);
	return 0;
}
