/*
 * tcpserve_broker.c: tcpserve --broker: every byte a client sends goes to
 * every other client (ncat's broker mode), all in one process on the
 * event loop. A client that does not keep up is disconnected rather than
 * allowed to stall the others: its pending output is bounded.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tcpserve_pp.h"

#define BROKER_CAP	(128 * 1024)	/* a client's pending output at most */
#define BROKER_READ	(16 * 1024)	/* a sender's read: one chunk */

struct broker;

/* One client; buf exists only while its output waits. */
struct bconn {
	int fd;
	unsigned events;	/* the interest set now */
	char *buf;		/* pending output buf[off..len), or NULL */
	uint32_t off, len, cap;	/* cap: bytes of buf, from the budget */
	long long last;		/* last progress either way, ms (-i) */
	struct ev_timer timer;	/* -i, or the header's deadline */
	struct pp_reader *pp;	/* --proxy-protocol: its header is coming */
	struct broker *b;
	struct bconn *prev, *next;
	union peer peer;
};

struct broker {
	struct acceptor a;	/* first: a broker is its acceptor */
	struct server *s;
	struct evloop *l;
	struct budget budget;
	struct bconn *conns;
	char scratch[BROKER_READ];
};

#define CONN_OF(t) ((struct bconn *)((char *)(t) - \
	offsetof(struct bconn, timer)))

/* why: our reason, or NULL; err: the socket's, said only with -v. */
static void
bconn_close(struct bconn *c, const char *why, int err)
{
	struct broker *b = c->b;
	char where[ADDRPORT_LEN];

	fmt_peer(&c->peer, where, sizeof(where));
	if (err && (b->s->verbose || err == ENOMEM))
		warn_msg("warning: %s: %s", where, strerror(err));
	if (b->s->verbose)
		warn_msg("closed %s%s%s", where, why ? ": " : "",
		    why ? why : "");
	ev_timer_stop(b->l, &c->timer);
	*(c->prev ? &c->prev->next : &b->conns) = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ev_del(b->l, c->fd);
	close(c->fd);
	if (c->pp) {			/* never let in, nothing counted */
		pp_reader_free(c->pp);
		free(c->pp);
	} else {
		release_client(b->s, &c->peer.sa);
	}
	budget_give(&b->budget, c->cap);
	b->budget.users--;
	free(c->buf);
	free(c);
	acceptor_closed(&b->a);
}

/* Read while it has not half-closed; write while output is pending. */
static int
set_interest(struct bconn *c)
{
	unsigned want = EV_IN | (c->buf ? EV_OUT : 0);

	if (want != c->events && ev_set(c->b->l, c->fd, want) < 0)
		return -1;
	c->events = want;
	return 0;
}

static int
arm_idle(struct bconn *c)
{
	long long due;

	if (c->b->s->idle_ms <= 0)
		return 0;
	due = c->last + c->b->s->idle_ms;
	if (c->timer.slot && c->timer.when <= due)
		return 0;		/* fires early and moves on, lazily */
	return ev_timer_arm(c->b->l, &c->timer, due);
}

/*
 * Queue data for r behind what it has pending, within its share of the
 * budget and BROKER_CAP. -1 with why set if it cannot take it: it is
 * too far behind the others (or out of memory) and must go.
 */
static int
enqueue(struct bconn *r, const char *data, size_t n, const char **why)
{
	struct budget *bg = &r->b->budget;
	size_t pending = r->len - r->off, cap;
	char *grown;

	if (pending + n > r->cap) {
		if (pending + n > r->cap + budget_room(bg, r->cap, BROKER_CAP)) {
			*why = "not reading";
			return -1;
		}
		cap = (pending + n + BUDGET_CHUNK - 1) / BUDGET_CHUNK *
		    BUDGET_CHUNK;
		if (r->off > 0) {
			memmove(r->buf, r->buf + r->off, pending);
			r->len = (uint32_t)pending;
			r->off = 0;
		}
		if ((grown = realloc(r->buf, cap)) == NULL) {
			*why = "out of memory";
			return -1;
		}
		budget_take(bg, cap - r->cap);
		r->buf = grown;
		r->cap = (uint32_t)cap;
	}
	memcpy(r->buf + r->len, data, n);
	r->len += (uint32_t)n;
	return 0;
}

/* Give r n bytes: now, or queued. -1 if that closed it. */
static int
deliver(struct bconn *r, const char *data, size_t n)
{
	const char *why = NULL;
	ssize_t w = 0;

	if (r->buf == NULL && (w = write(r->fd, data, n)) < 0) {
		if (errno != EAGAIN && errno != EINTR) {
			bconn_close(r, NULL, errno);
			return -1;
		}
		w = 0;
	}
	if (w > 0)
		r->last = ev_now(r->b->l);
	if ((size_t)w < n && enqueue(r, data + w, n - w, &why) < 0) {
		bconn_close(r, why, 0);
		return -1;
	}
	if (set_interest(r) < 0) {
		bconn_close(r, NULL, errno);
		return -1;
	}
	return 0;
}

/* Hand n bytes of from's to every other client. */
static void
broadcast(struct broker *b, struct bconn *from, const char *data, size_t n)
{
	struct bconn *r, *next;

	for (r = b->conns; r; r = next) {
		next = r->next;
		if (r != from && r->pp == NULL)
			(void)deliver(r, data, n);
	}
}

static void
bconn_read(struct bconn *c)
{
	struct broker *b = c->b;
	ssize_t n;

	if ((n = read(c->fd, b->scratch, sizeof(b->scratch))) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			bconn_close(c, NULL, errno);
		return;
	}
	/*
	 * Its end closes it, as in ncat: a client that closed looks just
	 * like one that half-closed, and would hold its descriptor until
	 * a write failed.
	 */
	if (n == 0) {
		bconn_close(c, NULL, 0);
		return;
	}
	c->last = ev_now(b->l);
	broadcast(b, c, b->scratch, (size_t)n);
	if (set_interest(c) < 0 || arm_idle(c) < 0)
		bconn_close(c, NULL, errno);
}

static void
bconn_write(struct bconn *c)
{
	ssize_t w;

	if (c->buf == NULL)
		return;
	if ((w = write(c->fd, c->buf + c->off, c->len - c->off)) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			bconn_close(c, NULL, errno);
		return;
	}
	c->off += (uint32_t)w;
	c->last = ev_now(c->b->l);
	if (c->off == c->len) {
		free(c->buf);
		budget_give(&c->b->budget, c->cap);
		c->buf = NULL;
		c->off = c->len = c->cap = 0;
	}
	if (set_interest(c) < 0 || arm_idle(c) < 0)
		bconn_close(c, NULL, errno);
}

/* A client let in: logged, greeted with -B, then it hears the others. */
static void
bconn_joined(struct bconn *c)
{
	struct broker *b = c->b;

	log_conn(b->s, "connection from", &c->peer);
	if (b->s->x.banner &&
	    deliver(c, b->s->x.banner, b->s->x.banner_len) < 0)
		return;
	if (arm_idle(c) < 0)
		bconn_close(c, NULL, errno);
}

/* Its header may be in; the data after it waits for the next read. */
static void
bconn_header(struct bconn *c)
{
	int rc = take_header(c->b->s, c->fd, c->pp, &c->peer, NULL, NULL);

	if (rc < 0) {
		bconn_close(c, NULL, 0);
	} else if (rc > 0) {
		pp_reader_free(c->pp);
		free(c->pp);
		c->pp = NULL;
		ev_timer_stop(c->b->l, &c->timer);
		c->last = ev_now(c->b->l);
		bconn_joined(c);
	}
}

static void
on_client(struct evloop *l, int fd, unsigned got, void *arg)
{
	struct bconn *c = arg;

	(void)l;
	(void)fd;
	if (c->pp)
		bconn_header(c);
	else if (got & (EV_IN | EV_ERR))
		bconn_read(c);
	else if (got & EV_OUT)
		bconn_write(c);
}

static void
on_idle(struct evloop *l, struct ev_timer *t)
{
	struct bconn *c = CONN_OF(t);

	if (c->pp) {
		header_failed(c->b->s, &c->peer, "timed out");
		bconn_close(c, NULL, 0);
	} else if (c->last + c->b->s->idle_ms <= ev_now(l))
		bconn_close(c, "idle timeout", 0);
	else if (arm_idle(c) < 0)
		bconn_close(c, NULL, errno);
}

static int
broker_add(struct acceptor *a, int fd, const union peer *p)
{
	struct broker *b = (struct broker *)a;
	struct bconn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->fd = fd;
	c->events = EV_IN;
	c->peer = *p;
	c->b = b;
	c->last = ev_now(b->l);
	c->timer.fn = on_idle;
	if (b->s->proxy_proto && (c->pp = calloc(1, sizeof(*c->pp))) == NULL) {
		free(c);
		goto fail;
	}
	if ((c->pp && ev_timer_arm(b->l, &c->timer, c->last +
	    header_wait(b->s)) < 0) || ev_add(b->l, fd, EV_IN, on_client,
	    c) < 0) {
		ev_timer_stop(b->l, &c->timer);
		free(c->pp);
		free(c);
		goto fail;
	}
	c->next = b->conns;
	if (c->next)
		c->next->prev = c;
	b->conns = c;
	b->budget.users++;
	if (c->pp == NULL)
		bconn_joined(c);
	return 0;
fail:
	warn_errno("warning: connection");
	if (!b->s->proxy_proto)
		release_client(b->s, &p->sa);
	close(fd);
	return -1;
}

int
serve_broker(struct server *s)
{
	struct broker *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		die_errno(EXIT_FAIL, "memory");
	b->s = s;
	b->budget.limit = s->max_pending;
	if ((b->l = evloop_new(&s->waitmask)) == NULL ||
	    acceptor_start(&b->a, s, b->l, broker_add) < 0)
		die_errno(EXIT_FAIL, "event loop");
	if (ev_run(b->l) < 0)
		die_errno(EXIT_FAIL, "wait");
	while (b->conns)
		bconn_close(b->conns, NULL, 0);
	evloop_free(b->l);
	free(b);
	return EXIT_OK;
}
