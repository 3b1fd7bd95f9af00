/*
 * multi: concurrent targets (see multi.h).
 *
 * NSS is thread-safe for independent sockets; each target gets its own
 * model socket, hooks arguments and report, so workers share nothing but
 * the NSS trust store, which they only read.  Each worker writes its
 * output into memory (open_memstream) and the main thread copies it out,
 * so results never interleave.
 */
#include "multi.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "client.h"
#include "out.h"
#include "scan.h"
#include "util.h"

struct job {
	char *arg;
	char *out, *err;        /* rendered output */
	size_t out_len, err_len;
	int code;
	bool done, printed;
};

struct pool {
	const struct nsstls_opts *opts;
	struct nss_ctx *nss;
	const struct report *setup;
	struct job *jobs;
	size_t n, next, finished;
	bool stop;              /* output failed: start no more targets */
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void
add_job(struct job **jobs, size_t *n, const char *arg)
{
	*jobs = xrealloc(*jobs, (*n + 1) * sizeof(**jobs));
	memset(&(*jobs)[*n], 0, sizeof(**jobs));
	(*jobs)[(*n)++].arg = xstrdup(arg);
}

/* "nsstls: FILE line N: " with the file name escaped. */
static void
line_error(const char *path, size_t lineno)
{
	fputs("nsstls: ", stderr);
	util_fputs_term(path, stderr);
	fprintf(stderr, " line %zu: ", lineno);
}

/* A NUL would cut the line short in silence ("local\0host:443" would
 * check local:443), and other control bytes have no place in a target:
 * the line is refused.  A line end (LF, CRLF) and tabs are fine. */
static int
check_line(const char *path, size_t lineno, const char *line, size_t len)
{
	const char *c;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	for (c = line; (c = util_find_control(c, len - (size_t)(c - line))) != NULL;
	    c++) {
		if (*c == '\t')
			continue;
		line_error(path, lineno);
		fprintf(stderr, "%s (byte \\x%02x at column %zu): a target is "
		    "HOST[:PORT]\n", *c == '\0' ? "a NUL byte" : "a control byte",
		    (unsigned char)*c, (size_t)(c - line) + 1);
		return -1;
	}
	return 0;
}

/* --targets FILE: HOST[:PORT] per line; blank lines and # comments
 * skipped.  Each line is checked as a target given as an argument would
 * be (cli_target_opts: its syntax, its SNI, --starttls auto's port), so
 * that a bad line stops the run before anything connects.  The file is
 * read whole through the bounded reader (a FIFO or stdin that stalls ends
 * at the --timeout).  Returns 0, -1 after printing a bad line, -2 after
 * printing why the file cannot be read. */
int
multi_read_targets(const char *path, const struct nsstls_opts *o,
    struct job **jobs, size_t *n)
{
	const char *file = strcmp(path, "-") == 0 ? "/dev/stdin" : path;
	unsigned char *text;
	char *line = NULL, *why;
	size_t cap = 0, lineno = 0, len;
	ssize_t got;
	FILE *f;
	int rc = 0;

	if (util_read_file(file, "--targets", UTIL_LIMIT_TARGETS, o->timeout_ms,
	    &text, &len, &why) != 0) {
		fputs("nsstls: cannot read --targets ", stderr);
		util_fputs_term(path, stderr);
		fprintf(stderr, ": %s\n", why);
		free(why);
		return -2;
	}
	f = len > 0 ? fmemopen(text, len, "r") : NULL;
	while (f != NULL && (got = getline(&line, &cap, f)) >= 0) {
		char *p = line, *end;
		struct nsstls_opts t;
		const char *err;

		lineno++;
		if ((size_t)got > UTIL_LIMIT_LINE) {
			line_error(path, lineno);
			fprintf(stderr, "longer than the %zu MiB limit for --targets\n",
			    UTIL_LIMIT_LINE / UTIL_MIB);
			rc = -2;
			break;
		}
		if (check_line(path, lineno, line, (size_t)got) != 0) {
			rc = -1;
			break;
		}
		p[strcspn(p, "#")] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' ||
		    end[-1] == '\r' || end[-1] == '\n'))
			*--end = '\0';
		if (*p == '\0')
			continue;
		if (cli_target_opts(o, p, &t, &err) != 0) {
			line_error(path, lineno);
			fputs("bad target '", stderr);
			util_fputs_term(p, stderr);
			fprintf(stderr, "': %s\n", err);
			rc = -1;
			break;
		}
		cli_target_free(&t);
		add_job(jobs, n, p);
	}
	free(line);
	if (f != NULL)
		fclose(f);
	free(text);
	return rc;
}

/* --shard K/N: keep every N-th target from offset K, in order. */
static void
shard(struct pool *p, unsigned k, unsigned n)
{
	size_t kept = 0;

	for (size_t i = 0; i < p->n; i++) {
		if (i % n == k)
			p->jobs[kept++] = p->jobs[i];
		else
			free(p->jobs[i].arg);
	}
	p->n = kept;
}

static void
run_one(struct pool *p, struct job *j)
{
	struct nsstls_opts o;
	struct report r;
	const char *err;
	FILE *out = open_memstream(&j->out, &j->out_len);
	FILE *errf = open_memstream(&j->err, &j->err_len);

	if (out == NULL || errf == NULL)
		abort();        /* out of memory */
	if (cli_target_opts(p->opts, j->arg, &o, &err) != 0) {
		/* Checked before the run started; cannot happen. */
		fputs("nsstls: bad target '", errf);
		util_fputs_term(j->arg, errf);
		fprintf(errf, "': %s\n", err);
		j->code = NSSTLS_EXIT_USAGE;
		goto out;
	}
	report_init(&r, o.target.host, o.port);
	/* The trust sources were loaded once; every report names them, in
	 * the same order, so the indices in the chain links match. */
	for (size_t i = 0; i < p->setup->n_trust; i++)
		report_add_trust(&r, p->setup->trust[i].name,
		    p->setup->trust[i].detail, p->setup->trust[i].anchors);
	/* The header goes where the report does: a scan's is on stdout. */
	if (!o.json && !o.check) {
		FILE *head = o.scan ? out : errf;

		fputs("== ", head);
		util_fputs_term(j->arg, head);
		fputc('\n', head);
	}
	j->code = o.scan ? scan_run(&o, p->nss, &r, out, errf) :
	    client_run(&o, p->nss, &r, out, errf);
	report_free(&r);
	cli_target_free(&o);
out:
	fclose(out);
	fclose(errf);
}

static void *
worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&p->lock);
		i = !p->stop && p->next < p->n ? p->next++ : p->n;
		pthread_mutex_unlock(&p->lock);
		if (i == p->n)
			return NULL;
		run_one(p, &p->jobs[i]);
		pthread_mutex_lock(&p->lock);
		p->jobs[i].done = true;
		p->finished++;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
}

/* Worst of two exit statuses.  For --check: CRITICAL > WARNING > UNKNOWN
 * > OK; otherwise the higher code (the later the phase that failed). */
static int
worse(int a, int b, bool check)
{
	static const int rank[] = { 0, 2, 3, 1 };     /* by check code */

	if (check)
		return rank[b & 3] > rank[a & 3] ? b : a;
	return b > a ? b : a;
}

/* A finished target's report (stderr) and document (stdout), whole.
 * Returns 0, or -1 when either could not be written. */
static int
print_job(struct job *j, bool progress)
{
	if (progress)
		fputs("\r\033[K", stderr);
	if (fwrite(j->err, 1, j->err_len, stderr) != j->err_len ||
	    fwrite(j->out, 1, j->out_len, stdout) != j->out_len)
		return -1;
	return out_stream_check(stdout) != 0 || out_stream_check(stderr) != 0 ?
	    -1 : 0;
}

/* Print each finished target, in input order or as they finish, until
 * all are printed or nobody reads.  Returns the worst exit code.  Called
 * and returns with p->lock held. */
static int
print_results(struct pool *p, bool progress)
{
	const struct nsstls_opts *o = p->opts;
	size_t printed = 0, in_order = 0;
	int code = 0;

	while (printed < p->n) {
		struct job *j = NULL;

		if (o->unordered) {
			for (size_t i = 0; i < p->n && j == NULL; i++)
				if (p->jobs[i].done && !p->jobs[i].printed)
					j = &p->jobs[i];
		} else if (p->jobs[in_order].done) {
			j = &p->jobs[in_order++];
		}
		if (j == NULL) {
			pthread_cond_wait(&p->cond, &p->lock);
			continue;
		}
		pthread_mutex_unlock(&p->lock);
		if (print_job(j, progress) != 0) {
			/* Nobody reads the rest (a closed pipe, a full disk):
			 * finish the targets under way, start no more. */
			pthread_mutex_lock(&p->lock);
			p->stop = true;
			break;
		}
		code = worse(code, j->code, o->check);
		free(j->out);
		free(j->err);
		j->out = j->err = NULL;
		printed++;
		pthread_mutex_lock(&p->lock);
		j->printed = true;
		if (progress && printed < p->n)
			fprintf(stderr, "nsstls: %zu of %zu targets done", p->finished,
			    p->n);
	}
	return code;
}

/* The targets of the command line and of --targets, this shard's share.
 * Returns -1 to go on, or the exit code to end with. */
static int
collect_jobs(struct pool *p, const struct nsstls_opts *o)
{
	int rc;

	for (size_t i = 0; i < o->n_targets; i++)
		add_job(&p->jobs, &p->n, o->targets[i]);
	if (o->targets_file != NULL &&
	    (rc = multi_read_targets(o->targets_file, o, &p->jobs, &p->n)) != 0)
		return o->check ? CHECK_UNKNOWN :
		    rc == -2 ? NSSTLS_EXIT_SETUP : NSSTLS_EXIT_USAGE;
	if (o->shard_n > 0)
		shard(p, o->shard_k, o->shard_n);
	if (p->n == 0 && o->shard_n > 0)
		return 0;       /* more machines than targets: no error */
	if (p->n == 0) {
		fputs("nsstls: no targets in ", stderr);
		util_fputs_term(o->targets_file, stderr);
		fputc('\n', stderr);
		return o->check ? CHECK_UNKNOWN : NSSTLS_EXIT_USAGE;
	}
	return -1;
}

int
multi_run(const struct nsstls_opts *o, struct nss_ctx *nss,
    const struct report *setup)
{
	struct pool p;
	pthread_t *threads;
	size_t nthreads;
	bool progress = isatty(STDERR_FILENO) && !o->quiet;
	int code;

	memset(&p, 0, sizeof(p));
	p.opts = o;
	p.nss = nss;
	p.setup = setup;
	if ((code = collect_jobs(&p, o)) >= 0)
		goto out;
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cond, NULL);
	nthreads = (size_t)o->jobs < p.n ? (size_t)o->jobs : p.n;
	threads = xcalloc(nthreads, sizeof(*threads));
	for (size_t i = 0; i < nthreads; i++)
		if (pthread_create(&threads[i], NULL, worker, &p) != 0)
			abort();
	pthread_mutex_lock(&p.lock);
	code = print_results(&p, progress);
	pthread_mutex_unlock(&p.lock);
	for (size_t i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	pthread_cond_destroy(&p.cond);
	pthread_mutex_destroy(&p.lock);
out:
	multi_jobs_free(p.jobs, p.n);
	return code;
}

void
multi_jobs_free(struct job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(jobs[i].arg);
		free(jobs[i].out);      /* not printed: the output failed */
		free(jobs[i].err);
	}
	free(jobs);
}
