/*
 * fuzz-dns: a whole DNS answer to the HTTPS query of --ech auto (what
 * res_nquery returns: header, question, answers), through
 * httpsrr_read_answer — glibc's ns_initparse/ns_parserr, then
 * httpsrr_parse on each HTTPS record — and the ECHConfigList it picks
 * through echconfig_parse.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "echconfig.h"
#include "httpsrr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct httpsrr_verdict v;
	struct echconfig *cfg = NULL;
	char *err = NULL;
	int n;

	if (size > 65535)       /* NS_MAXMSG: res_nquery's buffer */
		return 0;
	if (httpsrr_read_answer(data, (int)size, &v) != 0 || v.malformed != NULL)
		return 0;
	if (memchr(v.alias, '\0', sizeof(v.alias)) == NULL)
		abort();
	if (v.ech == NULL)
		return 0;
	if (v.ech < data || v.ech + v.ech_len > data + size)
		abort();
	n = echconfig_parse(v.ech, v.ech_len, &cfg, &err);
	if (n > 0)
		(void)echconfig_first_usable(cfg, (size_t)n);
	free(cfg);
	free(err);
	return 0;
}
