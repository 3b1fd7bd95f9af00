/*
 * session: resumption within one run (see session.h).
 */
#include "session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dial.h"
#include "ech.h"
#include "util.h"

/* One more connection to the same server, recorded in *out.  The
 * connection gets a report of its own: a full handshake would run the
 * auth hook, which must not overwrite the first connection's chains. */
static void
reconnect_once(const struct tls_ctx *first, struct verify_ctx *v,
    const unsigned char *early, size_t early_len, struct reconnect_info *out)
{
	const struct nsstls_opts *o = first->opts;
	struct report scratch;
	struct verify_ctx sv = { v->opts, v->nss, &scratch };
	struct tls_ctx t;

	sv.target_id = v->target_id;

	report_init(&scratch, o->target.host, o->port);
	for (size_t i = 0; i < first->report->n_trust; i++)
		report_add_trust(&scratch, first->report->trust[i].name,
		    first->report->trust[i].detail, first->report->trust[i].anchors);
	ech_copy_setup(&scratch, first->report);        /* --ech again */
	dial_ctx_init(&t, o, first->nss, &scratch);
	t.trace_out = first->trace_out;         /* --trace covers every connection */
	t.early = early;
	t.early_len = early_len;
	out->early_data_wanted = early != NULL;
	if (dial_open(&t, &sv) == 0 && tls_handshake(&t) == 0 &&
	    tls_await_tickets(&t) == 0) {
		out->ok = true;
		out->hs = scratch.handshakes[0];
		/* NSS does not say whether a TLS 1.2 resumption used the ticket
		 * or the session id; the first handshake says whether the
		 * server issued a ticket, and NSS prefers it when it has one. */
		if (out->hs.resumed && out->hs.version < 0x0304 &&
		    first->report->n_handshakes > 0)
			out->hs.resumed_by = first->report->handshakes[0].ticket_offered ?
			    "ticket" : "session id";
		out->early_data_sent = t.early_sent;
		if (first->report->n_handshakes > 0)
			out->saved_us = first->report->handshakes[0].duration_us -
			    out->hs.duration_us;
	} else {
		out->error = scratch.error;
		out->problem = xstrdup(scratch.message ? scratch.message : "failed");
		out->exit_code = scratch.exit_code;
		out->phase = scratch.phase;
	}
	if (scratch.connected_index >= 0)
		out->attempt = scratch.attempts[scratch.connected_index];
	else if (scratch.n_attempts > 0)
		out->attempt = scratch.attempts[scratch.n_attempts - 1];
	tls_close(&t);
	report_free(&scratch);
}

int
session_load_early_data(const struct nsstls_opts *o, struct report *r,
    unsigned char **buf, size_t *len)
{
	char *why;

	*buf = NULL;
	*len = 0;
	if (o->early_data == NULL)
		return 0;
	/* Far more than servers take: 0-RTT stops at the ticket's
	 * max_early_data_size (16 KiB with openssl s_server -early_data). */
	if (util_read_file(o->early_data, "--early-data", UTIL_LIMIT_EARLY_DATA,
	    o->timeout_ms, buf, len, &why) != 0) {
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
		    "cannot read --early-data %s: %s", o->early_data, why);
		free(why);
		return -1;
	}
	return 0;
}

int
session_reconnect(struct tls_ctx *t, struct verify_ctx *v,
    const unsigned char *early, size_t early_len)
{
	const struct nsstls_opts *o = t->opts;
	struct report *r = t->report;

	/* A TLS 1.3 session can only be resumed once its ticket came; a
	 * close right after the handshake would lose it. */
	if (tls_await_tickets(t) != 0)
		return -1;
	tls_close(t);

	r->reconnects = xcalloc((size_t)o->reconnect, sizeof(*r->reconnects));
	for (int i = 0; i < o->reconnect; i++)
		reconnect_once(t, v, early, early_len, &r->reconnects[r->n_reconnects++]);
	/* The run succeeded only if every connection did: the first failure
	 * decides the exit status. */
	for (size_t i = 0; i < r->n_reconnects; i++) {
		const struct reconnect_info *c = &r->reconnects[i];

		if (!c->ok) {
			report_fail(r, c->phase, c->error, c->exit_code,
			    "reconnection %zu failed: %s", i + 1, c->problem);
			return -1;
		}
	}
	return 0;
}
