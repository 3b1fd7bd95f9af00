/*
 * out: output dispatch and exit status (see out.h).
 */
#include "out.h"

#include <stdio.h>

#include "check.h"
#include "out_json.h"
#include "out_text.h"

int
out_finish(struct report *r, const struct nsstls_opts *o, bool text_done)
{
	int code = (int)r->exit_code;

	if (o->check) {
		/* The verdict first: the JSON document carries it too. */
		code = (int)check_evaluate(r, o);
		if (o->verbose > 0 && !text_done)
			out_text_report(stderr, r, o);
		if (o->json)
			(void)out_json_report(stdout, r, o);
		else
			check_print(stdout, r);
		return code;
	}
	if (o->json)
		(void)out_json_report(stdout, r, o);
	else if (!text_done)
		out_text_report(stderr, r, o);
	out_text_error(stderr, r);
	return code;
}
