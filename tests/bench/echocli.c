/*
 * echocli: echo round-trip load client. Opens CONNS connections, then
 * keeps one SIZE-byte message in flight on each until ROUNDTRIPS replies
 * have come back intact, and reports the rate of round trips.
 * usage: echocli [-c CONNS] [-n ROUNDTRIPS] [-s SIZE] [-t SECS] HOST PORT
 */
#include <sys/epoll.h>
#include "bench.h"

struct conn {
	int fd;
	size_t got;
	unsigned seq;
	char want[1024];
};

static long size = 64;

/* Fill c->want with this connection's next message and send it. */
static int
send_next(struct conn *c, long id)
{
	size_t i;

	c->seq++;
	for (i = 0; i < (size_t)size; i++)
		c->want[i] = 'a' + (id + c->seq + i) % 26;
	c->got = 0;
	return write(c->fd, c->want, size) == size ? 0 : -1;
}

int
main(int argc, char **argv)
{
	long nconn = 100, total = 100000, limit = 60, issued = 0, done = 0;
	long errors = 0, live, i;
	struct epoll_event evs[256], e = { .events = EPOLLIN };
	struct conn *conns;
	char buf[1024];
	double t0, t1, deadline;
	int ep, n, ch;

	while ((ch = getopt(argc, argv, "c:n:s:t:")) != -1) {
		switch (ch) {
		case 'c': nconn = get_count("echocli", optarg, 100000); break;
		case 'n': total = get_count("echocli", optarg, 1L << 40); break;
		case 's': size = get_count("echocli", optarg, 1024); break;
		case 't': limit = get_count("echocli", optarg, 3600); break;
		default: return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: echocli [-c CONNS] [-n ROUNDTRIPS] "
		    "[-s SIZE] [-t SECS] HOST PORT\n");
		return 2;
	}
	raise_nofile();
	if ((conns = calloc(nconn, sizeof *conns)) == NULL)
		bench_die("echocli", "calloc");
	ep = epoll_create1(0);
	for (i = 0; i < nconn; i++) {
		if ((conns[i].fd = connect_to(argv[optind], argv[optind + 1],
		    SOCK_STREAM)) == -1)
			bench_die("echocli", "connection %ld", i + 1);
		set_nonblock(conns[i].fd);
		e.data.u64 = i;
		epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &e);
	}
	t0 = now_mono();
	deadline = t0 + limit;
	for (i = 0; i < nconn && issued < total; i++, issued++)
		if (send_next(&conns[i], i) == -1)
			errors++;
	live = issued - errors;
	while (done < total && live > 0 && now_mono() < deadline) {
		if ((n = epoll_wait(ep, evs, 256, 1000)) == -1 && errno != EINTR)
			bench_die("echocli", "epoll_wait");
		while (n-- > 0) {
			struct conn *c = &conns[evs[n].data.u64];
			ssize_t r = read(c->fd, buf, size - c->got);

			if (r == -1 && errno == EAGAIN)
				continue;
			if (r <= 0 || memcmp(buf, c->want + c->got, r) != 0) {
				errors++, live--;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				continue;
			}
			if ((c->got += r) < (size_t)size)
				continue;
			done++, live--;
			if (issued < total) {
				issued++, live++;
				if (send_next(c, evs[n].data.u64) == -1)
					errors++, live--;
			}
		}
	}
	t1 = now_mono();
	for (i = 0; i < nconn; i++)
		close(conns[i].fd);
	printf("roundtrips=%ld errors=%ld secs=%.4f rate=%.0f\n", done, errors,
	    t1 - t0, done / (t1 - t0));
	return done == total ? 0 : 1;
}
