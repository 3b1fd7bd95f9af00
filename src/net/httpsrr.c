/*
 * httpsrr: ECH configurations from DNS HTTPS records (see httpsrr.h).
 */
#include "httpsrr.h"

#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_ALIAS_HOPS 4         /* RFC 9460 §2.4.2: chains must be bounded */

static int
rd_u16(const unsigned char **p, size_t *left, unsigned *v)
{
	if (*left < 2)
		return -1;
	*v = (unsigned)(*p)[0] << 8 | (*p)[1];
	*p += 2;
	*left -= 2;
	return 0;
}

/* An uncompressed DNS name (RFC 9460 §2.2 forbids compression here) into
 * dotted text; the root is ".". */
static int
rd_name(const unsigned char **p, size_t *left, char *out, size_t outlen)
{
	size_t o = 0;

	for (;;) {
		unsigned n;

		if (*left < 1)
			return -1;
		n = (*p)[0];
		(*p)++;
		(*left)--;
		if (n == 0)
			break;
		if (n > 63 || *left < n || o + n + 2 > outlen)
			return -1;      /* a pointer, a bad label, or too long */
		if (o > 0)
			out[o++] = '.';
		for (unsigned i = 0; i < n; i++) {
			unsigned char c = (*p)[i];

			if (c <= ' ' || c >= 0x7f || c == '.')
				return -1;
			out[o++] = (char)c;
		}
		*p += n;
		*left -= n;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return 0;
}

int
httpsrr_parse(const unsigned char *rdata, size_t len, struct https_rr *out,
    const char **err)
{
	const unsigned char *p = rdata;
	size_t left = len;
	unsigned prio;
	long last_key = -1;

	memset(out, 0, sizeof(*out));
	if (rd_u16(&p, &left, &prio) != 0) {
		*err = "the record is shorter than its SvcPriority";
		return -1;
	}
	out->priority = (uint16_t)prio;
	if (rd_name(&p, &left, out->target, sizeof(out->target)) != 0) {
		*err = "TargetName is not an uncompressed DNS name";
		return -1;
	}
	while (left > 0) {
		unsigned key, vlen;

		if (rd_u16(&p, &left, &key) != 0 || rd_u16(&p, &left, &vlen) != 0 ||
		    left < vlen) {
			*err = "a SvcParam runs past the end of the record";
			return -1;
		}
		/* RFC 9460 §2.2: keys in strictly increasing order, so a
		 * repeated key is malformed too. */
		if ((long)key <= last_key) {
			*err = "SvcParamKeys are not in increasing order";
			return -1;
		}
		last_key = key;
		if (key == HTTPSRR_KEY_ECH) {
			if (vlen == 0) {
				*err = "the ech SvcParam is empty";
				return -1;
			}
			out->ech = p;
			out->ech_len = vlen;
		}
		p += vlen;
		left -= vlen;
	}
	if (out->priority == 0) {
		/* §2.4.2: recipients ignore the SvcParams of an AliasMode
		 * record. */
		out->ech = NULL;
		out->ech_len = 0;
	}
	return 0;
}

char *
httpsrr_query_name(const char *host, uint16_t port)
{
	if (port == 443)
		return xstrdup(host);
	return xasprintf("_%u._https.%s", (unsigned)port, host);
}

static char *
query_failure(const char *name, int herr)
{
	switch (herr) {
	case HOST_NOT_FOUND:
		return xasprintf("%s does not exist in DNS (NXDOMAIN): no HTTPS "
		    "record, no ECH configuration", name);
	case NO_DATA:
		return xasprintf("%s has no HTTPS record, so it publishes no ECH "
		    "configuration", name);
	case TRY_AGAIN:
		return xasprintf("no answer from the DNS resolver for the HTTPS "
		    "record of %s (timeout or server failure)", name);
	default:
		return xasprintf("the DNS lookup of the HTTPS record of %s "
		    "failed (%s)", name, hstrerror(herr));
	}
}

int
httpsrr_read_answer(const unsigned char *msgbuf, int n,
    struct httpsrr_verdict *v)
{
	ns_msg msg;

	memset(v, 0, sizeof(*v));
	if (ns_initparse(msgbuf, n, &msg) != 0)
		return -1;
	for (int i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		struct https_rr rr;
		const char *why;
		ns_rr r;

		if (ns_parserr(&msg, ns_s_an, i, &r) != 0)
			return -1;
		if (ns_rr_type(r) != HTTPSRR_TYPE || ns_rr_class(r) != ns_c_in)
			continue;       /* the CNAMEs on the way */
		/* §2.4.3: one malformed record spoils the whole set. */
		if (httpsrr_parse(ns_rr_rdata(r), ns_rr_rdlen(r), &rr, &why) != 0) {
			v->malformed = why;
			return 0;
		}
		if (rr.priority == 0) {
			memcpy(v->alias, rr.target, sizeof(v->alias));
			continue;
		}
		v->service_seen = true;
		if (rr.ech != NULL && (v->ech == NULL || rr.priority < v->prio)) {
			v->ech = rr.ech;
			v->ech_len = rr.ech_len;
			v->prio = rr.priority;
		}
	}
	return 0;
}

/* What one name's answer says: 0 an ECH configuration (in v), 1 an alias
 * to follow (v->alias), -1 no configuration (the reason in *err). */
static int
answer_outcome(const struct httpsrr_verdict *v, const char *qname, char **err)
{
	if (v->malformed != NULL)
		*err = xasprintf("the HTTPS record of %s is malformed: %s", qname,
		    v->malformed);
	else if (v->ech != NULL)
		return 0;
	else if (v->service_seen)
		*err = xasprintf("the HTTPS record of %s has no ech parameter: the "
		    "server publishes no ECH configuration", qname);
	else if (v->alias[0] == '\0')
		*err = xasprintf("%s has no HTTPS record, so it publishes no ECH "
		    "configuration", qname);
	else if (strcmp(v->alias, ".") == 0)
		*err = xasprintf("the HTTPS record of %s says the service is not "
		    "available (AliasMode to \".\")", qname);
	else
		return 1;
	return -1;
}

int
httpsrr_lookup_ech(const char *name, long timeout_ms, unsigned char **list,
    size_t *len, char **found_at, char **err)
{
	struct __res_state st;
	unsigned char *buf = xmalloc(NS_MAXMSG);
	char *qname = xstrdup(name);
	int rc = -1;
	int64_t deadline;

	*list = NULL;
	*found_at = NULL;
	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) != 0) {
		*err = xstrdup("cannot initialise the DNS resolver (/etc/resolv.conf)");
		free(buf);
		free(qname);
		return -1;
	}
	/* The resolver's defaults (5 s, 2 tries per server) would outlast
	 * --connect-timeout, which bounds resolution: the whole budget is
	 * shared by the servers it may ask in turn (retrans is per server),
	 * and by the alias hops, which stop when it is spent. */
	deadline = util_now_us() + (int64_t)timeout_ms * 1000;
	{
		long per = timeout_ms / (st.nscount > 0 ? st.nscount : 1);

		st.retrans = per < 1000 ? 1 : (int)(per / 1000);
	}
	st.retry = 1;
	for (int hop = 0; hop <= MAX_ALIAS_HOPS; hop++) {
		struct httpsrr_verdict v;
		int n, next;

		if (hop > 0 && util_now_us() >= deadline) {
			*err = xasprintf("no answer for %s within %ld ms", qname,
			    timeout_ms);
			goto out;
		}
		n = res_nquery(&st, qname, ns_c_in, HTTPSRR_TYPE, buf, NS_MAXMSG);

		if (n < 0) {
			*err = query_failure(qname, st.res_h_errno);
			goto out;
		}
		if (httpsrr_read_answer(buf, n, &v) != 0) {
			*err = xasprintf("the DNS answer for %s cannot be parsed", qname);
			goto out;
		}
		if ((next = answer_outcome(&v, qname, err)) < 0)
			goto out;
		if (next == 0) {
			*list = xmalloc(v.ech_len);
			memcpy(*list, v.ech, v.ech_len);
			*len = v.ech_len;
			*found_at = qname;
			qname = NULL;
			rc = 0;
			goto out;
		}
		free(qname);
		qname = xstrdup(v.alias);
	}
	*err = xasprintf("more than %d HTTPS AliasMode records in a row from %s",
	    MAX_ALIAS_HOPS, name);
out:
	res_nclose(&st);
	free(buf);
	free(qname);
	return rc;
}
