/*
 * out: output dispatch and exit status (see out.h).
 */
#include "out.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "out_json.h"
#include "out_text.h"
#include "util.h"

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

bool
out_same_file(const char *a, const char *b)
{
	char *da = xstrdup(a), *db = xstrdup(b), *ba = xstrdup(a), *bb = xstrdup(b);
	struct stat sa, sb;
	bool same = strcmp(a, b) == 0 ||
	    (strcmp(basename(ba), basename(bb)) == 0 &&
	    stat(dirname(da), &sa) == 0 && stat(dirname(db), &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);

	free(da);
	free(db);
	free(ba);
	free(bb);
	return same;
}

/* A path that exists and is not a regular file (a device, a FIFO,
 * /dev/fd/N from the shell's >(...)) is a stream to write into, not a
 * file to replace. */
static bool
is_stream(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISDIR(st.st_mode);
}

/* path can be written: a stream that is writable, or a new file that its
 * directory can take (searchable, writable, and path not a directory).
 * Returns 0 or errno. */
static int
path_writable(const char *path)
{
	char *copy = xstrdup(path), *dir = dirname(copy);
	struct stat st;
	int e = 0;

	/* faccessat with AT_EACCESS asks with the effective ids, as open
	 * would; it also sees ACLs and read-only mounts, which stat cannot. */
	if (is_stream(path)) {
		if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) != 0)
			e = errno;
	} else if (stat(dir, &st) != 0) {
		e = errno;
	} else if (!S_ISDIR(st.st_mode)) {
		e = ENOTDIR;
	} else if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0) {
		e = errno;
	} else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		e = EISDIR;
	}
	free(copy);
	return e;
}

int
out_check_paths(const struct nsstls_opts *o, struct report *r)
{
	const char *opt[] = { "--save-chain", "--save-chain-verified" };
	const char *path[] = { o->save_chain, o->save_chain_verified };

	for (size_t i = 0; i < 2; i++) {
		int e = path[i] != NULL ? path_writable(path[i]) : 0;

		if (e != 0) {
			report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP,
			    "cannot write %s %s: %s", opt[i], path[i], strerror(e));
			return -1;
		}
	}
	return 0;
}

/* A new file beside path (the same directory, so that rename(2) is
 * atomic), opened O_CREAT|O_EXCL: never through a symlink or a file
 * someone else put at the name.  Not mkstemp: that makes it 0600, and an
 * output file takes its mode from the umask (0666 less it).  Returns the
 * stream and its name in *tmp, or NULL with errno set. */
static FILE *
open_temp(const char *path, char **tmp)
{
	for (int tries = 0; tries < 8; tries++) {
		unsigned char rnd[6];
		char hex[2 * sizeof(rnd) + 1];
		FILE *f;
		int fd, e;

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return NULL;
		util_hex(rnd, sizeof(rnd), '\0', hex);
		*tmp = xasprintf("%s.%s.tmp", path, hex);
		fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 && (f = fdopen(fd, "w")) != NULL)
			return f;
		e = errno;
		if (fd >= 0) {
			close(fd);
			unlink(*tmp);
		}
		free(*tmp);
		*tmp = NULL;
		errno = e;
		if (e != EEXIST)
			return NULL;
	}
	return NULL;
}

/* Open a stream path for writing.  O_NONBLOCK: a FIFO nobody reads is
 * an error (ENXIO) at once rather than a wait without end; the writes
 * then block as usual. */
static FILE *
open_stream(const char *path)
{
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	FILE *f;
	int e;

	if (fd < 0)
		return NULL;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0 &&
	    (f = fdopen(fd, "w")) != NULL)
		return f;
	e = errno;
	close(fd);
	errno = e;
	return NULL;
}

/* The chain as PEM into path.  A file is written whole to a temporary
 * file, then renamed into place, so that a reader never sees half a
 * chain and a failure leaves an older file as it was.  Returns 0 or
 * errno. */
static int
save_pem(const char *path, const struct report *r, bool built)
{
	char *tmp = NULL;
	FILE *f = is_stream(path) ? open_stream(path) : open_temp(path, &tmp);
	int e = 0;

	if (f == NULL)
		return errno != 0 ? errno : EIO;
	if (out_text_pem_chain(f, r, built) != 0)
		e = errno != 0 ? errno : EIO;
	if (fclose(f) != 0 && e == 0)
		e = errno != 0 ? errno : EIO;
	if (tmp != NULL && e == 0 && rename(tmp, path) != 0)
		e = errno;
	if (tmp != NULL && e != 0)
		unlink(tmp);
	free(tmp);
	return e;
}

/* --showcerts, --save-chain, --save-chain-verified, once per run.  A
 * write failure becomes the outcome only when the run had none worse. */
int
out_write_chains(const struct nsstls_opts *o, struct report *r)
{
	const char *failed = NULL;
	int err = 0;

	if (r->chains_written)
		return 0;
	r->chains_written = true;
	if (o->showcerts && out_text_pem_chain(stdout, r, false) != 0) {
		if (out_stdout_gone())
			return -1;      /* the reader went away: quietly */
		failed = "stdout";
		err = out_stream_check(stdout);
		out_stdout_said();
	}
	if (failed == NULL && o->save_chain != NULL &&
	    (err = save_pem(o->save_chain, r, false)) != 0)
		failed = o->save_chain;
	if (failed == NULL && o->save_chain_verified != NULL &&
	    (err = save_pem(o->save_chain_verified, r, true)) != 0)
		failed = o->save_chain_verified;
	if (failed == NULL)
		return 0;
	if (r->exit_code == NSSTLS_EXIT_OK)
		report_fail(r, PHASE_DONE, 0, NSSTLS_EXIT_IO,
		    "cannot write the certificates to %s: %s", failed,
		    strerror(err));
	else {  /* the run failed already: say it, keep its exit status */
		fprintf(stderr, "nsstls: %s: cannot write the certificates to ",
		    report_phase_str(PHASE_DONE));
		util_fputs_term(failed, stderr);
		fprintf(stderr, ": %s\n", strerror(err));
	}
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
			check_print(out, r, o->n_targets <= 1 &&
			    o->targets_file == NULL);
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
