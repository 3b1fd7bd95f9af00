/*
 * tls: the model socket that carries every TLS setting, the import of a
 * connected TCP socket, the handshake driver with its timeout, and the
 * post-handshake actions (renegotiation, key update).  The handshake
 * callback records each completed handshake in the report.
 */
#ifndef NSSTLS_TLS_H
#define NSSTLS_TLS_H

#include <stdbool.h>
#include <stdio.h>

#include <prio.h>
#include <sslt.h>

#include "cli.h"
#include "clientauth.h"
#include "report.h"
#include "verify.h"

struct keylog;
struct trace;

struct tls_ctx {
	const struct nsstls_opts *opts;
	struct report *report;
	struct nss_ctx *nss;
	struct clientauth_hook client_auth;  /* the client-auth hook's argument */
	PRFileDesc *model;           /* shared, borrowed from nss_ctx */
	PRFileDesc *fd;              /* the connection, after tls_import */
	int64_t hs_start_us;
	size_t handshakes_done;      /* handshake callbacks seen */
	bool renegotiating;
	bool refused;                /* no_renegotiation alert received */
	FILE *trace_out;             /* --trace lines go here; NULL: none */
	struct trace *trace;         /* the layer under SSL, while fd is open */
	struct keylog *keylog;       /* --keylog, this connection's; or NULL */
	int (*ask_cert)(void *arg);  /* server mode: ~C asks the client for a
	                              * certificate (server.c); or NULL */
	void *ask_cert_arg;
	const unsigned char *early;  /* --early-data to send as 0-RTT, or NULL */
	size_t early_len;
	size_t early_sent;
};

/* Build the model socket, once per process, from the options.  Returns
 * it, or NULL after report_fail(PHASE_SETUP). */
PRFileDesc *tls_model_create(const struct nsstls_opts *o, struct report *r);

/* Copy what SSLChannelInfo says of a finished handshake into h (both
 * sides: connect and server mode). */
void tls_channel_facts(struct handshake_info *h, const SSLChannelInfo *ch);

/* Close a model socket made by tls_model_create (NULL is fine); NSS cannot
 * shut down while one is open. */
void tls_model_destroy(PRFileDesc *model);

/* Put SSL on top of a connected TCP socket (taking ownership of it) with
 * the model's settings, install this connection's hooks, set the SNI and
 * prepare the client handshake.  Returns 0 or -1. */
int tls_import(struct tls_ctx *t, PRFileDesc *tcp, struct verify_ctx *v);

/* Drive the handshake until done or o->timeout_ms.  Returns 0, or -1
 * after report_fail() with exit 5 (handshake) or 6 (verification). */
int tls_handshake(struct tls_ctx *t);

/* TLS 1.3 lets the client finish its handshake before the server has
 * judged the client certificate; when the server asked for one, wait
 * (briefly, bounded) for its verdict: a ticket or data means accepted, an
 * alert means rejected.  Returns 0, or -1 after report_fail() (exit 5). */
int tls_await_client_verdict(struct tls_ctx *t);

/* TLS 1.3 tickets come after the handshake: before a --reconnect, wait
 * (bounded) for them.  Returns 0, or -1 after report_fail() if the server
 * sent an alert instead. */
int tls_await_tickets(struct tls_ctx *t);

/* One renegotiation (TLS 1.2).  Returns 0 or -1 after report_fail(). */
int tls_renegotiate(struct tls_ctx *t);

/* Send a TLS 1.3 KeyUpdate.  Returns 0 or -1 after report_fail(). */
int tls_key_update(struct tls_ctx *t, bool request);

/* Close the connection (close_notify, no waiting). */
void tls_close(struct tls_ctx *t);

#endif
