/*
 * readahead: bytes a plaintext stage read past its own end, handed to the
 * next stage on the same socket.  An HTTP proxy's answer to CONNECT and
 * the target's first words (an SMTP greeting) may arrive in one segment,
 * so the proxy's reader holds the greeting when it is done; pushed here
 * as an NSPR layer, those bytes are served first to whoever reads the
 * socket next: the STARTTLS dialogue, or SSL itself, which is imported on
 * top of this layer.
 */
#ifndef NSSTLS_READAHEAD_H
#define NSSTLS_READAHEAD_H

#include <stddef.h>

#include <prio.h>

/* Push a layer on top of fd (which keeps pointing at the top of the
 * stack) that serves a copy of data[0..len) before any byte of the
 * socket.  The layer is freed with the stack by PR_Close.  Returns 0, or
 * -1 with the NSPR error set. */
int readahead_push(PRFileDesc *fd, const void *data, size_t len);

#endif
