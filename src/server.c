/*
 * server: server mode (see server.h).
 *
 * NSS's server side, in the order selfserv uses it: certificates on the
 * model socket (SSL_ConfigServerCert, server_cert.c), the process-wide
 * session ID cache (SSL_ConfigServerSessionIDCache, which TLS 1.2
 * session IDs and every ticket's resumption need), then per accepted
 * socket SSL_ImportFD(model) and SSL_ResetHandshake(fd, PR_TRUE).
 *
 * NSS hands out no ClientHello, so a small NSPR layer under SSL copies
 * the bytes NSS reads until the ClientHello is whole; clienthello.c
 * decodes them.  Sockets are non-blocking and every wait is a PR_Poll of
 * at most POLL_SLICE_MS, so a silent client only ever holds its own
 * worker, and a stop request is seen within that slice.
 */
#include "server.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <prinit.h>
#include <prnetdb.h>
#include <prthread.h>
#include <prlock.h>
#include <prcvar.h>
#include <ssl.h>
#include <sslerr.h>
#include <sslexp.h>
#include <sslproto.h>

#include "clienthello.h"
#include "exporter.h"
#include "io.h"
#include "keylog.h"
#include "names.h"
#include "out.h"
#include "out_text.h"
#include "server_cert.h"
#include "server_report.h"
#include "tls.h"
#include "trace.h"
#include "util.h"
#include "verify.h"

#define POLL_SLICE_MS 100
#define MAX_ACTIVE 256           /* workers at once; accept waits beyond */
#define WWW_REQUEST_MAX 8192
#define ANTI_REPLAY_WINDOW (2 * PR_USEC_PER_SEC)

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct server {
	const struct nsstls_opts *opts;
	struct nss_ctx *nss;
	const struct report *setup;  /* the run's: trust sources loaded */
	PRFileDesc *listener;
	char listen[80];
	struct server_certs certs;
	CERTCertList *ca_names;      /* sent in CertificateRequest, or NULL */
	SSLAntiReplayContext *anti_replay;  /* --accept-early-data */
	bool cache;                  /* the session cache is configured */
	bool once;
	PRLock *lock;                /* output, and the fields below */
	PRCondVar *cv;               /* a job queued, or no more to come */
	PRCondVar *space;            /* the queue has room again */
	struct conn *queue, **queue_tail;  /* accepted, waiting for a worker */
	int queued;
	bool draining;               /* no more jobs: workers may exit */
	PRThread *workers[MAX_ACTIVE];
	int n_workers, idle;
};

struct conn {
	struct server *srv;
	PRFileDesc *tcp;             /* accepted, until the worker takes it */
	PRFileDesc *fd;              /* SSL on top of the capture layer */
	struct capture *cap;
	struct trace *trace;         /* --trace: the record layer under SSL */
	struct keylog *keylog;       /* --keylog, or NULL */
	FILE *trace_out;             /* its lines, printed with the report */
	char *trace_buf;
	size_t trace_len;
	struct report report;
	struct server_conn_info info;
	int64_t accepted_us;
	size_t handshakes;
	bool hrr_sent;               /* --hrr asked for a second ClientHello */
	struct conn *next;           /* in the queue */
};

/* ------------------------------------------------------------------ */
/* The ClientHello capture layer                                       */

struct capture {
	uint8_t *buf;
	size_t len;
	bool done;                   /* whole, or never will be */
	int64_t first_us;            /* when its first byte arrived */
};

static PRDescIdentity capture_id = PR_INVALID_IO_LAYER;
static PRIOMethods capture_methods;
static PRCallOnceType capture_once;

static void
capture_feed(struct capture *c, const void *data, PRInt32 n)
{
	enum ch_result res;
	size_t room = CH_MAX_BYTES + 1024 - c->len;
	size_t take = (size_t)n < room ? (size_t)n : room;

	if (c->done || n <= 0)
		return;
	if (c->len == 0)
		c->first_us = util_now_us();
	memcpy(c->buf + c->len, data, take);
	c->len += take;
	if (clienthello_frame(c->buf, c->len, &res) > 0 || res != CH_INCOMPLETE ||
	    take < (size_t)n)
		c->done = true;
}

static PRInt32 PR_CALLBACK
capture_recv(PRFileDesc *fd, void *buf, PRInt32 amount, PRIntn flags,
    PRIntervalTime timeout)
{
	PRInt32 n = fd->lower->methods->recv(fd->lower, buf, amount, flags,
	    timeout);

	capture_feed((struct capture *)fd->secret, buf, n);
	return n;
}

static PRInt32 PR_CALLBACK
capture_read(PRFileDesc *fd, void *buf, PRInt32 amount)
{
	PRInt32 n = fd->lower->methods->read(fd->lower, buf, amount);

	capture_feed((struct capture *)fd->secret, buf, n);
	return n;
}

static PRStatus PR_CALLBACK
capture_close(PRFileDesc *fd)
{
	struct capture *c = (struct capture *)fd->secret;

	if (c != NULL) {
		free(c->buf);
		free(c);
		fd->secret = NULL;
	}
	return PR_GetDefaultIOMethods()->close(fd);
}

static PRStatus
capture_init(void)
{
	capture_id = PR_GetUniqueIdentity("nsstls-clienthello");
	if (capture_id == PR_INVALID_IO_LAYER)
		return PR_FAILURE;
	capture_methods = *PR_GetDefaultIOMethods();
	capture_methods.close = capture_close;
	capture_methods.recv = capture_recv;
	capture_methods.read = capture_read;
	return PR_SUCCESS;
}

/* Push the layer on tcp.  Returns its state, or NULL. */
static struct capture *
capture_push(PRFileDesc *tcp)
{
	PRFileDesc *layer;
	struct capture *c;

	if (PR_CallOnce(&capture_once, capture_init) != PR_SUCCESS)
		return NULL;
	layer = PR_CreateIOLayerStub(capture_id, &capture_methods);
	if (layer == NULL)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->buf = xmalloc(CH_MAX_BYTES + 1024);
	layer->secret = (PRFilePrivate *)c;
	if (PR_PushIOLayer(tcp, PR_TOP_IO_LAYER, layer) != PR_SUCCESS) {
		free(c->buf);
		free(c);
		layer->secret = NULL;
		layer->dtor(layer);
		return NULL;
	}
	return c;
}

/* ------------------------------------------------------------------ */
/* Hooks                                                               */

static void
on_handshake(PRFileDesc *fd, void *arg)
{
	struct conn *c = arg;
	struct handshake_info *h = report_add_handshake(&c->report);
	SSLChannelInfo ch;
	SSLNextProtoState state;
	unsigned len = 0;

	h->duration_us = util_now_us() - c->accepted_us;
	if (c->handshakes++ == 0)
		c->report.handshake_done_us = util_now_us();
	if (SSL_GetChannelInfo(fd, &ch, sizeof(ch)) != SECSuccess)
		return;
	tls_channel_facts(h, &ch);
	if (SSL_GetNextProto(fd, &state, (unsigned char *)h->alpn, &len,
	    sizeof(h->alpn) - 1) == SECSuccess && len > 0 &&
	    (state == SSL_NEXT_PROTO_NEGOTIATED || state == SSL_NEXT_PROTO_SELECTED))
		h->alpn[len] = '\0';
	else
		h->alpn[0] = '\0';
	/* TLS 1.3 resumes with a ticket only; TLS 1.2 is told by the
	 * ClientHello (conn_decode_hello). */
	if (ch.resumed && ch.protocolVersion >= SSL_LIBRARY_VERSION_TLS_1_3)
		h->resumed_by = "ticket";
}

static void
on_alert_received(const PRFileDesc *fd, void *arg, const SSLAlert *alert)
{
	report_add_alert(&((struct conn *)arg)->report, false, alert->level,
	    alert->description);
}

static void
on_alert_sent(const PRFileDesc *fd, void *arg, const SSLAlert *alert)
{
	report_add_alert(&((struct conn *)arg)->report, true, alert->level,
	    alert->description);
}

/*
 * A client certificate arrived (at the handshake, a renegotiation or
 * after a TLS 1.3 CertificateRequest): the same verification as connect
 * mode (verify.c: the chain built, per-certificate verdicts, policy,
 * revocation, findings), for the SSL client usage and with no name to
 * check.  Only --verify-client fails the handshake on a bad one;
 * otherwise the report says so and the connection goes on.
 */
static SECStatus
on_client_cert(void *arg, PRFileDesc *fd, PRBool check_sig, PRBool is_server)
{
	struct conn *c = arg;
	struct server_conn_info *s = &c->info;
	struct verify_ctx v = { .opts = c->srv->opts, .nss = c->srv->nss,
		.report = &c->report, .usage = certificateUsageSSLClient };
	CERTCertificate *peer = SSL_PeerCertificate(fd);
	CERTCertList *sent;
	int rc;

	(void)check_sig;
	(void)is_server;
	if (peer == NULL)
		return SECSuccess;      /* none sent: NSS applies the option */
	s->cert_received = true;
	free(s->cert_subject);
	s->cert_subject = peer->subjectName != NULL ?
	    xstrdup(peer->subjectName) : NULL;
	s->cert_when = c->handshakes == 0 ? "at the handshake" :
	    "after the handshake";
	sent = SSL_PeerCertificateChain(fd);
	rc = verify_run(&v, peer, sent, NULL, NULL, SSL_RevealPinArg(fd));
	if (sent != NULL)
		CERT_DestroyCertList(sent);
	CERT_DestroyCertificate(peer);
	s->cert_ok = rc == 0;
	s->cert_error = rc == 0 ? 0 : c->report.verify.error;
	if (rc != 0 && c->srv->opts->verify_client) {
		/* NSS derives the alert it sends from this error code. */
		PR_SetError(s->cert_error, 0);
		return SECFailure;
	}
	return SECSuccess;
}

static void
on_secret(PRFileDesc *fd, PRUint16 epoch, SSLSecretDirection dir,
    PK11SymKey *secret, void *arg)
{
	struct conn *c = arg;

	if (c->trace != NULL)
		trace_on_secret(c->trace, fd, epoch, dir, secret);
	if (c->keylog == NULL)
		return;
	/* The key log names secrets by the client's random: bytes 11..42 of
	 * the first ClientHello record (record header 5, handshake header 4,
	 * version 2), which the capture layer has read before NSS derives
	 * any secret. */
	if (c->cap != NULL && c->cap->len >= 43 && c->cap->buf[0] == 0x16 &&
	    c->cap->buf[5] == 0x01)
		keylog_set_random(c->keylog, c->cap->buf + 11, false);
	keylog_on_secret(c->keylog, fd, epoch, dir, secret);
}

/* --hrr: ask every first ClientHello to try again (the key share then
 * comes for the group NSS prefers). */
static SSLHelloRetryRequestAction
on_hello(PRBool first, const PRUint8 *token, unsigned token_len,
    PRUint8 *retry, unsigned *retry_len, unsigned retry_max, void *arg)
{
	struct conn *c = arg;

	(void)token; (void)token_len; (void)retry; (void)retry_max;
	*retry_len = 0;
	if (!first)
		return ssl_hello_retry_accept;
	c->hrr_sent = true;
	return ssl_hello_retry_request;
}

/* ------------------------------------------------------------------ */
/* One connection                                                      */

/* Wait up to POLL_SLICE_MS for fd to be ready.  Returns false when the
 * deadline passed or a stop was asked for. */
static bool
conn_wait(PRFileDesc *fd, PRInt16 flags, int64_t deadline_us)
{
	PRPollDesc pd = { fd, flags, 0 };
	int64_t left = deadline_us - util_now_us();

	if (stop_requested || left <= 0)
		return false;
	if (left > POLL_SLICE_MS * 1000)
		left = POLL_SLICE_MS * 1000;
	(void)PR_Poll(&pd, 1, PR_MillisecondsToInterval((PRUint32)(left / 1000 + 1)));
	return true;
}

/* SSL on the accepted socket, with this connection's hooks. */
static int
conn_import(struct conn *c, PRFileDesc *tcp)
{
	const struct nsstls_opts *o = c->srv->opts;
	PRSocketOptionData nb = { PR_SockOpt_Nonblocking, { PR_TRUE } };
	PRSocketOptionData nodelay = { PR_SockOpt_NoDelay, { PR_TRUE } };

	/* --trace: the same layer as connect mode, under the capture one;
	 * its lines are kept with this connection's report. */
	if (o->trace) {
		/* One connection (--once): straight to the report stream. */
		c->trace_out = c->srv->once ? stderr :
		    open_memstream(&c->trace_buf, &c->trace_len);
		if (c->trace_out == NULL ||
		    (c->trace = trace_push(tcp, o, &c->report, c->trace_out,
		    NULL)) == NULL) {
			PR_Close(tcp);
			return -1;
		}
	}
	c->cap = capture_push(tcp);
	/* NSS writes a flight in several sends (e.g. NewSessionTicket, then
	 * Finished): Nagle would hold the last one for the client's ACK. */
	if (c->cap == NULL || PR_SetSocketOption(tcp, &nb) != PR_SUCCESS ||
	    PR_SetSocketOption(tcp, &nodelay) != PR_SUCCESS) {
		PR_Close(tcp);
		c->cap = NULL;
		return -1;
	}
	c->fd = SSL_ImportFD(c->srv->nss->model, tcp);
	if (c->fd == NULL) {
		PR_Close(tcp);
		c->cap = NULL;
		return -1;
	}
	/* Hooks and the CA names are per connection: the names are not
	 * copied from the model by SSL_ImportFD. */
	if (SSL_HandshakeCallback(c->fd, on_handshake, c) != SECSuccess ||
	    SSL_AlertReceivedCallback(c->fd, on_alert_received, c) != SECSuccess ||
	    SSL_AlertSentCallback(c->fd, on_alert_sent, c) != SECSuccess ||
	    SSL_AuthCertificateHook(c->fd, on_client_cert, c) != SECSuccess ||
	    SSL_SetPKCS11PinArg(c->fd, c->srv->nss) != SECSuccess ||
	    (c->srv->ca_names != NULL &&
	    SSL_SetTrustAnchors(c->fd, c->srv->ca_names) != SECSuccess) ||
	    (o->hrr && SSL_HelloRetryRequestCallback(c->fd, on_hello, c) !=
	    SECSuccess) ||
	    (c->srv->anti_replay != NULL &&
	    SSL_SetAntiReplayContext(c->fd, c->srv->anti_replay) != SECSuccess) ||
	    SSL_ResetHandshake(c->fd, PR_TRUE) != SECSuccess)
		return -1;
	/* --keylog: the same file rules as connect mode, one open per
	 * connection (O_APPEND: whole lines). */
	if (o->keylog != NULL) {
		c->keylog = keylog_open(o->keylog, &c->report);
		if (c->keylog == NULL)
			return -1;
		keylog_as_server(c->keylog);
	}
	/* TLS 1.3 records are decrypted for the trace with the secrets. */
	if (c->trace != NULL || c->keylog != NULL)
		(void)SSL_SecretCallback(c->fd, on_secret, c);
	return 0;
}

/* Drive the handshake (or a renegotiation) to its end, bounded. */
static int
conn_drive(struct conn *c)
{
	int64_t deadline = util_now_us() + c->srv->opts->timeout_ms * 1000;

	for (;;) {
		PRErrorCode err;

		if (SSL_ForceHandshake(c->fd) == SECSuccess)
			return 0;
		err = PR_GetError();
		if (err != PR_WOULD_BLOCK_ERROR)
			return -1;
		if (!conn_wait(c->fd, PR_POLL_READ, deadline)) {
			PR_SetError(stop_requested ? PR_PENDING_INTERRUPT_ERROR :
			    PR_IO_TIMEOUT_ERROR, 0);
			return -1;
		}
	}
}

/* Decode what the capture layer saw; HRR is told by the key shares: a
 * TLS 1.3 group the client sent no share for was asked for again. */
static void
conn_decode_hello(struct conn *c)
{
	struct server_conn_info *s = &c->info;
	struct clienthello *h = &s->hello;

	s->hello_result = c->cap != NULL && c->cap->len > 0 ?
	    clienthello_parse(c->cap->buf, c->cap->len, h) : CH_INCOMPLETE;
	if (s->hello_result != CH_OK)
		return;
	s->hello_us = c->cap->first_us - c->accepted_us;
	clienthello_ja3_string(h, s->ja3_string, sizeof(s->ja3_string));
	if (clienthello_fingerprints(h, s->ja3, s->ja4) != 0) {
		s->ja3[0] = '\0';
		s->ja4[0] = '\0';
	}
	c->report.servername = h->has_sni ? h->sni : NULL;
	for (size_t i = 0; i < c->report.n_handshakes; i++) {
		struct handshake_info *hs = &c->report.handshakes[i];
		bool shared = false;

		if (hs->resumed && hs->resumed_by == NULL)
			hs->resumed_by = h->ticket_offered ? "ticket" : "session id";

		if (hs->version < SSL_LIBRARY_VERSION_TLS_1_3)
			continue;
		for (size_t k = 0; k < h->n_shares; k++)
			shared |= h->shares[k].group == hs->group;
		if ((!shared || (i == 0 && c->hrr_sent)) && h->n_shares > 0) {
			hs->hrr = true;
			hs->first_group = h->shares[0].group;
		}
	}
}

/* Why the handshake failed, in words, and its exit status. */
static void
conn_handshake_failed(struct conn *c)
{
	PRErrorCode err = PR_GetError();
	struct server_conn_info *s = &c->info;

	if (s->cert_received && !s->cert_ok)
		report_fail(&c->report, PHASE_HANDSHAKE, s->cert_error,
		    NSSTLS_EXIT_VERIFY, "the client certificate did not verify");
	else if (err == PR_IO_TIMEOUT_ERROR)
		report_fail(&c->report, PHASE_HANDSHAKE, err, NSSTLS_EXIT_HANDSHAKE,
		    "the client did not complete the handshake in %ld ms (--timeout)",
		    c->srv->opts->timeout_ms);
	else if (err == PR_PENDING_INTERRUPT_ERROR)
		report_fail(&c->report, PHASE_HANDSHAKE, err, NSSTLS_EXIT_HANDSHAKE,
		    "the server was stopped during the handshake");
	else if (s->cert_required && !s->cert_received &&
	    (err == SSL_ERROR_NO_CERTIFICATE || err == SSL_ERROR_RX_UNEXPECTED_CERTIFICATE))
		report_fail(&c->report, PHASE_HANDSHAKE, err, NSSTLS_EXIT_HANDSHAKE,
		    "the client sent no certificate (--verify-client)");
	else
		report_fail(&c->report, PHASE_HANDSHAKE, err, NSSTLS_EXIT_HANDSHAKE,
		    "the TLS handshake with the client failed");
}

/* --post-handshake-auth: TLS 1.3 CertificateRequest after the handshake
 * (the client's answer is read in the data phase), or in TLS 1.2 a
 * renegotiation.  --renegotiate-for-cert: the renegotiation only. */
static int
conn_request_cert_later(struct conn *c)
{
	const struct handshake_info *h = &c->report.handshakes[0];

	c->info.cert_requested = true;
	if (c->srv->opts->renegotiate_for_cert && !c->srv->opts->post_handshake_auth &&
	    h->version >= SSL_LIBRARY_VERSION_TLS_1_3) {
		report_fail(&c->report, PHASE_RENEGOTIATE, 0, NSSTLS_EXIT_HANDSHAKE,
		    "--renegotiate-for-cert: the client chose TLS 1.3, which has "
		    "no renegotiation (use --post-handshake-auth)");
		return -1;
	}
	if (h->version < SSL_LIBRARY_VERSION_TLS_1_3) {
		/* TLS 1.2: renegotiate with a CertificateRequest.  A full
		 * handshake: the session leaves the cache (flushCache), and
		 * tickets are ignored, or the client would resume with one and
		 * no certificate would be asked for. */
		if (SSL_OptionSet(c->fd, SSL_REQUEST_CERTIFICATE, PR_TRUE) != SECSuccess ||
		    SSL_OptionSet(c->fd, SSL_ENABLE_SESSION_TICKETS, PR_FALSE) !=
		    SECSuccess ||
		    SSL_ReHandshake(c->fd, PR_TRUE) != SECSuccess ||
		    conn_drive(c) != 0) {
			report_fail(&c->report, PHASE_RENEGOTIATE, PR_GetError(),
			    NSSTLS_EXIT_HANDSHAKE, "the renegotiation for a client "
			    "certificate failed");
			return -1;
		}
		return 0;
	}
	if (SSL_OptionSet(c->fd, SSL_REQUEST_CERTIFICATE, PR_TRUE) != SECSuccess ||
	    SSL_SendCertificateRequest(c->fd) != SECSuccess) {
		report_fail(&c->report, PHASE_HANDSHAKE, PR_GetError(),
		    NSSTLS_EXIT_HANDSHAKE, "cannot ask for a client certificate "
		    "after the handshake");
		return -1;
	}
	return 0;
}

/* Accept-to-established.  Returns 0 or -1 after report_fail(). */
static int
conn_handshake(struct conn *c, PRFileDesc *tcp)
{
	const struct nsstls_opts *o = c->srv->opts;
	int rc = 0;

	c->report.phase = PHASE_HANDSHAKE;
	c->info.cert_requested = o->verify_client || o->request_client_cert;
	c->info.cert_required = o->verify_client;
	if (conn_import(c, tcp) != 0) {
		report_fail(&c->report, PHASE_HANDSHAKE, PR_GetError(),
		    NSSTLS_EXIT_HANDSHAKE, "cannot start TLS on the connection");
		return -1;
	}
	if (conn_drive(c) != 0) {
		conn_handshake_failed(c);
		rc = -1;
	}
	conn_decode_hello(c);
	if (rc == 0 && o->n_exporters > 0)
		rc = exporter_run(c->fd, o->exporters, o->n_exporters, &c->report);
	if (rc == 0 && (o->post_handshake_auth || o->renegotiate_for_cert))
		rc = conn_request_cert_later(c);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Data                                                                */

/* Send all of buf, bounded by --timeout.  Returns 0 or -1. */
static int
conn_send(struct conn *c, const char *buf, size_t len)
{
	int64_t deadline = util_now_us() + c->srv->opts->timeout_ms * 1000;

	while (len > 0) {
		PRInt32 n = PR_Send(c->fd, buf, (PRInt32)len, 0, PR_INTERVAL_NO_WAIT);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			c->report.bytes_sent += (uint64_t)n;
			continue;
		}
		if (n < 0 && PR_GetError() == PR_WOULD_BLOCK_ERROR &&
		    conn_wait(c->fd, PR_POLL_WRITE, deadline))
			continue;
		report_fail(&c->report, PHASE_DATA, PR_GetError(), NSSTLS_EXIT_IO,
		    "cannot send to the client");
		return -1;
	}
	return 0;
}

/* --www: the text report of this connection as a plain-text page. */
static int
conn_www_page(struct conn *c)
{
	char *page = NULL, *msg;
	size_t len = 0;
	FILE *m = open_memstream(&page, &len);
	int rc;

	if (m == NULL)
		return -1;
	server_report_text(m, &c->info, &c->report, c->srv->opts);
	fclose(m);
	msg = xasprintf("HTTP/1.0 200 OK\r\nContent-Type: text/plain; "
	    "charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
	    len);
	rc = conn_send(c, msg, strlen(msg));
	if (rc == 0)
		rc = conn_send(c, page, len);
	free(msg);
	free(page);
	return rc;
}

/* A request's header is over (an empty line), or too long to wait for. */
static bool
www_request_done(const char *req, size_t len)
{
	return len >= WWW_REQUEST_MAX || memmem(req, len, "\r\n\r\n", 4) != NULL ||
	    memmem(req, len, "\n\n", 2) != NULL;
}

/* What a client sends is echoed (--echo), answered once with a page
 * (--www), or read and dropped, until it closes, goes quiet for
 * --timeout, or the server stops.  Returns 0 or -1 after report_fail(). */
static int
conn_data(struct conn *c)
{
	const struct nsstls_opts *o = c->srv->opts;
	char buf[16384], *req = o->www ? xmalloc(WWW_REQUEST_MAX) : NULL;
	size_t req_len = 0;
	int64_t last = util_now_us();
	int rc = 0;

	c->report.phase = PHASE_DATA;
	for (;;) {
		PRInt32 n = PR_Recv(c->fd, buf, sizeof(buf), 0, PR_INTERVAL_NO_WAIT);

		if (n > 0) {
			last = util_now_us();
			c->report.bytes_received += (uint64_t)n;
			if (o->echo && (rc = conn_send(c, buf, (size_t)n)) != 0)
				break;
			if (req != NULL) {
				size_t take = WWW_REQUEST_MAX - req_len < (size_t)n ?
				    WWW_REQUEST_MAX - req_len : (size_t)n;

				memcpy(req + req_len, buf, take);
				req_len += take;
				if (www_request_done(req, req_len)) {
					rc = conn_www_page(c);
					break;
				}
			}
			continue;
		}
		if (n == 0) {
			c->report.peer_closed = true;
			break;
		}
		if (PR_GetError() != PR_WOULD_BLOCK_ERROR) {
			c->report.peer_closed = true;
			if (PR_GetError() != PR_CONNECT_RESET_ERROR &&
			    PR_GetError() != PR_END_OF_FILE_ERROR) {
				report_fail(&c->report, PHASE_DATA, PR_GetError(),
				    NSSTLS_EXIT_IO, "reading from the client failed");
				rc = -1;
			}
			break;
		}
		if (!conn_wait(c->fd, PR_POLL_READ, last + o->timeout_ms * 1000)) {
			if (!stop_requested) {
				report_fail(&c->report, PHASE_DATA, PR_IO_TIMEOUT_ERROR,
				    NSSTLS_EXIT_IO, "no data from the client for %ld ms "
				    "(--timeout)", o->timeout_ms);
				rc = -1;
			}
			break;
		}
	}
	free(req);
	if (rc == 0)
		c->report.phase = PHASE_DONE;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Workers                                                             */

static struct conn *
conn_new(struct server *s, const PRNetAddr *peer)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	char addr[64] = "?";

	c->srv = s;
	c->accepted_us = util_now_us();
	(void)PR_NetAddrToString(peer, addr, sizeof(addr));
	snprintf(c->info.peer_addr, sizeof(c->info.peer_addr), "%s", addr);
	c->info.peer_port = PR_ntohs(PR_NetAddrInetPort(peer));
	snprintf(c->info.peer, sizeof(c->info.peer),
	    peer->raw.family == PR_AF_INET6 ? "[%s]:%u" : "%s:%u", addr,
	    c->info.peer_port);
	snprintf(c->info.listen, sizeof(c->info.listen), "%s", s->listen);
	report_init(&c->report, c->info.peer_addr, c->info.peer_port);
	c->report.started_at = PR_Now();
	c->report.allow_weak = s->setup->allow_weak;
	for (size_t i = 0; i < s->setup->n_trust; i++)
		report_add_trust(&c->report, s->setup->trust[i].name,
		    s->setup->trust[i].detail, s->setup->trust[i].anchors);
	return c;
}

static void
conn_free(struct conn *c)
{
	if (c->fd != NULL)
		PR_Close(c->fd);
	keylog_close(c->keylog);
	if (c->trace_out != NULL && c->trace_out != stderr)
		fclose(c->trace_out);
	free(c->trace_buf);
	server_conn_info_free(&c->info);
	c->report.servername = NULL;
	report_free(&c->report);
	free(c);
}

/* The report of a finished connection, whole, under the output lock. */
static void
conn_output(struct conn *c)
{
	const struct nsstls_opts *o = c->srv->opts;
	char *text = NULL;
	size_t len = 0;
	FILE *m;

	if (o->json) {
		PR_Lock(c->srv->lock);
		if (!out_stdout_gone())
			(void)server_report_json(stdout, &c->info, &c->report, o);
		PR_Unlock(c->srv->lock);
		return;
	}
	m = open_memstream(&text, &len);
	if (m == NULL)
		return;
	if (c->trace_out != NULL && c->trace_out != stderr &&
	    fflush(c->trace_out) == 0)
		fwrite(c->trace_buf, 1, c->trace_len, m);
	server_report_text(m, &c->info, &c->report, o);
	fclose(m);
	PR_Lock(c->srv->lock);
	fwrite(text, 1, len, stderr);
	fflush(stderr);
	PR_Unlock(c->srv->lock);
	free(text);
}

static void
conn_close_tls(struct conn *c)
{
	if (c->fd != NULL) {
		/* close_notify, no waiting for the client's. */
		(void)PR_Shutdown(c->fd, PR_SHUTDOWN_SEND);
		PR_Close(c->fd);
		c->fd = NULL;
		c->trace = NULL;        /* closed with the socket */
	}
	/* Before the report is printed: a key log that could not be
	 * written is part of the outcome. */
	keylog_close(c->keylog);
	c->keylog = NULL;
}

/* One connection, start to end, on a worker. */
static void
conn_serve(struct conn *c)
{
	PRFileDesc *tcp = c->tcp;

	c->tcp = NULL;
	if (conn_handshake(c, tcp) == 0)
		(void)conn_data(c);
	conn_close_tls(c);
	conn_output(c);
	conn_free(c);
}

/*
 * A worker takes queued connections until the queue is drained.  Workers
 * are kept between connections: starting a thread per connection halved
 * the rate of resumed handshakes (s_time -reuse).
 */
static void PR_CALLBACK
worker_main(void *arg)
{
	struct server *s = arg;

	for (;;) {
		struct conn *c;

		PR_Lock(s->lock);
		while (s->queue == NULL && !s->draining) {
			s->idle++;
			PR_WaitCondVar(s->cv, PR_INTERVAL_NO_TIMEOUT);
			s->idle--;
		}
		c = s->queue;
		if (c != NULL) {
			s->queue = c->next;
			if (s->queue == NULL)
				s->queue_tail = &s->queue;
			s->queued--;
			PR_NotifyCondVar(s->space);
		}
		PR_Unlock(s->lock);
		if (c == NULL)
			return;
		conn_serve(c);
	}
}

/* Queue an accepted connection; a new worker when none is idle (up to
 * MAX_ACTIVE), so a silent client never holds up the next one. */
static void
dispatch(struct server *s, struct conn *c)
{
	PR_Lock(s->lock);
	while (s->queued >= MAX_ACTIVE)
		PR_WaitCondVar(s->space, PR_MillisecondsToInterval(POLL_SLICE_MS));
	*s->queue_tail = c;
	s->queue_tail = &c->next;
	s->queued++;
	if (s->idle < s->queued && s->n_workers < MAX_ACTIVE) {
		PRThread *t = PR_CreateThread(PR_USER_THREAD, worker_main, s,
		    PR_PRIORITY_NORMAL, PR_GLOBAL_THREAD, PR_JOINABLE_THREAD, 0);

		if (t != NULL)
			s->workers[s->n_workers++] = t;
	}
	/* One job: one worker (waking them all would send the rest back to
	 * sleep, a futex storm per connection). */
	PR_NotifyCondVar(s->cv);
	PR_Unlock(s->lock);
}

/* No more connections: the workers finish the queue and end. */
static void
drain(struct server *s)
{
	PR_Lock(s->lock);
	s->draining = true;
	PR_NotifyAllCondVar(s->cv);
	PR_Unlock(s->lock);
	for (int i = 0; i < s->n_workers; i++)
		PR_JoinThread(s->workers[i]);
	/* Not one worker could be started: serve what is left here. */
	while (s->queue != NULL) {
		struct conn *c = s->queue;

		s->queue = c->next;
		conn_serve(c);
	}
}

/* Wait (a slice at most) for a client.  Returns it, or NULL. */
static PRFileDesc *
accept_one(struct server *s, PRNetAddr *peer)
{
	PRPollDesc pd = { s->listener, PR_POLL_READ, 0 };

	if (PR_Poll(&pd, 1, PR_MillisecondsToInterval(POLL_SLICE_MS)) <= 0)
		return NULL;
	return PR_Accept(s->listener, peer, PR_INTERVAL_NO_WAIT);
}

static int
serve_many(struct server *s)
{
	const struct nsstls_opts *o = s->opts;
	long served = 0;

	s->queue_tail = &s->queue;
	while (!stop_requested &&
	    (o->max_connections == 0 || served < o->max_connections)) {
		PRNetAddr peer;
		PRFileDesc *tcp;
		struct conn *c;

		if ((tcp = accept_one(s, &peer)) == NULL)
			continue;
		served++;
		c = conn_new(s, &peer);
		c->tcp = tcp;
		dispatch(s, c);
	}
	drain(s);
	return NSSTLS_EXIT_OK;
}

/* ~C on the terminal (io.c). */
static int
ask_cert(void *arg)
{
	return conn_request_cert_later(arg);
}

/* --once: one client, stdin <-> TLS as in connect mode; the exit status
 * is that connection's. */
static int
serve_once(struct server *s)
{
	const struct nsstls_opts *o = s->opts;
	struct tls_ctx t = { 0 };
	PRNetAddr peer;
	PRFileDesc *tcp = NULL;
	struct conn *c;
	int code;

	while (!stop_requested && (tcp = accept_one(s, &peer)) == NULL)
		;
	if (tcp == NULL)
		return NSSTLS_EXIT_OK;
	c = conn_new(s, &peer);
	if (conn_handshake(c, tcp) == 0 && !o->json) {
		server_report_text(stderr, &c->info, &c->report, o);
		t.opts = o;
		t.report = &c->report;
		t.nss = s->nss;
		t.model = s->nss->model;
		t.fd = c->fd;
		t.ask_cert = ask_cert;
		t.ask_cert_arg = c;
		(void)io_run(&t);
		/* A certificate asked for after the handshake (~C,
		 * --post-handshake-auth) came during the data. */
		if (c->info.cert_received && c->handshakes > 0 &&
		    strcmp(c->info.cert_when, "after the handshake") == 0)
			server_report_client_cert(stderr, &c->info, &c->report);
		out_text_error(stderr, &c->report);
	} else if (o->json) {
		(void)server_report_json(stdout, &c->info, &c->report, o);
	} else {
		server_report_text(stderr, &c->info, &c->report, o);
	}
	conn_close_tls(c);
	code = c->report.exit_code;
	conn_free(c);
	return code;
}

/* ------------------------------------------------------------------ */
/* Setup                                                               */

/* ALPN by the server's preference (--alpn order): the first of ours the
 * client offers.  NSS's own selection (SSL_SetNextProtoNego) follows the
 * client's order, so a callback replaces it. */
static SECStatus
select_alpn(void *arg, PRFileDesc *fd, const unsigned char *protos,
    unsigned protos_len, unsigned char *out, unsigned *out_len,
    unsigned out_max)
{
	const struct nsstls_opts *o = arg;

	*out_len = 0;
	for (size_t k = 0; k < o->n_alpn; k++) {
		size_t len = strlen(o->alpn[k]);

		for (unsigned i = 0; i < protos_len; i += 1u + protos[i]) {
			if (protos[i] == len && i + 1 + len <= protos_len &&
			    memcmp(protos + i + 1, o->alpn[k], len) == 0 &&
			    len <= out_max) {
				memcpy(out, o->alpn[k], len);
				*out_len = (unsigned)len;
				return SECSuccess;
			}
		}
	}
	return SECSuccess;          /* nothing in common: no ALPN */
}

static int
setup_alpn(PRFileDesc *model, const struct nsstls_opts *o)
{
	if (o->n_alpn == 0)
		return 0;
	return SSL_SetNextProtoCallback(model, select_alpn, (void *)o) ==
	    SECSuccess ? 0 : -1;
}

/* The model socket, made for connect mode, turned around. */
static int
setup_model(struct server *s, struct report *r)
{
	const struct nsstls_opts *o = s->opts;
	PRFileDesc *m = s->nss->model;
	bool ask = o->verify_client || o->request_client_cert;

	if (SSL_OptionSet(m, SSL_HANDSHAKE_AS_CLIENT, PR_FALSE) != SECSuccess ||
	    SSL_OptionSet(m, SSL_HANDSHAKE_AS_SERVER, PR_TRUE) != SECSuccess ||
	    /* The server cache is what lets clients resume. */
	    SSL_OptionSet(m, SSL_NO_CACHE, PR_FALSE) != SECSuccess ||
	    SSL_OptionSet(m, SSL_REQUEST_CERTIFICATE, ask) != SECSuccess ||
	    SSL_OptionSet(m, SSL_REQUIRE_CERTIFICATE, o->verify_client ?
	    SSL_REQUIRE_ALWAYS : SSL_REQUIRE_NEVER) != SECSuccess ||
	    SSL_OptionSet(m, SSL_ENABLE_0RTT_DATA, o->accept_early_data) !=
	    SECSuccess ||
	    setup_alpn(m, o) != 0) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "cannot configure the TLS server");
		return -1;
	}
	return 0;
}

/*
 * The PEM trust anchors (--ca-file) become the CA names sent in a
 * CertificateRequest (at the handshake, or later with ~C), and get the
 * "trusted client CA" flag (T), which NSS requires of an anchor for the
 * SSL client usage (nssinit gives them C, the server-side flag).
 */
static int
setup_client_cas(struct server *s)
{
	CERTCertTrust trust;

	if (s->nss->n_anchors == 0)
		return 0;
	if (CERT_DecodeTrustString(&trust, "CT,C,C") != SECSuccess)
		return -1;
	s->ca_names = CERT_NewCertList();
	if (s->ca_names == NULL)
		return -1;
	for (size_t i = 0; i < s->nss->n_anchors; i++) {
		CERTCertificate *c = s->nss->anchors[i].cert;

		(void)CERT_ChangeCertTrust(CERT_GetDefaultCertDB(), c, &trust);
		if (CERT_AddCertToListTail(s->ca_names, CERT_DupCertificate(c)) !=
		    SECSuccess)
			return -1;
	}
	return 0;
}

static int
setup_listener(struct server *s, struct report *r)
{
	const struct nsstls_opts *o = s->opts;
	PRSocketOptionData reuse = { PR_SockOpt_Reuseaddr, { PR_TRUE } };
	PRNetAddr addr;
	char host[64];

	if (PR_StringToNetAddr(o->listen_host, &addr) != PR_SUCCESS) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "--listen: '%s' is not an address", o->listen_host);
		return -1;
	}
	if (addr.raw.family == PR_AF_INET6)
		addr.ipv6.port = PR_htons(o->listen_port);
	else
		addr.inet.port = PR_htons(o->listen_port);
	s->listener = PR_OpenTCPSocket(addr.raw.family);
	if (s->listener == NULL ||
	    PR_SetSocketOption(s->listener, &reuse) != PR_SUCCESS ||
	    PR_Bind(s->listener, &addr) != PR_SUCCESS ||
	    PR_Listen(s->listener, 128) != PR_SUCCESS ||
	    PR_GetSockName(s->listener, &addr) != PR_SUCCESS) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "cannot listen on %s port %u", o->listen_host, o->listen_port);
		return -1;
	}
	(void)PR_NetAddrToString(&addr, host, sizeof(host));
	snprintf(s->listen, sizeof(s->listen),
	    addr.raw.family == PR_AF_INET6 ? "[%s]:%u" : "%s:%u", host,
	    PR_ntohs(PR_NetAddrInetPort(&addr)));
	return 0;
}

static int
setup(struct server *s, struct report *r)
{
	s->lock = PR_NewLock();
	s->cv = s->lock != NULL ? PR_NewCondVar(s->lock) : NULL;
	s->space = s->lock != NULL ? PR_NewCondVar(s->lock) : NULL;
	if (s->cv == NULL || s->space == NULL) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "cannot create a lock");
		return -1;
	}
	/* Defaults for size and lifetimes; no directory: one process. */
	if (SSL_ConfigServerSessionIDCache(0, 0, 0, NULL) != SECSuccess) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "cannot configure the server session cache");
		return -1;
	}
	s->cache = true;
	/*
	 * Without an anti-replay context NSS rejects all 0-RTT.  NSS also
	 * rejects it for the first window after the time given, against
	 * replays across a restart; here a ticket cannot outlive the
	 * process (NSS makes the ticket keys at random in each one), so the
	 * context starts two windows in the past.  A 2 s window, k = 7 and
	 * 2^14-bit filters: 1% false positives at 1000 hellos (sslexp.h).
	 */
	if (s->opts->accept_early_data &&
	    SSL_CreateAntiReplayContext(PR_Now() - 2 * ANTI_REPLAY_WINDOW,
	    ANTI_REPLAY_WINDOW, 7, 14, &s->anti_replay) != SECSuccess) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "cannot create the 0-RTT anti-replay context");
		return -1;
	}
	if (setup_model(s, r) != 0 ||
	    server_cert_config(s->nss->model, s->opts, s->nss, r, &s->certs) != 0)
		return -1;
	if (setup_client_cas(s) != 0) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "cannot prepare the client CA names");
		return -1;
	}
	return setup_listener(s, r);
}

/* Everything NSS holds for the server, released so NSS_Shutdown can
 * succeed: the model (it references the certificates and keys), the
 * certificates, the session cache. */
static void
teardown(struct server *s)
{
	if (s->listener != NULL)
		PR_Close(s->listener);
	if (s->nss->model != NULL) {
		PR_Close(s->nss->model);
		s->nss->model = NULL;
	}
	server_cert_free(&s->certs);
	if (s->ca_names != NULL)
		CERT_DestroyCertList(s->ca_names);
	if (s->anti_replay != NULL)
		(void)SSL_ReleaseAntiReplayContext(s->anti_replay);
	if (s->cache)
		(void)SSL_ShutdownServerSessionIDCache();
	if (s->cv != NULL)
		PR_DestroyCondVar(s->cv);
	if (s->space != NULL)
		PR_DestroyCondVar(s->space);
	if (s->lock != NULL)
		PR_DestroyLock(s->lock);
}

/* --once is the default when stdin is a terminal or a pipe: someone (or
 * something) is there to talk to the one client. */
static bool
stdin_is_conversation(void)
{
	struct stat st;

	return isatty(STDIN_FILENO) ||
	    (fstat(STDIN_FILENO, &st) == 0 && S_ISFIFO(st.st_mode));
}

int
server_run(const struct nsstls_opts *o, struct nss_ctx *nss,
    struct report *r)
{
	struct server s = { .opts = o, .nss = nss, .setup = r };
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	int code;

	s.once = o->once || (!o->echo && !o->www && o->max_connections == 0 &&
	    stdin_is_conversation());
	if (setup(&s, r) != 0) {
		teardown(&s);
		return out_finish(r, o, false, stdout, stderr);
	}
	/* No SA_RESTART: a signal wakes PR_Poll, and the loops look at the
	 * flag at least every POLL_SLICE_MS. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	server_report_listening(stderr, s.listen);
	server_report_certs(stderr, s.certs.info, s.certs.sent, s.certs.n);
	code = s.once ? serve_once(&s) : serve_many(&s);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	teardown(&s);
	return code;
}
