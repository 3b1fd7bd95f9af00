/*
 * dial: reach the server and start TLS (see dial.h).
 */
#include "dial.h"

#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "tls.h"
#include "verify.h"

void
dial_ctx_init(struct tls_ctx *t, const struct nsstls_opts *o,
    struct nss_ctx *nss, struct report *r)
{
	memset(t, 0, sizeof(*t));
	t->opts = o;
	t->report = r;
	t->nss = nss;
	t->client_auth.cred = nss->cred;
	t->client_auth.report = r;
	t->model = nss->model;
}

void
dial_proxy_request(const struct nsstls_opts *o, struct proxy_request *q)
{
	*q = (struct proxy_request){ o->proxy, o->proxy_user,
	    o->no_proxy_env != 0, o->target.host, o->port, o->timeout_ms };
}

void
dial_starttls_request(const struct nsstls_opts *o, struct starttls_request *q)
{
	*q = (struct starttls_request){ o->starttls, o->starttls_auto != 0,
	    o->starttls_name, o->xmpp_domain, o->target.host, o->timeout_ms };
}

/* TCP to the chosen proxy and a CONNECT tunnel to the target. */
static PRFileDesc *
through_proxy(const struct nsstls_opts *o, const struct proxy_request *q,
    const struct proxy_spec *p, struct report *r)
{
	PRFileDesc *fd = conn_open(o, p->host, p->port, r);

	if (fd == NULL) {
		/* conn_open's words name a host and port: say it is the
		 * proxy's. */
		char *m = r->message;

		r->message = NULL;
		report_fail(r, r->phase, r->error, r->exit_code, "cannot reach the "
		    "proxy (from %s): %s", r->proxy.source, m ? m : "failed");
		free(m);
		return NULL;
	}
	if (proxy_tunnel(q, p, fd, r) != 0) {
		PR_Close(fd);
		return NULL;
	}
	return fd;
}

PRFileDesc *
dial_reach(const struct nsstls_opts *o, struct report *r)
{
	struct proxy_request pq;
	struct starttls_request sq;
	struct proxy_spec proxy;
	PRFileDesc *tcp = NULL;

	dial_proxy_request(o, &pq);
	dial_starttls_request(o, &sq);
	if (proxy_select(&pq, r, &proxy) != 0)
		goto out;
	tcp = r->proxy.used ? through_proxy(o, &pq, &proxy, r) :
	    conn_open(o, o->target.host, o->port, r);
	if (tcp != NULL && o->starttls != NULL &&
	    starttls_negotiate(&sq, tcp, r) != 0) {
		PR_Close(tcp);
		tcp = NULL;
	}
out:
	proxy_spec_free(&proxy);
	return tcp;
}

int
dial_open(struct tls_ctx *t, struct verify_ctx *v)
{
	PRFileDesc *tcp = dial_reach(t->opts, t->report);

	if (tcp == NULL)
		return -1;
	return tls_import(t, tcp, v);
}
