/*
 * evconnect.c: a connect driven by the event loop. hconn closes attempts
 * that fail, so their descriptors are unregistered around every step and
 * registered again after it.
 */
#include <errno.h>
#include <stddef.h>
#include <unistd.h>
#include "evconnect.h"

static void
unwatch(struct evconnect *ec)
{
	size_t i;

	for (i = 0; i < ec->h.nfd; i++)
		ev_del(ec->l, ec->h.p[i].fd);
}

static void on_attempt(struct evloop *l, int fd, unsigned got, void *arg);

/*
 * Step the connect: the socket when it is done, -2 while in progress
 * (attempts registered, timer armed), -1 with errno when it failed.
 */
static int
step(struct evconnect *ec)
{
	long long at;
	size_t i;
	int rc, fd, err;

	unwatch(ec);
	if ((rc = hconn_step(&ec->h)) == 0) {
		for (i = 0; i < ec->h.nfd; i++)
			if (ev_add(ec->l, ec->h.p[i].fd, EV_OUT, on_attempt,
			    ec) < 0)
				goto fail;
		if ((at = hconn_wake(&ec->h)) >= 0 &&
		    ev_timer_arm(ec->l, &ec->timer, at) < 0)
			goto fail;
		return -2;
	}
	fd = rc == 1 ? ec->h.fd : -1;
	err = errno;
	ev_timer_stop(ec->l, &ec->timer);
	hconn_free(&ec->h);
	errno = err;
	return fd;
fail:
	err = errno;
	evconnect_cancel(ec);
	errno = err;
	return -1;
}

/* After a step from the loop: tell the caller if it is over. */
static void
stepped(struct evconnect *ec)
{
	int fd = step(ec);

	if (fd != -2)
		ec->done(ec, fd, fd < 0 ? errno : 0);
}

static void
on_attempt(struct evloop *l, int fd, unsigned got, void *arg)
{
	(void)l;
	(void)fd;
	(void)got;
	stepped(arg);
}

static void
on_timer(struct evloop *l, struct ev_timer *t)
{
	(void)l;
	stepped((struct evconnect *)((char *)t -
	    offsetof(struct evconnect, timer)));
}

/* A Unix-domain socket answers at once or not at all. */
static int
connect_unix(const struct endpoint *ep)
{
	int fd, saved;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&ep->sun, ep->sunlen) == 0)
		return fd;
	saved = errno == EAGAIN ? ECONNREFUSED : errno;	/* backlog full */
	close(fd);
	errno = saved;
	return -1;
}

int
evconnect_start(struct evconnect *ec, const struct endpoint *ep,
    struct addrinfo *res, long long timeout_ms)
{
	ec->timer = (struct ev_timer){ .fn = on_timer };
	if (ep->kind == EP_UNIX)
		return connect_unix(ep);
	/* No source address: socket_for never binds, so never exits. */
	if (hconn_start(&ec->h, res, ec->src, timeout_ms) < 0)
		return -1;
	return step(ec);
}

void
evconnect_cancel(struct evconnect *ec)
{
	unwatch(ec);
	ev_timer_stop(ec->l, &ec->timer);
	hconn_free(&ec->h);
}
