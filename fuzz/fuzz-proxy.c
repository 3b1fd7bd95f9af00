/*
 * fuzz-proxy: an HTTP proxy's answer to CONNECT (proxy_tunnel: status
 * line, headers, bytes after the answer) from a socket pair whose peer
 * sends the input and closes.  Bit 0 of the first byte says whether
 * credentials were sent (the 407 hints differ).  The status recorded must
 * be one the JSON report can carry.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "dial.h"
#include "proxy.h"
#include "report.h"
#include "util.h"

static struct nsstls_opts opts;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const args[] = { "nsstls", "--proxy",
	    "http://proxy.example:3128", "--timeout", "1", "www.example.com",
	    NULL };

	fuzz_opts(&opts, args);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_spec spec = { "proxy.example", 3128, NULL, NULL };
	struct proxy_request q;
	PRFileDesc *fd, *peer;
	struct report r;

	if (size == 0)
		return 0;
	if (data[0] & 1) {
		spec.user = "user\x1b[31m";
		spec.pass = "secret";
	}
	fd = fuzz_peer(data + 1, size - 1, &peer);
	report_init(&r, opts.target.host, opts.port);
	r.proxy.host = xstrdup(spec.host);
	r.proxy.port = spec.port;
	r.proxy.source = "--proxy";
	dial_proxy_request(&opts, &q);
	(void)proxy_tunnel(&q, &spec, fd, &r);
	/* The JSON schema's status_code: none, or 100 to 999. */
	if (r.proxy.status != 0 && (r.proxy.status < 100 || r.proxy.status > 999))
		abort();
	report_free(&r);
	PR_Close(fd);
	PR_Close(peer);
	return 0;
}
