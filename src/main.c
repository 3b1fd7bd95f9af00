/*
 * main: parse the options, set NSS up, run the mode, shut NSS down, and
 * turn the outcome into the exit status.  The only place that exits.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nss.h>
#include <prinit.h>

#include "check.h"
#include "cli.h"
#include "client.h"
#include "clientauth.h"
#include "config.h"
#include "exitcodes.h"
#include "names.h"
#include "nssinit.h"
#include "multi.h"
#include "out.h"
#include "out_text.h"
#include "printcert.h"
#include "report.h"
#include "scan.h"
#include "server.h"
#include "tls.h"
#include "util.h"
#include "verify.h"

/* NSS down, then the output streams: the exit status. */
static int
finish(struct nss_ctx *nss, int code, bool check)
{
	/* A verification that outlived --timeout is still inside NSS: NSS
	 * cannot shut down under it, so leave now, output written. */
	if (verify_abandoned() > 0) {
		_exit(out_exit(code, check));
	}
	if (nssinit_teardown(nss) != 0) {
		/* NSS_Shutdown fails when an NSS reference leaked: a bug. */
		fprintf(stderr, "nsstls: internal error: NSS_Shutdown failed (%s): "
		    "an NSS object was not released\n",
		    PR_ErrorToName(PR_GetError()) ? PR_ErrorToName(PR_GetError()) : "?");
#if NSSTLS_STRICT_SHUTDOWN
		abort();
#endif
	}
	return out_exit(code, check);
}

/* Monitoring plugins report their own misuse as UNKNOWN, with the one
 * status line they always print. */
static int
usage_exit(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--check") == 0) {
			puts("TLS UNKNOWN - invalid command line (the error is on "
			    "stderr)");
			return out_exit(CHECK_UNKNOWN, true);
		}
	}
	return out_exit(NSSTLS_EXIT_USAGE, false);
}

/* --version and the --list-* options: NSS knows the answers. */
static int
list_and_exit(struct nsstls_opts *opts, struct nss_ctx *nss)
{
	if (nssinit_minimal(nss) != 0) {
		fputs("nsstls: NSS initialisation failed\n", stderr);
		cli_free(opts);
		return finish(nss, NSSTLS_EXIT_SETUP, false);
	}
	if (opts->version)
		printf("nsstls %s (NSS %s, NSPR %s)\n", PACKAGE_VERSION,
		    NSS_GetVersion(), PR_GetVersion());
	else if (opts->list_groups)
		names_list_groups(stdout);
	else if (opts->list_sigalgs)
		names_list_sigalgs(stdout);
	else
		names_list_ciphers(stdout);
	cli_free(opts);
	return finish(nss, NSSTLS_EXIT_OK, false);
}

int
main(int argc, char **argv)
{
	struct nsstls_opts opts;
	struct nss_ctx nss = { 0 };
	struct report report;
	int code;
	bool check;

	/* First of all: a socket or a secret file opened while fd 1 or 2 is
	 * closed would get that number, and the report would be written into
	 * it. */
	if (util_open_std_fds() != 0)
		return NSSTLS_EXIT_SETUP;
	/* A server that closes while we write must not kill us silently. */
	signal(SIGPIPE, SIG_IGN);

	switch (cli_parse(argc, (const char **)argv, &opts)) {
	case CLI_DONE:
		cli_free(&opts);
		return out_exit(NSSTLS_EXIT_OK, false);
	case CLI_USAGE_ERROR:
		cli_free(&opts);
		return usage_exit(argc, argv);
	case CLI_RUN:
		break;
	}

	if (opts.version || opts.list_ciphers || opts.list_groups ||
	    opts.list_sigalgs)
		return list_and_exit(&opts, &nss);

	report_init(&report, opts.multi || opts.listen ? "" : opts.target.host,
	    opts.port);
	report.verify_name = opts.verify_name;
	report.servername = opts.servername;
	/* Credentials are loaded once, before any connection: a wrong
	 * password or a mismatched key is a setup error (exit 2), not a
	 * handshake failure. */
	if (out_check_paths(&opts, &report) != 0 ||
	    nssinit_setup(&opts, &nss, &report) != 0 ||
	    clientauth_load(&opts, &nss, &report, &nss.cred) != 0 ||
	    (opts.print_cert == NULL &&
	    (nss.model = tls_model_create(&opts, &report)) == NULL)) {
		code = out_finish(&report, &opts, false, stdout, stderr);
	} else if (opts.listen) {
		code = server_run(&opts, &nss, &report);
	} else if (opts.multi) {
		code = multi_run(&opts, &nss, &report);
	} else if (opts.print_cert != NULL) {
		code = printcert_run(&opts, &nss, &report);
	} else if (opts.scan) {
		code = scan_run(&opts, &nss, &report, stdout, stderr);
	} else {
		code = client_run(&opts, &nss, &report, stdout, stderr);
	}
	check = opts.check;
	report_free(&report);
	cli_free(&opts);
	/* Each module releases what it made, before NSS shuts down. */
	tls_model_destroy(nss.model);
	nss.model = NULL;
	clientauth_free(nss.cred);
	nss.cred = NULL;
	return finish(&nss, code, check);
}
