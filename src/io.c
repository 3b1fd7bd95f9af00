/*
 * io: data phase (see io.h).
 */
#include "io.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <prerror.h>
#include <private/pprio.h>
#include <ssl.h>

#include "out.h"
#include "util.h"

#define BUF_SIZE 16384

struct io_state {
	struct tls_ctx *t;
	bool tty;               /* stdin is a terminal: commands allowed */
	bool stdin_eof;
	bool quit;
	int64_t last_activity;
};

static int handle_server(struct io_state *s);

static int
send_all(struct io_state *s, const char *buf, size_t len)
{
	struct tls_ctx *t = s->t;
	int64_t deadline = util_now_us() + (int64_t)t->opts->timeout_ms * 1000;

	while (len > 0) {
		PRInt32 n = PR_Send(t->fd, buf, (PRInt32)len, 0, PR_INTERVAL_NO_WAIT);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			t->report->bytes_sent += (uint64_t)n;
			continue;
		}
		if (n < 0 && PR_GetError() == PR_WOULD_BLOCK_ERROR) {
			/* While our data waits, keep reading: a server that
			 * echoes blocks on its own sends until we drain them. */
			PRPollDesc pd = { t->fd, PR_POLL_WRITE | PR_POLL_READ, 0 };
			int64_t left = deadline - util_now_us();

			if (left <= 0) {
				report_fail(t->report, PHASE_DATA, PR_IO_TIMEOUT_ERROR,
				    NSSTLS_EXIT_IO, "the server stopped reading for "
				    "%ld ms", t->opts->timeout_ms);
				return -1;
			}
			if (PR_Poll(&pd, 1, PR_MillisecondsToInterval(
			    (PRUint32)((left + 999) / 1000))) > 0 &&
			    (pd.out_flags & PR_POLL_READ)) {
				int rc = handle_server(s);

				if (rc < 0)
					return -1;
				if (rc > 0) {
					report_fail(t->report, PHASE_DATA, 0, NSSTLS_EXIT_IO,
					    "the server closed the connection before "
					    "taking all the data");
					return -1;
				}
				deadline = util_now_us() +
				    (int64_t)t->opts->timeout_ms * 1000;
			}
			continue;
		}
		report_fail(t->report, PHASE_DATA, PR_GetError(), NSSTLS_EXIT_IO,
		    "sending to the server failed");
		return -1;
	}
	return 0;
}

/* Send with LF → CRLF when --crlf. */
static int
send_data(struct io_state *s, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	if (!s->t->opts->crlf)
		return send_all(s, buf, len);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL)
			return send_all(s, p, (size_t)(end - p));
		if (send_all(s, p, (size_t)(nl - p)) != 0 ||
		    send_all(s, "\r\n", 2) != 0)
			return -1;
		p = nl + 1;
	}
	return 0;
}

static void
print_commands(void)
{
	fputs("nsstls commands (a line on its own):\n"
	    "  ~R  renegotiate (TLS 1.2)\n"
	    "  ~K  send a KeyUpdate (TLS 1.3)\n"
	    "  ~U  send a KeyUpdate and ask the server for one\n"
	    "  ~.  close the connection and quit\n"
	    "  ~?  this list\n"
	    "  ~~  at the start of a line sends a single ~\n", stderr);
}

/*
 * A terminal line that is a command runs it and returns 1; returns 0 when
 * the line is data (possibly with a "~~" escape stripped via *skip).
 * Errors of a command are reported on stderr and do not end the session.
 */
static int
run_command(struct io_state *s, const char *line, size_t len, size_t *skip)
{
	struct tls_ctx *t = s->t;
	char cmd;

	*skip = 0;
	if (len < 2 || line[0] != '~')
		return 0;
	if (line[1] == '~') {
		*skip = 1;
		return 0;
	}
	if (!(len == 3 && line[2] == '\n') && len != 2)
		return 0;
	cmd = line[1];
	switch (cmd) {
	case 'R':
		if (tls_renegotiate(t) == 0) {
			fprintf(stderr, "nsstls: renegotiated (%zu handshakes so far)\n",
			    t->report->n_handshakes);
		} else {
			fprintf(stderr, "nsstls: %s\n", t->report->message);
			if (t->report->exit_code == NSSTLS_EXIT_VERIFY ||
			    t->report->phase == PHASE_DATA)
				s->quit = true;
			else
				t->report->exit_code = NSSTLS_EXIT_OK;
		}
		return 1;
	case 'K':
	case 'U':
		if (tls_key_update(t, cmd == 'U') == 0)
			fprintf(stderr, "nsstls: KeyUpdate sent%s\n", cmd == 'U' ?
			    ", the server was asked to update too" : "");
		else {
			fprintf(stderr, "nsstls: %s\n", t->report->message);
			t->report->exit_code = NSSTLS_EXIT_OK;
		}
		return 1;
	case '.':
		s->quit = true;
		return 1;
	case '?':
		print_commands();
		return 1;
	default:
		return 0;
	}
}

static int
handle_stdin(struct io_state *s)
{
	char buf[BUF_SIZE];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		/* EOF (or an unreadable stdin): half-close, keep reading. */
		s->stdin_eof = true;
		if (PR_Shutdown(s->t->fd, PR_SHUTDOWN_SEND) != PR_SUCCESS &&
		    PR_GetError() != PR_NOT_CONNECTED_ERROR)
			return 0;
		return 0;
	}
	s->last_activity = util_now_us();
	if (!s->tty)
		return send_data(s, buf, (size_t)n);
	/* A terminal delivers whole lines in canonical mode. */
	for (char *p = buf, *end = buf + n; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		size_t skip;

		if (run_command(s, p, len, &skip) == 0 &&
		    send_data(s, p + skip, len - skip) != 0)
			return -1;
		if (s->quit)
			return 0;
		if (s->t->report->exit_code != NSSTLS_EXIT_OK)
			return -1;
		p += len;
	}
	return 0;
}

/* Read all that is available.  Returns 1 when the server closed, 0 to go
 * on, -1 on error. */
static int
handle_server(struct io_state *s)
{
	struct tls_ctx *t = s->t;
	char buf[BUF_SIZE];

	for (;;) {
		PRInt32 n = PR_Recv(t->fd, buf, sizeof(buf), 0, PR_INTERVAL_NO_WAIT);

		if (n > 0) {
			s->last_activity = util_now_us();
			if (t->report->bytes_received == 0)
				t->report->first_byte_us = s->last_activity -
				    t->report->handshake_done_us;
			t->report->bytes_received += (uint64_t)n;
			if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n ||
			    out_stream_check(stdout) != 0) {
				/* Said here, with its phase; quietly for EPIPE. */
				report_fail(t->report, PHASE_DATA, 0, NSSTLS_EXIT_IO,
				    "cannot write to stdout: %s",
				    strerror(out_stream_check(stdout)));
				out_stdout_said();
				return -1;
			}
			continue;
		}
		if (n == 0) {
			t->report->peer_closed = true;
			return 1;
		}
		switch (PR_GetError()) {
		case PR_WOULD_BLOCK_ERROR:
			return 0;
		case PR_END_OF_FILE_ERROR:
			/* Closed (FIN) without close_notify: common, and after
			 * the data not worth an error.  A reset is (below). */
			t->report->peer_closed = true;
			return 1;
		default:
			report_fail(t->report, PHASE_DATA, PR_GetError(),
			    NSSTLS_EXIT_IO, "receiving from the server failed");
			return -1;
		}
	}
}

int
io_run(struct tls_ctx *t)
{
	struct io_state s = { 0 };
	PRFileDesc *in = PR_CreateSocketPollFd(STDIN_FILENO);
	int rc = 0;

	s.t = t;
	s.tty = isatty(STDIN_FILENO);
	s.last_activity = util_now_us();
	t->report->phase = PHASE_DATA;
	if (in == NULL) {
		/* No pollable stdin (closed): act as if it had ended. */
		s.stdin_eof = true;
		(void)PR_Shutdown(t->fd, PR_SHUTDOWN_SEND);
	}
	if (s.tty && !t->opts->quiet)
		fputs("nsstls: connected; type ~? on a line of its own for commands\n",
		    stderr);

	while (!s.quit) {
		PRPollDesc pds[2];
		int npds = 1;
		PRIntervalTime wait = PR_INTERVAL_NO_TIMEOUT;
		PRInt32 n;

		pds[0].fd = t->fd;
		pds[0].in_flags = PR_POLL_READ;
		pds[0].out_flags = 0;
		if (!s.stdin_eof) {
			pds[1].fd = in;
			pds[1].in_flags = PR_POLL_READ;
			pds[1].out_flags = 0;
			npds = 2;
		}
		/* Never hang: idle time is bounded unless a person is typing. */
		if (!s.tty || s.stdin_eof) {
			int64_t left = s.last_activity +
			    (int64_t)t->opts->timeout_ms * 1000 - util_now_us();

			if (left <= 0) {
				report_fail(t->report, PHASE_DATA, PR_IO_TIMEOUT_ERROR,
				    NSSTLS_EXIT_IO, "no data from the server for %ld ms "
				    "(--timeout)", t->opts->timeout_ms);
				rc = -1;
				break;
			}
			wait = PR_MillisecondsToInterval((PRUint32)((left + 999) / 1000));
		}
		n = PR_Poll(pds, npds, wait);
		if (n < 0) {
			report_fail(t->report, PHASE_DATA, PR_GetError(),
			    NSSTLS_EXIT_IO, "poll failed");
			rc = -1;
			break;
		}
		if (n == 0)
			continue;
		if (pds[0].out_flags != 0) {
			int r = handle_server(&s);

			if (r != 0) {
				rc = r < 0 ? -1 : 0;
				break;
			}
		}
		if (npds == 2 && pds[1].out_flags != 0 && handle_stdin(&s) != 0) {
			rc = -1;
			break;
		}
	}
	if (in != NULL)
		PR_DestroySocketPollFd(in);
	if (rc == 0)
		t->report->phase = PHASE_DONE;
	return rc;
}
