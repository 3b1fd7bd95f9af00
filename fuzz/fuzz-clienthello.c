/*
 * fuzz-clienthello: clienthello_parse(), the decoder of the bytes a client
 * sends first in server mode, clienthello_frame(), and the JA3/JA4 strings
 * built from what it decoded.  Seeds: ClientHellos of openssl s_client,
 * gnutls-cli and tstclnt recorded on loopback.
 */
#include "fuzz.h"

#include <stdlib.h>

#include "clienthello.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clienthello *ch = malloc(sizeof(*ch));
	char ja3[4096], a[16], b[CH_MAX_SUITES * 5 + 1];
	char c[CH_MAX_EXTS * 5 + CH_MAX_LIST * 5 + 2];

	if (ch == NULL)
		return 0;
	(void)clienthello_frame(data, size, &(enum ch_result){ CH_OK });
	if (clienthello_parse(data, size, ch) == CH_OK) {
		clienthello_ja3_string(ch, ja3, sizeof(ja3));
		clienthello_ja4_parts(ch, a, b, sizeof(b), c, sizeof(c));
	}
	free(ch);
	return 0;
}
