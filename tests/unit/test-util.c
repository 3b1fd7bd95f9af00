/* Unit tests for util.c: target, port and duration parsing, name lists. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "util.h"

static void
target_ok(const char *arg, const char *host, unsigned port, int literal)
{
	struct target t;
	const char *err = NULL;
	int rc = util_parse_target(arg, &t, &err);

	ok(rc == 0 && strcmp(t.host, host) == 0 && t.port == port &&
	    t.ip_literal == literal, "target '%s' -> host '%s' port %u%s", arg,
	    host, port, literal ? " (literal)" : "");
	util_target_free(&t);
}

static void
target_bad(const char *arg, const char *want)
{
	struct target t;
	const char *err = NULL;
	int rc = util_parse_target(arg, &t, &err);

	ok(rc == -1 && err != NULL && strstr(err, want) != NULL,
	    "target '%s' rejected: %s", arg, err ? err : "(accepted)");
	util_target_free(&t);
}

/* util_read_file on a pipe holding len bytes, its write end closed (or
 * left open, to stall), through /proc/self/fd like a <(...) argument. */
static int
read_pipe(size_t len, size_t max, bool stall, char **why, size_t *got)
{
	int fds[2];
	char path[64], *data = xcalloc(1, len + 1);
	unsigned char *buf = NULL;
	int rc;

	if (pipe(fds) != 0 || write(fds[1], data, len) != (ssize_t)len)
		abort();
	if (!stall)
		close(fds[1]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	rc = util_read_file(path, "--test", max, 200, &buf, got, why);
	ok(rc != 0 || buf[*got] == '\0', "read buffer is NUL-terminated");
	free(buf);
	free(data);
	close(fds[0]);
	if (stall)
		close(fds[1]);
	return rc;
}

static void
read_file_tests(void)
{
	unsigned char *buf = NULL;
	char *why = NULL;
	size_t got = 0;
	int rc;

	rc = read_pipe(1000, 1000, false, &why, &got);
	ok(rc == 0 && got == 1000, "a pipe of exactly the limit is read");
	rc = read_pipe(1001, 1000, false, &why, &got);
	ok(rc == -1 && strcmp(why, "larger than the 1000 byte limit for "
	    "--test") == 0, "one byte over the limit: %s", why);
	free(why);
	rc = read_pipe(100, 2 * UTIL_MIB, true, &why, &got);
	ok(rc == -1 && strcmp(why, "the data did not end within 0.2 s (the "
	    "--timeout for --test)") == 0, "a stalled pipe: %s", why);
	free(why);
	rc = read_pipe(0, 2 * UTIL_MIB, true, &why, &got);
	ok(rc == -1 && strcmp(why, "no data within 0.2 s (the --timeout for "
	    "--test)") == 0, "a silent pipe: %s", why);
	free(why);
	rc = read_pipe(0, 10, false, &why, &got);
	ok(rc == 0 && got == 0, "an empty pipe is an empty file");
	rc = util_read_file("/", "--test", 10, 200, &buf, &got, &why);
	ok(rc == -1 && strcmp(why, strerror(EISDIR)) == 0, "a directory: %s",
	    why);
	free(why);
}

int
main(void)
{
	uint16_t port;
	long ms;
	size_t n;
	char **list;
	char hex[16];

	target_ok("example.com", "example.com", 0, 0);
	target_ok("example.com:8443", "example.com", 8443, 0);
	target_ok("127.0.0.1:443", "127.0.0.1", 443, 1);
	target_ok("[::1]:4433", "::1", 4433, 1);
	target_ok("[2001:db8::1]", "2001:db8::1", 0, 1);
	target_ok("::1", "::1", 0, 1);
	target_bad("", "empty");
	target_bad(":443", "empty host");
	target_bad("host:0", "port");
	target_bad("host:65536", "port");
	target_bad("host:http", "port");
	target_bad("[::1", "missing ']'");
	target_bad("[::1]x", "after ']'");
	target_bad("[example.com]:1", "IPv6");
	target_bad("a b", "character");
	target_bad("2", "bare number");
	target_bad("host/path:443", "character");
	target_ok("my_host-1.example", "my_host-1.example", 0, 0);

	ok(util_parse_port("1", &port) == 0 && port == 1, "port 1");
	ok(util_parse_port("65535", &port) == 0 && port == 65535, "port 65535");
	ok(util_parse_port("0", &port) == -1, "port 0 rejected");
	ok(util_parse_port("-1", &port) == -1, "port -1 rejected");
	ok(util_parse_port("44x", &port) == -1, "port 44x rejected");

	ok(util_parse_duration_ms("10", &ms) == 0 && ms == 10000, "10 -> 10000 ms");
	ok(util_parse_duration_ms("2.5", &ms) == 0 && ms == 2500, "2.5 -> 2500 ms");
	ok(util_parse_duration_ms("500ms", &ms) == 0 && ms == 500, "500ms");
	ok(util_parse_duration_ms("3s", &ms) == 0 && ms == 3000, "3s");
	ok(util_parse_duration_ms("0", &ms) == -1, "0 rejected");
	ok(util_parse_duration_ms("abc", &ms) == -1, "abc rejected");
	ok(util_parse_duration_ms("5m", &ms) == -1, "5m rejected");
	ok(util_parse_duration_ms("-1", &ms) == -1, "-1 rejected");

	list = util_split_list(" h2, http/1.1,,", ",", &n);
	ok(n == 2 && strcmp(list[0], "h2") == 0 && strcmp(list[1], "http/1.1") == 0 &&
	    list[2] == NULL, "split ' h2, http/1.1,,' -> [h2, http/1.1]");
	util_list_free(list);
	list = util_split_list("a:b c", ",: ", &n);
	ok(n == 3 && strcmp(list[2], "c") == 0, "split on several separators");
	util_list_free(list);
	list = util_split_list("", ",", &n);
	ok(n == 0 && list[0] == NULL, "empty list");
	util_list_free(list);

	util_hex((const unsigned char *)"\x01\xab\xff", 3, ':', hex);
	ok(strcmp(hex, "01:ab:ff") == 0, "hex with separator: %s", hex);
	util_hex((const unsigned char *)"\x01\xab", 2, '\0', hex);
	ok(strcmp(hex, "01ab") == 0, "hex without separator: %s", hex);

	{
		int64_t t;

		ok(util_parse_time("2025-06-30", &t) == 0 && t == 1751241600LL * 1000000,
		    "date -> midnight UTC");
		ok(util_parse_time("2025-06-30T12:00:00Z", &t) == 0 &&
		    t == (1751241600LL + 43200) * 1000000, "RFC 3339 with Z");
		ok(util_parse_time("2025-06-30T14:00:00+02:00", &t) == 0 &&
		    t == (1751241600LL + 43200) * 1000000, "RFC 3339 with offset");
		ok(util_parse_time("2025-06-30 12:00:00.5Z", &t) == 0, "fraction, space");
		ok(util_parse_time("2025-02-30", &t) == -1, "30 February rejected");
		ok(util_parse_time("2025-06-30T12:00", &t) == -1, "no seconds rejected");
		ok(util_parse_time("yesterday", &t) == -1, "words rejected");
		ok(util_parse_time("2025-06-30T12:00:00", &t) == -1,
		    "time without zone rejected");
	}

	{
		char *e = util_escape("a\x1b[31m\0b\xe9", 9, false);

		ok(strcmp(e, "a\\x1b[31m\\x00b\\xe9") == 0, "escape: %s", e);
		free(e);
		e = util_escape("Soci\xe9t\xe9", 7, true);
		ok(strcmp(e, "Soci\xe9t\xe9") == 0, "escape keeps high bytes on request");
		free(e);
	}

	{
		static const struct { const char *in; size_t len; bool nl;
			const char *want; const char *what; } cases[] = {
			{ "a\nb\r\x01\x7f", 6, false, "a\\x0ab\\x0d\\x01\\x7f", "C0 and DEL" },
			{ "a\nb\x1b", 4, true, "a\nb\\x1b", "newline kept on request" },
			{ "\xff\xc3(\xed\xa0\x80\xc0\xaf", 8, false,
			    "\\xff\\xc3(\\xed\\xa0\\x80\\xc0\\xaf",
			    "invalid UTF-8, surrogate, overlong" },
			{ "caf\xc3\xa9 \xe4\xb8\xad", 9, false, "caf\xc3\xa9 \xe4\xb8\xad",
			    "valid UTF-8 kept" },
			{ "x\xe2\x80\xaey\xe2\x81\xa6z", 9, false, "x\\u202ey\\u2066z",
			    "bidi override and isolate" },
			{ "\xc2\x85\xe2\x80\x8d\xd8\x9c\xe2\x80\xa8", 10, false,
			    "\\u0085\\u200d\\u061c\\u2028", "C1, ZWJ, ALM, line separator" },
			{ "\xf3\xa0\x80\x81\xf0\x9f\x94\x92", 8, false,
			    "\\U000e0001\xf0\x9f\x94\x92", "tag escaped, emoji kept" },
			{ "\xe2\x80", 2, false, "\\xe2\\x80", "cut sequence" },
			{ "a\0b", 3, false, "a\\x00b", "NUL" },
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char *e = util_escape_term(cases[i].in, cases[i].len, cases[i].nl);

			ok(strcmp(e, cases[i].want) == 0, "escape for a terminal: %s",
			    cases[i].what);
			free(e);
		}
		ok(util_find_control("ok", 2) == NULL &&
		    util_find_control("a\r\nb", 4) != NULL &&
		    *util_find_control("ab\x7f", 3) == 0x7f, "control byte search");
	}

	ok(util_is_ip_literal("10.0.0.1") && util_is_ip_literal("fe80::1") &&
	    !util_is_ip_literal("localhost") && !util_is_ip_literal("1.2.3"),
	    "IP literal detection");
	read_file_tests();
	return done_testing();
}
