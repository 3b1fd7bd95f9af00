/*
 * values: one option value turned into its field, by the row's kind (see
 * optable.h), with the usage message when it cannot be.  Also the checks
 * several options share: text sent on the wire, ALPN lists, NSS name
 * lists, exporter requests.
 */
#include "optable.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ssl.h>

#include "exporter.h"
#include "names.h"
#include "starttls.h"

#define ALPN_LIST_MAX 65535     /* RFC 7301: ProtocolNameList<2..2^16-1> */
/* NSS 3.87 builds the TLS 1.3 exporter's HkdfLabel in a 256-byte buffer:
 * 2 + 1 + "tls13 " + label + 1 + a SHA-384 hash leaves 198 bytes (measured:
 * 199 fails with SEC_ERROR_LIBRARY_FAILURE on TLS_AES_256_GCM_SHA384). */
#define EXPORTER_LABEL_MAX 198

/* Messages quote the user's words, which may hold any byte: each is
 * formatted whole and written escaped (util_escape_term), no line end. */
static void
verrorf(const char *fmt, va_list ap)
{
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		abort();        /* out of memory */
	util_fputs_term(msg, stderr);
	free(msg);
}

void
cli_errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrorf(fmt, ap);
	va_end(ap);
}

int
cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("nsstls: ", stderr);
	va_start(ap, fmt);
	verrorf(fmt, ap);
	va_end(ap);
	fputs("\nTry 'nsstls --help' for more information.\n", stderr);
	return -1;
}

void *
cli_field(struct cli_state *st, const struct opt_row *row, size_t off)
{
	return (row->in == IN_OPTS ? (char *)st->o : (char *)&st->r) + off;
}

/* A value that goes on the wire as text: not empty, at most max bytes,
 * and no control byte — in a line-based dialogue a CR or LF would end our
 * command and start one of the value's choosing.  where: "sent in ..." for
 * the message.  The value itself is not quoted: it may be a password. */
int
cli_check_wire(const char *opt, const char *v, size_t max, const char *where)
{
	size_t len = strlen(v);
	const char *c = util_find_control(v, len);

	if (len == 0) {
		cli_usage_error("%s: the value is empty", opt);
		return -1;
	}
	if (c != NULL) {
		cli_usage_error("%s: byte %zu is the control character \\x%02x, "
		    "which is not allowed in a value %s", opt, (size_t)(c - v) + 1,
		    (unsigned char)*c, where);
		return -1;
	}
	if (len > max) {
		cli_usage_error("%s: %zu bytes, more than the %zu allowed in a value "
		    "%s", opt, len, max, where);
		return -1;
	}
	return 0;
}

/* The protocols as the ClientHello carries them (RFC 7301 §3.1): each
 * 1 to 255 bytes with a length byte, the list at most 65535 bytes. */
int
cli_check_alpn(const char *opt, char **alpn, size_t n)
{
	size_t wire = 0;

	if (n == 0) {
		cli_usage_error("%s needs at least one protocol", opt);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(alpn[i]);

		if (len > 255) {
			cli_usage_error("%s: protocol %zu is %zu bytes long, more than "
			    "the 255 an ALPN protocol name can hold", opt, i + 1, len);
			return -1;
		}
		wire += 1 + len;
	}
	if (wire > ALPN_LIST_MAX) {
		cli_usage_error("%s: the list takes %zu bytes in the ClientHello, "
		    "more than the %d an ALPN extension can hold", opt, wire,
		    ALPN_LIST_MAX);
		return -1;
	}
	return 0;
}

int
cli_push_exporter(struct nsstls_opts *o, const struct exporter_req *q)
{
	if (strlen(q->label) > EXPORTER_LABEL_MAX) {
		cli_usage_error("the exporter label is %zu bytes long; NSS 3.87 "
		    "takes at most %d", strlen(q->label), EXPORTER_LABEL_MAX);
		return -1;
	}
	if (o->n_exporters == EXPORTER_MAX) {
		cli_usage_error("--export-keying-material is given more than %d "
		    "times", EXPORTER_MAX);
		return -1;
	}
	o->exporters = xrealloc(o->exporters,
	    (o->n_exporters + 1) * sizeof(*o->exporters));
	o->exporters[o->n_exporters++] = *q;
	return 0;
}

/* --starttls's help names the protocols of starttls.c's table, so that
 * the list cannot drift from what the program knows. */
const char *
cli_starttls_help(void)
{
	static char text[512];
	size_t used = (size_t)snprintf(text, sizeof(text),
	    "speak PROTO in plain text first and upgrade to TLS: ");

	used += starttls_names(text + used, sizeof(text) - used);
	if (used < sizeof(text))
		snprintf(text + used, sizeof(text) - used, "; auto: by the port");
	return text;
}

/* ---- NSS name lists: --ciphers, --groups, --sigalgs, -cipher, ... ---- */

/* One kind of name list: how to look a name up, and how to list the
 * valid ones in the error message. */
struct name_kind {
	const char *what;
	size_t size;                             /* of one parsed value */
	int (*parse)(const char *name, void *value);   /* 0, -1 unknown,
	                                                  -2 not implemented */
	void (*print_valid)(FILE *f);
	const char *note;                        /* after the list, or "" */
	bool unique;                             /* a repeat is an error */
	size_t (*max)(void);                     /* NSS's limit, or NULL */
};

static int
cipher_parse(const char *name, void *v)
{
	return names_cipher_parse(name, v);
}

static int
group_parse(const char *name, void *v)
{
	return names_group_parse(name, v);
}

static int
sigalg_parse(const char *name, void *v)
{
	return names_sigalg_parse(name, v);
}

/* SSL_SignatureSchemePrefSet refuses more than this many schemes. */
static size_t
sigalg_max(void)
{
	return SSL_SignatureMaxCount();
}

/* -cipher takes OpenSSL's names of TLS 1.2 and older suites (IANA names
 * too); -ciphersuites the TLS 1.3 ones, named alike by both. */
static int
sc_cipher_parse(const char *name, void *v)
{
	uint16_t *id = v;
	int rc = names_cipher_parse_openssl(name, id);

	if (rc == -1 && names_cipher_parse(name, id) == 0)
		rc = 0;
	return rc == 0 && names_cipher_is_tls13(*id) ? -1 : rc;
}

static int
sc_suite13_parse(const char *name, void *v)
{
	uint16_t *id = v;

	if (names_cipher_parse(name, id) != 0 || !names_cipher_is_tls13(*id))
		return -1;
	return 0;
}

static void
print_openssl12(FILE *f)
{
	names_print_openssl_ciphers(f, false);
}

static void
print_openssl13(FILE *f)
{
	names_print_openssl_ciphers(f, true);
}

const struct name_kind cli_ciphers = { "cipher suite", sizeof(uint16_t),
	cipher_parse, names_print_ciphers, "", false, NULL };
const struct name_kind cli_groups = { "group", sizeof(SSLNamedGroup),
	group_parse, names_print_groups,
	" (NSS 3.87 has no post-quantum groups)", true, NULL };
const struct name_kind cli_sigalgs = { "signature scheme",
	sizeof(SSLSignatureScheme), sigalg_parse, names_print_sigalgs, "",
	true, sigalg_max };
const struct name_kind cli_sc_ciphers = { "TLS 1.2 cipher suite",
	sizeof(uint16_t), sc_cipher_parse, print_openssl12,
	" (suite names only: OpenSSL's cipher rules such as HIGH or !aNULL "
	"are not understood)", false, NULL };
const struct name_kind cli_sc_suites13 = { "TLS 1.3 cipher suite",
	sizeof(uint16_t), sc_suite13_parse, print_openssl13,
	" (NSS 3.87 has no TLS 1.3 CCM suites)", false, NULL };

/* A group or scheme given twice (under two spellings, perhaps) adds
 * nothing, and SSL_NamedGroupConfig and SSL_SignatureSchemePrefSet refuse
 * a list longer than the values they know (SEC_ERROR_INVALID_ARGS, after
 * parsing, as a setup error): refused here, a list of thousands stops at
 * its first repeat. */
static int
check_repeat(const char *opt, const struct name_kind *k, char **list,
    const unsigned char *values, size_t i)
{
	for (size_t j = 0; j < i; j++) {
		if (memcmp(values + j * k->size, values + i * k->size, k->size) != 0)
			continue;
		if (strcmp(list[i], list[j]) == 0)
			cli_usage_error("%s: %s '%s' is given twice", opt, k->what,
			    list[i]);
		else
			cli_usage_error("%s: %s '%s' is given twice (as '%s' before)",
			    opt, k->what, list[i], list[j]);
		return -1;
	}
	return 0;
}

static int
check_name(const struct name_kind *k, int r, const char *name)
{
	if (r == 0)
		return 0;
	if (r == -2)
		cli_errorf("nsstls: %s '%s' is not implemented by NSS 3.87; valid "
		    "names: ", k->what, name);
	else
		cli_errorf("nsstls: unknown %s '%s'; valid names: ", k->what, name);
	k->print_valid(stderr);
	fprintf(stderr, "%s\n", k->note);
	return -1;
}

/* A comma/colon list into a new array of values (replacing the old one).
 * Unknown names are usage errors that list the valid ones. */
static int
parse_names(const char *opt, const struct name_kind *k, const char *arg,
    void **out, size_t *n)
{
	size_t count;
	char **list = util_split_list(arg, ",: ", &count);
	unsigned char *values = xcalloc(count, k->size);
	int rc = 0;

	for (size_t i = 0; i < count && rc == 0; i++) {
		rc = check_name(k, k->parse(list[i], values + i * k->size), list[i]);
		if (rc == 0 && k->unique)
			rc = check_repeat(opt, k, list, values, i);
	}
	if (rc == 0 && count == 0) {
		cli_usage_error("%s needs at least one %s", opt, k->what);
		rc = -1;
	}
	if (rc == 0 && k->max != NULL && count > k->max()) {
		cli_usage_error("%s: %zu names, more than the %zu NSS 3.87 takes",
		    opt, count, k->max());
		rc = -1;
	}
	util_list_free(list);
	free(*out);
	*out = values;
	*n = rc == 0 ? count : 0;
	return rc;
}

/* ---- one value by kind ---- */

/* "'a'", "'a' or 'b'", "'a', 'b' or 'c'" */
static char *
choice_list(const struct choice *c, bool quoted)
{
	char *s = xstrdup("");
	const char *q = quoted ? "'" : "";

	for (size_t i = 0; c[i].word != NULL; i++) {
		const char *sep = i == 0 ? "" : c[i + 1].word == NULL ? " or " : ", ";
		char *t = xasprintf("%s%s%s%s%s", s, sep, q, c[i].word, q);

		free(s);
		s = t;
	}
	return s;
}

static int
bad_choice(const char *opt, const struct opt_row *row, const char *arg)
{
	char *list = choice_list(row->choices, row->unit == NULL);

	if (row->unit != NULL)
		cli_usage_error("%s: '%s' is not a %s (%s)", opt, arg, row->unit,
		    list);
	else
		cli_usage_error("%s: '%s' is not %s", opt, arg, list);
	free(list);
	return -1;
}

static const struct choice *
find_choice(const struct choice *c, const char *word)
{
	for (; c->word != NULL; c++)
		if (strcmp(c->word, word) == 0)
			return c;
	return NULL;
}

static int
value_int(const char *opt, const struct opt_row *row, const char *arg, int *out)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || n < row->min || n > row->max) {
		cli_usage_error("%s: '%s' is not a %s from %ld to %ld", opt, arg,
		    row->unit != NULL ? row->unit : "number", row->min, row->max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int
value_string(struct cli_state *st, const char *opt, const struct opt_row *row,
    char **arg)
{
	char **field = cli_field(st, row, row->off);

	if (row->choices != NULL && find_choice(row->choices, *arg) == NULL)
		return bad_choice(opt, row, *arg);
	if ((row->flags & F_FILE) && **arg == '\0') {
		cli_usage_error("%s needs a file name", opt);
		return -1;
	}
	if (row->wire != NULL && cli_check_wire(opt, *arg, row->max > 0 ?
	    (size_t)row->max : SIZE_MAX, row->wire) != 0)
		return -1;
	if (row->check != NULL && row->check(opt, *arg) != 0)
		return -1;
	free(*field);
	*field = *arg;
	*arg = NULL;
	return 0;
}

static void
value_append(struct cli_state *st, const struct opt_row *row, char **arg)
{
	char ***list = cli_field(st, row, row->off);
	size_t *n = cli_field(st, row, row->off2);

	*list = xrealloc(*list, (*n + 2) * sizeof(char *));
	(*list)[(*n)++] = *arg;
	(*list)[*n] = NULL;
	*arg = NULL;
}

static int
value_simple(const char *opt, const struct opt_row *row, const char *arg,
    void *field)
{
	switch (row->kind) {
	case K_DURATION:
		if (util_parse_duration_ms(arg, field) == 0)
			return 0;
		cli_usage_error("%s: '%s' is not a duration (seconds, e.g. 5, 2.5 "
		    "or 500ms)", opt, arg);
		return -1;
	case K_PORT:
		if (util_parse_port(arg, field) == 0)
			return 0;
		cli_usage_error("%s: '%s' is not a port from 1 to 65535", opt, arg);
		return -1;
	case K_TIME:
		if (util_parse_time(arg, field) == 0)
			return 0;
		cli_usage_error("%s: '%s' is not a date (2025-06-30 or "
		    "2025-06-30T12:00:00Z)", opt, arg);
		return -1;
	default:                /* K_VERSION */
		if (names_version_parse(arg, field) == 0)
			return 0;
		cli_errorf("nsstls: %s: unknown TLS version '%s'; valid versions: ",
		    opt, arg);
		names_print_versions(stderr);
		fputs("\n", stderr);
		return -1;
	}
}

/* The value of a row without one: a flag, or an optional value left out. */
static int
value_bare(struct cli_state *st, const struct opt_row *row)
{
	int *field = cli_field(st, row, row->off);
	int set = row->set != 0 ? (int)row->set : 1;

	if (row->kind == K_COUNT)
		(*field)++;
	else if (row->kind == K_FLAG)
		*field = *field > set ? *field : set;
	else
		*field = set;
	return 0;
}

/* Parse arg (popt's malloc'd copy, or NULL for no value) into the row's
 * field.  Returns 0 or -1 after the message.  arg is freed here. */
int
cli_value(struct cli_state *st, const struct opt_row *row, char *arg)
{
	char opt[64];
	const struct choice *c;
	int rc = 0;

	cli_spelling(row, opt, sizeof(opt));
	/* An optional value is bare as "--X" (NULL) or "--X=" (see
	 * bare_optional() in cli.c). */
	if ((row->flags & F_OPTIONAL) && arg != NULL && *arg == '\0') {
		free(arg);
		arg = NULL;
	}
	if (row->kind == K_CALL)
		rc = row->call(st, row, &arg);
	else if (row->kind == K_REFUSED)
		rc = cli_usage_error("%s", row->refuse);
	else if (arg == NULL)
		rc = value_bare(st, row);
	else if (row->kind == K_STRING)
		rc = value_string(st, opt, row, &arg);
	else if (row->kind == K_APPEND)
		value_append(st, row, &arg);
	else if (row->kind == K_INT)
		rc = value_int(opt, row, arg, cli_field(st, row, row->off));
	else if (row->kind == K_ENUM && (c = find_choice(row->choices, arg)) != NULL)
		*(int *)cli_field(st, row, row->off) = c->value;
	else if (row->kind == K_ENUM)
		rc = bad_choice(opt, row, arg);
	else if (row->kind == K_NAMES)
		rc = parse_names(opt, row->names, arg, cli_field(st, row, row->off),
		    cli_field(st, row, row->off2));
	else
		rc = value_simple(opt, row, arg, cli_field(st, row, row->off));
	free(arg);
	return rc;
}
