/*
 * readahead: an NSPR layer that serves bytes read ahead (see readahead.h).
 *
 * Every method of the default table forwards to the layer below; reads
 * take the held bytes first, and poll reports the socket readable while
 * any are left, since the kernel knows nothing of them: without that,
 * PR_Poll would wait for bytes that already arrived.  Once the held bytes
 * are gone the layer only forwards.
 */
#include "readahead.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <prerror.h>
#include <prinit.h>

#include "util.h"

struct readahead {
	unsigned char *buf;
	size_t len;
	size_t off;                  /* served so far */
};

static PRDescIdentity readahead_id;
static PRIOMethods readahead_methods;
static PRCallOnceType readahead_once;

static size_t
held(const PRFileDesc *fd)
{
	const struct readahead *ra = (const struct readahead *)fd->secret;

	return ra != NULL ? ra->len - ra->off : 0;
}

/* Copy up to amount held bytes into buf; peeking leaves them held. */
static PRInt32
serve(PRFileDesc *fd, void *buf, PRInt32 amount, bool peek)
{
	struct readahead *ra = (struct readahead *)fd->secret;
	size_t n = held(fd);

	if (amount <= 0)
		return 0;
	if (n > (size_t)amount)
		n = (size_t)amount;
	memcpy(buf, ra->buf + ra->off, n);
	if (!peek)
		ra->off += n;
	return (PRInt32)n;
}

static PRInt32 PR_CALLBACK
layer_recv(PRFileDesc *fd, void *buf, PRInt32 amount, PRIntn flags,
    PRIntervalTime timeout)
{
	if (held(fd) > 0)
		return serve(fd, buf, amount, (flags & PR_MSG_PEEK) != 0);
	return fd->lower->methods->recv(fd->lower, buf, amount, flags, timeout);
}

static PRInt32 PR_CALLBACK
layer_read(PRFileDesc *fd, void *buf, PRInt32 amount)
{
	if (held(fd) > 0)
		return serve(fd, buf, amount, false);
	return fd->lower->methods->read(fd->lower, buf, amount);
}

static PRInt64 PR_CALLBACK
layer_available64(PRFileDesc *fd)
{
	PRInt64 n = fd->lower->methods->available64(fd->lower);

	return n < 0 ? n : n + (PRInt64)held(fd);
}

static PRInt32 PR_CALLBACK
layer_available(PRFileDesc *fd)
{
	PRInt32 n = fd->lower->methods->available(fd->lower);

	return n < 0 ? n : n + (PRInt32)held(fd);
}

/* PR_Poll asks each stack first: a read bit in both the returned flags
 * and *out_flags means "ready now", without waiting on the socket. */
static PRInt16 PR_CALLBACK
layer_poll(PRFileDesc *fd, PRInt16 in_flags, PRInt16 *out_flags)
{
	PRInt16 flags = fd->lower->methods->poll(fd->lower, in_flags, out_flags);

	if ((in_flags & PR_POLL_READ) && held(fd) > 0) {
		*out_flags |= PR_POLL_READ;
		flags |= PR_POLL_READ;
	}
	return flags;
}

static PRStatus PR_CALLBACK
layer_close(PRFileDesc *fd)
{
	struct readahead *ra = (struct readahead *)fd->secret;

	if (ra != NULL) {
		free(ra->buf);
		free(ra);
		fd->secret = NULL;
	}
	return PR_GetDefaultIOMethods()->close(fd);
}

static PRStatus
readahead_init(void)
{
	readahead_id = PR_GetUniqueIdentity("nsstls-readahead");
	if (readahead_id == PR_INVALID_IO_LAYER)
		return PR_FAILURE;
	readahead_methods = *PR_GetDefaultIOMethods();
	readahead_methods.close = layer_close;
	readahead_methods.recv = layer_recv;
	readahead_methods.read = layer_read;
	readahead_methods.available = layer_available;
	readahead_methods.available64 = layer_available64;
	readahead_methods.poll = layer_poll;
	return PR_SUCCESS;
}

int
readahead_push(PRFileDesc *fd, const void *data, size_t len)
{
	struct readahead *ra;
	PRFileDesc *layer;

	/* Once per process; multi-target workers may race here. */
	if (PR_CallOnce(&readahead_once, readahead_init) != PR_SUCCESS)
		return -1;
	layer = PR_CreateIOLayerStub(readahead_id, &readahead_methods);
	if (layer == NULL)
		return -1;
	ra = xcalloc(1, sizeof(*ra));
	ra->buf = xmalloc(len > 0 ? len : 1);
	memcpy(ra->buf, data, len);
	ra->len = len;
	layer->secret = (PRFilePrivate *)ra;
	if (PR_PushIOLayer(fd, PR_TOP_IO_LAYER, layer) != PR_SUCCESS) {
		free(ra->buf);
		free(ra);
		layer->secret = NULL;
		layer->dtor(layer);
		return -1;
	}
	return 0;
}
