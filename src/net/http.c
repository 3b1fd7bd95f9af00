/*
 * http: minimal HTTP/1.0 client (see http.h).
 */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "util.h"

#define HTTP_MAX_RESPONSE (4 * 1024 * 1024)

/* Split "http://host[:port]/path". */
static int
parse_url(const char *url, char **host, char **port, char **path)
{
	const char *h, *slash, *colon;

	/* The URL goes into the request line: a certificate's URL with a
	 * space or a line end would write headers of its own. */
	if (strncmp(url, "http://", 7) != 0 || strchr(url, ' ') != NULL ||
	    util_find_control(url, strlen(url)) != NULL)
		return -1;
	h = url + 7;
	slash = strchr(h, '/');
	if (slash == NULL)
		slash = h + strlen(h);
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(slash - h));

		if (close == NULL)
			return -1;
		*host = xstrndup(h + 1, (size_t)(close - h - 1));
		colon = close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(slash - h));
		*host = xstrndup(h, (size_t)((colon ? colon : slash) - h));
	}
	*port = colon ? xstrndup(colon + 1, (size_t)(slash - colon - 1)) :
	    xstrdup("80");
	*path = xstrdup(*slash ? slash : "/");
	return **host ? 0 : -1;
}

static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { fd, events, 0 };
	int64_t left = deadline - util_now_us();

	if (left <= 0)
		return -1;
	return poll(&pfd, 1, (int)((left + 999) / 1000)) == 1 ? 0 : -1;
}

static int
connect_to(const char *host, const char *port, int64_t deadline, char **err)
{
	struct addrinfo *res = NULL;
	int64_t left = deadline - util_now_us();
	int fd = -1, rc;
	uint16_t nport;

	if (util_parse_port(port, &nport) != 0) {
		*err = xasprintf("bad port in URL: %s", port);
		return -1;
	}
	/* Bounded like the target's own resolution: a dead resolver must
	 * not hang the auth hook this runs in. */
	rc = conn_resolve(host, AF_UNSPEC, left > 0 ? (long)(left / 1000) : 1, &res);
	if (rc != 0) {
		*err = rc == CONN_RESOLVE_TIMEOUT ?
		    xasprintf("cannot resolve %s: no answer in time", host) :
		    xasprintf("cannot resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (ai->ai_family == AF_INET)
			((struct sockaddr_in *)(void *)ai->ai_addr)->sin_port = htons(nport);
		else if (ai->ai_family == AF_INET6)
			((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_port = htons(nport);
		else
			continue;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) == 0 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
		    soerr == 0))
			break;
		if (soerr != 0)
			errno = soerr;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		*err = xasprintf("cannot connect to %s port %s: %s", host, port,
		    strerror(errno ? errno : ETIMEDOUT));
	return fd;
}

static int
send_all(int fd, const char *p, size_t len, int64_t deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EAGAIN) {
			if (wait_fd(fd, POLLOUT, deadline) != 0)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

int
http_parse_response(const char *url, const unsigned char *buf, size_t len,
    unsigned char **out, size_t *out_len, char **err)
{
	const char *text = (const char *)buf;
	const char *hdr_end;
	int status;

	if (sscanf(text, "HTTP/%*d.%*d %d", &status) != 1) {
		*err = xasprintf("%s did not answer in HTTP", url);
		return -1;
	}
	if (status != 200) {
		size_t line = strcspn(text, "\r\n");

		*err = xasprintf("%s answered \"%.*s\"", url, (int)line, text);
		return -1;
	}
	hdr_end = strstr(text, "\r\n\r\n");
	if (hdr_end == NULL) {
		*err = xasprintf("%s sent a truncated answer", url);
		return -1;
	}
	hdr_end += 4;
	*out_len = len - (size_t)(hdr_end - text);
	*out = xmalloc(*out_len);
	memcpy(*out, hdr_end, *out_len);
	return 0;
}

int
http_request(const char *url, const char *content_type,
    const unsigned char *body, size_t body_len, long timeout_ms,
    unsigned char **out, size_t *out_len, char **err)
{
	char *host = NULL, *port = NULL, *path = NULL, *req = NULL;
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;
	int64_t deadline = util_now_us() + (int64_t)timeout_ms * 1000;
	int fd = -1, rc = -1;
	bool v6, default_port;

	*out = NULL;
	*err = NULL;
	if (parse_url(url, &host, &port, &path) != 0) {
		*err = xasprintf("not an http:// URL: %s", url);
		goto out;
	}
	fd = connect_to(host, port, deadline, err);
	if (fd < 0)
		goto out;
	/* RFC 9110 §7.2: Host carries the port unless it is the default. */
	v6 = strchr(host, ':') != NULL;
	default_port = strcmp(port, "80") == 0;
	if (body != NULL)
		req = xasprintf("POST %s HTTP/1.0\r\nHost: %s%s%s%s%s\r\n"
		    "Content-Type: %s\r\nContent-Length: %zu\r\nConnection: close"
		    "\r\n\r\n", path, v6 ? "[" : "", host, v6 ? "]" : "",
		    default_port ? "" : ":", default_port ? "" : port, content_type,
		    body_len);
	else
		req = xasprintf("GET %s HTTP/1.0\r\nHost: %s%s%s%s%s\r\n"
		    "Connection: close\r\n\r\n", path, v6 ? "[" : "", host,
		    v6 ? "]" : "", default_port ? "" : ":", default_port ? "" : port);
	if (send_all(fd, req, strlen(req), deadline) != 0 ||
	    (body != NULL && send_all(fd, (const char *)body, body_len, deadline) != 0)) {
		*err = xasprintf("cannot send the request to %s", url);
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			buf = xrealloc(buf, cap + 1);
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n > 0) {
			len += (size_t)n;
			if (len > HTTP_MAX_RESPONSE) {
				*err = xasprintf("the answer from %s is larger than %d bytes",
				    url, HTTP_MAX_RESPONSE);
				goto out;
			}
		} else if (n == 0) {
			break;
		} else if (errno == EAGAIN) {
			if (wait_fd(fd, POLLIN, deadline) != 0) {
				*err = xasprintf("no complete answer from %s within %ld ms",
				    url, timeout_ms);
				goto out;
			}
		} else {
			*err = xasprintf("reading from %s: %s", url, strerror(errno));
			goto out;
		}
	}
	buf[len] = '\0';
	rc = http_parse_response(url, buf, len, out, out_len, err);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(req);
	free(host);
	free(port);
	free(path);
	return rc;
}
