/*
 * Unit tests for trace.c: the layer is pushed on one end of a loopback
 * socket pair and fed bytes in the worst pieces (one byte per call, or
 * several records in one), which libssl never produces on its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prio.h>

#include "cli.h"
#include "report.h"
#include "tap.h"
#include "trace.h"

struct pair {
	PRFileDesc *ours, *peer;
	struct report r;
	struct nsstls_opts o;
	char *text;
	size_t len;
	FILE *out;
};

static int
pair_open(struct pair *p, int trace, int hex)
{
	PRFileDesc *fds[2];

	memset(p, 0, sizeof(*p));
	if (PR_NewTCPSocketPair(fds) != PR_SUCCESS)
		return -1;
	p->ours = fds[0];
	p->peer = fds[1];
	report_init(&p->r, "localhost", 443);
	p->o.trace = trace;
	p->o.trace_hex = hex;
	p->out = open_memstream(&p->text, &p->len);
	return trace_push(p->ours, &p->o, &p->r, p->out, NULL) != NULL ? 0 : -1;
}

/* Close our end (the layer prints what is left) and return the trace. */
static const char *
pair_close(struct pair *p)
{
	PR_Close(p->ours);
	PR_Close(p->peer);
	fclose(p->out);
	return p->text;
}

static void
pair_free(struct pair *p)
{
	report_free(&p->r);
	free(p->text);
}

/* Send through the layer n bytes at a time. */
static void
send_in_pieces(struct pair *p, const unsigned char *b, size_t len, size_t n)
{
	for (size_t off = 0; off < len; off += n)
		(void)PR_Send(p->ours, b + off, (PRInt32)(len - off < n ? len - off : n),
		    0, PR_INTERVAL_NO_TIMEOUT);
}

/* The peer sends; we receive through the layer n bytes at a time. */
static void
receive_in_pieces(struct pair *p, const unsigned char *b, size_t len, size_t n)
{
	unsigned char buf[4096];
	size_t got = 0;

	(void)PR_Send(p->peer, b, (PRInt32)len, 0, PR_INTERVAL_NO_TIMEOUT);
	while (got < len) {
		PRInt32 r = PR_Recv(p->ours, buf, (PRInt32)(len - got < n ? len - got : n),
		    0, PR_INTERVAL_NO_TIMEOUT);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
}

static void
test_one_byte_at_a_time(void)
{
	/* A ClientHello-shaped record, then a record with two messages (a
	 * zero-length one first), then a Certificate whose 4-byte header is
	 * split over two records. */
	static const unsigned char wire[] = {
		0x16, 0x03, 0x01, 0x00, 0x06, 0x01, 0x00, 0x00, 0x02, 0x03, 0x03,
		0x16, 0x03, 0x03, 0x00, 0x09, 0x0e, 0x00, 0x00, 0x00,
		0x10, 0x00, 0x00, 0x01, 0xaa,
		0x16, 0x03, 0x03, 0x00, 0x03, 0x0b, 0x00, 0x00,
		0x16, 0x03, 0x03, 0x00, 0x04, 0x03, 0x01, 0x02, 0x03,
	};
	struct pair p;
	const char *t;

	if (!ok(pair_open(&p, 1, 0) == 0, "layer pushed on a socket pair"))
		return;
	send_in_pieces(&p, wire, sizeof(wire), 1);
	ok(p.r.wire_sent.bytes == sizeof(wire) && p.r.wire_sent.records == 4,
	    "every byte counted, 4 records (%llu bytes, %llu records)",
	    (unsigned long long)p.r.wire_sent.bytes,
	    (unsigned long long)p.r.wire_sent.records);
	t = pair_close(&p);
	ok(strstr(t, "> record handshake TLSv1.0 len 6: client_hello\n") != NULL,
	    "client_hello record");
	ok(strstr(t, "> record handshake TLSv1.2 len 9: server_hello_done, "
	    "client_key_exchange\n") != NULL, "two messages in one record");
	ok(strstr(t, "> record handshake TLSv1.2 len 3: message header (start)\n") != NULL &&
	    strstr(t, "> record handshake TLSv1.2 len 4: certificate (end)\n") != NULL,
	    "a message whose header is split over two records");
	ok(strstr(t, "incomplete") == NULL, "nothing left over");
	pair_free(&p);
}

static void
test_message_over_three_records(void)
{
	static const unsigned char wire[] = {
		0x16, 0x03, 0x03, 0x00, 0x06, 0x0b, 0x00, 0x00, 0x06, 0x01, 0x02,
		0x16, 0x03, 0x03, 0x00, 0x02, 0x03, 0x04,
		0x16, 0x03, 0x03, 0x00, 0x06, 0x05, 0x06, 0x0e, 0x00, 0x00, 0x00,
	};
	struct pair p;
	const char *t;

	if (!ok(pair_open(&p, 1, 0) == 0, "layer pushed"))
		return;
	receive_in_pieces(&p, wire, sizeof(wire), 1);
	t = pair_close(&p);
	ok(strstr(t, "< record handshake TLSv1.2 len 6: certificate (start)\n") != NULL &&
	    strstr(t, "< record handshake TLSv1.2 len 2: certificate (middle)\n") != NULL &&
	    strstr(t, "< record handshake TLSv1.2 len 6: certificate (end), "
	    "server_hello_done\n") != NULL, "start, middle and end of a message");
	pair_free(&p);
}

static void
test_received_in_bulk(void)
{
	/* Three records in one read: ServerHello-shaped, CCS, then a TLS 1.2
	 * handshake record after the CCS, which is encrypted. */
	static const unsigned char wire[] = {
		0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00,
		0x14, 0x03, 0x03, 0x00, 0x01, 0x01,
		0x16, 0x03, 0x03, 0x00, 0x03, 0xde, 0xad, 0x00,
		0x15, 0x03, 0x03, 0x00, 0x02, 0x12, 0x34,
	};
	struct pair p;
	const char *t;

	if (!ok(pair_open(&p, 1, 0) == 0, "layer pushed"))
		return;
	receive_in_pieces(&p, wire, sizeof(wire), sizeof(wire));
	ok(p.r.wire_received.bytes == sizeof(wire) && p.r.wire_received.records == 4,
	    "received bytes and records counted");
	ok(p.r.wire_sent.bytes == 0, "nothing sent");
	t = pair_close(&p);
	ok(strstr(t, "< record change_cipher_spec TLSv1.2 len 1\n") != NULL,
	    "change_cipher_spec");
	ok(strstr(t, "< record handshake TLSv1.2 len 3 (encrypted)\n") != NULL,
	    "handshake after the ChangeCipherSpec is encrypted (TLS 1.2)");
	ok(strstr(t, "< record alert TLSv1.2 len 2 (encrypted)\n") != NULL,
	    "so is an alert");
	pair_free(&p);
}

static void
test_plaintext_alert_and_partial(void)
{
	static const unsigned char wire[] = {
		0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28,
		0x16, 0x03, 0x03, 0x00, 0x50, 0x02, 0x00,
	};
	struct pair p;
	const char *t;

	if (!ok(pair_open(&p, 1, 1) == 0, "layer pushed (hex)"))
		return;
	receive_in_pieces(&p, wire, sizeof(wire), 3);
	t = pair_close(&p);
	ok(strstr(t, "< record alert TLSv1.2 len 2: fatal handshake_failure\n") != NULL,
	    "plaintext alert decoded");
	ok(strstr(t, "< incomplete record handshake TLSv1.2: 7 of 85 bytes\n") != NULL,
	    "cut-off record reported at close");
	ok(strstr(t, "    0000  15 03 03 00 02 02 28") != NULL, "hex dump of a record");
	ok(strstr(t, "    0000  16 03 03 00 50 02 00") != NULL, "hex dump of the rest");
	ok(p.r.wire_received.records == 1 && p.r.wire_received.bytes == sizeof(wire),
	    "one complete record, every byte");
	pair_free(&p);
}

static void
test_not_tls(void)
{
	static const char wire[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
	struct pair p;
	const char *t;

	if (!ok(pair_open(&p, 1, 0) == 0, "layer pushed"))
		return;
	receive_in_pieces(&p, (const unsigned char *)wire, sizeof(wire) - 1, 2);
	t = pair_close(&p);
	ok(strstr(t, "< not a TLS record: 48 54 54 50 2f (") != NULL, "HTTP is not TLS");
	ok(strstr(t, "incomplete") == NULL, "no incomplete record after that");
	ok(p.r.wire_received.bytes == sizeof(wire) - 1 && p.r.wire_received.records == 0,
	    "bytes still counted");
	pair_free(&p);
}

static void
test_count_only(void)
{
	static const unsigned char wire[] = { 0x17, 0x03, 0x03, 0x00, 0x01, 0x00 };
	struct pair p;
	const char *t;

	/* Without --trace: counted, not printed. */
	if (!ok(pair_open(&p, 0, 0) == 0, "layer pushed without --trace"))
		return;
	send_in_pieces(&p, wire, sizeof(wire), 2);
	t = pair_close(&p);
	ok(t[0] == '\0', "nothing printed");
	ok(p.r.wire_seen && p.r.wire_sent.records == 1 && p.r.wire_sent.bytes == 6,
	    "but counted");
	pair_free(&p);
}

int
main(void)
{
	test_one_byte_at_a_time();
	test_message_over_three_records();
	test_received_in_bulk();
	test_plaintext_alert_and_partial();
	test_not_tls();
	test_count_only();
	return done_testing();
}
