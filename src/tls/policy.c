/*
 * policy: the strict default verification policy (see policy.h).
 */
#include "policy.h"

#include <string.h>

#define MIN_RSA_DSA_BITS 2048
#define MIN_EC_BITS 256

bool
policy_weak_key(const struct cert_info *c)
{
	if (c->key_type == NULL)
		return false;
	if (strcmp(c->key_type, "RSA") == 0 || strcmp(c->key_type, "RSA-PSS") == 0 ||
	    strcmp(c->key_type, "DSA") == 0)
		return c->key_bits < MIN_RSA_DSA_BITS;
	if (strcmp(c->key_type, "EC") == 0)
		return c->key_bits < MIN_EC_BITS;
	return false;
}

bool
policy_weak_signature(const struct chain_link *l)
{
	return l->cert.weak_hash != NULL && !(l->anchor && l->cert.self_signed);
}
