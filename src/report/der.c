/*
 * der: minimal DER reader (see der.h).
 */
#include "der.h"

int
der_read(struct der *in, unsigned *tag, struct der *content)
{
	const unsigned char *p = in->p;
	size_t left = in->len, len;

	if (left < 2)
		return -1;
	*tag = p[0];
	if ((p[0] & 0x1f) == 0x1f)      /* high tag numbers: not used here */
		return -1;
	len = p[1];
	p += 2;
	left -= 2;
	if (len & 0x80) {
		size_t n = len & 0x7f;

		if (n == 0 || n > 4 || n > left)
			return -1;      /* indefinite or absurd lengths */
		len = 0;
		for (size_t i = 0; i < n; i++)
			len = (len << 8) | p[i];
		p += n;
		left -= n;
	}
	if (len > left)
		return -1;
	content->p = p;
	content->len = len;
	in->p = p + len;
	in->len = left - len;
	return 0;
}

bool
der_peek(const struct der *in, unsigned tag)
{
	return in->len >= 2 && in->p[0] == tag;
}

int
der_expect(struct der *in, unsigned tag, struct der *content)
{
	struct der copy = *in;
	unsigned got;

	if (!der_peek(in, tag) || der_read(&copy, &got, content) != 0)
		return -1;
	*in = copy;
	return 0;
}
