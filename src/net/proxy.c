/*
 * proxy: choice of the HTTP proxy and the CONNECT tunnel (see proxy.h).
 *
 * The environment is read as curl reads it for an https:// URL:
 * https_proxy, HTTPS_PROXY, all_proxy, ALL_PROXY, first one set wins; a
 * proxy without a port is on 1080; no_proxy (else NO_PROXY) lists the
 * hosts to reach directly.  Unlike curl, no_proxy never overrides an
 * explicit --proxy: the command line says what to do.  The target's name
 * is given to the proxy, which resolves it; the password never reaches
 * the report.
 */
#include "proxy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <plbase64.h>
#include <prerror.h>
#include <prmem.h>

#include "config.h"
#include "plain.h"
#include "util.h"

void
proxy_spec_free(struct proxy_spec *p)
{
	free(p->host);
	free(p->user);
	if (p->pass != NULL)
		memset(p->pass, 0, strlen(p->pass));
	free(p->pass);
	memset(p, 0, sizeof(*p));
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* %XX decoding of URL userinfo. */
static char *
percent_decode(const char *s, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    hexval((unsigned char)s[i + 1]) >= 0 &&
		    hexval((unsigned char)s[i + 2]) >= 0) {
			*o++ = (char)(hexval((unsigned char)s[i + 1]) << 4 |
			    hexval((unsigned char)s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

int
proxy_parse(const char *s, struct proxy_spec *out, const char **err)
{
	const char *scheme_end = strstr(s, "://");
	const char *auth, *at, *end;
	char *hostport;
	struct target t;
	int rc;

	memset(out, 0, sizeof(*out));
	if (scheme_end != NULL) {
		if ((size_t)(scheme_end - s) != 4 || strncasecmp(s, "http", 4) != 0) {
			*err = "only http:// proxies are supported";
			return -1;
		}
		s = scheme_end + 3;
	}
	/* A path after the authority ("http://proxy:3128/") is ignored. */
	end = s + strcspn(s, "/?#");
	auth = s;
	at = NULL;
	for (const char *p = s; p < end; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));

		out->user = percent_decode(auth, (size_t)((colon ? colon : at) - auth));
		out->pass = colon != NULL ?
		    percent_decode(colon + 1, (size_t)(at - colon - 1)) : NULL;
		s = at + 1;
		/* "%0d%0a" decodes to a line end: no proxy takes one in a
		 * name or password, and it is refused before it is sent. */
		if (util_find_control(out->user, strlen(out->user)) != NULL ||
		    (out->pass != NULL &&
		    util_find_control(out->pass, strlen(out->pass)) != NULL)) {
			*err = "the user name or password holds a control byte "
			    "(such as %0d or %0a)";
			proxy_spec_free(out);
			return -1;
		}
	}
	hostport = xstrndup(s, (size_t)(end - s));
	rc = hostport[0] == '\0' ? -1 : util_parse_target(hostport, &t, err);
	if (hostport[0] == '\0')
		*err = "no proxy host";
	free(hostport);
	if (rc != 0) {
		proxy_spec_free(out);
		return -1;
	}
	out->host = t.host;
	out->port = t.port != 0 ? t.port : PROXY_DEFAULT_PORT;
	return 0;
}

/* ---- no_proxy ------------------------------------------------------------ */

static bool
cidr_match(const char *host, const char *entry)
{
	unsigned char a[16], b[16];
	char net[64];
	const char *slash = strchr(entry, '/');
	int family = strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
	int max = family == AF_INET6 ? 128 : 32;
	long bits = max;
	size_t len = slash != NULL ? (size_t)(slash - entry) : strlen(entry);

	if (len >= sizeof(net))
		return false;
	memcpy(net, entry, len);
	net[len] = '\0';
	if (slash != NULL) {
		char *e;

		bits = strtol(slash + 1, &e, 10);
		if (*e != '\0' || bits < 0 || bits > max)
			return false;
	}
	if (inet_pton(family, host, a) != 1 || inet_pton(family, net, b) != 1)
		return false;
	for (long i = 0; i < bits; i++) {
		unsigned mask = 0x80u >> (i % 8);

		if ((a[i / 8] & mask) != (b[i / 8] & mask))
			return false;
	}
	return true;
}

static bool
name_match(const char *host, const char *entry)
{
	size_t hlen = strlen(host), elen;

	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	if (*entry == '.')
		entry++;
	elen = strlen(entry);
	if (elen > 0 && entry[elen - 1] == '.')
		elen--;
	if (elen == 0 || elen > hlen)
		return false;
	if (elen == hlen)
		return strncasecmp(host, entry, hlen) == 0;
	/* a subdomain: "www.example.com" for "example.com", not
	 * "badexample.com" */
	return host[hlen - elen - 1] == '.' &&
	    strncasecmp(host + hlen - elen, entry, elen) == 0;
}

bool
proxy_no_proxy_match(const char *list, const char *host, char **entry)
{
	size_t n;
	char **items;
	bool found = false;

	*entry = NULL;
	if (list == NULL || host == NULL || *host == '\0')
		return false;
	if (strcmp(list, "*") == 0) {
		*entry = xstrdup("*");
		return true;
	}
	items = util_split_list(list, ", \t", &n);
	for (size_t i = 0; i < n && !found; i++) {
		found = util_is_ip_literal(host) ? cidr_match(host, items[i]) :
		    name_match(host, items[i]);
		if (found)
			*entry = xstrdup(items[i]);
	}
	util_list_free(items);
	return found;
}

/* ---- choice -------------------------------------------------------------- */

int
proxy_select(const struct proxy_request *q, struct report *r,
    struct proxy_spec *chosen)
{
	static const char *const vars[] = { "https_proxy", "HTTPS_PROXY",
		"all_proxy", "ALL_PROXY" };
	const char *source = NULL, *value = NULL, *err;

	memset(chosen, 0, sizeof(*chosen));
	if (q->proxy != NULL) {
		source = "--proxy";
		value = q->proxy;
	} else if (!q->no_env) {
		for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
			const char *v = getenv(vars[i]);

			if (v != NULL && *v != '\0') {
				source = vars[i];
				value = v;
				break;
			}
		}
	}
	if (value == NULL)
		return 0;
	if (proxy_parse(value, chosen, &err) != 0) {
		/* The value may hold a password: name the variable only. */
		report_fail(r, PHASE_PROXY, 0, NSSTLS_EXIT_SETUP, "%s is not a "
		    "proxy nsstls can use: %s (ignore the environment with "
		    "--no-proxy-env)", source, err);
		return -1;
	}
	if (q->user != NULL) {
		const char *colon = strchr(q->user, ':');

		free(chosen->user);
		free(chosen->pass);
		chosen->user = colon != NULL ? xstrndup(q->user,
		    (size_t)(colon - q->user)) : xstrdup(q->user);
		chosen->pass = xstrdup(colon != NULL ? colon + 1 : "");
	}
	r->proxy.host = xstrdup(chosen->host);
	r->proxy.port = chosen->port;
	r->proxy.source = source;
	if (chosen->user != NULL) {
		char shown[256];

		r->proxy.user = xstrdup(plain_printable(chosen->user,
		    strlen(chosen->user), shown, sizeof(shown)));
	}
	if (q->proxy == NULL) {
		const char *list = getenv("no_proxy");

		if (list == NULL)
			list = getenv("NO_PROXY");
		if (proxy_no_proxy_match(list, q->host,
		    &r->proxy.no_proxy_match))
			return 0;
	}
	r->proxy.used = true;
	return 0;
}

/* ---- the tunnel ---------------------------------------------------------- */

static int
tunnel_fail(struct report *r, struct plain *io, const char *doing)
{
	report_fail(r, PHASE_PROXY, io->status == PLAIN_TIMEOUT ?
	    PR_IO_TIMEOUT_ERROR : io->status == PLAIN_ERROR ? io->error : 0,
	    NSSTLS_EXIT_NEGOTIATE, "proxy %s port %u: %s, %s", r->proxy.host,
	    r->proxy.port, plain_reason(io), doing);
	return -1;
}

/* "HTTP/1.1 200 ..." → 200; -1 if it is no HTTP status line.  A status
 * code is 100 to 999: "017" is not one (found by tests/test_json_random.py:
 * the report's status_code would break the schema). */
static int
status_code(const char *line)
{
	const char *sp;

	if (strncmp(line, "HTTP/", 5) != 0 || (sp = strchr(line, ' ')) == NULL)
		return -1;
	if (sp[1] < '1' || sp[1] > '9' || !isdigit((unsigned char)sp[2]) ||
	    !isdigit((unsigned char)sp[3]) ||
	    (sp[4] != '\0' && sp[4] != ' '))
		return -1;
	return atoi(sp + 1);
}

/* The CONNECT request, with Basic credentials when given (the transcript
 * names the user only).  Returns 0, or -1 after report_fail(). */
static int
send_connect(struct plain *io, const struct proxy_request *q,
    const struct proxy_spec *p, struct report *r)
{
	char authority[300], *req = NULL, *auth = NULL, *b64 = NULL;
	int rc = -1;

	snprintf(authority, sizeof(authority), strchr(q->host, ':') ?
	    "[%s]:%u" : "%s:%u", q->host, q->port);
	if (p->user != NULL) {
		char *cred = xasprintf("%s:%s", p->user, p->pass ? p->pass : "");

		/* NSPR's encoder, unlike NSS's, writes no line breaks, which
		 * a header could not carry. */
		b64 = PL_Base64Encode(cred, (PRUint32)strlen(cred), NULL);
		memset(cred, 0, strlen(cred));
		free(cred);
		if (b64 == NULL) {
			report_fail(r, PHASE_PROXY, PR_GetError(), NSSTLS_EXIT_SETUP,
			    "cannot encode the proxy credentials");
			goto out;
		}
		auth = xasprintf("Proxy-Authorization: Basic %s\r\n", b64);
	}
	req = xasprintf("CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s"
	    "User-Agent: nsstls/%s\r\n\r\n", authority, authority,
	    auth ? auth : "", PACKAGE_VERSION);
	plain_note(io, false, "CONNECT %s HTTP/1.1", authority);
	plain_note(io, false, "Host: %s", authority);
	if (auth != NULL)
		plain_note(io, false, "Proxy-Authorization: Basic [%s:...]",
		    p->user);
	plain_note(io, false, "User-Agent: nsstls/%s", PACKAGE_VERSION);
	plain_note(io, false, "%s", "");
	if (plain_send(io, req, strlen(req), NULL) != 0)
		tunnel_fail(r, io, "sending CONNECT");
	else
		rc = 0;
out:
	if (b64 != NULL) {
		memset(b64, 0, strlen(b64));
		PR_Free(b64);
	}
	if (auth != NULL)
		memset(auth, 0, strlen(auth));
	if (req != NULL)
		memset(req, 0, strlen(req));
	free(auth);
	free(req);
	return rc;
}

/* The proxy's answer: the status line, then the headers up to the empty
 * line (a refusal's body is left unread: the connection is closed anyway).
 * Returns 0 when the tunnel is open, or -1 after report_fail(). */
static int
read_answer(struct plain *io, const struct proxy_spec *p, struct report *r)
{
	char shown[PLAIN_MAX_LINE], hint[300] = "";
	const char *line;
	int code;

	if (plain_read_line(io, &line) != 0) {
		tunnel_fail(r, io, "waiting for the answer to CONNECT");
		return -1;
	}
	code = status_code(line);
	r->proxy.status_line = xstrdup(plain_printable(line, strlen(line),
	    shown, sizeof(shown)));
	if (code < 0) {
		report_fail(r, PHASE_PROXY, 0, NSSTLS_EXIT_NEGOTIATE, "proxy %s "
		    "port %u: not an HTTP answer to CONNECT: \"%s\"", r->proxy.host,
		    r->proxy.port, r->proxy.status_line);
		return -1;
	}
	r->proxy.status = code;
	for (int i = 0;; i++) {
		if (i == 100) {
			report_fail(r, PHASE_PROXY, 0, NSSTLS_EXIT_NEGOTIATE,
			    "proxy %s port %u: more than 100 header lines in its "
			    "answer to CONNECT", r->proxy.host, r->proxy.port);
			return -1;
		}
		if (plain_read_line(io, &line) != 0) {
			tunnel_fail(r, io, "reading the headers of its answer");
			return -1;
		}
		if (*line == '\0')
			break;
	}
	if (code >= 200 && code <= 299)
		return 0;
	if (code == 407 && p->user == NULL)
		snprintf(hint, sizeof(hint), " (no credentials were sent: "
		    "use --proxy-user)");
	else if (code == 407)
		snprintf(hint, sizeof(hint), " (user \"%s\" was not accepted)",
		    plain_printable(p->user, strlen(p->user), shown, sizeof(shown)));
	report_fail(r, PHASE_PROXY, 0, NSSTLS_EXIT_NEGOTIATE,
	    "proxy refused: %s%s", r->proxy.status_line, hint);
	return -1;
}

int
proxy_tunnel(const struct proxy_request *q, const struct proxy_spec *p,
    PRFileDesc *fd, struct report *r)
{
	struct plain io;
	int64_t t0 = util_now_us();
	int rc = -1;

	r->phase = PHASE_PROXY;
	plain_init(&io, fd, q->timeout_ms, &r->proxy.transcript);
	if (send_connect(&io, q, p, r) != 0 || read_answer(&io, p, r) != 0)
		goto out;
	/* The tunnel is open: bytes after the answer are the target's (an
	 * SMTP greeting may share the proxy's segment), for the next stage. */
	if (plain_hand_on(&io) != 0) {
		report_fail(r, PHASE_PROXY, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "cannot keep the bytes received after the proxy's answer");
		goto out;
	}
	rc = 0;
out:
	r->proxy.duration_us = util_now_us() - t0;
	return rc;
}
