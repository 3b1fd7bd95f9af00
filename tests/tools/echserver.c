/*
 * echserver: a small NSS TLS 1.3 server with Encrypted Client Hello, for
 * the tests only (built by tests/meson.build, never installed).
 *
 * Why it exists: neither openssl s_server 3.0 nor gnutls-serv 3.7 speak
 * ECH, and NSS 3.87's selfserv -X publicname:NAME passes the whole string
 * as the public name (SSL_ERROR_RX_MALFORMED_ECH_CONFIG).
 *
 *   echserver --cert CHAIN.pem --key KEY.pem --public-name NAME
 *             [--public-cert CHAIN.pem --public-key KEY.pem]
 *             [--wrong-config] [--count N]
 *
 * It makes an X25519 key pair, encodes an ECHConfigList for it (config id
 * 7, public name NAME, HKDF-SHA256 with AES-128-GCM), and prints, each on
 * its own line, flushed:
 *
 *   ECHCONFIGLIST <base64>   the list to give a client
 *   REALCONFIGLIST <base64>  the list the server really decrypts with
 *   PORT <n>                 where it listens on 127.0.0.1
 *
 * With --wrong-config the advertised list is made from a second key pair
 * the server does not use, so a client's ECH is rejected and the server
 * sends REALCONFIGLIST as retry configs.
 *
 * The certificate for the inner name is --cert/--key; a client hello whose
 * SNI is the public name (ECH rejected or not offered) gets --public-cert.
 * Certificates and keys are both EC, so configuring the public one on a
 * connection replaces the inner one (NSS keeps one certificate per
 * authentication type).  After each handshake it writes one line to the
 * client and to stdout: "sni=NAME ech_accepted=yes|no"; a failed handshake
 * logs "handshake failed: ERROR_NAME".  It serves --count connections
 * (default: until killed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nssb64.h>
#include <cert.h>
#include <keyhi.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <prio.h>
#include <prnetdb.h>
#include <secoid.h>
#include <ssl.h>
#include <sslexp.h>
#include <sslproto.h>

#define CONFIG_ID 7

struct identity {
	CERTCertificate *cert;
	CERTCertificate *extra[4];       /* intermediates, kept alive */
	SECKEYPrivateKey *key;
};

struct server {
	struct identity inner, outer;
	const char *public_name;
	SECKEYPublicKey *ech_pub, *fake_pub;
	SECKEYPrivateKey *ech_priv, *fake_priv;
	unsigned char real[512], fake[512];
	unsigned real_len, fake_len;
};

static void
die(const char *what)
{
	const char *name = PR_ErrorToName(PR_GetError());

	fprintf(stderr, "echserver: %s: %s\n", what, name ? name : "?");
	exit(1);
}

static char *
read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		exit(1);
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The DER of the next PEM block labelled label after *cursor, or 0. */
static int
next_pem(const char **cursor, const char *label, SECItem *der)
{
	char begin[64], end[64];
	const char *b, *e;

	snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
	snprintf(end, sizeof(end), "-----END %s-----", label);
	b = strstr(*cursor, begin);
	if (b == NULL)
		return 0;
	b += strlen(begin);
	e = strstr(b, end);
	if (e == NULL)
		return 0;
	*cursor = e + strlen(end);
	der->data = NULL;
	der->len = 0;
	if (NSSBase64_DecodeBuffer(NULL, der, b, (PRUint32)(e - b)) == NULL)
		return 0;
	return 1;
}

static void
load_identity(struct identity *id, const char *chain, const char *keyfile)
{
	char *text = read_text(chain);
	const char *cursor = text;
	SECItem der;
	SECKEYPublicKey *pub;
	SECItem *pubval;
	PK11SlotInfo *slot;
	size_t n = 0;

	memset(id, 0, sizeof(*id));
	while (next_pem(&cursor, "CERTIFICATE", &der)) {
		CERTCertificate *c = CERT_NewTempCertificate(CERT_GetDefaultCertDB(),
		    &der, NULL, PR_FALSE, PR_TRUE);

		SECITEM_FreeItem(&der, PR_FALSE);
		if (c == NULL)
			die(chain);
		if (id->cert == NULL)
			id->cert = c;
		else if (n < sizeof(id->extra) / sizeof(id->extra[0]))
			id->extra[n++] = c;
		else
			CERT_DestroyCertificate(c);
	}
	free(text);
	if (id->cert == NULL) {
		fprintf(stderr, "echserver: no certificate in %s\n", chain);
		exit(1);
	}
	text = read_text(keyfile);
	cursor = text;
	if (!next_pem(&cursor, "PRIVATE KEY", &der)) {
		fprintf(stderr, "echserver: no PKCS#8 key in %s\n", keyfile);
		exit(1);
	}
	free(text);
	pub = CERT_ExtractPublicKey(id->cert);
	if (pub == NULL)
		die("CERT_ExtractPublicKey");
	pubval = pub->keyType == ecKey ? &pub->u.ec.publicValue :
	    &pub->u.rsa.modulus;
	slot = PK11_GetInternalSlot();
	if (PK11_ImportDERPrivateKeyInfoAndReturnKey(slot, &der, NULL, pubval,
	    PR_FALSE, PR_TRUE, KU_ALL, &id->key, NULL) != SECSuccess)
		die(keyfile);
	PK11_FreeSlot(slot);
	SECKEY_DestroyPublicKey(pub);
	SECITEM_ZfreeItem(&der, PR_FALSE);
}

static void
free_identity(struct identity *id)
{
	if (id->cert != NULL)
		CERT_DestroyCertificate(id->cert);
	for (size_t i = 0; i < sizeof(id->extra) / sizeof(id->extra[0]); i++)
		if (id->extra[i] != NULL)
			CERT_DestroyCertificate(id->extra[i]);
	if (id->key != NULL)
		SECKEY_DestroyPrivateKey(id->key);
}

/* An X25519 key pair and the ECHConfigList that publishes it. */
static void
make_config(const char *public_name, SECKEYPublicKey **pub,
    SECKEYPrivateKey **priv, unsigned char *out, unsigned *len, unsigned max)
{
	static const HpkeSymmetricSuite suite = { HpkeKdfHkdfSha256,
	    HpkeAeadAes128Gcm };
	SECOidData *oid = SECOID_FindOIDByTag(SEC_OID_CURVE25519);
	PK11SlotInfo *slot = PK11_GetInternalSlot();
	unsigned char params[16];
	SECItem ecp = { siBuffer, params, 0 };

	if (oid == NULL || oid->oid.len + 2 > sizeof(params))
		die("SEC_OID_CURVE25519");
	/* ECParameters: the curve's OID, DER encoded. */
	params[0] = 0x06;
	params[1] = (unsigned char)oid->oid.len;
	memcpy(params + 2, oid->oid.data, oid->oid.len);
	ecp.len = oid->oid.len + 2;
	*priv = PK11_GenerateKeyPair(slot, CKM_EC_KEY_PAIR_GEN, &ecp, pub,
	    PR_FALSE, PR_FALSE, NULL);
	PK11_FreeSlot(slot);
	if (*priv == NULL)
		die("PK11_GenerateKeyPair(X25519)");
	if (SSL_EncodeEchConfigId(CONFIG_ID, public_name, 100,
	    HpkeDhKemX25519Sha256, *pub, &suite, 1, out, len, max) != SECSuccess)
		die("SSL_EncodeEchConfigId");
}

static void
print_b64(const char *tag, const unsigned char *data, unsigned len)
{
	SECItem item = { siBuffer, (unsigned char *)data, len };
	char *b64 = NSSBase64_EncodeItem(NULL, NULL, 0, &item);

	if (b64 == NULL)
		die("NSSBase64_EncodeItem");
	printf("%s ", tag);
	for (char *p = b64; *p != '\0'; p++)
		if (*p != '\r' && *p != '\n')
			putchar(*p);
	putchar('\n');
	PORT_Free(b64);
}

static PRInt32
sni_config(PRFileDesc *fd, const SECItem *names, PRUint32 n, void *arg)
{
	struct server *s = arg;

	for (PRUint32 i = 0; i < n; i++) {
		if (names[i].len == strlen(s->public_name) &&
		    memcmp(names[i].data, s->public_name, names[i].len) == 0) {
			if (SSL_ConfigServerCert(fd, s->outer.cert, s->outer.key,
			    NULL, 0) != SECSuccess)
				return SSL_SNI_SEND_ALERT;
			return (PRInt32)i;
		}
	}
	/* Returning an index (not SSL_SNI_CURRENT_CONFIG_IS_USED) is what
	 * makes NSS remember the name for SSL_GetNegotiatedHostInfo. */
	return n > 0 ? 0 : SSL_SNI_CURRENT_CONFIG_IS_USED;
}

static void
serve_one(struct server *s, PRFileDesc *model, PRFileDesc *conn)
{
	PRFileDesc *fd = SSL_ImportFD(model, conn);
	SSLChannelInfo info;
	SECItem *sni;
	char line[512];
	const char *err;

	if (fd == NULL) {
		PR_Close(conn);
		return;
	}
	if (SSL_SetServerEchConfigs(fd, s->ech_pub, s->ech_priv, s->real,
	    s->real_len) != SECSuccess)
		die("SSL_SetServerEchConfigs");
	if (SSL_ResetHandshake(fd, PR_TRUE) != SECSuccess ||
	    SSL_ForceHandshakeWithTimeout(fd, PR_SecondsToInterval(10)) !=
	    SECSuccess ||
	    SSL_GetChannelInfo(fd, &info, sizeof(info)) != SECSuccess) {
		err = PR_ErrorToName(PR_GetError());
		printf("handshake failed: %s\n", err ? err : "?");
		fflush(stdout);
		PR_Close(fd);
		return;
	}
	sni = SSL_GetNegotiatedHostInfo(fd);
	snprintf(line, sizeof(line), "sni=%.*s ech_accepted=%s\n",
	    sni ? (int)sni->len : 1, sni ? (const char *)sni->data : "-",
	    info.echAccepted ? "yes" : "no");
	if (sni != NULL)
		SECITEM_FreeItem(sni, PR_TRUE);
	fputs(line, stdout);
	fflush(stdout);
	(void)PR_Write(fd, line, (PRInt32)strlen(line));
	PR_Close(fd);
}

static const char *
arg_value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "echserver: %s needs a value\n", argv[*i]);
		exit(1);
	}
	return argv[++*i];
}

int
main(int argc, char **argv)
{
	struct server s;
	const char *cert = NULL, *key = NULL, *pcert = NULL, *pkey = NULL;
	int wrong = 0;
	long count = -1;
	SSLVersionRange tls13 = { SSL_LIBRARY_VERSION_TLS_1_3,
	    SSL_LIBRARY_VERSION_TLS_1_3 };
	PRFileDesc *listener, *model;
	PRNetAddr addr;

	memset(&s, 0, sizeof(s));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--cert") == 0)
			cert = arg_value(argc, argv, &i);
		else if (strcmp(argv[i], "--key") == 0)
			key = arg_value(argc, argv, &i);
		else if (strcmp(argv[i], "--public-cert") == 0)
			pcert = arg_value(argc, argv, &i);
		else if (strcmp(argv[i], "--public-key") == 0)
			pkey = arg_value(argc, argv, &i);
		else if (strcmp(argv[i], "--public-name") == 0)
			s.public_name = arg_value(argc, argv, &i);
		else if (strcmp(argv[i], "--wrong-config") == 0)
			wrong = 1;
		else if (strcmp(argv[i], "--count") == 0)
			count = strtol(arg_value(argc, argv, &i), NULL, 10);
		else {
			fprintf(stderr, "echserver: unknown argument %s\n", argv[i]);
			return 1;
		}
	}
	if (cert == NULL || key == NULL || s.public_name == NULL) {
		fputs("usage: echserver --cert CHAIN --key KEY --public-name NAME "
		    "[--public-cert CHAIN --public-key KEY] [--wrong-config] "
		    "[--count N]\n", stderr);
		return 1;
	}
	if (pcert == NULL) {
		pcert = cert;
		pkey = key;
	}

	if (NSS_NoDB_Init(NULL) != SECSuccess || NSS_SetDomesticPolicy() !=
	    SECSuccess || SSL_ConfigServerSessionIDCache(16, 0, 0, NULL) !=
	    SECSuccess)
		die("NSS init");
	load_identity(&s.inner, cert, key);
	load_identity(&s.outer, pcert, pkey);
	make_config(s.public_name, &s.ech_pub, &s.ech_priv, s.real, &s.real_len,
	    sizeof(s.real));
	if (wrong)
		make_config(s.public_name, &s.fake_pub, &s.fake_priv, s.fake,
		    &s.fake_len, sizeof(s.fake));

	listener = PR_NewTCPSocket();
	if (listener == NULL)
		die("PR_NewTCPSocket");
	PR_InitializeNetAddr(PR_IpAddrLoopback, 0, &addr);
	if (PR_Bind(listener, &addr) != PR_SUCCESS || PR_Listen(listener, 16) !=
	    PR_SUCCESS || PR_GetSockName(listener, &addr) != PR_SUCCESS)
		die("listen");

	model = SSL_ImportFD(NULL, PR_NewTCPSocket());
	if (model == NULL ||
	    SSL_OptionSet(model, SSL_SECURITY, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(model, SSL_HANDSHAKE_AS_SERVER, PR_TRUE) != SECSuccess ||
	    SSL_VersionRangeSet(model, &tls13) != SECSuccess ||
	    SSL_ConfigServerCert(model, s.inner.cert, s.inner.key, NULL, 0) !=
	    SECSuccess ||
	    SSL_SNISocketConfigHook(model, sni_config, &s) != SECSuccess)
		die("model socket");

	print_b64("ECHCONFIGLIST", wrong ? s.fake : s.real,
	    wrong ? s.fake_len : s.real_len);
	print_b64("REALCONFIGLIST", s.real, s.real_len);
	printf("PORT %u\n", (unsigned)PR_ntohs(addr.inet.port));
	fflush(stdout);

	for (long served = 0; count < 0 || served < count; served++) {
		PRFileDesc *conn = PR_Accept(listener, NULL,
		    PR_INTERVAL_NO_TIMEOUT);

		if (conn == NULL)
			die("PR_Accept");
		serve_one(&s, model, conn);
	}

	PR_Close(model);
	PR_Close(listener);
	free_identity(&s.inner);
	free_identity(&s.outer);
	SECKEY_DestroyPublicKey(s.ech_pub);
	SECKEY_DestroyPrivateKey(s.ech_priv);
	if (s.fake_pub != NULL) {
		SECKEY_DestroyPublicKey(s.fake_pub);
		SECKEY_DestroyPrivateKey(s.fake_priv);
	}
	SSL_ShutdownServerSessionIDCache();
	if (NSS_Shutdown() != SECSuccess)
		die("NSS_Shutdown");
	return 0;
}
