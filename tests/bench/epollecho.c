/*
 * epollecho: the echo workloads' limit reference, a minimal single-threaded
 * epoll echo server. Level-triggered; a connection holds memory only while
 * the peer is not reading what it sent (then its input is paused).
 * usage: epollecho HOST PORT
 */
#include <sys/epoll.h>
#include "bench.h"

#define BUFSIZE 16384

struct pending {
	size_t off, len;
	char data[BUFSIZE];
};

static struct pending **pend;	/* by descriptor; NULL when nothing waits */
static int ep;

static void
drop(int fd)
{
	free(pend[fd]);
	pend[fd] = NULL;
	close(fd);
}

/* Write what is pending on fd; 0 when it all went, 1 if some is left. */
static int
flush(int fd)
{
	struct pending *p = pend[fd];
	ssize_t w;

	while (p->off < p->len) {
		if ((w = write(fd, p->data + p->off, p->len - p->off)) == -1)
			return errno == EAGAIN ? 1 : -1;
		p->off += w;
	}
	free(p);
	pend[fd] = NULL;
	return 0;
}

static void
on_ready(int fd, unsigned ev)
{
	static char buf[BUFSIZE];
	struct epoll_event e = { .data.fd = fd };
	ssize_t n, w;
	int r;

	if (pend[fd]) {
		if ((r = flush(fd)) == -1)
			drop(fd);
		else if (r == 0) {
			e.events = EPOLLIN;
			epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
		}
		return;
	}
	if (!(ev & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	if ((n = read(fd, buf, sizeof buf)) <= 0) {
		if (n == 0 || errno != EAGAIN)
			drop(fd);
		return;
	}
	if ((w = write(fd, buf, n)) == n)
		return;
	if (w == -1 && errno != EAGAIN) {
		drop(fd);
		return;
	}
	if (w < 0)
		w = 0;
	if ((pend[fd] = malloc(sizeof *pend[fd])) == NULL)
		bench_die("epollecho", "malloc");
	pend[fd]->off = 0;
	pend[fd]->len = n - w;
	memcpy(pend[fd]->data, buf + w, n - w);
	e.events = EPOLLOUT;
	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[256], e = { .events = EPOLLIN };
	struct rlimit rl;
	int lfd, fd, n, i;

	if (argc != 3) {
		fprintf(stderr, "usage: epollecho HOST PORT\n");
		return 2;
	}
	raise_nofile();
	getrlimit(RLIMIT_NOFILE, &rl);
	if ((pend = calloc(rl.rlim_cur, sizeof *pend)) == NULL)
		bench_die("epollecho", "calloc");
	lfd = bind_announce("epollecho", argv[1], argv[2], SOCK_STREAM);
	set_nonblock(lfd);
	ep = epoll_create1(0);
	e.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e);
	for (;;) {
		if ((n = epoll_wait(ep, evs, 256, -1)) == -1) {
			if (errno == EINTR)
				continue;
			bench_die("epollecho", "epoll_wait");
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd != lfd) {
				on_ready(evs[i].data.fd, evs[i].events);
				continue;
			}
			while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) != -1) {
				if ((rlim_t)fd >= rl.rlim_cur) {
					close(fd);
					continue;
				}
				e.data.fd = fd;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
			}
		}
	}
}
