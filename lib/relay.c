/*
 * relay.c: the bidirectional copy between a pipe pair and a socket: 128 KiB
 * buffers, non-blocking reads and writes, poll only when one would block.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "sockbox.h"

#define BUFSZ (128 * 1024)
#define PIPE_SZ (1024 * 1024)
#define ROUNDS 16

/* One side of a copy: how to read or write fd without blocking. */
struct end {
	int fd;
	int sock;	/* recv/send with MSG_DONTWAIT */
	int nb;		/* never blocks: try until EAGAIN; else poll first */
	int ready;	/* worth trying now */
};

/* One direction: src -> buf -> dst. */
struct dir {
	struct end src, dst;
	char *buf;
	size_t off, len;
	int eof;	/* nothing more will be read from src */
};

static char up_buf[BUFSZ], down_buf[BUFSZ];

/*
 * Set up an end for fd. Sockets take MSG_DONTWAIT per call. A pipe gets an
 * open file description of its own, non-blocking: O_NONBLOCK on the one we
 * inherited would be seen by every other process sharing it. Regular files
 * never block. Anything else (a terminal) is read or written once per poll.
 * *opened receives a descriptor to close afterwards, or stays -1.
 */
static void
init_end(struct end *e, int fd, int wr, int *opened)
{
	struct stat st;
	char path[32];
	int nfd;

	e->fd = fd;
	e->sock = e->nb = e->ready = 0;
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
read_end(struct end *e, char *buf, size_t n)
{
	return e->sock ? recv(e->fd, buf, n, MSG_DONTWAIT) :
	    read(e->fd, buf, n);
}

static ssize_t
write_end(struct end *e, const char *buf, size_t n)
{
	return e->sock ? send(e->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) :
	    write(e->fd, buf, n);
}

/*
 * Whether an operation that returned n on e leaves e worth trying again at
 * once: a short transfer means the kernel had no more, as EAGAIN does.
 */
static int
still_ready(const struct end *e, ssize_t n, size_t want)
{
	return e->nb && (size_t)n == want;
}

/*
 * Move bytes along d until a read or write would block, or ROUNDS buffers
 * went through so that the other direction gets its turn. Returns 0 if no
 * byte moved, 1 if some did, 2 if it stopped with more to do, -1 on an
 * error (errno set).
 */
static int
pump(struct dir *d)
{
	int moved = 0, rounds = 0;
	ssize_t n;

	for (;;) {
		if (d->len == 0 && ++rounds > ROUNDS)
			return 2;
		if (d->len == 0) {
			if (d->eof || !d->src.ready)
				return moved;
			n = read_end(&d->src, d->buf, BUFSZ);
			if (n < 0 && errno == EINTR)
				continue;
			d->src.ready = n > 0 && still_ready(&d->src, n, BUFSZ);
			if (n == 0)
				d->eof = 1;
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			if (n <= 0)
				return moved;
			d->off = 0;
			d->len = (size_t)n;
			moved = 1;
		}
		if (!d->dst.ready)
			return moved;
		n = write_end(&d->dst, d->buf + d->off, d->len);
		if (n < 0 && errno == EINTR)
			continue;
		d->dst.ready = n > 0 && still_ready(&d->dst, n, d->len);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (n <= 0)
			return moved;
		d->off += (size_t)n;
		d->len -= (size_t)n;
		moved = 1;
	}
}

/* What d waits for: its source to be readable, or its sink writable. */
static void
want(const struct dir *d, struct pollfd *src, struct pollfd *dst)
{
	if (d->len == 0 && !d->eof)
		src->events |= POLLIN;
	else if (d->len > 0)
		dst->events |= POLLOUT;
}

/*
 * Poll for what blocked up and down, at most timeout ms (-1: no limit),
 * and mark what became ready. An error or hangup counts as ready: the next
 * read or write reports it.
 */
static int
wait_ready(struct dir *up, struct dir *down, int sock, long long timeout)
{
	struct pollfd pfd[3] = { { 0 } };	/* in, out, sock */
	int i, fds[3] = { up->src.fd, down->dst.fd, sock };

	want(up, &pfd[0], &pfd[2]);
	want(down, &pfd[2], &pfd[1]);
	for (i = 0; i < 3; i++)
		pfd[i].fd = pfd[i].events ? fds[i] : -1;
	if (poll(pfd, 3, (int)timeout) < 0)
		return -1;
	up->src.ready |= pfd[0].revents != 0;
	down->dst.ready |= pfd[1].revents != 0;
	down->src.ready |= (pfd[2].revents & ~POLLOUT) != 0;
	up->dst.ready |= (pfd[2].revents & ~POLLIN) != 0;
	return 0;
}

/*
 * After the peer's EOF, how long in may pause before we stop sending it.
 * The peer may only have half-closed, so while in keeps delivering it
 * still goes out. A peer that closes without having sent a byte is most
 * likely a receiver whose own input was empty ('tcpserve ... >file
 * </dev/null'): then in gets this long from the EOF to start delivering.
 * Otherwise an in that was already idle is not waited for at all.
 */
#define LINGER_MS 500

/*
 * The loop proper: pump both ways, poll for what blocked. After the
 * peer's EOF, in is copied while it keeps delivering (the linger), and
 * bytes already read from it are still sent.
 */
static int
run(struct dir *up, struct dir *down, int sock, long long idle_ms)
{
	long long now = 0, last = 0, last_up = -LINGER_MS, left, rest;
	int shut = 0, lingering = 0, heard = 0, m, r;

	if (idle_ms > 0)
		last = now_ms();
	for (;;) {
		if ((m = pump(up)) < 0)
			return down->eof ? 0 : -1;	/* peer gone */
		if (up->eof && up->len == 0 && !shut) {
			if (down->eof)
				return 0;
			shut = 1;
			if (shutdown(sock, SHUT_WR) < 0 && errno != ENOTCONN)
				return -1;
		}
		if ((r = pump(down)) < 0)
			return -1;
		if (idle_ms > 0 || down->eof || m)
			now = now_ms();
		if (m)
			last_up = now;
		if (m || r)
			last = now;
		heard |= r;
		if (down->eof && down->len == 0) {
			if (up->eof && up->len == 0)
				return 0;
			if (!lingering) {
				/* Look at in once more before any wait. */
				lingering = 1;
				up->src.ready |= up->src.nb;
				if (!heard)
					last_up = now;
				continue;
			}
			if (now - last_up >= LINGER_MS)
				return 0;
		}
		if (m == 2 || r == 2)
			continue;	/* more to do before waiting */
		left = -1;
		if (idle_ms > 0 && (left = last + idle_ms - now) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		rest = last_up + LINGER_MS - now;
		if (lingering && (left < 0 || rest < left))
			left = rest;
		/* A stop signal in a server ends the relay. */
		if (wait_ready(up, down, sock, left) < 0 &&
		    (errno != EINTR || server_stop))
			return -1;
	}
}

int
relay(int in, int out, int sock, long long idle_ms)
{
	struct dir up = { .buf = up_buf }, down = { .buf = down_buf };
	int in_fd = -1, out_fd = -1, rc, saved;

	init_end(&up.src, in, 0, &in_fd);
	init_end(&down.dst, out, 1, &out_fd);
	up.dst = down.src = (struct end){ .fd = sock, .sock = 1, .nb = 1,
	    .ready = 1 };
	rc = run(&up, &down, sock, idle_ms);
	saved = errno;
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	errno = saved;
	return rc;
}
