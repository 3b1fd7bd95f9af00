/*
 * plain: plaintext dialogue with a deadline and a transcript (see plain.h).
 *
 * The socket stays non-blocking, as conn_open() returns it: each wait is a
 * PR_Poll with the time left until the one deadline of the dialogue, so a
 * server that stops answering halfway cannot hold nsstls longer than
 * --timeout.  Reads fill a small buffer and callers consume from it; in
 * these dialogues the client speaks, then waits, so a read never takes
 * bytes of the TLS handshake (the server's comes after our ClientHello);
 * it may take the next stage's (a greeting behind a proxy's answer), and
 * those are handed on.
 */
#include "plain.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prerror.h>

#include "readahead.h"
#include "util.h"

#define RECORDED_LINE_MAX 1000   /* printable characters kept per line */

void
plain_init(struct plain *p, PRFileDesc *fd, long timeout_ms,
    struct transcript *t)
{
	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->timeout_ms = timeout_ms;
	p->deadline_us = util_now_us() + (int64_t)timeout_ms * 1000;
	p->transcript = t;
}

char *
plain_printable(const char *s, size_t len, char *out, size_t outlen)
{
	char *o = out, *end = out + outlen - 4;     /* room for "..." */

	for (size_t i = 0; i < len;) {
		char e[UTIL_TERM_CHAR_MAX];
		size_t n = util_term_char(s + i, len - i, false, e), elen = strlen(e);

		if (o + elen > end) {
			o = stpcpy(o, "...");
			break;
		}
		/* Escapes keep a hostile server from writing to the
		 * terminal (colours, cursor moves, text reversed by a bidi
		 * override) through the report. */
		o = stpcpy(o, e);
		i += n;
	}
	*o = '\0';
	return out;
}

void
plain_record(struct plain *p, bool from_server, const char *text, size_t len)
{
	struct transcript *t = p->transcript;
	struct transcript_line *l;
	char buf[RECORDED_LINE_MAX + 4];

	if (t == NULL)
		return;
	if (t->n >= PLAIN_MAX_RECORDED) {
		t->truncated = true;
		return;
	}
	t->lines = xrealloc(t->lines, (t->n + 1) * sizeof(*t->lines));
	l = &t->lines[t->n++];
	l->from_server = from_server;
	l->text = xstrdup(plain_printable(text, len, buf, sizeof(buf)));
}

void
plain_note(struct plain *p, bool from_server, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	plain_record(p, from_server, buf, strlen(buf));
}

static int
fail(struct plain *p, enum plain_status status, PRErrorCode err)
{
	p->status = status;
	p->error = err;
	return -1;
}

/* Wait for the socket until the deadline; 0 ready, -1 timeout or error. */
static int
wait_for(struct plain *p, PRInt16 what)
{
	PRPollDesc pd = { p->fd, what, 0 };
	int64_t left = p->deadline_us - util_now_us();
	PRInt32 n;

	if (left <= 0)
		return fail(p, PLAIN_TIMEOUT, PR_IO_TIMEOUT_ERROR);
	n = PR_Poll(&pd, 1, PR_MillisecondsToInterval(
	    (PRUint32)((left + 999) / 1000)));
	if (n == 0)
		return fail(p, PLAIN_TIMEOUT, PR_IO_TIMEOUT_ERROR);
	if (n < 0)
		return fail(p, PLAIN_ERROR, PR_GetError());
	return 0;
}

int
plain_send(struct plain *p, const void *data, size_t len, const char *shown)
{
	const unsigned char *d = data;
	size_t done = 0;

	if (shown != NULL)
		plain_record(p, false, shown, strlen(shown));
	while (done < len) {
		PRInt32 n = PR_Send(p->fd, d + done, (PRInt32)(len - done), 0,
		    PR_INTERVAL_NO_WAIT);

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && PR_GetError() != PR_WOULD_BLOCK_ERROR)
			return fail(p, PR_GetError() == PR_CONNECT_RESET_ERROR ?
			    PLAIN_CLOSED : PLAIN_ERROR, PR_GetError());
		if (wait_for(p, PR_POLL_WRITE) != 0)
			return -1;
	}
	return 0;
}

int
plain_send_line(struct plain *p, const char *fmt, ...)
{
	char buf[PLAIN_MAX_LINE + 3];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf) - 2)
		return fail(p, PLAIN_TOO_LONG, 0);
	plain_record(p, false, buf, (size_t)n);
	memcpy(buf + n, "\r\n", 2);
	return plain_send(p, buf, (size_t)n + 2, NULL);
}

/* Receive what is there (at least one byte) into the buffer. */
static int
fill(struct plain *p)
{
	for (;;) {
		PRInt32 n;

		if (p->len == sizeof(p->buf))
			return fail(p, PLAIN_TOO_LONG, 0);
		n = PR_Recv(p->fd, p->buf + p->len, (PRInt32)(sizeof(p->buf) - p->len),
		    0, PR_INTERVAL_NO_WAIT);
		if (n > 0) {
			p->len += (size_t)n;
			return 0;
		}
		if (n == 0)
			return fail(p, PLAIN_CLOSED, 0);
		if (PR_GetError() != PR_WOULD_BLOCK_ERROR)
			return fail(p, PR_GetError() == PR_CONNECT_RESET_ERROR ?
			    PLAIN_CLOSED : PLAIN_ERROR, PR_GetError());
		if (wait_for(p, PR_POLL_READ) != 0)
			return -1;
	}
}

static void
consume(struct plain *p, size_t n)
{
	memmove(p->buf, p->buf + n, p->len - n);
	p->len -= n;
}

/* What a closing server said last without a line end still belongs in
 * the transcript. */
static void
record_rest(struct plain *p)
{
	if (p->status == PLAIN_CLOSED && p->len > 0) {
		plain_record(p, true, (const char *)p->buf, p->len);
		p->len = 0;
	}
}

int
plain_read_line(struct plain *p, const char **line)
{
	for (;;) {
		unsigned char *nl = memchr(p->buf, '\n', p->len);

		if (nl != NULL) {
			size_t n = (size_t)(nl - p->buf);
			size_t keep = n;

			if (keep > 0 && p->buf[keep - 1] == '\r')
				keep--;
			if (keep > PLAIN_MAX_LINE)
				return fail(p, PLAIN_TOO_LONG, 0);
			memcpy(p->line, p->buf, keep);
			p->line[keep] = '\0';
			plain_record(p, true, p->line, keep);
			consume(p, n + 1);
			*line = p->line;
			return 0;
		}
		if (p->len > PLAIN_MAX_LINE)
			return fail(p, PLAIN_TOO_LONG, 0);
		if (fill(p) != 0) {
			record_rest(p);
			return -1;
		}
	}
}

int
plain_read_exact(struct plain *p, void *out, size_t n)
{
	if (n > sizeof(p->buf))
		return fail(p, PLAIN_TOO_LONG, 0);
	while (p->len < n)
		if (fill(p) != 0)
			return -1;
	memcpy(out, p->buf, n);
	consume(p, n);
	return 0;
}

/* Record consumed stream text, one transcript line per text line. */
static void
record_text(struct plain *p, const char *text, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - text) : len;
		size_t keep = n;

		if (keep > 0 && text[keep - 1] == '\r')
			keep--;
		if (keep > 0)
			plain_record(p, true, text, keep);
		if (nl == NULL)
			break;
		text += n + 1;
		len -= n + 1;
	}
}

int
plain_read_until(struct plain *p, const char *const ends[], size_t *which,
    const char **text)
{
	for (;;) {
		const unsigned char *best = NULL, *gt;

		for (size_t i = 0; ends[i] != NULL; i++) {
			const unsigned char *at = memmem(p->buf, p->len, ends[i],
			    strlen(ends[i]));

			if (at != NULL && (best == NULL || at < best)) {
				best = at;
				*which = i;
			}
		}
		gt = best == NULL ? NULL :
		    memchr(best, '>', p->len - (size_t)(best - p->buf));
		if (gt != NULL) {
			size_t n = (size_t)(gt - p->buf) + 1;

			if (n > PLAIN_MAX_LINE)
				return fail(p, PLAIN_TOO_LONG, 0);
			memcpy(p->line, p->buf, n);
			p->line[n] = '\0';
			record_text(p, p->line, n);
			consume(p, n);
			*text = p->line;
			return 0;
		}
		if (fill(p) != 0) {
			if (p->status == PLAIN_CLOSED && p->len > 0) {
				record_text(p, (const char *)p->buf, p->len);
				p->len = 0;
			}
			return -1;
		}
	}
}

size_t
plain_pending(const struct plain *p)
{
	return p->len;
}

int
plain_hand_on(struct plain *p)
{
	if (p->len > 0 && readahead_push(p->fd, p->buf, p->len) != 0)
		return -1;
	p->len = 0;
	return 0;
}

const char *
plain_reason(struct plain *p)
{
	switch (p->status) {
	case PLAIN_OK:
		return "no error";
	case PLAIN_TIMEOUT:
		snprintf(p->reason, sizeof(p->reason), "no answer within %ld ms",
		    p->timeout_ms);
		break;
	case PLAIN_CLOSED:
		return "the server closed the connection";
	case PLAIN_TOO_LONG:
		snprintf(p->reason, sizeof(p->reason), "the server sent a line "
		    "longer than %d bytes", PLAIN_MAX_LINE);
		break;
	case PLAIN_ERROR:
		snprintf(p->reason, sizeof(p->reason), "%s",
		    PR_ErrorToString(p->error, PR_LANGUAGE_I_DEFAULT));
		break;
	}
	return p->reason;
}
