/*
 * idlehold: open CONNS connections to an echo server and check each one
 * echoes; print "held N"; wait for a line on stdin (the caller measures
 * the server meanwhile); check every connection still echoes; print
 * "echoed N". Exits 0 only if all CONNS held and echoed twice.
 * usage: idlehold [-c CONNS] [-t SECS] HOST PORT
 */
#include <sys/epoll.h>
#include "bench.h"

static int *fds;
static long nfds;

/* Send "ping I\n" on every connection and count the exact echoes. */
static long
check_all(int ep, long secs)
{
	struct epoll_event evs[256], e = { .events = EPOLLIN };
	char msg[32], buf[32];
	long i, ok = 0, pending = 0;
	double deadline = now_mono() + secs;
	int n, len;

	for (i = 0; i < nfds; i++) {
		len = snprintf(msg, sizeof msg, "ping %ld\n", i);
		if (write(fds[i], msg, len) != len)
			continue;
		e.data.u64 = i;
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &e);
		pending++;
	}
	while (pending > 0 && now_mono() < deadline) {
		if ((n = epoll_wait(ep, evs, 256, 500)) == -1 && errno != EINTR)
			bench_die("idlehold", "epoll_wait");
		while (n-- > 0) {
			i = evs[n].data.u64;
			len = snprintf(msg, sizeof msg, "ping %ld\n", i);
			/* a reply this short arrives in one piece on loopback */
			if (read(fds[i], buf, sizeof buf) == len &&
			    memcmp(buf, msg, len) == 0)
				ok++;
			epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
			pending--;
		}
	}
	for (i = 0; i < nfds; i++)
		epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
	return ok;
}

int
main(int argc, char **argv)
{
	long want = 10000, secs = 30, held, echoed, i;
	char line[64];
	int ch, ep;

	while ((ch = getopt(argc, argv, "c:t:")) != -1) {
		switch (ch) {
		case 'c': want = get_count("idlehold", optarg, 1000000); break;
		case 't': secs = get_count("idlehold", optarg, 3600); break;
		default: return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: idlehold [-c CONNS] [-t SECS] HOST PORT\n");
		return 2;
	}
	raise_nofile();
	if ((fds = calloc(want, sizeof *fds)) == NULL)
		bench_die("idlehold", "calloc");
	for (i = 0; i < want; i++) {
		if ((fds[nfds] = connect_to(argv[optind], argv[optind + 1],
		    SOCK_STREAM)) == -1)
			continue;
		set_nonblock(fds[nfds++]);
	}
	ep = epoll_create1(0);
	held = check_all(ep, secs);
	printf("held %ld\n", held);
	fflush(stdout);
	if (fgets(line, sizeof line, stdin) == NULL)
		line[0] = 0;
	echoed = check_all(ep, secs);
	printf("echoed %ld\n", echoed);
	return held == want && echoed == want ? 0 : 1;
}
