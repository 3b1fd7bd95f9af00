/*
 * out: output dispatch and exit status (see out.h).
 */
#include "out.h"

#include <stdio.h>

#include "check.h"
#include "out_json.h"
#include "out_text.h"

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
			check_print(out, r);
		return code;
	}
	if (o->json)
		(void)out_json_report(out, r, o);
	else if (!text_done)
		out_text_report(err, r, o);
	out_text_error(err, r);
	return code;
}
