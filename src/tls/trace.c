/*
 * trace: the record layer seen from below SSL (see trace.h).
 *
 * libssl moves its bytes with the recv/send (and read/write) methods of
 * the layer under it, in pieces that need not match records: a call may
 * carry half a record or several.  So each direction reassembles records
 * from their 5-byte headers (type, version, length) and, inside plaintext
 * handshake records, handshake messages from their 4-byte headers, which
 * can be several to a record or span records.
 *
 * What is plaintext: handshake records before the direction's
 * ChangeCipherSpec in TLS 1.2; in TLS 1.3 every encrypted record is
 * disguised as application_data, so a handshake record is plaintext
 * whatever came before (the compatibility ChangeCipherSpec proves
 * nothing).  TLS 1.3 is recognised from the ServerHello's
 * supported_versions extension.
 *
 * TLS 1.3 records are decrypted for --trace with the traffic secrets of
 * the secret callback (SSL_MakeAead with the standard "key"/"iv" labels,
 * the record header as additional data, a sequence number per epoch).
 * NSS reads one record at a time and derives each key before it reads or
 * writes a record under it, so the key is here when the record passes;
 * the epoch in use is found by trying the current one, then the next.
 * TLS 1.2 records stay encrypted: NSS gives no key material for them.
 */
#include "trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <prinit.h>
#include <ssl.h>
#include <sslproto.h>

#include "names.h"
#include "util.h"

#define HEADER 5
#define MAX_BODY (16384 + 2048)  /* TLSCiphertext limit (RFC 5246 §6.2.3) */
#define HEAD_MAX 2048            /* bytes kept of a handshake message */
#define EPOCHS 16                /* 1 early, 2 handshake, 3+ application */

enum { SENT, RECEIVED };

struct direction {
	const char *arrow;
	struct wire_count *count;
	unsigned char *rec;          /* the current record (or its header) */
	size_t have;                 /* bytes of it seen so far */
	bool lost;                   /* not TLS: stop parsing */
	bool ccs_seen;
	/* The handshake message being read. */
	unsigned char hs_hdr[4];
	size_t hs_hdr_len;
	bool in_msg;                 /* header read, body pending */
	uint32_t hs_left;            /* body bytes still to come */
	uint64_t msg_first_rec;      /* record its header started in */
	unsigned char head[HEAD_MAX];
	size_t head_len;             /* first bytes of the body */
	/* TLS 1.3 protection, by epoch (trace only). */
	SSLAeadContext *aead[EPOCHS];
	PRUint64 seq[EPOCHS];        /* next record's sequence number */
	unsigned epoch;              /* the epoch of the last record, or 0 */
	unsigned char *plain;        /* a decrypted record (trace only) */
};

struct trace {
	FILE *out;                   /* NULL: count only */
	bool hex;
	struct keylog *keylog;
	bool tls13;
	bool random_seen;
	bool parse;                  /* keep whole records: trace or key log */
	bool hold_reads;             /* answer reads with "would block" */
	struct direction dir[2];
};

static PRDescIdentity trace_id = PR_INVALID_IO_LAYER;
static PRIOMethods trace_methods;
static PRCallOnceType trace_once;

static const char *
content_type_str(unsigned t)
{
	switch (t) {
	case 20: return "change_cipher_spec";
	case 21: return "alert";
	case 22: return "handshake";
	case 23: return "application_data";
	case 24: return "heartbeat";
	default: return "unknown";
	}
}

static const char *
handshake_str(unsigned t)
{
	static _Thread_local char buf[32];

	switch (t) {
	case 0: return "hello_request";
	case 1: return "client_hello";
	case 2: return "server_hello";
	case 4: return "new_session_ticket";
	case 5: return "end_of_early_data";
	case 8: return "encrypted_extensions";
	case 11: return "certificate";
	case 12: return "server_key_exchange";
	case 13: return "certificate_request";
	case 14: return "server_hello_done";
	case 15: return "certificate_verify";
	case 16: return "client_key_exchange";
	case 20: return "finished";
	case 22: return "certificate_status";
	case 24: return "key_update";
	case 254: return "message_hash";
	default:
		snprintf(buf, sizeof(buf), "handshake_type_%u", t);
		return buf;
	}
}

/* The ServerHello random that marks a HelloRetryRequest (RFC 8446 4.1.3). */
static const unsigned char hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02,
	0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/*
 * The extension block of a ClientHello (client) or ServerHello body b:
 * past version, random and session id, then the suite list and the
 * compression methods (a ClientHello) or the one suite and method (a
 * ServerHello).  Returns 0, or -1 when the kept bytes end first.
 */
static int
hello_extensions(const unsigned char *b, size_t n, bool client,
    const unsigned char **ext, size_t *len)
{
	size_t off = 2 + 32;         /* legacy_version, random */

	if (off + 1 > n)
		return -1;
	off += 1 + b[off];           /* session id */
	if (client) {
		if (off + 2 > n)
			return -1;
		off += 2 + ((size_t)b[off] << 8 | b[off + 1]);
		if (off + 1 > n)
			return -1;
		off += 1 + b[off];   /* compression methods */
	} else {
		off += 2 + 1;        /* cipher suite, compression method */
	}
	if (off + 2 > n)
		return -1;
	*len = (size_t)b[off] << 8 | b[off + 1];
	off += 2;
	if (off + *len > n)
		return -1;
	*ext = b + off;
	return 0;
}

/* Find extension type in an extension block; its value in *val. */
static bool
find_extension(const unsigned char *e, size_t n, unsigned type,
    const unsigned char **val, size_t *vlen)
{
	while (n >= 4) {
		unsigned t = (unsigned)e[0] << 8 | e[1];
		size_t l = (size_t)e[2] << 8 | e[3];

		if (4 + l > n)
			return false;
		if (t == type) {
			*val = e + 4;
			*vlen = l;
			return true;
		}
		e += 4 + l;
		n -= 4 + l;
	}
	return false;
}

/* A complete handshake message (its first bytes in s->head).  Returns its
 * name. */
static const char *
message_done(struct trace *t, int d, struct direction *s)
{
	const unsigned char *ext, *v;
	size_t elen, vlen;
	unsigned type = s->hs_hdr[0];

	if (type == 1 && d == SENT && !t->random_seen && s->head_len >= 34) {
		/* The first ClientHello's random; a second one (after a
		 * HelloRetryRequest) repeats it.  ECH (or its GREASE) is
		 * extension 0xfe0d; when the extensions were not all kept,
		 * assume it was there, so no line can be wrong. */
		bool ech = true;

		if (hello_extensions(s->head, s->head_len, true, &ext, &elen) == 0)
			ech = find_extension(ext, elen, 0xfe0d, &v, &vlen);
		t->random_seen = true;
		keylog_set_random(t->keylog, s->head + 2, ech);
	}
	if (type == 2 && s->head_len >= 34 &&
	    hello_extensions(s->head, s->head_len, false, &ext, &elen) == 0 &&
	    find_extension(ext, elen, 43, &v, &vlen) && vlen == 2 &&
	    ((unsigned)v[0] << 8 | v[1]) >= SSL_LIBRARY_VERSION_TLS_1_3)
		t->tls13 = true;
	if (type == 2 && s->head_len >= 34 &&
	    memcmp(s->head + 2, hrr_random, sizeof(hrr_random)) == 0)
		return "hello_retry_request";
	return handshake_str(type);
}

static void
append(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf);

	snprintf(buf + n, size - n, "%s%s", n ? ", " : "", s);
}

/* The handshake messages of a plaintext handshake record, in words. */
static void
handshake_record(struct trace *t, int d, const unsigned char *b, size_t n,
    char *words, size_t size)
{
	struct direction *s = &t->dir[d];
	uint64_t rec = s->count->records;
	size_t i = 0;

	while (i < n) {
		if (!s->in_msg) {
			size_t take = 4 - s->hs_hdr_len;

			if (s->hs_hdr_len == 0)
				s->msg_first_rec = rec;
			if (take > n - i)
				take = n - i;
			memcpy(s->hs_hdr + s->hs_hdr_len, b + i, take);
			s->hs_hdr_len += take;
			i += take;
			if (s->hs_hdr_len < 4)
				break;
			s->in_msg = true;
			s->hs_left = (uint32_t)s->hs_hdr[1] << 16 |
			    (uint32_t)s->hs_hdr[2] << 8 | s->hs_hdr[3];
			s->head_len = 0;
		}
		if (s->hs_left > 0 && i < n) {
			size_t take = n - i < s->hs_left ? n - i : s->hs_left;
			size_t keep = HEAD_MAX - s->head_len;

			if (keep > take)
				keep = take;
			memcpy(s->head + s->head_len, b + i, keep);
			s->head_len += keep;
			s->hs_left -= (uint32_t)take;
			i += take;
		}
		if (s->hs_left == 0) {
			const char *name = message_done(t, d, s);
			char part[48];

			snprintf(part, sizeof(part), "%s%s", name,
			    s->msg_first_rec != rec ? " (end)" : "");
			append(words, size, part);
			s->in_msg = false;
			s->hs_hdr_len = 0;
		}
	}
	/* A message that goes on in the next record. */
	if (s->in_msg || s->hs_hdr_len > 0) {
		char part[48];

		snprintf(part, sizeof(part), "%s (%s)", s->in_msg ?
		    handshake_str(s->hs_hdr[0]) : "message header",
		    s->msg_first_rec != rec ? "middle" : "start");
		append(words, size, part);
	}
}

static void
hex_dump(FILE *f, const unsigned char *p, size_t n)
{
	for (size_t off = 0; off < n; off += 16) {
		char ascii[17];
		size_t k;

		fprintf(f, "    %04zx ", off);
		for (k = 0; k < 16; k++) {
			if (off + k < n) {
				fprintf(f, "%s %02x", k == 8 ? " " : "", p[off + k]);
				ascii[k] = p[off + k] >= 0x20 && p[off + k] < 0x7f ?
				    (char)p[off + k] : '.';
			} else {
				fprintf(f, "%s   ", k == 8 ? " " : "");
				ascii[k] = '\0';
			}
		}
		ascii[n - off < 16 ? n - off : 16] = '\0';
		fprintf(f, "  |%s|\n", ascii);
	}
}

/*
 * Decrypt the TLS 1.3 record in s->rec into s->plain.  Returns the epoch
 * that opened it and the inner content type and length, or 0.
 */
static unsigned
decrypt(struct direction *s, unsigned *type, unsigned *len)
{
	unsigned first = s->epoch != 0 ? s->epoch : 1;

	for (unsigned e = first; e < EPOCHS; e++) {
		PRUint64 seq = e == s->epoch ? s->seq[e] : 0;
		unsigned n = 0;

		if (s->aead[e] == NULL ||
		    SSL_AeadDecrypt(s->aead[e], seq, s->rec, HEADER, s->rec + HEADER,
		    (unsigned)(s->have - HEADER), s->plain, &n,
		    MAX_BODY) != SECSuccess)
			continue;
		s->epoch = e;
		s->seq[e] = seq + 1;
		/* TLSInnerPlaintext: content, content type, zero padding. */
		while (n > 0 && s->plain[n - 1] == 0)
			n--;
		if (n == 0)
			return 0;
		*type = s->plain[n - 1];
		*len = n - 1;
		return e;
	}
	return 0;
}

/* The content of a plaintext (or decrypted) record, in words. */
static void
describe(struct trace *t, int d, unsigned type, const unsigned char *body,
    size_t len, char *words, size_t size)
{
	switch (type) {
	case 20:
		t->dir[d].ccs_seen = true;
		break;
	case 21:
		for (size_t i = 0; i + 1 < len; i += 2) {
			char a[64];

			snprintf(a, sizeof(a), "%s %s", body[i] == 2 ? "fatal" :
			    body[i] == 1 ? "warning" : "level?",
			    names_alert_str(body[i + 1]));
			append(words, size, a);
		}
		break;
	case 22:
		handshake_record(t, d, body, len, words, size);
		break;
	}
}

/* A complete record in s->rec. */
static void
record_done(struct trace *t, int d)
{
	struct direction *s = &t->dir[d];
	unsigned type = s->rec[0];
	unsigned version = (unsigned)s->rec[1] << 8 | s->rec[2];
	size_t len = s->have - HEADER;
	/* TLS 1.2 encrypts everything after the ChangeCipherSpec; TLS 1.3
	 * encrypted records all say application_data. */
	bool encrypted = type == 23 || (s->ccs_seen && !t->tls13);
	unsigned epoch = 0, inner = 0, inner_len = 0;
	char words[512] = "";
	char how[80] = "";

	s->count->records++;
	if (!t->parse)
		return;             /* counting only: the body was not kept */
	if (!encrypted)
		describe(t, d, type, s->rec + HEADER, len, words, sizeof(words));
	/* Only TLS 1.3 gives keys; 0-RTT data goes before the ServerHello
	 * says TLS 1.3, so any application_data record is worth a try. */
	else if (type == 23 && t->out != NULL &&
	    (epoch = decrypt(s, &inner, &inner_len)) != 0) {
		snprintf(how, sizeof(how), " (encrypted, epoch %u)", epoch);
		append(words, sizeof(words), content_type_str(inner));
		if (inner == 23)
			snprintf(words + strlen(words), sizeof(words) - strlen(words),
			    " %u bytes", inner_len);
		else {
			char more[480] = "";

			describe(t, d, inner, s->plain, inner_len, more, sizeof(more));
			if (more[0] != '\0')
				snprintf(words + strlen(words), sizeof(words) -
				    strlen(words), ": %s", more);
		}
	} else if (encrypted) {
		snprintf(how, sizeof(how), " (encrypted)");
	}
	if (t->out == NULL)
		return;
	fprintf(t->out, "%s record %s %s len %zu%s%s%s\n", s->arrow,
	    content_type_str(type), names_version_str((uint16_t)version), len,
	    how, words[0] ? ": " : "", words);
	if (t->hex) {
		hex_dump(t->out, s->rec, s->have);
		if (epoch != 0) {
			fprintf(t->out, "    decrypted %s, %u bytes:\n",
			    content_type_str(inner), inner_len);
			hex_dump(t->out, s->plain, inner_len);
		}
	}
}

/* Is the header in s->rec one a TLS peer could send? */
static bool
header_ok(const struct direction *s)
{
	size_t len = (size_t)s->rec[3] << 8 | s->rec[4];

	return s->rec[0] >= 20 && s->rec[0] <= 24 && s->rec[1] == 3 &&
	    len <= MAX_BODY;
}

/* Bytes that crossed the wire in direction d. */
static void
feed(struct trace *t, int d, const unsigned char *p, size_t n)
{
	struct direction *s = &t->dir[d];
	/* A failed trial decryption sets the NSS error, and stdio errno;
	 * libssl must find both as the lower layer left them. */
	PRErrorCode err = PR_GetError();
	PRInt32 oserr = PR_GetOSError();
	int saved_errno = errno;

	s->count->bytes += n;
	while (n > 0 && !s->lost) {
		size_t want = s->have < HEADER ? HEADER :
		    HEADER + ((size_t)s->rec[3] << 8 | s->rec[4]);
		size_t take = want - s->have < n ? want - s->have : n;

		/* Counting needs the header only. */
		if (t->parse || s->have < HEADER)
			memcpy(s->rec + s->have, p, take);
		s->have += take;
		p += take;
		n -= take;
		if (s->have == HEADER && !header_ok(s)) {
			s->lost = true;
			if (t->out != NULL) {
				fprintf(t->out, "%s not a TLS record:", s->arrow);
				for (size_t i = 0; i < HEADER; i++)
					fprintf(t->out, " %02x", s->rec[i]);
				fputs(" (the rest of this direction is not "
				    "parsed)\n", t->out);
			}
			break;
		}
		if (s->have == HEADER + ((size_t)s->rec[3] << 8 | s->rec[4])) {
			record_done(t, d);
			s->have = 0;
		}
	}
	PR_SetError(err, oserr);
	errno = saved_errno;
}

/* At close: a record cut short by the end of the connection. */
static void
report_partial(struct trace *t, int d)
{
	struct direction *s = &t->dir[d];

	if (t->out == NULL || s->lost || s->have == 0)
		return;
	if (s->have < HEADER)
		fprintf(t->out, "%s incomplete record header: %zu of 5 bytes\n",
		    s->arrow, s->have);
	else
		fprintf(t->out, "%s incomplete record %s %s: %zu of %zu bytes\n",
		    s->arrow, content_type_str(s->rec[0]),
		    names_version_str((uint16_t)(s->rec[1] << 8 | s->rec[2])),
		    s->have, HEADER + ((size_t)s->rec[3] << 8 | s->rec[4]));
	if (t->hex)
		hex_dump(t->out, s->rec, s->have);
}

static PRInt32 PR_CALLBACK
layer_recv(PRFileDesc *fd, void *buf, PRInt32 amount, PRIntn flags,
    PRIntervalTime timeout)
{
	PRInt32 n;

	if (((struct trace *)fd->secret)->hold_reads) {
		PR_SetError(PR_WOULD_BLOCK_ERROR, 0);
		return -1;
	}
	n = fd->lower->methods->recv(fd->lower, buf, amount, flags, timeout);

	/* A peek leaves the bytes for the next call, which counts them. */
	if (n > 0 && !(flags & PR_MSG_PEEK))
		feed((struct trace *)fd->secret, RECEIVED, buf, (size_t)n);
	return n;
}

static PRInt32 PR_CALLBACK
layer_read(PRFileDesc *fd, void *buf, PRInt32 amount)
{
	PRInt32 n;

	if (((struct trace *)fd->secret)->hold_reads) {
		PR_SetError(PR_WOULD_BLOCK_ERROR, 0);
		return -1;
	}
	n = fd->lower->methods->read(fd->lower, buf, amount);

	if (n > 0)
		feed((struct trace *)fd->secret, RECEIVED, buf, (size_t)n);
	return n;
}

static PRInt32 PR_CALLBACK
layer_send(PRFileDesc *fd, const void *buf, PRInt32 amount, PRIntn flags,
    PRIntervalTime timeout)
{
	PRInt32 n = fd->lower->methods->send(fd->lower, buf, amount, flags,
	    timeout);

	if (n > 0)
		feed((struct trace *)fd->secret, SENT, buf, (size_t)n);
	return n;
}

static PRInt32 PR_CALLBACK
layer_write(PRFileDesc *fd, const void *buf, PRInt32 amount)
{
	PRInt32 n = fd->lower->methods->write(fd->lower, buf, amount);

	if (n > 0)
		feed((struct trace *)fd->secret, SENT, buf, (size_t)n);
	return n;
}

static PRInt32 PR_CALLBACK
layer_writev(PRFileDesc *fd, const PRIOVec *iov, PRInt32 size,
    PRIntervalTime timeout)
{
	PRInt32 n = fd->lower->methods->writev(fd->lower, iov, size, timeout);
	size_t left = n > 0 ? (size_t)n : 0;

	for (PRInt32 i = 0; i < size && left > 0; i++) {
		size_t len = (size_t)iov[i].iov_len < left ?
		    (size_t)iov[i].iov_len : left;

		feed((struct trace *)fd->secret, SENT,
		    (const unsigned char *)iov[i].iov_base, len);
		left -= len;
	}
	return n;
}

static void
trace_free(struct trace *t)
{
	for (int d = SENT; d <= RECEIVED; d++) {
		/* Before NSS_Shutdown, which fails on a leaked key. */
		for (unsigned e = 0; e < EPOCHS; e++)
			if (t->dir[d].aead[e] != NULL)
				(void)SSL_DestroyAead(t->dir[d].aead[e]);
		free(t->dir[d].rec);
		free(t->dir[d].plain);
	}
	free(t);
}

/* PR_Close of the stack reaches here once SSL has popped itself off;
 * the default close pops this layer, closes the rest and frees it. */
static PRStatus PR_CALLBACK
layer_close(PRFileDesc *fd)
{
	struct trace *t = (struct trace *)fd->secret;

	if (t != NULL) {
		report_partial(t, SENT);
		report_partial(t, RECEIVED);
		if (t->out != NULL)
			fflush(t->out);
		trace_free(t);
		fd->secret = NULL;
	}
	return PR_GetDefaultIOMethods()->close(fd);
}

static PRStatus
trace_init(void)
{
	trace_id = PR_GetUniqueIdentity("nsstls-trace");
	if (trace_id == PR_INVALID_IO_LAYER)
		return PR_FAILURE;
	/* Every other method of the default table forwards to the layer
	 * below, so poll, connect and the socket options keep working. */
	trace_methods = *PR_GetDefaultIOMethods();
	trace_methods.close = layer_close;
	trace_methods.recv = layer_recv;
	trace_methods.read = layer_read;
	trace_methods.send = layer_send;
	trace_methods.write = layer_write;
	trace_methods.writev = layer_writev;
	return PR_SUCCESS;
}

void
trace_hold_reads(struct trace *t, bool hold)
{
	if (t != NULL)
		t->hold_reads = hold;
}

struct trace *
trace_push(PRFileDesc *tcp, const struct nsstls_opts *o, struct report *r,
    FILE *out, struct keylog *k)
{
	PRFileDesc *layer;
	struct trace *t;

	/* Once per process; multi-target workers may race here. */
	if (PR_CallOnce(&trace_once, trace_init) != PR_SUCCESS)
		return NULL;
	layer = PR_CreateIOLayerStub(trace_id, &trace_methods);
	if (layer == NULL)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->out = o->trace ? out : NULL;
	t->hex = o->trace_hex;
	t->keylog = k;
	/* Whole records are kept only when someone reads them: the trace,
	 * or the key log that needs the ClientHello's random. */
	t->parse = o->trace || k != NULL;
	t->dir[SENT].arrow = ">";
	t->dir[SENT].count = &r->wire_sent;
	t->dir[RECEIVED].arrow = "<";
	t->dir[RECEIVED].count = &r->wire_received;
	for (int d = SENT; d <= RECEIVED; d++) {
		t->dir[d].rec = xmalloc(t->parse ? HEADER + MAX_BODY : HEADER);
		t->dir[d].plain = o->trace ? xmalloc(MAX_BODY) : NULL;
	}
	layer->secret = (PRFilePrivate *)t;
	if (PR_PushIOLayer(tcp, PR_TOP_IO_LAYER, layer) != PR_SUCCESS) {
		trace_free(t);
		layer->secret = NULL;
		layer->dtor(layer);
		return NULL;
	}
	r->wire_seen = true;
	return t;
}

void
trace_on_secret(struct trace *t, PRFileDesc *fd, PRUint16 epoch,
    SSLSecretDirection dir, PK11SymKey *secret)
{
	struct direction *s;
	SSLPreliminaryChannelInfo pi;
	PRUint16 suite;

	if (t == NULL || t->out == NULL || epoch == 0 || epoch >= EPOCHS)
		return;
	/* dir is relative to us: what we write is what we send. */
	s = &t->dir[dir == ssl_secret_write ? SENT : RECEIVED];
	if (s->aead[epoch] != NULL ||
	    SSL_GetPreliminaryChannelInfo(fd, &pi, sizeof(pi)) != SECSuccess)
		return;
	/* 0-RTT keys come before the ServerHello chose a suite: they use
	 * the suite of the resumed session. */
	if (epoch == 1 && (pi.valuesSet & ssl_preinfo_0rtt_cipher_suite))
		suite = pi.zeroRttCipherSuite;
	else if (epoch > 1 && (pi.valuesSet & ssl_preinfo_cipher_suite))
		suite = pi.cipherSuite;
	else
		return;
	/* An empty label prefix gives TLS 1.3's own "key" and "iv" labels.
	 * Failing here only leaves the records shown as encrypted. */
	if (SSL_MakeAead(SSL_LIBRARY_VERSION_TLS_1_3, suite, secret, "", 0,
	    &s->aead[epoch]) != SECSuccess)
		s->aead[epoch] = NULL;
}
