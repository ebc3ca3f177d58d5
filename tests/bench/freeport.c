/*
 * freeport: print a port the kernel considers free on 127.0.0.1, for the
 * peers that cannot announce a port of their own (bind port 0, close).
 */
#include "bench.h"

int
main(int argc, char **argv)
{
	int type = SOCK_STREAM, fd;

	if (argc > 1 && strcmp(argv[1], "udp") == 0)
		type = SOCK_DGRAM;
	if ((fd = socket(AF_INET, type, 0)) == -1)
		bench_die("freeport", "socket");
	struct sockaddr_in sin = { .sin_family = AF_INET };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1)
		bench_die("freeport", "bind");
	printf("%d\n", local_port(fd));
	close(fd);
	return 0;
}
