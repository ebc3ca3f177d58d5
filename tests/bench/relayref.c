/*
 * relayref: the bulk relay's limit reference, a plain one-way read/write
 * copy with 128 KiB buffers. "relayref HOST PORT" copies stdin to a
 * connection, half-closes, and waits for the peer to close; "relayref -l
 * HOST PORT" accepts one connection and copies it to stdout.
 */
#include "bench.h"

#define BUFSIZE (128 * 1024)

static char buf[BUFSIZE];

/* Copy in to out until EOF; the byte count, or exit 1. */
static long long
copy(int in, int out)
{
	long long total = 0;
	ssize_t n, w, off;

	while ((n = read(in, buf, sizeof buf)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			bench_die("relayref", "read");
		}
		for (off = 0; off < n; off += w)
			if ((w = write(out, buf + off, n - off)) == -1)
				bench_die("relayref", "write");
		total += n;
	}
	return total;
}

int
main(int argc, char **argv)
{
	int fd, lfd;

	if (argc == 4 && strcmp(argv[1], "-l") == 0) {
		lfd = bind_announce("relayref", argv[2], argv[3], SOCK_STREAM);
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			bench_die("relayref", "accept");
		close(lfd);
		copy(fd, 1);
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: relayref [-l] HOST PORT\n");
		return 2;
	}
	if ((fd = connect_to(argv[1], argv[2], SOCK_STREAM)) == -1)
		bench_die("relayref", "connect %s port %s", argv[1], argv[2]);
	copy(0, fd);
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof buf) > 0)
		;
	return 0;
}
