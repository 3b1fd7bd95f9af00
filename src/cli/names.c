/*
 * names: user-facing names ⇄ NSS values (see names.h).
 */
#include "names.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ssl.h>
#include <sslproto.h>

static const struct {
	const char *name;
	uint16_t v;
} versions[] = {
	{ "1.0", SSL_LIBRARY_VERSION_TLS_1_0 },
	{ "1.1", SSL_LIBRARY_VERSION_TLS_1_1 },
	{ "1.2", SSL_LIBRARY_VERSION_TLS_1_2 },
	{ "1.3", SSL_LIBRARY_VERSION_TLS_1_3 },
};

int
names_version_parse(const char *s, uint16_t *v)
{
	if (strncasecmp(s, "TLSv", 4) == 0)
		s += 4;
	else if (strncasecmp(s, "TLS", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		if (strcmp(s, versions[i].name) == 0) {
			*v = versions[i].v;
			return 0;
		}
	}
	return -1;
}

const char *
names_version_str(uint16_t v)
{
	static _Thread_local char buf[24];

	switch (v) {
	case SSL_LIBRARY_VERSION_3_0: return "SSLv3";
	case SSL_LIBRARY_VERSION_TLS_1_0: return "TLSv1.0";
	case SSL_LIBRARY_VERSION_TLS_1_1: return "TLSv1.1";
	case SSL_LIBRARY_VERSION_TLS_1_2: return "TLSv1.2";
	case SSL_LIBRARY_VERSION_TLS_1_3: return "TLSv1.3";
	default:
		snprintf(buf, sizeof(buf), "0x%04x", v);
		return buf;
	}
}

void
names_print_versions(FILE *f)
{
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		fprintf(f, "%s%s", i ? ", " : "", versions[i].name);
}

/* What Firefox offers, less 3DES: ECDHE with AEAD first, then ECDHE-CBC
 * and plain RSA for old servers.  NSS's own default list is wider (RC4,
 * 3DES and DHE-DSS are on), so every suite is set explicitly. */
const uint16_t names_default_ciphers[] = {
	TLS_AES_128_GCM_SHA256,
	TLS_CHACHA20_POLY1305_SHA256,
	TLS_AES_256_GCM_SHA384,
	TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	TLS_RSA_WITH_AES_128_GCM_SHA256,
	TLS_RSA_WITH_AES_256_GCM_SHA384,
	TLS_RSA_WITH_AES_128_CBC_SHA,
	TLS_RSA_WITH_AES_256_CBC_SHA,
};
const size_t names_default_ciphers_len =
    sizeof(names_default_ciphers) / sizeof(names_default_ciphers[0]);

bool
names_cipher_is_default(uint16_t id)
{
	for (size_t i = 0; i < names_default_ciphers_len; i++)
		if (names_default_ciphers[i] == id)
			return true;
	return false;
}

const char *
names_cipher_str(uint16_t id)
{
	SSLCipherSuiteInfo info;

	if (SSL_GetCipherSuiteInfo(id, &info, sizeof(info)) != SECSuccess)
		return NULL;
	return info.cipherSuiteName;
}

int
names_cipher_parse(const char *s, uint16_t *id)
{
	const PRUint16 *impl = SSL_GetImplementedCiphers();
	PRUint16 n = SSL_GetNumImplementedCiphers();

	if (strncasecmp(s, "0x", 2) == 0) {
		char *end;
		unsigned long v = strtoul(s + 2, &end, 16);

		if (*end != '\0' || end == s + 2 || v > 0xffff)
			return -1;
		for (PRUint16 i = 0; i < n; i++) {
			if (impl[i] == v) {
				*id = (uint16_t)v;
				return 0;
			}
		}
		return -1;
	}
	for (PRUint16 i = 0; i < n; i++) {
		const char *name = names_cipher_str(impl[i]);

		if (name != NULL && strcasecmp(name, s) == 0) {
			*id = impl[i];
			return 0;
		}
	}
	return -1;
}

void
names_print_ciphers(FILE *f)
{
	const PRUint16 *impl = SSL_GetImplementedCiphers();
	PRUint16 n = SSL_GetNumImplementedCiphers();

	for (PRUint16 i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "", names_cipher_str(impl[i]));
}

/* OpenSSL's names of the TLS 1.2 and older suites this NSS implements
 * (OpenSSL's ssl/s3_lib.c, including those OpenSSL 3 dropped: RC4, DES,
 * static ECDH, SEED).  TLS 1.3 suites have the same name in both. */
static const struct {
	uint16_t id;
	const char *name;
} openssl_ciphers[] = {
	{ TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE-ECDSA-AES128-GCM-SHA256" },
	{ TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE-RSA-AES128-GCM-SHA256" },
	{ TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-ECDSA-CHACHA20-POLY1305" },
	{ TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-RSA-CHACHA20-POLY1305" },
	{ TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE-ECDSA-AES256-GCM-SHA384" },
	{ TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE-RSA-AES256-GCM-SHA384" },
	{ TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "ECDHE-ECDSA-AES256-SHA" },
	{ TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "ECDHE-ECDSA-AES128-SHA" },
	{ TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "ECDHE-RSA-AES128-SHA" },
	{ TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, "ECDHE-ECDSA-AES128-SHA256" },
	{ TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "ECDHE-RSA-AES128-SHA256" },
	{ TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "ECDHE-RSA-AES256-SHA" },
	{ TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, "ECDHE-ECDSA-AES256-SHA384" },
	{ TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, "ECDHE-RSA-AES256-SHA384" },
	{ TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA, "ECDHE-ECDSA-DES-CBC3-SHA" },
	{ TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, "ECDHE-RSA-DES-CBC3-SHA" },
	{ TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, "ECDHE-ECDSA-RC4-SHA" },
	{ TLS_ECDHE_RSA_WITH_RC4_128_SHA, "ECDHE-RSA-RC4-SHA" },
	{ TLS_ECDHE_ECDSA_WITH_NULL_SHA, "ECDHE-ECDSA-NULL-SHA" },
	{ TLS_ECDHE_RSA_WITH_NULL_SHA, "ECDHE-RSA-NULL-SHA" },
	{ TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, "DHE-RSA-AES128-GCM-SHA256" },
	{ TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "DHE-RSA-CHACHA20-POLY1305" },
	{ TLS_DHE_DSS_WITH_AES_128_GCM_SHA256, "DHE-DSS-AES128-GCM-SHA256" },
	{ TLS_DHE_RSA_WITH_AES_256_GCM_SHA384, "DHE-RSA-AES256-GCM-SHA384" },
	{ TLS_DHE_DSS_WITH_AES_256_GCM_SHA384, "DHE-DSS-AES256-GCM-SHA384" },
	{ TLS_DHE_RSA_WITH_AES_128_CBC_SHA, "DHE-RSA-AES128-SHA" },
	{ TLS_DHE_DSS_WITH_AES_128_CBC_SHA, "DHE-DSS-AES128-SHA" },
	{ TLS_DHE_RSA_WITH_AES_128_CBC_SHA256, "DHE-RSA-AES128-SHA256" },
	{ TLS_DHE_DSS_WITH_AES_128_CBC_SHA256, "DHE-DSS-AES128-SHA256" },
	{ TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA, "DHE-RSA-CAMELLIA128-SHA" },
	{ TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA, "DHE-DSS-CAMELLIA128-SHA" },
	{ TLS_DHE_RSA_WITH_AES_256_CBC_SHA, "DHE-RSA-AES256-SHA" },
	{ TLS_DHE_DSS_WITH_AES_256_CBC_SHA, "DHE-DSS-AES256-SHA" },
	{ TLS_DHE_RSA_WITH_AES_256_CBC_SHA256, "DHE-RSA-AES256-SHA256" },
	{ TLS_DHE_DSS_WITH_AES_256_CBC_SHA256, "DHE-DSS-AES256-SHA256" },
	{ TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA, "DHE-RSA-CAMELLIA256-SHA" },
	{ TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA, "DHE-DSS-CAMELLIA256-SHA" },
	{ TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA, "DHE-RSA-DES-CBC3-SHA" },
	{ TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA, "DHE-DSS-DES-CBC3-SHA" },
	{ TLS_DHE_DSS_WITH_RC4_128_SHA, "DHE-DSS-RC4-SHA" },
	{ TLS_DHE_RSA_WITH_DES_CBC_SHA, "EDH-RSA-DES-CBC-SHA" },
	{ TLS_DHE_DSS_WITH_DES_CBC_SHA, "EDH-DSS-DES-CBC-SHA" },
	{ TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA, "ECDH-ECDSA-AES128-SHA" },
	{ TLS_ECDH_RSA_WITH_AES_128_CBC_SHA, "ECDH-RSA-AES128-SHA" },
	{ TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA, "ECDH-ECDSA-AES256-SHA" },
	{ TLS_ECDH_RSA_WITH_AES_256_CBC_SHA, "ECDH-RSA-AES256-SHA" },
	{ TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA, "ECDH-ECDSA-DES-CBC3-SHA" },
	{ TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA, "ECDH-RSA-DES-CBC3-SHA" },
	{ TLS_ECDH_ECDSA_WITH_RC4_128_SHA, "ECDH-ECDSA-RC4-SHA" },
	{ TLS_ECDH_RSA_WITH_RC4_128_SHA, "ECDH-RSA-RC4-SHA" },
	{ TLS_ECDH_ECDSA_WITH_NULL_SHA, "ECDH-ECDSA-NULL-SHA" },
	{ TLS_ECDH_RSA_WITH_NULL_SHA, "ECDH-RSA-NULL-SHA" },
	{ TLS_RSA_WITH_AES_128_GCM_SHA256, "AES128-GCM-SHA256" },
	{ TLS_RSA_WITH_AES_256_GCM_SHA384, "AES256-GCM-SHA384" },
	{ TLS_RSA_WITH_AES_128_CBC_SHA, "AES128-SHA" },
	{ TLS_RSA_WITH_AES_128_CBC_SHA256, "AES128-SHA256" },
	{ TLS_RSA_WITH_CAMELLIA_128_CBC_SHA, "CAMELLIA128-SHA" },
	{ TLS_RSA_WITH_AES_256_CBC_SHA, "AES256-SHA" },
	{ TLS_RSA_WITH_AES_256_CBC_SHA256, "AES256-SHA256" },
	{ TLS_RSA_WITH_CAMELLIA_256_CBC_SHA, "CAMELLIA256-SHA" },
	{ TLS_RSA_WITH_SEED_CBC_SHA, "SEED-SHA" },
	{ TLS_RSA_WITH_3DES_EDE_CBC_SHA, "DES-CBC3-SHA" },
	{ TLS_RSA_WITH_RC4_128_SHA, "RC4-SHA" },
	{ TLS_RSA_WITH_RC4_128_MD5, "RC4-MD5" },
	{ TLS_RSA_WITH_DES_CBC_SHA, "DES-CBC-SHA" },
	{ TLS_RSA_WITH_NULL_SHA, "NULL-SHA" },
	{ TLS_RSA_WITH_NULL_SHA256, "NULL-SHA256" },
	{ TLS_RSA_WITH_NULL_MD5, "NULL-MD5" },
};

bool
names_cipher_is_tls13(uint16_t id)
{
	return id >> 8 == 0x13;
}

const char *
names_cipher_openssl(uint16_t id)
{
	for (size_t i = 0; i < sizeof(openssl_ciphers) / sizeof(openssl_ciphers[0]); i++)
		if (openssl_ciphers[i].id == id)
			return openssl_ciphers[i].name;
	return names_cipher_is_tls13(id) ? names_cipher_str(id) : NULL;
}

int
names_cipher_parse_openssl(const char *s, uint16_t *id)
{
	for (size_t i = 0; i < sizeof(openssl_ciphers) / sizeof(openssl_ciphers[0]); i++) {
		if (strcasecmp(s, openssl_ciphers[i].name) == 0) {
			*id = openssl_ciphers[i].id;
			/* Named by OpenSSL, but not built into this NSS. */
			return names_cipher_str(*id) != NULL ? 0 : -2;
		}
	}
	return -1;
}

void
names_print_openssl_ciphers(FILE *f, bool tls13)
{
	const PRUint16 *impl = SSL_GetImplementedCiphers();
	PRUint16 n = SSL_GetNumImplementedCiphers();
	bool first = true;

	for (PRUint16 i = 0; i < n; i++) {
		const char *name = names_cipher_openssl(impl[i]);

		if (name == NULL || names_cipher_is_tls13(impl[i]) != tls13)
			continue;
		fprintf(f, "%s%s", first ? "" : ", ", name);
		first = false;
	}
}

static const struct {
	const char *name;
	const char *alias;
	SSLNamedGroup g;
} groups[] = {
	{ "x25519", "X25519", ssl_grp_ec_curve25519 },
	{ "secp256r1", "P-256", ssl_grp_ec_secp256r1 },
	{ "secp384r1", "P-384", ssl_grp_ec_secp384r1 },
	{ "secp521r1", "P-521", ssl_grp_ec_secp521r1 },
	{ "ffdhe2048", NULL, ssl_grp_ffdhe_2048 },
	{ "ffdhe3072", NULL, ssl_grp_ffdhe_3072 },
	{ "ffdhe4096", NULL, ssl_grp_ffdhe_4096 },
	{ "ffdhe6144", NULL, ssl_grp_ffdhe_6144 },
	{ "ffdhe8192", NULL, ssl_grp_ffdhe_8192 },
};

/* Firefox's list: the elliptic curves, then the two smallest FFDHE groups. */
const SSLNamedGroup names_default_groups[] = {
	ssl_grp_ec_curve25519, ssl_grp_ec_secp256r1, ssl_grp_ec_secp384r1,
	ssl_grp_ec_secp521r1, ssl_grp_ffdhe_2048, ssl_grp_ffdhe_3072,
};
const size_t names_default_groups_len =
    sizeof(names_default_groups) / sizeof(names_default_groups[0]);

int
names_group_parse(const char *s, SSLNamedGroup *g)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (strcasecmp(s, groups[i].name) == 0 ||
		    (groups[i].alias != NULL && strcasecmp(s, groups[i].alias) == 0) ||
		    (groups[i].g == ssl_grp_ec_secp256r1 && strcasecmp(s, "prime256v1") == 0)) {
			*g = groups[i].g;
			return 0;
		}
	}
	return -1;
}

const char *
names_group_str(SSLNamedGroup g)
{
	static _Thread_local char buf[24];

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (groups[i].g == g)
			return groups[i].name;
	if (g == ssl_grp_none)
		return "none";
	snprintf(buf, sizeof(buf), "group-%u", (unsigned)g);
	return buf;
}

void
names_print_groups(FILE *f)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		fprintf(f, "%s%s", i ? ", " : "", groups[i].name);
}

static const struct {
	const char *name;
	SSLSignatureScheme sig;
	bool usable;     /* NSS 3.87 can sign/verify with it */
} sigalgs[] = {
	{ "ecdsa_secp256r1_sha256", ssl_sig_ecdsa_secp256r1_sha256, true },
	{ "ecdsa_secp384r1_sha384", ssl_sig_ecdsa_secp384r1_sha384, true },
	{ "ecdsa_secp521r1_sha512", ssl_sig_ecdsa_secp521r1_sha512, true },
	{ "rsa_pss_rsae_sha256", ssl_sig_rsa_pss_rsae_sha256, true },
	{ "rsa_pss_rsae_sha384", ssl_sig_rsa_pss_rsae_sha384, true },
	{ "rsa_pss_rsae_sha512", ssl_sig_rsa_pss_rsae_sha512, true },
	{ "rsa_pss_pss_sha256", ssl_sig_rsa_pss_pss_sha256, true },
	{ "rsa_pss_pss_sha384", ssl_sig_rsa_pss_pss_sha384, true },
	{ "rsa_pss_pss_sha512", ssl_sig_rsa_pss_pss_sha512, true },
	{ "rsa_pkcs1_sha256", ssl_sig_rsa_pkcs1_sha256, true },
	{ "rsa_pkcs1_sha384", ssl_sig_rsa_pkcs1_sha384, true },
	{ "rsa_pkcs1_sha512", ssl_sig_rsa_pkcs1_sha512, true },
	{ "ecdsa_sha1", ssl_sig_ecdsa_sha1, true },
	{ "rsa_pkcs1_sha1", ssl_sig_rsa_pkcs1_sha1, true },
	{ "dsa_sha256", ssl_sig_dsa_sha256, true },
	{ "dsa_sha384", ssl_sig_dsa_sha384, true },
	{ "dsa_sha512", ssl_sig_dsa_sha512, true },
	{ "dsa_sha1", ssl_sig_dsa_sha1, true },
	{ "ed25519", ssl_sig_ed25519, false },
	{ "ed448", ssl_sig_ed448, false },
};

/* NSS's default list less DSA, which no browser offers any more, plus
 * RSA-PSS keys (rsa_pss_pss_*), without which a client certificate with an
 * RSA-PSS key cannot be used. */
const SSLSignatureScheme names_default_sigalgs[] = {
	ssl_sig_ecdsa_secp256r1_sha256, ssl_sig_ecdsa_secp384r1_sha384,
	ssl_sig_ecdsa_secp521r1_sha512, ssl_sig_rsa_pss_rsae_sha256,
	ssl_sig_rsa_pss_rsae_sha384, ssl_sig_rsa_pss_rsae_sha512,
	ssl_sig_rsa_pss_pss_sha256, ssl_sig_rsa_pss_pss_sha384,
	ssl_sig_rsa_pss_pss_sha512, ssl_sig_rsa_pkcs1_sha256, ssl_sig_rsa_pkcs1_sha384,
	ssl_sig_rsa_pkcs1_sha512, ssl_sig_ecdsa_sha1, ssl_sig_rsa_pkcs1_sha1,
};
const size_t names_default_sigalgs_len =
    sizeof(names_default_sigalgs) / sizeof(names_default_sigalgs[0]);

/* OpenSSL's KEY+HASH spellings (SSL_CONF "SignatureAlgorithms"): in
 * TLS 1.3 terms, ECDSA+SHA256 is ecdsa_secp256r1_sha256 and RSA-PSS is
 * the rsae variant (an RSA key, PSS padding). */
static const struct {
	const char *name;
	SSLSignatureScheme sig;
} openssl_sigalgs[] = {
	{ "ECDSA+SHA256", ssl_sig_ecdsa_secp256r1_sha256 },
	{ "ECDSA+SHA384", ssl_sig_ecdsa_secp384r1_sha384 },
	{ "ECDSA+SHA512", ssl_sig_ecdsa_secp521r1_sha512 },
	{ "RSA-PSS+SHA256", ssl_sig_rsa_pss_rsae_sha256 },
	{ "RSA-PSS+SHA384", ssl_sig_rsa_pss_rsae_sha384 },
	{ "RSA-PSS+SHA512", ssl_sig_rsa_pss_rsae_sha512 },
	{ "PSS+SHA256", ssl_sig_rsa_pss_rsae_sha256 },
	{ "PSS+SHA384", ssl_sig_rsa_pss_rsae_sha384 },
	{ "PSS+SHA512", ssl_sig_rsa_pss_rsae_sha512 },
	{ "RSA+SHA256", ssl_sig_rsa_pkcs1_sha256 },
	{ "RSA+SHA384", ssl_sig_rsa_pkcs1_sha384 },
	{ "RSA+SHA512", ssl_sig_rsa_pkcs1_sha512 },
	{ "ECDSA+SHA1", ssl_sig_ecdsa_sha1 },
	{ "RSA+SHA1", ssl_sig_rsa_pkcs1_sha1 },
	{ "DSA+SHA256", ssl_sig_dsa_sha256 },
	{ "DSA+SHA384", ssl_sig_dsa_sha384 },
	{ "DSA+SHA512", ssl_sig_dsa_sha512 },
	{ "DSA+SHA1", ssl_sig_dsa_sha1 },
};

const char *
names_sigalg_openssl(SSLSignatureScheme sig)
{
	for (size_t i = 0; i < sizeof(openssl_sigalgs) / sizeof(openssl_sigalgs[0]); i++)
		if (openssl_sigalgs[i].sig == sig)
			return openssl_sigalgs[i].name;
	return NULL;
}

int
names_sigalg_parse(const char *s, SSLSignatureScheme *sig)
{
	for (size_t i = 0; i < sizeof(openssl_sigalgs) / sizeof(openssl_sigalgs[0]); i++) {
		if (strcasecmp(s, openssl_sigalgs[i].name) == 0) {
			*sig = openssl_sigalgs[i].sig;
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++) {
		if (strcasecmp(s, sigalgs[i].name) == 0) {
			*sig = sigalgs[i].sig;
			return sigalgs[i].usable ? 0 : -2;
		}
	}
	return -1;
}

const char *
names_sigalg_str(SSLSignatureScheme sig)
{
	static _Thread_local char buf[24];

	for (size_t i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
		if (sigalgs[i].sig == sig)
			return sigalgs[i].name;
	if (sig == ssl_sig_none)
		return "none";
	/* Not a TLS code point: NSS's value for the MD5+SHA-1 concatenation
	 * that RSA signs in TLS 1.0/1.1 (RFC 4346 §7.4.3), named as
	 * OpenSSL's "RSA+MD5-SHA1"; never accepted by --sigalgs. */
	if (sig == ssl_sig_rsa_pkcs1_sha1md5)
		return "rsa_pkcs1_md5_sha1";
	snprintf(buf, sizeof(buf), "0x%04x", (unsigned)sig);
	return buf;
}

void
names_print_sigalgs(FILE *f)
{
	bool first = true;

	for (size_t i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++) {
		if (!sigalgs[i].usable)
			continue;
		fprintf(f, "%s%s", first ? "" : ", ", sigalgs[i].name);
		first = false;
	}
}

const char *
names_alert_str(unsigned desc)
{
	static _Thread_local char buf[24];

	switch (desc) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 22: return "record_overflow";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 49: return "access_denied";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 100: return "no_renegotiation";
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 112: return "unrecognized_name";
	case 113: return "bad_certificate_status_response";
	case 115: return "unknown_psk_identity";
	case 116: return "certificate_required";
	case 120: return "no_application_protocol";
	case 121: return "ech_required";
	default:
		snprintf(buf, sizeof(buf), "alert-%u", desc);
		return buf;
	}
}

/* --list-ciphers: what this NSS implements, one suite a line. */
void
names_list_ciphers(FILE *f)
{
	const PRUint16 *impl = SSL_GetImplementedCiphers();
	PRUint16 n = SSL_GetNumImplementedCiphers();

	for (PRUint16 i = 0; i < n; i++) {
		SSLCipherSuiteInfo info;

		if (SSL_GetCipherSuiteInfo(impl[i], &info, sizeof(info)) != SECSuccess)
			continue;
		/* OpenSSL's name beside IANA's, for -cipher and s_client users. */
		fprintf(f, "0x%04x  %-48s %-30s %s\n", impl[i], info.cipherSuiteName,
		    names_cipher_openssl(impl[i]) != NULL ?
		    names_cipher_openssl(impl[i]) : "-",
		    names_cipher_is_default(impl[i]) ? "default" : "-");
	}
}

void
names_list_groups(FILE *f)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		bool dflt = false;

		for (size_t j = 0; j < names_default_groups_len; j++)
			dflt = dflt || names_default_groups[j] == groups[i].g;
		fprintf(f, "%-10s %s", groups[i].name, dflt ? "default" : "-");
		if (groups[i].alias != NULL)
			fprintf(f, "%*s%s%s", dflt ? 2 : 8, "", groups[i].alias,
			    groups[i].g == ssl_grp_ec_secp256r1 ? ", prime256v1" : "");
		fputc('\n', f);
	}
}

void
names_list_sigalgs(FILE *f)
{
	for (size_t i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++) {
		const char *ossl = names_sigalg_openssl(sigalgs[i].sig);
		bool dflt = false;

		if (!sigalgs[i].usable)
			continue;
		for (size_t j = 0; j < names_default_sigalgs_len; j++)
			dflt = dflt || names_default_sigalgs[j] == sigalgs[i].sig;
		fprintf(f, "%-24s %s", sigalgs[i].name, dflt ? "default" : "-");
		if (ossl != NULL)
			fprintf(f, "%*s%s", dflt ? 2 : 8, "", ossl);
		fputc('\n', f);
	}
}
