/*
 * relay.c: the bidirectional copy between stdin/stdout and a socket: two
 * one-way copies with 128 KiB buffers, non-blocking reads and writes, poll
 * only when one would block, and the end-of-stream rules in one place.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include "dump.h"
#include "relay.h"

#define BUFSZ (128 * 1024)
#define PIPE_SZ (1024 * 1024)
#define ROUNDS 16

static char up_buf[BUFSZ], down_buf[BUFSZ];

/*
 * Set up an end for fd. Sockets take MSG_DONTWAIT per call. A pipe gets an
 * open file description of its own, non-blocking: O_NONBLOCK on the one we
 * inherited would be seen by every other process sharing it. Regular files
 * never block. Anything else (a terminal) is read or written once per poll.
 * *opened receives a descriptor to close afterwards, or stays -1.
 */
static void
init_end(struct relay_end *e, int fd, int wr, int *opened)
{
	struct stat st;
	char path[32];
	int nfd;

	*e = (struct relay_end){ .fd = fd };
	if (fstat(fd, &st) < 0)
		return;
	if (S_ISSOCK(st.st_mode) || S_ISREG(st.st_mode)) {
		e->sock = S_ISSOCK(st.st_mode);
		e->nb = e->ready = 1;
	} else if (S_ISFIFO(st.st_mode)) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		nfd = open(path, (wr ? O_WRONLY : O_RDONLY) | O_NONBLOCK |
		    O_CLOEXEC);
		if (nfd >= 0) {
			e->fd = *opened = nfd;
			e->nb = e->ready = 1;
		}
		/* Room for a few buffers: fewer wake-ups for both sides. */
		if (fcntl(fd, F_GETPIPE_SZ) < PIPE_SZ)
			fcntl(fd, F_SETPIPE_SZ, PIPE_SZ);
	}
}

static ssize_t
read_end(struct relay_end *e, char *buf, size_t n)
{
	return e->sock ? recv(e->fd, buf, n, MSG_DONTWAIT) :
	    read(e->fd, buf, n);
}

static ssize_t
write_end(struct relay_end *e, const char *buf, size_t n)
{
	if (e->fd < 0)
		return (ssize_t)n;	/* --send-only: the peer is not heard */
	return e->sock ? send(e->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) :
	    write(e->fd, buf, n);
}

/*
 * Whether an operation that returned n on e leaves e worth trying again at
 * once: a short transfer means the kernel had no more, as EAGAIN does.
 */
static int
still_ready(const struct relay_end *e, ssize_t n, size_t want)
{
	return e->nb && (size_t)n == want;
}

static int
would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK;
}

/*
 * -C: every LF of buf[0..n) not already after a CR becomes CRLF, in place
 * (buf has room for 2n bytes). *cr: the byte before buf was a CR.
 */
static size_t
add_cr(char *buf, size_t n, int *cr)
{
	size_t i, lf = 0, total;
	int prev = *cr;

	for (i = 0; i < n; i++)
		if (buf[i] == '\n' && !(i ? buf[i - 1] == '\r' : prev))
			lf++;
	*cr = n > 0 ? buf[n - 1] == '\r' : prev;
	total = n + lf;
	/* From the end: byte i moves up by the CRs inserted up to it. */
	for (i = n; lf > 0 && i-- > 0; ) {
		buf[i + lf] = buf[i];
		if (buf[i] == '\n' && !(i ? buf[i - 1] == '\r' : prev))
			buf[i + --lf] = '\r';
	}
	return total;
}

/*
 * Move bytes along d until a read or write would block, or ROUNDS buffers
 * went through so that the other direction gets its turn. Returns 0 if no
 * byte moved, 1 if some did, 2 if it stopped with more to do, -1 when the
 * source (RELAY_SRC) or the sink (RELAY_DST) failed: d->err says which and
 * errno why.
 */
static int
pump(struct relay_dir *d)
{
	int moved = 0, rounds = 0;
	size_t want;
	ssize_t n;

	for (;;) {
		if (d->len == 0) {
			if (++rounds > ROUNDS)
				return 2;
			if (d->eof || !d->src.ready)
				return moved;
			want = d->crlf ? BUFSZ / 2 : BUFSZ;
			n = read_end(&d->src, d->buf, want);
			if (n < 0 && errno == EINTR)
				continue;
			d->src.ready = n > 0 && still_ready(&d->src, n, want);
			if (n == 0)
				d->eof = 1;
			if (n < 0 && !would_block()) {
				d->err = RELAY_SRC;
				return -1;
			}
			if (n <= 0)
				return moved;
			if (d->dump_read != NULL)
				dump_stream(d->dump_read, DUMP_IN, d->buf, n);
			d->off = 0;
			d->len = d->crlf ? add_cr(d->buf, n, &d->cr) : (size_t)n;
			moved = 1;
		}
		if (!d->dst.ready)
			return moved;
		n = write_end(&d->dst, d->buf + d->off, d->len);
		if (n < 0 && errno == EINTR)
			continue;
		d->dst.ready = n > 0 && still_ready(&d->dst, n, d->len);
		if (n < 0 && !would_block()) {
			d->err = RELAY_DST;
			return -1;
		}
		if (n <= 0)
			return moved;
		if (d->dump_written != NULL)
			dump_stream(d->dump_written, DUMP_OUT, d->buf + d->off,
			    (size_t)n);
		d->off += (size_t)n;
		d->len -= (size_t)n;
		d->total += (size_t)n;
		moved = 1;
	}
}

/* What d waits for: its source to be readable, or its sink writable. */
static void
want(const struct relay_dir *d, struct pollfd *src, struct pollfd *dst)
{
	if (d->done || d->err)
		return;
	if (d->len == 0 && !d->eof)
		src->events |= POLLIN;
	else if (d->len > 0)
		dst->events |= POLLOUT;
}

/*
 * Poll for what blocked up and down, at most timeout ms (-1: no limit),
 * and mark what became ready. An error or hangup counts as ready: the next
 * read or write reports it. Returns poll's count: 0 when time ran out.
 */
static int
wait_ready(struct relay *r, int sock, long long timeout)
{
	struct pollfd pfd[3] = { { 0 } };	/* in, out, sock */
	int i, n, fds[3] = { r->up.src.fd, r->down.dst.fd, sock };

	want(&r->up, &pfd[0], &pfd[2]);
	want(&r->down, &pfd[2], &pfd[1]);
	for (i = 0; i < 3; i++)
		pfd[i].fd = pfd[i].events ? fds[i] : -1;
	if ((n = poll(pfd, 3, (int)timeout)) <= 0)
		return n;
	r->up.src.ready |= pfd[0].revents != 0;
	r->down.dst.ready |= pfd[1].revents != 0;
	r->down.src.ready |= (pfd[2].revents & ~POLLOUT) != 0;
	r->up.dst.ready |= (pfd[2].revents & ~POLLIN) != 0;
	return n;
}

/* The earlier of two deadlines, -1 meaning none. */
static long long
earlier(long long a, long long b)
{
	return a < 0 || (b >= 0 && b < a) ? b : a;
}

/*
 * Bytes written to sock that the peer has not acknowledged. TIOCOUTQ (a
 * socket's SIOCOUTQ) still answers after a reset, and counts a FIN we
 * sent as one more byte until it is acknowledged.
 */
static unsigned long long
unacked(int sock, int shut, unsigned long long sent)
{
	int q = 0;

	if (ioctl(sock, TIOCOUTQ, &q) < 0 || q - shut <= 0)
		return 0;
	return (unsigned long long)(q - shut) < sent ?
	    (unsigned long long)(q - shut) : sent;
}

/* Whether the connection is gone: reset, or closed by the kernel. */
static int
conn_gone(int sock, int *err)
{
	struct tcp_info ti;
	socklen_t len = sizeof(*err);

	if (getsockopt(sock, SOL_SOCKET, SO_ERROR, err, &len) == 0 && *err)
		return 1;
	len = sizeof(ti);
	if (getsockopt(sock, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return 0;
	*err = ECONNRESET;
	return ti.tcpi_state == TCP_CLOSE;
}

/*
 * Both copies are over: wait until the peer has acknowledged every byte we
 * sent, so that exit 0 means delivered. The queue shrinks while the peer
 * reads, however slowly; only a reset, or -i with no progress, ends the
 * wait early. Returns 0, or -1 with res filled in.
 */
static int
wait_delivered(struct relay *r, int sock, int shut, struct relay_result *res)
{
	unsigned long long left, before = 0;
	long long now, last = now_ms();
	struct timespec ts;
	int ms = 1, err;

	while ((left = unacked(sock, shut, r->up.total)) > 0) {
		if (conn_gone(sock, &err)) {
			res->err = err;
			res->where = RELAY_SEND;
			res->unacked = left;
			return -1;
		}
		now = now_ms();
		if (left != before)
			last = now;
		before = left;
		if (r->idle_ms > 0 && now - last >= r->idle_ms) {
			res->err = ETIMEDOUT;
			res->where = RELAY_IDLE;
			res->unacked = left;
			return -1;
		}
		ts = (struct timespec){ 0, ms * 1000000L };
		if (nanosleep(&ts, NULL) < 0 && server_stop) {
			res->err = EINTR;
			res->where = RELAY_SEND;
			res->unacked = left;
			return -1;
		}
		ms = ms < 64 ? ms * 2 : ms;
	}
	return 0;
}

/*
 * End the relay on a failure: d's errno, which copy, and what of stdin
 * never reached the peer.
 */
static int
failed(struct relay *r, int sock, int shut, int where,
    struct relay_result *res)
{
	res->err = errno;
	res->where = where;
	res->unacked = unacked(sock, shut, r->up.total);
	return -1;
}

/*
 * The loop proper. The rules, one each:
 * - up copies stdin to sock; at stdin's end (and an empty buffer) it shuts
 *   sock's write side and is done;
 * - down copies sock to stdout; at the peer's end (and an empty buffer) it
 *   is done, and with end_out shuts a socket stdout's write side;
 * - a failed send ends up only: down goes on until the peer's end or an
 *   error, so a reply sent before a reset still arrives;
 * - a failed receive, read of stdin or write of stdout ends the relay;
 * - both done: the relay is over once the peer has acknowledged all sent;
 * - after the peer's end, stdin may pause for linger_ms (0: forever) with
 *   nothing of it buffered; a longer pause ends the relay, all delivered;
 * - idle_ms: nothing moved either way for that long ends it (ETIMEDOUT);
 * - quit_ms >= 0: that long after up is done, the peer's stream counts as
 *   ended (what was read of it is still written out);
 * - send_only: the peer's bytes are read and dropped, and the relay is
 *   over when up is done; recv_only: up is done from the start, no FIN.
 * No timer but idle_ms runs while bytes of stdin are buffered.
 */
static int
run(struct relay *r, int sock, struct relay_result *res)
{
	struct relay_dir *up = &r->up, *down = &r->down;
	long long now, last, up_last, up_end = -1, left, linger, quit;
	int shut = 0, m, n;

	last = up_last = now_ms();
	for (;;) {
		m = up->err ? 0 : pump(up);
		if (m < 0 && up->err == RELAY_SRC)
			return failed(r, sock, shut, RELAY_STDIN, res);
		if (m < 0)
			res->send_err = errno;	/* down goes on */
		if (up->eof && up->len == 0 && !up->done && !up->err) {
			up->done = shut = 1;
			up_end = now_ms();
			if (shutdown(sock, SHUT_WR) < 0 && errno != ENOTCONN) {
				up->err = RELAY_DST;
				res->send_err = errno;
			}
		}
		if ((n = down->done ? 0 : pump(down)) < 0)
			return failed(r, sock, shut, down->err == RELAY_DST ?
			    RELAY_STDOUT : RELAY_RECV, res);
		if (down->eof && down->len == 0 && !down->done) {
			down->done = 1;
			if (r->end_out && down->dst.sock)
				shutdown(down->dst.fd, SHUT_WR);
		}
		if ((down->done || r->send_only) && (up->done || up->err))
			break;
		now = now_ms();
		quit = r->quit_ms >= 0 && up_end >= 0 ? up_end + r->quit_ms : -1;
		if (quit >= 0 && now >= quit && !down->eof) {
			down->eof = 1;		/* -q: the peer has had its time */
			continue;
		}
		if (m > 0)
			up_last = now;
		if (m > 0 || n > 0)
			last = now;
		if (m == 2 || n == 2)
			continue;	/* more to do before waiting */
		/* The linger only runs while up waits for stdin itself. */
		linger = down->done && up->len == 0 && r->linger_ms > 0 ?
		    up_last + r->linger_ms : -1;
		left = earlier(linger, r->idle_ms > 0 ? last + r->idle_ms : -1);
		left = earlier(left, down->eof ? -1 : quit);
		if (left >= 0)
			left = left > now ? left - now : 0;
		if ((n = wait_ready(r, sock, left)) < 0 && errno != EINTR)
			return failed(r, sock, shut, RELAY_RECV, res);
		if (n < 0 && server_stop)
			return failed(r, sock, shut, RELAY_RECV, res);
		if (n != 0)
			continue;
		now = now_ms();
		if (quit >= 0 && now >= quit && !down->eof)
			continue;	/* the top of the loop ends down */
		if (linger >= 0 && now >= linger)	/* all read was sent */
			return wait_delivered(r, sock, shut, res);
		if (r->idle_ms > 0 && now >= last + r->idle_ms) {
			errno = ETIMEDOUT;
			return failed(r, sock, shut, RELAY_IDLE, res);
		}
	}
	if (up->err) {
		errno = res->send_err;
		return failed(r, sock, shut, RELAY_SEND, res);
	}
	return wait_delivered(r, sock, shut, res);
}

void
relay_init(struct relay *r, int in, int out)
{
	*r = (struct relay){ .in_fd = -1, .out_fd = -1 };
	r->up.buf = up_buf;
	r->down.buf = down_buf;
	init_end(&r->up.src, in, 0, &r->in_fd);
	init_end(&r->down.dst, out, 1, &r->out_fd);
	r->linger_ms = RELAY_LINGER_MS;
	r->quit_ms = -1;
}

int
relay_run(struct relay *r, int sock, struct relay_result *res)
{
	long long start;
	int rc;

	*res = (struct relay_result){ 0 };
	/* A new connection: what stdin still holds goes to it. */
	r->up.dst = r->down.src = (struct relay_end){ .fd = sock, .sock = 1,
	    .nb = 1, .ready = 1 };
	r->up.done = r->up.err = r->up.total = 0;
	r->up.src.ready |= r->up.src.nb;
	r->down.eof = r->down.done = r->down.err = r->down.total = 0;
	r->down.off = r->down.len = 0;
	r->up.crlf = r->crlf;
	/* Sent is what reaches sock, received what came from it. */
	r->up.dump_written = r->down.dump_read = r->dump;
	if (r->send_only)
		r->down.dst = (struct relay_end){ .fd = -1, .nb = 1,
		    .ready = 1 };
	if (r->recv_only)
		r->up.done = r->up.eof = 1;
	start = now_ms();
	rc = run(r, sock, res);
	res->ms = now_ms() - start;
	res->sent = r->up.total - res->unacked;
	res->received = r->down.total;
	res->unsent = r->up.len;
	return rc;
}

void
relay_free(struct relay *r)
{
	if (r->in_fd >= 0)
		close(r->in_fd);
	if (r->out_fd >= 0)
		close(r->out_fd);
	r->in_fd = r->out_fd = -1;
}

char *
relay_msg(const struct relay_result *res, int carry, char *buf, size_t len)
{
	static const char *const what[] = { "", "send", "receive", "stdin",
	    "stdout", "idle" };
	unsigned long long lost = res->unacked + (carry ? 0 : res->unsent);
	unsigned long long took = res->sent + res->unacked + res->unsent;
	int n;

	if (res->where == RELAY_IDLE)
		n = snprintf(buf, len, "idle timeout");
	else
		n = snprintf(buf, len, "%s: %s", what[res->where],
		    strerror(res->err));
	if (lost > 0 && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, "; %llu of %llu bytes read from "
		    "stdin not delivered", lost, took);
	return buf;
}
