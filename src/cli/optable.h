/*
 * optable: the option table's shape, shared by the files of src/cli/.
 *
 * Every option is one row of cli_rows[] (options.c): its names, what
 * kind of value it takes, where the value is stored, its bounds or the
 * words it accepts, its help line and its --help section.  cli.c builds
 * popt's tables and --help from the rows; values.c turns a value into the
 * stored field by its kind; the few options that need code name a
 * function (.call); rules.c holds the rules between options.
 */
#ifndef NSSTLS_OPTABLE_H
#define NSSTLS_OPTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* Limits checked here, so that a value NSS or the peer cannot take is a
 * usage error before anything connects, not a failure in a later phase. */
#define NAME_MAX_LEN 255        /* SNI, EHLO name, XMPP domain */

enum opt_kind {
	K_FLAG,         /* no value: the int field is raised to .set (or 1) */
	K_COUNT,        /* no value: the int field counts the times given */
	K_STRING,       /* char *, the last one given; .choices: one of them */
	K_APPEND,       /* char ** NULL-terminated, count at .off2; repeatable */
	K_INT,          /* int from .min to .max */
	K_DURATION,     /* long milliseconds: 5, 2.5, 500ms */
	K_PORT,         /* uint16_t, 1 to 65535 */
	K_VERSION,      /* uint16_t TLS version: 1.0 ... 1.3 */
	K_TIME,         /* int64_t PRTime: RFC 3339 or YYYY-MM-DD */
	K_ENUM,         /* int: the value of the word in .choices */
	K_NAMES,        /* NSS names (.names): array at .off, count at .off2 */
	K_CALL,         /* .call parses and stores */
	K_REFUSED,      /* a usage error saying .refuse */
	K_HELP,         /* --help (.set 0) or --usage (.set 1) */
};

/* Where a row's value goes: the options every module reads, or the
 * parse-only values (struct raw) that the rules fold into them. */
enum opt_store { IN_OPTS, IN_RAW };

/* What a row does not combine with, checked for every option given
 * (rules.c, mode_rules): one message per kind, naming the option. */
enum {
	F_OPTIONAL = 1 << 0,    /* the value is optional: "--X=V" or "--X" */
	F_FILE = 1 << 1,        /* the value names a file: not empty */
	F_SERVER = 1 << 2,      /* server mode only (--listen) */
	F_CONNECT = 1 << 3,     /* connect mode only (not --listen) */
	F_NOT_SCAN = 1 << 4,    /* one connection's session or data */
	F_NEEDS_CHECK = 1 << 5, /* a threshold of --check */
	F_NOT_CHECK = 1 << 6,   /* --check prints one line: not with it */
	F_ONE_TARGET = 1 << 7,  /* works on one target */
	F_SCLIENT = 1 << 8,     /* only the one-dash s_client spelling */
	F_NOARG = 1 << 9,       /* K_CALL without a value */
};

struct choice {
	const char *word;
	int value;
};

struct name_kind;               /* values.c: --ciphers, --groups, ... */
struct cli_state;
struct opt_row;

typedef int (*opt_call)(struct cli_state *st, const struct opt_row *row,
    char **arg);

struct opt_row {
	const char *name;               /* --name (-name with F_SCLIENT) */
	char short_name;
	const char *alias[3];           /* s_client's one-dash spellings */
	enum opt_kind kind;
	enum opt_store in;
	size_t off, off2;               /* the field (and its count) */
	long min, max;                  /* K_INT bounds; K_STRING max bytes */
	long set;                       /* K_FLAG, K_HELP, K_CALL: a constant;
	                                 * F_OPTIONAL: the value when bare */
	const char *unit;               /* "number of days", "profile", ... */
	const struct choice *choices;   /* K_ENUM, K_STRING; NULL-ended */
	const struct name_kind *names;  /* K_NAMES */
	const char *wire;               /* K_STRING sent to a peer: where */
	opt_call call;                  /* K_CALL */
	int (*check)(const char *opt, const char *value);  /* K_STRING: 0 or
	                                 * -1 after the message */
	const char *refuse;             /* K_REFUSED */
	unsigned flags;
	int section;                    /* index in cli_sections[], -1: none */
	const char *help, *arg_help;
	const char *(*help_fn)(void);   /* help made at run time */
	const char *shown;              /* in messages, if not --name */
};

/* Values only the parse needs; the rules turn them into options. */
struct raw {
	char *trust;            /* --trust as given */
	int no_builtin;
	char *connect;          /* -connect HOST:PORT (s_client) */
	char *keymat_label;     /* -keymatexport LABEL (s_client) */
	int keymat_len;         /* -keymatexportlen N; 0: not given */
	int sc_verify_depth;    /* -verify N: checked, not used */
	int sc_noop;            /* s_client flags with nothing to do here */
	uint16_t *sc_ciphers;   /* -cipher: TLS 1.2 and older suites */
	size_t n_sc_ciphers;
	uint16_t *sc_suites13;  /* -ciphersuites: TLS 1.3 suites */
	size_t n_sc_suites13;
	int only12, only13;     /* --tls1.2, --tls1.3 */
};

struct cli_state {
	struct nsstls_opts *o;
	struct raw r;
	bool *given;            /* per row of cli_rows[] */
};

extern const struct opt_row cli_rows[];
extern const size_t cli_n_rows;
extern const char *const cli_sections[];

/* options.c: the row called NAME (abort if none: a programming error),
 * and whether the user gave it. */
const struct opt_row *cli_row(const char *name);
bool cli_given(const struct cli_state *st, const char *name);
/* "--name" or "-name" as the user would write it. */
const char *cli_spelling(const struct opt_row *row, char *buf, size_t size);

/* values.c */
/* Prints "nsstls: MESSAGE" and the --help hint; returns -1. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *cli_field(struct cli_state *st, const struct opt_row *row, size_t off);
int cli_value(struct cli_state *st, const struct opt_row *row, char *arg);
int cli_check_wire(const char *opt, const char *v, size_t max,
    const char *where);
int cli_check_alpn(const char *opt, char **alpn, size_t n);
int cli_push_exporter(struct nsstls_opts *o, const struct exporter_req *q);
const char *cli_starttls_help(void);

extern const struct name_kind cli_ciphers, cli_groups, cli_sigalgs,
    cli_sc_ciphers, cli_sc_suites13;

/* targets.c: HOST[:PORT] arguments.  targets_check: the syntax and what
 * the options need of it (usage message); targets_set: derive target,
 * port, SNI and the verified name (0, or -1 after the message). */
void targets_add(struct nsstls_opts *o, const char *arg);
int targets_check(const struct nsstls_opts *o, const char *arg);
int targets_set(struct nsstls_opts *o, const char *arg);

/* rules.c: every rule between options; 0 or -1 after a message. */
int cli_rules(struct cli_state *st);

#endif
