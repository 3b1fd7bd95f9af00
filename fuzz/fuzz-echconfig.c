/*
 * fuzz-echconfig: ECHConfigList bytes (echconfig_parse) and the base64
 * text of --ech (echconfig_b64_decode), with the round trip
 * decode(encode(x)) == x that the report's config_list relies on.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "echconfig.h"

static void
parse(const unsigned char *p, size_t len)
{
	struct echconfig *cfg = NULL;
	char *err = NULL;
	int n = echconfig_parse(p, len, &cfg, &err);

	if (n > 0) {
		for (int i = 0; i < n; i++)
			if (memchr(cfg[i].public_name, '\0',
			    sizeof(cfg[i].public_name)) == NULL)
				abort();
		(void)echconfig_first_usable(cfg, (size_t)n);
	} else if (err == NULL) {
		abort();        /* a failure must say why */
	}
	free(cfg);
	free(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	char *b64;
	unsigned char *bytes, *again;
	size_t len = 0, len2 = 0;

	parse(data, size);
	bytes = echconfig_b64_decode(text, &len);
	if (bytes != NULL)
		parse(bytes, len);
	free(bytes);
	if (size > 0) {
		b64 = echconfig_b64_encode(data, size);
		again = echconfig_b64_decode(b64, &len2);
		if (again == NULL || len2 != size || memcmp(again, data, size) != 0)
			abort();
		free(again);
		free(b64);
	}
	free(text);
	return 0;
}
