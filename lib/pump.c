/*
 * pump.c: one direction of a forwarded connection. splice(2) moves the
 * bytes socket to pipe to socket without copying them through us; where
 * the kernel refuses (EINVAL), a buffer of at most PUMP_READ does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "dump.h"
#include "pump.h"

/* A splice at most: a pipe's default capacity. */
#define PUMP_PIPE	(64 * 1024)
/* Fills per pump_run: then the loop serves the other connections. */
#define PUMP_ROUNDS	16

int
pipe_take(struct pipepool *pool, int p[2])
{
	if (pool->n > 0) {
		pool->n--;
		p[0] = pool->pipes[pool->n][0];
		p[1] = pool->pipes[pool->n][1];
		return 0;
	}
	return pipe2(p, O_NONBLOCK | O_CLOEXEC);
}

void
pipe_give(struct pipepool *pool, int p[2])
{
	if (p[0] < 0)
		return;
	if (pool->pipes == NULL && pool->max > 0)
		pool->pipes = calloc(pool->max, sizeof(*pool->pipes));
	if (pool->pipes && pool->n < pool->max) {
		pool->pipes[pool->n][0] = p[0];
		pool->pipes[pool->n][1] = p[1];
		pool->n++;
	} else {
		close(p[0]);
		close(p[1]);
	}
	p[0] = p[1] = -1;
}

void
pipepool_free(struct pipepool *pool)
{
	while (pool->n > 0) {
		pool->n--;
		close(pool->pipes[pool->n][0]);
		close(pool->pipes[pool->n][1]);
	}
	free(pool->pipes);
	pool->pipes = NULL;
}

void
pump_init(struct pump *p)
{
	memset(p, 0, sizeof(*p));
	p->pipe[0] = p->pipe[1] = -1;
}

static void
drop_buf(struct pump *p, struct pumpctx *x)
{
	free(p->buf);
	budget_give(x->budget, p->cap);
	p->buf = NULL;
	p->off = p->len = p->cap = 0;
}

/* Append n bytes to the buffer, grown by whole budget chunks. */
static int
stash(struct pump *p, const char *data, size_t n, struct pumpctx *x)
{
	size_t need = p->len - p->off + n, cap;
	char *grown;

	if (p->off > 0) {
		memmove(p->buf, p->buf + p->off, p->len - p->off);
		p->len -= p->off;
		p->off = 0;
	}
	if (need > p->cap) {
		cap = (need + BUDGET_CHUNK - 1) / BUDGET_CHUNK * BUDGET_CHUNK;
		if ((grown = realloc(p->buf, cap)) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		budget_take(x->budget, cap - p->cap);
		p->buf = grown;
		p->cap = (uint32_t)cap;
	}
	memcpy(p->buf + p->len, data, n);
	p->len += (uint32_t)n;
	return 0;
}

int
pump_queue(struct pump *p, const void *data, size_t n, struct pumpctx *x)
{
	if (stash(p, data, n, x) < 0)
		return -1;
	p->uncounted += (uint32_t)n;
	return 0;
}

/*
 * Count n bytes data delivered, the queued ones first and not at all;
 * the others are dumped if asked (data NULL: spliced, never dumped).
 */
static void
count(struct pump *p, const char *data, size_t n)
{
	size_t q = n < p->uncounted ? n : p->uncounted;

	p->uncounted -= (uint32_t)q;
	p->bytes += n - q;
	if (p->dump && data && n > q)
		dump_stream(p->dump, p->dumpdir, data + q, n - q);
}

/* Deliver what is held: 1 when all is gone, 0 if dst is full, -1. */
static int
flush(struct pump *p, int dst, struct pumpctx *x)
{
	ssize_t n;

	/* The buffer first: a queued header precedes every spliced byte. */
	while (p->buf) {
		n = send(dst, p->buf + p->off, p->len - p->off, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		count(p, p->buf + p->off, (size_t)n);
		p->off += (uint32_t)n;
		if (p->off == p->len)
			drop_buf(p, x);
	}
	while (p->inpipe > 0) {
		n = splice(p->pipe[0], NULL, dst, NULL, p->inpipe,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		p->inpipe -= (uint32_t)n;
		count(p, NULL, (size_t)n);
	}
	return 1;
}

/*
 * The buffered path, with nothing held. Write what was read at once and
 * keep only what dst did not take. With the budget spent, peek instead
 * and consume only what dst took: the rest waits in the kernel and costs
 * us nothing. 1: progress, PUMP_IN/PUMP_OUT: would block, -1.
 */
static int
fill_buffered(struct pump *p, int src, int dst, struct pumpctx *x)
{
	size_t room = budget_room(x->budget, 0, PUMP_READ);
	int peek = room == 0;
	ssize_t n, w;

	n = recv(src, x->scratch, peek ? PUMP_READ : room, peek ? MSG_PEEK :
	    0);
	if (n == 0)
		p->eof = 1;
	if (n <= 0)
		return n == 0 || errno == EINTR ? 1 : errno == EAGAIN ?
		    PUMP_IN : -1;
	if ((w = send(dst, x->scratch, (size_t)n, MSG_NOSIGNAL)) < 0) {
		if (errno != EAGAIN)
			return -1;
		w = 0;
	}
	count(p, x->scratch, (size_t)w);
	if (peek) {
		/* Peeked bytes are there: consuming them cannot block. */
		if (w > 0 && recv(src, x->scratch, (size_t)w, 0) != w) {
			errno = EIO;
			return -1;
		}
		return w == n ? 1 : PUMP_OUT;
	}
	if (w < n && stash(p, x->scratch + w, (size_t)(n - w), x) < 0)
		return -1;
	return 1;
}

/* Bring more from src, nothing being held. 1, PUMP_IN, PUMP_OUT or -1. */
static int
fill(struct pump *p, int src, int dst, struct pumpctx *x)
{
	ssize_t n;
	int err;

	if (p->nosplice || (p->pipe[0] < 0 && pipe_take(&x->pool,
	    p->pipe) < 0))	/* out of descriptors: buffer this time */
		return fill_buffered(p, src, dst, x);
	n = splice(src, NULL, p->pipe[1], NULL, PUMP_PIPE,
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n > 0) {
		p->inpipe = (uint32_t)n;
		return 1;
	}
	err = n < 0 ? errno : 0;
	/* Empty now: an idle direction holds no pipe. */
	pipe_give(&x->pool, p->pipe);
	if (n == 0)
		p->eof = 1;
	if (n == 0 || err == EINTR)
		return 1;
	if ((errno = err) == EAGAIN)
		return PUMP_IN;
	if (err != EINVAL)
		return -1;
	p->nosplice = 1;
	return fill_buffered(p, src, dst, x);
}

int
pump_run(struct pump *p, int src, int dst, struct pumpctx *x)
{
	int i, r;

	for (i = 0; i < PUMP_ROUNDS; i++) {
		if ((r = flush(p, dst, x)) <= 0)
			return r < 0 ? -1 : PUMP_OUT;
		if (p->eof) {
			/* A peer that is gone already cannot be told. */
			if (!p->shut && shutdown(dst, SHUT_WR) < 0 &&
			    errno != ENOTCONN)
				return -1;
			p->shut = 1;
			return PUMP_DONE;
		}
		if ((r = fill(p, src, dst, x)) != 1)
			return r;
	}
	/* Our turn is over; src may still be readable (level-triggered). */
	if ((r = flush(p, dst, x)) < 0)
		return -1;
	return r ? PUMP_IN : PUMP_OUT;
}

void
pump_free(struct pump *p, struct pumpctx *x)
{
	/* A pipe still holding bytes cannot serve anyone else. */
	if (p->inpipe > 0 && p->pipe[0] >= 0) {
		close(p->pipe[0]);
		close(p->pipe[1]);
		p->pipe[0] = p->pipe[1] = -1;
	}
	pipe_give(&x->pool, p->pipe);
	if (p->buf)
		drop_buf(p, x);
	p->inpipe = 0;
}
