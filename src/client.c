/*
 * client: connect mode (see client.h).
 */
#include "client.h"

#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "io.h"
#include "out.h"
#include "out_text.h"
#include "tls.h"
#include "verify.h"

static int
post_handshake(struct tls_ctx *t)
{
	const struct nsstls_opts *o = t->opts;

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
	struct tls_ctx t = { 0 };
	PRFileDesc *tcp;
	bool reported = false;   /* the text report is out */

	t.opts = o;
	t.report = r;
	t.nss = nss;
	r->servername = o->servername;
	r->verify_name = o->verify_name;

	t.client_auth.cred = nss->cred;
	t.client_auth.report = r;
	t.model = nss->model;
	tcp = conn_open(o, o->target.host, o->port, r);
	if (tcp == NULL)
		goto out;
	if (tls_import(&t, tcp, &v) != 0 || tls_handshake(&t) != 0 ||
	    tls_await_client_verdict(&t) != 0)
		goto out;
	if (post_handshake(&t) != 0)
		goto out;

	if (!o->json && !o->check) {
		out_text_report(err, r, o);
		reported = true;
	}
	if (out_write_chains(o, r) != 0)
		goto out;
	/* --json and --check report on the connection, and a multi-target
	 * run has no stdin to give each: no data phase. */
	if (o->no_data || o->json || o->check || o->multi) {
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
	return out_finish(r, o, reported, out, err);
}
