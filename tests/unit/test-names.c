/* Unit tests for names.c: versions, suites, groups, signature schemes. */
#include <string.h>

#include <sslproto.h>

#include "names.h"
#include "tap.h"

int
main(void)
{
	uint16_t v, id;
	SSLNamedGroup g;
	SSLSignatureScheme s;

	ok(names_version_parse("1.2", &v) == 0 && v == 0x0303, "1.2");
	ok(names_version_parse("TLSv1.3", &v) == 0 && v == 0x0304, "TLSv1.3");
	ok(names_version_parse("1.0", &v) == 0 && v == 0x0301, "1.0");
	ok(names_version_parse("3.0", &v) == -1, "3.0 rejected");
	ok(strcmp(names_version_str(0x0304), "TLSv1.3") == 0, "0x0304 -> TLSv1.3");

	ok(names_cipher_parse("TLS_AES_128_GCM_SHA256", &id) == 0 && id == 0x1301,
	    "IANA name -> 0x1301");
	ok(names_cipher_parse("tls_aes_256_gcm_sha384", &id) == 0 && id == 0x1302,
	    "names are case-insensitive");
	ok(names_cipher_parse("0xc02f", &id) == 0 && id == 0xc02f, "hex id 0xc02f");
	ok(names_cipher_parse("0x0000", &id) == -1, "unimplemented hex id rejected");
	ok(names_cipher_parse("ECDHE-RSA-AES128-GCM-SHA256", &id) == -1,
	    "OpenSSL names are not IANA names");
	ok(strcmp(names_cipher_str(0xc02f), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256") == 0,
	    "0xc02f -> IANA name");
	ok(names_cipher_is_default(TLS_AES_128_GCM_SHA256), "TLS 1.3 suite on by default");
	ok(!names_cipher_is_default(TLS_RSA_WITH_RC4_128_SHA), "RC4 off by default");
	ok(!names_cipher_is_default(TLS_RSA_WITH_3DES_EDE_CBC_SHA), "3DES off by default");
	ok(!names_cipher_is_default(TLS_DHE_DSS_WITH_AES_128_CBC_SHA), "DSS off by default");
	for (size_t i = 0; i < names_default_ciphers_len; i++)
		if (!ok(names_cipher_str(names_default_ciphers[i]) != NULL,
		    "default suite 0x%04x is implemented", names_default_ciphers[i]))
			break;

	ok(names_group_parse("x25519", &g) == 0 && g == ssl_grp_ec_curve25519, "x25519");
	ok(names_group_parse("P-256", &g) == 0 && g == ssl_grp_ec_secp256r1, "P-256 alias");
	ok(names_group_parse("prime256v1", &g) == 0 && g == ssl_grp_ec_secp256r1,
	    "prime256v1 alias");
	ok(names_group_parse("X25519MLKEM768", &g) == -1, "no PQ group in NSS 3.87");
	ok(strcmp(names_group_str(ssl_grp_ffdhe_2048), "ffdhe2048") == 0, "ffdhe2048 name");

	ok(names_sigalg_parse("rsa_pss_rsae_sha256", &s) == 0 &&
	    s == ssl_sig_rsa_pss_rsae_sha256, "rsa_pss_rsae_sha256");
	ok(names_sigalg_parse("ed25519", &s) == -2, "ed25519 named but not usable");
	ok(names_sigalg_parse("nonsense", &s) == -1, "unknown scheme");
	ok(strcmp(names_sigalg_str(ssl_sig_ecdsa_secp256r1_sha256),
	    "ecdsa_secp256r1_sha256") == 0, "scheme name");
	ok(strcmp(names_alert_str(100), "no_renegotiation") == 0, "alert 100 name");

	/* OpenSSL's spellings (issue 10: -cipher, -sigalgs, --list-*). */
	ok(names_cipher_parse_openssl("ECDHE-RSA-AES128-GCM-SHA256", &id) == 0 &&
	    id == 0xc02f, "OpenSSL suite name -> 0xc02f");
	ok(names_cipher_parse_openssl("HIGH", &id) == -1, "OpenSSL rule word refused");
	ok(strcmp(names_cipher_openssl(0xc02f), "ECDHE-RSA-AES128-GCM-SHA256") == 0,
	    "0xc02f -> OpenSSL name");
	ok(strcmp(names_cipher_openssl(TLS_AES_128_GCM_SHA256),
	    "TLS_AES_128_GCM_SHA256") == 0, "TLS 1.3 suites keep their name");
	ok(names_sigalg_parse("RSA-PSS+SHA256", &s) == 0 &&
	    s == ssl_sig_rsa_pss_rsae_sha256, "RSA-PSS+SHA256 is rsa_pss_rsae_sha256");
	ok(names_sigalg_parse("ecdsa+sha384", &s) == 0 &&
	    s == ssl_sig_ecdsa_secp384r1_sha384, "ECDSA+SHA384, any case");
	ok(strcmp(names_sigalg_str(ssl_sig_rsa_pkcs1_sha1md5), "rsa_pkcs1_md5_sha1") == 0,
	    "TLS 1.0/1.1 RSA signature named, not 0x10101");
	ok(names_sigalg_parse("rsa_pkcs1_md5_sha1", &s) == -1,
	    "the TLS 1.0/1.1 signature is not offered");
	return done_testing();
}
