/*
 * plain: a plaintext dialogue over a connected, non-blocking NSPR socket,
 * before TLS starts (STARTTLS, an HTTP proxy's CONNECT).  Every read and
 * write is bounded by one deadline, and every line sent or received goes
 * into a transcript, made printable.  Received bytes wait in a buffer until
 * the caller consumes them: whatever is left after a STARTTLS go-ahead
 * came before our ClientHello, which no honest peer sends (plain_pending);
 * after a proxy's answer it is the target's, handed on (plain_hand_on).
 */
#ifndef NSSTLS_PLAIN_H
#define NSSTLS_PLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <prio.h>

#include "report.h"

#define PLAIN_MAX_LINE 4096      /* longer lines end the dialogue */
#define PLAIN_MAX_RECORDED 200   /* transcript lines kept */

enum plain_status {
	PLAIN_OK = 0,
	PLAIN_TIMEOUT,               /* the deadline passed */
	PLAIN_CLOSED,                /* the peer closed (EOF) */
	PLAIN_ERROR,                 /* a socket error (see .error) */
	PLAIN_TOO_LONG,              /* a line or message over the limit */
};

struct plain {
	PRFileDesc *fd;
	int64_t deadline_us;         /* on util_now_us()'s clock */
	long timeout_ms;
	struct transcript *transcript;
	enum plain_status status;    /* of the last call that failed */
	PRErrorCode error;           /* the NSPR error behind it, or 0 */
	unsigned char buf[PLAIN_MAX_LINE + 512];
	size_t len;                  /* received, not consumed yet */
	char line[PLAIN_MAX_LINE + 1];
	char reason[96];
};

/* Start a dialogue on fd that must end within timeout_ms from now. */
void plain_init(struct plain *p, PRFileDesc *fd, long timeout_ms,
    struct transcript *t);

/* Send bytes as they are; the transcript gets `shown` (a line, or a
 * description of binary data), unless it is NULL.  Returns 0 or -1. */
int plain_send(struct plain *p, const void *data, size_t len,
    const char *shown);

/* Send one line followed by CRLF, recorded as it is.  Returns 0 or -1. */
int plain_send_line(struct plain *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Read one line (LF or CRLF ended), recorded; *line points into p, without
 * the line end, valid until the next call.  Returns 0 or -1. */
int plain_read_line(struct plain *p, const char **line);

/* Read exactly n bytes (binary; not recorded).  Returns 0 or -1. */
int plain_read_exact(struct plain *p, void *out, size_t n);

/* Read until the received text holds `end` (or one of the strings of
 * ends[], NULL-terminated); consume and record everything up to the end of
 * the tag that contains it (the next '>').  *which is the index in ends[]
 * of the one found; *text (into p) is what was consumed.  For XML streams,
 * which have no lines.  Returns 0 or -1. */
int plain_read_until(struct plain *p, const char *const ends[], size_t *which,
    const char **text);

/* s[0..len) made printable into out (at most outlen - 1 bytes, "..."
 * when cut, never inside a character): escaped by util_term_char, so that
 * a server's words cannot drive the terminal.  Returns out. */
char *plain_printable(const char *s, size_t len, char *out, size_t outlen);

/* Add a line to the transcript (made printable). */
void plain_record(struct plain *p, bool from_server, const char *text,
    size_t len);
void plain_note(struct plain *p, bool from_server, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Bytes received and not consumed: after the last answer, a server has no
 * business sending anything before the TLS handshake. */
size_t plain_pending(const struct plain *p);

/* Hand the bytes received and not consumed to whoever reads the socket
 * next (readahead.h): the next stage's first words may have come in the
 * same segment as this stage's last answer.  Returns 0 or -1 (NSPR error
 * set). */
int plain_hand_on(struct plain *p);

/* Why the last call failed, in words: "no answer within 2000 ms", "the
 * server closed the connection", ... (valid until the next call). */
const char *plain_reason(struct plain *p);

#endif
