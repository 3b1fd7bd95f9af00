/*
 * client: connect mode (see client.h).
 */
#include "client.h"

#include <stdio.h>

#include "conn.h"
#include "io.h"
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

enum nsstls_exit
client_run(const struct nsstls_opts *o, struct nss_ctx *nss, struct report *r)
{
	struct verify_ctx v = { o, nss, r };
	struct tls_ctx t = { 0 };
	PRFileDesc *tcp;
	bool reported = false;

	t.opts = o;
	t.report = r;
	t.nss = nss;
	r->servername = o->servername;
	r->verify_name = o->verify_name;

	if (tls_model_new(&t, &v) != 0)
		goto out;
	tcp = conn_open(o, r);
	if (tcp == NULL)
		goto out;
	if (tls_import(&t, tcp) != 0 || tls_handshake(&t) != 0)
		goto out;
	if (post_handshake(&t) != 0)
		goto out;

	out_text_report(stderr, r, o);
	reported = true;
	if (o->showcerts && out_text_pem_chain(stdout, r) != 0) {
		report_fail(r, PHASE_DONE, 0, NSSTLS_EXIT_IO,
		    "cannot write the certificates to stdout");
		goto out;
	}
	if (o->no_data) {
		r->phase = PHASE_DONE;
		goto out;
	}
	if (io_run(&t) == 0)
		out_text_session_end(stderr, r, o);
out:
	if (!reported)
		out_text_report(stderr, r, o);
	out_text_error(stderr, r);
	tls_close(&t);
	return r->exit_code;
}
