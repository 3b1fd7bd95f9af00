/*
 * httpsrr: the ECH configuration a server publishes in DNS, in its HTTPS
 * resource record (RFC 9460, type 65, SvcParamKey 5 "ech").  NSPR resolves
 * addresses only, so the query goes through glibc's res_nquery (libresolv,
 * one resolver state per call: safe in the worker threads of a
 * multi-target run).  The RDATA parser is pure and unit-tested in
 * tests/unit/test-ech.c.
 */
#ifndef NSSTLS_HTTPSRR_H
#define NSSTLS_HTTPSRR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTPSRR_TYPE 65          /* no ns_t_https in Debian 12's headers */
#define HTTPSRR_KEY_ECH 5

/* One HTTPS (or SVCB) record's RDATA.  Pointers point into the RDATA. */
struct https_rr {
	uint16_t priority;       /* 0: AliasMode */
	char target[256];        /* TargetName; "." is the owner name */
	const unsigned char *ech;    /* the ech SvcParam's value, or NULL */
	size_t ech_len;
};

/* Parse RDATA (SvcPriority, TargetName, SvcParams).  Returns 0, or -1
 * with a static message in *err. */
int httpsrr_parse(const unsigned char *rdata, size_t len, struct https_rr *out,
    const char **err);

/* What one DNS answer says: the best ServiceMode record with an ECH config,
 * or an alias to follow, or why there is nothing.  Pointers point into
 * the message. */
struct httpsrr_verdict {
	const unsigned char *ech;
	size_t ech_len;
	unsigned prio;
	char alias[256];
	bool service_seen;
	const char *malformed;
};

/* Read the answer section of the DNS message msgbuf[0..n) (what
 * res_nquery returned).  Returns 0, or -1 if the message cannot be
 * parsed.  Exposed for fuzz/fuzz-dns.c; httpsrr_lookup_ech is the
 * caller. */
int httpsrr_read_answer(const unsigned char *msgbuf, int n,
    struct httpsrr_verdict *v);

/* The name to query for an HTTPS origin: HOST for port 443,
 * _PORT._https.HOST otherwise (RFC 9460 §9.1).  Malloc'd. */
char *httpsrr_query_name(const char *host, uint16_t port);

/* Look up the HTTPS records of name (following AliasMode records a few
 * times) and return the ECHConfigList of the ServiceMode record with the
 * lowest priority that has one, in *list (malloc'd) and *len; *found_at
 * is the owner name of that record (malloc'd).  timeout_ms bounds the
 * query.  Returns 0, or -1 with a malloc'd message in *err. */
int httpsrr_lookup_ech(const char *name, long timeout_ms, unsigned char **list,
    size_t *len, char **found_at, char **err);

#endif
