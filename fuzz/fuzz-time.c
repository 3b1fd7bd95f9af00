/*
 * fuzz-time: durations, dates and counts — util_parse_duration_ms and
 * util_parse_time directly, and every option that takes one through
 * cli_parse (--timeout, --connect-timeout, --attime, --warn-days,
 * --crit-days, --port, -j, --reconnect, --renegotiate, --key-update).
 */
#include <stdlib.h>

#include "cliopt.h"
#include "fuzz.h"
#include "util.h"

static const struct fuzz_option options[] = {
	{ "--timeout", NULL },
	{ "--connect-timeout", NULL },
	{ "--attime", NULL },
	{ "--warn-days", NULL },
	{ "--crit-days", "--check" },
	{ "--port", NULL },
	{ "--jobs", NULL },
	{ "--reconnect", NULL },
	{ "--renegotiate", NULL },
	{ "--key-update", NULL },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	long ms;
	int64_t t;

	(void)util_parse_duration_ms(s, &ms);
	(void)util_parse_time(s, &t);
	free(s);
	fuzz_cli_option(options, sizeof(options) / sizeof(options[0]), data, size);
	return 0;
}
