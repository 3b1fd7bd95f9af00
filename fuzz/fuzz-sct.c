/*
 * fuzz-sct: a SignedCertificateTimestampList (RFC 6962 §3.3) as the TLS
 * extension delivers it, through sct_parse_list into the report.
 */
#include "fuzz.h"

#include <stdlib.h>

#include "report.h"
#include "sct.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report r;
	int n;

	report_init(&r, "fuzz", 443);
	n = sct_parse_list(data, size, "tls-extension", &r);
	if (n > 0 && (size_t)n != r.n_scts)
		abort();
	report_free(&r);
	return 0;
}
