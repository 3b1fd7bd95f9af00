/*
 * starttls: the table of protocols that upgrade a plaintext connection to
 * TLS ({name, default port, negotiator}), and the negotiators: each one a
 * small state machine over the connected plain socket, bounded by
 * --timeout, that records the dialogue in the report.  TLS starts on the
 * same socket when it returns.
 */
#ifndef NSSTLS_STARTTLS_H
#define NSSTLS_STARTTLS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <prio.h>

#include "report.h"

/* The EHLO/LHLO name when --starttls-name is not given: openssl
 * s_client's, so transcripts compare; it discloses nothing about this
 * host and is a syntactically valid domain (Postfix's
 * reject_non_fqdn_helo_hostname accepts it). */
#define STARTTLS_DEFAULT_EHLO "mail.example.com"
/* The longest EHLO/LHLO name or XMPP domain sent: a DNS name's 253 bytes,
 * with room for a final dot (checked by cli.c). */
#define STARTTLS_NAME_MAX 255

struct starttls_proto;

/* The protocol named name ("smtp", ...), or NULL. */
const struct starttls_proto *starttls_find(const char *name);

/* The protocol whose default port is port (--starttls auto), or NULL. */
const struct starttls_proto *starttls_by_port(uint16_t port);

const char *starttls_name(const struct starttls_proto *p);

/* The protocol names, ", " between them, into buf (for --help: the table
 * is the one list).  Returns the length it needed. */
size_t starttls_names(char *buf, size_t len);
uint16_t starttls_default_port(const struct starttls_proto *p);

/* Does the protocol send a client name (EHLO/LHLO) or a domain (XMPP)? */
bool starttls_uses_ehlo(const struct starttls_proto *p);
bool starttls_uses_domain(const struct starttls_proto *p);

/* "smtp (25), submission (587), ..." for messages and --help. */
void starttls_print_names(FILE *f);

/* What a dialogue needs from the options (dial.c fills it). */
struct starttls_request {
	const struct starttls_proto *proto;
	bool by_port;                   /* chosen by --starttls auto */
	const char *ehlo_name;          /* NULL: STARTTLS_DEFAULT_EHLO */
	const char *xmpp_domain;        /* NULL: host */
	const char *host;               /* the target */
	long timeout_ms;                /* each read */
};

/* Run q->proto's dialogue on the connected plain socket fd.  Returns 0
 * when the server is ready for TLS, or -1 after report_fail(PHASE_STARTTLS,
 * exit 4) with the server's words in the message. */
int starttls_negotiate(const struct starttls_request *q, PRFileDesc *fd,
    struct report *r);

#endif
