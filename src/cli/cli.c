/*
 * cli: popt tables, struct nsstls_opts and option validation (see cli.h).
 *
 * Each --help section is its own table joined with POPT_ARG_INCLUDE_TABLE.
 * Options whose value needs parsing carry a val code and are handled in the
 * poptGetNextOpt() loop; plain flags land directly in the struct.  Help is
 * printed here rather than by POPT_AUTOHELP because popt's autohelp calls
 * exit() itself, and only main() may end the process.
 */
#include "cli.h"

#include <popt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ssl.h>

#include "config.h"
#include "echconfig.h"
#include "exporter.h"
#include "names.h"
#include "out.h"
#include "proxy.h"
#include "starttls.h"

enum {
	/* Above every character: -4 and -6 come back as '4' and '6'. */
	OPT_PORT = 256,
	OPT_CONNECT_TIMEOUT,
	OPT_TIMEOUT,
	OPT_STARTTLS,
	OPT_STARTTLS_NAME,
	OPT_XMPP_DOMAIN,
	OPT_PROXY,
	OPT_PROXY_USER,
	OPT_TLS_MIN,
	OPT_TLS_MAX,
	OPT_TLS12,
	OPT_TLS13,
	OPT_CIPHERS,
	OPT_GROUPS,
	OPT_SIGALGS,
	OPT_ALPN,
	OPT_SERVERNAME,
	OPT_NO_SNI,
	OPT_VERIFY_NAME,
	OPT_CA_FILE,
	OPT_TRUST,
	OPT_NO_BUILTIN,
	OPT_DB,
	OPT_PASS_FILE,
	OPT_PASS,
	OPT_RENEGOTIATE,
	OPT_KEY_UPDATE,
	OPT_RECONNECT,
	OPT_EARLY_DATA,
	OPT_SESS_FILE,
	OPT_VERBOSE,
	OPT_CONNECT,
	OPT_HELP,
	OPT_WARN_DAYS,
	OPT_ATTIME,
	OPT_CRL_FILE,
	OPT_OCSP_URL,
	OPT_SAVE_CHAIN,
	OPT_SAVE_VERIFIED,
	OPT_PRINT_CERT,
	OPT_CERT,
	OPT_KEY,
	OPT_CERT_CHAIN,
	OPT_PKCS12,
	OPT_STATUS,
	OPT_JSON,
	OPT_TRACE,
	OPT_TRACE_HEX,
	OPT_KEYLOG,
	OPT_CRIT_DAYS,
	OPT_MIN_TLS,
	OPT_EXPECT_ALPN,
	OPT_FORBID,
	OPT_TARGETS,
	OPT_JOBS,
	OPT_USAGE,
	OPT_ECH,
	OPT_EXPORT_KEYING,
	OPT_KEYMAT_LABEL,
	OPT_KEYMAT_LEN,
	OPT_SCAN_JOBS,
	OPT_PROFILE,
	OPT_SHARD,
	OPT_SC_NOOP,            /* s_client options with nothing to do here */
	OPT_SC_VERIFY,
	OPT_SC_IGN_EOF,
	OPT_SC_CAPATH,
	OPT_SC_CIPHER,
	OPT_SC_CIPHERSUITES,
	OPT_SC_TLS1,
	OPT_SC_TLS1_1,
};

/* Server mode (issue 12): its own range, so other options can grow. */
enum {
	OPT_LISTEN = 512,
	OPT_SELF_SIGNED,
	OPT_MAX_CONNECTIONS,
};

/* Values parsed in the loop are collected here before validation. */
struct raw {
	const char *tls_min, *tls_max;
	int only12, only13;
	int no_builtin;
	char *trust;
	char *connect;          /* -connect HOST:PORT (s_client) */
	bool sess_file;         /* --sess-out / --sess-in given */
	char *keymat_label;     /* -keymatexport LABEL (s_client) */
	long keymat_len;        /* -keymatexportlen N; 0: not given */
	uint16_t *sc_ciphers;   /* -cipher: TLS 1.2 and older suites */
	size_t n_sc_ciphers;
	uint16_t *sc_suites13;  /* -ciphersuites: TLS 1.3 suites */
	size_t n_sc_suites13;
	bool sc_cipher_given, sc_suites13_given;
};

static struct poptOption connection_table[] = {
	{ "port", 'p', POPT_ARG_STRING, NULL, OPT_PORT,
	  "port to connect to (default 443, or the one in HOST:PORT)", "PORT" },
	{ "ipv4", '4', POPT_ARG_NONE, NULL, '4', "use IPv4 addresses only", NULL },
	{ "ipv6", '6', POPT_ARG_NONE, NULL, '6', "use IPv6 addresses only", NULL },
	{ "connect-timeout", '\0', POPT_ARG_STRING, NULL, OPT_CONNECT_TIMEOUT,
	  "resolve and TCP connect timeout (default 10 s; 2.5, 500ms)", "SECONDS" },
	{ "timeout", '\0', POPT_ARG_STRING, NULL, OPT_TIMEOUT,
	  "handshake timeout and idle read timeout (default 10 s)", "SECONDS" },
	POPT_TABLEEND
};

static struct poptOption starttls_table[] = {
	{ "starttls", '\0', POPT_ARG_STRING, NULL, OPT_STARTTLS,
	  NULL /* starttls_help(), from the protocol table */, "PROTO" },
	{ "starttls-name", '\0', POPT_ARG_STRING, NULL, OPT_STARTTLS_NAME,
	  "name to send in EHLO/LHLO (default " STARTTLS_DEFAULT_EHLO ")", "NAME" },
	{ "xmpp-domain", '\0', POPT_ARG_STRING, NULL, OPT_XMPP_DOMAIN,
	  "XMPP domain to open the stream to (default: the target host)", "DOMAIN" },
	{ "proxy", '\0', POPT_ARG_STRING, NULL, OPT_PROXY,
	  "tunnel through this HTTP proxy with CONNECT (default: https_proxy, "
	  "all_proxy)", "HOST:PORT" },
	{ "proxy-user", '\0', POPT_ARG_STRING, NULL, OPT_PROXY_USER,
	  "credentials for the proxy (Basic)", "USER[:PASS]" },
	{ "no-proxy-env", '\0', POPT_ARG_NONE, NULL, 0,
	  "ignore https_proxy, all_proxy and no_proxy", NULL },
	POPT_TABLEEND
};

static struct poptOption tls_table[] = {
	{ "tls-min", '\0', POPT_ARG_STRING, NULL, OPT_TLS_MIN,
	  "lowest TLS version offered: 1.0, 1.1, 1.2, 1.3 (default 1.2)", "VERSION" },
	{ "tls-max", '\0', POPT_ARG_STRING, NULL, OPT_TLS_MAX,
	  "highest TLS version offered (default 1.3)", "VERSION" },
	{ "tls1.2", '\0', POPT_ARG_NONE, NULL, OPT_TLS12, "offer TLS 1.2 only", NULL },
	{ "tls1.3", '\0', POPT_ARG_NONE, NULL, OPT_TLS13, "offer TLS 1.3 only", NULL },
	{ "ciphers", '\0', POPT_ARG_STRING, NULL, OPT_CIPHERS,
	  "cipher suites to offer: IANA names or hex ids, comma separated", "LIST" },
	{ "list-ciphers", '\0', POPT_ARG_NONE, NULL, 0,
	  "list the cipher suites this NSS implements (IANA and OpenSSL names) "
	  "and exit", NULL },
	{ "list-groups", '\0', POPT_ARG_NONE, NULL, 0,
	  "list the key-exchange groups --groups takes and exit", NULL },
	{ "list-sigalgs", '\0', POPT_ARG_NONE, NULL, 0,
	  "list the signature schemes --sigalgs takes and exit", NULL },
	{ "groups", '\0', POPT_ARG_STRING, NULL, OPT_GROUPS,
	  "key-exchange groups to offer, in order (x25519,secp256r1,...)", "LIST" },
	{ "sigalgs", '\0', POPT_ARG_STRING, NULL, OPT_SIGALGS,
	  "signature schemes to offer (ecdsa_secp256r1_sha256,...)", "LIST" },
	{ "alpn", '\0', POPT_ARG_STRING, NULL, OPT_ALPN,
	  "ALPN protocols to offer, in preference order (h2,http/1.1)", "LIST" },
	{ "servername", '\0', POPT_ARG_STRING, NULL, OPT_SERVERNAME,
	  "SNI name to send (default: the target host name)", "NAME" },
	{ "no-sni", '\0', POPT_ARG_NONE, NULL, OPT_NO_SNI, "send no SNI", NULL },
	{ "verify-name", '\0', POPT_ARG_STRING, NULL, OPT_VERIFY_NAME,
	  "host name to verify the certificate against (default: the target)", "NAME" },
	{ "ech", '\0', POPT_ARG_STRING, NULL, OPT_ECH,
	  "Encrypted Client Hello: hide the server name with this base64 "
	  "ECHConfigList, or with the one in the target's DNS HTTPS record "
	  "(auto)", "LIST" },
	{ "ech-grease", '\0', POPT_ARG_NONE, NULL, 0,
	  "send a fake (GREASE) ECH extension, as browsers do without a "
	  "configuration", NULL },
	POPT_TABLEEND
};

static struct poptOption trust_table[] = {
	{ "ca-file", '\0', POPT_ARG_STRING, NULL, OPT_CA_FILE,
	  "PEM file of trust anchors (repeatable)", "FILE" },
	{ "trust", '\0', POPT_ARG_STRING, NULL, OPT_TRUST,
	  "trust sources: builtin, system, comma separated (default builtin)", "SOURCES" },
	{ "no-builtin-roots", '\0', POPT_ARG_NONE, NULL, OPT_NO_BUILTIN,
	  "do not load NSS's built-in Mozilla roots", NULL },
	{ "db", '\0', POPT_ARG_STRING, NULL, OPT_DB,
	  "NSS database directory (sql:), opened read-only", "DIR" },
	{ "pass-file", '\0', POPT_ARG_STRING, NULL, OPT_PASS_FILE,
	  "password of the database, first line of FILE", "FILE" },
	{ "pass", '\0', POPT_ARG_STRING, NULL, OPT_PASS,
	  "password source: env:VAR, file:PATH or pass:TEXT", "SPEC" },
	{ "insecure", 'k', POPT_ARG_NONE, NULL, 0,
	  "go on (exit 0) when verification fails; the report still shows why", NULL },
	{ "allow-weak", '\0', POPT_ARG_NONE, NULL, 0,
	  "RISK: accept weak keys (RSA/DSA < 2048, EC < 256 bits) and SHA-1/MD5 "
	  "signatures, as NSS does; the findings still show them", NULL },
	{ "warn-days", '\0', POPT_ARG_STRING, NULL, OPT_WARN_DAYS,
	  "warn when the certificate expires within N days (default 30)", "N" },
	{ "attime", '\0', POPT_ARG_STRING, NULL, OPT_ATTIME,
	  "verify as of DATE (RFC 3339 or YYYY-MM-DD) instead of now", "DATE" },
	{ "aia-fetch", '\0', POPT_ARG_NONE, NULL, 0,
	  "fetch a missing intermediate from its AIA URL over HTTP and say if "
	  "the chain would then verify", NULL },
	{ "ocsp", '\0', POPT_ARG_NONE, NULL, 0,
	  "ask the certificate's OCSP responder over HTTP too", NULL },
	{ "ocsp-url", '\0', POPT_ARG_STRING, NULL, OPT_OCSP_URL,
	  "OCSP responder to ask instead of the certificate's (implies --ocsp)", "URL" },
	{ "crl-file", '\0', POPT_ARG_STRING, NULL, OPT_CRL_FILE,
	  "check the certificates against a CRL (PEM or DER; repeatable)", "FILE" },
	{ "save-chain", '\0', POPT_ARG_STRING, NULL, OPT_SAVE_CHAIN,
	  "write the chain the server sent to FILE as PEM", "FILE" },
	{ "save-chain-verified", '\0', POPT_ARG_STRING, NULL, OPT_SAVE_VERIFIED,
	  "write the chain NSS built to FILE as PEM", "FILE" },
	{ "print-cert", '\0', POPT_ARG_STRING, NULL, OPT_PRINT_CERT,
	  "describe and verify the certificates in FILE (PEM or DER) without "
	  "connecting", "FILE" },
	POPT_TABLEEND
};

static struct poptOption client_table[] = {
	{ "cert", '\0', POPT_ARG_STRING, NULL, OPT_CERT,
	  "client certificate: a nickname in --db, or a PEM file (its key in "
	  "--key or in the same file)", "NICKNAME|FILE" },
	{ "key", '\0', POPT_ARG_STRING, NULL, OPT_KEY,
	  "private key of --cert FILE (PEM: PKCS#8, traditional, encrypted)", "FILE" },
	{ "cert-chain", '\0', POPT_ARG_STRING, NULL, OPT_CERT_CHAIN,
	  "intermediate certificates to send with the client certificate (PEM)",
	  "FILE" },
	{ "pkcs12", '\0', POPT_ARG_STRING, NULL, OPT_PKCS12,
	  "client certificate and key from a PKCS#12 file (password: --pass)", "FILE" },
	{ "post-handshake-auth", '\0', POPT_ARG_NONE, NULL, 0,
	  "allow a TLS 1.3 server to ask for the certificate after the handshake",
	  NULL },
	POPT_TABLEEND
};

static struct poptOption session_table[] = {
	{ "no-data", '\0', POPT_ARG_NONE, NULL, 0,
	  "exit right after the handshake and the report", NULL },
	{ "crlf", '\0', POPT_ARG_NONE, NULL, 0,
	  "send LF from stdin as CRLF", NULL },
	{ "renegotiate", '\0', POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL,
	  OPT_RENEGOTIATE, "renegotiate N times after the handshake (TLS 1.2; default 1)", "N" },
	{ "key-update", '\0', POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL,
	  OPT_KEY_UPDATE, "send a TLS 1.3 KeyUpdate; =request asks for one back", "request" },
	{ "export-keying-material", '\0', POPT_ARG_STRING, NULL, OPT_EXPORT_KEYING,
	  "LABEL[:LEN[:CONTEXT]]: print LEN bytes (default 32) of keying "
	  "material exported for LABEL (RFC 5705/8446); repeatable", "SPEC" },
	{ "reconnect", '\0', POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL,
	  OPT_RECONNECT, "connect N more times (default 5), resuming the session; "
	  "no data phase", "N" },
	{ "early-data", '\0', POPT_ARG_STRING, NULL, OPT_EARLY_DATA,
	  "send FILE as TLS 1.3 0-RTT data on the resumed connections (needs "
	  "--reconnect)", "FILE" },
	{ "sess-out", '\0', POPT_ARG_STRING, NULL, OPT_SESS_FILE,
	  "not possible with NSS 3.87 (refused with the reason; use --reconnect)",
	  "FILE" },
	{ "sess-in", '\0', POPT_ARG_STRING, NULL, OPT_SESS_FILE,
	  "not possible with NSS 3.87 (refused with the reason; use --reconnect)",
	  "FILE" },
	POPT_TABLEEND
};

static struct poptOption output_table[] = {
	{ "json", '\0', POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL, OPT_JSON,
	  "write the report as one JSON document to stdout (=pretty to indent); "
	  "no data phase", "pretty" },
	{ "showcerts", '\0', POPT_ARG_NONE, NULL, 0,
	  "write the chain the server sent as PEM to stdout", NULL },
	{ "brief", '\0', POPT_ARG_NONE, NULL, 0, "print a short report", NULL },
	{ "quiet", 'q', POPT_ARG_NONE, NULL, 0, "print no report, only errors", NULL },
	{ "verbose", 'v', POPT_ARG_NONE, NULL, OPT_VERBOSE,
	  "print more detail (repeat for more)", NULL },
	{ "trace", '\0', POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL, OPT_TRACE,
	  "print every TLS record sent and received on stderr (=hex adds a hex "
	  "dump)", "hex" },
	{ "keylog", '\0', POPT_ARG_STRING, NULL, OPT_KEYLOG,
	  "append the TLS 1.3 secrets to FILE in the NSS key log format "
	  "(SSLKEYLOGFILE), for Wireshark", "FILE" },
	POPT_TABLEEND
};

static struct poptOption many_table[] = {
	{ "targets", '\0', POPT_ARG_STRING, NULL, OPT_TARGETS,
	  "read targets from FILE, HOST[:PORT] per line, # comments (- for stdin)",
	  "FILE" },
	{ "jobs", 'j', POPT_ARG_STRING, NULL, OPT_JOBS,
	  "check up to N targets at once (default 8)", "N" },
	{ "unordered", '\0', POPT_ARG_NONE, NULL, 0,
	  "print each target's result as it finishes, not in input order", NULL },
	POPT_TABLEEND
};

static struct poptOption check_table[] = {
	{ "check", '\0', POPT_ARG_NONE, NULL, 0,
	  "health check: one status line and performance data, exit 0 OK, 1 "
	  "WARNING, 2 CRITICAL, 3 UNKNOWN", NULL },
	{ "crit-days", '\0', POPT_ARG_STRING, NULL, OPT_CRIT_DAYS,
	  "CRITICAL when a certificate of the chain expires within N days "
	  "(default 7; --warn-days gives WARNING)", "N" },
	{ "min-tls", '\0', POPT_ARG_STRING, NULL, OPT_MIN_TLS,
	  "CRITICAL when the server chooses a TLS version below VERSION", "VERSION" },
	{ "expect-alpn", '\0', POPT_ARG_STRING, NULL, OPT_EXPECT_ALPN,
	  "CRITICAL unless the server selects this ALPN protocol", "PROTOCOL" },
	{ "require-ocsp-staple", '\0', POPT_ARG_NONE, NULL, 0,
	  "CRITICAL unless the server staples a good OCSP response", NULL },
	{ "forbid", '\0', POPT_ARG_STRING, NULL, OPT_FORBID,
	  "CRITICAL on weak cryptography: \"weak\" = RSA keys below 2048 bits, "
	  "SHA-1 or MD5 signatures, suites without forward secrecy", "weak" },
	POPT_TABLEEND
};

static struct poptOption scan_table[] = {
	{ "scan", '\0', POPT_ARG_NONE, NULL, 0,
	  "scan mode: every version, cipher suite (in the server's order), group, "
	  "signature scheme, certificate and feature the server accepts, judged "
	  "against a Mozilla profile", NULL },
	{ "scan-jobs", '\0', POPT_ARG_STRING, NULL, OPT_SCAN_JOBS,
	  "probes of one server at once (default 8)", "N" },
	{ "profile", '\0', POPT_ARG_STRING, NULL, OPT_PROFILE,
	  "Mozilla server-side TLS profile the scan is judged against: modern, "
	  "intermediate (default) or old", "NAME" },
	{ "shard", '\0', POPT_ARG_STRING, NULL, OPT_SHARD,
	  "take only every N-th target, from offset K (0 <= K < N), to split a "
	  "target list across machines", "K/N" },
	POPT_TABLEEND
};

static struct poptOption server_table[] = {
	{ "listen", '\0', POPT_ARG_STRING, NULL, OPT_LISTEN,
	  "server mode: accept TLS connections on [ADDR:]PORT (ADDR defaults to "
	  "127.0.0.1; PORT 0 picks a free one) and report each client",
	  "[ADDR:]PORT" },
	{ "self-signed", '\0', POPT_ARG_STRING, NULL, OPT_SELF_SIGNED,
	  "serve throw-away RSA and EC certificates for these names, made in "
	  "memory (instead of or besides --cert/--pkcs12)", "NAME[,NAME...]" },
	{ "verify-client", '\0', POPT_ARG_NONE, NULL, 0,
	  "ask for a client certificate and fail the handshake without a good one",
	  NULL },
	{ "request-client-cert", '\0', POPT_ARG_NONE, NULL, 0,
	  "ask for a client certificate, accept the client without one", NULL },
	{ "renegotiate-for-cert", '\0', POPT_ARG_NONE, NULL, 0,
	  "after a TLS 1.2 handshake, renegotiate to ask for a client certificate "
	  "(TLS 1.3: --post-handshake-auth)", NULL },
	{ "hrr", '\0', POPT_ARG_NONE, NULL, 0,
	  "answer every first TLS 1.3 ClientHello with a HelloRetryRequest", NULL },
	{ "accept-early-data", '\0', POPT_ARG_NONE, NULL, 0,
	  "accept TLS 1.3 0-RTT data on resumed sessions (a replay within 2 s "
	  "is refused)", NULL },
	{ "echo", '\0', POPT_ARG_NONE, NULL, 0,
	  "send back what each client sends", NULL },
	{ "www", '\0', POPT_ARG_NONE, NULL, 0,
	  "answer an HTTP request with a page describing the connection", NULL },
	{ "once", '\0', POPT_ARG_NONE, NULL, 0,
	  "serve one connection, stdin to the client and the client to stdout "
	  "(the default when stdin is a terminal or a pipe)", NULL },
	{ "max-connections", '\0', POPT_ARG_STRING, NULL, OPT_MAX_CONNECTIONS,
	  "exit after N connections", "N" },
	POPT_TABLEEND
};

static struct poptOption help_table[] = {
	{ "version", '\0', POPT_ARG_NONE, NULL, 0,
	  "print the versions of nsstls, NSS and NSPR", NULL },
	{ "help", '?', POPT_ARG_NONE, NULL, OPT_HELP, "show this help", NULL },
	{ "usage", '\0', POPT_ARG_NONE, NULL, OPT_USAGE, "show a short usage line", NULL },
	POPT_TABLEEND
};

/* openssl s_client spellings, accepted with one dash and kept out of
 * --help; the man page lists them (S_CLIENT ALIASES). */
#define ALIAS (POPT_ARGFLAG_ONEDASH | POPT_ARGFLAG_DOC_HIDDEN)
static struct poptOption alias_table[] = {
	{ "connect", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_CONNECT, NULL, NULL },
	{ "starttls", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_STARTTLS, NULL, NULL },
	{ "name", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_STARTTLS_NAME, NULL, NULL },
	{ "xmpphost", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_XMPP_DOMAIN, NULL, NULL },
	{ "proxy", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_PROXY, NULL, NULL },
	{ "proxy_user", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_PROXY_USER, NULL, NULL },
	{ "cert", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_CERT, NULL, NULL },
	{ "key", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_KEY, NULL, NULL },
	{ "status", '\0', POPT_ARG_NONE | ALIAS, NULL, OPT_STATUS, NULL, NULL },
	{ "keymatexport", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_KEYMAT_LABEL,
	  NULL, NULL },
	{ "keymatexportlen", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_KEYMAT_LEN,
	  NULL, NULL },
	{ "reconnect", '\0', POPT_ARG_NONE | ALIAS, NULL, OPT_RECONNECT, NULL, NULL },
	{ "early_data", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_EARLY_DATA, NULL, NULL },
	{ "sess_out", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_SESS_FILE, NULL, NULL },
	{ "sess_in", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_SESS_FILE, NULL, NULL },
	{ "CAfile", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_CA_FILE, NULL, NULL },
	{ "tls1_2", '\0', POPT_ARG_NONE | ALIAS, NULL, OPT_TLS12, NULL, NULL },
	{ "tls1_3", '\0', POPT_ARG_NONE | ALIAS, NULL, OPT_TLS13, NULL, NULL },
	{ "servername", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_SERVERNAME, NULL, NULL },
	{ "alpn", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_ALPN, NULL, NULL },
	{ "crlf", '\0', POPT_ARG_NONE | ALIAS, NULL, 0, NULL, NULL },
	{ "showcerts", '\0', POPT_ARG_NONE | ALIAS, NULL, 0, NULL, NULL },
	{ "brief", '\0', POPT_ARG_NONE | ALIAS, NULL, 0, NULL, NULL },
	{ "quiet", '\0', POPT_ARG_NONE | ALIAS, NULL, 0, NULL, NULL },
	{ "keylogfile", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_KEYLOG, NULL, NULL },
	{ "msg", '\0', POPT_ARG_NONE | ALIAS, NULL, OPT_TRACE, NULL, NULL },
	{ "debug", '\0', POPT_ARG_NONE | ALIAS, NULL, OPT_TRACE_HEX, NULL, NULL },
	{ "state", '\0', POPT_ARG_NONE | ALIAS, NULL, OPT_TRACE, NULL, NULL },
	{ "verify_hostname", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_VERIFY_NAME,
	  NULL, NULL },
	{ "groups", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_GROUPS, NULL, NULL },
	{ "curves", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_GROUPS, NULL, NULL },
	{ "sigalgs", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_SIGALGS, NULL, NULL },
	{ "cipher", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_SC_CIPHER, NULL, NULL },
	{ "ciphersuites", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_SC_CIPHERSUITES,
	  NULL, NULL },
	{ "tls1", '\0', POPT_ARG_NONE | ALIAS, NULL, OPT_SC_TLS1, NULL, NULL },
	{ "tls1_1", '\0', POPT_ARG_NONE | ALIAS, NULL, OPT_SC_TLS1_1, NULL, NULL },
	{ "CApath", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_SC_CAPATH, NULL, NULL },
	{ "ign_eof", '\0', POPT_ARG_NONE | ALIAS, NULL, OPT_SC_IGN_EOF, NULL, NULL },
	{ "verify", '\0', POPT_ARG_STRING | ALIAS, NULL, OPT_SC_VERIFY, NULL, NULL },
	/* nsstls already does what these ask for, or has nothing they turn
	 * off: it always verifies and fails closed, reads no default CA
	 * directory or store, and always prints its report. */
	{ "verify_return_error", '\0', POPT_ARG_NONE | ALIAS, NULL, OPT_SC_NOOP,
	  NULL, NULL },
	{ "no-CApath", '\0', POPT_ARG_NONE | ALIAS, NULL, OPT_SC_NOOP, NULL, NULL },
	{ "no-CAstore", '\0', POPT_ARG_NONE | ALIAS, NULL, OPT_SC_NOOP, NULL, NULL },
	{ "prexit", '\0', POPT_ARG_NONE | ALIAS, NULL, OPT_SC_NOOP, NULL, NULL },
	POPT_TABLEEND
};

static struct poptOption main_table[] = {
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, connection_table, 0, "Connection:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, starttls_table, 0, "STARTTLS and proxies:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, tls_table, 0, "TLS parameters:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, trust_table, 0, "Verification and trust:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, client_table, 0, "Client authentication:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, session_table, 0, "Session:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, output_table, 0, "Output:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, check_table, 0, "Health checks:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, many_table, 0, "Many targets:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, scan_table, 0, "Scan:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, server_table, 0, "Server mode:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, alias_table, 0, NULL, NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, help_table, 0, "Help:", NULL },
	POPT_TABLEEND
};

/* popt tables are static, so the flag entries are pointed at this run's
 * struct per call; looked up by name so the tables stay readable. */
static struct poptOption *
find_option(struct poptOption *table, const char *name)
{
	for (struct poptOption *p = table; p->longName != NULL ||
	    p->shortName != '\0' || p->arg != NULL; p++) {
		if ((p->argInfo & POPT_ARG_MASK) == POPT_ARG_INCLUDE_TABLE) {
			struct poptOption *q = find_option(p->arg, name);

			if (q != NULL)
				return q;
		} else if (p->longName != NULL && strcmp(p->longName, name) == 0) {
			return p;
		}
	}
	return NULL;
}

/* --starttls's help names the protocols of starttls.c's table, so that
 * the list cannot drift from what the program knows. */
static void
starttls_help(void)
{
	static char text[512];
	size_t used = (size_t)snprintf(text, sizeof(text),
	    "speak PROTO in plain text first and upgrade to TLS: ");

	used += starttls_names(text + used, sizeof(text) - used);
	if (used < sizeof(text))
		snprintf(text + used, sizeof(text) - used, "; auto: by the port");
	starttls_table[0].descrip = text;
}

static void
bind_flag(const char *name, int *field)
{
	find_option(main_table, name)->arg = field;
	/* The one-dash s_client spelling, if there is one. */
	if (find_option(alias_table, name) != NULL)
		find_option(alias_table, name)->arg = field;
}

static void
bind_flags(struct nsstls_opts *o)
{
	bind_flag("list-ciphers", &o->list_ciphers);
	bind_flag("list-groups", &o->list_groups);
	bind_flag("list-sigalgs", &o->list_sigalgs);
	bind_flag("insecure", &o->insecure);
	bind_flag("allow-weak", &o->allow_weak);
	bind_flag("no-data", &o->no_data);
	bind_flag("crlf", &o->crlf);
	bind_flag("showcerts", &o->showcerts);
	bind_flag("brief", &o->brief);
	bind_flag("quiet", &o->quiet);
	bind_flag("version", &o->version);
	bind_flag("aia-fetch", &o->aia_fetch);
	bind_flag("ocsp", &o->ocsp);
	bind_flag("post-handshake-auth", &o->post_handshake_auth);
	bind_flag("check", &o->check);
	bind_flag("unordered", &o->unordered);
	bind_flag("require-ocsp-staple", &o->require_staple);
	bind_flag("no-proxy-env", &o->no_proxy_env);
	bind_flag("ech-grease", &o->ech_grease);
	bind_flag("scan", &o->scan);
	bind_flag("verify-client", &o->verify_client);
	bind_flag("request-client-cert", &o->request_client_cert);
	bind_flag("hrr", &o->hrr);
	bind_flag("accept-early-data", &o->accept_early_data);
	bind_flag("echo", &o->echo);
	bind_flag("www", &o->www);
	bind_flag("once", &o->once);
	bind_flag("renegotiate-for-cert", &o->renegotiate_for_cert);
}

static void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Messages quote the user's words, which may hold any byte: each is
 * formatted whole and written escaped (util_escape_term), no line end. */
static void
verrorf(const char *fmt, va_list ap)
{
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		abort();        /* out of memory */
	util_fputs_term(msg, stderr);
	free(msg);
}

static void
errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrorf(fmt, ap);
	va_end(ap);
}

static void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("nsstls: ", stderr);
	va_start(ap, fmt);
	verrorf(fmt, ap);
	va_end(ap);
	fputs("\nTry 'nsstls --help' for more information.\n", stderr);
}

/* Limits checked here, so that a value NSS or the peer cannot take is a
 * usage error before anything connects, not a failure in a later phase. */
#define NAME_MAX_LEN STARTTLS_NAME_MAX   /* SNI, EHLO name, XMPP domain */
#define ALPN_LIST_MAX 65535     /* RFC 7301: ProtocolNameList<2..2^16-1> */
/* NSS 3.87 builds the TLS 1.3 exporter's HkdfLabel in a 256-byte buffer:
 * 2 + 1 + "tls13 " + label + 1 + a SHA-384 hash leaves 198 bytes (measured:
 * 199 fails with SEC_ERROR_LIBRARY_FAILURE on TLS_AES_256_GCM_SHA384). */
#define EXPORTER_LABEL_MAX 198

/* A value that goes on the wire as text: not empty, at most max bytes,
 * and no control byte — in a line-based dialogue a CR or LF would end our
 * command and start one of the value's choosing.  where: "sent in ..." for
 * the message.  The value itself is not quoted: it may be a password. */
static int
check_wire_value(const char *opt, const char *v, size_t max, const char *where)
{
	size_t len = strlen(v);
	const char *c = util_find_control(v, len);

	if (len == 0) {
		usage_error("%s: the value is empty", opt);
		return -1;
	}
	if (c != NULL) {
		usage_error("%s: byte %zu is the control character \\x%02x, which "
		    "is not allowed in a value %s", opt, (size_t)(c - v) + 1,
		    (unsigned char)*c, where);
		return -1;
	}
	if (len > max) {
		usage_error("%s: %zu bytes, more than the %zu allowed in a value %s",
		    opt, len, max, where);
		return -1;
	}
	return 0;
}

/* One kind of name list (--ciphers, --groups, --sigalgs): how to look a
 * name up, and how to list the valid ones in the error message. */
struct name_kind {
	const char *option;
	const char *what;
	size_t size;                             /* of one parsed value */
	int (*parse)(const char *name, void *value);   /* 0, -1 unknown,
	                                                  -2 not implemented */
	void (*print_valid)(FILE *f);
	const char *note;                        /* after the list, or "" */
	bool unique;                             /* a repeat is an error */
	size_t (*max)(void);                     /* NSS's limit, or NULL */
};

static int
cipher_parse(const char *name, void *v)
{
	return names_cipher_parse(name, v);
}

static int
group_parse(const char *name, void *v)
{
	return names_group_parse(name, v);
}

static int
sigalg_parse(const char *name, void *v)
{
	return names_sigalg_parse(name, v);
}

/* SSL_SignatureSchemePrefSet refuses more than this many schemes. */
static size_t
sigalg_max(void)
{
	return SSL_SignatureMaxCount();
}

static const struct name_kind cipher_kind = { "--ciphers", "cipher suite",
	sizeof(uint16_t), cipher_parse, names_print_ciphers, "", false, NULL };
static const struct name_kind group_kind = { "--groups", "group",
	sizeof(SSLNamedGroup), group_parse, names_print_groups,
	" (NSS 3.87 has no post-quantum groups)", true, NULL };
static const struct name_kind sigalg_kind = { "--sigalgs", "signature scheme",
	sizeof(SSLSignatureScheme), sigalg_parse, names_print_sigalgs, "",
	true, sigalg_max };

/* A group or scheme given twice (under two spellings, perhaps) adds
 * nothing, and SSL_NamedGroupConfig and SSL_SignatureSchemePrefSet refuse
 * a list longer than the values they know (SEC_ERROR_INVALID_ARGS, after
 * parsing, as a setup error): refused here, a list of thousands stops at
 * its first repeat. */
static int
check_repeat(const struct name_kind *k, char **list, const unsigned char *values,
    size_t i)
{
	for (size_t j = 0; j < i; j++) {
		if (memcmp(values + j * k->size, values + i * k->size, k->size) == 0) {
			if (strcmp(list[i], list[j]) == 0)
				usage_error("%s: %s '%s' is given twice", k->option,
				    k->what, list[i]);
			else
				usage_error("%s: %s '%s' is given twice (as '%s' "
				    "before)", k->option, k->what, list[i], list[j]);
			return -1;
		}
	}
	return 0;
}

/* -cipher takes OpenSSL's names of TLS 1.2 and older suites (IANA names
 * too); -ciphersuites the TLS 1.3 ones, named alike by both. */
static int
sc_cipher_parse(const char *name, void *v)
{
	uint16_t *id = v;
	int rc = names_cipher_parse_openssl(name, id);

	if (rc == -1 && names_cipher_parse(name, id) == 0)
		rc = 0;
	return rc == 0 && names_cipher_is_tls13(*id) ? -1 : rc;
}

static int
sc_suite13_parse(const char *name, void *v)
{
	uint16_t *id = v;

	if (names_cipher_parse(name, id) != 0 || !names_cipher_is_tls13(*id))
		return -1;
	return 0;
}

static void
print_openssl12(FILE *f)
{
	names_print_openssl_ciphers(f, false);
}

static void
print_openssl13(FILE *f)
{
	names_print_openssl_ciphers(f, true);
}

static const struct name_kind sc_cipher_kind = { "-cipher",
	"TLS 1.2 cipher suite", sizeof(uint16_t), sc_cipher_parse, print_openssl12,
	" (suite names only: OpenSSL's cipher rules such as HIGH or !aNULL "
	"are not understood)" };
static const struct name_kind sc_suite13_kind = { "-ciphersuites",
	"TLS 1.3 cipher suite", sizeof(uint16_t), sc_suite13_parse, print_openssl13,
	" (NSS 3.87 has no TLS 1.3 CCM suites)" };

/* Parse a comma/colon list into a new array of values (replacing *out).
 * Unknown names are usage errors that list the valid ones. */
static int
parse_names(const struct name_kind *k, const char *arg, void **out, size_t *n)
{
	size_t count;
	char **list = util_split_list(arg, ",: ", &count);
	unsigned char *values = xcalloc(count, k->size);
	int rc = 0;

	for (size_t i = 0; i < count && rc == 0; i++) {
		int r = k->parse(list[i], values + i * k->size);

		if (r == 0) {
			if (k->unique)
				rc = check_repeat(k, list, values, i);
			continue;
		}
		if (r == -2)
			errorf("nsstls: %s '%s' is not implemented by NSS 3.87; "
			    "valid names: ", k->what, list[i]);
		else
			errorf("nsstls: unknown %s '%s'; valid names: ",
			    k->what, list[i]);
		k->print_valid(stderr);
		fprintf(stderr, "%s\n", k->note);
		rc = -1;
	}
	if (rc == 0 && count == 0) {
		usage_error("%s needs at least one %s", k->option, k->what);
		rc = -1;
	}
	if (rc == 0 && k->max != NULL && count > k->max()) {
		usage_error("%s: %zu names, more than the %zu NSS 3.87 takes",
		    k->option, count, k->max());
		rc = -1;
	}
	util_list_free(list);
	free(*out);
	*out = values;
	*n = rc == 0 ? count : 0;
	return rc;
}

/* The protocols as the ClientHello carries them (RFC 7301 §3.1): each
 * 1 to 255 bytes with a length byte, the list at most 65535 bytes. */
static int
check_alpn(const char *opt, char **alpn, size_t n)
{
	size_t wire = 0;

	if (n == 0) {
		usage_error("%s needs at least one protocol", opt);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(alpn[i]);

		if (len > 255) {
			usage_error("%s: protocol %zu is %zu bytes long, more than the "
			    "255 an ALPN protocol name can hold", opt, i + 1, len);
			return -1;
		}
		wire += 1 + len;
	}
	if (wire > ALPN_LIST_MAX) {
		usage_error("%s: the list takes %zu bytes in the ClientHello, more "
		    "than the %d an ALPN extension can hold", opt, wire,
		    ALPN_LIST_MAX);
		return -1;
	}
	return 0;
}

static int
parse_alpn(const char *arg, struct nsstls_opts *o)
{
	util_list_free(o->alpn);
	o->alpn = util_split_list(arg, ",", &o->n_alpn);
	return check_alpn("--alpn", o->alpn, o->n_alpn);
}

static int
parse_trust(const char *arg, struct nsstls_opts *o)
{
	size_t n;
	char **list = util_split_list(arg, ", ", &n);
	int rc = 0;

	o->trust_builtin = false;
	o->trust_system = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i], "builtin") == 0)
			o->trust_builtin = true;
		else if (strcmp(list[i], "system") == 0)
			o->trust_system = true;
		else {
			usage_error("unknown trust source '%s'; valid sources: "
			    "builtin, system", list[i]);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && n == 0) {
		usage_error("--trust needs builtin, system or both%s", "");
		rc = -1;
	}
	util_list_free(list);
	return rc;
}

static int
parse_version(const char *opt, const char *arg, uint16_t *v)
{
	if (names_version_parse(arg, v) == 0)
		return 0;
	errorf("nsstls: %s: unknown TLS version '%s'; valid versions: ",
	    opt, arg);
	names_print_versions(stderr);
	fputs("\n", stderr);
	return -1;
}

static void
replace(char **field, char *value)
{
	free(*field);
	*field = value;
}

/* --ech LIST is decoded and checked here, so that a list that is not
 * base64, is malformed or holds nothing NSS can use is a usage error. */
static int
parse_ech(const char *arg, struct nsstls_opts *o)
{
	struct echconfig *cfg = NULL;
	char *err = NULL;
	int n;

	free(o->ech_config);
	o->ech_config = NULL;
	o->ech_auto = strcmp(arg, "auto") == 0;
	if (o->ech_auto)
		return 0;
	o->ech_config = echconfig_b64_decode(arg, &o->ech_config_len);
	if (o->ech_config == NULL) {
		usage_error("--ech: '%s' is neither 'auto' nor base64 (an "
		    "ECHConfigList, as in the ech parameter of a DNS HTTPS "
		    "record)", arg);
		return -1;
	}
	n = echconfig_parse(o->ech_config, o->ech_config_len, &cfg, &err);
	if (n < 0) {
		usage_error("--ech: not a valid ECHConfigList: %s", err);
		free(err);
		return -1;
	}
	if (echconfig_first_usable(cfg, (size_t)n) == NULL) {
		usage_error("--ech: none of the %d configurations in the list can "
		    "be used by NSS 3.87 (it needs version 0xfe0d, the X25519 KEM "
		    "and HKDF-SHA256 with AES-128-GCM or ChaCha20-Poly1305)", n);
		free(cfg);
		return -1;
	}
	free(cfg);
	return 0;
}

static int
push_exporter(struct nsstls_opts *o, const struct exporter_req *q)
{
	if (strlen(q->label) > EXPORTER_LABEL_MAX) {
		usage_error("the exporter label is %zu bytes long; NSS 3.87 takes "
		    "at most %d", strlen(q->label), EXPORTER_LABEL_MAX);
		return -1;
	}
	if (o->n_exporters == EXPORTER_MAX) {
		usage_error("--export-keying-material is given more than %d times",
		    EXPORTER_MAX);
		return -1;
	}
	o->exporters = xrealloc(o->exporters,
	    (o->n_exporters + 1) * sizeof(*o->exporters));
	o->exporters[o->n_exporters++] = *q;
	return 0;
}

static int
add_exporter(struct nsstls_opts *o, const char *arg)
{
	struct exporter_req q;
	const char *err;

	if (exporter_parse(arg, &q, &err) != 0) {
		usage_error("--export-keying-material: '%s': %s (LABEL[:LEN[:CONTEXT]])",
		    arg, err);
		return -1;
	}
	if (push_exporter(o, &q) != 0) {
		exporter_req_free(&q);
		return -1;
	}
	return 0;
}

/* --scan-jobs, --profile, --shard. */
static int
scan_option(int rc, const char *arg, struct nsstls_opts *o)
{
	char *end;
	long k, n;

	switch (rc) {
	case OPT_SCAN_JOBS:
		n = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || n < 1 || n > 64) {
			usage_error("--scan-jobs: '%s' is not a number from 1 to 64", arg);
			return -1;
		}
		o->scan_jobs = (int)n;
		return 0;
	case OPT_PROFILE:
		if (strcmp(arg, "modern") != 0 && strcmp(arg, "intermediate") != 0 &&
		    strcmp(arg, "old") != 0) {
			usage_error("--profile: '%s' is not a profile (modern, "
			    "intermediate, old)", arg);
			return -1;
		}
		free(o->scan_profile);
		o->scan_profile = xstrdup(arg);
		return 0;
	default:
		k = strtol(arg, &end, 10);
		if (end == arg || *end != '/' || (n = strtol(end + 1, &end, 10),
		    *end != '\0') || k < 0 || n < 1 || k >= n || n > 1000000) {
			usage_error("--shard: '%s' is not K/N with 0 <= K < N", arg);
			return -1;
		}
		o->shard_k = (unsigned)k;
		o->shard_n = (unsigned)n;
		return 0;
	}
}

/* The s_client spellings with no --long twin.  arg stays the caller's. */
static int
handle_sclient(int rc, const char *arg, struct nsstls_opts *o, struct raw *r)
{
	char *end;

	switch (rc) {
	case OPT_SC_VERIFY:
		/* s_client's depth; NSS builds the whole chain and always
		 * verifies it, so only the number is checked. */
		if (*arg == '\0' || (strtol(arg, &end, 10), *end != '\0')) {
			usage_error("-verify: '%s' is not a depth (a number)", arg);
			return -1;
		}
		return 0;
	case OPT_SC_IGN_EOF:
		o->ign_eof = 1;
		return 0;
	case OPT_SC_CAPATH:
		replace(&o->ca_path, xstrdup(arg));
		return 0;
	case OPT_SC_CIPHER:
		r->sc_cipher_given = true;
		return parse_names(&sc_cipher_kind, arg, (void **)&r->sc_ciphers,
		    &r->n_sc_ciphers);
	case OPT_SC_CIPHERSUITES:
		r->sc_suites13_given = true;
		return parse_names(&sc_suite13_kind, arg, (void **)&r->sc_suites13,
		    &r->n_sc_suites13);
	case OPT_SC_TLS1:
	case OPT_SC_TLS1_1:
		o->tls_min = o->tls_max = rc == OPT_SC_TLS1 ? 0x0301 : 0x0302;
		r->tls_min = r->tls_max = "set";
		return 0;
	default:                /* OPT_SC_NOOP */
		return 0;
	}
}

/* -cipher and -ciphersuites each replace one half of the suites offered,
 * as in OpenSSL: the TLS 1.3 suites first, then the older ones; a half
 * not given keeps nsstls's defaults. */
static int
sclient_ciphers(struct nsstls_opts *o, struct raw *r)
{
	size_t n = 0;

	if (!r->sc_cipher_given && !r->sc_suites13_given)
		return 0;
	if (o->n_ciphers > 0) {
		usage_error("-cipher/-ciphersuites cannot be combined with "
		    "--ciphers%s", "");
		return -1;
	}
	free(o->ciphers);
	o->ciphers = xcalloc(names_default_ciphers_len + r->n_sc_ciphers +
	    r->n_sc_suites13, sizeof(uint16_t));
	for (size_t i = 0; i < r->n_sc_suites13; i++)
		o->ciphers[n++] = r->sc_suites13[i];
	for (size_t i = 0; i < names_default_ciphers_len; i++)
		if (!r->sc_suites13_given &&
		    names_cipher_is_tls13(names_default_ciphers[i]))
			o->ciphers[n++] = names_default_ciphers[i];
	for (size_t i = 0; i < r->n_sc_ciphers; i++)
		o->ciphers[n++] = r->sc_ciphers[i];
	for (size_t i = 0; i < names_default_ciphers_len; i++)
		if (!r->sc_cipher_given &&
		    !names_cipher_is_tls13(names_default_ciphers[i]))
			o->ciphers[n++] = names_default_ciphers[i];
	o->n_ciphers = n;
	return 0;
}

/* "8443", "127.0.0.1:8443", "[::1]:0", "::1" is refused (ambiguous). */
static int
parse_listen(const char *arg, struct nsstls_opts *o)
{
	const char *colon = strrchr(arg, ':');
	const char *port = colon != NULL ? colon + 1 : arg;
	char *host = NULL, *end;
	long n;

	if (colon != NULL) {
		host = xstrndup(arg, (size_t)(colon - arg));
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host) - 2);
			host[strlen(host) - 2] = '\0';
		}
		if (!util_is_ip_literal(host) && strcmp(host, "localhost") != 0) {
			usage_error("--listen: '%s' is not an IP address (IPv6 in "
			    "brackets: [::1]:8443)", host);
			free(host);
			return -1;
		}
	}
	n = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || n < 0 || n > 65535) {
		usage_error("--listen: '%s' is not [ADDR:]PORT with a port from 0 "
		    "to 65535", arg);
		free(host);
		return -1;
	}
	free(o->listen_host);
	o->listen_host = host != NULL && strcmp(host, "localhost") != 0 ? host :
	    xstrdup("127.0.0.1");
	if (host != o->listen_host)
		free(host);
	o->listen_port = (uint16_t)n;
	o->listen = true;
	return 0;
}

/* Options of the "Server mode" table.  Returns 0 or -1. */
static int
handle_server_option(int rc, const char *arg, struct nsstls_opts *o)
{
	char *end;

	switch (rc) {
	case OPT_LISTEN:
		return parse_listen(arg, o);
	case OPT_SELF_SIGNED:
		util_list_free(o->self_signed);
		o->self_signed = util_split_list(arg, ",", &o->n_self_signed);
		if (o->n_self_signed == 0 || o->n_self_signed > 32) {
			usage_error("--self-signed: give 1 to 32 names, comma-separated%s",
			    "");
			return -1;
		}
		for (size_t i = 0; i < o->n_self_signed; i++)
			if (check_wire_value("--self-signed", o->self_signed[i], 253,
			    "put in a certificate") != 0)
				return -1;
		return 0;
	case OPT_MAX_CONNECTIONS:
		o->max_connections = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || o->max_connections < 1 ||
		    o->max_connections > 1000000000) {
			usage_error("--max-connections: '%s' is not a number from 1", arg);
			return -1;
		}
		return 0;
	}
	return 0;
}

/* --cert, --key, --cert-chain.  The first --cert fills o->cert; each
 * later one (server mode: several certificates) starts a more_certs
 * entry, and a --key or --cert-chain belongs to the --cert before it (or
 * to the first when none came before).  arg is taken. */
static int
add_cert_part(int rc, char *arg, struct nsstls_opts *o)
{
	struct cert_source *last = o->n_more_certs > 0 ?
	    &o->more_certs[o->n_more_certs - 1] : NULL;
	char **field;

	if (rc == OPT_CERT && o->cert != NULL) {
		o->more_certs = xrealloc(o->more_certs,
		    (o->n_more_certs + 1) * sizeof(*o->more_certs));
		o->more_certs[o->n_more_certs++] = (struct cert_source){ arg, NULL,
		    NULL };
		return 0;
	}
	if (rc == OPT_CERT)
		field = &o->cert;
	else if (rc == OPT_KEY)
		field = last != NULL ? &last->key : &o->key;
	else
		field = last != NULL ? &last->chain : &o->cert_chain;
	if (*field != NULL) {
		usage_error("%s is given twice for one --cert (write each --key "
		    "and --cert-chain after the --cert it belongs to)",
		    rc == OPT_KEY ? "--key" : "--cert-chain");
		free(arg);
		return -1;
	}
	*field = arg;
	return 0;
}

/* One option from the loop.  arg is popt's malloc'd copy, owned here. */
static int
handle_option(int rc, char *arg, struct nsstls_opts *o, struct raw *r)
{
	int ret = 0;

	if (rc >= OPT_LISTEN) {
		ret = handle_server_option(rc, arg, o);
		free(arg);
		return ret;
	}

	switch (rc) {
	case OPT_PORT:
		if (util_parse_port(arg, &o->port_opt) != 0) {
			usage_error("--port: '%s' is not a port from 1 to 65535", arg);
			ret = -1;
		}
		break;
	case '4':
		o->ipv4_only = 1;
		break;
	case '6':
		o->ipv6_only = 1;
		break;
	case OPT_CONNECT_TIMEOUT:
		if (util_parse_duration_ms(arg, &o->connect_timeout_ms) != 0) {
			usage_error("--connect-timeout: '%s' is not a duration "
			    "(seconds, e.g. 5, 2.5 or 500ms)", arg);
			ret = -1;
		}
		break;
	case OPT_TIMEOUT:
		if (util_parse_duration_ms(arg, &o->timeout_ms) != 0) {
			usage_error("--timeout: '%s' is not a duration "
			    "(seconds, e.g. 5, 2.5 or 500ms)", arg);
			ret = -1;
		}
		break;
	case OPT_STARTTLS:
		o->starttls_auto = strcmp(arg, "auto") == 0;
		o->starttls = o->starttls_auto ? NULL : starttls_find(arg);
		if (!o->starttls_auto && o->starttls == NULL) {
			errorf("nsstls: --starttls: unknown protocol '%s'; "
			    "valid protocols (default port): ", arg);
			starttls_print_names(stderr);
			fputs(", or auto (by the port)\n", stderr);
			ret = -1;
		}
		break;
	case OPT_STARTTLS_NAME:
		ret = check_wire_value("--starttls-name", arg, NAME_MAX_LEN,
		    "sent in the EHLO/LHLO command");
		replace(&o->starttls_name, arg);
		arg = NULL;
		break;
	case OPT_XMPP_DOMAIN:
		ret = check_wire_value("--xmpp-domain", arg, NAME_MAX_LEN,
		    "sent in the XMPP stream header");
		replace(&o->xmpp_domain, arg);
		arg = NULL;
		break;
	case OPT_PROXY: {
		struct proxy_spec spec;
		const char *err;

		if (proxy_parse(arg, &spec, &err) != 0) {
			/* A URL with credentials is not quoted: it holds a
			 * password. */
			usage_error("--proxy: %s%s%s is not HOST:PORT or "
			    "http://HOST:PORT: %s", strchr(arg, '@') ? "" : "'",
			    strchr(arg, '@') ? "the URL" : arg,
			    strchr(arg, '@') ? "" : "'", err);
			ret = -1;
		}
		proxy_spec_free(&spec);
		replace(&o->proxy, arg);
		arg = NULL;
		break;
	}
	case OPT_PROXY_USER:
		if (*arg == '\0' || *arg == ':') {
			usage_error("--proxy-user: no user name in '%s'", arg);
			ret = -1;
		} else {
			/* Base64 in Proxy-Authorization cannot break the line,
			 * but no proxy would take such a name or password. */
			ret = check_wire_value("--proxy-user", arg, SIZE_MAX,
			    "sent to the proxy");
		}
		replace(&o->proxy_user, arg);
		arg = NULL;
		break;
	case OPT_TLS_MIN:
		ret = parse_version("--tls-min", arg, &o->tls_min);
		r->tls_min = "set";
		break;
	case OPT_TLS_MAX:
		ret = parse_version("--tls-max", arg, &o->tls_max);
		r->tls_max = "set";
		break;
	case OPT_TLS12:
		r->only12 = 1;
		break;
	case OPT_TLS13:
		r->only13 = 1;
		break;
	case OPT_CIPHERS:
		ret = parse_names(&cipher_kind, arg, (void **)&o->ciphers, &o->n_ciphers);
		break;
	case OPT_GROUPS:
		ret = parse_names(&group_kind, arg, (void **)&o->groups, &o->n_groups);
		break;
	case OPT_SIGALGS:
		ret = parse_names(&sigalg_kind, arg, (void **)&o->sigalgs, &o->n_sigalgs);
		break;
	case OPT_ALPN:
		ret = parse_alpn(arg, o);
		break;
	case OPT_SERVERNAME:
		ret = check_wire_value("--servername", arg, NAME_MAX_LEN,
		    "sent as the server name (SNI)");
		replace(&o->servername_opt, arg);
		arg = NULL;
		break;
	case OPT_NO_SNI:
		o->no_sni = 1;
		break;
	case OPT_VERIFY_NAME:
		ret = check_wire_value("--verify-name", arg, SIZE_MAX,
		    "checked against the certificate");
		replace(&o->verify_name_opt, arg);
		arg = NULL;
		break;
	case OPT_CA_FILE:
		o->ca_files = xrealloc(o->ca_files,
		    (o->n_ca_files + 2) * sizeof(char *));
		o->ca_files[o->n_ca_files++] = arg;
		o->ca_files[o->n_ca_files] = NULL;
		arg = NULL;
		break;
	case OPT_TRUST:
		ret = parse_trust(arg, o);
		free(r->trust);
		r->trust = arg;
		arg = NULL;
		break;
	case OPT_NO_BUILTIN:
		r->no_builtin = 1;
		break;
	case OPT_DB:
		replace(&o->db, arg);
		arg = NULL;
		break;
	case OPT_PASS_FILE:
		replace(&o->pass_file, arg);
		arg = NULL;
		break;
	case OPT_PASS:
		if (strncmp(arg, "env:", 4) != 0 && strncmp(arg, "file:", 5) != 0 &&
		    strncmp(arg, "pass:", 5) != 0) {
			usage_error("--pass: '%s' must start with env:, file: or pass:",
			    arg);
			ret = -1;
		}
		replace(&o->pass, arg);
		arg = NULL;
		break;
	case OPT_RENEGOTIATE:
		/* popt hands an optional value the next word when it does not
		 * start with '-', so "--renegotiate host" gives "host": a
		 * value counts only when written "--renegotiate=N". */
		if (arg != NULL && *arg == '\0') {    /* bare: see bare_optional() */
			free(arg);
			arg = NULL;
		}
		if (arg == NULL) {
			o->renegotiate = 1;
		} else {
			char *end;
			long n = strtol(arg, &end, 10);

			if (*arg == '\0' || *end != '\0' || n < 1 || n > 100) {
				usage_error("--renegotiate: '%s' is not a count from "
				    "1 to 100", arg);
				ret = -1;
			} else {
				o->renegotiate = (int)n;
			}
		}
		break;
	case OPT_KEY_UPDATE:
		if (arg != NULL && *arg == '\0') {    /* bare: see bare_optional() */
			free(arg);
			arg = NULL;
		}
		if (arg == NULL) {
			o->key_update = KEY_UPDATE_SEND;
		} else if (strcmp(arg, "request") == 0) {
			o->key_update = KEY_UPDATE_REQUEST;
		} else {
			usage_error("--key-update: '%s' is not 'request'", arg);
			ret = -1;
		}
		break;
	case OPT_VERBOSE:
		o->verbose++;
		break;
	case OPT_CONNECT:
		replace(&r->connect, arg);
		arg = NULL;
		break;
	case OPT_WARN_DAYS: {
		char *end;
		long n = strtol(arg, &end, 10);

		if (*arg == '\0' || *end != '\0' || n < 0 || n > 1000000) {
			usage_error("--warn-days: '%s' is not a number of days from 0 "
			    "to 1000000", arg);
			ret = -1;
		}
		o->warn_days = (int)n;
		o->warn_days_given = true;
		break;
	}
	case OPT_ATTIME:
		if (util_parse_time(arg, &o->attime) != 0) {
			usage_error("--attime: '%s' is not a date (2025-06-30 or "
			    "2025-06-30T12:00:00Z)", arg);
			ret = -1;
		}
		break;
	case OPT_CRL_FILE:
		o->crl_files = xrealloc(o->crl_files,
		    (o->n_crl_files + 2) * sizeof(char *));
		o->crl_files[o->n_crl_files++] = arg;
		o->crl_files[o->n_crl_files] = NULL;
		arg = NULL;
		break;
	case OPT_OCSP_URL:
		if (strncmp(arg, "http://", 7) != 0) {
			usage_error("--ocsp-url: '%s' is not an http:// URL", arg);
			ret = -1;
		} else if (memchr(arg + 7, '@', strcspn(arg + 7, "/?#")) != NULL) {
			/* http:// is clear text: a user and password would
			 * travel in the open (and nsstls sends none). */
			usage_error("--ocsp-url: the URL holds a user name (USER@HOST): "
			    "credentials cannot be sent over plain http://%s", "");
			ret = -1;
		} else if (strpbrk(arg, " ") != NULL ||
		    util_find_control(arg, strlen(arg)) != NULL) {
			usage_error("--ocsp-url: a space or control byte in '%s': the "
			    "URL goes into the HTTP request line", arg);
			ret = -1;
		}
		replace(&o->ocsp_url, arg);
		arg = NULL;
		o->ocsp = 1;
		break;
	case OPT_SAVE_CHAIN:
		replace(&o->save_chain, arg);
		arg = NULL;
		break;
	case OPT_SAVE_VERIFIED:
		replace(&o->save_chain_verified, arg);
		arg = NULL;
		break;
	case OPT_PRINT_CERT:
		replace(&o->print_cert, arg);
		arg = NULL;
		break;
	case OPT_CERT:
	case OPT_KEY:
	case OPT_CERT_CHAIN:
		ret = add_cert_part(rc, arg, o);
		arg = NULL;
		break;
	case OPT_PKCS12:
		replace(&o->pkcs12, arg);
		arg = NULL;
		break;
	case OPT_JSON:
		if (arg != NULL && *arg == '\0') {    /* bare: see bare_optional() */
			free(arg);
			arg = NULL;
		}
		if (arg != NULL && strcmp(arg, "pretty") != 0 &&
		    strcmp(arg, "compact") != 0) {
			usage_error("--json: '%s' is not 'pretty' or 'compact'", arg);
			ret = -1;
		}
		o->json = 1;
		o->json_pretty = arg != NULL && strcmp(arg, "pretty") == 0;
		break;
	case OPT_TRACE:
		if (arg != NULL && *arg == '\0') {    /* bare: see bare_optional() */
			free(arg);
			arg = NULL;
		}
		if (arg != NULL && strcmp(arg, "hex") != 0) {
			usage_error("--trace: '%s' is not 'hex'", arg);
			ret = -1;
		}
		o->trace = 1;
		o->trace_hex |= arg != NULL;
		break;
	case OPT_TRACE_HEX:                     /* s_client -debug */
		o->trace = 1;
		o->trace_hex = 1;
		break;
	case OPT_KEYLOG:
		replace(&o->keylog, arg);
		arg = NULL;
		break;
	case OPT_CRIT_DAYS: {
		char *end;
		long n = strtol(arg, &end, 10);

		if (*arg == '\0' || *end != '\0' || n < 0 || n > 1000000) {
			usage_error("--crit-days: '%s' is not a number of days from 0 "
			    "to 1000000", arg);
			ret = -1;
		}
		o->crit_days = (int)n;
		break;
	}
	case OPT_MIN_TLS:
		ret = parse_version("--min-tls", arg, &o->min_tls);
		break;
	case OPT_EXPECT_ALPN:
		replace(&o->expect_alpn, arg);
		arg = NULL;
		break;
	case OPT_FORBID:
		if (strcmp(arg, "weak") != 0) {
			usage_error("--forbid: '%s' is not 'weak'", arg);
			ret = -1;
		}
		o->forbid_weak = 1;
		break;
	case OPT_TARGETS:
		replace(&o->targets_file, arg);
		arg = NULL;
		break;
	case OPT_JOBS: {
		char *end;
		long n = strtol(arg, &end, 10);

		if (*arg == '\0' || *end != '\0' || n < 1 || n > 256) {
			usage_error("-j: '%s' is not a number from 1 to 256", arg);
			ret = -1;
		}
		o->jobs = (int)n;
		break;
	}
	case OPT_RECONNECT:
		if (arg != NULL && *arg == '\0') {    /* bare: see bare_optional() */
			free(arg);
			arg = NULL;
		}
		if (arg == NULL) {
			o->reconnect = 5;               /* s_client's count */
		} else {
			char *end;
			long n = strtol(arg, &end, 10);

			if (*arg == '\0' || *end != '\0' || n < 1 || n > 100) {
				usage_error("--reconnect: '%s' is not a count from 1 to "
				    "100", arg);
				ret = -1;
			}
			o->reconnect = (int)n;
		}
		break;
	case OPT_EARLY_DATA:
		replace(&o->early_data, arg);
		arg = NULL;
		break;
	case OPT_SESS_FILE:
		r->sess_file = true;
		break;
	case OPT_STATUS:
		/* s_client -status: stapling is always requested; the flag
		 * is accepted for habit's sake. */
		break;
	case OPT_ECH:
		ret = parse_ech(arg, o);
		break;
	case OPT_EXPORT_KEYING:
		ret = add_exporter(o, arg);
		break;
	case OPT_SCAN_JOBS:
	case OPT_PROFILE:
	case OPT_SHARD:
		ret = scan_option(rc, arg, o);
		break;
	case OPT_KEYMAT_LABEL:
		replace(&r->keymat_label, arg);
		arg = NULL;
		break;
	case OPT_KEYMAT_LEN: {
		char *end;
		long n = strtol(arg, &end, 10);

		if (*arg == '\0' || *end != '\0' || n < 1 || n > EXPORTER_MAX_LEN) {
			usage_error("-keymatexportlen: '%s' is not a number of bytes "
			    "from 1 to %d", arg, EXPORTER_MAX_LEN);
			ret = -1;
		}
		r->keymat_len = n;
		break;
	}
	default:
		ret = handle_sclient(rc, arg, o, r);
		break;
	}
	free(arg);
	return ret;
}

static void
add_target(struct nsstls_opts *o, const char *arg)
{
	o->targets = xrealloc(o->targets, (o->n_targets + 2) * sizeof(char *));
	o->targets[o->n_targets++] = xstrdup(arg);
	o->targets[o->n_targets] = NULL;
}

/* The server name a target sends (its host, unless --servername or
 * --no-sni say otherwise) must fit in SNI; NULL when it does. */
static const char *
sni_problem(const struct nsstls_opts *o, const struct target *t)
{
	if (o->servername_opt == NULL && !o->no_sni && !t->ip_literal &&
	    strlen(t->host) > NAME_MAX_LEN)
		return "the host name is longer than 255 bytes, more than a server "
		    "name (SNI) can hold";
	return NULL;
}

/* Derive target, port, SNI and the verified name from one HOST[:PORT]. */
static int
set_target(struct nsstls_opts *o, const char *arg, const char **err)
{
	if (util_parse_target(arg, &o->target, err) != 0) {
		errorf("nsstls: bad target '%s': %s", arg, *err);
		fputc('\n', stderr);
		return -1;
	}
	if ((*err = sni_problem(o, &o->target)) != NULL)
		return -1;
	/* --starttls auto: the port names the protocol; otherwise, without
	 * a port, the protocol names the port. */
	if (o->starttls_auto) {
		uint16_t port = o->port_opt ? o->port_opt : o->target.port;

		o->starttls = starttls_by_port(port);
		if (o->starttls == NULL) {
			*err = port == 0 ? "--starttls auto needs a port" :
			    "--starttls auto: no STARTTLS protocol has this port";
			return -1;
		}
	}
	o->port = o->port_opt ? o->port_opt : o->target.port ? o->target.port :
	    o->starttls != NULL ? starttls_default_port(o->starttls) : 443;
	/* SNI names a host, never an address (RFC 6066 §3). */
	if (o->servername_opt != NULL)
		o->servername = xstrdup(o->servername_opt);
	else if (!o->no_sni && !o->target.ip_literal)
		o->servername = xstrdup(o->target.host);
	else
		o->servername = NULL;
	o->verify_name = xstrdup(o->verify_name_opt != NULL ? o->verify_name_opt :
	    o->target.host);
	return 0;
}

int
cli_target_opts(const struct nsstls_opts *base, const char *arg,
    struct nsstls_opts *out, const char **err)
{
	*out = *base;
	memset(&out->target, 0, sizeof(out->target));
	out->servername = NULL;
	out->verify_name = NULL;
	if (util_parse_target(arg, &out->target, err) != 0)
		return -1;
	util_target_free(&out->target);
	if (set_target(out, arg, err) != 0) {
		cli_target_free(out);
		return -1;
	}
	return 0;
}

void
cli_target_free(struct nsstls_opts *t)
{
	util_target_free(&t->target);
	free(t->servername);
	free(t->verify_name);
	t->servername = t->verify_name = NULL;
}

/* --save-chain and --save-chain-verified name a file each, not the same
 * one (the second would silently replace the first). */
static int
check_save_paths(const struct nsstls_opts *o)
{
	if (o->save_chain != NULL && o->save_chain[0] == '\0') {
		usage_error("--save-chain needs a file name%s", "");
		return -1;
	}
	if (o->save_chain_verified != NULL && o->save_chain_verified[0] == '\0') {
		usage_error("--save-chain-verified needs a file name%s", "");
		return -1;
	}
	if (o->save_chain != NULL && o->save_chain_verified != NULL &&
	    out_same_file(o->save_chain, o->save_chain_verified)) {
		usage_error("--save-chain and --save-chain-verified name the same "
		    "file (%s): give each its own", o->save_chain_verified);
		return -1;
	}
	return 0;
}

/* --scan makes its own connections: options about one connection's
 * session or data do not apply. */
static int
validate_scan(const struct nsstls_opts *o)
{
	if (!o->scan) {
		if (o->scan_profile != NULL)
			usage_error("--profile judges a scan: add --scan%s", "");
		return o->scan_profile != NULL ? -1 : 0;
	}
	if (o->print_cert != NULL || o->renegotiate > 0 || o->reconnect > 0 ||
	    o->key_update != KEY_UPDATE_NONE || o->early_data != NULL ||
	    o->n_exporters > 0 || o->showcerts || o->save_chain != NULL ||
	    o->save_chain_verified != NULL || o->keylog != NULL || o->trace) {
		usage_error("--scan makes its own connections: --print-cert, "
		    "--renegotiate, --reconnect, --key-update, --early-data, "
		    "--export-keying-material, --showcerts, --save-chain, --keylog "
		    "and --trace do not apply%s", "");
		return -1;
	}
	return 0;
}

/* Every rule between options, each with its own message (nc's style). */
/* Server mode: no target, a certificate, one data behaviour. */
static int
validate_server(struct nsstls_opts *o, struct raw *r)
{
	if (!o->listen) {
		usage_error("--self-signed, --verify-client, --request-client-cert, "
		    "--renegotiate-for-cert, --hrr, --accept-early-data, --echo, "
		    "--www, --once and "
		    "--max-connections are for server mode: add --listen "
		    "[ADDR:]PORT%s", "");
		return -1;
	}
	if (o->n_targets > 0 || r->connect != NULL || o->targets_file != NULL ||
	    o->print_cert != NULL || o->check) {
		usage_error("--listen serves clients: it takes no target, --targets, "
		    "--print-cert or --check%s", "");
		return -1;
	}
	if (o->cert == NULL && o->pkcs12 == NULL && o->n_self_signed == 0) {
		usage_error("--listen needs a certificate: --cert FILE --key FILE, "
		    "--pkcs12 FILE, --cert NICKNAME --db DIR, or --self-signed NAME%s",
		    "");
		return -1;
	}
	if (o->starttls != NULL || o->starttls_auto || o->proxy != NULL ||
	    o->reconnect || o->renegotiate || o->key_update != KEY_UPDATE_NONE ||
	    o->early_data != NULL ||
	    o->showcerts || o->save_chain != NULL ||
	    o->save_chain_verified != NULL || o->ech_config != NULL ||
	    o->ech_auto || o->ech_grease) {
		usage_error("--listen: --starttls, --proxy, --reconnect, "
		    "--renegotiate, --key-update, --early-data, "
		    "--showcerts, --save-chain and --ech are for connect mode%s", "");
		return -1;
	}
	if (o->verify_client && o->request_client_cert) {
		usage_error("--verify-client and --request-client-cert exclude each "
		    "other%s", "");
		return -1;
	}
	if (o->echo + o->www + o->once > 1) {
		usage_error("--echo, --www and --once exclude each other%s", "");
		return -1;
	}
	if (o->once && o->max_connections > 0) {
		usage_error("--once serves one connection: it excludes "
		    "--max-connections%s", "");
		return -1;
	}
	return 0;
}

static int
validate(struct nsstls_opts *o, struct raw *r)
{
	const char *err;

	if (o->ipv4_only && o->ipv6_only) {
		usage_error("-4 and -6 exclude each other%s", "");
		return -1;
	}
	if (r->only12 && r->only13) {
		usage_error("--tls1.2 and --tls1.3 exclude each other%s", "");
		return -1;
	}
	if ((r->only12 || r->only13) && (r->tls_min != NULL || r->tls_max != NULL)) {
		usage_error("--tls1.2/--tls1.3 cannot be combined with "
		    "--tls-min/--tls-max%s", "");
		return -1;
	}
	if (sclient_ciphers(o, r) != 0)
		return -1;
	if (r->only12)
		o->tls_min = o->tls_max = 0x0303;
	if (r->only13)
		o->tls_min = o->tls_max = 0x0304;
	if (o->tls_min > o->tls_max) {
		fprintf(stderr, "nsstls: --tls-min %s is above --tls-max %s\n",
		    names_version_str(o->tls_min), names_version_str(o->tls_max));
		return -1;
	}
	if (o->no_sni && o->servername_opt != NULL) {
		usage_error("--no-sni and --servername exclude each other%s", "");
		return -1;
	}
	if (!o->check && (o->min_tls || o->expect_alpn || o->require_staple ||
	    o->forbid_weak)) {
		usage_error("--min-tls, --expect-alpn, --require-ocsp-staple and "
		    "--forbid are thresholds of --check%s", "");
		return -1;
	}
	if (o->check && (o->showcerts || o->brief || o->renegotiate ||
	    o->key_update != KEY_UPDATE_NONE)) {
		usage_error("--check prints one status line: it excludes --showcerts, "
		    "--brief, --renegotiate and --key-update%s", "");
		return -1;
	}
	/* --crit-days alone past the default warning threshold moves the
	 * warning threshold with it: warning before critical, as asked. */
	if (o->crit_days > o->warn_days && !o->warn_days_given)
		o->warn_days = o->crit_days;
	if (o->check && o->crit_days > o->warn_days) {
		usage_error("--crit-days %d is above --warn-days %d", o->crit_days,
		    o->warn_days);
		return -1;
	}
	/* Expecting a protocol means offering it. */
	if (o->expect_alpn != NULL && o->alpn == NULL) {
		o->alpn = util_split_list(o->expect_alpn, ",", &o->n_alpn);
		if (check_alpn("--expect-alpn", o->alpn, o->n_alpn) != 0)
			return -1;
	}
	if (o->json && (o->showcerts || o->brief)) {
		usage_error("--json writes stdout itself: it excludes --showcerts "
		    "and --brief (use --save-chain)%s", "");
		return -1;
	}
	if (r->sess_file) {
		/* Verified with NSS 3.87: a resumption token carries the secret
		 * wrapped under a per-process slot key, so in another process
		 * SSL_SetResumptionToken succeeds and a full handshake follows. */
		usage_error("--sess-out/--sess-in cannot work with NSS 3.87: a "
		    "saved session is bound to the process that made it (its secret "
		    "is wrapped with a per-process key), so another run would "
		    "silently do a full handshake. Use --reconnect[=N] to resume "
		    "within one run%s", "");
		return -1;
	}
	if (o->early_data != NULL && o->reconnect == 0) {
		usage_error("--early-data is sent on a resumed connection: it needs "
		    "--reconnect%s", "");
		return -1;
	}
	if (o->early_data != NULL && o->tls_max < 0x0304) {
		usage_error("--early-data (0-RTT) needs TLS 1.3%s", "");
		return -1;
	}
	if (o->reconnect > 0 && (o->renegotiate > 0 || o->key_update != KEY_UPDATE_NONE)) {
		usage_error("--reconnect excludes --renegotiate and --key-update%s", "");
		return -1;
	}
	if (o->quiet && o->brief) {
		usage_error("--quiet and --brief exclude each other%s", "");
		return -1;
	}
	if (o->renegotiate > 0 && o->tls_min > 0x0303) {
		usage_error("--renegotiate needs TLS 1.2: TLS 1.3 has no "
		    "renegotiation (use --key-update)%s", "");
		return -1;
	}
	if (o->key_update != KEY_UPDATE_NONE && o->tls_max < 0x0304) {
		usage_error("--key-update needs TLS 1.3 (use --renegotiate for "
		    "TLS 1.2)%s", "");
		return -1;
	}
	if ((o->ech_config != NULL || o->ech_auto) && o->ech_grease) {
		usage_error("--ech and --ech-grease exclude each other: GREASE is "
		    "what a client sends when it has no ECH configuration%s", "");
		return -1;
	}
	if ((o->ech_config != NULL || o->ech_auto || o->ech_grease) &&
	    o->tls_max < 0x0304) {
		usage_error("--ech and --ech-grease need TLS 1.3: Encrypted Client "
		    "Hello is a TLS 1.3 extension%s", "");
		return -1;
	}
	if ((o->ech_config != NULL || o->ech_auto) && o->no_sni) {
		usage_error("--ech encrypts the server name: it cannot be combined "
		    "with --no-sni%s", "");
		return -1;
	}
	if (r->keymat_len != 0 && r->keymat_label == NULL) {
		usage_error("-keymatexportlen needs -keymatexport LABEL%s", "");
		return -1;
	}
	if (r->keymat_label != NULL) {
		/* s_client's default length is 20 bytes, and it has no
		 * context. */
		struct exporter_req q = { xstrdup(r->keymat_label),
		    r->keymat_len ? (unsigned)r->keymat_len : 20, NULL, 0 };

		if (q.label[0] == '\0' || push_exporter(o, &q) != 0) {
			if (q.label[0] == '\0')
				usage_error("-keymatexport: the label is empty%s", "");
			exporter_req_free(&q);
			return -1;
		}
		free(r->keymat_label);
		r->keymat_label = NULL;
	}
	if (o->renegotiate > 0 && o->key_update != KEY_UPDATE_NONE) {
		usage_error("--renegotiate and --key-update exclude each other: a "
		    "connection is either TLS 1.2 or TLS 1.3%s", "");
		return -1;
	}
	if (o->pass != NULL && o->pass_file != NULL) {
		usage_error("--pass and --pass-file exclude each other%s", "");
		return -1;
	}
	if (r->no_builtin) {
		if (r->trust != NULL && o->trust_builtin) {
			usage_error("--no-builtin-roots contradicts --trust builtin%s", "");
			return -1;
		}
		o->trust_builtin = false;
	}

	if (o->n_more_certs > 0 && !o->listen) {
		usage_error("--cert is given %zu times: only server mode (--listen) "
		    "presents several certificates", o->n_more_certs + 1);
		return -1;
	}
	if (o->cert != NULL && o->pkcs12 != NULL) {
		usage_error("--cert and --pkcs12 exclude each other%s", "");
		return -1;
	}
	if (o->pkcs12 != NULL && o->db != NULL) {
		usage_error("--pkcs12 cannot be combined with --db (import it into "
		    "the database with pk12util and give --cert its nickname)%s", "");
		return -1;
	}
	if (o->key != NULL && o->cert == NULL) {
		usage_error("--key needs --cert FILE%s", "");
		return -1;
	}
	if (o->cert_chain != NULL && o->cert == NULL && o->pkcs12 == NULL) {
		usage_error("--cert-chain needs --cert or --pkcs12%s", "");
		return -1;
	}
	if (o->keylog != NULL && o->keylog[0] == '\0') {
		usage_error("--keylog needs a file name%s", "");
		return -1;
	}
	if (o->starttls_name != NULL && !o->starttls_auto &&
	    (o->starttls == NULL || !starttls_uses_ehlo(o->starttls))) {
		usage_error("--starttls-name is the EHLO/LHLO name of --starttls "
		    "smtp, submission or lmtp%s", "");
		return -1;
	}
	if (o->xmpp_domain != NULL && !o->starttls_auto &&
	    (o->starttls == NULL || !starttls_uses_domain(o->starttls))) {
		usage_error("--xmpp-domain needs --starttls xmpp or xmpp-server%s", "");
		return -1;
	}
	if (o->proxy_user != NULL && o->proxy == NULL && o->no_proxy_env) {
		usage_error("--proxy-user needs a proxy: --proxy, or https_proxy or "
		    "all_proxy without --no-proxy-env%s", "");
		return -1;
	}
	if (o->print_cert != NULL && (o->trace || o->keylog != NULL)) {
		usage_error("--trace and --keylog watch a connection: --print-cert "
		    "makes none%s", "");
		return -1;
	}
	if (check_save_paths(o) != 0 || validate_scan(o) != 0)
		return -1;
	if (o->listen || o->n_self_signed > 0 || o->verify_client ||
	    o->request_client_cert || o->renegotiate_for_cert || o->hrr ||
	    o->accept_early_data || o->echo ||
	    o->www || o->once ||
	    o->max_connections > 0)
		return validate_server(o, r);
	if (o->print_cert != NULL) {
		/* Offline there is no target: only a name given is checked. */
		if (o->verify_name_opt != NULL)
			o->verify_name = xstrdup(o->verify_name_opt);
		if (o->n_targets > 0 || r->connect != NULL) {
			usage_error("--print-cert works offline and takes no target%s", "");
			return -1;
		}
		return 0;
	}
	if (o->list_ciphers || o->list_groups || o->list_sigalgs || o->version) {
		if (o->n_targets > 0 || r->connect != NULL) {
			usage_error("%s takes no target", o->version ? "--version" :
			    o->list_groups ? "--list-groups" : o->list_sigalgs ?
			    "--list-sigalgs" : "--list-ciphers");
			return -1;
		}
		return 0;
	}
	if (o->n_targets > 0 && r->connect != NULL) {
		usage_error("give the target once: either HOST[:PORT] or -connect%s", "");
		return -1;
	}
	if (r->connect != NULL)
		add_target(o, r->connect);
	if (o->n_targets == 0 && o->targets_file == NULL) {
		usage_error("no target given: nsstls [OPTIONS] HOST[:PORT] ... or "
		    "--targets FILE%s", "");
		return -1;
	}
	/* Check every target's syntax now: a typo is a usage error, before
	 * anything connects. */
	for (size_t i = 0; i < o->n_targets; i++) {
		struct target t;

		if (util_parse_target(o->targets[i], &t, &err) != 0 ||
		    (err = sni_problem(o, &t)) != NULL) {
			errorf("nsstls: bad target '%s': %s", o->targets[i], err);
			fputc('\n', stderr);
			util_target_free(&t);
			return -1;
		}
		if (o->starttls_auto && starttls_by_port(o->port_opt ? o->port_opt :
		    t.port) == NULL) {
			if (o->port_opt == 0 && t.port == 0)
				usage_error("--starttls auto needs a port: '%s' has none "
				    "(HOST:PORT or --port)", o->targets[i]);
			else
				usage_error("--starttls auto: no STARTTLS protocol has "
				    "port %u (name one with --starttls PROTO)",
				    o->port_opt ? o->port_opt : t.port);
			util_target_free(&t);
			return -1;
		}
		util_target_free(&t);
	}
	o->multi = o->n_targets > 1 || o->targets_file != NULL;
	if (o->shard_n > 0 && !o->multi) {
		usage_error("--shard splits a list of targets: give several, or "
		    "--targets FILE%s", "");
		return -1;
	}
	if (o->multi && o->renegotiate + (o->key_update != KEY_UPDATE_NONE) > 0) {
		usage_error("--renegotiate and --key-update work on one target%s", "");
		return -1;
	}
	if (o->multi && (o->showcerts || o->save_chain || o->save_chain_verified)) {
		usage_error("--showcerts and --save-chain work on one target%s", "");
		return -1;
	}
	if (o->multi)
		return 0;
	if (set_target(o, o->targets[0], &err) != 0)
		return -1;
	if ((o->ech_config != NULL || o->ech_auto) && o->servername == NULL) {
		usage_error("--ech encrypts the server name, and the target %s is "
		    "an address with none: give --servername NAME", o->target.host);
		return -1;
	}
	return 0;
}

static void
opts_init(struct nsstls_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout_ms = NSSTLS_DEFAULT_CONNECT_TIMEOUT_MS;
	o->timeout_ms = NSSTLS_DEFAULT_TIMEOUT_MS;
	o->tls_min = 0x0303;
	o->tls_max = 0x0304;
	o->trust_builtin = true;
	o->warn_days = 30;
	o->crit_days = 7;
	o->jobs = 8;
	o->scan_jobs = 8;
}

/*
 * Options whose value is optional count a value only when it is written
 * with '=' ("--trace=hex"): popt would otherwise take the next word when it
 * does not start with '-', so "--trace host" would lose its target.  Each
 * bare spelling is handed to popt as "--trace=" (an empty value, which the
 * handlers read as none), and the next word stays a target, in its place.
 */
static const char *const optional_value[] = {
	"--renegotiate", "--key-update", "--json", "--trace", "--reconnect",
};

static char **
bare_optional(int argc, const char **argv)
{
	char **av = xcalloc((size_t)argc + 1, sizeof(*av));
	bool options = true;

	for (int i = 0; i < argc; i++) {
		av[i] = (char *)argv[i];
		if (i == 0 || !options)
			continue;
		if (strcmp(argv[i], "--") == 0)
			options = false;
		for (size_t k = 0; k < sizeof(optional_value) / sizeof(*optional_value); k++)
			if (strcmp(argv[i], optional_value[k]) == 0)
				av[i] = xasprintf("%s=", argv[i]);
	}
	return av;
}

static void
bare_optional_free(int argc, const char **argv, char **av)
{
	for (int i = 0; i < argc; i++)
		if (av[i] != argv[i])
			free(av[i]);
	free(av);
}

enum cli_result
cli_parse(int argc, const char **argv, struct nsstls_opts *o)
{
	struct raw r = { 0 };
	poptContext ctx;
	enum cli_result result = CLI_USAGE_ERROR;
	const char *target_arg = NULL;
	char **av;
	int rc;

	opts_init(o);
	bind_flags(o);
	av = bare_optional(argc, argv);
	starttls_help();
	ctx = poptGetContext("nsstls", argc, (const char **)av, main_table, 0);
	poptSetOtherOptionHelp(ctx, "[OPTIONS] HOST[:PORT]... | --print-cert FILE");

	while ((rc = poptGetNextOpt(ctx)) > 0) {
		if (rc == OPT_HELP || rc == OPT_USAGE) {
			if (rc == OPT_HELP)
				poptPrintHelp(ctx, stdout, 0);
			else
				poptPrintUsage(ctx, stdout, 0);
			result = CLI_DONE;
			goto out;
		}
		if (handle_option(rc, poptGetOptArg(ctx), o, &r) != 0)
			goto out;
	}
	if (rc < -1) {
		errorf("nsstls: %s: %s", poptBadOption(ctx, POPT_BADOPTION_NOALIAS),
		    poptStrerror(rc));
		fputc('\n', stderr);
		fputs("Try 'nsstls --help' for more information.\n", stderr);
		goto out;
	}
	while ((target_arg = poptGetArg(ctx)) != NULL)
		add_target(o, target_arg);
	if (validate(o, &r) != 0)
		goto out;
	result = CLI_RUN;
out:
	free(r.trust);
	free(r.connect);
	free(r.keymat_label);
	free(r.sc_ciphers);
	free(r.sc_suites13);
	poptFreeContext(ctx);
	bare_optional_free(argc, argv, av);
	return result;
}

void
cli_free(struct nsstls_opts *o)
{
	if (o == NULL)
		return;
	util_target_free(&o->target);
	free(o->starttls_name);
	free(o->xmpp_domain);
	free(o->proxy);
	free(o->proxy_user);
	free(o->ciphers);
	free(o->groups);
	free(o->sigalgs);
	util_list_free(o->alpn);
	free(o->servername);
	free(o->verify_name);
	free(o->servername_opt);
	free(o->verify_name_opt);
	util_list_free(o->targets);
	free(o->targets_file);
	util_list_free(o->ca_files);
	free(o->ca_path);
	free(o->db);
	free(o->pass_file);
	free(o->pass);
	util_list_free(o->crl_files);
	free(o->ocsp_url);
	free(o->save_chain);
	free(o->save_chain_verified);
	free(o->print_cert);
	free(o->cert);
	free(o->key);
	free(o->cert_chain);
	for (size_t i = 0; i < o->n_more_certs; i++) {
		free(o->more_certs[i].cert);
		free(o->more_certs[i].key);
		free(o->more_certs[i].chain);
	}
	free(o->more_certs);
	free(o->pkcs12);
	free(o->expect_alpn);
	free(o->keylog);
	free(o->early_data);
	free(o->ech_config);
	free(o->scan_profile);
	free(o->listen_host);
	util_list_free(o->self_signed);
	for (size_t i = 0; i < o->n_exporters; i++)
		exporter_req_free(&o->exporters[i]);
	free(o->exporters);
	memset(o, 0, sizeof(*o));
}
