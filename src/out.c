/*
 * out: output dispatch and exit status (see out.h).
 */
#include "out.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "out_json.h"
#include "out_text.h"

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

	if (o->check) {
		/* The verdict first: the JSON document carries it too. */
		code = (int)check_evaluate(r, o);
		if (o->verbose > 0 && !text_done)
			out_text_report(err, r, o);
		if (o->json)
			(void)out_json_report(out, r, o);
		else
			check_print(out, r, o->n_targets <= 1 &&
			    o->targets_file == NULL);
		return code;
	}
	if (o->json)
		(void)out_json_report(out, r, o);
	else if (!text_done)
		out_text_report(err, r, o);
	out_text_error(err, r);
	return code;
}
