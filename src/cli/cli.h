/*
 * cli: the popt option tables (one per --help section), the one options
 * struct every module reads, and the validation of option combinations.
 * Nothing here touches the network or initialises NSS.
 */
#ifndef NSSTLS_CLI_H
#define NSSTLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sslt.h>

#include "exporter.h"
#include "util.h"

enum key_update_mode {
	KEY_UPDATE_NONE = 0,
	KEY_UPDATE_SEND,      /* --key-update */
	KEY_UPDATE_REQUEST,   /* --key-update=request: ask the peer for one too */
};

struct starttls_proto;          /* starttls.h */

/* A second or later --cert (server mode serves several, e.g. RSA and
 * ECDSA), with the --key and --cert-chain written after it. */
struct cert_source {
	char *cert;                     /* PEM file, or nickname with --db */
	char *key;                      /* NULL: in the --cert file */
	char *chain;                    /* NULL: none */
};

/* Flags are int because popt stores POPT_ARG_NONE/VAL through int *. */
struct nsstls_opts {
	/* Connection */
	struct target target;
	uint16_t port;                  /* resolved: --port, HOST:PORT, else the
	                                 * STARTTLS protocol's or 443 */
	int ipv4_only, ipv6_only;
	long connect_timeout_ms;
	long timeout_ms;                /* handshake and idle read */

	/* STARTTLS and proxies */
	const struct starttls_proto *starttls;  /* NULL: TLS from the start */
	int starttls_auto;              /* --starttls auto: by the port */
	char *starttls_name;            /* --starttls-name (EHLO/LHLO) */
	char *xmpp_domain;              /* --xmpp-domain */
	char *proxy;                    /* --proxy as given */
	char *proxy_user;               /* --proxy-user USER[:PASS] */
	int no_proxy_env;

	/* TLS parameters */
	uint16_t tls_min, tls_max;
	uint16_t *ciphers;              /* NULL: names_default_ciphers */
	size_t n_ciphers;
	SSLNamedGroup *groups;          /* NULL: names_default_groups */
	size_t n_groups;
	SSLSignatureScheme *sigalgs;    /* NULL: names_default_sigalgs */
	size_t n_sigalgs;
	char **alpn;                    /* NULL-terminated, or NULL */
	size_t n_alpn;
	char *servername;               /* SNI sent; NULL: none (derived) */
	char *verify_name;              /* name checked (derived) */
	char *servername_opt;           /* --servername as given */
	char *verify_name_opt;          /* --verify-name as given */
	int no_sni;
	uint16_t port_opt;              /* --port as given, 0: none */
	unsigned char *ech_config;      /* --ech LIST, decoded; NULL: none */
	size_t ech_config_len;
	int ech_auto;                   /* --ech auto: from the DNS HTTPS record */
	int ech_grease;

	/* Verification and trust */
	char **ca_files;                /* NULL-terminated */
	size_t n_ca_files;
	char *ca_path;                  /* -CApath DIR (s_client) */
	bool trust_builtin;
	bool trust_system;
	char *db;
	char *pass_file;
	char *pass;                     /* env:VAR, file:PATH or pass:TEXT */
	int insecure;
	int allow_weak;          /* --allow-weak: no strict key/hash policy */
	int warn_days;                  /* expiry warning threshold */
	int64_t attime;                 /* PRTime to verify at; 0: now */
	int aia_fetch;
	int ocsp;                       /* ask the OCSP responder */
	char *ocsp_url;                 /* responder override */
	char **crl_files;               /* NULL-terminated */
	size_t n_crl_files;
	char *save_chain;
	char *save_chain_verified;
	char *print_cert;               /* offline mode */

	/* Client authentication */
	char *cert;                     /* nickname (with --db) or PEM file */
	char *key;
	char *cert_chain;
	struct cert_source *more_certs; /* --cert after the first (--listen) */
	size_t n_more_certs;
	char *pkcs12;
	int post_handshake_auth;

	/* Session */
	int no_data;
	int crlf;
	int ign_eof;                    /* -ign_eof: no half-close at stdin EOF */
	int renegotiate;                /* number of renegotiations */
	int reconnect;                  /* --reconnect: connections after the first */
	char *early_data;               /* --early-data FILE (0-RTT) */
	int key_update;                 /* enum key_update_mode */
	struct exporter_req *exporters; /* --export-keying-material */
	size_t n_exporters;

	/* Output */
	int json;                       /* one JSON document on stdout */
	int json_pretty;
	int showcerts;
	int brief;
	int quiet;
	int verbose;
	int trace;                      /* --trace: each TLS record on stderr */
	int trace_hex;                  /* --trace=hex: with a hex dump */
	char *keylog;                   /* --keylog FILE */

	/* --check (monitoring) */
	int check;
	int crit_days;                  /* default 7 */
	uint16_t min_tls;               /* 0: no requirement */
	char *expect_alpn;
	int require_staple;
	int forbid_weak;

	/* Many targets */
	char **targets;                 /* HOST[:PORT] arguments; NULL-terminated */
	size_t n_targets;
	char *targets_file;             /* --targets FILE ("-": stdin) */
	int jobs;                       /* -j N */
	int unordered;
	bool multi;                     /* more than one target: no data phase */

	/* Server mode (server.c) */
	bool listen;                    /* --listen given */
	char *listen_host;              /* address to bind, no brackets */
	uint16_t listen_port;           /* 0: any free port */
	char **self_signed;             /* --self-signed NAMES; NULL-terminated */
	size_t n_self_signed;
	int verify_client;              /* request and require a certificate */
	int request_client_cert;        /* request, accept without */
	int echo;                       /* echo what the client sends */
	int www;                        /* answer HTTP with a page */
	int once;                       /* one connection, stdin <-> TLS */
	int renegotiate_for_cert;       /* TLS 1.2: renegotiate for a client
	                                 * certificate after the handshake */
	int max_connections;            /* serve N, then exit; 0: until a signal */
	int hrr;                        /* force a HelloRetryRequest */
	int accept_early_data;          /* TLS 1.3 0-RTT, with anti-replay */

	/* --scan */
	int scan;
	int scan_jobs;                  /* probes at once per server */
	char *scan_profile;             /* modern, intermediate (NULL), old */
	unsigned shard_k, shard_n;      /* --shard K/N; shard_n 0: none */

	/* One-shot actions */
	int list_ciphers;
	int list_groups;
	int list_sigalgs;
	int version;
};

enum cli_result {
	CLI_RUN = 0,        /* options valid: go on */
	CLI_DONE,           /* --help or --usage printed: exit 0 */
	CLI_USAGE_ERROR,    /* message printed: exit 1 */
};

/* Parse and validate argv into opts (which it initialises).  Messages go
 * to stderr.  Free with cli_free() whatever the result. */
enum cli_result cli_parse(int argc, const char **argv, struct nsstls_opts *opts);
void cli_free(struct nsstls_opts *opts);

/* For one target of a multi-target run: *out becomes a copy of *base
 * whose target, port, SNI and verified name are those of arg.  Free with
 * cli_target_free (which frees only what this allocated).  Returns 0, or
 * -1 with a static message in *err. */
int cli_target_opts(const struct nsstls_opts *base, const char *arg,
    struct nsstls_opts *out, const char **err);
void cli_target_free(struct nsstls_opts *t);

#endif
