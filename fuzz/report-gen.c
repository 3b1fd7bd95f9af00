/*
 * report-gen: for each file named on the command line, the report model
 * randreport.c builds from its bytes, rendered by the real JSON renderer
 * on one line of stdout.  tests/test_json_random.py validates each line
 * against schema/nsstls-report.schema.json.  Not installed.
 */
#include <stdio.h>
#include <stdlib.h>

#include <nss.h>

#include "out_json.h"
#include "randreport.h"
#include "util.h"

/* The whole file (at most 1 MiB, more than a report uses). */
static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;

	if (f == NULL)
		return NULL;
	buf = xmalloc(1 << 20);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static int
render(const char *path)
{
	struct randreport rr;
	size_t len = 0;
	unsigned char *data = slurp(path, &len);
	int rc;

	if (data == NULL) {
		perror(path);
		return 2;
	}
	randreport_build(&rr, data, len);
	rr.o.json_pretty = 0;   /* one document per line */
	rc = out_json_report(stdout, &rr.r, &rr.o) == 0 ? 0 : 1;
	if (rc != 0)
		fprintf(stderr, "report-gen: cannot write %s's report\n", path);
	randreport_free(&rr);
	free(data);
	return rc;
}

int
main(int argc, char **argv)
{
	int rc = 0;

	/* NSS's error tables give the error names real reports carry. */
	if (NSS_NoDB_Init(NULL) != SECSuccess) {
		fprintf(stderr, "report-gen: NSS_NoDB_Init failed\n");
		return 2;
	}
	for (int i = 1; i < argc && rc == 0; i++)
		rc = render(argv[i]);
	if (NSS_Shutdown() != SECSuccess)
		rc = 2;
	if (fclose(stdout) != 0)
		rc = 1;
	return rc;
}
