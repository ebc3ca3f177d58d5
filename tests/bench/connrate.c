/*
 * connrate: connection-rate client for program-per-connection servers.
 * Makes COUNT connections, K at a time, reads each reply to EOF and
 * compares it with EXPECT; a connection refused, reset or answered wrongly
 * is failed, one without EOF within SECS is hung. No connection starts
 * after TOTAL seconds (those are reported as not run).
 * usage: connrate [-n COUNT] [-k K] [-t SECS] [-T TOTAL] [-e EXPECT] HOST PORT
 */
#include <poll.h>
#include "bench.h"

struct slot {
	int fd;
	size_t got;
	double deadline;
	char buf[256];
};

static struct sockaddr_storage addr;
static socklen_t addrlen;

/* Start a connection in slot s; -1 if the socket could not even start. */
static int
start(struct slot *s, double secs)
{
	s->got = 0;
	s->deadline = now_mono() + secs;
	if ((s->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	if (connect(s->fd, (struct sockaddr *)&addr, addrlen) == -1 &&
	    errno != EINPROGRESS) {
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	return 0;
}

/* Read what is there: 0 more to come, 1 EOF, -1 error. */
static int
drain(struct slot *s)
{
	char tmp[256];
	ssize_t n;

	for (;;) {
		if ((n = read(s->fd, tmp, sizeof tmp)) == -1)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0)
			return 1;
		if (s->got + n > sizeof s->buf)
			return -1;
		memcpy(s->buf + s->got, tmp, n);
		s->got += n;
	}
}

int
main(int argc, char **argv)
{
	long count = 1000, k = 1, secs = 3, started = 0, ok = 0, failed = 0;
	long hung = 0, i, active = 0, total = 120, wanted;
	const char *expect = "hi\n";
	struct pollfd *pfd;
	struct slot *slots;
	double t0, t1, now;
	int ch, r;

	while ((ch = getopt(argc, argv, "n:k:t:T:e:")) != -1) {
		switch (ch) {
		case 'n': count = get_count("connrate", optarg, 10000000); break;
		case 'k': k = get_count("connrate", optarg, 1024); break;
		case 't': secs = get_count("connrate", optarg, 600); break;
		case 'T': total = get_count("connrate", optarg, 3600); break;
		case 'e': expect = optarg; break;
		default: return 2;
		}
	}
	if (argc - optind != 2 || get_addr(argv[optind], argv[optind + 1],
	    SOCK_STREAM, &addr, &addrlen) == -1) {
		fprintf(stderr, "usage: connrate [-n COUNT] [-k K] [-t SECS] "
		    "[-T TOTAL] [-e EXPECT] HOST PORT\n");
		return 2;
	}
	wanted = count;
	slots = calloc(k, sizeof *slots);
	pfd = calloc(k, sizeof *pfd);
	if (slots == NULL || pfd == NULL)
		bench_die("connrate", "calloc");
	for (i = 0; i < k; i++)
		slots[i].fd = -1;
	t0 = now_mono();
	for (;;) {
		if (now_mono() > t0 + total)
			count = started;
		for (i = 0; i < k; i++) {
			while (slots[i].fd == -1 && started < count) {
				started++;
				if (start(&slots[i], secs) == 0)
					active++;
				else
					failed++;
			}
			pfd[i].fd = slots[i].fd;
			pfd[i].events = POLLIN;
		}
		if (active == 0)
			break;
		if (poll(pfd, k, 100) == -1 && errno != EINTR)
			bench_die("connrate", "poll");
		now = now_mono();
		for (i = 0; i < k; i++) {
			struct slot *s = &slots[i];

			if (s->fd == -1)
				continue;
			r = pfd[i].revents ? drain(s) : 0;
			if (r == 0 && now < s->deadline)
				continue;
			if (r == 1 && s->got == strlen(expect) &&
			    memcmp(s->buf, expect, s->got) == 0)
				ok++;
			else if (r == 0)
				hung++;
			else
				failed++;
			close(s->fd);
			s->fd = -1;
			active--;
		}
	}
	t1 = now_mono();
	printf("ok=%ld failed=%ld hung=%ld notrun=%ld secs=%.4f rate=%.0f\n",
	    ok, failed, hung, wanted - count, t1 - t0, ok / (t1 - t0));
	return ok == wanted ? 0 : 1;
}
