/*
 * cli: the command line into struct nsstls_opts (see cli.h).
 *
 * The options are data (options.c, one row each); this file makes popt's
 * tables and --help from the rows, runs popt's loop handing each value to
 * values.c, then the rules between options (rules.c).  Help is printed
 * here rather than by POPT_AUTOHELP because popt's autohelp calls exit()
 * itself, and only main() may end the process.
 */
#include "cli.h"

#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "exporter.h"
#include "optable.h"

/* popt hands back val for every option; rows are val - VAL_BASE. */
#define VAL_BASE 1000

/* s_client spellings take one dash and stay out of --help. */
#define ALIAS (POPT_ARGFLAG_ONEDASH | POPT_ARGFLAG_DOC_HIDDEN)

struct popt_tables {
	struct poptOption *section[16];
	struct poptOption *alias;
	struct poptOption main[18];
};

static unsigned
arg_info(const struct opt_row *row, bool alias)
{
	if (row->kind == K_FLAG || row->kind == K_COUNT || row->kind == K_HELP ||
	    (row->flags & F_NOARG))
		return POPT_ARG_NONE;
	/* s_client's spellings of an optional value take none (-reconnect). */
	if (row->flags & F_OPTIONAL)
		return alias ? POPT_ARG_NONE : POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL;
	return POPT_ARG_STRING;
}

static struct poptOption
popt_entry(const struct opt_row *row, const char *name, bool alias)
{
	struct poptOption p = { 0 };

	p.longName = name;
	p.shortName = alias ? '\0' : row->short_name;
	p.argInfo = arg_info(row, alias) | (alias ? ALIAS : 0);
	p.val = VAL_BASE + (int)(row - cli_rows);
	if (!alias) {
		p.descrip = row->help_fn != NULL ? row->help_fn() : row->help;
		p.argDescrip = row->arg_help;
	}
	return p;
}

static struct poptOption *
section_table(int section)
{
	struct poptOption *t = xcalloc(cli_n_rows + 1, sizeof(*t));
	size_t n = 0;

	for (size_t i = 0; i < cli_n_rows; i++)
		if (cli_rows[i].section == section &&
		    !(cli_rows[i].flags & F_SCLIENT))
			t[n++] = popt_entry(&cli_rows[i], cli_rows[i].name, false);
	return t;
}

static struct poptOption *
alias_table(void)
{
	struct poptOption *t = xcalloc(4 * cli_n_rows + 1, sizeof(*t));
	size_t n = 0;

	for (size_t i = 0; i < cli_n_rows; i++) {
		const struct opt_row *row = &cli_rows[i];

		if (row->flags & F_SCLIENT)
			t[n++] = popt_entry(row, row->name, true);
		for (size_t k = 0; k < 3 && row->alias[k] != NULL; k++)
			t[n++] = popt_entry(row, row->alias[k], true);
	}
	return t;
}

static struct poptOption
include(struct poptOption *table, const char *title)
{
	struct poptOption p = { 0 };

	p.argInfo = POPT_ARG_INCLUDE_TABLE;
	p.arg = table;
	p.descrip = title;
	return p;
}

/* The sections in --help order, the aliases before the last (Help). */
static void
tables_make(struct popt_tables *t)
{
	size_t n = 0, last = 0;

	memset(t, 0, sizeof(*t));
	while (cli_sections[last + 1] != NULL)
		last++;
	t->alias = alias_table();
	for (size_t s = 0; cli_sections[s] != NULL; s++) {
		t->section[s] = section_table((int)s);
		if (s == last)
			t->main[n++] = include(t->alias, NULL);
		t->main[n++] = include(t->section[s], cli_sections[s]);
	}
}

static void
tables_free(struct popt_tables *t)
{
	for (size_t s = 0; s < sizeof(t->section) / sizeof(*t->section); s++)
		free(t->section[s]);
	free(t->alias);
}

static void
opts_init(struct nsstls_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout_ms = NSSTLS_DEFAULT_CONNECT_TIMEOUT_MS;
	o->timeout_ms = NSSTLS_DEFAULT_TIMEOUT_MS;
	o->tls_min = 0x0303;
	o->tls_max = 0x0304;
	o->trust_builtin = true;
	o->warn_days = 30;
	o->crit_days = 7;
	o->jobs = 8;
	o->scan_jobs = 8;
}

/*
 * Options whose value is optional count a value only when it is written
 * with '=' ("--trace=hex"): popt would otherwise take the next word when it
 * does not start with '-', so "--trace host" would lose its target.  Each
 * bare spelling is handed to popt as "--trace=" (an empty value, which
 * values.c reads as none), and the next word stays a target, in its place.
 */
static char **
bare_optional(int argc, const char **argv)
{
	char **av = xcalloc((size_t)argc + 1, sizeof(*av));
	bool options = true;

	for (int i = 0; i < argc; i++) {
		av[i] = (char *)argv[i];
		if (i == 0 || !options)
			continue;
		if (strcmp(argv[i], "--") == 0)
			options = false;
		for (size_t k = 0; k < cli_n_rows; k++)
			if ((cli_rows[k].flags & F_OPTIONAL) && argv[i][0] == '-' &&
			    argv[i][1] == '-' && strcmp(argv[i] + 2, cli_rows[k].name) == 0)
				av[i] = xasprintf("%s=", argv[i]);
	}
	return av;
}

static void
bare_optional_free(int argc, const char **argv, char **av)
{
	for (int i = 0; i < argc; i++)
		if (av[i] != argv[i])
			free(av[i]);
	free(av);
}

/* popt's loop: each option to its row.  Returns CLI_RUN to go on. */
static enum cli_result
parse_loop(poptContext ctx, struct cli_state *st)
{
	int rc;

	while ((rc = poptGetNextOpt(ctx)) > 0) {
		const struct opt_row *row = &cli_rows[rc - VAL_BASE];

		st->given[rc - VAL_BASE] = true;
		if (row->kind == K_HELP) {
			if (row->set == 0)
				poptPrintHelp(ctx, stdout, 0);
			else
				poptPrintUsage(ctx, stdout, 0);
			return CLI_DONE;
		}
		if (cli_value(st, row, poptGetOptArg(ctx)) != 0)
			return CLI_USAGE_ERROR;
	}
	if (rc < -1) {
		cli_errorf("nsstls: %s: %s", poptBadOption(ctx, POPT_BADOPTION_NOALIAS),
		    poptStrerror(rc));
		fputs("\nTry 'nsstls --help' for more information.\n", stderr);
		return CLI_USAGE_ERROR;
	}
	return CLI_RUN;
}

enum cli_result
cli_parse(int argc, const char **argv, struct nsstls_opts *o)
{
	struct cli_state st = { .o = o };
	struct popt_tables tables;
	enum cli_result result;
	const char *target;
	poptContext ctx;
	char **av;

	opts_init(o);
	st.given = xcalloc(cli_n_rows, sizeof(*st.given));
	tables_make(&tables);
	av = bare_optional(argc, argv);
	ctx = poptGetContext("nsstls", argc, (const char **)av, tables.main, 0);
	poptSetOtherOptionHelp(ctx, "[OPTIONS] HOST[:PORT]... | --print-cert FILE");
	result = parse_loop(ctx, &st);
	if (result == CLI_RUN) {
		while ((target = poptGetArg(ctx)) != NULL)
			targets_add(o, target);
		if (cli_rules(&st) != 0)
			result = CLI_USAGE_ERROR;
	}
	free(st.r.trust);
	free(st.r.connect);
	free(st.r.keymat_label);
	free(st.r.sc_ciphers);
	free(st.r.sc_suites13);
	free(st.given);
	poptFreeContext(ctx);
	bare_optional_free(argc, argv, av);
	tables_free(&tables);
	return result;
}

static void
cert_sources_free(struct nsstls_opts *o)
{
	for (size_t i = 0; i < o->n_more_certs; i++) {
		free(o->more_certs[i].cert);
		free(o->more_certs[i].key);
		free(o->more_certs[i].chain);
	}
	free(o->more_certs);
}

void
cli_free(struct nsstls_opts *o)
{
	char **strings[] = { &o->starttls_name, &o->xmpp_domain, &o->proxy,
		&o->proxy_user, &o->servername, &o->verify_name, &o->servername_opt,
		&o->verify_name_opt, &o->targets_file, &o->ca_path, &o->db,
		&o->pass_file, &o->pass, &o->ocsp_url, &o->save_chain,
		&o->save_chain_verified, &o->print_cert, &o->cert, &o->key,
		&o->cert_chain, &o->pkcs12, &o->expect_alpn, &o->keylog,
		&o->early_data, &o->scan_profile, &o->listen_host };

	if (o == NULL)
		return;
	for (size_t i = 0; i < sizeof(strings) / sizeof(*strings); i++)
		free(*strings[i]);
	util_target_free(&o->target);
	free(o->ciphers);
	free(o->groups);
	free(o->sigalgs);
	free(o->ech_config);
	util_list_free(o->alpn);
	util_list_free(o->targets);
	util_list_free(o->ca_files);
	util_list_free(o->crl_files);
	util_list_free(o->self_signed);
	cert_sources_free(o);
	for (size_t i = 0; i < o->n_exporters; i++)
		exporter_req_free(&o->exporters[i]);
	free(o->exporters);
	memset(o, 0, sizeof(*o));
}
