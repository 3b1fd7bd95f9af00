/*
 * scan_probe: the probes of --scan (see scan_probe.h).
 */
#include "scan_probe.h"

#include <stdlib.h>
#include <string.h>

#include <prerror.h>
#include <pk11pub.h>
#include <prinit.h>
#include <ssl.h>
#include <sslerr.h>
#include <sslexp.h>
#include <sslproto.h>

#include "dial.h"
#include "ech.h"
#include "tls.h"
#include "util.h"
#include "verify.h"

/* Back-off after a refused connection: 50 ms doubling, at most this many
 * tries, and never past --connect-timeout. */
#define REFUSED_FIRST_MS 50
#define REFUSED_TRIES 7
#define REFUSED_TRIES_UNREACHED 3
#define SILENT_TRIES 3

unsigned long
scan_probe_session_id(void)
{
	/* Far above client.c's per-target IDs: a scan's sessions never meet
	 * another target's. */
	static unsigned long next = 1UL << 40;

	return __atomic_add_fetch(&next, 1, __ATOMIC_RELAXED);
}

static void
count_lost(struct scan_ctx *s)
{
	pthread_mutex_lock(&s->lock);
	s->lost++;
	pthread_mutex_unlock(&s->lock);
}

/* One connection attempt; refused: the server would not take it. */
static void
count(struct scan_ctx *s, bool refused)
{
	pthread_mutex_lock(&s->lock);
	s->connections++;
	s->refusals += refused;
	if (s->progress) {
		fprintf(s->err, "\r\033[Knsstls: scanning %s: %u connections",
		    s->o->target.host, s->connections);
		fflush(s->err);
	}
	pthread_mutex_unlock(&s->lock);
}

/* The server could not be reached (TCP, proxy or STARTTLS): worth a
 * retry after a pause, as opposed to a TLS answer. */
static bool
unreachable(const struct report *r)
{
	return r->exit_code == NSSTLS_EXIT_REACH ||
	    r->exit_code == NSSTLS_EXIT_NEGOTIATE;
}

/* Sleep before try number `try` (from 1); false when the back-off would
 * pass --connect-timeout.  A server never reached yet gets few tries: it
 * is more likely down than busy, and a down server should fail fast. */
static bool
back_off(struct scan_ctx *s, int try, int64_t start_us, bool silent)
{
	const struct nsstls_opts *o = s->o;
	long ms = REFUSED_FIRST_MS << (try - 1);
	bool reached, shedding;

	pthread_mutex_lock(&s->lock);
	reached = s->connections > s->refusals;
	shedding = s->refusals > 0;
	pthread_mutex_unlock(&s->lock);
	/* A close before any byte is a refusal of the hello by some servers
	 * and a dropped connection by a busy one: a few quick tries tell
	 * them apart, the full back-off once the server refused TCP too. */
	if (try >= (!reached ? REFUSED_TRIES_UNREACHED :
	    silent && !shedding ? SILENT_TRIES : REFUSED_TRIES) ||
	    util_now_us() - start_us + ms * 1000 > o->connect_timeout_ms * 1000)
		return false;
	PR_Sleep(PR_MillisecondsToInterval((PRUint32)ms));
	return true;
}

/* The options of one probe: the user's, with what it offers pinned. */
static void
probe_opts(const struct nsstls_opts *base, const struct probe *p,
    struct nsstls_opts *o)
{
	*o = *base;
	o->tls_min = p->vmin;
	o->tls_max = p->vmax;
	o->ciphers = (uint16_t *)p->suites;
	o->n_ciphers = p->n_suites;
	if (p->suites == NULL) {
		o->ciphers = (uint16_t *)SSL_GetImplementedCiphers();
		o->n_ciphers = SSL_GetNumImplementedCiphers();
	}
	o->groups = (SSLNamedGroup *)p->groups;
	o->n_groups = p->n_groups;
	o->sigalgs = (SSLSignatureScheme *)p->sigalgs;
	o->n_sigalgs = p->n_sigalgs;
	o->alpn = p->alpn;
	o->n_alpn = p->n_alpn;
	if (p->no_sni)
		o->servername = NULL;
	/* A probe reports; it never fails on the certificate (the verdict
	 * is recorded all the same) and runs nothing after the handshake. */
	o->insecure = 1;
	o->reconnect = 0;
	o->renegotiate = 0;
	o->key_update = KEY_UPDATE_NONE;
	o->n_exporters = 0;
	o->keylog = NULL;
	o->trace = 0;
	o->early_data = NULL;
	o->ech_config = NULL;
	o->ech_auto = 0;
	o->ech_grease = 0;
	o->post_handshake_auth = 0;
	o->ocsp = 0;
}

/* Probes that only ask what the server accepts do not judge its
 * certificate (the certificate probes do, through verify.c): a chain
 * verification per probe would cost more CPU than the probe itself. */
static SECStatus
accept_unjudged(void *arg, PRFileDesc *fd, PRBool checksig, PRBool is_server)
{
	return SECSuccess;
}

/* A ticket as NSS hands it to an external cache: its terms say whether
 * the server would take early data.  The token of the one allowing the
 * most is kept: NSS then files nothing in its own cache, so a second
 * probe resumes with it through SSL_SetResumptionToken. */
static SECStatus
ticket_read(PRFileDesc *fd, const PRUint8 *token, unsigned int len, void *arg)
{
	struct probe *p = arg;
	SSLResumptionTokenInfo info;

	if (SSL_GetResumptionTokenInfo(token, len, &info, sizeof(info)) != SECSuccess)
		return SECSuccess;
	if (!p->got_ticket || info.maxEarlyDataSize > p->max_early_data) {
		free(p->ticket);
		p->ticket = xmalloc(len);
		memcpy(p->ticket, token, len);
		p->ticket_len = len;
		p->max_early_data = info.maxEarlyDataSize;
	}
	p->got_ticket = true;
	SSL_DestroyResumptionTokenInfo(&info);
	return SECSuccess;
}

/* Per-connection settings NSS does not take from the model. */
static int
tune(struct tls_ctx *t, struct probe *p, const struct nsstls_opts *o)
{
	PRFileDesc *fd = t->fd;

	if (!p->keep_report &&
	    SSL_AuthCertificateHook(fd, accept_unjudged, NULL) != SECSuccess)
		return -1;
	if (p->in_given_order &&
	    SSL_CipherSuiteOrderSet(fd, o->ciphers, (PRUint16)o->n_ciphers) != SECSuccess)
		return -1;
	if (p->fallback_scsv &&
	    SSL_OptionSet(fd, SSL_ENABLE_FALLBACK_SCSV, PR_TRUE) != SECSuccess)
		return -1;
	if (p->no_tickets &&
	    SSL_OptionSet(fd, SSL_ENABLE_SESSION_TICKETS, PR_FALSE) != SECSuccess)
		return -1;
	if (p->session != 0 &&
	    SSL_OptionSet(fd, SSL_NO_CACHE, PR_FALSE) != SECSuccess)
		return -1;
	if (p->read_tickets &&
	    SSL_SetResumptionTokenCallback(fd, ticket_read, p) != SECSuccess)
		return -1;
	if (p->token != NULL &&
	    SSL_SetResumptionToken(fd, p->token, p->token_len) != SECSuccess)
		return -1;
	/* 0-RTT is off unless asked for per socket; tls.c writes p->early
	 * right after the ClientHello when the ticket allows it. */
	if (p->early != NULL &&
	    SSL_OptionSet(fd, SSL_ENABLE_0RTT_DATA, PR_TRUE) != SECSuccess)
		return -1;
	return 0;
}

/* TLS 1.3 tickets follow the handshake: read (peek, so nothing is
 * consumed) until the server has been quiet for TICKET_QUIET_MS, within
 * --timeout.  NSS files each ticket in its session cache as it reads it. */
#define TICKET_QUIET_MS 50

static void
await_tickets(struct tls_ctx *t)
{
	int64_t deadline = util_now_us() + t->opts->timeout_ms * 1000;

	while (util_now_us() < deadline) {
		char c;
		PRPollDesc pd = { t->fd, PR_POLL_READ, 0 };

		if (PR_Recv(t->fd, &c, 1, PR_MSG_PEEK, PR_INTERVAL_NO_WAIT) >= 0 ||
		    PR_GetError() != PR_WOULD_BLOCK_ERROR)
			return;         /* data, a close or an error: no more tickets */
		if (PR_Poll(&pd, 1, PR_MillisecondsToInterval(TICKET_QUIET_MS)) <= 0)
			return;
	}
}

static void
after_handshake(struct tls_ctx *t, struct probe *p)
{
	PRBool reneg = PR_FALSE;

	p->hs = t->report->handshakes[0];
	p->ech_accepted = t->report->ech.accepted;
	p->secure_reneg = SSL_HandshakeNegotiatedExtension(t->fd,
	    ssl_renegotiation_info_xtn, &reneg) == SECSuccess && reneg;
	if (p->await_tickets)
		await_tickets(t);
	if (p->renegotiate)
		p->renegotiated = tls_renegotiate(t) == 0;
}

/* One try.  Returns the outcome; *retry when the server was unreachable. */
/* The server closed (or reset) the connection before sending a byte. */
static bool
closed_silently(PRErrorCode err, uint64_t received)
{
	return received == 0 && (err == PR_END_OF_FILE_ERROR ||
	    err == PR_CONNECT_RESET_ERROR);
}

static enum probe_outcome
try_tls(struct scan_ctx *s, struct probe *p, PRFileDesc *model,
    const struct nsstls_opts *o, struct report *r, bool *retry, bool *silent)
{
	struct verify_ctx v = { o, s->nss, r, NULL, NULL, 0, 0 };
	struct tls_ctx t;
	enum probe_outcome out = PROBE_LOST;

	*retry = *silent = false;
	v.target_id = p->session != 0 ? p->session : scan_probe_session_id();
	dial_ctx_init(&t, o, s->nss, r);
	t.model = model;
	t.early = p->early;
	t.early_len = p->early_len;
	if (dial_open(&t, &v) != 0) {
		*retry = unreachable(r);
		count(s, *retry);
		goto out;
	}
	count(s, false);
	if (tune(&t, p, o) != 0) {
		p->error = PR_GetError();
		goto out;
	}
	if (tls_handshake(&t) != 0) {
		p->error = r->error;
		out = r->error == PR_IO_TIMEOUT_ERROR ? PROBE_LOST : PROBE_REFUSED;
		*retry = *silent = closed_silently(r->error, r->wire_received.bytes);
		goto out;
	}
	p->early_sent = t.early_sent;
	after_handshake(&t, p);
	out = PROBE_ACCEPTED;
out:
	tls_close(&t);
	return out;
}

enum probe_outcome
scan_probe_tls(struct scan_ctx *s, struct probe *p)
{
	struct nsstls_opts o;
	struct report *r = xcalloc(1, sizeof(*r));
	PRFileDesc *model;
	int64_t start = util_now_us();
	bool retry = false, silent = false;

	probe_opts(s->o, p, &o);
	p->outcome = PROBE_LOST;
	for (int try = 1;; try++) {
		report_free(r);
		report_init(r, o.target.host, o.port);
		/* The same trust sources in the same order: the chain links
		 * index them. */
		for (size_t i = 0; i < s->setup->n_trust; i++)
			report_add_trust(r, s->setup->trust[i].name,
			    s->setup->trust[i].detail, s->setup->trust[i].anchors);
		r->servername = o.servername;
		r->verify_name = o.verify_name;
		if (p->ech && s->ech != NULL)
			ech_copy_setup(r, s->ech);
		model = tls_model_create(&o, r);
		if (model == NULL) {
			p->error = r->error;
			break;
		}
		p->outcome = try_tls(s, p, model, &o, r, &retry, &silent);
		tls_model_destroy(model);
		if (!retry || !back_off(s, try, start, silent))
			break;
	}
	if (p->outcome == PROBE_LOST)
		count_lost(s);
	if (p->keep_report) {
		p->report = r;
	} else {
		report_free(r);
		free(r);
	}
	return p->outcome;
}

/* Send all of buf within the deadline.  Returns 0 or -1. */
static int
send_all(PRFileDesc *fd, const uint8_t *buf, size_t len, int64_t deadline)
{
	size_t off = 0;

	while (off < len) {
		PRInt32 n = PR_Send(fd, buf + off, (PRInt32)(len - off), 0,
		    PR_INTERVAL_NO_WAIT);
		PRPollDesc pd = { fd, PR_POLL_WRITE, 0 };
		int64_t left = deadline - util_now_us();

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && PR_GetError() != PR_WOULD_BLOCK_ERROR)
			return -1;
		if (left <= 0 || PR_Poll(&pd, 1,
		    PR_MillisecondsToInterval((PRUint32)(left / 1000 + 1))) <= 0)
			return -1;
	}
	return 0;
}

/* What a raw probe reads at most: a ServerHello, or with a key
 * exchange to read the whole first flight up to it, certificates and all
 * (the largest chains seen are ~30 KiB). */
#define ANSWER_MAX (16384 + 2048 + 5)
#define FLIGHT_MAX (128 * 1024)

static enum rawhello_kind
parse_answer(const uint8_t *buf, size_t len, enum rawhello_kx kx,
    struct rawhello_answer *a)
{
	return kx == RAWHELLO_KX_NONE ? rawhello_parse_server_hello(buf, len, a) :
	    rawhello_parse_key_exchange(buf, len, kx, a);
}

/* Read until the answer can be parsed, the server closes, or the
 * deadline.  Returns the outcome. */
static enum probe_outcome
read_answer(PRFileDesc *fd, int64_t deadline, enum rawhello_kx kx,
    struct rawhello_answer *a, bool *silent)
{
	size_t cap = kx == RAWHELLO_KX_NONE ? ANSWER_MAX : FLIGHT_MAX, len = 0;
	uint8_t *buf = xmalloc(cap);
	enum probe_outcome out;

	for (;;) {
		PRPollDesc pd = { fd, PR_POLL_READ, 0 };
		int64_t left = deadline - util_now_us();
		PRInt32 n;

		switch (parse_answer(buf, len, kx, a)) {
		case RAWHELLO_INCOMPLETE:
			break;
		case RAWHELLO_ALERT:
		case RAWHELLO_MALFORMED:
			out = PROBE_REFUSED;
			goto out;
		default:
			out = PROBE_ACCEPTED;
			goto out;
		}
		out = PROBE_REFUSED;
		if (len == cap)
			goto out;
		n = PR_Recv(fd, buf + len, (PRInt32)(cap - len), 0,
		    PR_INTERVAL_NO_WAIT);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n == 0 || PR_GetError() != PR_WOULD_BLOCK_ERROR) {
			/* Closed or reset: a no, unless before any byte. */
			*silent = len == 0;
			goto out;
		}
		out = PROBE_LOST;
		if (left <= 0 || PR_Poll(&pd, 1,
		    PR_MillisecondsToInterval((PRUint32)(left / 1000 + 1))) < 0)
			goto out;
	}
out:
	free(buf);
	return out;
}

enum probe_outcome
scan_probe_raw(struct scan_ctx *s, struct rawhello_spec *spec,
    struct rawhello_answer *a)
{
	uint8_t hello[16384 + 5];
	size_t len;
	int64_t start = util_now_us();
	enum probe_outcome out = PROBE_LOST;

	memset(a, 0, sizeof(*a));
	spec->sni = s->o->servername;
	if (PK11_GenerateRandom(spec->random, sizeof(spec->random)) != SECSuccess)
		return PROBE_LOST;
	len = rawhello_build(spec, hello, sizeof(hello));
	if (len == 0)
		return PROBE_LOST;
	for (int try = 1;; try++) {
		struct report r;
		PRFileDesc *fd;
		bool retry, silent = false;

		report_init(&r, s->o->target.host, s->o->port);
		fd = dial_reach(s->o, &r);
		retry = fd == NULL && unreachable(&r);
		count(s, retry);
		report_free(&r);
		if (fd != NULL) {
			int64_t deadline = util_now_us() + s->o->timeout_ms * 1000;

			out = send_all(fd, hello, len, deadline) != 0 ? PROBE_REFUSED :
			    read_answer(fd, deadline, spec->read_kx, a, &silent);
			PR_Close(fd);
			if (!silent || !back_off(s, try, start, true))
				break;
			continue;
		}
		if (!retry || !back_off(s, try, start, false))
			break;
	}
	if (out == PROBE_LOST)
		count_lost(s);
	return out;
}
