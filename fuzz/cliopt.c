/*
 * cliopt: option values through cli_parse (see cliopt.h).
 */
#include "cliopt.h"

#include <stdlib.h>

#include "cli.h"
#include "util.h"

void
fuzz_cli_option(const struct fuzz_option *table, size_t n,
    const uint8_t *data, size_t size)
{
	const struct fuzz_option *opt;
	const char *argv[5];
	struct nsstls_opts o;
	char *value, *arg;
	int argc = 0;

	if (size == 0)
		return;
	opt = &table[data[0] % n];
	value = xstrndup((const char *)data + 1, size - 1);
	/* NAME=VALUE: a value that starts with '-' stays a value. */
	arg = xasprintf("%s=%s", opt->name, value);
	argv[argc++] = "nsstls";
	if (opt->needs != NULL)
		argv[argc++] = opt->needs;
	argv[argc++] = arg;
	argv[argc++] = "example.com";
	argv[argc] = NULL;
	(void)cli_parse(argc, argv, &o);
	cli_free(&o);
	free(arg);
	free(value);
}
