/*
 * fuzz-args: whole command lines through cli_parse — the option table,
 * every value kind, the optional-value rewrite and every rule between
 * options (src/cli/).  The bytes are the arguments after "nsstls",
 * separated by NUL bytes; at most 32 of them.  Whatever the words, the
 * parse ends with a result and cli_free releases everything (LeakSanitizer
 * checks), and the options it accepts hold together.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fuzz.h"
#include "util.h"

#define MAX_ARGS 32

/* What the rules promise of options they accept. */
static void
check_accepted(const struct nsstls_opts *o)
{
	if (o->tls_min > o->tls_max || (o->ipv4_only && o->ipv6_only) ||
	    (o->quiet && o->brief) || (o->listen && o->n_targets > 0) ||
	    (o->n_more_certs > 0 && !o->listen) ||
	    (o->json && (o->showcerts || o->brief)))
		abort();
	if (!o->listen && !o->multi && o->print_cert == NULL && !o->version &&
	    !o->list_ciphers && !o->list_groups && !o->list_sigalgs &&
	    (o->n_targets != 1 || o->verify_name == NULL))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = xmalloc(size + 1);
	const char *argv[MAX_ARGS + 2];
	struct nsstls_opts o;
	int argc = 0;

	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[argc++] = "nsstls";
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; ) {
		argv[argc++] = copy + i;
		i += strlen(copy + i) + 1;
	}
	argv[argc] = NULL;
	if (cli_parse(argc, argv, &o) == CLI_RUN)
		check_accepted(&o);
	cli_free(&o);
	free(copy);
	return 0;
}
