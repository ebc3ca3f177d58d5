/*
 * sockopt_apply.c: setting the parsed socket options (lib/sockopt.c) on a
 * socket before it is bound or connects, and whether MPTCP is there.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "sockbox.h"
#include "sockopt.h"

static int
set_int(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof(v));
}

/*
 * A buffer size as asked: SO_*BUFFORCE passes net.core.[rw]mem_max when
 * we may (root), as a user who names a size expects; else the capped one.
 */
static int
set_buf(int fd, int force, int plain, int bytes)
{
	if (set_int(fd, SOL_SOCKET, force, bytes) == 0)
		return 0;
	return set_int(fd, SOL_SOCKET, plain, bytes);
}

/*
 * An IPv4 option, and on an IPv6 socket the IPv6 one too: a dual-stack
 * socket sends IPv4-mapped traffic with the IPv4 setting.
 */
static int
set_ip(int fd, int family, int v4, int v6, int v)
{
	if (family == AF_INET6 && set_int(fd, IPPROTO_IPV6, v6, v) < 0)
		return -1;
	return set_int(fd, IPPROTO_IP, v4, v);
}

static int
set_keepalive(int fd, const struct sockopts *so)
{
	if (set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1) < 0 ||
	    (so->keepidle && set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE,
	    so->keepidle) < 0) ||
	    (so->keepintvl && set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL,
	    so->keepintvl) < 0) ||
	    (so->keepcnt && set_int(fd, IPPROTO_TCP, TCP_KEEPCNT,
	    so->keepcnt) < 0))
		return -1;
	return 0;
}

/* Set one option (bit) of so on fd: 0, or -1 with errno set. */
static int
set_one(int fd, int family, const struct sockopts *so, unsigned bit)
{
	struct linger lg = { 1, so->linger };

	switch (bit) {
	case SOCKOPT_REUSEPORT:
		return set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
	case SOCKOPT_BINDTODEVICE:
		return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, so->device,
		    (socklen_t)strlen(so->device));
	case SOCKOPT_MARK:
		return setsockopt(fd, SOL_SOCKET, SO_MARK, &so->mark,
		    sizeof(so->mark));
	case SOCKOPT_RCVBUF:
		return set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, so->rcvbuf);
	case SOCKOPT_SNDBUF:
		return set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, so->sndbuf);
	case SOCKOPT_TOS:
		return set_ip(fd, family, IP_TOS, IPV6_TCLASS, so->tos);
	case SOCKOPT_TTL:
		return set_ip(fd, family, IP_TTL, IPV6_UNICAST_HOPS, so->ttl);
	case SOCKOPT_NODELAY:
		return set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
	case SOCKOPT_KEEPALIVE:
		return set_keepalive(fd, so);
	case SOCKOPT_USER_TIMEOUT:
		return set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT,
		    so->user_timeout);
	case SOCKOPT_LINGER:
		return setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	return 0;
}

int
sockopt_apply(const struct sockopts *so, int fd, int role,
    const char **failed)
{
	socklen_t len = sizeof(int);
	int family = AF_INET;
	unsigned bit;

	if (so == NULL || so->set == 0)
		return 0;
	/* Not a socket (ENOTSOCK): the first option set reports it. */
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) < 0)
		family = AF_UNSPEC;
	/* The bits' order: what decides binding and routing first. */
	for (bit = 1; bit <= SOCKOPT_LAST; bit <<= 1) {
		if (!(so->set & bit))
			continue;
		/* On an outgoing socket reuseport means nothing. */
		if (bit == SOCKOPT_REUSEPORT && role != SOCKOPT_LISTEN)
			continue;
		if (set_one(fd, family, so, bit) < 0) {
			*failed = sockopt_name(bit);
			return -1;
		}
	}
	return 0;
}

void
xsockopt_apply(const struct sockopts *so, int fd, int role)
{
	const char *name;

	if (sockopt_apply(so, fd, role, &name) < 0)
		die_errno(EXIT_FAIL, "sockopt %s", name);
}

int
sockopt_protocol(const struct sockopts *so, int socktype)
{
	return so && so->mptcp && socktype == SOCK_STREAM ? IPPROTO_MPTCP : 0;
}

void
xcheck_mptcp(const struct sockopts *so, int family)
{
	int fd;

	if (!so->mptcp)
		return;
	fd = socket(family == AF_INET6 ? AF_INET6 : AF_INET,
	    SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_MPTCP);
	/* A host without IPv4 may still have MPTCP over IPv6. */
	if (fd < 0 && errno == EAFNOSUPPORT && family == AF_UNSPEC)
		fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC,
		    IPPROTO_MPTCP);
	if (fd >= 0) {
		close(fd);
		return;
	}
	if (errno == EPROTONOSUPPORT || errno == EINVAL ||
	    errno == ENOPROTOOPT)
		die_msg(EXIT_FAIL, "MPTCP: not supported by this kernel");
	die_errno(EXIT_FAIL, "MPTCP socket");
}
