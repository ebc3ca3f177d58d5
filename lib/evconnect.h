/*
 * evconnect.h: connecting to an endpoint from the event loop without ever
 * blocking it: hconn's Happy Eyeballs (lib/connect.c) stepped on its
 * sockets' events and on a timer, or a Unix-domain connect.
 */
#ifndef SOCKBOX_EVCONNECT_H
#define SOCKBOX_EVCONNECT_H

#include "endpoint.h"
#include "evloop.h"

struct evconnect {
	struct hconn h;
	struct evloop *l;
	struct ev_timer timer;	/* hconn_wake: the next attempt, -w */
	/* Told once, later: fd connected (non-blocking, yours), or -1, err. */
	void (*done)(struct evconnect *ec, int fd, int err);
	void *arg;		/* the caller's */
	const struct source *src;	/* options for the sockets, or NULL */
};

/*
 * Start connecting ec (l, done, arg and src set) to ep, whose addresses are res
 * (EP_INET), giving up after timeout_ms (0: never). Returns a connected
 * socket at once (a Unix socket, or a quick loopback connect), -2 when in
 * progress (done is called later), or -1 with errno. done is never called
 * from within evconnect_start.
 */
int evconnect_start(struct evconnect *ec, const struct endpoint *ep,
    struct addrinfo *res, long long timeout_ms);
/* Stop a connect in progress; done is not called. */
void evconnect_cancel(struct evconnect *ec);

#endif
