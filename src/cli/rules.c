/*
 * rules: every rule between options, run after all of them are parsed,
 * one small function per group (cli_rules() lists them in order).  Each
 * rule names the options it is about in its message (nc's style).  The
 * rules that only say "this option does not go with that mode" are data:
 * the row's F_* flags (optable.h), checked by mode_rules().
 */
#include "optable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"
#include "names.h"
#include "out.h"
#include "starttls.h"

static bool
server_mode(const struct cli_state *st)
{
	return st->o->listen;
}

static bool
not_server_mode(const struct cli_state *st)
{
	return !st->o->listen;
}

static bool
scan_mode(const struct cli_state *st)
{
	return st->o->scan;
}

static bool
check_mode(const struct cli_state *st)
{
	return st->o->check;
}

static bool
not_check_mode(const struct cli_state *st)
{
	return !st->o->check;
}

static bool
many_targets(const struct cli_state *st)
{
	return st->o->multi;
}

static const struct mode_rule {
	unsigned flag;
	bool (*applies)(const struct cli_state *st);
	const char *before, *after;     /* the message around the option */
} mode_rule[] = {
	{ F_SERVER, not_server_mode, "", " is for server mode: add --listen "
	  "[ADDR:]PORT" },
	{ F_CONNECT, server_mode, "--listen: ", " is for connect mode" },
	{ F_NOT_SCAN, scan_mode, "--scan makes its own connections: ",
	  " does not apply" },
	{ F_NEEDS_CHECK, not_check_mode, "", " is a threshold of --check: add "
	  "--check" },
	{ F_NOT_CHECK, check_mode, "--check prints one status line: it "
	  "excludes ", "" },
	{ F_ONE_TARGET, many_targets, "", " works on one target" },
};

/* The first option given whose row has a flag of mask while its mode
 * rule applies is a usage error. */
static int
mode_rules(const struct cli_state *st, unsigned mask)
{
	char opt[64];

	for (size_t k = 0; k < sizeof(mode_rule) / sizeof(*mode_rule); k++) {
		const struct mode_rule *m = &mode_rule[k];

		if (!(m->flag & mask) || !m->applies(st))
			continue;
		for (size_t i = 0; i < cli_n_rows; i++)
			if (st->given[i] && (cli_rows[i].flags & m->flag))
				return cli_usage_error("%s%s%s", m->before,
				    cli_spelling(&cli_rows[i], opt, sizeof(opt)), m->after);
	}
	return 0;
}

/* -cipher and -ciphersuites each replace one half of the suites offered,
 * as in OpenSSL: the TLS 1.3 suites first, then the older ones; a half
 * not given keeps nsstls's defaults. */
static int
sclient_ciphers(struct cli_state *st)
{
	struct nsstls_opts *o = st->o;
	struct raw *r = &st->r;
	bool c12 = cli_given(st, "cipher"), c13 = cli_given(st, "ciphersuites");
	size_t n = 0;

	if (!c12 && !c13)
		return 0;
	if (o->n_ciphers > 0) {
		cli_usage_error("-cipher/-ciphersuites cannot be combined with "
		    "--ciphers");
		return -1;
	}
	free(o->ciphers);
	o->ciphers = xcalloc(names_default_ciphers_len + r->n_sc_ciphers +
	    r->n_sc_suites13, sizeof(uint16_t));
	for (size_t i = 0; i < r->n_sc_suites13; i++)
		o->ciphers[n++] = r->sc_suites13[i];
	for (size_t i = 0; i < names_default_ciphers_len; i++)
		if (!c13 && names_cipher_is_tls13(names_default_ciphers[i]))
			o->ciphers[n++] = names_default_ciphers[i];
	for (size_t i = 0; i < r->n_sc_ciphers; i++)
		o->ciphers[n++] = r->sc_ciphers[i];
	for (size_t i = 0; i < names_default_ciphers_len; i++)
		if (!c12 && !names_cipher_is_tls13(names_default_ciphers[i]))
			o->ciphers[n++] = names_default_ciphers[i];
	o->n_ciphers = n;
	return 0;
}

/* -4/-6, the TLS versions, the cipher suites and the server name. */
static int
rule_offer(struct cli_state *st)
{
	struct nsstls_opts *o = st->o;
	bool range = cli_given(st, "tls-min") || cli_given(st, "tls-max") ||
	    cli_given(st, "tls1") || cli_given(st, "tls1_1");

	if (o->ipv4_only && o->ipv6_only)
		return cli_usage_error("-4 and -6 exclude each other");
	if (st->r.only12 && st->r.only13)
		return cli_usage_error("--tls1.2 and --tls1.3 exclude each other");
	if ((st->r.only12 || st->r.only13) && range) {
		cli_usage_error("--tls1.2/--tls1.3 cannot be combined with "
		    "--tls-min/--tls-max");
		return -1;
	}
	if (sclient_ciphers(st) != 0)
		return -1;
	if (st->r.only12 || st->r.only13)
		o->tls_min = o->tls_max = st->r.only12 ? 0x0303 : 0x0304;
	if (o->tls_min > o->tls_max) {
		fprintf(stderr, "nsstls: --tls-min %s is above --tls-max %s\n",
		    names_version_str(o->tls_min), names_version_str(o->tls_max));
		return -1;
	}
	if (o->no_sni && o->servername_opt != NULL)
		return cli_usage_error("--no-sni and --servername exclude each "
		    "other");
	return 0;
}

/* --check's thresholds. */
static int
rule_check(struct cli_state *st)
{
	struct nsstls_opts *o = st->o;

	/* --crit-days alone past the default warning threshold moves the
	 * warning threshold with it: warning before critical, as asked. */
	if (o->crit_days > o->warn_days && !cli_given(st, "warn-days"))
		o->warn_days = o->crit_days;
	if (o->check && o->crit_days > o->warn_days) {
		cli_usage_error("--crit-days %d is above --warn-days %d", o->crit_days,
		    o->warn_days);
		return -1;
	}
	/* Expecting a protocol means offering it. */
	if (o->expect_alpn != NULL && o->alpn == NULL) {
		o->alpn = util_split_list(o->expect_alpn, ",", &o->n_alpn);
		if (cli_check_alpn("--expect-alpn", o->alpn, o->n_alpn) != 0)
			return -1;
	}
	return 0;
}

/* What goes to stdout and stderr. */
static int
rule_output(struct cli_state *st)
{
	struct nsstls_opts *o = st->o;

	o->json_pretty = o->json == 2;
	o->trace_hex = o->trace == 2;
	if (o->json && (o->showcerts || o->brief)) {
		cli_usage_error("--json writes stdout itself: it excludes --showcerts "
		    "and --brief (use --save-chain)");
		return -1;
	}
	if (o->quiet && o->brief)
		return cli_usage_error("--quiet and --brief exclude each other");
	if (o->print_cert != NULL && (o->trace || o->keylog != NULL)) {
		cli_usage_error("--trace and --keylog watch a connection: "
		    "--print-cert makes none");
		return -1;
	}
	/* Two names of one file: the second would silently replace the
	 * first. */
	if (o->save_chain != NULL && o->save_chain_verified != NULL &&
	    out_same_file(o->save_chain, o->save_chain_verified)) {
		cli_usage_error("--save-chain and --save-chain-verified name the "
		    "same file (%s): give each its own", o->save_chain_verified);
		return -1;
	}
	return 0;
}

/* After the handshake: resumption, 0-RTT, renegotiation, KeyUpdate. */
static int
rule_session(struct cli_state *st)
{
	struct nsstls_opts *o = st->o;

	if (o->early_data != NULL && o->reconnect == 0) {
		cli_usage_error("--early-data is sent on a resumed connection: it "
		    "needs --reconnect");
		return -1;
	}
	if (o->early_data != NULL && o->tls_max < 0x0304)
		return cli_usage_error("--early-data (0-RTT) needs TLS 1.3");
	if (o->reconnect > 0 && (o->renegotiate > 0 || o->key_update)) {
		cli_usage_error("--reconnect excludes --renegotiate and "
		    "--key-update");
		return -1;
	}
	if (o->renegotiate > 0 && o->tls_min > 0x0303) {
		cli_usage_error("--renegotiate needs TLS 1.2: TLS 1.3 has no "
		    "renegotiation (use --key-update)");
		return -1;
	}
	if (o->key_update && o->tls_max < 0x0304) {
		cli_usage_error("--key-update needs TLS 1.3 (use --renegotiate for "
		    "TLS 1.2)");
		return -1;
	}
	if (o->renegotiate > 0 && o->key_update) {
		cli_usage_error("--renegotiate and --key-update exclude each other: "
		    "a connection is either TLS 1.2 or TLS 1.3");
		return -1;
	}
	return 0;
}

/* s_client's -keymatexport LABEL [-keymatexportlen N]: one more exporter,
 * of s_client's default length (20 bytes) and without a context. */
static int
rule_keymat(struct cli_state *st)
{
	struct exporter_req q;

	if (st->r.keymat_len != 0 && st->r.keymat_label == NULL) {
		cli_usage_error("-keymatexportlen needs -keymatexport LABEL");
		return -1;
	}
	if (st->r.keymat_label == NULL)
		return 0;
	if (st->r.keymat_label[0] == '\0')
		return cli_usage_error("-keymatexport: the label is empty");
	q = (struct exporter_req){ st->r.keymat_label,
	    st->r.keymat_len ? (unsigned)st->r.keymat_len : 20, NULL, 0 };
	if (cli_push_exporter(st->o, &q) != 0)
		return -1;
	st->r.keymat_label = NULL;      /* now the exporter's */
	return 0;
}

static int
rule_ech(struct cli_state *st)
{
	struct nsstls_opts *o = st->o;
	bool ech = o->ech_config != NULL || o->ech_auto;

	if (ech && o->ech_grease) {
		cli_usage_error("--ech and --ech-grease exclude each other: GREASE "
		    "is what a client sends when it has no ECH configuration");
		return -1;
	}
	if ((ech || o->ech_grease) && o->tls_max < 0x0304) {
		cli_usage_error("--ech and --ech-grease need TLS 1.3: Encrypted "
		    "Client Hello is a TLS 1.3 extension");
		return -1;
	}
	if (ech && o->no_sni) {
		cli_usage_error("--ech encrypts the server name: it cannot be "
		    "combined with --no-sni");
		return -1;
	}
	return 0;
}

/* Trust sources, revocation and the credentials we present. */
static int
rule_credentials(struct cli_state *st)
{
	struct nsstls_opts *o = st->o;

	if (o->ocsp_url != NULL)
		o->ocsp = 1;            /* --ocsp-url: ask that responder */
	if (o->pass != NULL && o->pass_file != NULL)
		return cli_usage_error("--pass and --pass-file exclude each other");
	if (st->r.no_builtin && st->r.trust != NULL && o->trust_builtin)
		return cli_usage_error("--no-builtin-roots contradicts --trust "
		    "builtin");
	if (st->r.no_builtin)
		o->trust_builtin = false;
	if (o->n_more_certs > 0 && !o->listen) {
		cli_usage_error("--cert is given %zu times: only server mode "
		    "(--listen) presents several certificates", o->n_more_certs + 1);
		return -1;
	}
	if (o->cert != NULL && o->pkcs12 != NULL)
		return cli_usage_error("--cert and --pkcs12 exclude each other");
	if (o->pkcs12 != NULL && o->db != NULL) {
		cli_usage_error("--pkcs12 cannot be combined with --db (import it "
		    "into the database with pk12util and give --cert its nickname)");
		return -1;
	}
	if (o->key != NULL && o->cert == NULL)
		return cli_usage_error("--key needs --cert FILE");
	if (o->cert_chain != NULL && o->cert == NULL && o->pkcs12 == NULL)
		return cli_usage_error("--cert-chain needs --cert or --pkcs12");
	return 0;
}

/* What is said in plain text before TLS. */
static int
rule_plaintext(struct cli_state *st)
{
	struct nsstls_opts *o = st->o;

	if (o->starttls_name != NULL && !o->starttls_auto &&
	    (o->starttls == NULL || !starttls_uses_ehlo(o->starttls))) {
		cli_usage_error("--starttls-name is the EHLO/LHLO name of --starttls "
		    "smtp, submission or lmtp");
		return -1;
	}
	if (o->xmpp_domain != NULL && !o->starttls_auto &&
	    (o->starttls == NULL || !starttls_uses_domain(o->starttls))) {
		cli_usage_error("--xmpp-domain needs --starttls xmpp or "
		    "xmpp-server");
		return -1;
	}
	if (o->proxy_user != NULL && o->proxy == NULL && o->no_proxy_env) {
		cli_usage_error("--proxy-user needs a proxy: --proxy, or https_proxy "
		    "or all_proxy without --no-proxy-env");
		return -1;
	}
	if (o->scan_profile != NULL && !o->scan)
		return cli_usage_error("--profile judges a scan: add --scan");
	return mode_rules(st, F_SERVER | F_CONNECT | F_NOT_SCAN | F_NEEDS_CHECK |
	    F_NOT_CHECK);
}

/* Server mode: no target, a certificate, one data behaviour. */
static int
rule_server(struct cli_state *st)
{
	struct nsstls_opts *o = st->o;

	if (o->n_targets > 0 || st->r.connect != NULL || o->targets_file != NULL ||
	    o->print_cert != NULL || o->check) {
		cli_usage_error("--listen serves clients: it takes no target, "
		    "--targets, --print-cert or --check");
		return -1;
	}
	if (o->cert == NULL && o->pkcs12 == NULL && o->n_self_signed == 0) {
		cli_usage_error("--listen needs a certificate: --cert FILE --key "
		    "FILE, --pkcs12 FILE, --cert NICKNAME --db DIR, or --self-signed "
		    "NAME");
		return -1;
	}
	if (o->verify_client && o->request_client_cert) {
		cli_usage_error("--verify-client and --request-client-cert exclude "
		    "each other");
		return -1;
	}
	if (o->echo + o->www + o->once > 1)
		return cli_usage_error("--echo, --www and --once exclude each other");
	if (o->once && o->max_connections > 0) {
		cli_usage_error("--once serves one connection: it excludes "
		    "--max-connections");
		return -1;
	}
	return 0;
}

/* Modes without a connection: --print-cert, --list-*, --version. */
static int
rule_offline(struct cli_state *st, bool *done)
{
	struct nsstls_opts *o = st->o;
	bool target = o->n_targets > 0 || st->r.connect != NULL;

	*done = true;
	if (o->print_cert != NULL) {
		/* Offline there is no target: only a name given is checked. */
		if (o->verify_name_opt != NULL)
			o->verify_name = xstrdup(o->verify_name_opt);
		if (target)
			return cli_usage_error("--print-cert works offline and takes "
			    "no target");
		return 0;
	}
	if (o->list_ciphers || o->list_groups || o->list_sigalgs || o->version) {
		if (target)
			return cli_usage_error("%s takes no target", o->version ?
			    "--version" : o->list_groups ? "--list-groups" :
			    o->list_sigalgs ? "--list-sigalgs" : "--list-ciphers");
		return 0;
	}
	*done = false;
	return 0;
}

/* Connect and scan modes: the targets. */
static int
rule_targets(struct cli_state *st)
{
	struct nsstls_opts *o = st->o;

	if (o->n_targets > 0 && st->r.connect != NULL) {
		cli_usage_error("give the target once: either HOST[:PORT] or "
		    "-connect");
		return -1;
	}
	if (st->r.connect != NULL)
		targets_add(o, st->r.connect);
	if (o->n_targets == 0 && o->targets_file == NULL) {
		cli_usage_error("no target given: nsstls [OPTIONS] HOST[:PORT] ... "
		    "or --targets FILE");
		return -1;
	}
	/* Every target's syntax now: a typo is a usage error, before
	 * anything connects. */
	for (size_t i = 0; i < o->n_targets; i++)
		if (targets_check(o, o->targets[i]) != 0)
			return -1;
	o->multi = o->n_targets > 1 || o->targets_file != NULL;
	if (o->shard_n > 0 && !o->multi) {
		cli_usage_error("--shard splits a list of targets: give several, or "
		    "--targets FILE");
		return -1;
	}
	if (mode_rules(st, F_ONE_TARGET) != 0)
		return -1;
	if (o->multi)
		return 0;
	if (targets_set(o, o->targets[0]) != 0)
		return -1;
	if ((o->ech_config != NULL || o->ech_auto) && o->servername == NULL) {
		cli_usage_error("--ech encrypts the server name, and the target %s "
		    "is an address with none: give --servername NAME", o->target.host);
		return -1;
	}
	return 0;
}

int
cli_rules(struct cli_state *st)
{
	static int (*const group[])(struct cli_state *) = {
		rule_offer, rule_check, rule_output, rule_session, rule_keymat,
		rule_ech, rule_credentials, rule_plaintext,
	};
	bool done;
	int rc;

	for (size_t i = 0; i < sizeof(group) / sizeof(*group); i++)
		if (group[i](st) != 0)
			return -1;
	if (st->o->listen)
		return rule_server(st);
	rc = rule_offline(st, &done);
	if (rc != 0 || done)
		return rc;
	return rule_targets(st);
}
