/*
 * connect.c: connecting a client to the first address that answers, Happy
 * Eyeballs style (RFC 8305): staggered attempts, families interleaved.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include "sockbox.h"
#include "sockopt.h"

/* RFC 8305's recommended Connection Attempt Delay. */
#define ATTEMPT_DELAY_MS 250

/*
 * res in the order to try: the resolver's first choice, then alternately
 * the other family and the first one (RFC 8305, section 4). NULL if out of
 * memory; *n receives the count.
 */
static struct addrinfo **
order_addrs(struct addrinfo *res, size_t *n)
{
	struct addrinfo **v, *ai, *a = res, *b = res;
	size_t i = 0, count = 0;
	int fam = res->ai_family;

	for (ai = res; ai; ai = ai->ai_next)
		count++;
	if ((v = malloc(count * sizeof(*v))) == NULL)
		return NULL;
	while (i < count) {
		/* a walks the first family, b every other one. */
		while (a && a->ai_family != fam)
			a = a->ai_next;
		while (b && b->ai_family == fam)
			b = b->ai_next;
		if (a) {
			v[i++] = a;
			a = a->ai_next;
		}
		if (b) {
			v[i++] = b;
			b = b->ai_next;
		}
	}
	*n = count;
	return v;
}

/* How much an error tells the user; the most telling one is reported. */
static int
err_rank(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return 4;
	case ETIMEDOUT:
		return 3;
	case EHOSTUNREACH:
	case ENETUNREACH:
		return 2;
	default:
		return 1;
	}
}

static void
note_err(int *best, int e)
{
	if (*best == 0 || err_rank(e) >= err_rank(*best))
		*best = e;
}

/*
 * Start connecting to ai. Returns a socket (connected if *done, else in
 * progress), or -1 with errno set.
 */
static int
start_attempt(struct hconn *h, const struct addrinfo *ai, int *done)
{
	struct sockaddr_storage ss;
	int fd, saved, port = h->port;

	if ((fd = socket_for(ai, h->src, 1)) < 0)
		return -1;
	if (h->src && sockopt_apply(h->src->opts, fd, SOCKOPT_CONNECT,
	    &h->opt_failed) < 0)
		goto fail;
	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	if (port >= 0 && ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	else if (port >= 0)
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	*done = connect(fd, (struct sockaddr *)&ss, ai->ai_addrlen) == 0;
	if (*done || errno == EINPROGRESS)
		return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* Close attempt i; the last one takes its place. */
static void
drop_attempt(struct hconn *h, size_t i)
{
	close(h->p[i].fd);
	h->p[i] = h->p[--h->nfd];
}

int
hconn_start(struct hconn *h, struct addrinfo *res, const struct source *src,
    long long timeout_ms)
{
	size_t n;

	*h = (struct hconn){ .src = src, .fd = -1, .port = -1 };
	if ((h->addrs = order_addrs(res, &n)) == NULL)
		return -1;
	if ((h->p = calloc(n, sizeof(*h->p))) == NULL) {
		free(h->addrs);
		h->addrs = NULL;
		return -1;
	}
	h->n = n;
	h->started = now_ms();
	h->deadline = timeout_ms > 0 ? h->started + timeout_ms : -1;
	return 0;
}

/*
 * Look at every attempt without waiting: the first connected one wins;
 * the failed are closed, and a failure lets the next address start at
 * once. From the end, so that the one drop_attempt moves was seen.
 */
static void
check_attempts(struct hconn *h)
{
	socklen_t len;
	size_t i;
	int e;

	if (h->nfd == 0 || poll(h->p, h->nfd, 0) <= 0)
		return;
	for (i = h->nfd; i-- > 0; ) {
		if (h->p[i].revents == 0)
			continue;
		len = sizeof(e);
		if (getsockopt(h->p[i].fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
			e = errno;
		if (e == 0 && h->fd < 0) {
			h->fd = h->p[i].fd;
			h->p[i] = h->p[--h->nfd];
		} else if (e != 0) {
			note_err(&h->err, e);
			drop_attempt(h, i);
			h->next_at = 0;
		}
	}
}

int
hconn_step(struct hconn *h)
{
	long long t;
	int fd, done;

	check_attempts(h);
	t = now_ms();
	/* The next attempt: when its time came or nothing is in progress. */
	while (h->fd < 0 && h->next < h->n && (h->nfd == 0 ||
	    t >= h->next_at)) {
		fd = start_attempt(h, h->addrs[h->next++], &done);
		if (fd < 0 && h->opt_failed) {
			/* Every address would fail the same way. */
			h->err = errno;
			while (h->nfd > 0)
				drop_attempt(h, h->nfd - 1);
			errno = h->err;
			return -1;
		}
		if (fd < 0) {
			note_err(&h->err, errno);
			continue;
		}
		if (done) {
			h->fd = fd;
			break;
		}
		h->p[h->nfd++] = (struct pollfd){ .fd = fd, .events = POLLOUT };
		h->next_at = t + ATTEMPT_DELAY_MS;
	}
	if (h->fd >= 0) {
		while (h->nfd > 0)
			drop_attempt(h, h->nfd - 1);
		return 1;
	}
	if (h->nfd == 0 || (h->deadline >= 0 && t >= h->deadline)) {
		if (h->nfd)
			h->err = ETIMEDOUT;	/* -w cut it short */
		while (h->nfd > 0)
			drop_attempt(h, h->nfd - 1);
		errno = h->err ? h->err : ETIMEDOUT;
		return -1;
	}
	return 0;
}

long long
hconn_wake(const struct hconn *h)
{
	long long at = h->next < h->n ? h->next_at : -1;

	if (h->deadline >= 0 && (at < 0 || h->deadline < at))
		at = h->deadline;
	return at;
}

void
hconn_free(struct hconn *h)
{
	while (h->nfd > 0)
		drop_attempt(h, h->nfd - 1);
	free(h->p);
	free(h->addrs);
	h->p = NULL;
	h->addrs = NULL;
}

int
connect_any(struct addrinfo *res, const struct source *src,
    long long timeout_ms)
{
	struct hconn h;
	long long at, wait;
	const char *opt;
	int rc, fd;

	if (hconn_start(&h, res, src, timeout_ms) < 0)
		return -1;
	while ((rc = hconn_step(&h)) == 0) {
		wait = -1;
		if ((at = hconn_wake(&h)) >= 0)
			wait = at > now_ms() ? at - now_ms() : 0;
		if (poll(h.p, h.nfd, wait > INT32_MAX ? -1 : (int)wait) < 0 &&
		    errno != EINTR) {
			note_err(&h.err, errno);
			break;
		}
	}
	fd = rc == 1 ? h.fd : -1;
	rc = rc == 1 ? 0 : h.err ? h.err : errno;
	opt = h.opt_failed;
	hconn_free(&h);
	if (opt) {
		errno = rc;
		die_errno(EXIT_FAIL, "sockopt %s", opt);
	}
	if (fd < 0) {
		errno = rc ? rc : ETIMEDOUT;
		return -1;
	}
	/* The caller and the programs it runs expect a blocking socket. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}
