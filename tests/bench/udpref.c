/*
 * udpref: the UDP workload's limit reference. "udpref send HOST PORT"
 * sends each stdin line (newline removed) as one datagram with sendmmsg;
 * "udpref recv [-n COUNT] HOST PORT" receives with recvmmsg into an 8 MiB
 * socket buffer and writes the payloads to stdout, until COUNT datagrams
 * or 2 s without one.
 */
#include <sys/uio.h>
#include "bench.h"

#define BATCH 64
#define MAXLINE 65536

static char data[BATCH][MAXLINE];
static struct iovec iov[BATCH];
static struct mmsghdr msgs[BATCH];

static void
send_lines(int fd)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int n = 0, sent, r;

	while ((len = getline(&line, &cap, stdin)) != -1 || n > 0) {
		if (len > 0) {
			if (line[len - 1] == '\n')
				len--;
			if (len > MAXLINE)
				len = MAXLINE;
			memcpy(data[n], line, len);
			iov[n].iov_base = data[n];
			iov[n].iov_len = len;
			msgs[n].msg_hdr.msg_iov = &iov[n];
			msgs[n].msg_hdr.msg_iovlen = 1;
			if (++n < BATCH)
				continue;
		}
		for (sent = 0; sent < n; sent += r)
			if ((r = sendmmsg(fd, msgs + sent, n - sent, 0)) == -1)
				bench_die("udpref", "sendmmsg");
		n = 0;
		if (len == -1)
			break;
	}
}

static void
recv_lines(int fd, long count)
{
	static char out[BATCH * MAXLINE];
	struct timeval tv = { 2, 0 };
	long got = 0;
	int size = 8 << 20, n, i;
	size_t off;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) == -1)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = data[i];
		iov[i].iov_len = MAXLINE;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (got < count) {
		if ((n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (off = 0, i = 0; i < n; i++) {
			memcpy(out + off, data[i], msgs[i].msg_len);
			off += msgs[i].msg_len;
		}
		if (write(1, out, off) != (ssize_t)off)
			bench_die("udpref", "write");
		got += n;
	}
	fprintf(stderr, "udpref: received %ld datagrams\n", got);
}

int
main(int argc, char **argv)
{
	long count = 1L << 62;
	int fd;

	if (argc == 4 && strcmp(argv[1], "send") == 0) {
		if ((fd = connect_to(argv[2], argv[3], SOCK_DGRAM)) == -1)
			bench_die("udpref", "connect %s port %s", argv[2], argv[3]);
		send_lines(fd);
		return 0;
	}
	if (argc == 6 && strcmp(argv[1], "recv") == 0 &&
	    strcmp(argv[2], "-n") == 0) {
		count = get_count("udpref", argv[3], 1L << 40);
		fd = bind_announce("udpref", argv[4], argv[5], SOCK_DGRAM);
	} else if (argc == 4 && strcmp(argv[1], "recv") == 0) {
		fd = bind_announce("udpref", argv[2], argv[3], SOCK_DGRAM);
	} else {
		fprintf(stderr, "usage: udpref send HOST PORT\n"
		    "       udpref recv [-n COUNT] HOST PORT\n");
		return 2;
	}
	recv_lines(fd, count);
	return 0;
}
