/*
 * cliopt: the shared body of the targets that fuzz option values through
 * cli_parse, the parser users reach: the first byte picks an option of
 * the target's table, the rest is its value.
 */
#ifndef NSSTLS_FUZZ_CLIOPT_H
#define NSSTLS_FUZZ_CLIOPT_H

#include <stddef.h>
#include <stdint.h>

/* One option: its name, and an option it needs (e.g. "--check"), or
 * NULL. */
struct fuzz_option {
	const char *name;
	const char *needs;
};

/* Run cli_parse on { "nsstls", [needs], "NAME=VALUE", "example.com" }. */
void fuzz_cli_option(const struct fuzz_option *table, size_t n,
    const uint8_t *data, size_t size);

#endif
