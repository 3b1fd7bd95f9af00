/*
 * scan_probe: one probe of --scan.  An NSS probe is a full handshake
 * through the normal client path (reach: proxy, STARTTLS; tls: model,
 * hooks, verification) with what it offers pinned — versions, suites,
 * groups, signature schemes, ALPN — and records what the server chose.
 * A raw probe sends a hand-built ClientHello (rawhello.c) over the same
 * reach and reads the first answer only.  Both retry, with a growing
 * back-off, when the server refuses the TCP connection: a refusal is
 * never taken for "not supported".
 */
#ifndef NSSTLS_SCAN_PROBE_H
#define NSSTLS_SCAN_PROBE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <sslt.h>

#include "cli.h"
#include "nssinit.h"
#include "rawhello.h"
#include "report.h"

/* What one scan shares between its probes (and threads). */
struct scan_ctx {
	const struct nsstls_opts *o;
	struct nss_ctx *nss;
	const struct report *setup;      /* the trust sources loaded */
	const struct report *ech;        /* --ech's configs (ech_prepare), or
	                                  * NULL */
	pthread_mutex_t lock;
	unsigned connections;    /* TCP connections opened */
	unsigned refusals;       /* of which refused (retried) */
	unsigned lost;           /* probes that never got an answer */
	bool progress;           /* a progress line on stderr */
	FILE *err;
};

enum probe_outcome {
	PROBE_ACCEPTED,          /* handshake done / ServerHello read */
	PROBE_REFUSED,           /* the server said no (alert, close) */
	PROBE_LOST,              /* no answer: unreachable, timeout */
};

struct probe {
	/* what to offer */
	uint16_t vmin, vmax;
	const uint16_t *suites;          /* NULL: every suite NSS implements */
	size_t n_suites;
	bool in_given_order;             /* offer suites in this order */
	const SSLNamedGroup *groups;     /* NULL: every group NSS has */
	size_t n_groups;
	const SSLSignatureScheme *sigalgs;   /* NULL: every scheme NSS has */
	size_t n_sigalgs;
	char **alpn;                     /* NULL-terminated, or NULL */
	size_t n_alpn;
	bool fallback_scsv;
	bool no_sni;
	bool no_tickets;
	bool renegotiate;                /* then try one renegotiation */
	unsigned long session;           /* non-zero: keep sessions under it */
	bool await_tickets;              /* TLS 1.3: wait for tickets */
	bool keep_report;                /* hand the report over (certs) */
	bool read_tickets;               /* TLS 1.3: read each ticket's terms */
	bool ech;                        /* offer ECH with ctx->ech's configs */
	const uint8_t *token;            /* resume this ticket (a read_tickets
	                                  * token), or NULL */
	unsigned token_len;
	const unsigned char *early;      /* with token: send as 0-RTT data */
	size_t early_len;

	/* what happened */
	enum probe_outcome outcome;
	struct handshake_info hs;
	PRErrorCode error;
	bool secure_reneg;               /* renegotiation_info negotiated */
	bool renegotiated;
	bool ech_accepted;               /* the server decrypted the inner hello */
	bool got_ticket;                 /* read_tickets: a ticket came */
	uint32_t max_early_data;         /* the largest 0-RTT a ticket allows */
	uint8_t *ticket;                 /* read_tickets: that ticket's token
	                                  * (the caller frees) */
	unsigned ticket_len;
	size_t early_sent;               /* bytes of early sent as 0-RTT */
	struct report *report;           /* keep_report: the caller frees */
};

/* One NSS handshake.  Returns p->outcome. */
enum probe_outcome scan_probe_tls(struct scan_ctx *s, struct probe *p);

/* One hand-built ClientHello.  Returns the outcome; *a holds the
 * answer when accepted (or the alert when refused with one). */
enum probe_outcome scan_probe_raw(struct scan_ctx *s,
    struct rawhello_spec *spec, struct rawhello_answer *a);

/* A fresh session-cache ID for a pair of resumption probes. */
unsigned long scan_probe_session_id(void);

#endif
