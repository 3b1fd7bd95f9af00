/*
 * server_report: what server mode knows of one connection beyond the
 * connect-mode report model (the peer, the decoded ClientHello and its
 * fingerprints, the client certificate), and the renderers of a
 * server-mode report: text for the report stream, and the JSON document
 * (the connect-mode document with mode "server" and a "server" section).
 */
#ifndef NSSTLS_SERVER_REPORT_H
#define NSSTLS_SERVER_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "clienthello.h"
#include "cli.h"
#include "report.h"

struct server_conn_info {
	char listen[80];         /* "ADDR:PORT" we accepted on */
	char peer[80];           /* "ADDR:PORT" of the client */
	char peer_addr[64];
	uint16_t peer_port;
	enum ch_result hello_result;
	struct clienthello hello;    /* valid when hello_result == CH_OK */
	char ja3[33], ja4[48];
	char ja3_string[4096];
	bool cert_requested;     /* a CertificateRequest was sent */
	bool cert_required;
	bool cert_received;
	bool cert_ok;            /* the client chain verified */
	PRErrorCode cert_error;
	char *cert_subject;      /* of the client certificate, or NULL */
	const char *cert_when;   /* "handshake", "renegotiation", "post-handshake" */
	int64_t hello_us;        /* accept to ClientHello received */
};

void server_conn_info_free(struct server_conn_info *s);

/* The text report of one connection. */
void server_report_text(FILE *f, const struct server_conn_info *s,
    const struct report *r, const struct nsstls_opts *o);

/* The client certificate lines of the text report (what was received,
 * its verification, the findings). */
void server_report_client_cert(FILE *f, const struct server_conn_info *s,
    const struct report *r);

/* The JSON document of one connection, one line.  Returns 0 or -1. */
int server_report_json(FILE *f, const struct server_conn_info *s,
    const struct report *r, const struct nsstls_opts *o);

/* The certificates served, one line each on the report stream after
 * "listening on" (which stays the first line, for scripts): key type,
 * subject, and whether it is sent with the sent[i] - 1 certificates given
 * with it or NSS builds its chain (sent[i] == 0). */
void server_report_certs(FILE *f, const struct cert_info *info,
    const int *sent, size_t n);

/* The "listening on" line: text on stderr always (scripts read it to
 * learn a port 0 choice). */
void server_report_listening(FILE *f, const char *where);

#endif
