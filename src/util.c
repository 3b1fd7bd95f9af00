/*
 * util: allocation, parsing and clock helpers (see util.h).  No NSS here,
 * so the unit tests can exercise every function directly.
 */
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void
oom(void)
{
	fputs("nsstls: out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		oom();
	return d;
}

char *
xstrndup(const char *s, size_t n)
{
	char *d = strndup(s, n);

	if (d == NULL)
		oom();
	return d;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		oom();
	return s;
}

char *
util_escape(const char *s, size_t len, bool keep_high)
{
	char *out = xmalloc(len * 4 + 1), *o = out;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || (c >= 0x80 && !keep_high))
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = (char)c;
	}
	*o = '\0';
	return out;
}

/* Invisible characters that reorder or hide text: Unicode's format
 * controls (category Cf: bidi embeddings, overrides and isolates, marks,
 * zero-width joiners, tags) and the line and paragraph separators, which
 * some terminals break lines at.  Sorted, inclusive ranges. */
static const struct { uint32_t lo, hi; } invisible[] = {
	{ 0x00ad, 0x00ad }, { 0x0600, 0x0605 }, { 0x061c, 0x061c },
	{ 0x06dd, 0x06dd }, { 0x070f, 0x070f }, { 0x0890, 0x0891 },
	{ 0x08e2, 0x08e2 }, { 0x180e, 0x180e }, { 0x200b, 0x200f },
	{ 0x2028, 0x202e }, { 0x2060, 0x2064 }, { 0x2066, 0x206f },
	{ 0xfeff, 0xfeff }, { 0xfff9, 0xfffb }, { 0x110bd, 0x110bd },
	{ 0x110cd, 0x110cd }, { 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 },
	{ 0x1d173, 0x1d17a }, { 0xe0001, 0xe0001 }, { 0xe0020, 0xe007f },
};

static bool
is_invisible(uint32_t cp)
{
	if (cp >= 0x80 && cp <= 0x9f)           /* C1 controls */
		return true;
	for (size_t i = 0; i < sizeof(invisible) / sizeof(invisible[0]); i++)
		if (cp >= invisible[i].lo && cp <= invisible[i].hi)
			return true;
	return false;
}

/* The code point of the well-formed UTF-8 sequence at s into *cp (RFC
 * 3629: no overlong forms, no surrogates, nothing above U+10FFFF); returns
 * its length, or 0 when s does not start one. */
static size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, *cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, *cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, *cp = s[0] & 0x07;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	return n;
}

size_t
util_term_char(const char *s, size_t len, bool keep_newline,
    char out[UTIL_TERM_CHAR_MAX])
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;
	size_t n;

	if (u[0] < 0x80) {
		if ((u[0] < 0x20 && !(u[0] == '\n' && keep_newline)) || u[0] == 0x7f)
			snprintf(out, UTIL_TERM_CHAR_MAX, "\\x%02x", u[0]);
		else
			snprintf(out, UTIL_TERM_CHAR_MAX, "%c", u[0]);
		return 1;
	}
	n = utf8_decode(u, len, &cp);
	if (n == 0) {           /* not UTF-8: the byte itself */
		snprintf(out, UTIL_TERM_CHAR_MAX, "\\x%02x", u[0]);
		return 1;
	}
	if (is_invisible(cp))
		snprintf(out, UTIL_TERM_CHAR_MAX, cp > 0xffff ? "\\U%08x" : "\\u%04x",
		    (unsigned)cp);
	else
		snprintf(out, UTIL_TERM_CHAR_MAX, "%.*s", (int)n, s);
	return n;
}

char *
util_escape_term(const char *s, size_t len, bool keep_newline)
{
	/* The longest escape per input byte: "\xNN" for one byte. */
	char *out = xmalloc(len * 4 + 1), *o = out;

	for (size_t i = 0; i < len;) {
		char e[UTIL_TERM_CHAR_MAX];

		i += util_term_char(s + i, len - i, keep_newline, e);
		o = stpcpy(o, e);
	}
	*o = '\0';
	return out;
}

void
util_fputs_term(const char *s, FILE *f)
{
	char *e = util_escape_term(s, strlen(s), false);

	fputs(e, f);
	free(e);
}

const char *
util_find_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return s + i;
	return NULL;
}

bool
util_is_ip_literal(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

int
util_parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int
util_parse_target(const char *arg, struct target *out, const char **err)
{
	const char *host = arg, *port = NULL;
	size_t hostlen;
	const char *colon;

	memset(out, 0, sizeof(*out));
	if (arg == NULL || *arg == '\0') {
		*err = "empty target";
		return -1;
	}
	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');

		if (close == NULL) {
			*err = "missing ']' after IPv6 address";
			return -1;
		}
		host = arg + 1;
		hostlen = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0') {
			*err = "unexpected text after ']'";
			return -1;
		}
	} else if ((colon = strchr(arg, ':')) != NULL &&
	    strchr(colon + 1, ':') != NULL) {
		/* Two or more colons and no brackets: a bare IPv6 literal. */
		hostlen = strlen(arg);
	} else if (colon != NULL) {
		hostlen = (size_t)(colon - arg);
		port = colon + 1;
	} else {
		hostlen = strlen(arg);
	}
	if (hostlen == 0) {
		*err = "empty host name";
		return -1;
	}
	if (port != NULL && util_parse_port(port, &out->port) != 0) {
		*err = "port must be a number from 1 to 65535";
		return -1;
	}
	out->host = xstrndup(host, hostlen);
	if (!util_is_ip_literal(out->host) &&
	    strspn(out->host, "0123456789") == hostlen) {
		/* No top-level domain is all digits: "2" is an option's value
		 * that popt left as a word ("--reconnect 2"). */
		*err = "a bare number is not a host name (an option's optional "
		    "value needs '=', e.g. --reconnect=2)";
		free(out->host);
		out->host = NULL;
		return -1;
	}
	if (!util_is_ip_literal(out->host)) {
		/* Letters, digits, '.', '-' and '_' (seen in real DNS names). */
		if (strspn(out->host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.-_") != hostlen) {
			*err = "the host name holds a character not allowed in a DNS name";
			free(out->host);
			out->host = NULL;
			return -1;
		}
	}
	if (arg[0] == '[' && !util_is_ip_literal(out->host)) {
		*err = "brackets must hold an IPv6 address";
		free(out->host);
		out->host = NULL;
		return -1;
	}
	out->ip_literal = util_is_ip_literal(out->host);
	return 0;
}

void
util_target_free(struct target *t)
{
	if (t == NULL)
		return;
	free(t->host);
	t->host = NULL;
}

int
util_parse_duration_ms(const char *s, long *ms)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || !(isdigit((unsigned char)*s) || *s == '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s)
		return -1;
	if (strcmp(end, "ms") == 0)
		;
	else if (*end == '\0' || strcmp(end, "s") == 0)
		v *= 1000.0;
	else
		return -1;
	if (!(v >= 1.0) || v > 86400000.0)
		return -1;
	*ms = (long)v;
	return 0;
}

char **
util_split_list(const char *s, const char *seps, size_t *n)
{
	char **list = xcalloc(1, sizeof(char *));
	size_t count = 0;
	const char *p = s;

	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, seps);
		const char *b = p, *e = p + len;

		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		if (e > b) {
			list = xrealloc(list, (count + 2) * sizeof(char *));
			list[count++] = xstrndup(b, (size_t)(e - b));
			list[count] = NULL;
		}
		p += len;
		if (*p != '\0')
			p++;
	}
	*n = count;
	return list;
}

void
util_list_free(char **list)
{
	if (list == NULL)
		return;
	for (char **p = list; *p != NULL; p++)
		free(*p);
	free(list);
}

int
util_parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, offset = 0;
	const char *p;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	p = s + n;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 || n != 8)
			return -1;
		p += 1 + n;
		if (*p == '.')          /* fractions of a second are ignored */
			for (p++; isdigit((unsigned char)*p); p++)
				;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int oh, om;

			if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5 ||
			    oh > 23 || om > 59)
				return -1;
			offset = (oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
			p += 1 + n;
		} else {
			return -1;
		}
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60 || y < 1950 || y > 9999)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (tm.tm_mday != d)    /* timegm normalised an impossible date */
		return -1;
	*out = ((int64_t)t - offset) * 1000000;
	return 0;
}

/*
 * Read fd to its end into a buffer of at most max_bytes (plus the NUL),
 * waiting for each read with poll(2) so that a FIFO or pipe that brings
 * nothing ends at deadline_us.  Returns 0, or an errno value: E2BIG past
 * max_bytes, ETIMEDOUT at the deadline with nothing read, ETIME with some.
 */
static int
read_bounded(int fd, size_t max_bytes, int64_t deadline_us,
    unsigned char **out, size_t *len)
{
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;
	int err = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left_ms = (deadline_us - util_now_us() + 999) / 1000;
		ssize_t got;

		if (n == cap) {
			/* One byte past the limit tells "too large" from "exactly
			 * the limit". */
			cap = cap == 0 ? 65536 : cap * 2;
			if (cap > max_bytes + 1)
				cap = max_bytes + 1;
			buf = xrealloc(buf, cap + 1);
		}
		if (left_ms <= 0) {
			err = n == 0 ? ETIMEDOUT : ETIME;
			break;
		}
		got = poll(&p, 1, left_ms > INT_MAX ? INT_MAX : (int)left_ms);
		if (got == 0) {
			err = n == 0 ? ETIMEDOUT : ETIME;
			break;
		}
		if (got > 0)
			got = read(fd, buf + n, cap - n);
		if (got == 0)
			break;
		if (got < 0 && errno != EINTR && errno != EAGAIN) {
			err = errno;
			break;
		}
		n += got > 0 ? (size_t)got : 0;
		if (n > max_bytes) {
			err = E2BIG;
			break;
		}
	}
	if (err != 0) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static char *
read_error(int err, const char *option, size_t max_bytes, long timeout_ms)
{
	if (err == E2BIG && max_bytes % UTIL_MIB == 0)
		return xasprintf("larger than the %zu MiB limit for %s",
		    max_bytes / UTIL_MIB, option);
	if (err == E2BIG)
		return xasprintf("larger than the %zu byte limit for %s",
		    max_bytes, option);
	if (err == ETIMEDOUT)
		return xasprintf("no data within %g s (the --timeout for %s)",
		    (double)timeout_ms / 1000, option);
	if (err == ETIME)
		return xasprintf("the data did not end within %g s (the --timeout "
		    "for %s)", (double)timeout_ms / 1000, option);
	return xstrdup(strerror(err));
}

int
util_read_file(const char *path, const char *option, size_t max_bytes,
    long timeout_ms, unsigned char **buf, size_t *len, char **why)
{
	struct stat st;
	int fd, err;

	*buf = NULL;
	*len = 0;
	*why = NULL;
	/* O_NONBLOCK: opening a FIFO for reading otherwise waits, with no
	 * timeout, until something opens it for writing.  The reads wait in
	 * poll(2) instead, against the deadline. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) != 0)
		err = errno;
	else if (S_ISDIR(st.st_mode))
		err = EISDIR;
	else if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max_bytes)
		err = E2BIG;            /* no need to read it to know */
	else
		err = read_bounded(fd, max_bytes,
		    util_now_us() + (int64_t)timeout_ms * 1000, buf, len);
	if (fd >= 0)
		close(fd);
	if (err == 0)
		return 0;
	*why = read_error(err, option, max_bytes, timeout_ms);
	return -1;
}

int
util_open_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int got;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* open(2) returns the lowest free descriptor: this one. */
		got = open("/dev/null", O_RDONLY);
		if (got != fd) {
			if (got >= 0)
				close(got);
			return -1;
		}
	}
	return 0;
}

int64_t
util_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
util_hex(const unsigned char *data, size_t len, char sep, char *out)
{
	static const char digits[] = "0123456789abcdef";
	char *o = out;

	for (size_t i = 0; i < len; i++) {
		if (sep != '\0' && i > 0)
			*o++ = sep;
		*o++ = digits[data[i] >> 4];
		*o++ = digits[data[i] & 0xf];
	}
	*o = '\0';
}

void
util_wipe_free(unsigned char *buf, size_t len)
{
	if (buf == NULL)
		return;
	memset(buf, 0, len);
	free(buf);
}
