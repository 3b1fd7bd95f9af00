/*
 * fuzz-rawhello: rawhello_parse_server_hello() and
 * rawhello_parse_key_exchange(), which read a server's answer to a
 * hand-built ClientHello in --scan (ServerHello, HRR, an SSLv2
 * SERVER-HELLO, an alert; for TLS 1.2, on past the Certificate to the
 * ECDHE or DHE ServerKeyExchange).  The input without its last byte is
 * parsed too: the scan calls the parser on whatever has arrived so far.
 */
#include "fuzz.h"

#include "rawhello.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum rawhello_kx kxs[] = { RAWHELLO_KX_ECDHE, RAWHELLO_KX_DHE };
	struct rawhello_answer a;

	(void)rawhello_parse_server_hello(data, size, &a);
	if (size > 0)
		(void)rawhello_parse_server_hello(data, size - 1, &a);
	for (size_t i = 0; i < 2; i++) {
		(void)rawhello_parse_key_exchange(data, size, kxs[i], &a);
		if (size > 0)
			(void)rawhello_parse_key_exchange(data, size - 1, kxs[i], &a);
	}
	return 0;
}
