/*
 * proxy: which HTTP proxy to go through (--proxy, else https_proxy or
 * all_proxy from the environment unless no_proxy names the target, as
 * curl reads them), the connection to it and the CONNECT request that
 * turns it into a tunnel to the target.  Records its facts in
 * report->proxy.
 */
#ifndef NSSTLS_PROXY_H
#define NSSTLS_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include <prio.h>

#include "report.h"

#define PROXY_DEFAULT_PORT 1080      /* curl's, when a proxy names none */

/* A proxy as written: "HOST:PORT", "HOST", "[v6]:PORT", optionally as
 * "http://[USER[:PASS]@]HOST[:PORT][/]". */
struct proxy_spec {
	char *host;
	uint16_t port;
	char *user;          /* from the URL, percent-decoded, or NULL */
	char *pass;
};

/* Parse s into *out.  Returns 0, or -1 with a static message in *err. */
int proxy_parse(const char *s, struct proxy_spec *out, const char **err);
void proxy_spec_free(struct proxy_spec *p);

/* Does the no_proxy list (curl's syntax: "*", or names and addresses
 * separated by commas; a name matches itself and its subdomains, a leading
 * dot is ignored; addresses match exactly or by CIDR) name host?  *entry
 * gets a copy of the entry that matched. */
bool proxy_no_proxy_match(const char *list, const char *host, char **entry);

/* What the choice and the tunnel need from the options (dial.c). */
struct proxy_request {
	const char *proxy;              /* --proxy, or NULL: the environment */
	const char *user;               /* --proxy-user USER[:PASS], or NULL */
	bool no_env;                    /* --no-proxy-env */
	const char *host;               /* the target */
	uint16_t port;
	long timeout_ms;                /* each read of the answer */
};

/* Choose the proxy for q's target into *chosen (with the credentials to
 * send: --proxy-user, else the URL's) and record the choice in r->proxy;
 * r->proxy.used says whether the connection goes through it.  Free
 * *chosen with proxy_spec_free whatever the result.  Returns 0, or -1
 * after report_fail (an unusable proxy variable: exit 2). */
int proxy_select(const struct proxy_request *q, struct report *r,
    struct proxy_spec *chosen);

/* The CONNECT dialogue on fd, connected to proxy p: send the request,
 * read and check the answer.  Returns 0 when the tunnel is open, or -1
 * after report_fail; the bytes read past the answer stay readable on fd
 * (readahead.c). */
int proxy_tunnel(const struct proxy_request *q, const struct proxy_spec *p,
    PRFileDesc *fd, struct report *r);

#endif
