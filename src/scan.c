/*
 * scan: the --scan driver (see scan.h).
 *
 * Two rounds of tasks, each round run by --scan-jobs threads: first one
 * task per protocol version (TLS versions through NSS, enumerating the
 * suites in the server's order as they go: offer all, remove the chosen,
 * repeat; SSL 2/3 by raw ClientHello), then everything that depends on
 * the versions found — order confirmation, suites NSS lacks, groups,
 * signature schemes, certificates, features.  A task runs its probes one
 * after the other; tasks run side by side.
 */
#include "scan.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pk11pub.h>
#include <ssl.h>
#include <sslerr.h>
#include <sslproto.h>

#include "check.h"
#include "dial.h"
#include "ech.h"
#include "names.h"
#include "out.h"
#include "scan_probe.h"
#include "scan_suites.h"
#include "starttls.h"
#include "util.h"

const uint16_t scan_versions[SCAN_N_VERSIONS] = {
	RAWHELLO_SSL2, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304,
};

struct scan;

struct task {
	void (*run)(struct scan *sc, const struct task *t);
	int vi;                  /* index into scan_versions */
	unsigned arg;
};

/* The answer to a TLS 1.3 hello with an FFDHE key share (ffdhe_share). */
struct share_answer {
	bool answered;
	bool hrr;
};

struct scan {
	struct scan_ctx ctx;
	struct scan_result *res;
	struct task *tasks;
	size_t n_tasks, next;
	struct share_answer ffdhe[5];    /* ffdhe2048 ... ffdhe8192 */
};

/* ---- the model ------------------------------------------------------ */

const char *
scan_state_str(enum scan_state s)
{
	static const char *const names[] = { "untested", "no", "yes", "unknown",
		"not testable" };

	return names[s];
}

const char *
scan_early_str(enum scan_early e)
{
	static const char *const names[] = { NULL, "not offered", "accepted",
		"rejected" };

	return names[e];
}

const struct scan_version *
scan_version_get(const struct scan_result *res, uint16_t version)
{
	for (int i = 0; i < SCAN_N_VERSIONS; i++)
		if (res->versions[i].version == version)
			return &res->versions[i];
	return NULL;
}

void
scan_add_finding(struct scan_result *res, enum severity sev, const char *id,
    const char *fmt, ...)
{
	struct scan_finding *f;
	va_list ap;

	res->findings = xrealloc(res->findings,
	    (res->n_findings + 1) * sizeof(*res->findings));
	f = &res->findings[res->n_findings++];
	f->severity = sev;
	f->id = id;
	va_start(ap, fmt);
	if (vasprintf(&f->text, fmt, ap) < 0)
		abort();
	va_end(ap);
}

static void
add_suite(struct scan *sc, int vi, uint16_t id, bool raw, unsigned group,
    int bits)
{
	struct scan_version *v = &sc->res->versions[vi];

	/* NSS names no group for RSA key transport and a custom one for
	 * plain DHE: only real named groups are kept. */
	if (group >= 0x10000)
		group = 0;
	pthread_mutex_lock(&sc->ctx.lock);
	v->suites = xrealloc(v->suites, (v->n_suites + 1) * sizeof(*v->suites));
	v->suites[v->n_suites++] = (struct scan_suite){ id, raw, group, bits };
	pthread_mutex_unlock(&sc->ctx.lock);
}

static void
add_group(struct scan *sc, int vi, unsigned id, bool hrr, bool raw)
{
	struct scan_version *v = &sc->res->versions[vi];

	pthread_mutex_lock(&sc->ctx.lock);
	v->groups = xrealloc(v->groups, (v->n_groups + 1) * sizeof(*v->groups));
	v->groups[v->n_groups++] = (struct scan_group){ id, false, hrr, raw };
	pthread_mutex_unlock(&sc->ctx.lock);
}

static void
set_state(struct scan *sc, enum scan_state *field, enum scan_state st)
{
	pthread_mutex_lock(&sc->ctx.lock);
	*field = st;
	pthread_mutex_unlock(&sc->ctx.lock);
}

static enum scan_state
state_of(enum probe_outcome out, bool yes)
{
	return out == PROBE_LOST ? SCAN_UNKNOWN : yes ? SCAN_YES : SCAN_NO;
}

static bool
supported(const struct scan *sc, int vi)
{
	return sc->res->versions[vi].state == SCAN_YES;
}

/* Remove id from list[0..*n). */
static void
drop(uint16_t *list, size_t *n, uint16_t id)
{
	for (size_t i = 0; i < *n; i++)
		if (list[i] == id) {
			memmove(&list[i], &list[i + 1], (*n - i - 1) * sizeof(*list));
			(*n)--;
			return;
		}
}

/* ---- round 1: versions and their suites ----------------------------- */

/* The suites NSS can offer at version v. */
static uint16_t *
nss_suites(uint16_t v, size_t *n)
{
	const PRUint16 *impl = SSL_GetImplementedCiphers();
	uint16_t *out = xcalloc(SSL_GetNumImplementedCiphers(), sizeof(*out));

	*n = 0;
	for (PRUint16 i = 0; i < SSL_GetNumImplementedCiphers(); i++)
		if ((v == 0x0304) == ((impl[i] >> 8) == 0x13))
			out[(*n)++] = impl[i];
	return out;
}

static bool
listed(const uint16_t *list, size_t n, uint16_t id)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == id)
			return true;
	return false;
}

static uint16_t *registry_suites(uint16_t v, bool nss_too, size_t *n);
static bool raw_enumerate(struct scan *sc, int vi, uint16_t *left, size_t n,
    enum probe_outcome *out);

/* Offer every suite, take the chosen one out, offer the rest, until the
 * server refuses: the accepted suites in the server's order, one
 * connection each (and one for the refusal). */
static void
version_tls(struct scan *sc, const struct task *t)
{
	uint16_t v = scan_versions[t->vi];
	size_t n;
	uint16_t *left = nss_suites(v, &n);
	enum probe_outcome out = PROBE_REFUSED;
	bool any = false;

	while (n > 0) {
		struct probe p = { .vmin = v, .vmax = v, .suites = left, .n_suites = n };

		out = scan_probe_tls(&sc->ctx, &p);
		if (out != PROBE_ACCEPTED || p.hs.version != v ||
		    !listed(left, n, p.hs.suite))
			break;
		any = true;
		add_suite(sc, t->vi, p.hs.suite, false, p.hs.group, p.hs.kea_bits);
		drop(left, &n, p.hs.suite);
	}
	free(left);
	/* A server that takes none of NSS's suites may still take others:
	 * then only the raw hello tells that the version is accepted. */
	if (!any && out == PROBE_REFUSED) {
		left = registry_suites(v, false, &n);
		any = raw_enumerate(sc, t->vi, left, n, &out);
		sc->res->versions[t->vi].raw_done = true;
		free(left);
	}
	set_state(sc, &sc->res->versions[t->vi].state,
	    any ? SCAN_YES : state_of(out, false));
}

/* Every registry suite up to version v (SSL 3 to TLS 1.2), skipping
 * those NSS offers itself when nss_too is false. */
static uint16_t *
registry_suites(uint16_t v, bool nss_too, size_t *n)
{
	uint16_t *out = xcalloc(scan_suites_len, sizeof(*out));
	SSLCipherSuiteInfo info;

	*n = 0;
	for (size_t i = 0; i < scan_suites_len; i++) {
		const struct scan_suite_info *s = &scan_suites[i];
		bool in_nss = SSL_GetCipherSuiteInfo(s->id, &info,
		    sizeof(info)) == SECSuccess;

		if (s->min_version > v || (s->min_version == 0x0304) != (v == 0x0304))
			continue;
		if (!nss_too && in_nss)
			continue;
		out[(*n)++] = s->id;
	}
	return out;
}

/* The same enumeration with hand-built ClientHellos.  Returns whether
 * the server accepted any; *out the last outcome. */
static bool
raw_enumerate(struct scan *sc, int vi, uint16_t *left, size_t n,
    enum probe_outcome *out)
{
	uint16_t v = scan_versions[vi];
	bool any = false;

	*out = PROBE_REFUSED;
	while (n > 0) {
		struct rawhello_spec spec = { .version = v, .suites = left,
			.n_suites = n };
		struct rawhello_answer a;

		*out = scan_probe_raw(&sc->ctx, &spec, &a);
		if (*out != PROBE_ACCEPTED || a.version != v ||
		    !listed(left, n, a.suite))
			break;
		any = true;
		add_suite(sc, vi, a.suite, true, 0, 0);
		drop(left, &n, a.suite);
	}
	return any;
}

/* SSL 2 and 3: NSS 3.87 cannot offer either, the raw hello can. */
static void
version_raw(struct scan *sc, const struct task *t)
{
	uint16_t v = scan_versions[t->vi];
	enum probe_outcome out;
	bool yes;

	if (v == RAWHELLO_SSL2) {
		struct rawhello_spec spec = { .version = v };
		struct rawhello_answer a;

		out = scan_probe_raw(&sc->ctx, &spec, &a);
		yes = out == PROBE_ACCEPTED && a.kind == RAWHELLO_SSL2_HELLO;
	} else {
		size_t n;
		uint16_t *all = registry_suites(v, true, &n);

		yes = raw_enumerate(sc, t->vi, all, n, &out);
		free(all);
	}
	set_state(sc, &sc->res->versions[t->vi].state, yes ? SCAN_YES :
	    state_of(out, false));
}

/* ---- round 2: what depends on the versions -------------------------- */

/* Offer the suites found, reversed: a server that keeps its own order
 * still picks its first; one that follows the client picks our first. */
static void
suite_order(struct scan *sc, const struct task *t)
{
	struct scan_version *sv = &sc->res->versions[t->vi];
	uint16_t *rev;
	size_t n = 0;
	struct probe p = { .vmin = sv->version, .vmax = sv->version,
		.in_given_order = true };

	pthread_mutex_lock(&sc->ctx.lock);
	rev = xcalloc(sv->n_suites + 1, sizeof(*rev));
	for (size_t i = sv->n_suites; i-- > 0;)
		if (!sv->suites[i].raw)
			rev[n++] = sv->suites[i].id;
	pthread_mutex_unlock(&sc->ctx.lock);
	p.suites = rev;
	p.n_suites = n;
	if (n >= 2 && scan_probe_tls(&sc->ctx, &p) == PROBE_ACCEPTED) {
		pthread_mutex_lock(&sc->ctx.lock);
		sv->order = p.hs.suite == rev[0] ? ORDER_CLIENT : ORDER_SERVER;
		pthread_mutex_unlock(&sc->ctx.lock);
	}
	free(rev);
}

static void
raw_suites(struct scan *sc, const struct task *t)
{
	size_t n;
	uint16_t *left = registry_suites(scan_versions[t->vi], false, &n);
	enum probe_outcome out;

	(void)raw_enumerate(sc, t->vi, left, n, &out);
	free(left);
}

static const SSLNamedGroup nss_groups[] = {
	ssl_grp_ec_curve25519, ssl_grp_ec_secp256r1, ssl_grp_ec_secp384r1,
	ssl_grp_ec_secp521r1, ssl_grp_ffdhe_2048, ssl_grp_ffdhe_3072,
	ssl_grp_ffdhe_4096, ssl_grp_ffdhe_6144, ssl_grp_ffdhe_8192,
};

/* Every TLS 1.3 group a server may take, for raw hellos: NSS's own,
 * and those NSS 3.87 lacks (x448, the TLS 1.3 brainpool curves, the
 * ML-KEM and Kyber hybrids). */
static const uint16_t groups13[] = {
	0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104,
	0x001e, 0x001f, 0x0020, 0x0021, 0x11ec, 0x11eb, 0x11ed, 0x6399,
};

static bool
nss_has_group(unsigned g)
{
	for (size_t i = 0; i < sizeof(nss_groups) / sizeof(nss_groups[0]); i++)
		if ((unsigned)nss_groups[i] == g)
			return true;
	return false;
}

/* For each group found: does a client that sends a key share for it get
 * on with the handshake (a ServerHello naming it), or still get a
 * HelloRetryRequest (the server wants another group first)?  The share
 * is one the server can take (rawhello.c); only its first answer is
 * read.  Groups whose share we cannot make (the TLS 1.3 brainpool
 * curves) stay untested; FFDHE is asked by ffdhe_share. */
static void
groups13_shares(struct scan *sc, int vi)
{
	struct scan_version *sv = &sc->res->versions[vi];
	uint16_t found[sizeof(groups13) / sizeof(groups13[0])];
	uint16_t suites[] = { 0x1301, 0x1302, 0x1303, 0x1304, 0x1305 };
	size_t n = sv->n_groups;

	for (size_t i = 0; i < n; i++)
		found[i] = (uint16_t)sv->groups[i].id;
	for (size_t i = 0; i < n; i++) {
		struct rawhello_spec spec = { .version = 0x0304, .suites = suites,
			.n_suites = 5, .groups = found, .n_groups = n,
			.share_group = found[i] };
		struct rawhello_answer a;

		if (!rawhello_can_share(found[i]) || (found[i] >> 8) == 0x01 ||
		    scan_probe_raw(&sc->ctx, &spec, &a) != PROBE_ACCEPTED ||
		    (a.kind == RAWHELLO_SERVER_HELLO && a.group != found[i]))
			continue;
		pthread_mutex_lock(&sc->ctx.lock);
		sv->groups[i].share_tested = true;
		sv->groups[i].hrr = a.kind == RAWHELLO_HRR;
		pthread_mutex_unlock(&sc->ctx.lock);
	}
}

/* FFDHE shares are asked for ffdhe2048 to ffdhe4096 only: each share
 * the server takes costs it a key generation (measured on OpenSSL: 12,
 * 30, 53 ms; then 123 and 259 ms for ffdhe6144 and ffdhe8192), and a
 * single-threaded server (openssl s_server) serves every other probe
 * after it — the two largest would add half a second to a scan, for
 * shares no client sends. */
#define FFDHE_SHARES 3

/* The same question for one FFDHE group, asked without waiting for the
 * groups found (the key generation it costs runs side by side with the
 * enumeration).  Every TLS 1.3 group is listed, so a server that
 * prefers another still says so in a HelloRetryRequest; the answer counts
 * only for a group the enumeration finds (ffdhe_apply). */
static void
ffdhe_share(struct scan *sc, const struct task *t)
{
	uint16_t suites[] = { 0x1301, 0x1302, 0x1303, 0x1304, 0x1305 };
	struct rawhello_spec spec = { .version = 0x0304, .suites = suites,
		.n_suites = 5, .groups = groups13,
		.n_groups = sizeof(groups13) / sizeof(groups13[0]),
		.share_group = (uint16_t)(0x0100 + t->arg) };
	struct rawhello_answer a;

	if (scan_probe_raw(&sc->ctx, &spec, &a) != PROBE_ACCEPTED ||
	    (a.kind == RAWHELLO_SERVER_HELLO && a.group != spec.share_group))
		return;
	pthread_mutex_lock(&sc->ctx.lock);
	sc->ffdhe[t->arg] = (struct share_answer){ true, a.kind == RAWHELLO_HRR };
	pthread_mutex_unlock(&sc->ctx.lock);
}

static void
ffdhe_apply(struct scan *sc)
{
	struct scan_version *sv = &sc->res->versions[SCAN_N_VERSIONS - 1];

	for (size_t i = 0; i < sv->n_groups; i++) {
		unsigned k = sv->groups[i].id - 0x0100;

		if (k < 5 && sc->ffdhe[k].answered) {
			sv->groups[i].share_tested = true;
			sv->groups[i].hrr = sc->ffdhe[k].hrr;
		}
	}
}

/* TLS 1.3 groups in the server's order, with no key exchange at all:
 * an empty key_share makes a server that takes one of the offered groups
 * name it in a HelloRetryRequest.  Offer all, remove the named one,
 * repeat — one cheap connection per group, none of them an FFDHE
 * computation. */
static void
groups13_raw(struct scan *sc, int vi)
{
	uint16_t left[sizeof(groups13) / sizeof(groups13[0])];
	size_t n = sizeof(groups13) / sizeof(groups13[0]);
	uint16_t suites[] = { 0x1301, 0x1302, 0x1303, 0x1304, 0x1305 };

	memcpy(left, groups13, sizeof(groups13));
	while (n > 0) {
		struct rawhello_spec spec = { .version = 0x0304, .suites = suites,
			.n_suites = 5, .groups = left, .n_groups = n,
			.no_key_share = true };
		struct rawhello_answer a;

		if (scan_probe_raw(&sc->ctx, &spec, &a) != PROBE_ACCEPTED ||
		    a.kind != RAWHELLO_HRR || !listed(left, n, a.group))
			break;
		add_group(sc, vi, a.group, false, !nss_has_group(a.group));
		drop(left, &n, a.group);
	}
	groups13_shares(sc, vi);
}

/* TLS 1.2 curves NSS 3.87 cannot offer: x448, brainpool, and the other
 * SEC 2 prime and binary curves of RFC 4492. */
static const uint16_t groups12_lacking[] = {
	0x001e, 0x001a, 0x001b, 0x001c, 0x0016, 0x0015, 0x0014, 0x0013,
	0x0012, 0x0011, 0x0010, 0x000f, 0x000e, 0x000d, 0x000c, 0x000b,
	0x000a, 0x0009, 0x0008, 0x0007, 0x0006, 0x0005, 0x0004, 0x0003,
	0x0002, 0x0001,
};

/* Every registry suite of one key exchange ("ECDHE", "DHE") a client
 * may offer at version v. */
static uint16_t *
kx_suites(uint16_t v, const char *kx, size_t *n)
{
	uint16_t *out = xcalloc(scan_suites_len, sizeof(*out));

	*n = 0;
	for (size_t i = 0; i < scan_suites_len; i++)
		if (scan_suites[i].min_version <= v &&
		    strcmp(scan_suite_kx(&scan_suites[i]), kx) == 0)
			out[(*n)++] = scan_suites[i].id;
	return out;
}

/* TLS 1.2 curves NSS lacks: raw hellos offering ECDHE suites and those
 * curves alone, read on to the ServerKeyExchange, which names the curve
 * chosen; remove it and repeat, in the server's order. */
static void
groups12_raw(struct scan *sc, const struct task *t)
{
	uint16_t v = scan_versions[t->vi];
	uint16_t left[sizeof(groups12_lacking) / sizeof(groups12_lacking[0])];
	size_t n = sizeof(left) / sizeof(left[0]), n_suites;
	uint16_t *suites = kx_suites(v, "ECDHE", &n_suites);

	memcpy(left, groups12_lacking, sizeof(left));
	while (n > 0 && n_suites > 0) {
		struct rawhello_spec spec = { .version = v, .suites = suites,
			.n_suites = n_suites, .groups = left, .n_groups = n,
			.read_kx = RAWHELLO_KX_ECDHE };
		struct rawhello_answer a;

		if (scan_probe_raw(&sc->ctx, &spec, &a) != PROBE_ACCEPTED ||
		    a.version != v || !a.ske || !listed(left, n, a.ske_group))
			break;
		add_group(sc, t->vi, a.ske_group, false, true);
		drop(left, &n, a.ske_group);
	}
	free(suites);
}

/* The well-known prime p is, compared by value (its SHA-256), or NULL:
 * the RFC 7919 groups, the RFC 3526 MODP groups (OpenSSL's own choice
 * for DHE), the RFC 5114 groups. */
static const char *
known_prime(const uint8_t *p, size_t len)
{
	static const struct { size_t len; const char *name, *sha256; } known[] = {
		{ 256, "ffdhe2048", "9cd3b7f336872f46c09428d1bbc19877a4d440512cda8d1c1cf0cd6e33698966" },
		{ 384, "ffdhe3072", "0eaf67db3a839156d5013494a5318a772b5697d270d721f37f092efc69ea5a17" },
		{ 512, "ffdhe4096", "4648414224ac881b3d0dc59b466f96d06a558278776807797ecf1f66ff397b3e" },
		{ 768, "ffdhe6144", "227ac9066b3ddd9e193670cda2388fa884f65ba0cf98b742d1fe77a6687c79c7" },
		{ 1024, "ffdhe8192", "770b14efaf6f049929c523113b3fa99a8d11dab1b18af3609590122075d19833" },
		{ 192, "modp1536", "64fcc83ec403930bf18393dbc883ccaa1fbb08ac876f77f7aa99748ca945019b" },
		{ 256, "modp2048", "d66436f79bbd6b2e38c0ffbd079be904d2641415e2e67140e09448be9a60890e" },
		{ 384, "modp3072", "48cf8b092fbce4359d9871abf74f98e25b6163379eaa15cd9087e800c6d1c55c" },
		{ 512, "modp4096", "4ee95187682bcb230ad26a95205f6920e84708f6251b3894329b09ec23919e33" },
		{ 768, "modp6144", "d1bfe6d0925ce7e4da262b62861514a7755e35831e429f343e7b864848657efd" },
		{ 1024, "modp8192", "39ab4feab950a3128fb71accb9fc3965d857012e081998a85996e3ea8b3c3bcf" },
		{ 128, "rfc5114-1024-160", "44c55cfee5c075927cf682da5b681bdecbd5c3eb0784c14f5dce7610f0ef133d" },
		{ 256, "rfc5114-2048-224", "bfe545862ca102ad1eeddb5fbfa5bf855ac4995c56a8b408ce3fe099dce93a9d" },
		{ 256, "rfc5114-2048-256", "0b7835722cb619827610c2549fdda5587421686c4409a13865e76225522ddcc9" },
	};
	unsigned char d[32];
	char hex[65];

	if (PK11_HashBuf(SEC_OID_SHA256, d, p, (PRInt32)len) != SECSuccess)
		return NULL;
	util_hex(d, sizeof(d), 0, hex);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].len == len && strcmp(hex, known[i].sha256) == 0)
			return known[i].name;
	return NULL;
}

/* TLS 1.2 DHE: a raw hello with every DHE suite (DSS too, which NSS
 * lacks) and only elliptic curves listed, so the server uses the prime
 * it is configured with; its ServerKeyExchange says which. */
static void
dh_params(struct scan *sc, const struct task *t)
{
	static const uint16_t curves[] = { 0x001d, 0x0017, 0x0018, 0x0019 };
	struct scan_version *sv = &sc->res->versions[t->vi];
	size_t n;
	uint16_t *suites = kx_suites(sv->version, "DHE", &n);
	struct rawhello_spec spec = { .version = sv->version, .suites = suites,
		.n_suites = n, .groups = curves, .n_groups = 4,
		.read_kx = RAWHELLO_KX_DHE };
	struct rawhello_answer a;

	if (n > 0 && scan_probe_raw(&sc->ctx, &spec, &a) == PROBE_ACCEPTED &&
	    a.version == sv->version && a.ske && a.dh_p_len > 0) {
		const char *name = a.dh_p_len <= sizeof(a.dh_p) ?
		    known_prime(a.dh_p, a.dh_p_len) : NULL;

		pthread_mutex_lock(&sc->ctx.lock);
		sv->dh_bits = a.dh_bits;
		sv->dh_prime = name;
		pthread_mutex_unlock(&sc->ctx.lock);
	}
	free(suites);
}

/* TLS 1.2 ECDHE groups in the server's order (offer all, remove the
 * chosen) through NSS, which sees the group in the ServerKeyExchange;
 * TLS 1.3 by raw hellos. */
static void
groups(struct scan *sc, const struct task *t)
{
	uint16_t v = scan_versions[t->vi];
	SSLNamedGroup left[4];
	size_t n = 4, n_suites, k = 0;
	uint16_t *suites;

	if (v == 0x0304) {
		groups13_raw(sc, t->vi);
		return;
	}
	suites = nss_suites(v, &n_suites);
	memcpy(left, nss_groups, sizeof(left));
	/* Only ECDHE suites, so the group is the choice. */
	for (size_t i = 0; i < n_suites; i++) {
		SSLCipherSuiteInfo info;

		if (SSL_GetCipherSuiteInfo(suites[i], &info, sizeof(info)) ==
		    SECSuccess && info.keaType == ssl_kea_ecdh)
			suites[k++] = suites[i];
	}
	n_suites = k;
	while (n > 0 && n_suites > 0) {
		struct probe p = { .vmin = v, .vmax = v, .suites = suites,
			.n_suites = n_suites, .groups = left, .n_groups = n };
		size_t i;

		if (scan_probe_tls(&sc->ctx, &p) != PROBE_ACCEPTED)
			break;
		for (i = 0; i < n && left[i] != p.hs.group; i++)
			;
		if (i == n)
			break;
		add_group(sc, t->vi, p.hs.group, false, false);
		memmove(&left[i], &left[i + 1], (n - i - 1) * sizeof(*left));
		n--;
	}
	free(suites);
}

/* One signature scheme offered alone: can the server sign with it? */
static void
sigalg(struct scan *sc, const struct task *t)
{
	uint16_t v = scan_versions[t->vi];
	SSLSignatureScheme one = (SSLSignatureScheme)t->arg;
	struct probe p = { .vmin = v, .vmax = v, .sigalgs = &one, .n_sigalgs = 1 };
	struct scan_version *sv = &sc->res->versions[t->vi];

	if (scan_probe_tls(&sc->ctx, &p) != PROBE_ACCEPTED ||
	    p.hs.sig_scheme != (unsigned)one)
		return;
	pthread_mutex_lock(&sc->ctx.lock);
	sv->sigalgs = xrealloc(sv->sigalgs, (sv->n_sigalgs + 1) * sizeof(unsigned));
	sv->sigalgs[sv->n_sigalgs++] = one;
	pthread_mutex_unlock(&sc->ctx.lock);
}

/* The TLS versions found (TLS 1.0 to 1.3): lowest and highest, or
 * false when none. */
static bool
tls_range(const struct scan *sc, uint16_t *lo, uint16_t *hi)
{
	*lo = *hi = 0;
	for (int i = 2; i < SCAN_N_VERSIONS; i++)
		if (supported(sc, i)) {
			if (*lo == 0)
				*lo = scan_versions[i];
			*hi = scan_versions[i];
		}
	return *lo != 0;
}

/* The highest of TLS 1.0-1.2 found, or 0. */
static uint16_t
best12(const struct scan *sc)
{
	for (int i = 4; i >= 2; i--)
		if (supported(sc, i))
			return scan_versions[i];
	return 0;
}

static bool
suite_auth_is(uint16_t id, bool ecdsa)
{
	SSLCipherSuiteInfo info;

	if (SSL_GetCipherSuiteInfo(id, &info, sizeof(info)) != SECSuccess)
		return false;
	if (info.authType == ssl_auth_tls13_any)
		return true;
	return ecdsa ? info.authType == ssl_auth_ecdsa :
	    info.authType == ssl_auth_rsa_sign || info.authType == ssl_auth_rsa_decrypt ||
	    info.authType == ssl_auth_rsa_pss;
}

static const SSLSignatureScheme ecdsa_schemes[] = {
	ssl_sig_ecdsa_secp256r1_sha256, ssl_sig_ecdsa_secp384r1_sha384,
	ssl_sig_ecdsa_secp521r1_sha512, ssl_sig_ecdsa_sha1,
};
static const SSLSignatureScheme rsa_schemes[] = {
	ssl_sig_rsa_pss_rsae_sha256, ssl_sig_rsa_pss_rsae_sha384,
	ssl_sig_rsa_pss_rsae_sha512, ssl_sig_rsa_pss_pss_sha256,
	ssl_sig_rsa_pss_pss_sha384, ssl_sig_rsa_pss_pss_sha512,
	ssl_sig_rsa_pkcs1_sha256, ssl_sig_rsa_pkcs1_sha384,
	ssl_sig_rsa_pkcs1_sha512, ssl_sig_rsa_pkcs1_sha1,
};

/* A certificate the server can present: the default one, the one for
 * ECDSA-only or RSA-only clients, the one without SNI; each verified as
 * in connect mode (the probe's report keeps the chain and verdict). */
static void
certificate(struct scan *sc, const struct task *t)
{
	static const char *const labels[] = { "default", "ECDSA", "RSA", "no SNI" };
	struct probe p = { .keep_report = true, .no_sni = t->arg == 3 };
	uint16_t *suites = NULL;
	size_t n = 0, total = SSL_GetNumImplementedCiphers();
	const PRUint16 *impl = SSL_GetImplementedCiphers();

	(void)tls_range(sc, &p.vmin, &p.vmax);
	if (t->arg == 1 || t->arg == 2) {
		bool ecdsa = t->arg == 1;

		suites = xcalloc(total, sizeof(*suites));
		for (size_t i = 0; i < total; i++)
			if (suite_auth_is(impl[i], ecdsa))
				suites[n++] = impl[i];
		p.suites = suites;
		p.n_suites = n;
		p.sigalgs = ecdsa ? ecdsa_schemes : rsa_schemes;
		p.n_sigalgs = ecdsa ? 4 : 10;
	}
	if (scan_probe_tls(&sc->ctx, &p) == PROBE_ACCEPTED && p.report->n_sent > 0) {
		struct scan_result *res = sc->res;

		pthread_mutex_lock(&sc->ctx.lock);
		res->certs = xrealloc(res->certs, (res->n_certs + 1) * sizeof(*res->certs));
		res->certs[res->n_certs].label = xstrdup(labels[t->arg]);
		res->certs[res->n_certs++].r = p.report;
		pthread_mutex_unlock(&sc->ctx.lock);
		p.report = NULL;
	}
	if (p.report != NULL) {
		report_free(p.report);
		free(p.report);
	}
	free(suites);
}

/* TLS 1.2 (or the best below): secure renegotiation, extended master
 * secret, and whether the server lets the client renegotiate. */
static void
feature_tls12(struct scan *sc, const struct task *t)
{
	struct scan_features *f = &sc->res->f;
	struct probe p = { .renegotiate = true };
	enum probe_outcome out;

	p.vmin = p.vmax = best12(sc);
	out = scan_probe_tls(&sc->ctx, &p);
	pthread_mutex_lock(&sc->ctx.lock);
	f->secure_reneg = state_of(out, p.secure_reneg);
	f->ems = state_of(out, p.hs.ems);
	f->client_reneg = state_of(out, p.renegotiated);
	pthread_mutex_unlock(&sc->ctx.lock);
	(void)t;
}

/* Two connections sharing a session cache entry: does the second one
 * resume?  arg 0: TLS 1.2 by session ID, 1: TLS 1.2 by ticket, 2: TLS
 * 1.3 ticket. */
static void
feature_resume(struct scan *sc, const struct task *t)
{
	struct scan_features *f = &sc->res->f;
	enum scan_state *field = t->arg == 0 ? &f->resume_id :
	    t->arg == 1 ? &f->resume_ticket : &f->resume_tls13;
	struct probe p = { .session = scan_probe_session_id(),
		.no_tickets = t->arg == 0, .await_tickets = t->arg == 2 };
	enum probe_outcome out;
	bool yes = false;

	p.vmin = p.vmax = t->arg == 2 ? 0x0304 : best12(sc);
	out = scan_probe_tls(&sc->ctx, &p);
	if (out == PROBE_ACCEPTED) {
		struct probe q = p;

		out = scan_probe_tls(&sc->ctx, &q);
		/* A ticket resumption is one whose first handshake got the
		 * promise of a ticket (the resumed one need not repeat it). */
		yes = q.hs.resumed && (t->arg != 1 || p.hs.ticket_offered);
	}
	set_state(sc, field, state_of(out, yes));
}

/* The 0-RTT request: something the server's protocol takes as a no-op,
 * since early data can be replayed.  Plain TLS gets an HTTP HEAD (safe
 * and idempotent, RFC 9110; what RFC 8470 lets a server take early; any
 * other protocol answers it with an error and nothing changes); STARTTLS
 * protocols their NOOP.  NULL for the binary protocols, where no byte is
 * harmless. */
static char *
early_payload(const struct nsstls_opts *o)
{
	static const char *const noop[][2] = {
		{ "smtp", "NOOP\r\n" }, { "submission", "NOOP\r\n" },
		{ "lmtp", "NOOP\r\n" }, { "imap", "a NOOP\r\n" },
		{ "pop3", "NOOP\r\n" }, { "ftp", "NOOP\r\n" },
		{ "sieve", "NOOP\r\n" }, { "nntp", "DATE\r\n" },
		{ "irc", "PING nsstls\r\n" },
		{ "xmpp", " " }, { "xmpp-server", " " },  /* whitespace ping */
	};
	char *req;

	if (o->starttls == NULL) {
		if (asprintf(&req, "HEAD / HTTP/1.1\r\nHost: %s\r\n"
		    "Connection: close\r\n\r\n", o->servername ?
		    o->servername : o->target.host) < 0)
			abort();
		return req;
	}
	for (size_t i = 0; i < sizeof(noop) / sizeof(noop[0]); i++)
		if (strcmp(noop[i][0], starttls_name(o->starttls)) == 0)
			return xstrdup(noop[i][1]);
	return NULL;
}

static void
set_early(struct scan *sc, enum scan_state st, enum scan_early e,
    int64_t max, size_t sent)
{
	struct scan_features *f = &sc->res->f;

	pthread_mutex_lock(&sc->ctx.lock);
	f->early_data = st;
	f->early_result = e;
	f->early_max = max;
	f->early_sent = sent;
	pthread_mutex_unlock(&sc->ctx.lock);
}

/* 0-RTT: a first connection reads the server's TLS 1.3 tickets (their
 * terms say whether early data may come); when one allows it, a second
 * connection resumes with it and sends early_payload() as 0-RTT data.
 * The server's answer says accepted or rejected. */
static void
feature_early(struct scan *sc, const struct task *t)
{
	/* NSS hands tickets over only to a socket that caches sessions. */
	struct probe p = { .vmin = 0x0304, .vmax = 0x0304, .await_tickets = true,
		.read_tickets = true, .session = scan_probe_session_id() };
	enum probe_outcome out = scan_probe_tls(&sc->ctx, &p);
	char *req = early_payload(sc->ctx.o);

	(void)t;
	if (out != PROBE_ACCEPTED || !p.got_ticket)
		set_early(sc, out == PROBE_REFUSED ? SCAN_NO : SCAN_UNKNOWN,
		    EARLY_UNTESTED, -1, 0);
	else if (p.max_early_data == 0)
		set_early(sc, SCAN_NO, EARLY_NOT_OFFERED, 0, 0);
	else if (req == NULL)
		set_early(sc, SCAN_NOT_TESTABLE, EARLY_UNTESTED, p.max_early_data, 0);
	else {
		/* NSS sends psk_key_exchange_modes only from a socket that
		 * caches sessions (hence .session). */
		struct probe q = { .vmin = 0x0304, .vmax = 0x0304,
			.session = p.session, .token = p.ticket, .token_len = p.ticket_len,
			.early = (const unsigned char *)req, .early_len = strlen(req) };

		out = scan_probe_tls(&sc->ctx, &q);
		if (out != PROBE_ACCEPTED)
			set_early(sc, state_of(out, false), EARLY_UNTESTED,
			    p.max_early_data, 0);
		else if (q.early_sent == 0)     /* NSS would not use the ticket */
			set_early(sc, SCAN_UNKNOWN, EARLY_UNTESTED, p.max_early_data, 0);
		else
			set_early(sc, q.hs.early_data_accepted ? SCAN_YES : SCAN_NO,
			    q.hs.early_data_accepted ? EARLY_ACCEPTED : EARLY_REJECTED,
			    p.max_early_data, q.early_sent);
	}
	free(req);
	free(p.ticket);
}

/* ECH with the configs of --ech LIST or --ech auto (the DNS HTTPS
 * record): does the server decrypt the inner ClientHello? */
static void
feature_ech(struct scan *sc, const struct task *t)
{
	struct probe p = { .vmin = 0x0304, .vmax = 0x0304, .ech = true };
	enum probe_outcome out = scan_probe_tls(&sc->ctx, &p);

	set_state(sc, &sc->res->f.ech, state_of(out, p.ech_accepted));
	(void)t;
}

/* The ALPN protocols asked about: h2, http/1.1, then --alpn's. */
static const char *
alpn_name(const struct scan *sc, unsigned k)
{
	static const char *const standard[] = { "h2", "http/1.1" };

	return k < 2 ? standard[k] : sc->ctx.o->alpn[k - 2];
}

static void
feature_alpn(struct scan *sc, const struct task *t)
{
	char *one[] = { (char *)alpn_name(sc, t->arg), NULL };
	struct probe p = { .alpn = one, .n_alpn = 1 };
	struct scan_features *f = &sc->res->f;

	(void)tls_range(sc, &p.vmin, &p.vmax);
	if (scan_probe_tls(&sc->ctx, &p) != PROBE_ACCEPTED ||
	    strcmp(p.hs.alpn, one[0]) != 0)
		return;
	pthread_mutex_lock(&sc->ctx.lock);
	f->alpn = xrealloc(f->alpn, (f->n_alpn + 2) * sizeof(char *));
	f->alpn[f->n_alpn++] = xstrdup(one[0]);
	f->alpn[f->n_alpn] = NULL;
	pthread_mutex_unlock(&sc->ctx.lock);
}

/* TLS_FALLBACK_SCSV with the best version left out: a server that
 * honours it answers inappropriate_fallback. */
static void
feature_fallback(struct scan *sc, const struct task *t)
{
	struct probe p = { .fallback_scsv = true };
	uint16_t lo, hi, below = 0;
	enum probe_outcome out;

	(void)tls_range(sc, &lo, &hi);
	for (int i = 2; i < SCAN_N_VERSIONS; i++)
		if (supported(sc, i) && scan_versions[i] < hi)
			below = scan_versions[i];
	p.vmin = p.vmax = below;
	out = scan_probe_tls(&sc->ctx, &p);
	set_state(sc, &sc->res->f.fallback_scsv, out == PROBE_LOST ? SCAN_UNKNOWN :
	    out == PROBE_REFUSED && p.error == SSL_ERROR_INAPPROPRIATE_FALLBACK_ALERT ?
	    SCAN_YES : out == PROBE_ACCEPTED ? SCAN_NO : SCAN_UNKNOWN);
	(void)t;
}

/* Compression and heartbeat, which NSS never offers: one raw hello at
 * the best version up to TLS 1.2, with the suites the server took. */
static void
feature_raw(struct scan *sc, const struct task *t)
{
	const struct scan_version *sv = &sc->res->versions[t->vi];
	uint16_t *suites = xcalloc(sv->n_suites, sizeof(*suites));
	struct rawhello_spec spec = { .version = sv->version, .suites = suites,
		.n_suites = sv->n_suites, .compression = true, .heartbeat = true };
	struct rawhello_answer a;
	enum probe_outcome out;

	for (size_t i = 0; i < sv->n_suites; i++)
		suites[i] = sv->suites[i].id;
	out = scan_probe_raw(&sc->ctx, &spec, &a);
	pthread_mutex_lock(&sc->ctx.lock);
	sc->res->f.compression = state_of(out, a.compression != 0);
	sc->res->f.heartbeat = state_of(out, a.heartbeat);
	pthread_mutex_unlock(&sc->ctx.lock);
	free(suites);
}

/* ---- scheduling ----------------------------------------------------- */

static void
add_task(struct scan *sc, void (*run)(struct scan *, const struct task *),
    int vi, unsigned arg)
{
	sc->tasks = xrealloc(sc->tasks, (sc->n_tasks + 1) * sizeof(*sc->tasks));
	sc->tasks[sc->n_tasks++] = (struct task){ run, vi, arg };
}

static void *
worker(void *arg)
{
	struct scan *sc = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&sc->ctx.lock);
		i = sc->next < sc->n_tasks ? sc->next++ : sc->n_tasks;
		pthread_mutex_unlock(&sc->ctx.lock);
		if (i == sc->n_tasks)
			return NULL;
		sc->tasks[i].run(sc, &sc->tasks[i]);
	}
}

/* Run the queued tasks on up to --scan-jobs threads, then empty the
 * queue. */
static void
run_tasks(struct scan *sc)
{
	size_t n = (size_t)sc->ctx.o->scan_jobs < sc->n_tasks ?
	    (size_t)sc->ctx.o->scan_jobs : sc->n_tasks;
	pthread_t *th = xcalloc(n + 1, sizeof(*th));

	sc->next = 0;
	for (size_t i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, worker, sc) != 0)
			abort();
	for (size_t i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	free(th);
	free(sc->tasks);
	sc->tasks = NULL;
	sc->n_tasks = 0;
}

static void
queue_round1(struct scan *sc)
{
	/* TLS 1.3 and 1.2 first: they have the most suites to walk. */
	for (int vi = SCAN_N_VERSIONS - 1; vi >= 0; vi--) {
		sc->res->versions[vi].version = scan_versions[vi];
		add_task(sc, vi < 2 ? version_raw : version_tls, vi, 0);
	}
}

static void
queue_round2(struct scan *sc)
{
	const struct nsstls_opts *o = sc->ctx.o;
	uint16_t lo, hi;
	int n_tls = 0;

	if (!tls_range(sc, &lo, &hi))
		return;
	for (int vi = 2; vi < SCAN_N_VERSIONS; vi++) {
		if (!supported(sc, vi))
			continue;
		n_tls++;
		if (sc->res->versions[vi].n_suites >= 2)
			add_task(sc, suite_order, vi, 0);
		if (!sc->res->versions[vi].raw_done)
			add_task(sc, raw_suites, vi, 0);
		if (scan_versions[vi] == 0x0303) {
			add_task(sc, groups12_raw, vi, 0);
			add_task(sc, dh_params, vi, 0);
		}
		if (scan_versions[vi] == 0x0304)
			for (unsigned k = 0; k < FFDHE_SHARES; k++)
				add_task(sc, ffdhe_share, vi, k);
		if (scan_versions[vi] >= 0x0303) {
			add_task(sc, groups, vi, 0);
			for (size_t k = 0; k < names_default_sigalgs_len; k++)
				if (scan_versions[vi] < 0x0304 ||
				    (names_default_sigalgs[k] != ssl_sig_rsa_pkcs1_sha1 &&
				    names_default_sigalgs[k] != ssl_sig_ecdsa_sha1))
					add_task(sc, sigalg, vi, names_default_sigalgs[k]);
		}
	}
	for (unsigned k = 0; k < 4; k++)
		if (k != 3 || o->servername != NULL)
			add_task(sc, certificate, -1, k);
	for (unsigned k = 0; k < 2 + o->n_alpn; k++)
		add_task(sc, feature_alpn, -1, k);
	if (best12(sc) != 0) {
		add_task(sc, feature_tls12, -1, 0);
		add_task(sc, feature_resume, -1, 0);
		add_task(sc, feature_resume, -1, 1);
		for (int vi = 4; vi >= 2; vi--)
			if (supported(sc, vi)) {
				add_task(sc, feature_raw, vi, 0);
				break;
			}
	}
	if (hi == 0x0304) {
		add_task(sc, feature_resume, -1, 2);
		add_task(sc, feature_early, -1, 0);
		if (sc->ctx.ech != NULL)
			add_task(sc, feature_ech, -1, 0);
	}
	if (n_tls >= 2)
		add_task(sc, feature_fallback, -1, 0);
}

/* ---- after the probes ----------------------------------------------- */

/* The same certificate found by several probes is shown once, with
 * every way it was found. */
static void
merge_certs(struct scan_result *res)
{
	size_t k = 0;

	for (size_t i = 0; i < res->n_certs; i++) {
		struct scan_cert *c = &res->certs[i];
		size_t j;

		for (j = 0; j < k; j++)
			if (strcmp(res->certs[j].r->sent[0].sha256, c->r->sent[0].sha256) == 0)
				break;
		if (j < k) {
			char *label;

			if (asprintf(&label, "%s, %s", res->certs[j].label, c->label) < 0)
				abort();
			free(res->certs[j].label);
			res->certs[j].label = label;
			free(c->label);
			report_free(c->r);
			free(c->r);
			continue;
		}
		res->certs[k++] = *c;
	}
	res->n_certs = k;
}

static size_t
sigalg_rank(unsigned s)
{
	for (size_t k = 0; k < names_default_sigalgs_len; k++)
		if ((unsigned)names_default_sigalgs[k] == s)
			return k;
	return names_default_sigalgs_len;
}

static int
cmp_sigalg(const void *a, const void *b)
{
	size_t x = sigalg_rank(*(const unsigned *)a), y = sigalg_rank(*(const unsigned *)b);

	return x < y ? -1 : x > y;
}

/* Certificates sort by how they were found (default, ECDSA, RSA, no SNI)
 * whatever thread finished first. */
static int
cmp_cert(const void *a, const void *b)
{
	static const char *const order = "dERn";
	const struct scan_cert *x = a, *y = b;

	return (int)(strchr(order, x->label[0]) - order) -
	    (int)(strchr(order, y->label[0]) - order);
}

/* TLS 1.2 groups come from two tasks side by side (NSS's curves, then
 * raw hellos for the rest): each in the server's order, NSS's first,
 * whichever finished first. */
static void
order_groups(struct scan_version *v)
{
	struct scan_group *g = xcalloc(v->n_groups + 1, sizeof(*g));
	size_t k = 0;

	for (int raw = 0; raw < 2; raw++)
		for (size_t i = 0; i < v->n_groups; i++)
			if (v->groups[i].raw == raw)
				g[k++] = v->groups[i];
	memcpy(v->groups, g, k * sizeof(*g));
	free(g);
}

static void
finish_model(struct scan *sc)
{
	struct scan_result *res = sc->res;

	if (res->versions[4].n_groups > 1)
		order_groups(&res->versions[4]);

	for (int i = 0; i < SCAN_N_VERSIONS; i++)
		if (res->versions[i].n_sigalgs > 1)
			qsort(res->versions[i].sigalgs, res->versions[i].n_sigalgs,
			    sizeof(unsigned), cmp_sigalg);
	if (res->n_certs > 1)
		qsort(res->certs, res->n_certs, sizeof(*res->certs), cmp_cert);
	merge_certs(res);
	if (res->n_certs > 0) {
		const struct report *r = res->certs[0].r;

		res->f.ocsp_stapling = r->staple.present ? SCAN_YES : SCAN_NO;
		res->f.scts = r->n_scts > 0 ? SCAN_YES : SCAN_NO;
	}
	res->connections = sc->ctx.connections;
	res->refusals = sc->ctx.refusals;
	if (sc->ctx.lost > 0) {
		res->incomplete = true;
		if (asprintf(&res->incomplete_why, "%u probe%s got no answer "
		    "(connections refused or timed out): what they asked is "
		    "shown as unknown", sc->ctx.lost, sc->ctx.lost == 1 ? "" : "s") < 0)
			abort();
	}
}

static void
scan_result_free(struct scan_result *res)
{
	for (int i = 0; i < SCAN_N_VERSIONS; i++) {
		free(res->versions[i].suites);
		free(res->versions[i].groups);
		free(res->versions[i].sigalgs);
	}
	for (size_t i = 0; i < res->n_certs; i++) {
		free(res->certs[i].label);
		report_free(res->certs[i].r);
		free(res->certs[i].r);
	}
	free(res->certs);
	util_list_free(res->f.alpn);
	for (size_t i = 0; i < res->n_findings; i++)
		free(res->findings[i].text);
	free(res->findings);
	free(res->incomplete_why);
}

/* Nothing answered at all: say why the way connect mode does (one more
 * connection attempt through the normal path, for its words). */
static int
unreachable_exit(const struct nsstls_opts *o, struct report *r, FILE *out,
    FILE *err)
{
	PRFileDesc *fd = dial_reach(o, r);

	if (fd != NULL) {
		PR_Close(fd);
		report_fail(r, PHASE_HANDSHAKE, 0, NSSTLS_EXIT_HANDSHAKE,
		    "the server answered no TLS or SSL version the scan offered");
	}
	return out_finish(r, o, false, out, err);
}

static int
render(const struct scan_result *res, struct report *r,
    const struct nsstls_opts *o, FILE *out)
{
	if (o->check) {
		out_scan_check(out, res, r, o);
		return scan_check_code(res);
	}
	if (o->json) {
		if (out_scan_json(out, res, r, o) != 0)
			return NSSTLS_EXIT_IO;
	} else if (o->brief) {
		out_scan_brief(out, res, r, o);
	} else if (!o->quiet) {
		out_scan_text(out, res, r, o);
	}
	return NSSTLS_EXIT_OK;
}

int
scan_run(const struct nsstls_opts *o, struct nss_ctx *nss, struct report *r,
    FILE *out, FILE *err)
{
	struct scan_result res;
	struct report ech;
	struct scan sc;
	int64_t start = util_now_us();
	bool any = false;
	int code;

	memset(&res, 0, sizeof(res));
	res.f.early_max = -1;
	memset(&sc, 0, sizeof(sc));
	sc.ctx.o = o;
	sc.ctx.nss = nss;
	sc.ctx.setup = r;
	sc.ctx.err = err;
	sc.ctx.progress = err == stderr && isatty(STDERR_FILENO) && !o->quiet;
	sc.res = &res;
	pthread_mutex_init(&sc.ctx.lock, NULL);
	/* --ech LIST or auto: the configs are looked up once; none to be had
	 * (no HTTPS record, an address target) means no ECH offered. */
	report_init(&ech, o->target.host, o->port);
	if (o->ech_auto || o->ech_config != NULL) {
		if (ech_prepare(o, &ech) == 0 && ech.ech.mode == ECH_CONFIG)
			sc.ctx.ech = &ech;
		else
			res.f.ech = SCAN_NO;
	}
	queue_round1(&sc);
	run_tasks(&sc);
	queue_round2(&sc);
	run_tasks(&sc);
	ffdhe_apply(&sc);
	if (sc.ctx.progress)
		fputs("\r\033[K", err);
	for (int i = 0; i < SCAN_N_VERSIONS; i++)
		any |= res.versions[i].state == SCAN_YES;
	res.duration_us = util_now_us() - start;
	finish_model(&sc);
	if (!any) {
		code = unreachable_exit(o, r, out, err);
	} else {
		scan_profile_judge(&res, o);
		r->phase = PHASE_DONE;
		code = render(&res, r, o, out);
	}
	scan_result_free(&res);
	report_free(&ech);
	pthread_mutex_destroy(&sc.ctx.lock);
	return code;
}
