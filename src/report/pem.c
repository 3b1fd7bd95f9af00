/*
 * pem: the one reader of PEM text for the whole program (see pem.h):
 * certificates, CRLs, keys (with RFC 1421 headers of traditional
 * encrypted keys), through NSS's base64 decoder.
 */
#include "pem.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nssb64.h>
#include <secitem.h>

#include "util.h"

void
pem_block_free(struct pem_block *b)
{
	free(b->label);
	free(b->dek_info);
	if (b->der.data != NULL)
		SECITEM_ZfreeItem(&b->der, PR_FALSE);
	memset(b, 0, sizeof(*b));
}

/* The value of header name (e.g. "DEK-Info") in the header lines of a PEM
 * body [p, end), or NULL. */
static char *
pem_header(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *v;

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 &&
		    p[n] == ':') {
			v = p + n + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			while (eol > v && (eol[-1] == '\r' || eol[-1] == ' '))
				eol--;
			return xstrndup(v, (size_t)(eol - v));
		}
		p = eol + 1;
	}
	return NULL;
}

/*
 * Find the next PEM block at or after *cursor and decode it into b.
 * Returns 1 (found; *cursor moves past it), 0 (no more blocks) or -1
 * (a BEGIN line without its END, or a body that is not base64).
 */
int
pem_next(const char **cursor, struct pem_block *b)
{
	static const char begin[] = "-----BEGIN ";
	const char *p, *label, *label_end, *body, *end, *data;
	char *end_line;

	memset(b, 0, sizeof(*b));
	p = strstr(*cursor, begin);
	if (p == NULL)
		return 0;
	label = p + sizeof(begin) - 1;
	label_end = strstr(label, "-----");
	if (label_end == NULL ||
	    memchr(label, '\n', (size_t)(label_end - label)) != NULL)
		return -1;
	b->label = xstrndup(label, (size_t)(label_end - label));
	body = strchr(label_end, '\n');
	if (body == NULL)
		return -1;
	body++;
	end_line = xasprintf("-----END %s-----", b->label);
	end = strstr(body, end_line);
	free(end_line);
	if (end == NULL)
		return -1;
	*cursor = end + strlen(b->label) + 14;

	/* RFC 1421 headers (traditional encrypted keys) end at a blank line. */
	data = body;
	if (memchr(body, ':', (size_t)(end - body)) != NULL) {
		const char *blank = strstr(body, "\n\n");
		const char *blank_crlf = strstr(body, "\r\n\r\n");

		if (blank_crlf != NULL && (blank == NULL || blank_crlf < blank))
			blank = blank_crlf;
		if (blank != NULL && blank < end) {
			char *proc = pem_header(body, blank, "Proc-Type");

			b->encrypted = proc != NULL &&
			    strstr(proc, "ENCRYPTED") != NULL;
			free(proc);
			b->dek_info = pem_header(body, blank, "DEK-Info");
			data = blank + (blank == blank_crlf ? 4 : 2);
		}
	}
	if (NSSBase64_DecodeBuffer(NULL, &b->der, data,
	    (PRUint32)(end - data)) == NULL || b->der.len == 0)
		return -1;
	return 1;
}

bool
pem_looks_like_der(const unsigned char *text, size_t len)
{
	return len > 2 && text[0] == 0x30;
}

bool
pem_is_certificate(const char *label)
{
	return label != NULL && (strcmp(label, "CERTIFICATE") == 0 ||
	    strcmp(label, "X509 CERTIFICATE") == 0);
}
