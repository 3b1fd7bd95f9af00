/* Unit tests for cli.c: option values and the validation rules. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tap.h"

#define ARGV(...) ((const char *[]){ "nsstls", __VA_ARGS__, NULL })
#define ARGC(a) ((int)(sizeof(a) / sizeof(a[0]) - 1))

static enum cli_result
parse(int argc, const char **argv, struct nsstls_opts *o)
{
	enum cli_result r;
	/* Usage messages go to stderr; keep the TAP stream readable. */
	FILE *saved = stderr;

	stderr = fopen("/dev/null", "w");
	r = cli_parse(argc, argv, o);
	fclose(stderr);
	stderr = saved;
	return r;
}

#define EXPECT(res, desc, ...) do {                                       \
	const char **a_ = ARGV(__VA_ARGS__);                              \
	struct nsstls_opts o_;                                            \
	ok(parse(ARGC(((const char *[]){ "nsstls", __VA_ARGS__, NULL })), \
	    a_, &o_) == (res), "%s", desc);                                \
	cli_free(&o_);                                                    \
} while (0)

int
main(void)
{
	struct nsstls_opts o;
	const char **a;

	a = ARGV("example.com");
	ok(parse(2, a, &o) == CLI_RUN && o.port == 443 &&
	    strcmp(o.servername, "example.com") == 0 &&
	    strcmp(o.verify_name, "example.com") == 0 && o.tls_min == 0x0303 &&
	    o.tls_max == 0x0304 && o.trust_builtin, "defaults: port 443, SNI and "
	    "verified name = host, TLS 1.2-1.3, built-in roots");
	cli_free(&o);

	a = ARGV("127.0.0.1:8443");
	ok(parse(2, a, &o) == CLI_RUN && o.port == 8443 && o.servername == NULL &&
	    strcmp(o.verify_name, "127.0.0.1") == 0, "IP target: no SNI, verify the IP");
	cli_free(&o);

	a = ARGV("-p", "9", "host:8");
	ok(parse(4, a, &o) == CLI_RUN && o.port == 9, "--port overrides HOST:PORT");
	cli_free(&o);

	a = ARGV("--servername", "sni.example", "--verify-name", "v.example", "h");
	ok(parse(6, a, &o) == CLI_RUN && strcmp(o.servername, "sni.example") == 0 &&
	    strcmp(o.verify_name, "v.example") == 0, "SNI and verified name set apart");
	cli_free(&o);

	a = ARGV("--tls1.3", "h");
	ok(parse(3, a, &o) == CLI_RUN && o.tls_min == 0x0304 && o.tls_max == 0x0304,
	    "--tls1.3 pins both ends");
	cli_free(&o);

	a = ARGV("--ciphers", "TLS_AES_128_GCM_SHA256:0xc02f", "--groups",
	    "P-256,x25519", "--alpn", "h2,http/1.1", "h");
	ok(parse(8, a, &o) == CLI_RUN && o.n_ciphers == 2 && o.ciphers[1] == 0xc02f &&
	    o.n_groups == 2 && o.n_alpn == 2 && strcmp(o.alpn[1], "http/1.1") == 0,
	    "cipher, group and ALPN lists");
	cli_free(&o);

	a = ARGV("--renegotiate", "h");
	ok(parse(3, a, &o) == CLI_RUN && o.renegotiate == 1, "--renegotiate defaults to 1");
	cli_free(&o);
	a = ARGV("--renegotiate=3", "h");
	ok(parse(3, a, &o) == CLI_RUN && o.renegotiate == 3, "--renegotiate=3");
	cli_free(&o);
	a = ARGV("--key-update=request", "h");
	ok(parse(3, a, &o) == CLI_RUN && o.key_update == KEY_UPDATE_REQUEST,
	    "--key-update=request");
	cli_free(&o);

	a = ARGV("--trust", "system", "--ca-file", "a.pem", "-CAfile", "b.pem", "h");
	ok(parse(8, a, &o) == CLI_RUN && !o.trust_builtin && o.trust_system &&
	    o.n_ca_files == 2 && strcmp(o.ca_files[1], "b.pem") == 0,
	    "--trust system replaces builtin; --ca-file repeats, -CAfile alias");
	cli_free(&o);

	a = ARGV("-connect", "h:4433", "-servername", "s", "-tls1_2", "-brief");
	ok(parse(7, a, &o) == CLI_RUN && o.port == 4433 && o.brief &&
	    strcmp(o.servername, "s") == 0 && o.tls_max == 0x0303,
	    "s_client aliases -connect -servername -tls1_2 -brief");
	cli_free(&o);

	a = ARGV("--help");
	{
		FILE *saved = stdout;
		enum cli_result res;

		/* The help goes to /dev/null, the TAP line must not. */
		stdout = fopen("/dev/null", "w");
		res = parse(2, a, &o);
		fclose(stdout);
		stdout = saved;
		ok(res == CLI_DONE, "--help is done, not an error");
	}
	cli_free(&o);

	EXPECT(CLI_USAGE_ERROR, "no target", "-v");
	a = ARGV("a", "b:8443", "[::1]");
	ok(parse(4, a, &o) == CLI_RUN && o.multi && o.n_targets == 3 &&
	    strcmp(o.targets[1], "b:8443") == 0, "several targets: a multi run");
	cli_free(&o);
	a = ARGV("--targets", "-", "-j", "4");
	ok(parse(5, a, &o) == CLI_RUN && o.multi && o.jobs == 4 &&
	    strcmp(o.targets_file, "-") == 0, "--targets - and -j 4");
	cli_free(&o);
	{
		struct nsstls_opts base, one;
		const char *err;

		a = ARGV("--verify-name", "v.example", "x", "y");
		ok(parse(5, a, &base) == CLI_RUN, "base options");
		ok(cli_target_opts(&base, "host.example:8443", &one, &err) == 0 &&
		    one.port == 8443 && strcmp(one.servername, "host.example") == 0 &&
		    strcmp(one.verify_name, "v.example") == 0,
		    "per-target options: port and SNI from the target, --verify-name kept");
		cli_target_free(&one);
		cli_free(&base);
	}
	EXPECT(CLI_USAGE_ERROR, "bad target among several", "a", "b:0");
	EXPECT(CLI_USAGE_ERROR, "--renegotiate with several targets", "--renegotiate", "a", "b");
	EXPECT(CLI_USAGE_ERROR, "-j 0", "-j", "0", "a");
	EXPECT(CLI_USAGE_ERROR, "target and -connect", "a", "-connect", "b");
	EXPECT(CLI_USAGE_ERROR, "unknown option", "--bogus", "h");
	EXPECT(CLI_USAGE_ERROR, "-4 with -6", "-4", "-6", "h");
	EXPECT(CLI_USAGE_ERROR, "--tls1.2 with --tls1.3", "--tls1.2", "--tls1.3", "h");
	EXPECT(CLI_USAGE_ERROR, "--tls1.2 with --tls-min", "--tls1.2", "--tls-min", "1.0", "h");
	EXPECT(CLI_USAGE_ERROR, "min above max", "--tls-min", "1.3", "--tls-max", "1.2", "h");
	EXPECT(CLI_USAGE_ERROR, "unknown version", "--tls-min", "1.4", "h");
	EXPECT(CLI_USAGE_ERROR, "unknown cipher", "--ciphers", "RC5", "h");
	EXPECT(CLI_USAGE_ERROR, "unknown group", "--groups", "x448", "h");
	EXPECT(CLI_USAGE_ERROR, "ed25519 not implemented", "--sigalgs", "ed25519", "h");
	EXPECT(CLI_USAGE_ERROR, "--no-sni with --servername", "--no-sni", "--servername", "x", "h");
	EXPECT(CLI_USAGE_ERROR, "--quiet with --brief", "-q", "--brief", "h");
	EXPECT(CLI_USAGE_ERROR, "renegotiate with TLS 1.3 only", "--renegotiate", "--tls1.3", "h");
	EXPECT(CLI_USAGE_ERROR, "key update with TLS 1.2 only", "--key-update", "--tls1.2", "h");
	EXPECT(CLI_USAGE_ERROR, "bad --renegotiate count", "--renegotiate=0", "h");
	EXPECT(CLI_USAGE_ERROR, "bad --key-update value", "--key-update=yes", "h");
	EXPECT(CLI_USAGE_ERROR, "bad --pass spec", "--pass", "secret", "h");
	EXPECT(CLI_USAGE_ERROR, "--pass with --pass-file", "--pass", "env:X", "--pass-file", "f", "h");
	EXPECT(CLI_USAGE_ERROR, "unknown trust source", "--trust", "nss", "h");
	EXPECT(CLI_USAGE_ERROR, "--no-builtin-roots with --trust builtin",
	    "--no-builtin-roots", "--trust", "builtin", "h");
	EXPECT(CLI_USAGE_ERROR, "bad timeout", "--timeout", "soon", "h");
	EXPECT(CLI_USAGE_ERROR, "bad port", "-p", "70000", "h");
	EXPECT(CLI_USAGE_ERROR, "--version with a target", "--version", "h");
	return done_testing();
}
