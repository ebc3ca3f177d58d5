/*
 * pipesink: the reading end of a pipe. Reads stdin until EOF, or until
 * IDLE seconds pass without data once data has come (MAX seconds in all),
 * then prints the byte count and the wall-clock times of the first and
 * last read (seconds since the epoch).
 * usage: pipesink [-i IDLE_MS] [-t MAX_SECS]
 */
#include <poll.h>
#include "bench.h"

static char buf[256 * 1024];

int
main(int argc, char **argv)
{
	long idle = 1000, limit = 60;
	long long total = 0;
	double first = 0, last = 0, end;
	struct pollfd p = { .fd = 0, .events = POLLIN };
	ssize_t n;
	int ch, r;

	while ((ch = getopt(argc, argv, "i:t:")) != -1) {
		switch (ch) {
		case 'i': idle = get_count("pipesink", optarg, 3600000); break;
		case 't': limit = get_count("pipesink", optarg, 3600); break;
		default: return 2;
		}
	}
	end = now_real() + limit;
	for (;;) {
		r = poll(&p, 1, total ? idle : 100);
		if (r == -1 && errno != EINTR)
			bench_die("pipesink", "poll");
		if (r == 0 && (total || now_real() > end))
			break;
		if (r <= 0)
			continue;
		if ((n = read(0, buf, sizeof buf)) <= 0)
			break;
		last = now_real();
		if (total == 0)
			first = last;
		total += n;
		if (last > end)
			break;
	}
	printf("bytes=%lld first=%.6f last=%.6f\n", total, first, last);
	return 0;
}
