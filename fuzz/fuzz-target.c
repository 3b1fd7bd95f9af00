/*
 * fuzz-target: target arguments and --targets files.  The input is read
 * as a --targets file (multi_read_targets: lines, comments, control
 * bytes, then cli_target_opts on each: port, SNI, verified name,
 * --starttls auto by port), plainly and with --starttls auto; each line
 * also goes through util_parse_target and the proxy parsers that read
 * the same kind of text from the environment (proxy_parse for
 * https_proxy, the no_proxy list).
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "multi.h"
#include "proxy.h"
#include "util.h"

static struct nsstls_opts plain_base, auto_base;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const plain_argv[] = { "nsstls", "example.com", NULL };
	static const char *const auto_argv[] = { "nsstls", "--starttls", "auto",
	    "--servername", "sni.example", "example.com:25", NULL };

	fuzz_opts(&plain_base, plain_argv);
	fuzz_opts(&auto_base, auto_argv);
	return 0;
}

static void
one_line(const char *line)
{
	struct target t;
	struct nsstls_opts o;
	struct proxy_spec spec;
	const char *err;
	char *entry = NULL;
	uint16_t port;

	if (util_parse_target(line, &t, &err) == 0)
		util_target_free(&t);
	if (cli_target_opts(&plain_base, line, &o, &err) == 0)
		cli_target_free(&o);
	if (cli_target_opts(&auto_base, line, &o, &err) == 0)
		cli_target_free(&o);
	(void)util_parse_port(line, &port);
	memset(&spec, 0, sizeof(spec));
	if (proxy_parse(line, &spec, &err) == 0)
		proxy_spec_free(&spec);
	/* The line as a no_proxy list, and as the host looked up in one. */
	(void)proxy_no_proxy_match(line, "www.example.com", &entry);
	free(entry);
	entry = NULL;
	(void)proxy_no_proxy_match("localhost,.example.com,10.0.0.0/8,::1,"
	    "fd00::/8,*.bad", line, &entry);
	free(entry);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	char *line = text, *end;
	const char *file = fuzz_file(0, data, size);
	struct job *jobs = NULL;
	size_t n = 0;

	(void)multi_read_targets(file, &plain_base, &jobs, &n);
	multi_jobs_free(jobs, n);
	jobs = NULL;
	n = 0;
	(void)multi_read_targets(file, &auto_base, &jobs, &n);
	multi_jobs_free(jobs, n);
	/* Line by line for the other parsers; a NUL ends a C string (the
	 * reader above refuses the line). */
	for (int i = 0; i < 64 && line != NULL; i++) {
		end = strchr(line, '\n');
		if (end != NULL)
			*end = '\0';
		one_line(line);
		line = end != NULL ? end + 1 : NULL;
	}
	free(text);
	return 0;
}
