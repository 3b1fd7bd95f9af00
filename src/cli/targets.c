/*
 * targets: the HOST[:PORT] arguments, and what each one makes of the
 * options — the port, the STARTTLS protocol by port (--starttls auto), the
 * server name sent (SNI) and the name verified.  Used once for a single
 * target and per target by multi.c (cli_target_opts).
 */
#include "optable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "starttls.h"

void
targets_add(struct nsstls_opts *o, const char *arg)
{
	o->targets = xrealloc(o->targets, (o->n_targets + 2) * sizeof(char *));
	o->targets[o->n_targets++] = xstrdup(arg);
	o->targets[o->n_targets] = NULL;
}

/* The server name a target sends (its host, unless --servername or
 * --no-sni say otherwise) must fit in SNI; NULL when it does. */
static const char *
sni_problem(const struct nsstls_opts *o, const struct target *t)
{
	if (o->servername_opt == NULL && !o->no_sni && !t->ip_literal &&
	    strlen(t->host) > NAME_MAX_LEN)
		return "the host name is longer than 255 bytes, more than a server "
		    "name (SNI) can hold";
	return NULL;
}

int
targets_check(const struct nsstls_opts *o, const char *arg)
{
	struct target t;
	const char *err;
	uint16_t port;
	int rc = -1;

	if (util_parse_target(arg, &t, &err) != 0 ||
	    (err = sni_problem(o, &t)) != NULL) {
		cli_errorf("nsstls: bad target '%s': %s", arg, err);
		fputc('\n', stderr);
		goto out;
	}
	port = o->port_opt ? o->port_opt : t.port;
	if (o->starttls_auto && port == 0) {
		cli_usage_error("--starttls auto needs a port: '%s' has none "
		    "(HOST:PORT or --port)", arg);
		goto out;
	}
	if (o->starttls_auto && starttls_by_port(port) == NULL) {
		cli_usage_error("--starttls auto: no STARTTLS protocol has port %u "
		    "(name one with --starttls PROTO)", port);
		goto out;
	}
	rc = 0;
out:
	util_target_free(&t);
	return rc;
}

/* Derive target, port, SNI and the verified name from one HOST[:PORT]. */
static int
set_target(struct nsstls_opts *o, const char *arg, const char **err)
{
	if (util_parse_target(arg, &o->target, err) != 0)
		return -1;
	if ((*err = sni_problem(o, &o->target)) != NULL)
		return -1;
	/* --starttls auto: the port names the protocol; otherwise, without
	 * a port, the protocol names the port. */
	if (o->starttls_auto) {
		uint16_t port = o->port_opt ? o->port_opt : o->target.port;

		o->starttls = starttls_by_port(port);
		if (o->starttls == NULL) {
			*err = port == 0 ? "--starttls auto needs a port" :
			    "--starttls auto: no STARTTLS protocol has this port";
			return -1;
		}
	}
	o->port = o->port_opt ? o->port_opt : o->target.port ? o->target.port :
	    o->starttls != NULL ? starttls_default_port(o->starttls) : 443;
	/* SNI names a host, never an address (RFC 6066 §3). */
	if (o->servername_opt != NULL)
		o->servername = xstrdup(o->servername_opt);
	else if (!o->no_sni && !o->target.ip_literal)
		o->servername = xstrdup(o->target.host);
	else
		o->servername = NULL;
	o->verify_name = xstrdup(o->verify_name_opt != NULL ? o->verify_name_opt :
	    o->target.host);
	return 0;
}

int
targets_set(struct nsstls_opts *o, const char *arg)
{
	const char *err;

	if (set_target(o, arg, &err) == 0)
		return 0;
	cli_errorf("nsstls: bad target '%s': %s", arg, err);
	fputc('\n', stderr);
	return -1;
}

int
cli_target_opts(const struct nsstls_opts *base, const char *arg,
    struct nsstls_opts *out, const char **err)
{
	*out = *base;
	memset(&out->target, 0, sizeof(out->target));
	out->servername = NULL;
	out->verify_name = NULL;
	if (set_target(out, arg, err) != 0) {
		cli_target_free(out);
		return -1;
	}
	return 0;
}

void
cli_target_free(struct nsstls_opts *t)
{
	util_target_free(&t->target);
	free(t->servername);
	free(t->verify_name);
	t->servername = t->verify_name = NULL;
}
