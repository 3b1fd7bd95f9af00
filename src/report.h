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
	bool self_signed;        /* subject == issuer */
	unsigned char *der;      /* for PEM output */
	size_t der_len;
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
	bool ems;
	int auth_bits, kea_bits;
	int64_t duration_us;
};

enum phase {
	PHASE_SETUP,
	PHASE_RESOLVE,
	PHASE_CONNECT,
	PHASE_HANDSHAKE,
	PHASE_RENEGOTIATE,
	PHASE_KEY_UPDATE,
	PHASE_DATA,
	PHASE_DONE,
};

struct verify_result {
	bool done;               /* the auth hook ran */
	bool chain_ok;
	bool name_ok;
	PRErrorCode error;       /* first chain error, or BAD_CERT_DOMAIN */
	int error_depth;         /* depth of the first chain error, or -1 */
	bool overridden;         /* --insecure let a failure pass */
	char *missing_issuer;    /* issuer name when the chain stops short */
};

struct alert_info {
	bool sent;               /* true: we sent it; false: received */
	unsigned level, desc;
};

struct report {
	/* target */
	char *host;
	uint16_t port;
	const char *servername;  /* borrowed from opts, NULL: no SNI */
	const char *verify_name; /* borrowed from opts */

	/* reach */
	struct addr_attempt *attempts;
	size_t n_attempts;
	int connected_index;     /* into attempts, or -1 */
	int64_t resolve_us;

	/* trust */
	struct trust_source *trust;
	size_t n_trust;

	/* certificates */
	struct cert_info *sent;
	size_t n_sent;
	struct chain_link *built;
	size_t n_built;
	struct verify_result verify;

	/* channel */
	struct handshake_info *handshakes;
	size_t n_handshakes;
	int renegotiations_asked;
	bool key_update_sent;
	bool key_update_requested;
	bool peer_key_update_seen;
	struct alert_info alerts[16];
	size_t n_alerts;

	/* data phase */
	uint64_t bytes_sent, bytes_received;
	bool peer_closed;

	/* outcome */
	enum phase phase;        /* where it stopped */
	PRErrorCode error;       /* NSS/NSPR error, or 0 */
	char *message;           /* plain-words explanation, or NULL */
	enum nsstls_exit exit_code;
};

void report_init(struct report *r, const char *host, uint16_t port);
void report_free(struct report *r);

struct addr_attempt *report_add_attempt(struct report *r, const char *addr);
void report_add_trust(struct report *r, const char *name, const char *detail,
    int anchors);
struct handshake_info *report_add_handshake(struct report *r);
void report_add_alert(struct report *r, bool sent, unsigned level,
    unsigned desc);
/* Drop the recorded chains (a renegotiation records them again). */
void report_clear_chains(struct report *r);

/* Record the outcome; message is formatted, may be NULL. */
void report_fail(struct report *r, enum phase phase, PRErrorCode err,
    enum nsstls_exit code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

void cert_info_free(struct cert_info *c);

const char *report_phase_str(enum phase p);

#endif
