/*
 * fuzz-json: the JSON renderer (out_json_report) on a report model built
 * from the input (randreport.c).  Whatever bytes a certificate or a
 * server put in the report, the document written must parse as JSON,
 * with every key, and every time in RFC 3339's shape.
 * Schema validation of the same documents is tests/test_json_random.py's
 * job (through report-gen), where python3-jsonschema is at hand.
 */
#include "fuzz.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "out_json.h"
#include "randreport.h"

/* The keys whose values are times: RFC 3339, "YYYY-MM-DDTHH:MM:SSZ". */
static const char *const time_keys[] = { "started_at", "not_before",
	"not_after", "verified_at", "produced_at", "this_update", "next_update",
	"revoked_at", "timestamp" };

static bool
is_time_key(const char *key)
{
	for (size_t i = 0; i < sizeof(time_keys) / sizeof(time_keys[0]); i++)
		if (strcmp(key, time_keys[i]) == 0)
			return true;
	return false;
}

static bool
rfc3339(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i] != '\0'; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return false;
	return true;
}

/* Every time in the document has the schema's shape. */
static void
check_times(json_t *j, const char *doc)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach(j, key, v) {
			if (is_time_key(key) && json_is_string(v) &&
			    !rfc3339(json_string_value(v))) {
				fprintf(stderr, "fuzz-json: %s is \"%s\":\n%s\n", key,
				    json_string_value(v), doc);
				abort();
			}
			check_times(v, doc);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			check_times(v, doc);
	}
}

static json_t *required;        /* the schema's top-level keys */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	json_error_t jerr;
	json_t *schema = json_load_file(
	    fuzz_source_path("schema/nsstls-report.schema.json"), 0, &jerr);

	if (schema == NULL || !json_is_array(json_object_get(schema, "required"))) {
		fprintf(stderr, "fuzz-json: cannot read the schema: %s\n", jerr.text);
		abort();
	}
	required = json_incref(json_object_get(schema, "required"));
	json_decref(schema);
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
	json_t *j, *key;
	size_t i;

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
	/* Every key the schema requires is there whatever the facts. */
	json_array_foreach(required, i, key) {
		if (json_object_get(j, json_string_value(key)) == NULL) {
			fprintf(stderr, "fuzz-json: no \"%s\":\n%s\n",
			    json_string_value(key), doc);
			abort();
		}
	}
	check_times(j, doc);
	json_decref(j);
	free(doc);
	randreport_free(&rr);
	return 0;
}
