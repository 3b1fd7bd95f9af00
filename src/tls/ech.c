/*
 * ech: Encrypted Client Hello on one connection (see ech.h).
 *
 * NSS puts the name given to SSL_SetURL in the inner (encrypted)
 * ClientHello and the chosen config's public_name in the outer one.  When
 * the server cannot decrypt the inner hello it completes the handshake of
 * the outer one, authenticated for the public name, and NSS then fails
 * the handshake on purpose: SSL_ERROR_ECH_RETRY_WITH_ECH when the server
 * sent retry configs, SSL_ERROR_ECH_RETRY_WITHOUT_ECH when it sent none
 * NSS can use.  nsstls reports that outcome and does not retry by itself:
 * a diagnostic tool shows what the server did.
 */
#include "ech.h"

#include <stdlib.h>
#include <string.h>

#include <nss.h>
#include <secitem.h>
#include <ssl.h>
#include <sslerr.h>
#include <sslexp.h>

#include "echconfig.h"
#include "httpsrr.h"
#include "names.h"
#include "util.h"

/* The list to offer, from --ech or DNS, with the config NSS will use. */
static int
take_list(const struct nsstls_opts *o, struct report *r)
{
	struct ech_info *e = &r->ech;
	struct echconfig *cfg = NULL;
	const struct echconfig *use;
	char *err = NULL, *dns = NULL;
	unsigned char *list = NULL;
	size_t len = 0;
	int n;

	if (o->ech_auto) {
		/* The record of the name ECH protects: the inner one. */
		char *qname = httpsrr_query_name(o->servername, o->port);
		int rc;

		r->phase = PHASE_RESOLVE;
		rc = httpsrr_lookup_ech(qname, o->connect_timeout_ms, &list, &len,
		    &dns, &err);
		free(qname);
		if (rc != 0) {
			report_fail(r, PHASE_RESOLVE, 0, NSSTLS_EXIT_REACH,
			    "--ech auto: %s", err);
			free(err);
			return -1;
		}
		e->source = "dns";
		e->dns_name = dns;
	} else {
		list = xmalloc(o->ech_config_len);
		memcpy(list, o->ech_config, o->ech_config_len);
		len = o->ech_config_len;
		e->source = "option";
	}
	e->config_list = list;
	e->config_list_len = len;
	e->config_list_b64 = echconfig_b64_encode(list, len);

	/* --ech LIST was parsed by cli already; a list from DNS is not. */
	n = echconfig_parse(list, len, &cfg, &err);
	if (n < 0) {
		report_fail(r, PHASE_RESOLVE, 0, NSSTLS_EXIT_REACH, "--ech auto: the "
		    "ECH configuration in the HTTPS record of %s is malformed: %s",
		    e->dns_name, err);
		free(err);
		return -1;
	}
	use = echconfig_first_usable(cfg, (size_t)n);
	if (use == NULL) {
		report_fail(r, PHASE_RESOLVE, 0, NSSTLS_EXIT_REACH, "--ech auto: "
		    "none of the %d ECH configurations in the HTTPS record of %s "
		    "can be used by NSS %s (it needs version 0xfe0d, the X25519 "
		    "KEM and HKDF-SHA256 with AES-128-GCM or ChaCha20-Poly1305)",
		    n, e->dns_name, NSS_GetVersion());
		free(cfg);
		return -1;
	}
	e->public_name = xstrdup(use->public_name);
	e->config_id = use->config_id;
	free(cfg);
	return 0;
}

int
ech_prepare(const struct nsstls_opts *o, struct report *r)
{
	struct ech_info *e = &r->ech;

	if (!o->ech_grease && !o->ech_auto && o->ech_config == NULL)
		return 0;
	/* cli refuses this for one target; a list of targets may hold an
	 * address.  Nothing is offered then, so r->ech stays off. */
	if (!o->ech_grease && o->servername == NULL) {
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP, "--ech hides the "
		    "server name, and %s has none (an IP address): give "
		    "--servername", o->target.host);
		return -1;
	}
	e->mode = o->ech_grease ? ECH_GREASE : ECH_CONFIG;
	if (o->servername != NULL)
		e->inner_name = xstrdup(o->servername);
	if (e->mode == ECH_GREASE)
		return 0;
	return take_list(o, r);
}

void
ech_copy_setup(struct report *to, const struct report *from)
{
	const struct ech_info *f = &from->ech;
	struct ech_info *e = &to->ech;

	e->mode = f->mode;
	e->source = f->source;
	e->config_id = f->config_id;
	if (f->dns_name != NULL)
		e->dns_name = xstrdup(f->dns_name);
	if (f->config_list != NULL) {
		e->config_list = xmalloc(f->config_list_len);
		memcpy(e->config_list, f->config_list, f->config_list_len);
		e->config_list_len = f->config_list_len;
		e->config_list_b64 = xstrdup(f->config_list_b64);
	}
	if (f->public_name != NULL)
		e->public_name = xstrdup(f->public_name);
	if (f->inner_name != NULL)
		e->inner_name = xstrdup(f->inner_name);
}

int
ech_install(PRFileDesc *fd, struct report *r)
{
	const struct ech_info *e = &r->ech;
	SECStatus rv = SECSuccess;

	if (e->mode == ECH_CONFIG)
		rv = SSL_SetClientEchConfigs(fd, e->config_list,
		    (unsigned)e->config_list_len);
	else if (e->mode == ECH_GREASE)
		rv = SSL_EnableTls13GreaseEch(fd, PR_TRUE);
	if (rv == SECSuccess)
		return 0;
	report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
	    e->mode == ECH_CONFIG ? "NSS refused the ECH configuration list" :
	    "NSS cannot send a GREASE ECH extension");
	return -1;
}

const char *
ech_auth_name(PRFileDesc *fd, struct report *r)
{
	struct ech_info *e = &r->ech;
	SSLPreliminaryChannelInfo pre;

	if (e->mode != ECH_CONFIG)
		return NULL;
	/* NSS sets echPublicName only when ECH was offered and rejected. */
	if (SSL_GetPreliminaryChannelInfo(fd, &pre, sizeof(pre)) != SECSuccess ||
	    pre.echPublicName == NULL)
		return NULL;
	e->rejected = true;
	e->public_name_verified = true;
	free(e->public_name);
	e->public_name = xstrdup(pre.echPublicName);
	r->verify_name = e->public_name;
	return e->public_name;
}

int
ech_handshake_done(PRFileDesc *fd, struct report *r)
{
	struct ech_info *e = &r->ech;
	SSLChannelInfo ch;

	if (e->mode == ECH_OFF)
		return 0;
	/* An ECH server answering GREASE sends its real configs as
	 * retry_configs, but NSS 3.87 hands them over only after a
	 * rejection: after a completed handshake SSL_GetEchRetryConfigs
	 * fails with SSL_ERROR_HANDSHAKE_NOT_COMPLETED (tried). */
	if (SSL_GetChannelInfo(fd, &ch, sizeof(ch)) == SECSuccess)
		e->accepted = ch.echAccepted;
	if (e->mode != ECH_CONFIG || e->accepted)
		return 0;
	/* A TLS 1.2 server knows no ECH, and NSS 3.87 completes that
	 * handshake (authenticated for the public name) instead of ending it
	 * as RFC 9849 §6.1.6 asks: end it here, before any data is sent. */
	e->rejected = true;
	report_fail(r, PHASE_HANDSHAKE, SSL_ERROR_ECH_RETRY_WITHOUT_ECH,
	    NSSTLS_EXIT_HANDSHAKE, "ECH rejected: the server chose %s, which has "
	    "no ECH, and answered the outer ClientHello for %s (connect without "
	    "--ech)", names_version_str(r->n_handshakes > 0 ?
	    r->handshakes[r->n_handshakes - 1].version : 0),
	    e->public_name ? e->public_name : "the public name");
	return -1;
}

bool
ech_explain_failure(PRFileDesc *fd, struct report *r, PRErrorCode err)
{
	struct ech_info *e = &r->ech;
	SECItem retry = { siBuffer, NULL, 0 };

	if (e->mode != ECH_CONFIG)
		return false;
	switch (err) {
	case SSL_ERROR_ECH_RETRY_WITH_ECH:
		e->rejected = true;
		if (SSL_GetEchRetryConfigs(fd, &retry) != SECSuccess ||
		    retry.len == 0) {
			if (retry.data != NULL)
				SECITEM_FreeItem(&retry, PR_FALSE);
			report_fail(r, PHASE_HANDSHAKE, err, NSSTLS_EXIT_HANDSHAKE,
			    "ECH rejected by the server; it offered retry configs, "
			    "but NSS did not hand them over");
			return true;
		}
		e->retry_configs = echconfig_b64_encode(retry.data, retry.len);
		SECITEM_FreeItem(&retry, PR_FALSE);
		report_fail(r, PHASE_HANDSHAKE, err, NSSTLS_EXIT_HANDSHAKE,
		    "ECH rejected by the server; it offered retry configs: %s "
		    "(use --ech with them)", e->retry_configs);
		return true;
	case SSL_ERROR_ECH_RETRY_WITHOUT_ECH:
		e->rejected = true;
		report_fail(r, PHASE_HANDSHAKE, err, NSSTLS_EXIT_HANDSHAKE,
		    "ECH rejected by the server, which offered no retry configs "
		    "NSS can use: it does not accept ECH for %s (connect without "
		    "--ech)", e->public_name ? e->public_name : "this name");
		return true;
	case SSL_ERROR_ECH_FAILED:
		e->rejected = true;
		report_fail(r, PHASE_HANDSHAKE, err, NSSTLS_EXIT_HANDSHAKE,
		    "ECH rejected by the server, and its certificate is not valid "
		    "for the public name %s", e->public_name ? e->public_name : "");
		return true;
	default:
		return false;
	}
}
