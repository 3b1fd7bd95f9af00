/*
 * fuzz-httpsrr: the RDATA of a DNS HTTPS record (httpsrr_parse:
 * SvcPriority, TargetName, SvcParams) and, when it holds one, the
 * ECHConfigList in its ech parameter (echconfig_parse), as --ech auto
 * reads them.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "echconfig.h"
#include "httpsrr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct https_rr rr;
	const char *why;
	struct echconfig *cfg = NULL;
	char *err = NULL;
	int n;

	if (httpsrr_parse(data, size, &rr, &why) != 0)
		return 0;
	/* The target name is a C string within its buffer. */
	if (memchr(rr.target, '\0', sizeof(rr.target)) == NULL)
		abort();
	if (rr.ech == NULL)
		return 0;
	if (rr.ech < data || rr.ech + rr.ech_len > data + size)
		abort();
	n = echconfig_parse(rr.ech, rr.ech_len, &cfg, &err);
	if (n > 0)
		(void)echconfig_first_usable(cfg, (size_t)n);
	free(cfg);
	free(err);
	return 0;
}
