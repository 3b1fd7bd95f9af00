/*
 * fuzz-trace: the trace layer's record parser (trace.c: record framing,
 * handshake messages, hello extensions, alerts, the hex dump), pushed on
 * a socket pair as in a connection, with --trace=hex.  The input is a
 * conversation: after one flags byte, chunks of [direction|length high
 * bits][length low byte][bytes]; "sent" chunks go down through the layer
 * as nsstls's writes do, "received" ones come up through it as a
 * server's bytes do, split as the chunks say.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "trace.h"

static FILE *devnull;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	devnull = fopen("/dev/null", "w");
	if (devnull == NULL)
		abort();
	return 0;
}

/* Move n bytes from `from` to `to` (one of them the layered end). */
static void
pass(PRFileDesc *from, PRFileDesc *to, const uint8_t *p, size_t n)
{
	unsigned char buf[4096];
	size_t got = 0;

	if (PR_Send(from, p, (PRInt32)n, 0, PR_INTERVAL_NO_TIMEOUT) != (PRInt32)n)
		abort();
	while (got < n) {
		PRInt32 r = PR_Recv(to, buf, (PRInt32)(n - got < sizeof(buf) ?
		    n - got : sizeof(buf)), 0, PR_INTERVAL_NO_TIMEOUT);

		if (r <= 0)
			abort();
		got += (size_t)r;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor c = { data, size };
	struct nsstls_opts o;
	struct report r;
	PRFileDesc *fds[2];
	uint8_t flags = fuzz_u8(&c);

	if (PR_NewTCPSocketPair(fds) != PR_SUCCESS)
		abort();
	memset(&o, 0, sizeof(o));
	o.trace = 1;
	o.trace_hex = flags & 1;
	report_init(&r, "fuzz", 443);
	if (trace_push(fds[0], &o, &r, devnull, NULL) == NULL)
		abort();
	while (c.left > 0) {
		uint8_t head = fuzz_u8(&c);
		size_t n = (size_t)(head & 0x1f) << 8 | fuzz_u8(&c);

		if (n > c.left)
			n = c.left;
		if (n == 0)
			continue;
		if (head & 0x80)        /* from the server, up through the layer */
			pass(fds[1], fds[0], c.p, n);
		else                    /* from nsstls, down through it */
			pass(fds[0], fds[1], c.p, n);
		c.p += n;
		c.left -= n;
	}
	PR_Close(fds[0]);       /* pops and frees the layer */
	PR_Close(fds[1]);
	report_free(&r);
	return 0;
}
