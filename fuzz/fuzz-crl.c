/*
 * fuzz-crl: a --crl-file through crl_load (PEM bundles of any number of
 * blocks, or DER CRLs one after another, decoded by NSS) and crl_apply
 * (issuer, signature, key usage, times, extensions, the chain's serial
 * numbers) on a built chain of fixtures: the revoked leaf, its issuer and
 * the root, as verify.c hands them over.
 */
#include "fuzz.h"

#include <stdlib.h>

#include "crl.h"
#include "report.h"
#include "util.h"

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
	char *files[1] = { (char *)fuzz_file(0, data, size) };
	char *err = NULL;
	struct crl_set *set = crl_load(files, 1, 1000, &err);
	struct report r;

	if (set == NULL) {
		if (err == NULL)
			abort();        /* a refusal must say why */
		free(err);
		return 0;
	}
	report_init(&r, "fuzz", 443);
	r.n_built = 3;
	r.built = xcalloc(3, sizeof(*r.built));
	r.built[2].anchor = true;
	r.built[2].cert.self_signed = true;
	r.n_revocation = 3;
	r.revocation = xcalloc(3, sizeof(*r.revocation));
	crl_apply(set, chain, 3, when, NULL, &r);
	report_free(&r);
	crl_free(set);
	return 0;
}
