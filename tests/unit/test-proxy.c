/* Unit tests for the pure parts of proxy.c (proxy syntax, no_proxy as curl
 * reads it), plain.c (printable transcripts) and starttls.c (the table). */
#include <stdlib.h>
#include <string.h>

#include "plain.h"
#include "proxy.h"
#include "starttls.h"
#include "tap.h"

static void
test_parse(void)
{
	struct proxy_spec p;
	const char *err = NULL;

	ok(proxy_parse("proxy.example:3128", &p, &err) == 0 &&
	    strcmp(p.host, "proxy.example") == 0 && p.port == 3128 &&
	    p.user == NULL && p.pass == NULL, "HOST:PORT");
	proxy_spec_free(&p);
	ok(proxy_parse("proxy.example", &p, &err) == 0 && p.port == 1080,
	    "no port: 1080, like curl");
	proxy_spec_free(&p);
	ok(proxy_parse("HTTP://u%40x:p%3Aw@[::1]:8080/", &p, &err) == 0 &&
	    strcmp(p.host, "::1") == 0 && p.port == 8080 &&
	    strcmp(p.user, "u@x") == 0 && strcmp(p.pass, "p:w") == 0,
	    "URL with percent-encoded credentials and an IPv6 literal");
	proxy_spec_free(&p);
	ok(proxy_parse("http://user@h:1", &p, &err) == 0 &&
	    strcmp(p.user, "user") == 0 && p.pass == NULL, "user without password");
	proxy_spec_free(&p);
	ok(proxy_parse("socks5://h:1080", &p, &err) == -1 &&
	    strstr(err, "http://") != NULL, "socks5 refused");
	ok(proxy_parse("https://h:443", &p, &err) == -1, "https proxy refused");
	ok(proxy_parse("http://", &p, &err) == -1, "no host");
	ok(proxy_parse("h:0", &p, &err) == -1, "port 0");
	ok(proxy_parse("h:65536", &p, &err) == -1, "port too large");
}

static int
np(const char *list, const char *host, const char *want)
{
	char *entry = NULL;
	bool m = proxy_no_proxy_match(list, host, &entry);
	int good = want == NULL ? !m && entry == NULL :
	    m && entry != NULL && strcmp(entry, want) == 0;

	free(entry);
	return good;
}

static void
test_no_proxy(void)
{
	ok(np("*", "anything.example", "*"), "* matches everything");
	ok(np("example.com", "example.com", "example.com"), "exact name");
	ok(np("example.com", "www.example.com", "example.com"), "subdomain");
	ok(np(".example.com", "www.example.com", ".example.com"), "leading dot");
	ok(np(".example.com", "example.com", ".example.com"),
	    "leading dot still matches the domain itself (curl)");
	ok(np("example.com", "badexample.com", NULL), "not a suffix of a label");
	ok(np("EXAMPLE.com", "www.Example.COM.", "EXAMPLE.com"),
	    "case and a trailing dot ignored");
	ok(np("a.test, b.test ,c.test", "x.b.test", "b.test"), "list with blanks");
	ok(np("a.test,,", "b.test", NULL), "empty items");
	ok(np("127.0.0.1", "127.0.0.1", "127.0.0.1"), "IPv4 exact");
	ok(np("127.0.0.0/8", "127.1.2.3", "127.0.0.0/8"), "IPv4 CIDR");
	ok(np("10.0.0.0/8", "127.1.2.3", NULL), "IPv4 CIDR, outside");
	ok(np("127.0.0.0/33", "127.0.0.1", NULL), "bad prefix length");
	ok(np("::1", "::1", "::1"), "IPv6 exact");
	ok(np("fd00::/8", "fd12:3456::1", "fd00::/8"), "IPv6 CIDR");
	ok(np("fd00::/8", "fe80::1", NULL), "IPv6 CIDR, outside");
	ok(np("localhost", "127.0.0.1", NULL), "a name never matches an address");
	ok(np("*.example.com", "www.example.com", NULL),
	    "no wildcards in entries (curl has none)");
	ok(np(NULL, "example.com", NULL), "no list");
	ok(np("*", "", NULL), "no host");
}

static void
test_printable(void)
{
	char buf[32];

	ok(strcmp(plain_printable("a\x1b[31mb\r", 8, buf, sizeof(buf)),
	    "a\\x1b[31mb\\x0d") == 0, "control bytes escaped");
	ok(strcmp(plain_printable("\xc3\xa9\xe2\x80\xae\xff", 6, buf, sizeof(buf)),
	    "\xc3\xa9\\u202e\\xff") == 0,
	    "UTF-8 kept, bidi override and invalid byte escaped");
	plain_printable("0123456789012345678901234567890123456789", 40, buf,
	    sizeof(buf));
	ok(strlen(buf) < sizeof(buf) && strcmp(buf + strlen(buf) - 3, "...") == 0,
	    "cut with ... when too long");
}

static void
test_table(void)
{
	static const struct { const char *name; unsigned port; } want[] = {
		{ "smtp", 25 }, { "submission", 587 }, { "lmtp", 24 },
		{ "imap", 143 }, { "pop3", 110 }, { "ftp", 21 },
		{ "xmpp", 5222 }, { "xmpp-server", 5269 }, { "ldap", 389 },
		{ "postgres", 5432 }, { "mysql", 3306 }, { "nntp", 119 },
		{ "sieve", 4190 }, { "irc", 6667 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct starttls_proto *p = starttls_find(want[i].name);

		ok(p != NULL && starttls_default_port(p) == want[i].port &&
		    starttls_by_port((uint16_t)want[i].port) == p,
		    "%s: port %u, and back", want[i].name, want[i].port);
	}
	ok(starttls_find("PostgreSQL") == starttls_find("postgres"),
	    "postgresql is postgres, any case");
	ok(starttls_find("gopher") == NULL, "unknown protocol");
	ok(starttls_by_port(443) == NULL, "443 is no STARTTLS port");
	ok(starttls_uses_ehlo(starttls_find("lmtp")) &&
	    !starttls_uses_ehlo(starttls_find("imap")), "EHLO/LHLO senders");
	ok(starttls_uses_domain(starttls_find("xmpp-server")), "XMPP domain");
}

int
main(void)
{
	test_parse();
	test_no_proxy();
	test_printable();
	test_table();
	return done_testing();
}
