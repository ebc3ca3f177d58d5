/*
 * spliceref: the limit reference of the forward workload: a minimal
 * single-threaded epoll forwarder moving bytes with splice(2) through a
 * pipe pair per connection, passing half-closes on. No limits, no
 * timeouts, a blocking connect: what is left is the kernel's cost.
 * usage: spliceref HOST PORT TARGET_HOST TARGET_PORT
 */
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include "bench.h"

struct side;

struct conn {
	int fd[2];		/* client, backend */
	int pipe[2][2];		/* direction d: fd[d] to fd[!d] */
	size_t inpipe[2];
	int eof[2];		/* direction d's source ended */
	int open;		/* directions not finished */
	struct side {
		struct conn *c;
		int i;
	} side[2];
};

static struct side gone;	/* an event of a connection just dropped */

static void
drop(int ep, struct conn *c)
{
	int i;

	for (i = 0; i < 2; i++) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd[i], NULL);
		close(c->fd[i]);
		close(c->pipe[i][0]);
		close(c->pipe[i][1]);
	}
	free(c);
}

/* Move direction d on until it would block: 0, or -1 on an error. */
static int
move(struct conn *c, int d)
{
	ssize_t n;

	for (;;) {
		if (c->inpipe[d] > 0) {
			n = splice(c->pipe[d][0], NULL, c->fd[!d], NULL,
			    c->inpipe[d], SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n == -1)
				return errno == EAGAIN ? 0 : -1;
			c->inpipe[d] -= n;
			continue;
		}
		if (c->eof[d])
			return 0;
		n = splice(c->fd[d], NULL, c->pipe[d][1], NULL, 1 << 16,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n == -1)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0) {
			c->eof[d] = 1;
			shutdown(c->fd[!d], SHUT_WR);
			c->open--;
			return 0;
		}
		c->inpipe[d] = n;
	}
}

static void
start(int ep, int cfd, struct sockaddr_storage *to, socklen_t tolen)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLOUT | EPOLLET };
	struct conn *c = calloc(1, sizeof *c);
	int i, one = 1;

	c->fd[0] = cfd;
	c->fd[1] = socket(to->ss_family, SOCK_STREAM, 0);
	c->open = 2;
	if (c->fd[1] == -1 || connect(c->fd[1], (struct sockaddr *)to,
	    tolen) == -1 || pipe2(c->pipe[0], O_NONBLOCK) == -1 ||
	    pipe2(c->pipe[1], O_NONBLOCK) == -1) {
		close(cfd);
		if (c->fd[1] != -1)
			close(c->fd[1]);
		free(c);	/* pipes of a failed start leak: a benchmark */
		return;
	}
	for (i = 0; i < 2; i++) {
		set_nonblock(c->fd[i]);
		setsockopt(c->fd[i], IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof one);
		c->side[i].c = c;
		c->side[i].i = i;
		e.data.ptr = &c->side[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, c->fd[i], &e);
	}
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[256], e = { .events = EPOLLIN };
	struct sockaddr_storage to;
	socklen_t tolen;
	int lfd, ep, n, fd;

	if (argc != 5 || get_addr(argv[3], argv[4], SOCK_STREAM, &to,
	    &tolen) == -1) {
		fprintf(stderr, "usage: spliceref HOST PORT TARGET_HOST TARGET_PORT\n");
		return 2;
	}
	raise_nofile();
	lfd = bind_announce("spliceref", argv[1], argv[2], SOCK_STREAM);
	set_nonblock(lfd);
	ep = epoll_create1(0);
	e.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e);
	for (;;) {
		if ((n = epoll_wait(ep, evs, 256, -1)) == -1 && errno != EINTR)
			bench_die("spliceref", "epoll_wait");
		while (n-- > 0) {
			struct side *s = evs[n].data.ptr;

			if (s == &gone)
				continue;
			if (s == NULL) {
				while ((fd = accept(lfd, NULL, NULL)) != -1)
					start(ep, fd, &to, tolen);
				continue;
			}
			if (move(s->c, 0) == -1 || move(s->c, 1) == -1 ||
			    s->c->open == 0) {
				/* Both sides of a dropped conn may be in evs. */
				struct conn *c = s->c;
				int i, j;

				for (i = 0; i < n; i++)
					for (j = 0; j < 2; j++)
						if (evs[i].data.ptr == &c->side[j])
							evs[i].data.ptr = &gone;
				drop(ep, c);
			}
		}
	}
}
