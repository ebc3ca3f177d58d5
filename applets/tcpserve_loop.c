/*
 * tcpserve_loop.c: accepting clients on the event loop, for the modes
 * that serve every connection in one process (--echo, --broker): accept
 * while there is room, stop listening while full or out of descriptors.
 */
#include <errno.h>
#include <stddef.h>
#include "tcpserve.h"

/* Listen or not, if that changed. */
static void
interest(struct acceptor *a, int on)
{
	if (on != a->listening &&
	    ev_set(a->l, a->s->lfd, on ? EV_IN : 0) == 0)
		a->listening = on;
}

static void
on_resume(struct evloop *l, struct ev_timer *t)
{
	struct acceptor *a = (struct acceptor *)((char *)t -
	    offsetof(struct acceptor, resume));

	(void)l;
	if (a->nconn < a->s->maxconn)
		interest(a, 1);
}

/* Accept every waiting client, or stop listening while full or starved. */
static void
on_listener(struct evloop *l, int fd, unsigned got, void *arg)
{
	struct acceptor *a = arg;
	struct server *s = a->s;
	union peer p;
	int cfd;

	(void)fd;
	(void)got;
	while (a->nconn < s->maxconn) {
		if ((cfd = accept_client(s, &p, SOCK_NONBLOCK)) == -2)
			continue;
		if (cfd >= 0) {
			/* Counted first: add may be done with it already. */
			a->nconn++;
			if (a->add(a, cfd, &p) < 0)
				a->nconn--;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (accept_failed(s)) {
			interest(a, 0);
			if (ev_timer_arm(l, &a->resume, ev_now(l) +
			    BACKOFF_MS) < 0)
				interest(a, 1);
			return;
		}
	}
	interest(a, 0);
}

int
acceptor_start(struct acceptor *a, struct server *s, struct evloop *l,
    int (*add)(struct acceptor *, int, const union peer *))
{
	a->s = s;
	a->l = l;
	a->add = add;
	a->nconn = 0;
	a->resume.fn = on_resume;
	if (ev_add(l, s->lfd, EV_IN, on_listener, a) < 0)
		return -1;
	a->listening = 1;
	return 0;
}

void
acceptor_closed(struct acceptor *a)
{
	a->nconn--;
	/* Listening stopped because it was full: a slot is free now. */
	if (!a->listening && a->resume.slot == 0)
		interest(a, 1);
}

void
acceptor_pause(struct acceptor *a)
{
	interest(a, 0);
	if (a->resume.slot == 0 && ev_timer_arm(a->l, &a->resume,
	    ev_now(a->l) + BACKOFF_MS) < 0)
		interest(a, 1);
}
