/*
 * common: the harness helpers every fuzz target shares (see fuzz.h).
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <nss.h>
#include <prinit.h>

#include "certinfo.h"
#include "util.h"

#ifndef FUZZ_SOURCE_ROOT
#error "FUZZ_SOURCE_ROOT (the source tree) must be defined"
#endif

static bool nss_ready;

struct fixture {
	const char *name;
	CERTCertificate *cert;
};
static struct fixture fixtures[16];

/* The certificates the OCSP, CRL and key targets refer to; loading them
 * as temporary certificates lets NSS find an issuer or an OCSP signer by
 * name, as it finds the certificates a server sent. */
static const char *const fixture_names[] = {
	"root-rsa", "int-rsa", "server-rsa", "revoked", "ocsp-rsa",
	"client-rsa", "client-ec", "expired", "muststaple",
};

const char *
fuzz_source_path(const char *file)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", FUZZ_SOURCE_ROOT, file);
	return path;
}

const char *
fuzz_fixture_path(const char *file)
{
	static char rel[1024];

	snprintf(rel, sizeof(rel), "tests/fixtures/%s", file);
	return fuzz_source_path(rel);
}

static unsigned char *
read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0;

	*len = 0;
	if (f == NULL)
		return NULL;
	for (;;) {
		buf = xrealloc(buf, cap + 4097);
		size_t n = fread(buf + *len, 1, 4096, f);

		*len += n;
		cap += 4096;
		if (n < 4096)
			break;
	}
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

static CERTCertificate *
load_fixture(const char *name)
{
	char file[256];
	unsigned char *text;
	size_t len, n = 0;
	int bad = 0;
	SECItem *ders;
	CERTCertificate *c = NULL;

	snprintf(file, sizeof(file), "%s.crt", name);
	text = read_all(fuzz_fixture_path(file), &len);
	if (text == NULL) {
		fprintf(stderr, "fuzz: cannot read %s\n", fuzz_fixture_path(file));
		abort();
	}
	ders = cert_decode_ders(text, len, &n, &bad);
	if (n > 0)
		c = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &ders[0],
		    NULL, PR_FALSE, PR_TRUE);
	cert_ders_free(ders, n);
	free(text);
	if (c == NULL) {
		fprintf(stderr, "fuzz: cannot decode %s\n", file);
		abort();
	}
	return c;
}

void
fuzz_nss_init(void)
{
	if (nss_ready)
		return;
	if (NSS_NoDB_Init(NULL) != SECSuccess) {
		fprintf(stderr, "fuzz: NSS_NoDB_Init failed\n");
		abort();
	}
	for (size_t i = 0; i < sizeof(fixture_names) / sizeof(fixture_names[0]); i++) {
		fixtures[i].name = fixture_names[i];
		fixtures[i].cert = load_fixture(fixture_names[i]);
	}
	nss_ready = true;
}

CERTCertificate *
fuzz_fixture_cert(const char *name)
{
	fuzz_nss_init();
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		if (fixtures[i].name != NULL && strcmp(fixtures[i].name, name) == 0)
			return fixtures[i].cert;
	fprintf(stderr, "fuzz: no fixture %s\n", name);
	abort();
}

const char *
fuzz_file(int slot, const uint8_t *data, size_t size)
{
	static int fds[2] = { -1, -1 };
	static char paths[2][64];

	if (fds[slot] < 0) {
		fds[slot] = memfd_create("nsstls-fuzz", 0);
		if (fds[slot] < 0) {
			perror("fuzz: memfd_create");
			abort();
		}
		snprintf(paths[slot], sizeof(paths[slot]), "/proc/self/fd/%d",
		    fds[slot]);
	}
	if (ftruncate(fds[slot], 0) != 0 ||
	    (size > 0 && pwrite(fds[slot], data, size, 0) != (ssize_t)size)) {
		perror("fuzz: writing the memory file");
		abort();
	}
	return paths[slot];
}

PRFileDesc *
fuzz_peer(const uint8_t *data, size_t size, PRFileDesc **peer)
{
	PRFileDesc *fds[2];

	if (PR_NewTCPSocketPair(fds) != PR_SUCCESS) {
		fprintf(stderr, "fuzz: PR_NewTCPSocketPair failed\n");
		abort();
	}
	if (size > FUZZ_PEER_MAX)
		size = FUZZ_PEER_MAX;
	if (size > 0 && PR_Write(fds[1], data, (PRInt32)size) != (PRInt32)size) {
		fprintf(stderr, "fuzz: cannot fill the socket pair\n");
		abort();
	}
	/* End of file after the bytes: every dialogue ends, none waits
	 * for its timeout. */
	PR_Shutdown(fds[1], PR_SHUTDOWN_SEND);
	*peer = fds[1];
	return fds[0];
}

void
fuzz_opts(struct nsstls_opts *o, const char *const *argv)
{
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	if (cli_parse(argc, (const char **)argv, o) != CLI_RUN) {
		fprintf(stderr, "fuzz: the harness's own options were refused\n");
		abort();
	}
}

char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

uint8_t
fuzz_u8(struct fuzz_cursor *c)
{
	if (c->left == 0)
		return 0;
	c->left--;
	return *c->p++;
}

uint16_t
fuzz_u16(struct fuzz_cursor *c)
{
	uint16_t hi = fuzz_u8(c);

	return (uint16_t)(hi << 8 | fuzz_u8(c));
}

uint32_t
fuzz_u32(struct fuzz_cursor *c)
{
	uint32_t hi = fuzz_u16(c);

	return hi << 16 | fuzz_u16(c);
}

uint64_t
fuzz_u64(struct fuzz_cursor *c)
{
	uint64_t hi = fuzz_u32(c);

	return hi << 32 | fuzz_u32(c);
}

bool
fuzz_bool(struct fuzz_cursor *c)
{
	return fuzz_u8(c) & 1;
}

size_t
fuzz_below(struct fuzz_cursor *c, size_t n)
{
	return n == 0 ? 0 : fuzz_u16(c) % n;
}

char *
fuzz_str(struct fuzz_cursor *c, size_t max)
{
	size_t n = fuzz_below(c, max + 1);
	char *s;

	if (n > c->left)
		n = c->left;
	s = fuzz_cstr(c->p, n);
	c->p += n;
	c->left -= n;
	return s;
}
