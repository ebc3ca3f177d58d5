/*
 * dgram.c: what the UDP applets share: the largest datagram a family can
 * carry, socket buffer sizing, and writing a batch of payloads out.
 */
#include <errno.h>
#include <limits.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/uio.h>
#include "sockbox.h"

int
dgram_max(const struct sockaddr *sa)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_UNIX)
		return DGRAM_MAXUNIX;
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

int
write_iov(int fd, struct iovec *iov, int n, volatile int *stop)
{
	ssize_t w;

	while (n > 0) {
		/* A signal that came just before writev would not end it. */
		if (stop && *stop) {
			errno = EINTR;
			return -1;
		}
		if ((w = writev(fd, iov, n < IOV_MAX ? n : IOV_MAX)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (; n > 0 && (size_t)w >= iov->iov_len; iov++, n--)
			w -= iov->iov_len;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= w;
		}
	}
	return 0;
}
