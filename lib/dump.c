/*
 * dump.c: traffic dumps. The options become a struct dump, opened once;
 * every chunk that passes is formatted by pure functions (a fuzzer's and
 * the tests' contract) and written at once, blocking, never buffered.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include "dump.h"

/* One slice's text: its header and its lines. */
static char txt[DUMP_HEADER_MAX + DUMP_LINES_LEN(DUMP_SLICE)];

static const char *const opt_name[] = { "--hexdump", "--dump-in",
    "--dump-out" };

static struct dump_file *
file_for(struct dump *d, int ch)
{
	return ch == DUMP_OPT_HEX ? &d->hex : ch == DUMP_OPT_IN ? &d->in :
	    &d->out;
}

int
parse_dump_opt(struct dump *d, int ch, const char *arg, char *err,
    size_t errlen)
{
	struct dump_file *f = file_for(d, ch);
	const char *name = opt_name[ch - DUMP_OPT_HEX];

	if (*arg == '\0') {
		snprintf(err, errlen, "%s needs a FILE ('-': stderr)", name);
		return -1;
	}
	if (f->path != NULL) {
		snprintf(err, errlen, "%s given twice", name);
		return -1;
	}
	f->path = arg;
	return 0;
}

void
xdump_opt(struct dump *d, int ch, const char *arg)
{
	char err[80];

	if (parse_dump_opt(d, ch, arg, err, sizeof(err)) < 0)
		die_usage("%s", err);
}

/* Whether a and b name one file that is not stderr. */
static int
same_file(const struct dump_file *a, const struct dump_file *b)
{
	struct stat sa, sb;

	if (a->path == NULL || b->path == NULL || strcmp(a->path, "-") == 0 ||
	    strcmp(b->path, "-") == 0)
		return 0;
	if (strcmp(a->path, b->path) == 0)
		return 1;
	return stat(a->path, &sa) == 0 && stat(b->path, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void
open_file(struct dump_file *f)
{
	struct stat st;

	f->fd = -1;
	if (f->path == NULL)
		return;
	if (strcmp(f->path, "-") == 0) {
		f->fd = STDERR_FILENO;
	} else {
		/* A fifo's open waits for its reader, as a shell's would. */
		f->fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
		    O_CLOEXEC, 0600);
		if (f->fd < 0)
			die_errno(EXIT_FAIL, "%s", f->path);
		f->own = 1;
	}
	f->pipe = fstat(f->fd, &st) == 0 && (S_ISFIFO(st.st_mode) ||
	    S_ISSOCK(st.st_mode));
}

void
xdump_open(struct dump *d)
{
	if (same_file(&d->hex, &d->in) || same_file(&d->hex, &d->out))
		die_usage("--hexdump and %s name the same file",
		    same_file(&d->hex, &d->in) ? "--dump-in" : "--dump-out");
	if (same_file(&d->in, &d->out))
		die_usage("--dump-in and --dump-out name the same file");
	if (d->hex.path || d->in.path || d->out.path)
		open_stdfds();	/* a dump must not land on fd 0-2 */
	open_file(&d->hex);
	open_file(&d->in);
	open_file(&d->out);
	d->on = d->hex.fd >= 0 || d->in.fd >= 0 || d->out.fd >= 0;
	d->start_us = now_us();
}

static void
close_file(struct dump_file *f)
{
	if (f->own && f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->own = 0;
}

void
dump_close(struct dump *d)
{
	close_file(&d->hex);
	close_file(&d->in);
	close_file(&d->out);
	d->on = 0;
}

size_t
dump_header(char *out, size_t outlen, int dir, size_t len, long long us,
    const char *label)
{
	int n;

	if (us < 0)
		us = 0;
	n = snprintf(out, outlen, "%c %zu bytes +%lld.%03llds%s%s\n",
	    dir == DUMP_OUT ? '>' : '<', len, us / 1000000,
	    us % 1000000 / 1000, label && *label ? " " : "",
	    label ? label : "");
	if (n < 0)
		return 0;
	return (size_t)n < outlen ? (size_t)n : outlen > 0 ? outlen - 1 : 0;
}

/* off in hex, at least 8 digits, at o; returns the end. */
static char *
put_offset(char *o, unsigned long long off)
{
	static const char hex[] = "0123456789abcdef";
	int digits = 8, i;

	while (digits < 16 && off >> (4 * digits) != 0)
		digits++;
	for (i = digits - 1; i >= 0; i--)
		*o++ = hex[(off >> (4 * i)) & 0xf];
	return o;
}

size_t
dump_lines(char *out, unsigned long long off, const void *buf, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = buf;
	size_t i, k, len;
	char *o = out;

	for (i = 0; i < n; i += 16, off += 16) {
		len = n - i < 16 ? n - i : 16;
		o = put_offset(o, off);
		*o++ = ' ';
		*o++ = ' ';
		for (k = 0; k < 16; k++) {
			if (k < len) {
				*o++ = hex[p[i + k] >> 4];
				*o++ = hex[p[i + k] & 0xf];
			} else {
				*o++ = ' ';
				*o++ = ' ';
			}
			*o++ = ' ';
			if (k == 7)
				*o++ = ' ';
		}
		*o++ = ' ';
		*o++ = '|';
		for (k = 0; k < len; k++)
			*o++ = p[i + k] >= 0x20 && p[i + k] < 0x7f ?
			    (char)p[i + k] : '.';
		*o++ = '|';
		*o++ = '\n';
	}
	return (size_t)(o - out);
}

/*
 * Write all of p[0..n) to f, waiting as long as it takes. A pipe's
 * reader that went away is EPIPE here, not a SIGPIPE that kills us: the
 * signal is blocked for the write and a SIGPIPE it raised is taken back.
 */
static int
write_full(struct dump_file *f, const char *p, size_t n)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t set, old, pending;
	struct pollfd pfd = { .fd = f->fd, .events = POLLOUT };
	int was_pending = 0, err = 0;
	ssize_t w;

	if (f->pipe) {
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		sigpending(&pending);
		was_pending = sigismember(&pending, SIGPIPE) == 1;
		pthread_sigmask(SIG_BLOCK, &set, &old);
	}
	while (n > 0) {
		if ((w = write(f->fd, p, n)) > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			poll(&pfd, 1, -1);	/* stderr may be non-blocking */
			continue;
		}
		err = w < 0 ? errno : ENOSPC;
		break;
	}
	if (f->pipe) {
		if (err == EPIPE && !was_pending)
			sigtimedwait(&set, NULL, &zero);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	errno = err;
	return err ? -1 : 0;
}

/* Write to f, or stop f for good after one warning. */
static void
put(struct dump *d, struct dump_file *f, const void *p, size_t n)
{
	if (f->fd < 0 || write_full(f, p, n) == 0)
		return;
	warn_msg("warning: %s: %s; dump stopped", strcmp(f->path, "-") ?
	    f->path : "stderr", strerror(errno));
	close_file(f);
	d->on = d->hex.fd >= 0 || d->in.fd >= 0 || d->out.fd >= 0;
}

/* One chunk: a hex slice per DUMP_SLICE bytes, and the raw copy. */
static void
put_chunk(struct dump *d, int dir, const char *label,
    unsigned long long off, const char *p, size_t n)
{
	long long us = now_us() - d->start_us;
	size_t len, at = 0, t;

	do {
		len = n - at < DUMP_SLICE ? n - at : DUMP_SLICE;
		if (d->hex.fd >= 0) {
			t = dump_header(txt, DUMP_HEADER_MAX, dir, len, us,
			    label);
			t += dump_lines(txt + t, off + at, p + at, len);
			put(d, &d->hex, txt, t);
		}
		at += len;
	} while (at < n);
	put(d, dir == DUMP_OUT ? &d->out : &d->in, p, n);
}

struct dump_conn *
dump_conn_init(struct dump_conn *c, struct dump *d,
    const struct sockaddr *peer)
{
	if (!d->on)
		return NULL;
	*c = (struct dump_conn){ .d = d };
	if (peer != NULL)
		fmt_addrport(peer, c->label, sizeof(c->label));
	return c;
}

void
dump_stream(struct dump_conn *c, int dir, const void *p, size_t n)
{
	if (!c->d->on)
		return;
	put_chunk(c->d, dir, c->label, c->off[dir], p, n);
	c->off[dir] += n;
}

void
dump_dgram(struct dump *d, int dir, const struct sockaddr *peer,
    const void *p, size_t n)
{
	char label[ADDRPORT_LEN] = "";

	if (!d->on)
		return;
	if (peer != NULL)
		fmt_addrport(peer, label, sizeof(label));
	put_chunk(d, dir, label, 0, p, n);
}

void
dump_msg(struct dump *d, int dir, const struct msghdr *mh, size_t len)
{
	static char dgram[65536];
	size_t i, at = 0, k;

	if (!d->on)
		return;
	for (i = 0; i < mh->msg_iovlen && at < len && at < sizeof(dgram);
	    i++) {
		k = mh->msg_iov[i].iov_len;
		if (k > len - at)
			k = len - at;
		if (k > sizeof(dgram) - at)
			k = sizeof(dgram) - at;
		memcpy(dgram + at, mh->msg_iov[i].iov_base, k);
		at += k;
	}
	dump_dgram(d, dir, mh->msg_namelen ? mh->msg_name : NULL, dgram, at);
}

void
dump_segments(struct dump *d, int dir, const struct mmsghdr *m, int n)
{
	const struct msghdr *mh;
	size_t k;
	int i;

	for (i = 0; i < n && d->on; i++) {
		mh = &m[i].msg_hdr;
		for (k = 0; k < mh->msg_iovlen; k++)
			dump_dgram(d, dir, mh->msg_namelen ? mh->msg_name :
			    NULL, mh->msg_iov[k].iov_base,
			    mh->msg_iov[k].iov_len);
	}
}
