/*
 * http: the smallest HTTP/1.0 client that fetching an intermediate from an
 * AIA caIssuers URL and asking an OCSP responder need (NSS ships no HTTP
 * client; its OCSP code expects the application to register one).
 * http:// only, bounded in time and size.
 */
#ifndef NSSTLS_HTTP_H
#define NSSTLS_HTTP_H

#include <stddef.h>

/* GET url (body == NULL) or POST body with content_type.  On success
 * returns 0 with the response body in *out (free it).  On failure returns
 * -1 with a message in *err (free it). */
int http_request(const char *url, const char *content_type,
    const unsigned char *body, size_t body_len, long timeout_ms,
    unsigned char **out, size_t *out_len, char **err);

/* The answer read by http_request, buf[0..len) NUL-terminated: a 200
 * status line and the body after the headers, copied to *out (free it).
 * Returns 0, or -1 with a message naming url in *err (free it).  Exposed
 * for fuzz/fuzz-http.c. */
int http_parse_response(const char *url, const unsigned char *buf, size_t len,
    unsigned char **out, size_t *out_len, char **err);

#endif
