/*
 * fuzz: what the libFuzzer targets in this directory share — NSS brought
 * up once without a database, the test fixtures as NSS certificates, the
 * fuzz bytes as a file path (for parsers that read files) or as the
 * answers of a peer on a socket pair (for the plaintext dialogues and the
 * trace layer), and a cursor that takes typed values from the bytes.
 * Each target calls the real parser of the nsstls-core library; nothing
 * here re-implements one.
 */
#ifndef NSSTLS_FUZZ_H
#define NSSTLS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cert.h>
#include <prio.h>

#include "cli.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* NSS_NoDB_Init once per process, the fixtures loaded as temporary
 * certificates (so issuer lookups by name find them).  Aborts on
 * failure: a harness without NSS would test nothing. */
void fuzz_nss_init(void);

/* A fixture certificate (tests/fixtures/NAME.crt), decoded once, owned by
 * the harness for the whole run. */
CERTCertificate *fuzz_fixture_cert(const char *name);

/* The path of a file of the source tree, and of a test fixture (valid
 * until the next call). */
const char *fuzz_source_path(const char *file);
const char *fuzz_fixture_path(const char *file);

/* The bytes as a file: a path (/proc/self/fd/N of a memory file, nothing
 * on disk) valid until the next call with the same slot (0 or 1). */
const char *fuzz_file(int slot, const uint8_t *data, size_t size);

/* A connected socket pair: the bytes are waiting to be read on the
 * returned end, followed by end of file; what is sent on it is
 * swallowed.  Close it and then *peer with PR_Close.  At most
 * FUZZ_PEER_MAX bytes are delivered (a socket buffer's worth). */
#define FUZZ_PEER_MAX 65536
PRFileDesc *fuzz_peer(const uint8_t *data, size_t size, PRFileDesc **peer);

/* Options as cli_parse makes them from argv (NULL-terminated); aborts if
 * the harness's own arguments are refused. */
void fuzz_opts(struct nsstls_opts *o, const char *const *argv);

/* A NUL-terminated copy of the bytes (free it). */
char *fuzz_cstr(const uint8_t *data, size_t size);

/* Typed values taken from the front of the bytes; zeros once they run
 * out. */
struct fuzz_cursor {
	const uint8_t *p;
	size_t left;
};
uint8_t fuzz_u8(struct fuzz_cursor *c);
uint16_t fuzz_u16(struct fuzz_cursor *c);
uint32_t fuzz_u32(struct fuzz_cursor *c);
uint64_t fuzz_u64(struct fuzz_cursor *c);
bool fuzz_bool(struct fuzz_cursor *c);
/* A value in [0, n). */
size_t fuzz_below(struct fuzz_cursor *c, size_t n);
/* Up to max bytes as a NUL-terminated string (a NUL in the bytes ends
 * it early, as it would any C string); malloc'd. */
char *fuzz_str(struct fuzz_cursor *c, size_t max);

#endif
