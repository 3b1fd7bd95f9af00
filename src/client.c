/*
 * client: connect mode (see client.h).
 */
#include "client.h"

#include <stdio.h>
#include <string.h>

#include "dial.h"
#include "ech.h"
#include "exporter.h"
#include "io.h"
#include "out.h"
#include "session.h"
#include "out_text.h"
#include "tls.h"
#include "verify.h"

static int
post_handshake(struct tls_ctx *t)
{
	const struct nsstls_opts *o = t->opts;

	/* Exported from the first handshake: a renegotiation changes them. */
	if (exporter_run(t->fd, o->exporters, o->n_exporters, t->report) != 0)
		return -1;
	for (int i = 0; i < o->renegotiate; i++)
		if (tls_renegotiate(t) != 0)
			return -1;
	if (o->key_update != KEY_UPDATE_NONE &&
	    tls_key_update(t, o->key_update == KEY_UPDATE_REQUEST) != 0)
		return -1;
	return 0;
}

int
client_run(const struct nsstls_opts *o, struct nss_ctx *nss, struct report *r,
    FILE *out, FILE *err)
{
	struct verify_ctx v = { o, nss, r };
	struct tls_ctx t;
	bool reported = false;   /* the text report is out */
	unsigned char *early = NULL;
	size_t early_len = 0;

	static unsigned long next_target_id;

	r->servername = o->servername;
	r->allow_weak = o->allow_weak;
	v.target_id = __atomic_add_fetch(&next_target_id, 1, __ATOMIC_RELAXED);
	r->verify_name = o->verify_name;
	dial_ctx_init(&t, o, nss, r);
	t.trace_out = err;      /* multi.c gives each target its own stream */
	r->keylog.file = o->keylog;
	if (session_load_early_data(o, r, &early, &early_len) != 0)
		goto out;
	/* --ech auto asks DNS before anything connects. */
	if (ech_prepare(o, r) != 0)
		goto out;
	if (dial_open(&t, &v) != 0 || tls_handshake(&t) != 0 ||
	    tls_await_client_verdict(&t) != 0)
		goto out;
	if (post_handshake(&t) != 0)
		goto out;
	/* --reconnect: the same server again, resuming (no data phase). */
	if (o->reconnect > 0 && session_reconnect(&t, &v, early, early_len) != 0)
		goto out;

	if (!o->json && !o->check) {
		out_text_report(err, r, o);
		reported = true;
	}
	if (out_write_chains(o, r) != 0)
		goto out;
	/* --json and --check report on the connection, and a multi-target
	 * run has no stdin to give each: no data phase. */
	if (o->no_data || o->json || o->check || o->multi || o->reconnect > 0) {
		r->phase = PHASE_DONE;
		goto out;
	}
	if (io_run(&t) == 0)
		out_text_session_end(err, r, o);
out:
	/* A failed verification is when the chain is most wanted. */
	if (r->exit_code != NSSTLS_EXIT_OK && r->n_sent > 0)
		(void)out_write_chains(o, r);
	tls_close(&t);
	free(early);
	return out_finish(r, o, reported, out, err);
}
