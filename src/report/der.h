/*
 * der: a minimal DER reader for the few structures NSS 3.87 decodes but
 * does not expose field by field (the inside of an OCSP response: status,
 * thisUpdate, nextUpdate, revocation time).  Reads only; single-byte tags;
 * definite lengths up to 4 bytes.  Pure, unit-tested.
 */
#ifndef NSSTLS_DER_H
#define NSSTLS_DER_H

#include <stdbool.h>
#include <stddef.h>

struct der {
	const unsigned char *p;
	size_t len;
};

/* Read the next TLV of *in into *tag and *content; advance *in.
 * Returns 0, or -1 on a truncated or malformed encoding. */
int der_read(struct der *in, unsigned *tag, struct der *content);

/* Read the next TLV if its tag is `tag`; -1 (input untouched) if not. */
int der_expect(struct der *in, unsigned tag, struct der *content);

/* True if the next TLV has this tag. */
bool der_peek(const struct der *in, unsigned tag);

#define TAG_INTEGER 0x02
#define TAG_BIT_STRING 0x03
#define TAG_OCTET_STRING 0x04
#define TAG_NULL 0x05
#define TAG_OID 0x06
#define TAG_ENUMERATED 0x0a
#define TAG_GENERALIZED_TIME 0x18
#define TAG_SEQUENCE 0x30
#define TAG_CONTEXT(n) (0x80 | (n))          /* [n] IMPLICIT, primitive */
#define TAG_CONTEXT_CONS(n) (0xa0 | (n))     /* [n], constructed */

#endif
