/*
 * fuzz-starttls: every STARTTLS dialogue (starttls.c over plain.c's line,
 * exact-length and XML readers) against a server whose whole answer is
 * the input: the first byte picks the protocol, the rest arrives on a
 * socket pair, then end of file.  starttls_negotiate runs as it does in
 * a connection, with its transcript and report.
 */
#include "fuzz.h"

#include "report.h"
#include "dial.h"
#include "starttls.h"

static const char *const protocols[] = {
	"smtp", "lmtp", "imap", "pop3", "ftp", "xmpp", "xmpp-server", "ldap",
	"postgres", "mysql", "nntp", "sieve", "irc",
};
#define N_PROTOCOLS (sizeof(protocols) / sizeof(protocols[0]))

static struct nsstls_opts opts[N_PROTOCOLS];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	for (size_t i = 0; i < N_PROTOCOLS; i++) {
		const char *args[] = { "nsstls", "--starttls", protocols[i],
		    "--timeout", "1", "mail.example.com", NULL };

		fuzz_opts(&opts[i], args);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct nsstls_opts *o;
	struct starttls_request q;
	PRFileDesc *fd, *peer;
	struct report r;

	if (size == 0)
		return 0;
	o = &opts[data[0] % N_PROTOCOLS];
	fd = fuzz_peer(data + 1, size - 1, &peer);
	report_init(&r, o->target.host, o->port);
	dial_starttls_request(o, &q);
	(void)starttls_negotiate(&q, fd, &r);
	report_free(&r);
	PR_Close(fd);
	PR_Close(peer);
	return 0;
}
