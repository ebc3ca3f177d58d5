/*
 * connect.c: connecting a client to the first address that answers, Happy
 * Eyeballs style (RFC 8305): staggered attempts, families interleaved.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "sockbox.h"

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
start_attempt(const struct addrinfo *ai, const struct source *src, int *done)
{
	int fd, saved;

	if ((fd = socket_for(ai, src, 1)) < 0)
		return -1;
	*done = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0;
	if (*done || errno == EINPROGRESS)
		return fd;
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/*
 * Wait for the attempts in p, closing the ones that fail. Returns the first
 * that connected, -1 if none did yet, -2 if poll itself failed.
 */
static int
poll_attempts(struct pollfd *p, size_t *np, long long wait, int *err)
{
	socklen_t len;
	size_t i;
	int e, fd;

	if (poll(p, *np, wait > INT32_MAX ? -1 : (int)wait) < 0) {
		if (errno == EINTR)
			return -1;
		note_err(err, errno);
		return -2;
	}
	for (i = 0; i < *np; ) {
		if (p[i].revents == 0) {
			i++;
			continue;
		}
		len = sizeof(e);
		if (getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
			e = errno;
		if (e == 0) {
			fd = p[i].fd;
			p[i] = p[--*np];
			return fd;
		}
		note_err(err, e);
		close(p[i].fd);
		p[i] = p[--*np];
	}
	return -1;
}

int
connect_any(struct addrinfo *res, const struct source *src,
    long long timeout_ms)
{
	struct addrinfo **addrs;
	struct pollfd *p;
	size_t n, next = 0, np = 0, failed;
	long long t, next_at = 0, wait;
	long long deadline = timeout_ms > 0 ? now_ms() + timeout_ms : -1;
	int fd = -1, err = 0, done;

	if ((addrs = order_addrs(res, &n)) == NULL)
		return -1;
	if ((p = calloc(n, sizeof(*p))) == NULL) {
		free(addrs);
		return -1;
	}
	while (fd < 0) {
		t = now_ms();
		/* The next attempt: when its time came or nothing is left. */
		while (next < n && (np == 0 || t >= next_at)) {
			fd = start_attempt(addrs[next++], src, &done);
			if (fd >= 0 && done)
				break;
			if (fd < 0) {
				note_err(&err, errno);
				continue;
			}
			p[np].fd = fd;
			p[np++].events = POLLOUT;
			fd = -1;
			next_at = t + ATTEMPT_DELAY_MS;
			break;
		}
		if (fd >= 0)
			break;
		if (np == 0 || (deadline >= 0 && t >= deadline)) {
			if (np)
				err = ETIMEDOUT;	/* -w cut it short */
			break;
		}
		wait = next < n ? next_at - t : -1;
		if (deadline >= 0 && (wait < 0 || deadline - t < wait))
			wait = deadline - t;
		failed = np;
		if ((fd = poll_attempts(p, &np, wait, &err)) == -2)
			break;
		/* A failure lets the next address start at once. */
		if (fd < 0 && np < failed)
			next_at = 0;
	}
	if (fd < 0)
		fd = -1;
	while (np > 0)
		close(p[--np].fd);
	free(p);
	free(addrs);
	if (fd < 0) {
		errno = err ? err : ETIMEDOUT;
		return -1;
	}
	/* The caller and the programs it runs expect a blocking socket. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}
