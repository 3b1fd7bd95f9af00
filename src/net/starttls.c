/*
 * starttls: protocol table and negotiators (see starttls.h).
 *
 * Each negotiator says as little as the protocol allows and reads the
 * answers with plain.c, which bounds the whole dialogue by --timeout and
 * keeps the transcript.  A refusal becomes the outcome with the server's
 * own words; bytes that arrive after the "go ahead" and before our
 * ClientHello are refused too: a server has no business sending them, and
 * a man in the middle injecting commands (CVE-2011-0411 and its kin) would.
 */
#include "starttls.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <prerror.h>

#include "der.h"
#include "plain.h"
#include "util.h"

struct negotiation {
	const struct starttls_proto *proto;
	const struct starttls_request *q;
	struct report *r;
	struct plain io;
};

struct starttls_proto {
	const char *name;            /* as --starttls spells it */
	uint16_t port;
	const char *title;           /* as people write it, for messages */
	int (*negotiate)(struct negotiation *n);
	enum { SENDS_NOTHING, SENDS_EHLO, SENDS_DOMAIN } sends;
};

/* ---- failures ---------------------------------------------------------- */

static int failf(struct negotiation *n, PRErrorCode err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
failf(struct negotiation *n, PRErrorCode err, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	report_fail(n->r, PHASE_STARTTLS, err, NSSTLS_EXIT_NEGOTIATE, "%s: %s",
	    n->proto->title, buf);
	return -1;
}

/* The dialogue could not go on: silence, a close, a socket error. */
static int
io_failed(struct negotiation *n, const char *doing)
{
	return failf(n, n->io.status == PLAIN_TIMEOUT ? PR_IO_TIMEOUT_ERROR :
	    n->io.status == PLAIN_ERROR ? n->io.error : 0, "%s, %s",
	    plain_reason(&n->io), doing);
}

/* The server's words, safe to print. */
static const char *
words(const char *s, char *buf, size_t len)
{
	return plain_printable(s, strlen(s), buf, len);
}

static int
refused(struct negotiation *n, const char *what, const char *line)
{
	char w[512];

	return failf(n, 0, "%s refused: %s", what, words(line, w, sizeof(w)));
}

static int
send_line(struct negotiation *n, const char *line)
{
	char doing[96];

	if (plain_send_line(&n->io, "%s", line) == 0)
		return 0;
	/* The command is short ("STARTTLS", "EHLO name"); keep at most 80
	 * bytes of it in the message. */
	snprintf(doing, sizeof(doing), "sending %.80s", line);
	return io_failed(n, doing);
}

static bool
starts_with_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- SMTP, LMTP, FTP, NNTP: "CODE text" replies ------------------------ */

static int
reply_code(const char *line)
{
	if (!isdigit((unsigned char)line[0]) || !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]))
		return -1;
	if (line[3] != '\0' && line[3] != ' ' && line[3] != '-')
		return -1;
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

/* Read a reply: "CODE text", or "CODE-text" lines up to "CODE text" (FTP's
 * lines in between may be anything).  *last is its last line; *keyword_seen
 * tells whether a line's text was keyword (an EHLO extension).  Returns 0,
 * or -1 after report_fail. */
static int
read_reply(struct negotiation *n, const char *waiting, int *code,
    const char **last, const char *keyword, bool *keyword_seen)
{
	const char *line;
	char doing[96];
	int first = -1;

	snprintf(doing, sizeof(doing), "waiting for %s", waiting);
	for (int i = 0; i < 1000; i++) {
		int c;

		if (plain_read_line(&n->io, &line) != 0)
			return io_failed(n, doing);
		c = reply_code(line);
		if (first < 0) {
			char w[256];

			if (c < 0)
				return failf(n, 0, "the answer is not %s (%s): \"%s\"",
				    n->proto->title, doing, words(line, w, sizeof(w)));
			first = c;
		}
		if (keyword != NULL && c == first && strlen(line) > 4 &&
		    starts_with_ci(line + 4, keyword) &&
		    (line[4 + strlen(keyword)] == '\0' ||
		    line[4 + strlen(keyword)] == ' '))
			*keyword_seen = true;
		if (c == first && line[3] != '-') {
			*code = c;
			*last = line;
			return 0;
		}
	}
	return failf(n, 0, "a reply of more than 1000 lines, %s", doing);
}

static int
smtp_like(struct negotiation *n, const char *hello)
{
	const char *name = n->q->ehlo_name != NULL ? n->q->ehlo_name :
	    STARTTLS_DEFAULT_EHLO;
	const char *last;
	char cmd[PLAIN_MAX_LINE], what[32];
	bool offered = false;
	int code;

	if (read_reply(n, "the greeting", &code, &last, NULL, NULL) != 0)
		return -1;
	if (code != 220)
		return refused(n, "the connection", last);
	n->r->starttls.name = name;
	n->r->starttls.name_field = hello;
	snprintf(cmd, sizeof(cmd), "%s %s", hello, name);
	snprintf(what, sizeof(what), "the answer to %s", hello);
	if (send_line(n, cmd) != 0 ||
	    read_reply(n, what, &code, &last, "STARTTLS", &offered) != 0)
		return -1;
	if (code != 250)
		return refused(n, hello, last);
	if (send_line(n, "STARTTLS") != 0 ||
	    read_reply(n, "the answer to STARTTLS", &code, &last, NULL, NULL) != 0)
		return -1;
	if (code != 220) {
		char w[512];

		return failf(n, 0, "STARTTLS refused: %s%s", words(last, w,
		    sizeof(w)), offered ? "" :
		    " (its answer to EHLO did not offer STARTTLS)");
	}
	return 0;
}

static int
smtp(struct negotiation *n)
{
	return smtp_like(n, "EHLO");
}

static int
lmtp(struct negotiation *n)
{
	return smtp_like(n, "LHLO");
}

/* FTP (RFC 4217): AUTH TLS, answered 234. */
static int
ftp(struct negotiation *n)
{
	const char *last;
	int code;

	if (read_reply(n, "the greeting", &code, &last, NULL, NULL) != 0)
		return -1;
	/* 120: "ready in N minutes", then the real greeting. */
	if (code == 120 &&
	    read_reply(n, "the greeting", &code, &last, NULL, NULL) != 0)
		return -1;
	if (code != 220)
		return refused(n, "the connection", last);
	if (send_line(n, "AUTH TLS") != 0 ||
	    read_reply(n, "the answer to AUTH TLS", &code, &last, NULL, NULL) != 0)
		return -1;
	if (code != 234)
		return refused(n, "AUTH TLS", last);
	return 0;
}

/* NNTP (RFC 4642): greeting 200 or 201, STARTTLS answered 382. */
static int
nntp(struct negotiation *n)
{
	const char *last;
	int code;

	if (read_reply(n, "the greeting", &code, &last, NULL, NULL) != 0)
		return -1;
	if (code != 200 && code != 201)
		return refused(n, "the connection", last);
	if (send_line(n, "STARTTLS") != 0 ||
	    read_reply(n, "the answer to STARTTLS", &code, &last, NULL, NULL) != 0)
		return -1;
	if (code != 382)
		return refused(n, "STARTTLS", last);
	return 0;
}

/* ---- IMAP, POP3, ManageSieve ------------------------------------------- */

static bool
has_word(const char *line, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = line; (p = strcasestr(p, word)) != NULL; p += len) {
		bool start = p == line || !isalnum((unsigned char)p[-1]);
		bool end = !isalnum((unsigned char)p[len]) && p[len] != '=';

		if (start && end)
			return true;
	}
	return false;
}

/* Read lines until the one tagged `tag`; *offered when an untagged
 * CAPABILITY line lists STARTTLS. */
static int
imap_tagged(struct negotiation *n, const char *tag, const char *waiting,
    const char **last, bool *offered)
{
	char doing[96];
	size_t tlen = strlen(tag);

	snprintf(doing, sizeof(doing), "waiting for %s", waiting);
	for (int i = 0; i < 1000; i++) {
		const char *line;

		if (plain_read_line(&n->io, &line) != 0)
			return io_failed(n, doing);
		if (starts_with_ci(line, "* CAPABILITY") && has_word(line, "STARTTLS"))
			*offered = true;
		if (strncmp(line, tag, tlen) == 0 && line[tlen] == ' ') {
			*last = line;
			return 0;
		}
	}
	return failf(n, 0, "more than 1000 lines, %s", doing);
}

/* IMAP (RFC 3501 §6.2.1). */
static int
imap(struct negotiation *n)
{
	const char *line;
	bool offered = false;

	if (plain_read_line(&n->io, &line) != 0)
		return io_failed(n, "waiting for the greeting");
	if (!starts_with_ci(line, "* OK") && !starts_with_ci(line, "* PREAUTH"))
		return refused(n, "the connection", line);
	offered = has_word(line, "STARTTLS");
	if (send_line(n, "A1 CAPABILITY") != 0 ||
	    imap_tagged(n, "A1", "the answer to CAPABILITY", &line, &offered) != 0)
		return -1;
	if (send_line(n, "A2 STARTTLS") != 0 ||
	    imap_tagged(n, "A2", "the answer to STARTTLS", &line, &offered) != 0)
		return -1;
	if (!starts_with_ci(line, "A2 OK")) {
		char w[512];

		return failf(n, 0, "STARTTLS refused: %s%s", words(line, w,
		    sizeof(w)), offered ? "" :
		    " (its capabilities did not include STARTTLS)");
	}
	return 0;
}

/* POP3 (RFC 2595 §4): STLS. */
static int
pop3(struct negotiation *n)
{
	const char *line;

	if (plain_read_line(&n->io, &line) != 0)
		return io_failed(n, "waiting for the greeting");
	if (strncmp(line, "+OK", 3) != 0)
		return refused(n, "the connection", line);
	if (send_line(n, "STLS") != 0)
		return -1;
	if (plain_read_line(&n->io, &line) != 0)
		return io_failed(n, "waiting for the answer to STLS");
	if (strncmp(line, "+OK", 3) != 0)
		return refused(n, "STLS", line);
	return 0;
}

/* A ManageSieve response line: OK, NO or BYE, then a space, '(' or end. */
static int
sieve_response(const char *line)
{
	static const char *const kw[] = { "OK", "NO", "BYE" };

	for (int i = 0; i < 3; i++) {
		size_t len = strlen(kw[i]);

		if (strncasecmp(line, kw[i], len) == 0 &&
		    (line[len] == '\0' || line[len] == ' ' || line[len] == '('))
			return i;
	}
	return -1;
}

static int
sieve_read(struct negotiation *n, const char *doing, const char **last,
    bool *offered)
{
	for (int i = 0; i < 1000; i++) {
		const char *line;

		if (plain_read_line(&n->io, &line) != 0)
			return io_failed(n, doing);
		if (strncasecmp(line, "\"STARTTLS\"", 10) == 0)
			*offered = true;
		if (sieve_response(line) >= 0) {
			*last = line;
			return 0;
		}
	}
	return failf(n, 0, "more than 1000 lines, %s", doing);
}

/* ManageSieve (RFC 5804 §2.2): the capabilities come unasked, ending in
 * OK; then STARTTLS, answered OK. */
static int
sieve(struct negotiation *n)
{
	const char *line;
	bool offered = false;

	if (sieve_read(n, "waiting for the capability listing", &line,
	    &offered) != 0)
		return -1;
	if (sieve_response(line) != 0)
		return refused(n, "the connection", line);
	if (send_line(n, "STARTTLS") != 0 ||
	    sieve_read(n, "waiting for the answer to STARTTLS", &line,
	    &offered) != 0)
		return -1;
	if (sieve_response(line) != 0) {
		char w[512];

		return failf(n, 0, "STARTTLS refused: %s%s", words(line, w,
		    sizeof(w)), offered ? "" :
		    " (its capabilities did not include STARTTLS)");
	}
	return 0;
}

/* ---- IRC ---------------------------------------------------------------- */

/* IRC (the IRCv3 tls extension): STARTTLS before registration, answered
 * by numeric 670 (RPL_STARTTLS) or 691 (ERR_STARTTLS).  Notices and the
 * like come first on many servers; a PING is answered. */
static int
irc(struct negotiation *n)
{
	if (send_line(n, "STARTTLS") != 0)
		return -1;
	for (int i = 0; i < 1000; i++) {
		const char *line, *cmd;
		char verb[16];
		size_t len;

		if (plain_read_line(&n->io, &line) != 0)
			return io_failed(n, "waiting for the answer to STARTTLS");
		cmd = line;
		if (*cmd == ':') {
			cmd = strchr(cmd, ' ');
			if (cmd == NULL)
				continue;
			cmd++;
		}
		len = strcspn(cmd, " ");
		if (len == 0 || len >= sizeof(verb))
			continue;
		memcpy(verb, cmd, len);
		verb[len] = '\0';
		if (strcasecmp(verb, "PING") == 0) {
			char pong[PLAIN_MAX_LINE];

			snprintf(pong, sizeof(pong), "PONG%s", cmd + len);
			if (send_line(n, pong) != 0)
				return -1;
			continue;
		}
		if (strcmp(verb, "670") == 0)
			return 0;
		if (strcasecmp(verb, "ERROR") == 0 || strcmp(verb, "691") == 0 ||
		    (len == 3 && (verb[0] == '4' || verb[0] == '5') &&
		    reply_code(verb) >= 0))
			return refused(n, "STARTTLS", line);
	}
	return failf(n, 0, "more than 1000 lines without an answer to STARTTLS");
}

/* ---- XMPP --------------------------------------------------------------- */

/* domain escaped for an XML attribute (XML 1.0 §2.4, §3.3.3: the five
 * predefined entities).  The domain has no control byte (cli.c) and at
 * most STARTTLS_NAME_MAX bytes, so out (6 bytes per byte) holds it whole. */
static void
xml_attr(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s != '\0' && o + 7 < len; s++) {
		const char *e = *s == '\'' ? "&apos;" : *s == '<' ? "&lt;" :
		    *s == '&' ? "&amp;" : *s == '>' ? "&gt;" :
		    *s == '"' ? "&quot;" : NULL;

		if (e != NULL)
			o += (size_t)snprintf(out + o, len - o, "%s", e);
		else
			out[o++] = *s;
	}
	out[o] = '\0';
}

/* The part of text from `from` on, for a message. */
static const char *
xml_tail(const char *text, const char *from, char *buf, size_t len)
{
	const char *at = strstr(text, from);

	return words(at != NULL ? at : text, buf, len);
}

/* XMPP (RFC 6120 §5): open the stream, read its features, ask for TLS,
 * expect <proceed/>. */
static int
xmpp_stream(struct negotiation *n, const char *ns)
{
	static const char *const features_end[] = { "</stream:features>",
		"<stream:features/>", "</stream:error>", "</stream:stream>", NULL };
	static const char *const answer_end[] = { "<proceed", "<failure",
		"</stream:error>", "</stream:stream>", NULL };
	static const char *const proceed_end[] = { "</proceed>", NULL };
	static const char starttls_elem[] =
	    "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
	const char *domain = n->q->xmpp_domain != NULL ? n->q->xmpp_domain :
	    n->q->host;
	char attr[STARTTLS_NAME_MAX * 6 + 8], open[sizeof(attr) + 256], w[512];
	const char *text;
	size_t which;

	n->r->starttls.name = domain;
	n->r->starttls.name_field = "to";
	xml_attr(domain, attr, sizeof(attr));
	snprintf(open, sizeof(open), "<?xml version='1.0'?><stream:stream "
	    "xmlns='%s' xmlns:stream='http://etherx.jabber.org/streams' "
	    "to='%s' version='1.0'>", ns, attr);
	if (plain_send(&n->io, open, strlen(open), open) != 0)
		return io_failed(n, "opening the stream");
	if (plain_read_until(&n->io, features_end, &which, &text) != 0)
		return io_failed(n, "waiting for the stream features");
	if (which >= 2)
		return failf(n, 0, "the server ended the stream: %s",
		    xml_tail(text, "<stream:error", w, sizeof(w)));
	if (strstr(text, "<starttls") == NULL)
		return failf(n, 0, "the server offers no STARTTLS in its stream "
		    "features: %s", xml_tail(text, "<stream:features", w, sizeof(w)));
	/* No line end: the server reads XML, and a byte after the element
	 * would be left in front of its TLS handshake. */
	if (plain_send(&n->io, starttls_elem, strlen(starttls_elem),
	    starttls_elem) != 0)
		return io_failed(n, "sending <starttls/>");
	if (plain_read_until(&n->io, answer_end, &which, &text) != 0)
		return io_failed(n, "waiting for the answer to <starttls/>");
	if (which == 1)
		return failf(n, 0, "STARTTLS refused: %s",
		    xml_tail(text, "<failure", w, sizeof(w)));
	if (which >= 2)
		return failf(n, 0, "the server ended the stream: %s",
		    xml_tail(text, "<stream:error", w, sizeof(w)));
	/* <proceed ...></proceed> is rare but valid XML. */
	if (strlen(text) < 2 || strcmp(text + strlen(text) - 2, "/>") != 0) {
		if (plain_read_until(&n->io, proceed_end, &which, &text) != 0)
			return io_failed(n, "waiting for </proceed>");
	}
	return 0;
}

static int
xmpp(struct negotiation *n)
{
	return xmpp_stream(n, "jabber:client");
}

static int
xmpp_server(struct negotiation *n)
{
	return xmpp_stream(n, "jabber:server");
}

/* ---- LDAP --------------------------------------------------------------- */

/* LDAPMessage { messageID 1, extendedReq [APPLICATION 23] { requestName
 * [0] "1.3.6.1.4.1.1466.20037" } } (RFC 4511 §4.14.1), in DER. */
static const unsigned char ldap_starttls_req[] = {
	0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16,
	'1', '.', '3', '.', '6', '.', '1', '.', '4', '.', '1', '.',
	'1', '4', '6', '6', '.', '2', '0', '0', '3', '7',
};

static const char *
ldap_result_name(long code)
{
	switch (code) {
	case 0: return "success";
	case 1: return "operationsError";
	case 2: return "protocolError";
	case 3: return "timeLimitExceeded";
	case 7: return "authMethodNotSupported";
	case 8: return "strongerAuthRequired";
	case 12: return "unavailableCriticalExtension";
	case 13: return "confidentialityRequired";
	case 51: return "busy";
	case 52: return "unavailable";
	case 53: return "unwillingToPerform";
	case 80: return "other";
	default: return "unknown";
	}
}

static long
der_small_int(const struct der *d)
{
	long v = 0;

	if (d->len == 0 || d->len > 4)
		return -1;
	for (size_t i = 0; i < d->len; i++)
		v = v << 8 | d->p[i];
	return v;
}

/* Parse an LDAPMessage carrying an ExtendedResponse; -1 if it is not one. */
static int
ldap_parse(const unsigned char *msg, size_t len, long *id, long *code,
    char *diag, size_t diag_len)
{
	struct der in = { msg, len }, seq, v, resp;

	if (der_expect(&in, TAG_SEQUENCE, &seq) != 0 ||
	    der_expect(&seq, TAG_INTEGER, &v) != 0)
		return -1;
	*id = der_small_int(&v);
	/* extendedResp [APPLICATION 24], constructed */
	if (der_expect(&seq, 0x78, &resp) != 0 ||
	    der_expect(&resp, TAG_ENUMERATED, &v) != 0)
		return -1;
	*code = der_small_int(&v);
	diag[0] = '\0';
	if (der_expect(&resp, TAG_OCTET_STRING, &v) == 0 &&      /* matchedDN */
	    der_expect(&resp, TAG_OCTET_STRING, &v) == 0)        /* diagnosticMessage */
		plain_printable((const char *)v.p, v.len, diag, diag_len);
	return 0;
}

/* LDAP (RFC 4511 §4.14): the StartTLS extended operation. */
static int
ldap(struct negotiation *n)
{
	unsigned char hdr[6], *msg = NULL;
	size_t body, head = 2;
	long id, code;
	char diag[512];
	int rc = -1;

	if (plain_send(&n->io, ldap_starttls_req, sizeof(ldap_starttls_req),
	    "[ExtendedRequest StartTLS 1.3.6.1.4.1.1466.20037, message 1]") != 0)
		return io_failed(n, "sending the StartTLS request");
	if (plain_read_exact(&n->io, hdr, 2) != 0)
		return io_failed(n, "waiting for the StartTLS response");
	if (hdr[0] != TAG_SEQUENCE)
		return failf(n, 0, "not an LDAP message (it starts with 0x%02x)",
		    hdr[0]);
	if (hdr[1] & 0x80) {
		size_t nlen = hdr[1] & 0x7f;

		if (nlen == 0 || nlen > 3)
			return failf(n, 0, "an LDAP message with a bad length");
		if (plain_read_exact(&n->io, hdr + 2, nlen) != 0)
			return io_failed(n, "waiting for the StartTLS response");
		body = 0;
		for (size_t i = 0; i < nlen; i++)
			body = body << 8 | hdr[2 + i];
		head += nlen;
	} else {
		body = hdr[1];
	}
	if (body > PLAIN_MAX_LINE)
		return failf(n, 0, "an LDAP response of %zu bytes, too long for "
		    "a StartTLS answer", body);
	msg = xmalloc(head + body);
	memcpy(msg, hdr, head);
	if (plain_read_exact(&n->io, msg + head, body) != 0) {
		io_failed(n, "waiting for the rest of the StartTLS response");
		goto out;
	}
	if (ldap_parse(msg, head + body, &id, &code, diag, sizeof(diag)) != 0) {
		plain_note(&n->io, true, "[LDAP message, %zu bytes, not an "
		    "ExtendedResponse]", head + body);
		failf(n, 0, "the answer is not an LDAP ExtendedResponse");
		goto out;
	}
	plain_note(&n->io, true, "[ExtendedResponse, message %ld: resultCode "
	    "%ld (%s)%s%s%s]", id, code, ldap_result_name(code),
	    diag[0] ? ", \"" : "", diag, diag[0] ? "\"" : "");
	if (id == 0) {
		/* Notice of Disconnection (RFC 4511 §4.4.1) */
		failf(n, 0, "the server disconnected: resultCode %ld (%s)%s%s",
		    code, ldap_result_name(code), diag[0] ? ": " : "", diag);
		goto out;
	}
	if (code != 0) {
		failf(n, 0, "StartTLS refused: resultCode %ld (%s)%s%s", code,
		    ldap_result_name(code), diag[0] ? ": " : "", diag);
		goto out;
	}
	rc = 0;
out:
	free(msg);
	return rc;
}

/* ---- PostgreSQL --------------------------------------------------------- */

/* PostgreSQL: SSLRequest (length 8, code 80877103), answered by one byte:
 * 'S' go ahead, 'N' no SSL; a server too old for SSLRequest sends an
 * ErrorResponse ('E') instead. */
static int
postgres(struct negotiation *n)
{
	static const unsigned char req[8] = { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f };
	unsigned char answer, len4[4];
	char msg[512] = "";

	if (plain_send(&n->io, req, sizeof(req),
	    "[SSLRequest: 00 00 00 08 04 d2 16 2f]") != 0)
		return io_failed(n, "sending SSLRequest");
	if (plain_read_exact(&n->io, &answer, 1) != 0)
		return io_failed(n, "waiting for the answer to SSLRequest");
	if (answer == 'S') {
		plain_note(&n->io, true, "S [SSL accepted]");
		return 0;
	}
	if (answer == 'N') {
		plain_note(&n->io, true, "N [no SSL]");
		return failf(n, 0, "SSL refused: the server answered 'N' (SSL is "
		    "not enabled on it)");
	}
	if (answer == 'E' && plain_read_exact(&n->io, len4, 4) == 0) {
		size_t len = (size_t)len4[0] << 24 | len4[1] << 16 | len4[2] << 8 |
		    len4[3];
		unsigned char body[1024];

		if (len > 4 && len - 4 <= sizeof(body) &&
		    plain_read_exact(&n->io, body, len - 4) == 0) {
			/* Fields: a type byte and a C string each; 'M' is the
			 * message. */
			for (size_t i = 0; i < len - 4 && body[i] != 0;) {
				size_t flen = strnlen((char *)body + i + 1,
				    len - 4 - i - 1);

				if (body[i] == 'M')
					plain_printable((char *)body + i + 1, flen,
					    msg, sizeof(msg));
				i += flen + 2;
			}
		}
		plain_note(&n->io, true, "E [ErrorResponse%s%s]", msg[0] ? ": " : "",
		    msg);
		return failf(n, 0, "SSLRequest refused with an error%s%s",
		    msg[0] ? ": " : "", msg);
	}
	plain_note(&n->io, true, "[0x%02x]", answer);
	return failf(n, 0, "not a PostgreSQL answer to SSLRequest (0x%02x)",
	    answer);
}

/* ---- MySQL -------------------------------------------------------------- */

#define MYSQL_CLIENT_LONG_PASSWORD     0x00000001u
#define MYSQL_CLIENT_LONG_FLAG         0x00000004u
#define MYSQL_CLIENT_PROTOCOL_41       0x00000200u
#define MYSQL_CLIENT_SSL               0x00000800u
#define MYSQL_CLIENT_TRANSACTIONS      0x00002000u
#define MYSQL_CLIENT_SECURE_CONNECTION 0x00008000u
#define MYSQL_CLIENT_PLUGIN_AUTH       0x00080000u

/* MySQL and MariaDB: the server speaks first (Initial Handshake Packet,
 * protocol 10); when its capabilities include CLIENT_SSL, the client
 * answers with an SSLRequest packet (a HandshakeResponse cut after the
 * character set) and TLS starts. */
/* The server's handshake packet (after its 4-byte header): an ERR
 * packet, or protocol 10 with CLIENT_SSL among its capabilities.  Returns
 * 0 with *caps and *charset, or -1 after failf(). */
static int
mysql_greeting(struct negotiation *n, const unsigned char *pkt, size_t len,
    uint32_t *caps, unsigned *charset)
{
	char version[128] = "?", w[512];
	size_t i;

	if (pkt[0] == 0xff && len >= 3) {
		/* ERR packet: code, optional '#' + SQLSTATE, message */
		unsigned code = pkt[1] | pkt[2] << 8;
		size_t at = len > 9 && pkt[3] == '#' ? 9 : 3;

		plain_printable((const char *)pkt + at, len - at, w, sizeof(w));
		plain_note(&n->io, true, "[ERR packet %u: %s]", code, w);
		return failf(n, 0, "the server refused the connection: error %u: %s",
		    code, w);
	}
	if (pkt[0] != 10) {
		plain_note(&n->io, true, "[packet of %zu bytes, protocol %u]", len,
		    pkt[0]);
		return failf(n, 0, "not a MySQL handshake (protocol version %u, "
		    "not 10)", pkt[0]);
	}
	i = 1 + strnlen((const char *)pkt + 1, len - 1);
	plain_printable((const char *)pkt + 1, i - 1, version, sizeof(version));
	i += 1 + 4 + 8 + 1;             /* NUL, connection id, auth data, filler */
	if (i + 2 > len)
		return failf(n, 0, "a MySQL handshake cut short (%zu bytes)", len);
	/* capabilities (low 16 bits), character set, status, capabilities
	 * (high 16 bits); the tail is optional in old servers */
	*caps = pkt[i] | pkt[i + 1] << 8;
	if (i + 3 <= len)
		*charset = pkt[i + 2];
	if (i + 7 <= len)
		*caps |= (uint32_t)(pkt[i + 5] | pkt[i + 6] << 8) << 16;
	plain_note(&n->io, true, "[handshake: protocol 10, server %s, "
	    "capabilities 0x%08x%s]", version, *caps,
	    *caps & MYSQL_CLIENT_SSL ? ", CLIENT_SSL" : ", no CLIENT_SSL");
	if (!(*caps & MYSQL_CLIENT_SSL))
		return failf(n, 0, "SSL refused: the server (version %s) does not "
		    "offer CLIENT_SSL in its capabilities (0x%08x)", version, *caps);
	return 0;
}

/* The SSLRequest packet: our capabilities, sequence id seq. */
static int
mysql_ssl_request(struct negotiation *n, uint32_t caps, unsigned charset,
    unsigned char seq)
{
	unsigned char req[36] = { 0 };
	char shown[96];
	uint32_t mine = MYSQL_CLIENT_LONG_PASSWORD | MYSQL_CLIENT_LONG_FLAG |
	    MYSQL_CLIENT_PROTOCOL_41 | MYSQL_CLIENT_SSL |
	    MYSQL_CLIENT_TRANSACTIONS | MYSQL_CLIENT_SECURE_CONNECTION |
	    MYSQL_CLIENT_PLUGIN_AUTH;

	mine &= caps | MYSQL_CLIENT_SSL | MYSQL_CLIENT_PROTOCOL_41;
	req[0] = 32;                    /* payload length, 3 bytes LE */
	req[3] = seq;                   /* sequence id */
	for (int b = 0; b < 4; b++)
		req[4 + b] = (unsigned char)(mine >> (8 * b));
	req[8 + 3] = 0x01;              /* max packet 16 MiB (LE) */
	req[12] = (unsigned char)charset;
	/* 23 reserved zero bytes follow */
	snprintf(shown, sizeof(shown), "[SSLRequest: capabilities 0x%08x, "
	    "36 bytes]", mine);
	if (plain_send(&n->io, req, sizeof(req), shown) != 0)
		return io_failed(n, "sending the SSLRequest packet");
	return 0;
}

static int
mysql(struct negotiation *n)
{
	unsigned char hdr[4], *pkt = NULL;
	uint32_t caps = 0;
	size_t len;
	unsigned charset = 0x21;        /* utf8_general_ci */
	int rc = -1;

	if (plain_read_exact(&n->io, hdr, 4) != 0)
		return io_failed(n, "waiting for the server's handshake");
	len = hdr[0] | hdr[1] << 8 | (size_t)hdr[2] << 16;
	if (len == 0 || len > PLAIN_MAX_LINE)
		return failf(n, 0, "not a MySQL handshake packet (length %zu)", len);
	pkt = xmalloc(len + 1);
	if (plain_read_exact(&n->io, pkt, len) != 0) {
		io_failed(n, "waiting for the server's handshake");
		goto out;
	}
	pkt[len] = 0;
	if (mysql_greeting(n, pkt, len, &caps, &charset) == 0)
		rc = mysql_ssl_request(n, caps, charset, (unsigned char)(hdr[3] + 1));
out:
	free(pkt);
	return rc;
}

/* ---- the table ---------------------------------------------------------- */

static const struct starttls_proto protos[] = {
	{ "smtp", 25, "SMTP", smtp, SENDS_EHLO },
	{ "submission", 587, "SMTP", smtp, SENDS_EHLO },
	{ "lmtp", 24, "LMTP", lmtp, SENDS_EHLO },
	{ "imap", 143, "IMAP", imap, SENDS_NOTHING },
	{ "pop3", 110, "POP3", pop3, SENDS_NOTHING },
	{ "ftp", 21, "FTP", ftp, SENDS_NOTHING },
	{ "xmpp", 5222, "XMPP", xmpp, SENDS_DOMAIN },
	{ "xmpp-server", 5269, "XMPP", xmpp_server, SENDS_DOMAIN },
	{ "ldap", 389, "LDAP", ldap, SENDS_NOTHING },
	{ "postgres", 5432, "PostgreSQL", postgres, SENDS_NOTHING },
	{ "mysql", 3306, "MySQL", mysql, SENDS_NOTHING },
	{ "nntp", 119, "NNTP", nntp, SENDS_NOTHING },
	{ "sieve", 4190, "ManageSieve", sieve, SENDS_NOTHING },
	{ "irc", 6667, "IRC", irc, SENDS_NOTHING },
};

#define N_PROTOS (sizeof(protos) / sizeof(protos[0]))

const struct starttls_proto *
starttls_find(const char *name)
{
	if (strcasecmp(name, "postgresql") == 0)
		name = "postgres";
	for (size_t i = 0; i < N_PROTOS; i++)
		if (strcasecmp(protos[i].name, name) == 0)
			return &protos[i];
	return NULL;
}

const struct starttls_proto *
starttls_by_port(uint16_t port)
{
	for (size_t i = 0; i < N_PROTOS; i++)
		if (protos[i].port == port)
			return &protos[i];
	return NULL;
}

const char *
starttls_name(const struct starttls_proto *p)
{
	return p->name;
}

uint16_t
starttls_default_port(const struct starttls_proto *p)
{
	return p->port;
}

bool
starttls_uses_ehlo(const struct starttls_proto *p)
{
	return p->sends == SENDS_EHLO;
}

bool
starttls_uses_domain(const struct starttls_proto *p)
{
	return p->sends == SENDS_DOMAIN;
}

void
starttls_print_names(FILE *f)
{
	for (size_t i = 0; i < N_PROTOS; i++)
		fprintf(f, "%s%s (%u)", i ? ", " : "", protos[i].name, protos[i].port);
}

size_t
starttls_names(char *buf, size_t len)
{
	size_t used = 0;

	if (len > 0)
		buf[0] = '\0';
	for (size_t i = 0; i < N_PROTOS && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    i ? ", " : "", protos[i].name);
	return used;
}

int
starttls_negotiate(const struct starttls_request *q, PRFileDesc *fd,
    struct report *r)
{
	struct negotiation n = { q->proto, q, r, { 0 } };
	int64_t t0 = util_now_us();
	int rc;

	r->phase = PHASE_STARTTLS;
	r->starttls.protocol = q->proto->name;
	r->starttls.by_port = q->by_port;
	plain_init(&n.io, fd, q->timeout_ms, &r->starttls.transcript);
	rc = q->proto->negotiate(&n);
	if (rc == 0 && plain_pending(&n.io) > 0) {
		size_t extra = plain_pending(&n.io);
		unsigned char buf[sizeof(n.io.buf)];

		(void)plain_read_exact(&n.io, buf, extra);
		plain_record(&n.io, true, (const char *)buf, extra);
		rc = failf(&n, 0, "the server sent %zu byte%s after its go-ahead, "
		    "before TLS: a broken server, or commands injected by a man "
		    "in the middle", extra, extra == 1 ? "" : "s");
	}
	r->starttls.ok = rc == 0;
	r->starttls.duration_us = util_now_us() - t0;
	return rc;
}
