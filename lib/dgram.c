/*
 * dgram.c: what the UDP applets share: the largest datagram a family can
 * carry, and socket buffer sizing.
 */
#include <netinet/in.h>
#include "sockbox.h"

int
dgram_max(const struct sockaddr *sa)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	/* 65535 less the UDP header, and for IPv4 the IP header too. */
	if (sa->sa_family == AF_INET6 &&
	    !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return DGRAM_MAX6;
	return DGRAM_MAX4;
}

void
grow_sockbuf(int fd, int which, int bytes)
{
	int force = which == SO_RCVBUF ? SO_RCVBUFFORCE : SO_SNDBUFFORCE;

	/* As root past net.core.[rw]mem_max; otherwise up to it. */
	if (setsockopt(fd, SOL_SOCKET, force, &bytes, sizeof(bytes)) < 0)
		setsockopt(fd, SOL_SOCKET, which, &bytes, sizeof(bytes));
}
