/*
 * tls: model socket, handshake driver and post-handshake actions (see
 * tls.h).
 *
 * Every setting goes on one model socket; SSL_ImportFD(model, fd) copies
 * options, version range, cipher preferences, groups, signature schemes,
 * ALPN and hooks to the connection.  What NSS does not copy (the secret
 * callback, SSL_SetURL's name) is set per connection in tls_import().
 */
#include "tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nss.h>
#include <ssl.h>
#include <sslerr.h>
#include <sslexp.h>
#include <sslproto.h>

#include "clientauth.h"
#include "ech.h"
#include "keylog.h"
#include "names.h"
#include "trace.h"
#include "util.h"

void
tls_channel_facts(struct handshake_info *h, const SSLChannelInfo *ch)
{
	h->version = ch->protocolVersion;
	h->suite = ch->cipherSuite;
	h->suite_name = names_cipher_str(ch->cipherSuite);
	h->group = ch->keaGroup;
	h->sig_scheme = ch->signatureScheme;
	h->resumed = ch->resumed;
	h->ems = ch->extendedMasterSecretUsed;
	h->early_data_accepted = ch->earlyDataAccepted;
	h->forward_secret = ch->keaType != ssl_kea_rsa;
	h->auth_bits = (int)ch->authKeyBits;
	h->kea_bits = (int)ch->keaKeyBits;
}

static void
handshake_done(PRFileDesc *fd, void *arg)
{
	struct tls_ctx *t = arg;
	struct report *r = t->report;
	struct handshake_info *h = report_add_handshake(r);
	SSLChannelInfo ch;
	SSLNextProtoState state;
	unsigned len = 0;

	h->duration_us = util_now_us() - t->hs_start_us;
	if (t->handshakes_done == 0)
		r->handshake_done_us = util_now_us();
	t->handshakes_done++;
	keylog_check(t->keylog, fd);    /* TLS 1.2 or ECH: why no key log */
	if (SSL_GetChannelInfo(fd, &ch, sizeof(ch)) != SECSuccess)
		return;
	tls_channel_facts(h, &ch);
	{
		PRBool ticket = PR_FALSE;

		/* On a full TLS 1.2 handshake this says the server will issue a
		 * ticket; session.c uses it to tell how a resumption worked. */
		h->ticket_offered = SSL_HandshakeNegotiatedExtension(fd,
		    ssl_session_ticket_xtn, &ticket) == SECSuccess && ticket;
	}
	if (ch.resumed)
		/* TLS 1.3 resumes with a ticket (PSK) only. */
		h->resumed_by = ch.protocolVersion >= SSL_LIBRARY_VERSION_TLS_1_3 ||
		    h->ticket_offered ? "ticket" : "session id";
	/*
	 * NSS sends a key share for the first configured group only, so in a
	 * full TLS 1.3 handshake a different group means the server asked for
	 * it with a HelloRetryRequest.  (SSLChannelInfo.originalKeaGroup is
	 * about resumption, not HRR.)
	 */
	if (ch.protocolVersion >= SSL_LIBRARY_VERSION_TLS_1_3 && !ch.resumed) {
		SSLNamedGroup first = t->opts->groups != NULL ?
		    t->opts->groups[0] : names_default_groups[0];

		if (ch.keaGroup != first) {
			h->hrr = true;
			h->first_group = first;
		}
	}
	if (SSL_GetNextProto(fd, &state, (unsigned char *)h->alpn, &len,
	    sizeof(h->alpn) - 1) == SECSuccess &&
	    state == SSL_NEXT_PROTO_SELECTED)
		h->alpn[len] = '\0';
	else
		h->alpn[0] = '\0';
}

static void
alert_received(const PRFileDesc *fd, void *arg, const SSLAlert *alert)
{
	struct tls_ctx *t = arg;

	report_add_alert(t->report, false, alert->level, alert->description);
	/* OpenSSL refuses client-initiated renegotiation with a warning
	 * no_renegotiation alert, which NSS ignores: without this the
	 * renegotiation would only end at the timeout. */
	if (t->renegotiating && alert->description == 100)
		t->refused = true;
}

static void
alert_sent(const PRFileDesc *fd, void *arg, const SSLAlert *alert)
{
	struct tls_ctx *t = arg;

	report_add_alert(t->report, true, alert->level, alert->description);
}

/* Called for each new traffic secret (TLS 1.3).  A read-direction secret
 * past the application epoch (3) means the server sent a KeyUpdate.
 * NSS keeps one secret callback per socket, so the key log is fed from
 * here too. */
static void
secret_cb(PRFileDesc *fd, PRUint16 epoch, SSLSecretDirection dir,
    PK11SymKey *secret, void *arg)
{
	struct tls_ctx *t = arg;

	if (dir == ssl_secret_read && epoch > 3)
		t->report->peer_key_update_seen = true;
	keylog_on_secret(t->keylog, fd, epoch, dir, secret);
	trace_on_secret(t->trace, fd, epoch, dir, secret);
}

static int
set_ciphers(PRFileDesc *model, const struct nsstls_opts *o)
{
	const PRUint16 *impl = SSL_GetImplementedCiphers();
	PRUint16 n = SSL_GetNumImplementedCiphers();
	const uint16_t *want = o->ciphers ? o->ciphers : names_default_ciphers;
	size_t nwant = o->ciphers ? o->n_ciphers : names_default_ciphers_len;

	/* NSS's defaults include RC4, 3DES and DHE-DSS: switch everything
	 * off, then on exactly what was asked for. */
	for (PRUint16 i = 0; i < n; i++)
		if (SSL_CipherPrefSet(model, impl[i], PR_FALSE) != SECSuccess)
			return -1;
	for (size_t i = 0; i < nwant; i++)
		if (SSL_CipherPrefSet(model, want[i], PR_TRUE) != SECSuccess)
			return -1;
	return 0;
}

/* ALPN in wire format.  NSS moves the first entry of the list to the end
 * (a leftover of NPN's fallback protocol), so the user's last choice goes
 * first to come out in the user's order. */
static int
set_alpn(PRFileDesc *model, const struct nsstls_opts *o)
{
	unsigned char *wire;
	unsigned len = 0;
	int rc;

	if (o->n_alpn == 0)
		return 0;
	/* cli.c bounds the list by the extension's 65535 bytes. */
	wire = xmalloc(65536);
	for (size_t k = 0; k < o->n_alpn; k++) {
		const char *p = o->alpn[(k + o->n_alpn - 1) % o->n_alpn];
		size_t plen = strlen(p);

		if (len + 1 + plen > 65535) {
			free(wire);
			return -1;
		}
		wire[len++] = (unsigned char)plen;
		memcpy(wire + len, p, plen);
		len += (unsigned)plen;
	}
	rc = SSL_SetNextProtoNego(model, wire, len) == SECSuccess ? 0 : -1;
	free(wire);
	return rc;
}

void
tls_model_destroy(PRFileDesc *model)
{
	if (model != NULL)
		PR_Close(model);
}

PRFileDesc *
tls_model_create(const struct nsstls_opts *o, struct report *r)
{
	SSLVersionRange range = { o->tls_min, o->tls_max };
	PRFileDesc *tcp, *model = NULL;
	const char *what = NULL;

	/* The model must wrap a real socket: SSL_ImportFD(NULL, NULL)
	 * crashes in NSS 3.87. */
	tcp = PR_NewTCPSocket();
	if (tcp == NULL) {
		what = "socket";
		goto fail;
	}
	model = SSL_ImportFD(NULL, tcp);
	if (model == NULL) {
		PR_Close(tcp);
		what = "SSL_ImportFD";
		goto fail;
	}
	what = "options";
	if (SSL_OptionSet(model, SSL_SECURITY, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(model, SSL_HANDSHAKE_AS_CLIENT, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(model, SSL_ENABLE_SESSION_TICKETS, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(model, SSL_ENABLE_OCSP_STAPLING, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(model, SSL_ENABLE_SIGNED_CERT_TIMESTAMPS, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(model, SSL_ENABLE_EXTENDED_MASTER_SECRET, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(model, SSL_ENABLE_RENEGOTIATION,
		SSL_RENEGOTIATE_REQUIRES_XTN) != SECSuccess ||
	    SSL_OptionSet(model, SSL_ENABLE_POST_HANDSHAKE_AUTH,
		o->post_handshake_auth ? PR_TRUE : PR_FALSE) != SECSuccess ||
	    /* Every connection is a full handshake, so every one is verified
	     * and reported: a resumed session carries no certificates. */
	    SSL_OptionSet(model, SSL_NO_CACHE, PR_TRUE) != SECSuccess)
		goto fail;
	what = "version range";
	if (SSL_VersionRangeSet(model, &range) != SECSuccess)
		goto fail;
	what = "cipher suites";
	if (set_ciphers(model, o) != 0)
		goto fail;
	what = "groups";
	if (SSL_NamedGroupConfig(model,
	    o->groups ? o->groups : names_default_groups,
	    (unsigned)(o->groups ? o->n_groups : names_default_groups_len)) != SECSuccess)
		goto fail;
	what = "signature schemes";
	if (SSL_SignatureSchemePrefSet(model,
	    o->sigalgs ? o->sigalgs : names_default_sigalgs,
	    (unsigned)(o->sigalgs ? o->n_sigalgs : names_default_sigalgs_len)) != SECSuccess)
		goto fail;
	what = "ALPN";
	if (set_alpn(model, o) != 0)
		goto fail;
	return model;
fail:
	report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
	    "cannot configure TLS (%s)", what);
	if (model != NULL)
		PR_Close(model);
	return NULL;
}

int
tls_import(struct tls_ctx *t, PRFileDesc *tcp, struct verify_ctx *v)
{
	const struct nsstls_opts *o = t->opts;

	/* The trace layer goes under SSL, before the import: only there are
	 * records, byte counts and the ClientHello's random visible. */
	if (o->keylog != NULL &&
	    (t->keylog = keylog_open(o->keylog, t->report)) == NULL) {
		PR_Close(tcp);
		return -1;
	}
	t->trace = trace_push(tcp, o, t->report, t->trace_out, t->keylog);
	if (t->trace == NULL) {
		report_fail(t->report, PHASE_HANDSHAKE, PR_GetError(),
		    NSSTLS_EXIT_HANDSHAKE, "cannot trace the connection");
		PR_Close(tcp);
		return -1;
	}
	t->fd = SSL_ImportFD(t->model, tcp);
	if (t->fd == NULL) {
		PR_Close(tcp);
		t->trace = NULL;        /* closed with the socket */
		report_fail(t->report, PHASE_HANDSHAKE, PR_GetError(),
		    NSSTLS_EXIT_HANDSHAKE, "cannot start TLS on the connection");
		return -1;
	}
	/* The model is shared by every connection (and thread); the hooks
	 * get this connection's arguments here, on the connection itself.
	 * The pin argument reaches the password callback when NSS needs a
	 * key; SSL_SetURL sets the SNI (our own hook checks the name). */
	if (verify_install(t->fd, v) != 0 ||
	    clientauth_install(t->fd, &t->client_auth) != 0 ||
	    SSL_HandshakeCallback(t->fd, handshake_done, t) != SECSuccess ||
	    SSL_AlertReceivedCallback(t->fd, alert_received, t) != SECSuccess ||
	    SSL_AlertSentCallback(t->fd, alert_sent, t) != SECSuccess ||
	    SSL_SetPKCS11PinArg(t->fd, t->nss) != SECSuccess ||
	    (o->servername != NULL && SSL_SetURL(t->fd, o->servername) != SECSuccess) ||
	    SSL_ResetHandshake(t->fd, PR_FALSE) != SECSuccess) {
		report_fail(t->report, PHASE_HANDSHAKE, PR_GetError(),
		    NSSTLS_EXIT_HANDSHAKE, "cannot prepare the handshake");
		return -1;
	}
	/* NSS's client session cache is one per process, keyed by address,
	 * port and name: a peer ID per target keeps one target from resuming
	 * (and so skipping the verification of) another's session. */
	if (v->target_id != 0) {
		char id[48];

		snprintf(id, sizeof(id), "nsstls-target-%lu", v->target_id);
		if (SSL_SetSockPeerID(t->fd, id) != SECSuccess) {
			report_fail(t->report, PHASE_HANDSHAKE, PR_GetError(),
			    NSSTLS_EXIT_HANDSHAKE, "cannot set the session cache ID");
			return -1;
		}
	}
	/* --reconnect resumes: this connection's session goes into (and the
	 * next one comes from) NSS's client cache, off by default. */
	if (o->reconnect > 0 &&
	    (SSL_OptionSet(t->fd, SSL_NO_CACHE, PR_FALSE) != SECSuccess ||
	    (t->early != NULL &&
	    SSL_OptionSet(t->fd, SSL_ENABLE_0RTT_DATA, PR_TRUE) != SECSuccess))) {
		report_fail(t->report, PHASE_HANDSHAKE, PR_GetError(),
		    NSSTLS_EXIT_HANDSHAKE, "cannot enable session resumption");
		return -1;
	}
	/* ECH configs and GREASE are per connection (after SSL_SetURL,
	 * whose name becomes the inner SNI). */
	if (ech_install(t->fd, t->report) != 0)
		return -1;
	/* Not inherited from the model; only used to notice the server's
	 * KeyUpdate, so a failure here is not fatal. */
	(void)SSL_SecretCallback(t->fd, secret_cb, t);
	return 0;
}

static void
send_early_data(struct tls_ctx *t)
{
	SSLPreliminaryChannelInfo pi;
	PRInt32 n;
	size_t len = t->early_len;

	if (SSL_GetPreliminaryChannelInfo(t->fd, &pi, sizeof(pi)) != SECSuccess ||
	    !pi.canSendEarlyData)
		return;
	if (len > pi.maxEarlyDataSize)
		len = pi.maxEarlyDataSize;
	n = PR_Write(t->fd, t->early, (PRInt32)len);
	if (n > 0)
		t->early_sent = (size_t)n;
}

/*
 * Drive a handshake on the non-blocking socket until the handshake
 * callback has fired once more, polling with the remaining time.
 * Returns 0, or -1 with the NSPR error set.
 */
static int
drive(struct tls_ctx *t, size_t target)
{
	int64_t deadline = util_now_us() + (int64_t)t->opts->timeout_ms * 1000;
	bool early_pending = t->early != NULL && t->early_sent == 0;

	/* 0-RTT: the first SSL_ForceHandshake only sends the ClientHello
	 * (reads are held), then NSS says whether early data may follow
	 * (a resumed TLS 1.3 session whose ticket allows it) and it is
	 * written before any of the server's answer is read. */
	if (early_pending)
		trace_hold_reads(t->trace, true);
	while (t->handshakes_done < target) {
		PRPollDesc pd;
		int64_t left;

		if (SSL_ForceHandshake(t->fd) != SECSuccess &&
		    PR_GetError() != PR_WOULD_BLOCK_ERROR) {
			trace_hold_reads(t->trace, false);
			return -1;
		}
		if (early_pending) {
			send_early_data(t);
			trace_hold_reads(t->trace, false);
			early_pending = false;
			continue;       /* the server's answer may be waiting */
		}
		if (t->handshakes_done >= target)
			break;
		if (t->refused) {
			PR_SetError(SSL_ERROR_RENEGOTIATION_NOT_ALLOWED, 0);
			return -1;
		}
		left = deadline - util_now_us();
		if (left <= 0) {
			PR_SetError(PR_IO_TIMEOUT_ERROR, 0);
			return -1;
		}
		pd.fd = t->fd;
		pd.in_flags = PR_POLL_READ | PR_POLL_EXCEPT;
		pd.out_flags = 0;
		if (PR_Poll(&pd, 1, PR_MillisecondsToInterval(
		    (PRUint32)((left + 999) / 1000))) < 0)
			return -1;
	}
	return 0;
}

static const char *
handshake_words(PRErrorCode err)
{
	switch (err) {
	case PR_IO_TIMEOUT_ERROR:
		return "the server did not complete the handshake in time";
	case PR_END_OF_FILE_ERROR:
	case PR_CONNECT_RESET_ERROR:
		return "the server closed the connection during the handshake";
	case SSL_ERROR_RX_RECORD_TOO_LONG:
	case SSL_ERROR_RX_MALFORMED_SERVER_HELLO:
	case SSL_ERROR_RX_UNKNOWN_RECORD_TYPE:
	case SSL_ERROR_BAD_SERVER:
		return "the server's answer is not TLS (wrong port or protocol?)";
	case SSL_ERROR_NO_CYPHER_OVERLAP:
		return "no cipher suite in common with the server";
	case SSL_ERROR_PROTOCOL_VERSION_ALERT:
	case SSL_ERROR_UNSUPPORTED_VERSION:
		return "no TLS version in common with the server";
	case SSL_ERROR_HANDSHAKE_FAILURE_ALERT:
		return "the server refused the handshake (handshake_failure alert)";
	case SSL_ERROR_NO_SUPPORTED_SIGNATURE_ALGORITHM:
	case SSL_ERROR_UNSUPPORTED_SIGNATURE_ALGORITHM:
		return "no signature scheme in common with the server";
	case SSL_ERROR_NO_CERTIFICATE:
		return "the server sent no certificate";
	default:
		return PR_ErrorToString(err, PR_LANGUAGE_I_DEFAULT);
	}
}

static int await_post_handshake(struct tls_ctx *t);

/* After the first post-handshake record, this much silence ends the
 * wait for more. */
#define POST_HANDSHAKE_QUIET_US (50 * 1000)

/* A rejection of our client certificate (or of its absence), in words;
 * NULL when err is not one. */
static const char *
client_auth_words(const struct report *r, PRErrorCode err)
{
	if (!r->client_auth.requested)
		return NULL;
	switch (err) {
	case SSL_ERROR_RX_CERTIFICATE_REQUIRED_ALERT:
		return "the server requires a client certificate and none was sent "
		    "(certificate_required alert)";
	case SSL_ERROR_BAD_CERT_ALERT:
	case SSL_ERROR_UNSUPPORTED_CERT_ALERT:
	case SSL_ERROR_REVOKED_CERT_ALERT:
	case SSL_ERROR_EXPIRED_CERT_ALERT:
	case SSL_ERROR_CERTIFICATE_UNKNOWN_ALERT:
	case SSL_ERROR_UNKNOWN_CA_ALERT:
	case SSL_ERROR_ACCESS_DENIED_ALERT:
	case SSL_ERROR_DECRYPT_ERROR_ALERT:
	case SSL_ERROR_HANDSHAKE_FAILURE_ALERT:
		return r->client_auth.sent_subject != NULL ?
		    "the server rejected the client certificate" :
		    "the server asked for a client certificate, none was sent, and "
		    "it refused the handshake";
	default:
		return NULL;
	}
}

int
tls_await_client_verdict(struct tls_ctx *t)
{
	struct report *r = t->report;

	if (!r->client_auth.requested || r->n_handshakes == 0 ||
	    r->handshakes[0].version < SSL_LIBRARY_VERSION_TLS_1_3)
		return 0;
	return await_post_handshake(t);
}

int
tls_await_tickets(struct tls_ctx *t)
{
	struct report *r = t->report;

	if (r->n_handshakes == 0 ||
	    r->handshakes[r->n_handshakes - 1].version < SSL_LIBRARY_VERSION_TLS_1_3)
		return 0;
	r->tickets_awaited = true;
	return await_post_handshake(t);
}

/*
 * TLS 1.3 messages that follow the handshake: wait (at most a second or
 * --timeout) until the server has sent something — a NewSessionTicket, or
 * data — or refused us with an alert.  Application data is only peeked at,
 * so it stays for the data phase.
 */
static int
await_post_handshake(struct tls_ctx *t)
{
	struct report *r = t->report;
	long wait_ms = t->opts->timeout_ms < 1000 ? t->opts->timeout_ms : 1000;
	int64_t deadline = util_now_us() + (int64_t)wait_ms * 1000;

	for (;;) {
		char c;
		PRPollDesc pd = { t->fd, PR_POLL_READ, 0 };
		int64_t left;
		/* Peek: application data stays for the data phase. */
		PRInt32 n = PR_Recv(t->fd, &c, 1, PR_MSG_PEEK, PR_INTERVAL_NO_WAIT);
		PRErrorCode err;

		if (n >= 0)
			return 0;       /* data, or a close the data phase will see */
		err = PR_GetError();
		if (err != PR_WOULD_BLOCK_ERROR) {
			const char *words = client_auth_words(r, err);

			report_fail(r, PHASE_HANDSHAKE, err, NSSTLS_EXIT_HANDSHAKE, "%s",
			    words ? words : handshake_words(err));
			return -1;
		}
		/* Nothing to read yet.  Once records came (readable, yet no
		 * data: NewSessionTickets, sent only once the server accepted
		 * us), wait just long enough for the rest of that flight — a
		 * record can arrive in pieces, and OpenSSL sends two tickets —
		 * and stop at the first quiet moment. */
		left = deadline - util_now_us();
		if (left <= 0)
			return 0;
		if (r->post_handshake_records > 0 && left > POST_HANDSHAKE_QUIET_US)
			left = POST_HANDSHAKE_QUIET_US;
		if (PR_Poll(&pd, 1, PR_MillisecondsToInterval(
		    (PRUint32)((left + 999) / 1000))) <= 0)
			return 0;
		r->post_handshake_records++;
	}
}

int
tls_handshake(struct tls_ctx *t)
{
	struct report *r = t->report;
	PRErrorCode err;

	r->phase = PHASE_HANDSHAKE;
	t->hs_start_us = util_now_us();
	if (drive(t, t->handshakes_done + 1) == 0)
		return ech_handshake_done(t->fd, r);
	err = PR_GetError();
	if (r->verify.done && !(r->verify.chain_ok && r->verify.name_ok) &&
	    !r->verify.overridden) {
		report_fail(r, PHASE_HANDSHAKE, r->verify.error, NSSTLS_EXIT_VERIFY,
		    "certificate verification failed");
		return -1;
	}
	if (ech_explain_failure(t->fd, r, err))
		return -1;
	if (err == PR_IO_TIMEOUT_ERROR)
		report_fail(r, PHASE_HANDSHAKE, err, NSSTLS_EXIT_HANDSHAKE,
		    "%s (%ld ms)", handshake_words(err), t->opts->timeout_ms);
	else if (client_auth_words(r, err) != NULL)
		report_fail(r, PHASE_HANDSHAKE, err, NSSTLS_EXIT_HANDSHAKE,
		    "%s", client_auth_words(r, err));
	else
		report_fail(r, PHASE_HANDSHAKE, err, NSSTLS_EXIT_HANDSHAKE,
		    "%s", handshake_words(err));
	return -1;
}

int
tls_renegotiate(struct tls_ctx *t)
{
	struct report *r = t->report;
	PRErrorCode err;
	const struct handshake_info *last = &r->handshakes[r->n_handshakes - 1];

	r->phase = PHASE_RENEGOTIATE;
	if (last->version >= SSL_LIBRARY_VERSION_TLS_1_3) {
		report_fail(r, PHASE_RENEGOTIATE, SSL_ERROR_RENEGOTIATION_NOT_ALLOWED,
		    NSSTLS_EXIT_HANDSHAKE, "cannot renegotiate: the server chose "
		    "TLS 1.3, which has no renegotiation (use --key-update)");
		return -1;
	}
	t->renegotiating = true;
	t->refused = false;
	t->hs_start_us = util_now_us();
	/* PR_TRUE: a full handshake, not an abbreviated one from the cache. */
	if (SSL_ReHandshake(t->fd, PR_TRUE) == SECSuccess &&
	    drive(t, t->handshakes_done + 1) == 0) {
		t->renegotiating = false;
		return 0;
	}
	t->renegotiating = false;
	err = PR_GetError();
	if (t->refused)
		report_fail(r, PHASE_RENEGOTIATE, SSL_ERROR_RENEGOTIATION_NOT_ALLOWED,
		    NSSTLS_EXIT_HANDSHAKE, "the server refused to renegotiate "
		    "(no_renegotiation alert)");
	else if (r->verify.done && !(r->verify.chain_ok && r->verify.name_ok) &&
	    !r->verify.overridden)
		report_fail(r, PHASE_RENEGOTIATE, r->verify.error, NSSTLS_EXIT_VERIFY,
		    "certificate verification failed in the renegotiation");
	else
		report_fail(r, PHASE_RENEGOTIATE, err, NSSTLS_EXIT_HANDSHAKE,
		    "renegotiation failed: %s", handshake_words(err));
	return -1;
}

int
tls_key_update(struct tls_ctx *t, bool request)
{
	struct report *r = t->report;
	const struct handshake_info *last = &r->handshakes[r->n_handshakes - 1];

	r->phase = PHASE_KEY_UPDATE;
	if (last->version < SSL_LIBRARY_VERSION_TLS_1_3) {
		report_fail(r, PHASE_KEY_UPDATE,
		    SSL_ERROR_FEATURE_NOT_SUPPORTED_FOR_VERSION, NSSTLS_EXIT_HANDSHAKE,
		    "cannot send a KeyUpdate: the server chose %s, KeyUpdate is "
		    "TLS 1.3 only (use --renegotiate)", names_version_str(last->version));
		return -1;
	}
	if (SSL_KeyUpdate(t->fd, request ? PR_TRUE : PR_FALSE) != SECSuccess) {
		report_fail(r, PHASE_KEY_UPDATE, PR_GetError(), NSSTLS_EXIT_IO,
		    "KeyUpdate could not be sent");
		return -1;
	}
	r->key_update_sent = true;
	r->key_update_requested = request;
	return 0;
}

void
tls_close(struct tls_ctx *t)
{
	/* PR_Close on the SSL socket sends close_notify and closes TCP; it
	 * does not wait for the server's answer. */
	keylog_check(t->keylog, t->fd);
	if (t->fd != NULL) {
		PR_Close(t->fd);        /* frees the trace layer too */
		t->fd = NULL;
	}
	t->trace = NULL;
	keylog_close(t->keylog);
	t->keylog = NULL;
}
