/*
 * fuzz-rawhello: rawhello_parse_server_hello(), which reads a server's
 * answer to a hand-built ClientHello in --scan (ServerHello, HRR, an SSLv2
 * SERVER-HELLO, an alert).  The input without its last byte is parsed
 * too: the scan calls the parser on whatever has arrived so far.
 */
#include "fuzz.h"

#include "rawhello.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rawhello_answer a;

	(void)rawhello_parse_server_hello(data, size, &a);
	if (size > 0)
		(void)rawhello_parse_server_hello(data, size - 1, &a);
	return 0;
}
