/*
 * randreport: a report model built from arbitrary bytes, for the JSON
 * renderer's fuzz target and for tests/test_json_random.py (through
 * report-gen).  Every field gets a value that the NSS side could record:
 * strings with any bytes but NUL (certificate names, server words),
 * times within the years a certificate can carry, indices that point
 * into their arrays, enums within their range, static strings from the
 * lists the code uses.
 */
#ifndef NSSTLS_FUZZ_RANDREPORT_H
#define NSSTLS_FUZZ_RANDREPORT_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "report.h"

/* The report and the options it borrows from; free with
 * randreport_free. */
struct randreport {
	struct report r;
	struct nsstls_opts o;
	char *borrowed[6];       /* strings the report points to */
};

void randreport_build(struct randreport *rr, const uint8_t *data, size_t size);
void randreport_free(struct randreport *rr);

#endif
