/*
 * util: small pure helpers with no NSS state — allocation that aborts on
 * exhaustion, parsing of targets, ports, durations and name lists, clocks,
 * hex.  Everything here is unit-tested in tests/unit/test-util.c.
 */
#ifndef NSSTLS_UTIL_H
#define NSSTLS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A HOST[:PORT] argument.  IPv6 literals come in brackets: "[::1]:443". */
struct target {
	char *host;         /* without brackets */
	uint16_t port;      /* 0 when the argument named none */
	bool ip_literal;    /* host is an IPv4 or IPv6 address */
};

/* Parse "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 literal.
 * Returns 0, or -1 with a static message in *err. */
int util_parse_target(const char *arg, struct target *out, const char **err);
void util_target_free(struct target *t);

/* "443" → 443; rejects 0, > 65535, junk.  Returns 0 or -1. */
int util_parse_port(const char *s, uint16_t *port);

/* "10", "2.5", "500ms", "3s" → milliseconds (> 0).  Returns 0 or -1. */
int util_parse_duration_ms(const char *s, long *ms);

/* Split s on any character of seps, dropping empty items and surrounding
 * blanks.  Returns a NULL-terminated array (free with util_list_free) and
 * its length in *n. */
char **util_split_list(const char *s, const char *seps, size_t *n);
void util_list_free(char **list);

/* "2025-06-30", "2025-06-30T12:00:00Z", "2025-06-30 12:00:00+02:00" →
 * microseconds since the Unix epoch (a PRTime).  Returns 0 or -1. */
int util_parse_time(const char *s, int64_t *out);

/*
 * The bound of each kind of file input (the man page's LIMITS section says
 * them): a file larger than its kind's limit is refused, not read.
 */
#define UTIL_MIB ((size_t)1 << 20)
#define UTIL_LIMIT_CERTS (64 * UTIL_MIB)     /* certificate and CRL bundles */
#define UTIL_LIMIT_SECRET UTIL_MIB           /* keys, PKCS#12, passwords */
#define UTIL_LIMIT_TARGETS (64 * UTIL_MIB)   /* a whole --targets file */
#define UTIL_LIMIT_LINE UTIL_MIB             /* one line of --targets */
#define UTIL_LIMIT_EARLY_DATA UTIL_MIB       /* --early-data */

/*
 * Read a whole file input, NUL-terminated (the NUL not counted in *len):
 * at most max_bytes, and within timeout_ms, so that /dev/zero, a FIFO no
 * one writes to or a stalled pipe end with an error instead of filling
 * memory or hanging.  path "-" is not special: pass "/dev/stdin".  option
 * ("--ca-file") names the limit in messages.  Returns 0, or -1 with *why
 * the reason, allocated ("No such file or directory", "larger than the
 * 64 MiB limit for --ca-file", "no data within 10 s").
 */
int util_read_file(const char *path, const char *option, size_t max_bytes,
    long timeout_ms, unsigned char **buf, size_t *len, char **why);

/* Make sure fds 0, 1 and 2 are open before anything else opens a file or a
 * socket, which would otherwise land on a closed one and receive what is
 * meant for that stream.  A closed stdin becomes /dev/null (reads see EOF);
 * a closed stdout or stderr becomes /dev/null opened read-only, so that
 * writing to it fails (EBADF) as it did, and is reported.  Returns 0 or
 * -1. */
int util_open_std_fds(void);

/* Monotonic clock in microseconds. */
int64_t util_now_us(void);

/* Lowercase hex of len bytes into out (2*len+1 bytes), optional separator. */
void util_hex(const unsigned char *data, size_t len, char sep, char *out);

/* A copy of len bytes of s with control bytes (and NUL) written as \xNN,
 * and bytes >= 0x80 too unless keep_high (UTF-8 or Latin-1 text that the
 * JSON renderer repairs).  For strings from certificates, which a hostile
 * server chooses: they must not reach a terminal raw, nor be cut at a NUL. */
char *util_escape(const char *s, size_t len, bool keep_high);

/* The longest escape util_term_char writes, NUL included ("\U000e0001"). */
#define UTIL_TERM_CHAR_MAX 12

/* The one escaper for bytes from outside (arguments, files, servers,
 * certificates) on their way to a terminal: every message, the text
 * report, the --check line.  Writes the character at s (len > 0 bytes
 * left) into out, NUL-terminated, and returns the bytes it took.  C0
 * controls (and '\n' unless keep_newline), DEL and bytes that are not
 * UTF-8 become \xNN; C1 controls, Unicode format controls (bidi
 * overrides and isolates, zero-width characters, tags) and the line and
 * paragraph separators become \uNNNN (\UNNNNNNNN above U+FFFF); any
 * other UTF-8 character is kept, so names in other scripts stay
 * readable. */
size_t util_term_char(const char *s, size_t len, bool keep_newline,
    char out[UTIL_TERM_CHAR_MAX]);

/* s[0..len) through util_term_char, malloc'd.  keep_newline: for text
 * that is already a sequence of our own lines (a rendered report). */
char *util_escape_term(const char *s, size_t len, bool keep_newline);

/* fputs of s escaped with util_escape_term (no newline kept). */
void util_fputs_term(const char *s, FILE *f);

/* The first C0 control byte or DEL in s[0..len), or NULL: such a byte in
 * a value sent in a plaintext dialogue (CR, LF) would end the line and
 * start a command of the caller's choosing. */
const char *util_find_control(const char *s, size_t len);

/* True if s is an IPv4 or IPv6 literal (no brackets). */
bool util_is_ip_literal(const char *s);

/* Zero len bytes of buf (a secret) before freeing it; NULL is fine. */
void util_wipe_free(unsigned char *buf, size_t len);

#endif
