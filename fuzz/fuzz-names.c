/*
 * fuzz-names: the name lists users type — --ciphers, --groups, --sigalgs
 * (util_split_list and the names.c lookups behind cli.c's parse_names),
 * --alpn, versions, --starttls, --trust, --ech (base64 ECHConfigList) and
 * --export-keying-material — through cli_parse.
 */
#include "cliopt.h"
#include "fuzz.h"

static const struct fuzz_option options[] = {
	{ "--ciphers", NULL },
	{ "--groups", NULL },
	{ "--sigalgs", NULL },
	{ "--alpn", NULL },
	{ "--tls-min", NULL },
	{ "--tls-max", NULL },
	{ "--starttls", NULL },
	{ "--trust", NULL },
	{ "--ech", NULL },
	{ "--export-keying-material", NULL },
	{ "--servername", NULL },
	{ "--starttls-name", "--starttls=smtp" },
	{ "--xmpp-domain", "--starttls=xmpp" },
	{ "--proxy", NULL },
	{ "--min-tls", "--check" },
	{ "--expect-alpn", "--check" },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_cli_option(options, sizeof(options) / sizeof(options[0]), data, size);
	return 0;
}
