/*
 * fwdpeer: both ends of the forward workload, the same for every
 * forwarder. The client sends an 8-byte length and that many bytes; the
 * sink reads exactly that many and answers "ok\n", so no forwarder needs
 * to pass a half-close on for the transfer to end (systemd-socket-proxyd
 * does not). The hi server answers "hi\n" to every connection and closes
 * it (connrate's short connections).
 * usage: fwdpeer -l HOST PORT          sink, one connection at a time
 *        fwdpeer -H HOST PORT          hi server
 *        fwdpeer -n BYTES HOST PORT    client; prints bytes= secs= rate=
 */
#include <stdint.h>
#include "bench.h"

static char buf[256 * 1024];

static int
read_full(int fd, void *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		if ((r = read(fd, p, n)) <= 0)
			return -1;
		p = (char *)p + r;
		n -= r;
	}
	return 0;
}

static void
sink(int lfd)
{
	uint64_t want, got;
	ssize_t n;
	int fd;

	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		if (read_full(fd, &want, sizeof want) == 0) {
			for (got = 0; got < want; got += n)
				if ((n = read(fd, buf, want - got < sizeof buf ?
				    want - got : sizeof buf)) <= 0)
					break;
			if (got == want && write(fd, "ok\n", 3) != 3)
				fprintf(stderr, "fwdpeer: write failed\n");
		}
		close(fd);
	}
}

static void
hi(int lfd)
{
	int fd;

	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		if (write(fd, "hi\n", 3) != 3)
			fprintf(stderr, "fwdpeer: write failed\n");
		close(fd);
	}
}

static int
client(const char *host, const char *port, uint64_t total)
{
	uint64_t left = total;
	double t0 = now_mono(), t1;
	char ok[4];
	ssize_t n;
	int fd;

	if ((fd = connect_to(host, port, SOCK_STREAM)) == -1)
		bench_die("fwdpeer", "connect");
	if (write(fd, &total, sizeof total) != sizeof total)
		bench_die("fwdpeer", "write");
	while (left > 0) {
		if ((n = write(fd, buf, left < sizeof buf ? left : sizeof buf))
		    <= 0)
			bench_die("fwdpeer", "write");
		left -= n;
	}
	if (read_full(fd, ok, 3) == -1 || memcmp(ok, "ok\n", 3) != 0) {
		errno = 0;
		bench_die("fwdpeer", "no ok from the sink");
	}
	t1 = now_mono();
	printf("bytes=%llu secs=%.4f rate=%.4f\n", (unsigned long long)total,
	    t1 - t0, total / 1073741824.0 / (t1 - t0));
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "-l") == 0)
		sink(bind_announce("fwdpeer", argv[2], argv[3], SOCK_STREAM));
	if (argc == 4 && strcmp(argv[1], "-H") == 0)
		hi(bind_announce("fwdpeer", argv[2], argv[3], SOCK_STREAM));
	if (argc == 5 && strcmp(argv[1], "-n") == 0)
		return client(argv[3], argv[4], strtoull(argv[2], NULL, 10));
	fprintf(stderr, "usage: fwdpeer -l|-H HOST PORT | -n BYTES HOST PORT\n");
	return 2;
}
