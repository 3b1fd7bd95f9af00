/*
 * exitcodes: the exit status of connect mode, as documented in the man page
 * (EXIT STATUS) and DESIGN.md.  Each one is produced by at least one test.
 */
#ifndef NSSTLS_EXITCODES_H
#define NSSTLS_EXITCODES_H

enum nsstls_exit {
	NSSTLS_EXIT_OK = 0,
	NSSTLS_EXIT_USAGE = 1,
	NSSTLS_EXIT_SETUP = 2,       /* NSS init, unreadable file, bad password */
	NSSTLS_EXIT_REACH = 3,       /* resolve, connect, timeout before TLS */
	NSSTLS_EXIT_NEGOTIATE = 4,   /* STARTTLS or proxy negotiation */
	NSSTLS_EXIT_HANDSHAKE = 5,   /* TLS handshake failed */
	NSSTLS_EXIT_VERIFY = 6,      /* certificate verification failed */
	NSSTLS_EXIT_IO = 7,          /* I/O error after the handshake */
};

#endif
