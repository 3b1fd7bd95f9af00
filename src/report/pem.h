/*
 * pem: the one PEM reader of nsstls.  Certificate files (--ca-file,
 * --print-cert, --cert, --cert-chain), CRL files and key files all go
 * through pem_next, so "what is a PEM block" has one answer.  The text
 * must be NUL-terminated (util_read_file makes it so).
 */
#ifndef NSSTLS_PEM_H
#define NSSTLS_PEM_H

#include <stdbool.h>
#include <stddef.h>

#include <seccomon.h>

struct pem_block {
	char *label;             /* "CERTIFICATE", "RSA PRIVATE KEY", ... */
	bool encrypted;          /* Proc-Type: 4,ENCRYPTED (traditional) */
	char *dek_info;          /* its DEK-Info value, or NULL */
	SECItem der;             /* the decoded body */
};

/* Find the next PEM block at or after *cursor and decode it into b.
 * Returns 1 (found), 0 (no more blocks) or -1: a BEGIN line without its
 * END (*cursor stays: stop there), or a body that is not base64 (*cursor
 * is past the block: the caller may go on).  Free b with pem_block_free
 * whatever the result. */
int pem_next(const char **cursor, struct pem_block *b);
void pem_block_free(struct pem_block *b);

/* Whether a file is DER rather than PEM: it starts with a SEQUENCE. */
bool pem_looks_like_der(const unsigned char *text, size_t len);

/* Is label one of the spellings of a certificate block? */
bool pem_is_certificate(const char *label);

#endif
