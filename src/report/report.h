/*
 * report: the report model — plain C facts about one run, filled by the
 * NSS side (conn, tls, verify, nssinit) and read by the renderers
 * (out_text).  Nothing here prints, and nothing here holds an NSS object:
 * certificates are copied into struct cert_info when they are recorded, so
 * every NSS reference can be released before NSS_Shutdown.
 */
#ifndef NSSTLS_REPORT_H
#define NSSTLS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <prerror.h>
#include <prtime.h>

#include "exitcodes.h"

/* X.509 facts of one certificate, as cert_info_from_nss() extracts them. */
struct cert_info {
	char *subject;
	char *issuer;
	char *serial;            /* lowercase hex, colon separated */
	PRTime not_before, not_after;
	char **sans;             /* "DNS:x", "IP:1.2.3.4", ...; NULL-terminated */
	size_t n_sans;
	char *key_type;          /* "RSA", "EC", ... */
	int key_bits;
	char *key_curve;         /* EC curve description, or NULL */
	char *sig_alg;
	char sha256[65];         /* lowercase hex */
	bool is_ca;
	int path_len;            /* basicConstraints pathLen; -1: none */
	bool self_signed;        /* signed by its own key (subject == issuer
	                          * alone is only self-issued) */
	bool has_key_usage;
	unsigned key_usage;      /* KU_* bits from NSS's certt.h */
	bool has_eku;
	bool eku_server_auth;    /* id-kp-serverAuth (or anyExtendedKeyUsage) */
	bool eku_client_auth;
	bool must_staple;        /* TLS feature extension: status_request */
	char *aia_ca_issuers;    /* first caIssuers URL, or NULL */
	char *ocsp_url;          /* first OCSP URL, or NULL */
	const char *weak_hash;   /* "SHA-1" or "MD5" when the signature uses it */
	unsigned char *der;      /* for PEM output */
	size_t der_len;
	long days_left;          /* whole days from report->verify_time to
	                          * not_after, negative when past (verdict.c) */
};

enum cert_origin {
	ORIGIN_SERVER,           /* in the Certificate message */
	ORIGIN_LOCAL,            /* found in a local trust source */
};

/* One link of the chain NSS built from the leaf towards an anchor. */
struct chain_link {
	struct cert_info cert;
	enum cert_origin origin;
	int sent_index;          /* position in the sent chain, or -1 */
	bool anchor;             /* trusted as a CA by a trust source */
	int source;              /* index into report->trust, or -1 */
	PRErrorCode error;       /* what verification said about it, or 0 */
};

enum severity {
	SEV_NOTE,
	SEV_WARNING,
	SEV_ERROR,
};

/* One sentence of diagnosis about the chain (see diagnose.c for the ids). */
struct finding {
	enum severity severity;
	const char *id;          /* stable identifier, e.g. "missing-intermediate" */
	int cert;                /* index into the built chain, or -1 */
	int sent;                /* index into the sent chain, or -1 */
	char *text;
	bool in_headline;        /* the verdict's headline gives this reason
	                          * already (verdict.c): said once in --check */
};

enum ocsp_status {
	OCSP_STATUS_NONE = 0,    /* no usable answer */
	OCSP_STATUS_GOOD,
	OCSP_STATUS_REVOKED,
	OCSP_STATUS_UNKNOWN,
};

/* A checked OCSP response, stapled or fetched. */
struct ocsp_result {
	bool present;            /* a response was received */
	char *url;               /* responder asked (fetched only) */
	enum ocsp_status status;
	bool for_this_cert;      /* a SingleResponse names the leaf */
	bool signature_ok;
	char *signer;            /* subject of the signing certificate */
	PRTime produced_at, this_update, next_update;  /* 0: absent */
	PRTime revoked_at;
	int revocation_reason;   /* CRLReason, -1: none given */
	bool stale;              /* nextUpdate (or thisUpdate + 7 days) passed */
	PRErrorCode error;       /* why it cannot be used, or 0 */
	char *problem;           /* the same in words, or NULL */
};

/* One CRL of a --crl-file, as it applies to this connection's chain. */
struct crl_result {
	char *file;
	unsigned position;       /* 1-based place in the file */
	unsigned count;          /* CRLs in the file */
	char *issuer;
	bool signature_ok;
	PRTime this_update, next_update;
	int cert;                /* first chain certificate its issuer issued
	                          * (the one it is meant for), or -1: none */
	bool usable;             /* meant for cert and passed every check */
	int revoked_cert;        /* index into the built chain, or -1 */
	PRTime revoked_at;
	char *problem;           /* why it cannot be used, or NULL */
};

enum revocation_status {
	REVOCATION_NOT_CHECKED = 0,  /* no source covers the certificate */
	REVOCATION_GOOD,             /* a usable source says not revoked */
	REVOCATION_REVOKED,          /* a usable source says revoked */
	REVOCATION_UNKNOWN,          /* a source was meant for it, none usable */
};

/* The revocation verdict for one certificate of the built chain. */
struct cert_revocation {
	enum revocation_status status;
	char *source;            /* the deciding source ("CRL FILE #2", "OCSP
	                          * staple"), or NULL */
	PRTime revoked_at;       /* REVOCATION_REVOKED */
	char *reason;            /* UNKNOWN: why; NOT_CHECKED: why, or NULL */
};

/* A Signed Certificate Timestamp (RFC 6962). */
struct sct_info {
	const char *source;      /* "tls-extension" or "certificate" */
	int version;             /* 0 = v1 */
	char log_id[65];         /* lowercase hex */
	PRTime timestamp;
	unsigned hash_alg, sig_alg;  /* TLS HashAlgorithm / SignatureAlgorithm */
};

/* A missing intermediate fetched from the AIA caIssuers URL. */
struct aia_result {
	bool attempted;
	char *url;
	bool fetched;
	struct cert_info cert;   /* valid when fetched */
	bool would_verify;
	PRErrorCode verify_error;
	char *problem;
};

struct client_auth_info {
	bool requested;          /* the server sent a CertificateRequest */
	bool post_handshake;     /* ... after the handshake (TLS 1.3) */
	char **ca_names;         /* the CA names it accepts; NULL-terminated */
	size_t n_ca_names;
	char *sent_subject;      /* the certificate we sent, or NULL */
	char *not_sent_reason;   /* why none was sent, or NULL */
	char *chosen_from_db;    /* its nickname, when picked from --db */
};

struct trust_source {
	char *name;              /* "builtin", "ca-file", "system", "db" */
	char *detail;            /* file name, token name/version, db dir */
	int anchors;             /* -1 when not counted (builtin without -v) */
};

struct addr_attempt {
	char addr[64];           /* printable address */
	int64_t connect_us;
	PRErrorCode error;       /* 0 on success */
};

/* One completed handshake: the first and each renegotiation. */
struct handshake_info {
	uint16_t version;
	uint16_t suite;
	const char *suite_name;  /* static NSS string */
	unsigned group;          /* SSLNamedGroup */
	unsigned first_group;    /* group of the first ClientHello if HRR */
	bool hrr;
	unsigned sig_scheme;     /* SSLSignatureScheme */
	char alpn[256];          /* empty: none negotiated */
	bool resumed;
	const char *resumed_by;  /* "ticket" or "session id" when resumed */
	bool early_data_accepted;
	bool ticket_offered;     /* the server agreed to issue a ticket */
	bool ems;
	bool forward_secret;     /* key exchange is not static RSA */
	int auth_bits, kea_bits;
	int64_t duration_us;
};

enum phase {
	PHASE_SETUP,
	PHASE_RESOLVE,
	PHASE_CONNECT,
	PHASE_PROXY,             /* HTTP CONNECT through a proxy */
	PHASE_STARTTLS,          /* plaintext upgrade dialogue */
	PHASE_HANDSHAKE,
	PHASE_RENEGOTIATE,
	PHASE_KEY_UPDATE,
	PHASE_DATA,
	PHASE_VERIFY,            /* --print-cert */
	PHASE_DONE,
};

/* One --reconnect connection. */
struct reconnect_info {
	struct addr_attempt attempt;
	bool ok;                 /* handshake completed */
	struct handshake_info hs;
	int64_t saved_us;        /* first handshake time minus this one */
	bool early_data_wanted;  /* --early-data was given */
	size_t early_data_sent;  /* bytes of --early-data sent as 0-RTT */
	PRErrorCode error;       /* why it failed, or 0 */
	char *problem;
	enum nsstls_exit exit_code;
	enum phase phase;        /* where it failed */
};

/* The verification policy in force (policy.h). */
struct verify_result {
	bool done;               /* the auth hook ran */
	bool chain_ok;
	bool name_checked;       /* false: no name to check (--print-cert) */
	bool name_ok;
	PRErrorCode error;       /* first chain error, or BAD_CERT_DOMAIN */
	int error_depth;         /* depth of the first chain error, or -1 */
	bool overridden;         /* --insecure let a failure pass */
	char *missing_issuer;    /* issuer name when the chain stops short */
	bool chain_loop;         /* the issuers lead back into the chain */
	bool isolated_veto;      /* NSS's chain was good only with certificates
	                          * neither this server nor a trust source gave */
	bool weak_allowed;       /* --allow-weak: the strict policy is off */
	unsigned long name_checks;  /* name-constraint comparisons the chain
	                          * asks for; over the limit it is refused */
	long timed_out_ms;       /* verification did not finish in this time */
	unsigned version;        /* TLS version the server chose, 0: none
	                          * (--print-cert) */
	bool client_usage;       /* a client's chain (server mode) */
	bool as_ca;              /* verified as a CA certificate (--print-cert
	                          * of a CA), not as a TLS server's */
};

/* The verdict (verdict.c): computed once after verification and printed
 * as it is by text, --brief, JSON and --check. */
struct verdict {
	bool done;
	bool ok;                 /* chain and name good */
	char *headline;          /* one sentence naming the certificate and the
	                          * cause (or what was checked, when ok) */
	int first_expiry;        /* built link that expires first, or -1 */
	long first_expiry_days;  /* its days_left */
};

struct alert_info {
	bool sent;               /* true: we sent it; false: received */
	unsigned level, desc;
};

enum ech_mode {
	ECH_OFF = 0,
	ECH_CONFIG,              /* --ech LIST or --ech auto */
	ECH_GREASE,              /* --ech-grease */
};

/* Encrypted Client Hello (ech.c). */
struct ech_info {
	enum ech_mode mode;
	const char *source;      /* "option" or "dns"; NULL with GREASE */
	char *dns_name;          /* owner of the HTTPS record used, or NULL */
	unsigned char *config_list;  /* the ECHConfigList offered */
	size_t config_list_len;
	char *config_list_b64;
	unsigned config_id;      /* of the config NSS uses (the first usable) */
	char *public_name;       /* outer SNI: that config's public_name */
	char *inner_name;        /* the SNI in the encrypted ClientHello */
	bool accepted;           /* the server decrypted the inner hello */
	bool rejected;           /* it answered the outer hello instead */
	bool public_name_verified;   /* rejected: the certificate was checked
	                              * against public_name (verify_name) */
	char *retry_configs;     /* base64 ECHConfigList sent on rejection */
};

/* One --export-keying-material value (exporter.c). */
struct keying_material {
	char *label;
	char *context;           /* NULL: none, which is not "" in TLS 1.2 */
	unsigned length;
	char *hex;               /* the value, lowercase hex */
};

/* TLS records on the wire in one direction, as the layer under SSL saw
 * them (trace.c). */
struct wire_count {
	uint64_t bytes;          /* every byte, record headers included */
	uint64_t records;        /* complete records */
};

/* --keylog (keylog.c). */
struct keylog_result {
	const char *file;        /* borrowed from opts; NULL: no --keylog */
	size_t lines;            /* secret lines appended */
	char note[160];          /* why nothing (more) was written, or "" */
};

/* A plaintext dialogue before TLS (STARTTLS, proxy CONNECT), line by line,
 * made printable by plain.c: control and non-ASCII bytes as \xNN. */
struct transcript_line {
	bool from_server;
	char *text;
};

struct transcript {
	struct transcript_line *lines;
	size_t n;
	bool truncated;          /* lines past the limit were dropped */
};

/* --proxy, or a proxy from the environment (proxy.c). */
struct proxy_info {
	char *host;              /* NULL: no proxy considered */
	uint16_t port;
	const char *source;      /* "--proxy", "https_proxy", "ALL_PROXY", ... */
	char *user;              /* Basic authentication user, or NULL */
	char *no_proxy_match;    /* the no_proxy entry that bypassed it, or NULL */
	bool used;               /* the connection goes through it */
	char *status_line;       /* its answer to CONNECT, or NULL */
	int status;              /* the status code in it, or 0 */
	struct transcript transcript;
	int64_t duration_us;     /* CONNECT sent to answer read */
};

/* --starttls (starttls.c). */
struct starttls_info {
	const char *protocol;    /* "smtp", ...; NULL: TLS from the start */
	bool by_port;            /* chosen by --starttls auto */
	const char *name;        /* EHLO/LHLO name or XMPP domain sent, or NULL */
	const char *name_field;  /* where it went: "EHLO", "LHLO", "to" */
	bool ok;                 /* the server agreed to start TLS */
	struct transcript transcript;
	int64_t duration_us;
};

struct report {
	const char *nss_version; /* the NSS library that did the work */
	bool allow_weak;         /* --allow-weak: the strict policy was off */
	/* target */
	char *host;
	uint16_t port;
	const char *servername;  /* borrowed from opts, NULL: no SNI */
	const char *verify_name; /* borrowed from opts */
	const char *source_file; /* --print-cert: the certificates' file */

	/* reach */
	struct addr_attempt *attempts;
	size_t n_attempts;
	int connected_index;     /* into attempts, or -1 */
	int64_t resolve_us;
	struct proxy_info proxy; /* with a proxy, attempts are the proxy's */
	struct starttls_info starttls;

	/* trust */
	struct trust_source *trust;
	size_t n_trust;

	/* certificates */
	struct cert_info *sent;
	size_t n_sent;
	struct chain_link *built;
	size_t n_built;
	struct verify_result verify;
	PRTime verify_time;      /* the moment verified at (now or --attime) */
	struct finding *findings;
	size_t n_findings;
	struct verdict verdict;
	struct ocsp_result staple;
	struct ocsp_result ocsp;      /* --ocsp */
	struct crl_result *crls;
	size_t n_crls;
	struct cert_revocation *revocation;  /* one per built certificate */
	size_t n_revocation;
	struct sct_info *scts;
	size_t n_scts;
	struct aia_result aia;
	int64_t fetch_us;        /* OCSP and AIA fetches during verification,
	                          * inside the handshake time */
	struct client_auth_info client_auth;

	/* channel */
	struct handshake_info *handshakes;
	size_t n_handshakes;
	bool key_update_sent;
	bool key_update_requested;
	bool peer_key_update_seen;
	struct alert_info alerts[16];
	size_t n_alerts;
	struct ech_info ech;
	struct keying_material *keying;  /* --export-keying-material */
	size_t n_keying;

	/* the wire under TLS (trace.c), for this connection */
	bool wire_seen;          /* the layer was in place */
	struct wire_count wire_sent, wire_received;
	struct keylog_result keylog;

	/* --reconnect */
	struct reconnect_info *reconnects;
	size_t n_reconnects;
	bool tickets_awaited;    /* TLS 1.3: waited for NewSessionTicket */
	unsigned post_handshake_records;  /* reads seen while waiting */

	/* data phase */
	PRTime started_at;       /* wall clock at the start of the run */
	int64_t handshake_done_us;   /* monotonic time of the first handshake */
	int64_t first_byte_us;   /* handshake end to first byte received, or 0 */
	uint64_t bytes_sent, bytes_received;
	bool peer_closed;
	bool close_notify_received;  /* without it, a close may be a truncation */
	bool chains_written;     /* --showcerts/--save-chain done (out.c) */

	/* outcome */
	enum phase phase;        /* where it stopped */
	PRErrorCode error;       /* NSS/NSPR error, or 0 */
	char *message;           /* plain-words explanation, or NULL */
	enum nsstls_exit exit_code;

	/* --check: the monitoring verdict (check.c), NULL otherwise */
	const char *check_status; /* "OK", "WARNING", "CRITICAL", "UNKNOWN" */
	char *check_line;
	char **check_problems;   /* NULL-terminated */
	size_t n_check_problems;
	int check_warn_days, check_crit_days;
};

void report_init(struct report *r, const char *host, uint16_t port);
void report_free(struct report *r);

struct addr_attempt *report_add_attempt(struct report *r, const char *addr);
void report_add_trust(struct report *r, const char *name, const char *detail,
    int anchors);
struct handshake_info *report_add_handshake(struct report *r);
void report_add_alert(struct report *r, bool sent, unsigned level,
    unsigned desc);
void transcript_free(struct transcript *t);
/* Drop the recorded chains (a renegotiation records them again). */
void report_clear_chains(struct report *r);

/* Record the outcome; message is formatted, may be NULL. */
/* Fold one source's word on built certificate `cert` into r->revocation:
 * revoked beats good beats unknown beats not checked; within a rank the
 * first source stays.  source and reason are copied (either may be NULL). */
void report_revocation(struct report *r, size_t cert,
    enum revocation_status status, const char *source, PRTime revoked_at,
    const char *reason);

void report_fail(struct report *r, enum phase phase, PRErrorCode err,
    enum nsstls_exit code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

void cert_info_free(struct cert_info *c);

void report_add_finding(struct report *r, enum severity sev, const char *id,
    int cert, int sent, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
struct sct_info *report_add_sct(struct report *r);
void ocsp_result_free(struct ocsp_result *o);
const char *report_severity_str(enum severity s);

/* "not_checked", "good", "revoked", "unknown" (JSON, --check). */
const char *report_revocation_str(enum revocation_status s);

const char *report_phase_str(enum phase p);

/* The first handshake's time without the OCSP/AIA fetches made inside it,
 * or -1 when there was no handshake. */
int64_t report_handshake_us(const struct report *r);

#endif
