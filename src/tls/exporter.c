/*
 * exporter: keying material exporters (see exporter.h).
 *
 * RFC 5705 gives "no context" and "an empty context" different values in
 * TLS 1.2, while TLS 1.3 (RFC 8446 §7.5) defines no context as the empty
 * one.  The option and the report keep them apart; NSS's
 * SSL_ExportKeyingMaterial has hasContext for that, but refuses a context
 * of zero bytes.
 */
#include "exporter.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <secerr.h>
#include <ssl.h>
#include <sslproto.h>

#include "names.h"
#include "util.h"

int
exporter_parse(const char *arg, struct exporter_req *out, const char **err)
{
	const char *colon = strchr(arg, ':'), *len_end;
	size_t label_len = colon ? (size_t)(colon - arg) : strlen(arg);

	memset(out, 0, sizeof(*out));
	if (label_len == 0) {
		*err = "the label is empty";
		return -1;
	}
	out->len = EXPORTER_DEFAULT_LEN;
	if (colon != NULL) {
		const char *l = colon + 1;

		len_end = strchr(l, ':');
		if (len_end == NULL)
			len_end = l + strlen(l);
		if (len_end > l) {
			unsigned long n = 0;

			for (const char *p = l; p < len_end; p++) {
				if (*p < '0' || *p > '9' || n > EXPORTER_MAX_LEN) {
					*err = "LEN is not a number of bytes from 1 to 1024";
					return -1;
				}
				n = n * 10 + (unsigned long)(*p - '0');
			}
			if (n < 1 || n > EXPORTER_MAX_LEN) {
				*err = "LEN is not a number of bytes from 1 to 1024";
				return -1;
			}
			out->len = (unsigned)n;
		}
		if (*len_end == ':') {
			out->context = xstrdup(len_end + 1);
			out->context_len = strlen(out->context);
		}
	}
	out->label = xstrndup(arg, label_len);
	return 0;
}

void
exporter_req_free(struct exporter_req *e)
{
	free(e->label);
	free(e->context);
	memset(e, 0, sizeof(*e));
}

int
exporter_run(PRFileDesc *fd, const struct exporter_req *reqs, size_t n,
    struct report *r)
{
	uint16_t version = r->n_handshakes > 0 ? r->handshakes[0].version : 0;

	if (n == 0)
		return 0;
	r->keying = xcalloc(n, sizeof(*r->keying));
	for (size_t i = 0; i < n; i++) {
		const struct exporter_req *q = &reqs[i];
		struct keying_material *k = &r->keying[i];
		bool empty = q->context != NULL && q->context_len == 0;
		unsigned char *value;

		/* NSS refuses a zero-length context (SEC_ERROR_INVALID_ARGS).
		 * TLS 1.3 defines the empty context as no context, so that is
		 * asked for instead; TLS 1.2 gives it a value of its own, which
		 * NSS 3.87 cannot compute. */
		if (empty && version < SSL_LIBRARY_VERSION_TLS_1_3) {
			report_fail(r, PHASE_HANDSHAKE, SEC_ERROR_INVALID_ARGS,
			    NSSTLS_EXIT_HANDSHAKE, "cannot export keying material "
			    "for \"%s\" with an empty context in %s: NSS refuses a "
			    "zero-length context, and RFC 5705 gives it a value of "
			    "its own (leave the context out, or give one)", q->label,
			    names_version_str(version));
			return -1;
		}
		value = xmalloc(q->len);
		if (SSL_ExportKeyingMaterial(fd, q->label, (unsigned)strlen(q->label),
		    q->context != NULL && !empty ? PR_TRUE : PR_FALSE,
		    (const unsigned char *)q->context, (unsigned)q->context_len,
		    value, q->len) != SECSuccess) {
			free(value);
			report_fail(r, PHASE_HANDSHAKE, PR_GetError(),
			    NSSTLS_EXIT_HANDSHAKE, "cannot export keying material "
			    "for \"%s\"", q->label);
			return -1;
		}
		k->label = xstrdup(q->label);
		k->context = q->context != NULL ? xstrdup(q->context) : NULL;
		k->length = q->len;
		k->hex = xmalloc(2 * (size_t)q->len + 1);
		util_hex(value, q->len, '\0', k->hex);
		memset(value, 0, q->len);
		free(value);
		r->n_keying++;
	}
	return 0;
}
