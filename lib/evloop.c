/*
 * evloop.c: the event loop of the single-process server modes: descriptors
 * with a callback each, timers in a heap, epoll on Linux and poll(2)
 * elsewhere (or with -DSOCKBOX_POLL, so CI can test that path too).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__) && !defined(SOCKBOX_POLL)
#define USE_EPOLL 1
#include <sys/epoll.h>
#endif
#include "evloop.h"

#define EV_BATCH 256

/* What one descriptor waits for, and who is told. */
struct ev_fd {
	ev_cb *fn;		/* NULL: not registered */
	void *arg;
	unsigned events;
	int slot;		/* poll: index in pfd */
};

struct evloop {
	sigset_t waitmask;
	struct ev_fd *fds;	/* by descriptor */
	int nfds;
	struct ev_timer **heap;	/* earliest first; timer->slot is index+1 */
	unsigned nheap, capheap;
	long long now;
	int stop;
#ifdef USE_EPOLL
	int ep;
#else
	struct pollfd *pfd;	/* what poll waits for */
	int npfd, cappfd;
#endif
};

struct evloop *
evloop_new(const sigset_t *waitmask)
{
	struct evloop *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->waitmask = *waitmask;
	l->now = now_ms();
#ifdef USE_EPOLL
	if ((l->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		free(l);
		return NULL;
	}
#endif
	return l;
}

void
evloop_free(struct evloop *l)
{
	if (l == NULL)
		return;
#ifdef USE_EPOLL
	close(l->ep);
#else
	free(l->pfd);
#endif
	free(l->fds);
	free(l->heap);
	free(l);
}

long long
ev_now(const struct evloop *l)
{
	return l->now;
}

void
ev_stop(struct evloop *l)
{
	l->stop = 1;
}

/* Room in the table for descriptor fd; -1 if out of memory. */
static int
grow_fds(struct evloop *l, int fd)
{
	struct ev_fd *grown;
	int n;

	if (fd < l->nfds)
		return 0;
	for (n = l->nfds ? l->nfds : 1024; n <= fd; n *= 2)
		;
	if ((grown = realloc(l->fds, n * sizeof(*grown))) == NULL)
		return -1;
	memset(grown + l->nfds, 0, (n - l->nfds) * sizeof(*grown));
	l->fds = grown;
	l->nfds = n;
	return 0;
}

#ifdef USE_EPOLL
static uint32_t
to_epoll(unsigned events)
{
	return (events & EV_IN ? EPOLLIN : 0) |
	    (events & EV_OUT ? EPOLLOUT : 0);
}

static int
sys_add(struct evloop *l, int fd, unsigned events)
{
	struct epoll_event ee = { .events = to_epoll(events), .data.fd = fd };

	return epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ee);
}

static int
sys_set(struct evloop *l, int fd, unsigned events)
{
	struct epoll_event ee = { .events = to_epoll(events), .data.fd = fd };

	return epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ee);
}

static void
sys_del(struct evloop *l, int fd)
{
	struct epoll_event ee = { 0 };

	/* The caller may still use fd (a dup, a child): take it out now. */
	epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, &ee);
}

/* Wait, then tell each ready descriptor's owner. */
static int
sys_wait(struct evloop *l, int ms)
{
	struct epoll_event ev[EV_BATCH];
	struct ev_fd *f;
	unsigned got;
	int i, n;

	if ((n = epoll_pwait(l->ep, ev, EV_BATCH, ms, &l->waitmask)) < 0)
		return -1;
	l->now = now_ms();
	for (i = 0; i < n; i++) {
		f = &l->fds[ev[i].data.fd];
		got = (ev[i].events & EPOLLIN ? EV_IN : 0) |
		    (ev[i].events & EPOLLOUT ? EV_OUT : 0) |
		    (ev[i].events & (EPOLLERR | EPOLLHUP) ? EV_ERR : 0);
		/* An earlier callback may have dropped or changed it. */
		got &= f->events | EV_ERR;
		if (f->fn && got)
			f->fn(l, ev[i].data.fd, got, f->arg);
	}
	return 0;
}
#else
static short
to_poll(unsigned events)
{
	return (events & EV_IN ? POLLIN : 0) | (events & EV_OUT ? POLLOUT : 0);
}

static int
sys_add(struct evloop *l, int fd, unsigned events)
{
	struct pollfd *grown;
	int n;

	if (l->npfd == l->cappfd) {
		n = l->cappfd ? l->cappfd * 2 : 1024;
		if ((grown = realloc(l->pfd, n * sizeof(*grown))) == NULL)
			return -1;
		l->pfd = grown;
		l->cappfd = n;
	}
	l->fds[fd].slot = l->npfd;
	l->pfd[l->npfd++] = (struct pollfd){ fd, to_poll(events), 0 };
	return 0;
}

static int
sys_set(struct evloop *l, int fd, unsigned events)
{
	l->pfd[l->fds[fd].slot].events = to_poll(events);
	return 0;
}

/* The last entry moves into fd's place. */
static void
sys_del(struct evloop *l, int fd)
{
	int i = l->fds[fd].slot, last = --l->npfd;

	l->pfd[i] = l->pfd[last];
	l->fds[l->pfd[i].fd].slot = i;
}

static int
sys_wait(struct evloop *l, int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	struct ev_fd *f;
	unsigned got;
	short re;
	int i, fd;

	if (ppoll(l->pfd, l->npfd, ms < 0 ? NULL : &ts, &l->waitmask) < 0)
		return -1;
	l->now = now_ms();
	/*
	 * Callbacks add and drop entries as we go: an entry that moves
	 * into slot i was either seen already (from the end) or is new
	 * with no revents, so each ready descriptor is told at most once.
	 */
	for (i = 0; i < l->npfd; i++) {
		if ((re = l->pfd[i].revents) == 0)
			continue;
		l->pfd[i].revents = 0;
		fd = l->pfd[i].fd;
		f = &l->fds[fd];
		got = (re & POLLIN ? EV_IN : 0) | (re & POLLOUT ? EV_OUT : 0) |
		    (re & (POLLERR | POLLHUP | POLLNVAL) ? EV_ERR : 0);
		got &= f->events | EV_ERR;
		if (f->fn && got)
			f->fn(l, fd, got, f->arg);
		/* fd was dropped and the last entry took its slot: see it. */
		if (i < l->npfd && l->pfd[i].fd != fd)
			i--;
	}
	return 0;
}
#endif

int
ev_add(struct evloop *l, int fd, unsigned events, ev_cb *fn, void *arg)
{
	if (grow_fds(l, fd) < 0 || sys_add(l, fd, events) < 0)
		return -1;
	l->fds[fd].fn = fn;
	l->fds[fd].arg = arg;
	l->fds[fd].events = events;
	return 0;
}

int
ev_set(struct evloop *l, int fd, unsigned events)
{
	if (l->fds[fd].events == events)
		return 0;
	if (sys_set(l, fd, events) < 0)
		return -1;
	l->fds[fd].events = events;
	return 0;
}

void
ev_del(struct evloop *l, int fd)
{
	if (fd < 0 || fd >= l->nfds || l->fds[fd].fn == NULL)
		return;
	sys_del(l, fd);
	l->fds[fd].fn = NULL;
	l->fds[fd].events = 0;
}

/* ---- timers: a binary min-heap on when ---- */

static void
heap_put(struct evloop *l, unsigned i, struct ev_timer *t)
{
	l->heap[i] = t;
	t->slot = i + 1;
}

/* Move the timer at i up or down until the heap order holds. */
static void
heap_fix(struct evloop *l, unsigned i)
{
	struct ev_timer *t = l->heap[i];
	unsigned c;

	while (i > 0 && l->heap[(i - 1) / 2]->when > t->when) {
		heap_put(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	while ((c = 2 * i + 1) < l->nheap) {
		if (c + 1 < l->nheap && l->heap[c + 1]->when < l->heap[c]->when)
			c++;
		if (l->heap[c]->when >= t->when)
			break;
		heap_put(l, i, l->heap[c]);
		i = c;
	}
	heap_put(l, i, t);
}

int
ev_timer_arm(struct evloop *l, struct ev_timer *t, long long when)
{
	struct ev_timer **grown;
	unsigned n;

	t->when = when;
	if (t->slot) {
		heap_fix(l, t->slot - 1);
		return 0;
	}
	if (l->nheap == l->capheap) {
		n = l->capheap ? l->capheap * 2 : 64;
		if ((grown = realloc(l->heap, n * sizeof(*grown))) == NULL)
			return -1;
		l->heap = grown;
		l->capheap = n;
	}
	heap_put(l, l->nheap++, t);
	heap_fix(l, l->nheap - 1);
	return 0;
}

void
ev_timer_stop(struct evloop *l, struct ev_timer *t)
{
	unsigned i;

	if (t->slot == 0)
		return;
	i = t->slot - 1;
	t->slot = 0;
	if (i == --l->nheap)
		return;
	heap_put(l, i, l->heap[l->nheap]);
	heap_fix(l, i);
}

/* Fire every timer that is due; each is disarmed before its callback. */
static void
run_timers(struct evloop *l)
{
	struct ev_timer *t;

	while (l->nheap && !l->stop && l->heap[0]->when <= l->now) {
		t = l->heap[0];
		ev_timer_stop(l, t);
		t->fn(l, t);
	}
}

/* Milliseconds the wait may sleep: until the earliest timer, or -1. */
static int
wait_ms(const struct evloop *l)
{
	long long d;

	if (l->nheap == 0)
		return -1;
	d = l->heap[0]->when - l->now;
	if (d <= 0)
		return 0;
	return d > 1000000000 ? 1000000000 : (int)d;
}

int
ev_run(struct evloop *l)
{
	l->now = now_ms();
	while (!l->stop && !server_stop) {
		if (sys_wait(l, wait_ms(l)) < 0) {
			if (errno != EINTR)
				return -1;
			l->now = now_ms();
		}
		run_timers(l);
	}
	return 0;
}
