/*
 * fuzz-json: the JSON renderer (out_json_report) on a report model built
 * from the input (randreport.c).  Whatever bytes a certificate or a
 * server put in the report, the document written must parse as JSON.
 * Schema validation of the same documents is tests/test_json_random.py's
 * job (through report-gen), where python3-jsonschema is at hand.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "out_json.h"
#include "randreport.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_nss_init();        /* NSS's error tables: real error names */
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct randreport rr;
	char *doc = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&doc, &len);
	json_error_t jerr;
	json_t *j;

	if (f == NULL)
		abort();
	randreport_build(&rr, data, size);
	if (out_json_report(f, &rr.r, &rr.o) != 0)
		abort();
	fclose(f);
	j = json_loadb(doc, len, 0, &jerr);
	if (j == NULL) {
		fprintf(stderr, "fuzz-json: the document does not parse: %s\n%s\n",
		    jerr.text, doc);
		abort();
	}
	/* Every key of the schema is present whatever the facts. */
	if (json_object_size(j) != 29) {
		fprintf(stderr, "fuzz-json: %zu keys, not 29:\n%s\n",
		    json_object_size(j), doc);
		abort();
	}
	json_decref(j);
	free(doc);
	randreport_free(&rr);
	return 0;
}
