/*
 * tcpserve_echo.c: tcpserve --echo: every byte back to its sender, all
 * clients in one process on the event loop (lib/evloop.c).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tcpserve.h"

#define ECHO_CAP	(128 * 1024)	/* pending output that stops reading */
#define ECHO_READ	(64 * 1024)

struct echo;

/*
 * One client. While nothing is pending this small struct is all it costs;
 * buf exists only while output waits for the client to read.
 */
struct echo_conn {
	int fd;
	unsigned events;	/* the interest set now (EV_IN...) */
	char *buf;		/* pending output buf[off..len), or NULL */
	uint32_t off, len;
	int eof;		/* the client has half-closed */
	long long last;		/* last progress, ms (-i) */
	struct ev_timer idle;	/* -i: due at last + idle_ms or later */
	struct echo *e;
	struct echo_conn *prev, *next;	/* every connection, to close at exit */
	union peer peer;
};

struct echo {
	struct server *s;
	struct evloop *l;
	unsigned nconn;
	int listening;			/* the listener's interest is EV_IN */
	struct ev_timer resume;		/* accept again after a back-off */
	struct echo_conn *conns;
	char scratch[ECHO_READ];
};

/* Listen or not (EV_IN or 0), if that changed. */
static void
listener_interest(struct echo *e, int on)
{
	if (on != e->listening &&
	    ev_set(e->l, e->s->lfd, on ? EV_IN : 0) == 0)
		e->listening = on;
}

static void
echo_close(struct echo_conn *c, int err)
{
	struct echo *e = c->e;
	char where[ADDRPORT_LEN];

	fmt_addrport(&c->peer.sa, where, sizeof(where));
	if (err && err != ETIMEDOUT)
		warn_msg("warning: %s: %s", where, strerror(err));
	if (e->s->verbose)
		warn_msg("closed %s%s", where, err == ETIMEDOUT ?
		    ": idle timeout" : "");
	ev_timer_stop(e->l, &c->idle);
	*(c->prev ? &c->prev->next : &e->conns) = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ev_del(e->l, c->fd);
	close(c->fd);
	release_client(e->s, &c->peer);
	free(c->buf);
	free(c);
	e->nconn--;
	/* Listening stopped because it was full: a slot is free now. */
	if (!e->listening && e->resume.slot == 0)
		listener_interest(e, 1);
}

/*
 * After a read or write: read while output pending is under the cap and
 * the client has not half-closed, wait to write while any is pending,
 * close when the client half-closed and has everything back.
 */
static void
update_interest(struct echo_conn *c)
{
	unsigned want = 0;

	if (c->buf && c->off == c->len) {
		free(c->buf);
		c->buf = NULL;
		c->off = c->len = 0;
	}
	if (c->eof && c->buf == NULL) {
		echo_close(c, 0);
		return;
	}
	if (!c->eof && c->len - c->off < ECHO_CAP)
		want |= EV_IN;
	if (c->buf)
		want |= EV_OUT;
	if (want == c->events)
		return;
	if (ev_set(c->e->l, c->fd, want) < 0) {
		echo_close(c, errno);
		return;
	}
	c->events = want;
}

/* Keep data the client could not take yet; -1 if out of memory. */
static int
stash(struct echo_conn *c, const char *data, size_t n)
{
	if (c->buf == NULL && (c->buf = malloc(ECHO_CAP)) == NULL)
		return -1;
	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
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
	size_t room = c->buf ? ECHO_CAP - (c->len - c->off) : ECHO_READ;
	ssize_t n, w = 0;

	if (room > ECHO_READ)
		room = ECHO_READ;
	n = read(c->fd, e->scratch, room);
	if (n == 0) {
		c->eof = 1;
	} else if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		echo_close(c, errno);
		return;
	} else {
		c->last = ev_now(e->l);
		/* Nothing queued: answer now, the usual case. */
		if (c->buf == NULL &&
		    (w = write(c->fd, e->scratch, n)) < 0) {
			if (errno != EAGAIN) {
				echo_close(c, errno);
				return;
			}
			w = 0;
		}
		if (w < n && stash(c, e->scratch + w, n - w) < 0) {
			echo_close(c, ENOMEM);
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

	if ((w = write(c->fd, c->buf + c->off, c->len - c->off)) < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		echo_close(c, errno);
		return;
	}
	c->off += w;
	c->last = ev_now(c->e->l);
	update_interest(c);
}

static void
on_client(struct evloop *l, int fd, unsigned got, void *arg)
{
	struct echo_conn *c = arg;

	(void)l;
	(void)fd;
	if (got & (EV_IN | EV_ERR) && c->events & EV_IN)
		echo_read(c);
	else if (got & (EV_OUT | EV_ERR))
		echo_write(c);
}

/* -i: the timer is armed once and moved on lazily, not at every byte. */
static void
on_idle(struct evloop *l, struct ev_timer *t)
{
	struct echo_conn *c = (struct echo_conn *)((char *)t -
	    offsetof(struct echo_conn, idle));
	long long due = c->last + c->e->s->idle_ms;

	if (due <= ev_now(l))
		echo_close(c, ETIMEDOUT);
	else if (ev_timer_arm(l, t, due) < 0)
		echo_close(c, errno);
}

/* Register a new client; closes fd on failure. */
static void
echo_add(struct echo *e, int fd, const union peer *p)
{
	struct echo_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->fd = fd;
	c->events = EV_IN;
	c->peer = *p;
	c->e = e;
	c->last = ev_now(e->l);
	c->idle.fn = on_idle;
	if (e->s->idle_ms > 0 &&
	    ev_timer_arm(e->l, &c->idle, c->last + e->s->idle_ms) < 0) {
		free(c);
		goto fail;
	}
	if (ev_add(e->l, fd, EV_IN, on_client, c) < 0) {
		ev_timer_stop(e->l, &c->idle);
		free(c);
		goto fail;
	}
	c->next = e->conns;
	if (c->next)
		c->next->prev = c;
	e->conns = c;
	e->nconn++;
	log_conn(e->s, "connection from", p);
	return;
fail:
	warn_errno("warning: connection");
	release_client(e->s, p);
	close(fd);
}

static void
on_resume(struct evloop *l, struct ev_timer *t)
{
	struct echo *e = (struct echo *)((char *)t -
	    offsetof(struct echo, resume));

	(void)l;
	if (!e->s->maxconn || e->nconn < e->s->maxconn)
		listener_interest(e, 1);
}

/* Accept every waiting client, or stop listening while full or starved. */
static void
on_listener(struct evloop *l, int fd, unsigned got, void *arg)
{
	struct echo *e = arg;
	struct server *s = e->s;
	union peer p;
	int cfd;

	(void)fd;
	(void)got;
	while (!s->maxconn || e->nconn < s->maxconn) {
		if ((cfd = accept_client(s, &p, SOCK_NONBLOCK)) == -2)
			continue;
		if (cfd >= 0) {
			echo_add(e, cfd, &p);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (accept_failed(s)) {
			listener_interest(e, 0);
			if (ev_timer_arm(l, &e->resume, ev_now(l) +
			    BACKOFF_MS) < 0)
				listener_interest(e, 1);
			return;
		}
	}
	listener_interest(e, 0);
}

int
serve_echo(struct server *s)
{
	struct echo *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		die_errno(EXIT_FAIL, "memory");
	e->s = s;
	e->resume.fn = on_resume;
	if ((e->l = evloop_new(&s->waitmask)) == NULL)
		die_errno(EXIT_FAIL, "event loop");
	if (ev_add(e->l, s->lfd, EV_IN, on_listener, e) < 0)
		die_errno(EXIT_FAIL, "event loop");
	e->listening = 1;
	if (ev_run(e->l) < 0)
		die_errno(EXIT_FAIL, "wait");
	while (e->conns)
		echo_close(e->conns, 0);
	evloop_free(e->l);
	free(e);
	return EXIT_OK;
}
