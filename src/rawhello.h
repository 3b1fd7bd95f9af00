/*
 * rawhello: hand-built ClientHellos (SSLv2, SSLv3, TLS 1.0-1.3) and a
 * reader of the server's first answer — a ServerHello, a
 * HelloRetryRequest, an SSLv2 SERVER-HELLO or an alert — for what NSS
 * cannot offer: suites it does not implement, SSL 2/3, compression, the
 * heartbeat extension, groups it lacks.  No handshake is completed, so
 * nothing of the suite needs implementing.  Both halves are pure
 * functions over byte buffers (the parser is a fuzz target).
 */
#ifndef NSSTLS_RAWHELLO_H
#define NSSTLS_RAWHELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAWHELLO_SSL2 0x0002

/* What the ServerKeyExchange of a TLS 1.2 answer holds (the suites
 * offered are all of one kind). */
enum rawhello_kx {
	RAWHELLO_KX_NONE = 0,    /* read the ServerHello only */
	RAWHELLO_KX_ECDHE,
	RAWHELLO_KX_DHE,
};

struct rawhello_spec {
	uint16_t version;        /* RAWHELLO_SSL2, 0x0300 ... 0x0304 */
	const uint16_t *suites;  /* for SSLv2: ignored (all SSLv2 specs) */
	size_t n_suites;
	const uint16_t *groups;  /* supported_groups; NULL: a broad list */
	size_t n_groups;
	const char *sni;         /* NULL: none */
	bool compression;        /* offer DEFLATE before null */
	bool heartbeat;          /* the heartbeat extension (RFC 6520) */
	bool no_key_share;       /* TLS 1.3: an empty key_share, so a server
	                          * that accepts a group says so in a HRR */
	uint16_t share_group;    /* TLS 1.3: the key share's group (x25519,
	                          * x448, P-256/384/521, FFDHE, the ML-KEM and
	                          * Kyber hybrids); 0: x25519 */
	uint8_t random[32];      /* client random; also the x25519 share */
	enum rawhello_kx read_kx;        /* read on to the ServerKeyExchange
	                                  * (rawhello_parse_key_exchange) */
};

/* Write the ClientHello record(s) into buf.  Returns the length, or 0
 * when it does not fit in cap or the spec is impossible. */
size_t rawhello_build(const struct rawhello_spec *s, uint8_t *buf, size_t cap);

/* Can rawhello_build make a key share for group g? */
bool rawhello_can_share(unsigned g);

enum rawhello_kind {
	RAWHELLO_INCOMPLETE,     /* need more bytes */
	RAWHELLO_SERVER_HELLO,
	RAWHELLO_HRR,            /* TLS 1.3 HelloRetryRequest */
	RAWHELLO_SSL2_HELLO,     /* SSLv2 SERVER-HELLO */
	RAWHELLO_ALERT,
	RAWHELLO_MALFORMED,      /* not a TLS answer we can read */
};

struct rawhello_answer {
	enum rawhello_kind kind;
	uint16_t version;        /* negotiated: supported_versions or legacy */
	uint16_t suite;
	uint8_t compression;
	uint16_t group;          /* key_share (ServerHello, HRR), or 0 */
	bool heartbeat;          /* the server echoed the extension */
	bool renegotiation_info;
	bool ems;
	uint8_t alert_level, alert_desc;
	/* rawhello_parse_key_exchange, TLS 1.2 and older: */
	bool ske;                /* a ServerKeyExchange was read */
	uint16_t ske_group;      /* ECDHE: the named curve */
	bool ske_explicit_curve; /* ECDHE: a curve by its parameters */
	uint16_t dh_bits;        /* DHE: the prime's size */
	uint16_t dh_p_len;       /* ... in bytes; dh_p holds it when it fits */
	uint8_t dh_p[1024];
};

/* Read what the server sent so far (len bytes from its first byte).
 * Bounded: reads nothing outside buf[0..len), never allocates. */
enum rawhello_kind rawhello_parse_server_hello(const uint8_t *buf, size_t len,
    struct rawhello_answer *a);

/* The same, reading on past the ServerHello (and the Certificate, of any
 * size, skipped) to the ServerKeyExchange of a TLS 1.2 or older
 * handshake, parsed as kx says; a ServerHelloDone ends it without one.
 * RAWHELLO_INCOMPLETE until then; a TLS 1.3 ServerHello or a HRR ends
 * it at once. */
enum rawhello_kind rawhello_parse_key_exchange(const uint8_t *buf, size_t len,
    enum rawhello_kx kx, struct rawhello_answer *a);

#endif
