/*
 * tcpserve_echo.c: tcpserve --echo: every byte back to its sender, all
 * clients in one process on the event loop (lib/evloop.c), their pending
 * output within one budget (lib/budget.c).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tcpserve_pp.h"

#define ECHO_CAP	(128 * 1024)	/* a client's pending output at most */
#define ECHO_READ	(64 * 1024)
#define STALL_MS	10000	/* over its share and not reading: closed */
#define STALL_CHECK_MS	1000	/* stalled, within its share: look again */

struct echo;

/*
 * One client. While nothing is pending this small struct is all it costs;
 * buf exists only while output waits for the client to read.
 */
struct echo_conn {
	int fd;
	unsigned events;	/* the interest set now (EV_IN...) */
	char *buf;		/* pending output buf[off..len), or NULL */
	uint32_t off, len, cap;	/* cap: bytes of buf, taken from the budget */
	int eof;		/* the client has half-closed */
	int blocked;		/* direct: waiting until it can write */
	long long last;		/* last progress either way, ms (-i) */
	long long last_out;	/* last output it took, ms (stall) */
	struct ev_timer timer;	/* -i and stall checks, moved on lazily */
	struct pp_reader *pp;	/* --proxy-protocol: its header is coming */
	struct echo *e;
	struct echo_conn *prev, *next;	/* every connection, to close at exit */
	union peer peer;
};

struct echo {
	struct acceptor a;		/* first: an echo is its acceptor */
	struct server *s;
	struct evloop *l;
	struct budget budget;
	struct echo_conn *conns;
	char scratch[ECHO_READ];
};

#define CONN_OF(t) ((struct echo_conn *)((char *)(t) - \
	offsetof(struct echo_conn, timer)))

/* Give c's buffer back to the budget. */
static void
drop_buf(struct echo_conn *c)
{
	free(c->buf);
	budget_give(&c->e->budget, c->cap);
	c->buf = NULL;
	c->off = c->len = c->cap = 0;
}

/*
 * Close c. why: our reason (idle timeout, stalled), or NULL; err: the
 * socket's error, said only with -v (a remote client must not be able
 * to fill the log), or one of ours (out of memory), always said.
 */
static void
echo_close(struct echo_conn *c, const char *why, int err)
{
	struct echo *e = c->e;
	char where[ADDRPORT_LEN];

	fmt_peer(&c->peer, where, sizeof(where));
	if (err && (e->s->verbose || err == ENOMEM || err == ENOBUFS))
		warn_msg("warning: %s: %s", where, strerror(err));
	if (e->s->verbose)
		warn_msg("closed %s%s%s", where, why ? ": " : "",
		    why ? why : "");
	ev_timer_stop(e->l, &c->timer);
	*(c->prev ? &c->prev->next : &e->conns) = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ev_del(e->l, c->fd);
	close(c->fd);
	if (c->pp) {			/* never let in, nothing counted */
		pp_reader_free(c->pp);
		free(c->pp);
	} else {
		release_client(e->s, &c->peer.sa);
	}
	e->budget.users--;
	if (c->buf)
		drop_buf(c);
	free(c);
	acceptor_closed(&e->a);
}

/*
 * How much c may read now: what its output may still grow by (its own
 * free space plus what the budget grants), at most ECHO_READ. Over its
 * share (more clients came since it took it), nothing.
 */
static size_t
read_room(const struct echo_conn *c)
{
	const struct budget *b = &c->e->budget;
	size_t room;

	if (budget_over(b, c->cap))
		return 0;
	room = c->cap - (c->len - c->off) + budget_room(b, c->cap, ECHO_CAP);
	return room > ECHO_READ ? ECHO_READ : room;
}

/* The next time c's timer has something to check, or -1. */
static long long
next_check(const struct echo_conn *c)
{
	long long idle = -1, stall = -1;

	if (c->e->s->idle_ms > 0)
		idle = c->last + c->e->s->idle_ms;
	if (c->buf && !(c->events & EV_IN))
		stall = c->last_out + STALL_MS;
	if (idle < 0 || (stall >= 0 && stall < idle))
		return stall;
	return idle;
}

/* Make sure c's timer fires by next_check (later moves are lazy). */
static int
arm_check(struct echo_conn *c)
{
	long long due = next_check(c);

	if (due < 0 || (c->timer.slot && c->timer.when <= due))
		return 0;
	return ev_timer_arm(c->e->l, &c->timer, due);
}

/*
 * After a read or write. With output pending: write it, and read only
 * while there is room for more. With none: read, or (direct, blocked)
 * wait until the client can take what its last read brought. Close when
 * the client half-closed and has everything back.
 */
static void
update_interest(struct echo_conn *c)
{
	unsigned want;

	if (c->buf && c->off == c->len)
		drop_buf(c);
	if (c->eof && c->buf == NULL) {
		echo_close(c, NULL, 0);
		return;
	}
	if (c->buf)
		want = EV_OUT | (!c->eof && read_room(c) > 0 ? EV_IN : 0);
	else
		want = c->blocked ? EV_OUT : EV_IN;
	if (want != c->events && ev_set(c->e->l, c->fd, want) < 0) {
		echo_close(c, NULL, errno);
		return;
	}
	c->events = want;
	if (arm_check(c) < 0)
		echo_close(c, NULL, errno);
}

/*
 * No budget left for c and nothing pending: echo without a buffer. Peek,
 * write what the client's socket takes, and consume just that; the rest
 * waits in the kernel until the client can take more. A client that
 * never reads then costs no memory of ours, and a new one is served even
 * while others have taken the whole budget.
 */
static void
echo_direct(struct echo_conn *c)
{
	struct echo *e = c->e;
	ssize_t n, w;

	c->blocked = 0;
	if ((n = recv(c->fd, e->scratch, ECHO_READ, MSG_PEEK)) <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			echo_close(c, NULL, errno);
			return;
		}
		c->eof = 1;
	} else if ((w = write(c->fd, e->scratch, n)) < 0) {
		if (errno != EAGAIN) {
			echo_close(c, NULL, errno);
			return;
		}
		c->blocked = 1;
	} else {
		/* The bytes just peeked: they are there, this cannot block. */
		if ((n = recv(c->fd, e->scratch, w, 0)) != w) {
			echo_close(c, NULL, n < 0 ? errno : EIO);
			return;
		}
		c->last = ev_now(e->l);
	}
	update_interest(c);
}

/*
 * Keep data the client could not take yet, growing buf by whole chunks
 * from the budget (read_room has made sure they are there).
 */
static int
stash(struct echo_conn *c, const char *data, size_t n)
{
	struct echo *e = c->e;
	size_t need = c->len - c->off + n, cap;
	char *grown;

	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (need > c->cap) {
		cap = (need + BUDGET_CHUNK - 1) / BUDGET_CHUNK * BUDGET_CHUNK;
		if ((grown = realloc(c->buf, cap)) == NULL)
			return -1;
		if (c->buf == NULL)
			c->last_out = ev_now(e->l);
		budget_take(&e->budget, cap - c->cap);
		c->buf = grown;
		c->cap = (uint32_t)cap;
	}
	memcpy(c->buf + c->len, data, n);
	c->len += n;
	return 0;
}

/* The client sent something (or closed): echo it, at once if possible. */
static void
echo_read(struct echo_conn *c)
{
	struct echo *e = c->e;
	size_t room = read_room(c);
	ssize_t n, w = 0;

	if (room == 0) {
		if (c->buf == NULL)
			echo_direct(c);
		else
			update_interest(c);
		return;
	}
	n = read(c->fd, e->scratch, room);
	if (n == 0) {
		c->eof = 1;
	} else if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		echo_close(c, NULL, errno);
		return;
	} else {
		c->last = ev_now(e->l);
		/* Nothing queued: answer now, the usual case. */
		if (c->buf == NULL &&
		    (w = write(c->fd, e->scratch, n)) < 0) {
			if (errno != EAGAIN) {
				echo_close(c, NULL, errno);
				return;
			}
			w = 0;
		}
		if (w < n && stash(c, e->scratch + w, n - w) < 0) {
			echo_close(c, NULL, ENOMEM);
			return;
		}
	}
	update_interest(c);
}

/* The client can take more of what is pending. */
static void
echo_write(struct echo_conn *c)
{
	ssize_t w;

	if (c->buf == NULL) {
		if (c->blocked)
			echo_direct(c);
		else			/* hung up while nothing pending */
			echo_close(c, NULL, 0);
		return;
	}
	if ((w = write(c->fd, c->buf + c->off, c->len - c->off)) < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		echo_close(c, NULL, errno);
		return;
	}
	c->off += w;
	c->last = c->last_out = ev_now(c->e->l);
	update_interest(c);
}

/* Its header may be in; then the echo begins (the data after it waits). */
static void
echo_header(struct echo_conn *c)
{
	int rc = take_header(c->e->s, c->fd, c->pp, &c->peer, NULL, NULL);

	if (rc < 0) {
		echo_close(c, NULL, 0);
	} else if (rc > 0) {
		pp_reader_free(c->pp);
		free(c->pp);
		c->pp = NULL;
		c->last = ev_now(c->e->l);
		log_conn(c->e->s, "connection from", &c->peer);
	}
}

static void
on_client(struct evloop *l, int fd, unsigned got, void *arg)
{
	struct echo_conn *c = arg;

	(void)l;
	(void)fd;
	if (c->pp)
		echo_header(c);
	else if (got & (EV_IN | EV_ERR) && c->events & EV_IN)
		echo_read(c);
	else if (got & (EV_OUT | EV_ERR))
		echo_write(c);
}

/*
 * -i: no progress for idle_ms. Stalled: reading paused, pending output
 * not taken for STALL_MS, and more than its share held: it goes, so the
 * budget is not held hostage; within its share it may wait.
 */
static void
on_check(struct evloop *l, struct ev_timer *t)
{
	struct echo_conn *c = CONN_OF(t);
	long long now = ev_now(l), due;

	if (c->pp) {
		header_failed(c->e->s, &c->peer, "timed out");
		echo_close(c, NULL, 0);
		return;
	}
	if (c->e->s->idle_ms > 0 && c->last + c->e->s->idle_ms <= now) {
		echo_close(c, "idle timeout", 0);
		return;
	}
	if (c->buf && !(c->events & EV_IN) && c->last_out + STALL_MS <= now) {
		if (budget_over(&c->e->budget, c->cap)) {
			echo_close(c, "stalled", 0);
			return;
		}
		/* Within its share it may wait; look again later. */
		c->last_out = now - STALL_MS + STALL_CHECK_MS;
	}
	if ((due = next_check(c)) >= 0 && ev_timer_arm(l, t, due) < 0)
		echo_close(c, NULL, errno);
}

/* Register a new client; closes fd on failure. */
static int
echo_add(struct acceptor *a, int fd, const union peer *p)
{
	struct echo *e = (struct echo *)a;
	struct echo_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->fd = fd;
	c->events = EV_IN;
	c->peer = *p;
	c->e = e;
	c->last = ev_now(e->l);
	c->timer.fn = on_check;
	if (e->s->proxy_proto && (c->pp = calloc(1, sizeof(*c->pp))) == NULL) {
		free(c);
		goto fail;
	}
	if ((c->pp ? ev_timer_arm(e->l, &c->timer, c->last +
	    header_wait(e->s)) : arm_check(c)) < 0 ||
	    ev_add(e->l, fd, EV_IN, on_client, c) < 0) {
		ev_timer_stop(e->l, &c->timer);
		free(c->pp);
		free(c);
		goto fail;
	}
	c->next = e->conns;
	if (c->next)
		c->next->prev = c;
	e->conns = c;
	e->budget.users++;
	if (c->pp == NULL)
		log_conn(e->s, "connection from", p);
	return 0;
fail:
	warn_errno("warning: connection");
	if (!e->s->proxy_proto)
		release_client(e->s, &p->sa);
	close(fd);
	return -1;
}

int
serve_echo(struct server *s)
{
	struct echo *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		die_errno(EXIT_FAIL, "memory");
	e->s = s;
	e->budget.limit = s->max_pending;
	if ((e->l = evloop_new(&s->waitmask)) == NULL ||
	    acceptor_start(&e->a, s, e->l, echo_add) < 0)
		die_errno(EXIT_FAIL, "event loop");
	if (ev_run(e->l) < 0)
		die_errno(EXIT_FAIL, "wait");
	while (e->conns)
		echo_close(e->conns, NULL, 0);
	evloop_free(e->l);
	free(e);
	return EXIT_OK;
}
