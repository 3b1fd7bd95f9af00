/*
 * options: every option of nsstls as one row of cli_rows[] (see
 * optable.h), in --help order, and the few functions for options whose
 * value needs more than a kind (a target-like address, a base64
 * configuration, a list with its own rules).
 *
 * To add an option: a field in struct nsstls_opts (cli.h), a row here,
 * a rule in rules.c if it combines with others, then the man page and the
 * three completions (tests/test_options.py checks they agree).
 */
#include "optable.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echconfig.h"
#include "exporter.h"
#include "proxy.h"
#include "starttls.h"

const char *const cli_sections[] = {
	"Connection:", "STARTTLS and proxies:", "TLS parameters:",
	"Verification and trust:", "Client authentication:", "Session:",
	"Output:", "Health checks:", "Many targets:", "Scan:", "Server mode:",
	"Help:", NULL,
};

enum { S_CONNECTION, S_STARTTLS, S_TLS, S_TRUST, S_CLIENT, S_SESSION,
	S_OUTPUT, S_CHECK, S_MANY, S_SCAN, S_SERVER, S_HELP, S_NONE = -1 };

/* ---- options that need code ---- */

static int
call_starttls(struct cli_state *st, const struct opt_row *row, char **arg)
{
	struct nsstls_opts *o = st->o;

	o->starttls_auto = strcmp(*arg, "auto") == 0;
	o->starttls = o->starttls_auto ? NULL : starttls_find(*arg);
	if (o->starttls_auto || o->starttls != NULL)
		return 0;
	cli_errorf("nsstls: --starttls: unknown protocol '%s'; valid protocols "
	    "(default port): ", *arg);
	starttls_print_names(stderr);
	fputs(", or auto (by the port)\n", stderr);
	return -1;
}

static int
check_proxy(const char *opt, const char *v)
{
	struct proxy_spec spec;
	const char *err;
	bool secret = strchr(v, '@') != NULL;
	int rc = proxy_parse(v, &spec, &err);

	proxy_spec_free(&spec);
	if (rc == 0)
		return 0;
	/* A URL with credentials is not quoted: it holds a password. */
	return cli_usage_error("%s: %s%s%s is not HOST:PORT or http://HOST:PORT: "
	    "%s", opt, secret ? "" : "'", secret ? "the URL" : v,
	    secret ? "" : "'", err);
}

static int
check_proxy_user(const char *opt, const char *v)
{
	if (*v == '\0' || *v == ':')
		return cli_usage_error("%s: no user name in '%s'", opt, v);
	/* Base64 in Proxy-Authorization cannot break the line, but no proxy
	 * would take such a name or password. */
	return cli_check_wire(opt, v, SIZE_MAX, "sent to the proxy");
}

static int
call_alpn(struct cli_state *st, const struct opt_row *row, char **arg)
{
	struct nsstls_opts *o = st->o;

	util_list_free(o->alpn);
	o->alpn = util_split_list(*arg, ",", &o->n_alpn);
	return cli_check_alpn("--alpn", o->alpn, o->n_alpn);
}

/* --ech LIST is decoded and checked here, so that a list that is not
 * base64, is malformed or holds nothing NSS can use is a usage error. */
static int
call_ech(struct cli_state *st, const struct opt_row *row, char **arg)
{
	struct nsstls_opts *o = st->o;
	struct echconfig *cfg = NULL;
	char *err = NULL;
	int n;

	free(o->ech_config);
	o->ech_config = NULL;
	o->ech_auto = strcmp(*arg, "auto") == 0;
	if (o->ech_auto)
		return 0;
	o->ech_config = echconfig_b64_decode(*arg, &o->ech_config_len);
	if (o->ech_config == NULL) {
		cli_usage_error("--ech: '%s' is neither 'auto' nor base64 (an "
		    "ECHConfigList, as in the ech parameter of a DNS HTTPS "
		    "record)", *arg);
		return -1;
	}
	n = echconfig_parse(o->ech_config, o->ech_config_len, &cfg, &err);
	if (n < 0) {
		cli_usage_error("--ech: not a valid ECHConfigList: %s", err);
		free(err);
		return -1;
	}
	if (echconfig_first_usable(cfg, (size_t)n) == NULL) {
		cli_usage_error("--ech: none of the %d configurations in the list "
		    "can be used by NSS 3.87 (it needs version 0xfe0d, the X25519 "
		    "KEM and HKDF-SHA256 with AES-128-GCM or ChaCha20-Poly1305)", n);
		n = -1;
	}
	free(cfg);
	return n < 0 ? -1 : 0;
}

static int
call_trust(struct cli_state *st, const struct opt_row *row, char **arg)
{
	size_t n;
	char **list = util_split_list(*arg, ", ", &n);
	int rc = 0;

	st->o->trust_builtin = false;
	st->o->trust_system = false;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (strcmp(list[i], "builtin") == 0)
			st->o->trust_builtin = true;
		else if (strcmp(list[i], "system") == 0)
			st->o->trust_system = true;
		else
			rc = cli_usage_error("unknown trust source '%s'; valid "
			    "sources: builtin, system", list[i]);
	}
	if (rc == 0 && n == 0)
		rc = cli_usage_error("--trust needs builtin, system or both");
	util_list_free(list);
	free(st->r.trust);
	st->r.trust = *arg;
	*arg = NULL;
	return rc;
}

static int
check_pass(const char *opt, const char *v)
{
	if (strncmp(v, "env:", 4) != 0 && strncmp(v, "file:", 5) != 0 &&
	    strncmp(v, "pass:", 5) != 0)
		return cli_usage_error("%s: '%s' must start with env:, file: or "
		    "pass:", opt, v);
	return 0;
}

/* The URL goes into a plain HTTP request (--ocsp-url implies --ocsp:
 * rules.c). */
static int
check_ocsp_url(const char *opt, const char *v)
{
	if (strncmp(v, "http://", 7) != 0)
		return cli_usage_error("%s: '%s' is not an http:// URL", opt, v);
	/* http:// is clear text: a user and password would travel in the
	 * open (and nsstls sends none). */
	if (memchr(v + 7, '@', strcspn(v + 7, "/?#")) != NULL)
		return cli_usage_error("%s: the URL holds a user name (USER@HOST): "
		    "credentials cannot be sent over plain http://", opt);
	if (strchr(v, ' ') != NULL || util_find_control(v, strlen(v)) != NULL)
		return cli_usage_error("%s: a space or control byte in '%s': the URL "
		    "goes into the HTTP request line", opt, v);
	return 0;
}

/* --cert, --key, --cert-chain (.set 0, 1, 2).  The first --cert fills
 * o->cert; each later one (server mode: several certificates) starts a
 * more_certs entry, and a --key or --cert-chain belongs to the --cert
 * before it (or to the first when none came before). */
static int
call_cert_part(struct cli_state *st, const struct opt_row *row, char **arg)
{
	struct nsstls_opts *o = st->o;
	struct cert_source *last = o->n_more_certs > 0 ?
	    &o->more_certs[o->n_more_certs - 1] : NULL;
	char **field;

	if (row->set == 0 && o->cert != NULL) {
		o->more_certs = xrealloc(o->more_certs,
		    (o->n_more_certs + 1) * sizeof(*o->more_certs));
		o->more_certs[o->n_more_certs++] = (struct cert_source){ *arg,
		    NULL, NULL };
		*arg = NULL;
		return 0;
	}
	if (row->set == 0)
		field = &o->cert;
	else if (row->set == 1)
		field = last != NULL ? &last->key : &o->key;
	else
		field = last != NULL ? &last->chain : &o->cert_chain;
	if (*field != NULL) {
		cli_usage_error("%s is given twice for one --cert (write each --key "
		    "and --cert-chain after the --cert it belongs to)",
		    row->set == 1 ? "--key" : "--cert-chain");
		return -1;
	}
	*field = *arg;
	*arg = NULL;
	return 0;
}

static int
call_exporter(struct cli_state *st, const struct opt_row *row, char **arg)
{
	struct exporter_req q;
	const char *err;

	if (exporter_parse(*arg, &q, &err) != 0) {
		cli_usage_error("--export-keying-material: '%s': %s "
		    "(LABEL[:LEN[:CONTEXT]])", *arg, err);
		return -1;
	}
	if (cli_push_exporter(st->o, &q) != 0) {
		exporter_req_free(&q);
		return -1;
	}
	return 0;
}

static int
call_shard(struct cli_state *st, const struct opt_row *row, char **arg)
{
	char *end;
	long k = strtol(*arg, &end, 10), n;

	if (end == *arg || *end != '/' || (n = strtol(end + 1, &end, 10),
	    *end != '\0') || k < 0 || n < 1 || k >= n || n > 1000000) {
		cli_usage_error("--shard: '%s' is not K/N with 0 <= K < N", *arg);
		return -1;
	}
	st->o->shard_k = (unsigned)k;
	st->o->shard_n = (unsigned)n;
	return 0;
}

/* "8443", "127.0.0.1:8443", "[::1]:0"; "::1" alone is refused. */
static int
call_listen(struct cli_state *st, const struct opt_row *row, char **arg)
{
	struct nsstls_opts *o = st->o;
	const char *colon = strrchr(*arg, ':');
	const char *port = colon != NULL ? colon + 1 : *arg;
	char *host = xstrdup("127.0.0.1"), *end;
	long n;

	if (colon != NULL && colon > *arg) {
		free(host);
		host = (*arg)[0] == '[' && colon[-1] == ']' ?
		    xstrndup(*arg + 1, (size_t)(colon - *arg) - 2) :
		    xstrndup(*arg, (size_t)(colon - *arg));
	}
	if (strcmp(host, "localhost") == 0) {
		free(host);
		host = xstrdup("127.0.0.1");
	}
	free(o->listen_host);
	o->listen_host = host;
	if (!util_is_ip_literal(host)) {
		cli_usage_error("--listen: '%s' is not an IP address (IPv6 in "
		    "brackets: [::1]:8443)", host);
		return -1;
	}
	n = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || n < 0 || n > 65535) {
		cli_usage_error("--listen: '%s' is not [ADDR:]PORT with a port from "
		    "0 to 65535", *arg);
		return -1;
	}
	o->listen_port = (uint16_t)n;
	o->listen = true;
	return 0;
}

static int
call_self_signed(struct cli_state *st, const struct opt_row *row, char **arg)
{
	struct nsstls_opts *o = st->o;

	util_list_free(o->self_signed);
	o->self_signed = util_split_list(*arg, ",", &o->n_self_signed);
	if (o->n_self_signed == 0 || o->n_self_signed > 32) {
		cli_usage_error("--self-signed: give 1 to 32 names, comma-separated");
		return -1;
	}
	for (size_t i = 0; i < o->n_self_signed; i++)
		if (cli_check_wire("--self-signed", o->self_signed[i], 253,
		    "put in a certificate") != 0)
			return -1;
	return 0;
}

/* s_client's -tls1 and -tls1_1 (.set: the version): that version only. */
static int
call_sc_version(struct cli_state *st, const struct opt_row *row, char **arg)
{
	st->o->tls_min = st->o->tls_max = (uint16_t)row->set;
	return 0;
}

/* ---- the table ---- */

#define O(f) .in = IN_OPTS, .off = offsetof(struct nsstls_opts, f)
#define ON(f, n) O(f), .off2 = offsetof(struct nsstls_opts, n)
#define R(f) .in = IN_RAW, .off = offsetof(struct raw, f)
#define RN(f, n) R(f), .off2 = offsetof(struct raw, n)
#define DAYS .min = 0, .max = 1000000, .unit = "number of days"

static const struct choice key_update_words[] = { { "request",
	KEY_UPDATE_REQUEST }, { NULL, 0 } };
static const struct choice json_words[] = { { "pretty", 2 }, { "compact", 1 },
	{ NULL, 0 } };
static const struct choice hex_word[] = { { "hex", 2 }, { NULL, 0 } };
static const struct choice weak_word[] = { { "weak", 1 }, { NULL, 0 } };
static const struct choice profiles[] = { { "modern", 0 },
	{ "intermediate", 0 }, { "old", 0 }, { NULL, 0 } };

#define SESS_REFUSED "--sess-out/--sess-in cannot work with NSS 3.87: a " \
	"saved session is bound to the process that made it (its secret is " \
	"wrapped with a per-process key), so another run would silently do a " \
	"full handshake. Use --reconnect[=N] to resume within one run"

const struct opt_row cli_rows[] = {
	/* Connection */
	{ "port", 'p', .kind = K_PORT, O(port_opt), .section = S_CONNECTION,
	  .help = "port to connect to (default 443, or the one in HOST:PORT)",
	  .arg_help = "PORT" },
	{ "ipv4", '4', .kind = K_FLAG, O(ipv4_only), .section = S_CONNECTION,
	  .help = "use IPv4 addresses only" },
	{ "ipv6", '6', .kind = K_FLAG, O(ipv6_only), .section = S_CONNECTION,
	  .help = "use IPv6 addresses only" },
	{ "connect-timeout", .kind = K_DURATION, O(connect_timeout_ms),
	  .section = S_CONNECTION, .help = "resolve and TCP connect timeout "
	  "(default 10 s; 2.5, 500ms)", .arg_help = "SECONDS" },
	{ "timeout", .kind = K_DURATION, O(timeout_ms), .section = S_CONNECTION,
	  .help = "handshake timeout and idle read timeout (default 10 s)",
	  .arg_help = "SECONDS" },

	/* STARTTLS and proxies */
	{ "starttls", .alias = { "starttls" }, .kind = K_CALL,
	  .call = call_starttls, .flags = F_CONNECT, .section = S_STARTTLS,
	  .help_fn = cli_starttls_help, .arg_help = "PROTO" },
	{ "starttls-name", .alias = { "name" }, .kind = K_STRING,
	  O(starttls_name), .max = STARTTLS_NAME_MAX,
	  .wire = "sent in the EHLO/LHLO command", .section = S_STARTTLS,
	  .help = "name to send in EHLO/LHLO (default " STARTTLS_DEFAULT_EHLO ")",
	  .arg_help = "NAME" },
	{ "xmpp-domain", .alias = { "xmpphost" }, .kind = K_STRING,
	  O(xmpp_domain), .max = STARTTLS_NAME_MAX,
	  .wire = "sent in the XMPP stream header", .section = S_STARTTLS,
	  .help = "XMPP domain to open the stream to (default: the target host)",
	  .arg_help = "DOMAIN" },
	{ "proxy", .alias = { "proxy" }, .kind = K_STRING, O(proxy),
	  .check = check_proxy,
	  .flags = F_CONNECT, .section = S_STARTTLS,
	  .help = "tunnel through this HTTP proxy with CONNECT (default: "
	  "https_proxy, all_proxy)", .arg_help = "HOST:PORT" },
	{ "proxy-user", .alias = { "proxy_user" }, .kind = K_STRING,
	  O(proxy_user), .check = check_proxy_user, .section = S_STARTTLS,
	  .help = "credentials for the proxy (Basic)", .arg_help = "USER[:PASS]" },
	{ "no-proxy-env", .kind = K_FLAG, O(no_proxy_env), .section = S_STARTTLS,
	  .help = "ignore https_proxy, all_proxy and no_proxy" },

	/* TLS parameters */
	{ "tls-min", .kind = K_VERSION, O(tls_min), .section = S_TLS,
	  .help = "lowest TLS version offered: 1.0, 1.1, 1.2, 1.3 (default 1.2)",
	  .arg_help = "VERSION" },
	{ "tls-max", .kind = K_VERSION, O(tls_max), .section = S_TLS,
	  .help = "highest TLS version offered (default 1.3)",
	  .arg_help = "VERSION" },
	{ "tls1.2", .alias = { "tls1_2" }, .kind = K_FLAG, R(only12),
	  .section = S_TLS, .help = "offer TLS 1.2 only" },
	{ "tls1.3", .alias = { "tls1_3" }, .kind = K_FLAG, R(only13),
	  .section = S_TLS, .help = "offer TLS 1.3 only" },
	{ "ciphers", .kind = K_NAMES, ON(ciphers, n_ciphers),
	  .names = &cli_ciphers, .section = S_TLS,
	  .help = "cipher suites to offer: IANA names or hex ids, comma separated",
	  .arg_help = "LIST" },
	{ "list-ciphers", .kind = K_FLAG, O(list_ciphers), .section = S_TLS,
	  .help = "list the cipher suites this NSS implements (IANA and OpenSSL "
	  "names) and exit" },
	{ "list-groups", .kind = K_FLAG, O(list_groups), .section = S_TLS,
	  .help = "list the key-exchange groups --groups takes and exit" },
	{ "list-sigalgs", .kind = K_FLAG, O(list_sigalgs), .section = S_TLS,
	  .help = "list the signature schemes --sigalgs takes and exit" },
	{ "groups", .alias = { "groups", "curves" }, .kind = K_NAMES,
	  ON(groups, n_groups), .names = &cli_groups, .section = S_TLS,
	  .help = "key-exchange groups to offer, in order (x25519,secp256r1,...)",
	  .arg_help = "LIST" },
	{ "sigalgs", .alias = { "sigalgs" }, .kind = K_NAMES,
	  ON(sigalgs, n_sigalgs), .names = &cli_sigalgs, .section = S_TLS,
	  .help = "signature schemes to offer (ecdsa_secp256r1_sha256,...)",
	  .arg_help = "LIST" },
	{ "alpn", .alias = { "alpn" }, .kind = K_CALL, .call = call_alpn,
	  .section = S_TLS, .help = "ALPN protocols to offer, in preference "
	  "order (h2,http/1.1)", .arg_help = "LIST" },
	{ "servername", .alias = { "servername" }, .kind = K_STRING,
	  O(servername_opt), .max = STARTTLS_NAME_MAX,
	  .wire = "sent as the server name (SNI)", .section = S_TLS,
	  .help = "SNI name to send (default: the target host name)",
	  .arg_help = "NAME" },
	{ "no-sni", .kind = K_FLAG, O(no_sni), .section = S_TLS,
	  .help = "send no SNI" },
	{ "verify-name", .alias = { "verify_hostname" }, .kind = K_STRING,
	  O(verify_name_opt), .wire = "checked against the certificate",
	  .section = S_TLS, .help = "host name to verify the certificate "
	  "against (default: the target)", .arg_help = "NAME" },
	{ "ech", .kind = K_CALL, .call = call_ech, .flags = F_CONNECT,
	  .section = S_TLS, .help = "Encrypted Client Hello: hide the server "
	  "name with this base64 ECHConfigList, or with the one in the target's "
	  "DNS HTTPS record (auto)", .arg_help = "LIST" },
	{ "ech-grease", .kind = K_FLAG, O(ech_grease), .flags = F_CONNECT,
	  .section = S_TLS, .help = "send a fake (GREASE) ECH extension, as "
	  "browsers do without a configuration" },

	/* Verification and trust */
	{ "ca-file", .alias = { "CAfile" }, .kind = K_APPEND,
	  ON(ca_files, n_ca_files), .section = S_TRUST,
	  .help = "PEM file of trust anchors (repeatable)", .arg_help = "FILE" },
	{ "trust", .kind = K_CALL, .call = call_trust, .section = S_TRUST,
	  .help = "trust sources: builtin, system, comma separated (default "
	  "builtin)", .arg_help = "SOURCES" },
	{ "no-builtin-roots", .kind = K_FLAG, R(no_builtin), .section = S_TRUST,
	  .help = "do not load NSS's built-in Mozilla roots" },
	{ "db", .kind = K_STRING, O(db), .section = S_TRUST,
	  .help = "NSS database directory (sql:), opened read-only",
	  .arg_help = "DIR" },
	{ "pass-file", .kind = K_STRING, O(pass_file), .section = S_TRUST,
	  .help = "password of the database, first line of FILE",
	  .arg_help = "FILE" },
	{ "pass", .kind = K_STRING, O(pass), .check = check_pass,
	  .section = S_TRUST,
	  .help = "password source: env:VAR, file:PATH or pass:TEXT",
	  .arg_help = "SPEC" },
	{ "insecure", 'k', .kind = K_FLAG, O(insecure), .section = S_TRUST,
	  .help = "go on (exit 0) when verification fails; the report still "
	  "shows why" },
	{ "allow-weak", .kind = K_FLAG, O(allow_weak), .section = S_TRUST,
	  .help = "RISK: accept weak keys (RSA/DSA < 2048, EC < 256 bits) and "
	  "SHA-1/MD5 signatures, as NSS does; the findings still show them" },
	{ "warn-days", .kind = K_INT, O(warn_days), DAYS, .section = S_TRUST,
	  .help = "warn when the certificate expires within N days (default 30)",
	  .arg_help = "N" },
	{ "attime", .kind = K_TIME, O(attime), .section = S_TRUST,
	  .help = "verify as of DATE (RFC 3339 or YYYY-MM-DD) instead of now",
	  .arg_help = "DATE" },
	{ "aia-fetch", .kind = K_FLAG, O(aia_fetch), .section = S_TRUST,
	  .help = "fetch a missing intermediate from its AIA URL over HTTP and "
	  "say if the chain would then verify" },
	{ "ocsp", .kind = K_FLAG, O(ocsp), .section = S_TRUST,
	  .help = "ask the certificate's OCSP responder over HTTP too" },
	{ "ocsp-url", .kind = K_STRING, O(ocsp_url), .check = check_ocsp_url,
	  .section = S_TRUST,
	  .help = "OCSP responder to ask instead of the certificate's (implies "
	  "--ocsp)", .arg_help = "URL" },
	{ "crl-file", .kind = K_APPEND, ON(crl_files, n_crl_files),
	  .section = S_TRUST, .help = "check the certificates against a CRL "
	  "(PEM or DER; repeatable)", .arg_help = "FILE" },
	{ "save-chain", .kind = K_STRING, O(save_chain),
	  .flags = F_FILE | F_CONNECT | F_NOT_SCAN | F_ONE_TARGET,
	  .section = S_TRUST, .help = "write the chain the server sent to FILE "
	  "as PEM", .arg_help = "FILE" },
	{ "save-chain-verified", .kind = K_STRING, O(save_chain_verified),
	  .flags = F_FILE | F_CONNECT | F_NOT_SCAN | F_ONE_TARGET,
	  .section = S_TRUST, .help = "write the chain NSS built to FILE as PEM",
	  .arg_help = "FILE" },
	{ "print-cert", .kind = K_STRING, O(print_cert), .flags = F_NOT_SCAN,
	  .section = S_TRUST, .help = "describe and verify the certificates in "
	  "FILE (PEM or DER) without connecting", .arg_help = "FILE" },

	/* Client authentication */
	{ "cert", .alias = { "cert" }, .kind = K_CALL, .call = call_cert_part,
	  .set = 0, .section = S_CLIENT, .help = "client certificate: a nickname "
	  "in --db, or a PEM file (its key in --key or in the same file)",
	  .arg_help = "NICKNAME|FILE" },
	{ "key", .alias = { "key" }, .kind = K_CALL, .call = call_cert_part,
	  .set = 1, .section = S_CLIENT, .help = "private key of --cert FILE "
	  "(PEM: PKCS#8, traditional, encrypted)", .arg_help = "FILE" },
	{ "cert-chain", .kind = K_CALL, .call = call_cert_part, .set = 2,
	  .section = S_CLIENT, .help = "intermediate certificates to send with "
	  "the client certificate (PEM)", .arg_help = "FILE" },
	{ "pkcs12", .kind = K_STRING, O(pkcs12), .section = S_CLIENT,
	  .help = "client certificate and key from a PKCS#12 file (password: "
	  "--pass)", .arg_help = "FILE" },
	{ "post-handshake-auth", .kind = K_FLAG, O(post_handshake_auth),
	  .section = S_CLIENT, .help = "allow a TLS 1.3 server to ask for the "
	  "certificate after the handshake" },

	/* Session */
	{ "no-data", .kind = K_FLAG, O(no_data), .section = S_SESSION,
	  .help = "exit right after the handshake and the report" },
	{ "crlf", .alias = { "crlf" }, .kind = K_FLAG, O(crlf),
	  .section = S_SESSION, .help = "send LF from stdin as CRLF" },
	{ "renegotiate", .kind = K_INT, O(renegotiate), .min = 1, .max = 100,
	  .unit = "count", .set = 1,
	  .flags = F_OPTIONAL | F_CONNECT | F_NOT_SCAN | F_NOT_CHECK | F_ONE_TARGET,
	  .section = S_SESSION, .help = "renegotiate N times after the handshake "
	  "(TLS 1.2; default 1)", .arg_help = "N" },
	{ "key-update", .kind = K_ENUM, O(key_update), .choices = key_update_words,
	  .set = KEY_UPDATE_SEND,
	  .flags = F_OPTIONAL | F_CONNECT | F_NOT_SCAN | F_NOT_CHECK | F_ONE_TARGET,
	  .section = S_SESSION, .help = "send a TLS 1.3 KeyUpdate; =request asks "
	  "for one back", .arg_help = "request" },
	{ "export-keying-material", .kind = K_CALL, .call = call_exporter,
	  .flags = F_NOT_SCAN, .section = S_SESSION,
	  .help = "LABEL[:LEN[:CONTEXT]]: print LEN bytes (default 32) of keying "
	  "material exported for LABEL (RFC 5705/8446); repeatable",
	  .arg_help = "SPEC" },
	{ "reconnect", .alias = { "reconnect" }, .kind = K_INT, O(reconnect),
	  .min = 1, .max = 100, .unit = "count", .set = 5 /* s_client's */,
	  .flags = F_OPTIONAL | F_CONNECT | F_NOT_SCAN, .section = S_SESSION,
	  .help = "connect N more times (default 5), resuming the session; no "
	  "data phase", .arg_help = "N" },
	{ "early-data", .alias = { "early_data" }, .kind = K_STRING,
	  O(early_data), .flags = F_CONNECT | F_NOT_SCAN, .section = S_SESSION,
	  .help = "send FILE as TLS 1.3 0-RTT data on the resumed connections "
	  "(needs --reconnect)", .arg_help = "FILE" },
	{ "sess-out", .alias = { "sess_out" }, .kind = K_REFUSED,
	  .refuse = SESS_REFUSED, .section = S_SESSION,
	  .help = "not possible with NSS 3.87 (refused with the reason; use "
	  "--reconnect)", .arg_help = "FILE" },
	{ "sess-in", .alias = { "sess_in" }, .kind = K_REFUSED,
	  .refuse = SESS_REFUSED, .section = S_SESSION,
	  .help = "not possible with NSS 3.87 (refused with the reason; use "
	  "--reconnect)", .arg_help = "FILE" },

	/* Output */
	{ "json", .kind = K_ENUM, O(json), .choices = json_words, .set = 1,
	  .flags = F_OPTIONAL, .section = S_OUTPUT,
	  .help = "write the report as one JSON document to stdout (=pretty to "
	  "indent); no data phase", .arg_help = "pretty" },
	{ "showcerts", .alias = { "showcerts" }, .kind = K_FLAG, O(showcerts),
	  .flags = F_CONNECT | F_NOT_SCAN | F_NOT_CHECK | F_ONE_TARGET,
	  .section = S_OUTPUT,
	  .help = "write the chain the server sent as PEM to stdout" },
	{ "brief", .alias = { "brief" }, .kind = K_FLAG, O(brief),
	  .flags = F_NOT_CHECK, .section = S_OUTPUT,
	  .help = "print a short report" },
	{ "quiet", 'q', .alias = { "quiet" }, .kind = K_FLAG, O(quiet),
	  .section = S_OUTPUT, .help = "print no report, only errors" },
	{ "verbose", 'v', .kind = K_COUNT, O(verbose), .section = S_OUTPUT,
	  .help = "print more detail (repeat for more)" },
	{ "trace", .alias = { "msg", "state" }, .kind = K_ENUM, O(trace),
	  .choices = hex_word, .set = 1, .flags = F_OPTIONAL | F_NOT_SCAN,
	  .section = S_OUTPUT, .help = "print every TLS record sent and received "
	  "on stderr (=hex adds a hex dump)", .arg_help = "hex" },
	{ "keylog", .alias = { "keylogfile" }, .kind = K_STRING, O(keylog),
	  .flags = F_FILE | F_NOT_SCAN, .section = S_OUTPUT,
	  .help = "append the TLS 1.3 secrets to FILE in the NSS key log format "
	  "(SSLKEYLOGFILE), for Wireshark", .arg_help = "FILE" },

	/* Health checks */
	{ "check", .kind = K_FLAG, O(check), .section = S_CHECK,
	  .help = "health check: one status line and performance data, exit 0 "
	  "OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN" },
	{ "crit-days", .kind = K_INT, O(crit_days), DAYS, .section = S_CHECK,
	  .help = "CRITICAL when a certificate of the chain expires within N days "
	  "(default 7; --warn-days gives WARNING)", .arg_help = "N" },
	{ "min-tls", .kind = K_VERSION, O(min_tls), .flags = F_NEEDS_CHECK,
	  .section = S_CHECK, .help = "CRITICAL when the server chooses a TLS "
	  "version below VERSION", .arg_help = "VERSION" },
	{ "expect-alpn", .kind = K_STRING, O(expect_alpn), .flags = F_NEEDS_CHECK,
	  .section = S_CHECK, .help = "CRITICAL unless the server selects this "
	  "ALPN protocol", .arg_help = "PROTOCOL" },
	{ "require-ocsp-staple", .kind = K_FLAG, O(require_staple),
	  .flags = F_NEEDS_CHECK, .section = S_CHECK,
	  .help = "CRITICAL unless the server staples a good OCSP response" },
	{ "forbid", .kind = K_ENUM, O(forbid_weak), .choices = weak_word,
	  .flags = F_NEEDS_CHECK, .section = S_CHECK,
	  .help = "CRITICAL on weak cryptography: \"weak\" = RSA keys below 2048 "
	  "bits, SHA-1 or MD5 signatures, suites without forward secrecy",
	  .arg_help = "weak" },

	/* Many targets */
	{ "targets", .kind = K_STRING, O(targets_file), .section = S_MANY,
	  .help = "read targets from FILE, HOST[:PORT] per line, # comments (- "
	  "for stdin)", .arg_help = "FILE" },
	{ "jobs", 'j', .kind = K_INT, O(jobs), .min = 1, .max = 256,
	  .shown = "-j" /* as everyone writes it */,
	  .section = S_MANY, .help = "check up to N targets at once (default 8)",
	  .arg_help = "N" },
	{ "unordered", .kind = K_FLAG, O(unordered), .section = S_MANY,
	  .help = "print each target's result as it finishes, not in input "
	  "order" },

	/* Scan */
	{ "scan", .kind = K_FLAG, O(scan), .flags = F_CONNECT, .section = S_SCAN,
	  .help = "scan mode: every version, cipher suite (in the server's "
	  "order), group, signature scheme, certificate and feature the server "
	  "accepts, judged against a Mozilla profile" },
	{ "scan-jobs", .kind = K_INT, O(scan_jobs), .min = 1, .max = 64,
	  .section = S_SCAN, .help = "probes of one server at once (default 8)",
	  .arg_help = "N" },
	{ "profile", .kind = K_STRING, O(scan_profile), .choices = profiles,
	  .unit = "profile", .section = S_SCAN,
	  .help = "Mozilla server-side TLS profile the scan is judged against: "
	  "modern, intermediate (default) or old", .arg_help = "NAME" },
	{ "shard", .kind = K_CALL, .call = call_shard, .section = S_SCAN,
	  .help = "take only every N-th target, from offset K (0 <= K < N), to "
	  "split a target list across machines", .arg_help = "K/N" },

	/* Server mode */
	{ "listen", .kind = K_CALL, .call = call_listen, .section = S_SERVER,
	  .help = "server mode: accept TLS connections on [ADDR:]PORT (ADDR "
	  "defaults to 127.0.0.1; PORT 0 picks a free one) and report each "
	  "client", .arg_help = "[ADDR:]PORT" },
	{ "self-signed", .kind = K_CALL, .call = call_self_signed,
	  .flags = F_SERVER, .section = S_SERVER,
	  .help = "serve throw-away RSA and EC certificates for these names, "
	  "made in memory (instead of or besides --cert/--pkcs12)",
	  .arg_help = "NAME[,NAME...]" },
	{ "verify-client", .kind = K_FLAG, O(verify_client), .flags = F_SERVER,
	  .section = S_SERVER, .help = "ask for a client certificate and fail "
	  "the handshake without a good one" },
	{ "request-client-cert", .kind = K_FLAG, O(request_client_cert),
	  .flags = F_SERVER, .section = S_SERVER,
	  .help = "ask for a client certificate, accept the client without one" },
	{ "renegotiate-for-cert", .kind = K_FLAG, O(renegotiate_for_cert),
	  .flags = F_SERVER, .section = S_SERVER,
	  .help = "after a TLS 1.2 handshake, renegotiate to ask for a client "
	  "certificate (TLS 1.3: --post-handshake-auth)" },
	{ "hrr", .kind = K_FLAG, O(hrr), .flags = F_SERVER, .section = S_SERVER,
	  .help = "answer every first TLS 1.3 ClientHello with a "
	  "HelloRetryRequest" },
	{ "accept-early-data", .kind = K_FLAG, O(accept_early_data),
	  .flags = F_SERVER, .section = S_SERVER,
	  .help = "accept TLS 1.3 0-RTT data on resumed sessions (a replay within "
	  "2 s is refused)" },
	{ "echo", .kind = K_FLAG, O(echo), .flags = F_SERVER, .section = S_SERVER,
	  .help = "send back what each client sends" },
	{ "www", .kind = K_FLAG, O(www), .flags = F_SERVER, .section = S_SERVER,
	  .help = "answer an HTTP request with a page describing the connection" },
	{ "once", .kind = K_FLAG, O(once), .flags = F_SERVER, .section = S_SERVER,
	  .help = "serve one connection, stdin to the client and the client to "
	  "stdout (the default when stdin is a terminal or a pipe)" },
	{ "max-connections", .kind = K_INT, O(max_connections), .min = 1,
	  .max = 1000000000, .flags = F_SERVER, .section = S_SERVER,
	  .help = "exit after N connections", .arg_help = "N" },

	/* Help */
	{ "version", .kind = K_FLAG, O(version), .section = S_HELP,
	  .help = "print the versions of nsstls, NSS and NSPR" },
	{ "help", '?', .kind = K_HELP, .set = 0, .section = S_HELP,
	  .help = "show this help" },
	{ "usage", .kind = K_HELP, .set = 1, .section = S_HELP,
	  .help = "show a short usage line" },

	/* openssl s_client spellings with no --long twin (S_CLIENT ALIASES in
	 * the man page).  nsstls already does what the no-op ones ask for:
	 * it always verifies and fails closed, reads no default CA directory
	 * or store, always requests stapling and always prints its report. */
	{ "connect", .kind = K_STRING, R(connect), .flags = F_SCLIENT },
	{ "status", .kind = K_FLAG, R(sc_noop), .flags = F_SCLIENT },
	{ "keymatexport", .kind = K_STRING, R(keymat_label),
	  .flags = F_SCLIENT | F_NOT_SCAN },
	{ "keymatexportlen", .kind = K_INT, R(keymat_len), .min = 1,
	  .max = EXPORTER_MAX_LEN, .unit = "number of bytes",
	  .flags = F_SCLIENT },
	{ "debug", .kind = K_FLAG, O(trace), .set = 2,
	  .flags = F_SCLIENT | F_NOT_SCAN },
	{ "cipher", .kind = K_NAMES, RN(sc_ciphers, n_sc_ciphers),
	  .names = &cli_sc_ciphers, .flags = F_SCLIENT },
	{ "ciphersuites", .kind = K_NAMES, RN(sc_suites13, n_sc_suites13),
	  .names = &cli_sc_suites13, .flags = F_SCLIENT },
	{ "tls1", .kind = K_CALL, .call = call_sc_version, .set = 0x0301,
	  .flags = F_SCLIENT | F_NOARG },
	{ "tls1_1", .kind = K_CALL, .call = call_sc_version, .set = 0x0302,
	  .flags = F_SCLIENT | F_NOARG },
	{ "CApath", .kind = K_STRING, O(ca_path), .flags = F_SCLIENT },
	{ "ign_eof", .kind = K_FLAG, O(ign_eof), .flags = F_SCLIENT },
	/* s_client's depth; NSS builds the whole chain and always verifies
	 * it, so only the number is checked. */
	{ "verify", .kind = K_INT, R(sc_verify_depth), .min = 0, .max = 1000000,
	  .unit = "depth (a number)", .flags = F_SCLIENT },
	{ "verify_return_error", .kind = K_FLAG, R(sc_noop), .flags = F_SCLIENT },
	{ "no-CApath", .kind = K_FLAG, R(sc_noop), .flags = F_SCLIENT },
	{ "no-CAstore", .kind = K_FLAG, R(sc_noop), .flags = F_SCLIENT },
	{ "prexit", .kind = K_FLAG, R(sc_noop), .flags = F_SCLIENT },
};

const size_t cli_n_rows = sizeof(cli_rows) / sizeof(cli_rows[0]);

const struct opt_row *
cli_row(const char *name)
{
	for (size_t i = 0; i < cli_n_rows; i++)
		if (strcmp(cli_rows[i].name, name) == 0)
			return &cli_rows[i];
	abort();                /* a rule names an option that is not here */
}

bool
cli_given(const struct cli_state *st, const char *name)
{
	return st->given[cli_row(name) - cli_rows];
}

const char *
cli_spelling(const struct opt_row *row, char *buf, size_t size)
{
	if (row->shown != NULL)
		snprintf(buf, size, "%s", row->shown);
	else
		snprintf(buf, size, "%s%s", (row->flags & F_SCLIENT) ? "-" : "--",
		    row->name);
	return buf;
}
