/*
 * exporter: keying material exporters (RFC 5705 for TLS 1.2, RFC 8446
 * §7.5 for TLS 1.3) for --export-keying-material LABEL[:LEN[:CONTEXT]]:
 * parsing the option and computing each value once the first handshake is
 * complete, into the report.
 */
#ifndef NSSTLS_EXPORTER_H
#define NSSTLS_EXPORTER_H

#include <stddef.h>

#include <prio.h>

#include "report.h"

#define EXPORTER_DEFAULT_LEN 32
#define EXPORTER_MAX_LEN 1024
#define EXPORTER_MAX 16          /* --export-keying-material given at most */

/* One --export-keying-material LABEL[:LEN[:CONTEXT]]. */
struct exporter_req {
	char *label;
	unsigned len;
	char *context;        /* NULL: no context ("" is an empty one) */
	size_t context_len;
};

/* Parse LABEL[:LEN[:CONTEXT]] into *out (its strings malloc'd; free with
 * exporter_req_free).  LEN empty or absent: 32.  CONTEXT is the rest of
 * the argument, colons included; "LABEL:LEN:" is an empty context, which
 * differs from none.  Returns 0, or -1 with a static message in *err. */
int exporter_parse(const char *arg, struct exporter_req *out, const char **err);
void exporter_req_free(struct exporter_req *e);

/* Compute every requested value on the connection.  Returns 0, or -1
 * after report_fail() (exit 5). */
int exporter_run(PRFileDesc *fd, const struct exporter_req *reqs, size_t n,
    struct report *r);

#endif
