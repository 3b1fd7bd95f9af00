/*
 * out: output dispatch and exit status (see out.h).
 */
#include "out.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "out_json.h"
#include "out_text.h"

/* First write error of stdout [0] and stderr [1]; only the main thread
 * writes to them (multi.c's workers render into memory). */
static int stream_errno[2];
static bool stdout_said;

int
out_stream_check(FILE *f)
{
	int i = f == stdout ? 0 : f == stderr ? 1 : -1;
	int e;

	if (fflush(f) == 0 && !ferror(f))
		return 0;
	/* A failed write leaves errno; stdio keeps only the flag. */
	e = errno != 0 ? errno : EIO;
	if (i < 0)
		return e;
	if (stream_errno[i] == 0)
		stream_errno[i] = e;
	return stream_errno[i];
}

bool
out_stdout_gone(void)
{
	return stream_errno[0] == EPIPE;
}

void
out_stdout_said(void)
{
	stdout_said = true;
}

int
out_exit(int code, bool check)
{
	bool failed = out_stream_check(stdout) != 0;

	/* close(2) can report a write error (NFS, some devices).  EBADF with
	 * nothing written is a stdout closed by the caller and not used. */
	errno = 0;
	if (fclose(stdout) != 0 && !failed && errno != EBADF) {
		stream_errno[0] = errno != 0 ? errno : EIO;
		failed = true;
	}
	if (failed && !stdout_said && stream_errno[0] != EPIPE)
		fprintf(stderr, "nsstls: cannot write to stdout: %s\n",
		    strerror(stream_errno[0]));
	if (out_stream_check(stderr) != 0)
		failed = true;      /* nothing left to say it on */
	if (failed && code == 0)
		code = check ? CHECK_UNKNOWN : NSSTLS_EXIT_IO;
	return code;
}

/* --showcerts, --save-chain, --save-chain-verified.  A write failure
 * becomes the outcome only when the run had none worse. */
int
out_write_chains(const struct nsstls_opts *o, struct report *r)
{
	const char *failed = NULL;
	int err = 0;

	if (o->showcerts && out_text_pem_chain(stdout, r, false) != 0)
		failed = "stdout";
	if (failed == NULL && o->save_chain != NULL &&
	    out_save_pem(o->save_chain, r, false, &err) != 0)
		failed = o->save_chain;
	if (failed == NULL && o->save_chain_verified != NULL &&
	    out_save_pem(o->save_chain_verified, r, true, &err) != 0)
		failed = o->save_chain_verified;
	if (failed == NULL)
		return 0;
	if (r->exit_code == NSSTLS_EXIT_OK)
		report_fail(r, PHASE_DONE, 0, NSSTLS_EXIT_IO,
		    "cannot write the certificates to %s%s%s", failed,
		    err ? ": " : "", err ? strerror(err) : "");
	else    /* the run failed already: say it, keep its exit status */
		fprintf(stderr, "nsstls: cannot write the certificates to %s%s%s\n",
		    failed, err ? ": " : "", err ? strerror(err) : "");
	return -1;
}

int
out_finish(struct report *r, const struct nsstls_opts *o, bool text_done,
    FILE *out, FILE *err)
{
	int code = (int)r->exit_code;

	/* The reader went away: the rest would be lost too (quietly). */
	if (out == stdout && out_stdout_gone())
		return code != 0 ? code : o->check ? CHECK_UNKNOWN : NSSTLS_EXIT_IO;
	if (o->check) {
		/* The verdict first: the JSON document carries it too. */
		code = (int)check_evaluate(r, o);
		if (o->verbose > 0 && !text_done)
			out_text_report(err, r, o);
		if (o->json)
			(void)out_json_report(out, r, o);
		else
			check_print(out, r);
		(void)out_stream_check(out);
		return code;
	}
	if (o->json)
		(void)out_json_report(out, r, o);
	else if (!text_done)
		out_text_report(err, r, o);
	(void)out_stream_check(out);
	out_text_error(err, r);
	return code;
}
