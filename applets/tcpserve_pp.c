/*
 * tcpserve_pp.c: tcpserve --proxy-protocol: each client starts with a
 * PROXY header (lib/proxyproto.c) whose addresses stand for the
 * connection's in -a/-d, -C, the logs and the environment. The steps the
 * modes share, and program mode's clients whose header is still coming.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tcpserve_pp.h"

#define HEADER_WAIT_MS	5000	/* -w's default */
#define QUEUE_MIN	8

long long
header_wait(const struct server *s)
{
	return s->wait_ms > 0 ? s->wait_ms : HEADER_WAIT_MS;
}

/* Only with -v: a remote client must not be able to fill the log. */
void
header_failed(const struct server *s, const union peer *p, const char *why)
{
	char where[ADDRPORT_LEN];

	if (s->verbose)
		warn_msg("warning: %s: PROXY header: %s", fmt_addrport(&p->sa,
		    where, sizeof(where)), why ? why : strerror(errno));
}

/*
 * The header r is in: its addresses replace p's (and *local's), unless it
 * names none; then -a/-d and -C judge. 0, or -1 if turned away.
 */
static int
use_header(struct server *s, const struct pp_result *r, union peer *p,
    struct sockaddr_storage *local)
{
	if (r->has_addr) {
		memset(p, 0, sizeof(*p));
		memcpy(p, &r->src, r->src.ss_family == AF_INET ?
		    sizeof(p->sin) : sizeof(p->sin6));
		if (local)
			*local = r->dst;
	}
	return admit_client(s, p);
}

int
take_header(struct server *s, int fd, struct pp_reader *rd, union peer *p,
    struct sockaddr_storage *local, int *named)
{
	struct pp_result r;
	int rc;

	if ((rc = pp_read(rd, fd, &r)) == 0)
		return 0;
	if (rc < 0) {
		header_failed(s, p, r.why);
		return -1;
	}
	if (named)
		*named = r.has_addr;
	return use_header(s, &r, p, local) < 0 ? -1 : 1;
}

int
wait_header(struct server *s, int fd, union peer *p)
{
	struct pp_result r;

	if (pp_read_wait(fd, &r, header_wait(s), &s->waitmask) < 0) {
		if (!server_stop)
			header_failed(s, p, r.why);
		return -1;
	}
	return use_header(s, &r, p, NULL);
}

/* ---- program mode: the clients still sending their header ---- */

int
ppq_add(struct pp_queue *q, int fd, const union peer *p, long long deadline)
{
	struct pp_client *c;
	struct pollfd *pfd;
	unsigned cap;

	if (q->n == q->cap) {
		cap = q->cap ? q->cap * 2 : QUEUE_MIN;
		if ((c = realloc(q->c, cap * sizeof(*c))) == NULL)
			return -1;
		q->c = c;
		if ((pfd = realloc(q->pfd, (cap + 1) * sizeof(*pfd))) == NULL)
			return -1;
		q->pfd = pfd;
		q->cap = cap;
	}
	c = &q->c[q->n++];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->peer = *p;
	c->deadline = deadline;
	q->pfd[q->n].fd = -1;	/* until ppq_poll */
	q->pfd[q->n].revents = 0;
	return 0;
}

long long
ppq_poll(struct pp_queue *q, long long now)
{
	long long next = -1, left;
	unsigned i;

	for (i = 0; i < q->n; i++) {
		q->pfd[1 + i].fd = q->c[i].fd;
		q->pfd[1 + i].events = POLLIN;
		q->pfd[1 + i].revents = 0;
		left = q->c[i].deadline > now ? q->c[i].deadline - now : 0;
		if (next < 0 || left < next)
			next = left;
	}
	return next;
}

/* Forget q->c[i] (its descriptor is closed or handed on). */
static void
ppq_drop(struct pp_queue *q, unsigned i)
{
	pp_reader_free(&q->c[i].rd);
	q->c[i] = q->c[--q->n];
	q->pfd[1 + i] = q->pfd[1 + q->n];
}

void
ppq_step(struct server *s, struct pp_queue *q, long long now,
    void (*ready)(struct server *, void *, int, const union peer *,
    const struct sockaddr_storage *), void *arg)
{
	struct sockaddr_storage local;
	struct pp_client *c;
	unsigned i = 0;
	int rc, named = 0;

	while (i < q->n) {
		c = &q->c[i];
		rc = 0;
		if (q->pfd[1 + i].revents)
			rc = take_header(s, c->fd, &c->rd, &c->peer, &local,
			    &named);
		if (rc == 0 && c->deadline <= now) {
			header_failed(s, &c->peer, "timed out");
			rc = -1;
		}
		if (rc == 0) {
			i++;
			continue;
		}
		if (rc > 0)
			ready(s, arg, c->fd, &c->peer, named ? &local : NULL);
		close(c->fd);
		ppq_drop(q, i);
	}
}

void
ppq_free(struct pp_queue *q)
{
	while (q->n > 0) {
		close(q->c[0].fd);
		ppq_drop(q, 0);
	}
	free(q->c);
	free(q->pfd);
	memset(q, 0, sizeof(*q));
}
