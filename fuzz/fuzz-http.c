/*
 * fuzz-http: the HTTP/1.0 response that an OCSP responder or an AIA
 * caIssuers server sends, through http_parse_response (status line,
 * header end, body).  The body returned must lie within the input.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "http.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* http_request hands over its buffer NUL-terminated. */
	unsigned char *buf = (unsigned char *)fuzz_cstr(data, size);
	unsigned char *body = NULL;
	size_t body_len = 0;
	char *err = NULL;

	if (http_parse_response("http://ocsp.example/", buf, size, &body,
	    &body_len, &err) == 0) {
		if (body_len > size || (body_len > 0 &&
		    memcmp(body, data + size - body_len, body_len) != 0))
			abort();
		free(body);
	} else if (err == NULL) {
		abort();        /* a failure must say why */
	}
	free(err);
	free(buf);
	return 0;
}
