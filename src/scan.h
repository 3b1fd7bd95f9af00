/*
 * scan: --scan, everything a server accepts.  The driver runs the probes
 * (scan_probe.c: NSS handshakes and raw ClientHellos) concurrently within
 * --scan-jobs, fills the scan model below, judges it against a Mozilla
 * profile (scan_profile.c) and hands it to the renderers
 * (out_scan_text.c, out_scan_json.c, the --check line).
 */
#ifndef NSSTLS_SCAN_H
#define NSSTLS_SCAN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "nssinit.h"
#include "report.h"

enum scan_state {
	SCAN_UNTESTED = 0,       /* nothing said (a precondition was missing) */
	SCAN_NO,
	SCAN_YES,
	SCAN_UNKNOWN,            /* the server did not answer the probe */
	SCAN_NOT_TESTABLE,       /* NSS 3.87 cannot ask */
};

enum scan_order {
	ORDER_NA = 0,            /* fewer than two suites: no order to tell */
	ORDER_SERVER,
	ORDER_CLIENT,
};

/* The versions in the order shown: SSLv2 ... TLS 1.3. */
#define SCAN_N_VERSIONS 6
extern const uint16_t scan_versions[SCAN_N_VERSIONS];

/* What became of the 0-RTT probe's early data. */
enum scan_early {
	EARLY_UNTESTED = 0,
	EARLY_NOT_OFFERED,       /* the tickets allow none (or none came) */
	EARLY_ACCEPTED,
	EARLY_REJECTED,          /* sent, and the server skipped it */
};

struct scan_suite {
	uint16_t id;
	bool raw;                /* found with a hand-built ClientHello */
	unsigned group;          /* key-exchange group NSS saw, or 0 */
	int kea_bits;            /* key-exchange size NSS saw, or 0 */
};

struct scan_group {
	unsigned id;
	bool share_tested;       /* TLS 1.3: a hello with a key share for
	                          * it got an answer (false: no share we
	                          * can make, or TLS 1.2) */
	bool hrr;                /* ... and the answer was a
	                          * HelloRetryRequest (the server wants
	                          * another group first) */
	bool raw;                /* NSS 3.87 cannot offer it */
};

struct scan_version {
	uint16_t version;
	enum scan_state state;
	struct scan_suite *suites;       /* in the server's order (ORDER_SERVER) */
	size_t n_suites;
	enum scan_order order;
	struct scan_group *groups;       /* TLS 1.2 ECDHE, TLS 1.3 */
	size_t n_groups;
	unsigned *sigalgs;               /* TLS 1.2 and 1.3 */
	size_t n_sigalgs;
	bool raw_done;                   /* suites NSS lacks were probed */
	int dh_bits;                     /* TLS 1.2: the DHE prime's size read
	                                  * from a ServerKeyExchange, or 0 */
	const char *dh_prime;            /* ... the well-known prime it is
	                                  * ("ffdhe2048", "modp2048"), or NULL:
	                                  * a custom one */
};

struct scan_cert {
	char *label;             /* "default", "ECDSA", "RSA", "no SNI", joined
	                          * with ", " when the same certificate */
	struct report *r;        /* the probe's report: chain, verdict, findings */
};

struct scan_features {
	enum scan_state fallback_scsv;   /* YES: honoured */
	char **alpn;                     /* accepted, NULL-terminated */
	size_t n_alpn;
	enum scan_state alpn_tested;     /* YES: the server speaks ALPN at all */
	enum scan_state secure_reneg, client_reneg, ems;
	enum scan_state resume_id, resume_ticket, resume_tls13;
	enum scan_state early_data;      /* YES: 0-RTT data was accepted */
	enum scan_early early_result;
	int64_t early_max;               /* the ticket's max_early_data_size,
	                                  * or -1: no ticket came */
	size_t early_sent;               /* bytes sent as 0-RTT */
	enum scan_state ocsp_stapling, scts, compression, heartbeat;
	enum scan_state ech;             /* with --ech: the config is taken */
};

struct scan_finding {
	enum severity severity;  /* ERROR: the profile forbids it; WARNING:
	                          * discourages; NOTE: worth knowing */
	const char *id;
	char *text;
};

struct scan_result {
	struct scan_version versions[SCAN_N_VERSIONS];
	struct scan_cert *certs;
	size_t n_certs;
	struct scan_features f;
	struct scan_finding *findings;
	size_t n_findings;
	const char *profile;
	unsigned connections;    /* TCP connections made */
	unsigned refusals;       /* connections refused and retried */
	bool incomplete;         /* some probes never got an answer */
	char *incomplete_why;
	int64_t duration_us;
};

/* --scan for one target: returns the exit status (0 when the scan
 * completed; 3/4 when the server could not be reached at all; with
 * --check 0-3).  Output goes to out (report, JSON, status line) and err
 * (progress, errors). */
int scan_run(const struct nsstls_opts *o, struct nss_ctx *nss, struct report *r,
    FILE *out, FILE *err);

/* Judge the scan against o->scan_profile: fills res->findings. */
void scan_profile_judge(struct scan_result *res, const struct nsstls_opts *o);

/* The --check code of a judged scan (worst finding). */
int scan_check_code(const struct scan_result *res);

void scan_add_finding(struct scan_result *res, enum severity sev,
    const char *id, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

const struct scan_version *scan_version_get(const struct scan_result *res,
    uint16_t version);

const char *scan_state_str(enum scan_state s);

/* "accepted", "rejected", "not offered", or NULL when untested. */
const char *scan_early_str(enum scan_early e);

/* A group by name, including those NSS does not know (x448, hybrids). */
const char *scan_group_name(unsigned g);

void out_scan_text(FILE *f, const struct scan_result *res,
    const struct report *r, const struct nsstls_opts *o);
void out_scan_brief(FILE *f, const struct scan_result *res,
    const struct report *r, const struct nsstls_opts *o);
void out_scan_check(FILE *f, const struct scan_result *res,
    const struct report *r, const struct nsstls_opts *o);
/* One JSON document (or line with JSON Lines); returns 0 or -1. */
int out_scan_json(FILE *f, const struct scan_result *res,
    const struct report *r, const struct nsstls_opts *o);

#endif
