/*
 * diag.c: diagnostics ("prog: message", one write(2) each so forked
 * children never interleave), exit codes, a failed stdout reported at
 * exit, and the option loop.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sockbox.h"

const char *prog = "sockbox";

static void
vsay(const char *fmt, va_list ap, int err)
{
	char buf[1024];
	int n, m;

	n = snprintf(buf, sizeof(buf), "%s: ", prog);
	m = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	n = m < 0 ? n : n + m;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	if (err) {
		m = snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(err));
		n += m;
		if (n > (int)sizeof(buf) - 2)
			n = sizeof(buf) - 2;
	}
	/* One line, whatever an operand or a peer put in it. */
	for (m = 0; m < n; m++)
		if ((unsigned char)buf[m] < ' ' || buf[m] == 0x7f)
			buf[m] = '?';
	buf[n++] = '\n';
	(void)!write(STDERR_FILENO, buf, n);
}

void
warn_msg(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap, 0);
	va_end(ap);
	errno = saved;
}

void
warn_errno(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap, saved);
	va_end(ap);
	errno = saved;
}

void
die_msg(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap, 0);
	va_end(ap);
	exit(code);
}

void
die_errno(int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap, saved);
	va_end(ap);
	exit(code);
}

void
die_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap, 0);
	va_end(ap);
	exit(EXIT_USAGE);
}

/* Whether a failed write to stdout has been reported already. */
static int stdout_told;

/*
 * The exit hook: anything still buffered is flushed, and a write that
 * failed, now or earlier, is said and turns the status into 1. errno is
 * only known if this flush fails too (glibc keeps unwritten bytes and
 * retries them; with either libc, bytes written after a failure fail
 * again), so the reason may be missing.
 */
static void
check_stdout(void)
{
	if (stdout_told)
		return;
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return;
	stdout_told = 1;
	if (errno)
		warn_errno("stdout");
	else
		warn_msg("stdout: write error");
	_exit(EXIT_FAIL);
}

void
check_stdout_at_exit(void)
{
	/*
	 * musl writes the first line at once even to a file, and straight
	 * through what does not fit its 1 KiB, then drops what a failed
	 * write held. Buffered in full here, an output as long as a usage
	 * text is still there for the exit flush to fail on, with errno.
	 */
	static char buf[16384];

	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	atexit(check_stdout);
}

void
xflush_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		stdout_told = 1;
		die_errno(EXIT_FAIL, "stdout");
	}
}

int
next_opt(int argc, char **argv, const char *optstring,
    const struct option *longopts, const char *usage)
{
	static const struct option help_only[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char spec[64];
	const char *arg, *p;
	int ch;

	/* '+': stop at the first operand; ':': report missing arguments. */
	snprintf(spec, sizeof(spec), "+:%sh", optstring);
	opterr = 0;
	ch = getopt_long(argc, argv, spec, longopts ? longopts : help_only,
	    NULL);
	if (ch != ':' && ch != '?') {
		if (ch == 'h') {
			fputs(usage, stdout);
			exit(EXIT_OK);	/* check_stdout reports a failure */
		}
		return ch;
	}
	/*
	 * musl ignores the ':' after '+' and says '?' for a missing argument
	 * (leaving optind past argc): tell the two apart ourselves.
	 */
	if (ch == '?' && optopt > 0 && optopt < 256 &&
	    (p = strchr(optstring, optopt)) && p[1] == ':')
		ch = ':';
	/* A long option is named as written, up to any "=value". */
	arg = optind - 1 < argc ? argv[optind - 1] : "";
	if (strncmp(arg, "--", 2) == 0)
		die_usage("%s option '%.*s'", ch == ':' ?
		    "missing argument for" : "unknown", (int)strcspn(arg, "="),
		    arg);
	die_usage("%s option '-%c'", ch == ':' ? "missing argument for" :
	    "unknown", optopt);
}

void
need_operands(int argc, char **argv, int min, int max)
{
	int n = argc - optind;

	if (n < min)
		die_usage("missing operand (see '%s --help')", prog);
	if (max >= 0 && n > max)
		die_usage("extra operand '%s'", argv[optind + max]);
}

void
xset_family(int *family, int ch)
{
	int f = ch == '4' ? AF_INET : AF_INET6;

	if (*family != AF_UNSPEC && *family != f)
		die_usage("-4 and -6 exclude each other");
	*family = f;
}
