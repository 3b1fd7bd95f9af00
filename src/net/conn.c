/*
 * conn: resolve and connect (see conn.h).
 *
 * Resolution uses glibc's getaddrinfo_a so it can be bounded by a timeout:
 * neither getaddrinfo nor NSPR's PR_GetAddrInfoByName can be interrupted,
 * and a tool that must never hang cannot wait on a dead resolver.
 * Connection uses the non-blocking path (PR_Connect, PR_Poll,
 * PR_GetConnectStatus): it honours the timeout, and unlike a blocking
 * PR_Connect it reports a closed port as "refused" rather than "reset".
 */
#include "conn.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <prerror.h>
#include <prnetdb.h>

#include "util.h"

/* A request getaddrinfo_a is still working on when we give up.  Its
 * worker thread keeps writing into it, so it can never be freed; kept
 * reachable here, it is not a leak to LeakSanitizer either. */
struct resolve_job {
	struct gaicb req;
	struct addrinfo hints;
	char *name;
	struct resolve_job *next;
};

static struct resolve_job *abandoned;
static pthread_mutex_t abandoned_lock = PTHREAD_MUTEX_INITIALIZER;

static void
abandon(struct resolve_job *job)
{
	pthread_mutex_lock(&abandoned_lock);
	job->next = abandoned;
	abandoned = job;
	pthread_mutex_unlock(&abandoned_lock);
}

int
conn_resolve(const char *host, int family, long timeout_ms,
    struct addrinfo **res)
{
	struct resolve_job *job = xcalloc(1, sizeof(*job));
	struct gaicb *list[1] = { &job->req };
	int64_t deadline = util_now_us() + (int64_t)timeout_ms * 1000;
	int rc;

	*res = NULL;
	job->hints.ai_family = family;
	job->hints.ai_socktype = SOCK_STREAM;
	job->hints.ai_protocol = IPPROTO_TCP;
	if (util_is_ip_literal(host)) {
		/* No resolver involved: answer at once. */
		job->hints.ai_flags = AI_NUMERICHOST;
		rc = getaddrinfo(host, NULL, &job->hints, res);
		free(job);
		return rc;
	}
	job->name = xstrdup(host);
	job->req.ar_name = job->name;
	job->req.ar_request = &job->hints;
	rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (rc != 0) {
		free(job->name);
		free(job);
		return rc;
	}
	for (;;) {
		int64_t left = deadline - util_now_us();
		struct timespec ts;

		rc = gai_error(&job->req);
		if (rc != EAI_INPROGRESS)
			break;
		if (left <= 0) {
			if (gai_cancel(&job->req) == EAI_CANCELED) {
				free(job->name);
				free(job);
			} else {
				abandon(job);
			}
			return CONN_RESOLVE_TIMEOUT;
		}
		ts.tv_sec = left / 1000000;
		ts.tv_nsec = (left % 1000000) * 1000;
		(void)gai_suspend((const struct gaicb *const *)list, 1, &ts);
	}
	*res = job->req.ar_result;
	free(job->name);
	free(job);
	return rc;
}

static int
resolve(const struct nsstls_opts *o, const char *host, struct addrinfo **res,
    struct report *r)
{
	int64_t start = util_now_us();
	int rc = conn_resolve(host, o->ipv4_only ? AF_INET : o->ipv6_only ?
	    AF_INET6 : AF_UNSPEC, o->connect_timeout_ms, res);

	r->resolve_us = util_now_us() - start;
	if (rc == CONN_RESOLVE_TIMEOUT) {
		report_fail(r, PHASE_RESOLVE, PR_IO_TIMEOUT_ERROR, NSSTLS_EXIT_REACH,
		    "cannot resolve %s: no answer within %ld ms", host,
		    o->connect_timeout_ms);
		return -1;
	}
	if (rc != 0) {
		report_fail(r, PHASE_RESOLVE, PR_DIRECTORY_LOOKUP_ERROR,
		    NSSTLS_EXIT_REACH, "cannot resolve %s%s: %s", host,
		    o->ipv4_only ? " (IPv4)" : o->ipv6_only ? " (IPv6)" : "",
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	return 0;
}

static void
to_netaddr(const struct addrinfo *ai, uint16_t port, PRNetAddr *out)
{
	memset(out, 0, sizeof(*out));
	if (ai->ai_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ai->ai_addr;

		out->inet.family = PR_AF_INET;
		out->inet.port = PR_htons(port);
		out->inet.ip = sin->sin_addr.s_addr;
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)ai->ai_addr;

		out->ipv6.family = PR_AF_INET6;
		out->ipv6.port = PR_htons(port);
		out->ipv6.scope_id = sin6->sin6_scope_id;
		memcpy(&out->ipv6.ip, &sin6->sin6_addr, 16);
	}
}

/* One TCP connection attempt; returns the socket or NULL with the NSPR
 * error set. */
static PRFileDesc *
connect_one(const PRNetAddr *addr, long timeout_ms)
{
	PRFileDesc *fd = PR_OpenTCPSocket(addr->raw.family);
	PRSocketOptionData opt;
	PRPollDesc pd;
	PRInt32 n;

	if (fd == NULL)
		return NULL;
	opt.option = PR_SockOpt_Nonblocking;
	opt.value.non_blocking = PR_TRUE;
	if (PR_SetSocketOption(fd, &opt) != PR_SUCCESS)
		goto fail;
	/* Handshake flights are small writes: without TCP_NODELAY, Nagle and
	 * the peer's delayed ACK can stall a flight for 40 ms. */
	opt.option = PR_SockOpt_NoDelay;
	opt.value.no_delay = PR_TRUE;
	(void)PR_SetSocketOption(fd, &opt);

	if (PR_Connect(fd, addr, PR_INTERVAL_NO_WAIT) == PR_SUCCESS)
		return fd;
	if (PR_GetError() != PR_IN_PROGRESS_ERROR)
		goto fail;
	pd.fd = fd;
	pd.in_flags = PR_POLL_WRITE | PR_POLL_EXCEPT;
	pd.out_flags = 0;
	n = PR_Poll(&pd, 1, PR_MillisecondsToInterval((PRUint32)timeout_ms));
	if (n == 0) {
		PR_SetError(PR_IO_TIMEOUT_ERROR, 0);
		goto fail;
	}
	if (n < 0 || PR_GetConnectStatus(&pd) != PR_SUCCESS)
		goto fail;
	return fd;
fail:
	{
		PRErrorCode err = PR_GetError();
		PRInt32 oserr = PR_GetOSError();

		PR_Close(fd);
		PR_SetError(err, oserr);
	}
	return NULL;
}

static const char *
connect_error_words(PRErrorCode err)
{
	switch (err) {
	case PR_CONNECT_REFUSED_ERROR: return "connection refused";
	case PR_IO_TIMEOUT_ERROR:
	case PR_CONNECT_TIMEOUT_ERROR: return "no answer (timed out)";
	case PR_NETWORK_UNREACHABLE_ERROR: return "network unreachable";
	case PR_HOST_UNREACHABLE_ERROR: return "host unreachable";
	case PR_CONNECT_RESET_ERROR: return "connection reset";
	case PR_ADDRESS_NOT_AVAILABLE_ERROR: return "address not available";
	default: return PR_ErrorToString(err, PR_LANGUAGE_I_DEFAULT);
	}
}

PRFileDesc *
conn_open(const struct nsstls_opts *o, const char *host, uint16_t port,
    struct report *r)
{
	struct addrinfo *res = NULL;
	PRFileDesc *fd = NULL;
	PRErrorCode last = 0;

	r->phase = PHASE_RESOLVE;
	if (resolve(o, host, &res, r) != 0)
		return NULL;
	r->phase = PHASE_CONNECT;
	for (struct addrinfo *ai = res; ai != NULL && fd == NULL; ai = ai->ai_next) {
		PRNetAddr addr;
		char buf[64];
		struct addr_attempt *a;
		int64_t t0;

		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		to_netaddr(ai, port, &addr);
		if (PR_NetAddrToString(&addr, buf, sizeof(buf)) != PR_SUCCESS)
			snprintf(buf, sizeof(buf), "?");
		a = report_add_attempt(r, buf);
		t0 = util_now_us();
		fd = connect_one(&addr, o->connect_timeout_ms);
		a->connect_us = util_now_us() - t0;
		if (fd == NULL) {
			a->error = last = PR_GetError();
		} else {
			r->connected_index = (int)r->n_attempts - 1;
		}
	}
	if (res != NULL)
		freeaddrinfo(res);
	if (fd == NULL) {
		if (r->n_attempts == 0)
			report_fail(r, PHASE_CONNECT, PR_ADDRESS_NOT_AVAILABLE_ERROR,
			    NSSTLS_EXIT_REACH, "%s has no usable address", host);
		else if (r->n_attempts == 1)
			report_fail(r, PHASE_CONNECT, last, NSSTLS_EXIT_REACH,
			    "cannot connect to %s port %u (%s): %s", host, port,
			    r->attempts[0].addr, connect_error_words(last));
		else
			report_fail(r, PHASE_CONNECT, last, NSSTLS_EXIT_REACH,
			    "cannot connect to %s port %u: all %zu addresses failed, "
			    "the last with: %s", host, port, r->n_attempts,
			    connect_error_words(last));
	}
	return fd;
}
