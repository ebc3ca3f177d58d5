/*
 * sock.c: sockets: resolving a host and port, binding a local source for
 * clients, and the listening socket of every server (dual-stack wildcard).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include "sockbox.h"
#include "sockopt.h"

int
resolve_host(const char *host, int port, int family, int socktype,
    struct addrinfo **res)
{
	struct addrinfo hints = { 0 };
	char serv[8];

	snprintf(serv, sizeof(serv), "%d", port);
	hints.ai_family = family;
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_NUMERICSERV;
	if (host == NULL)
		hints.ai_flags |= AI_PASSIVE;
	return getaddrinfo(host, serv, &hints, res);
}

int
socket_for(const struct addrinfo *ai, const struct source *src, int nonblock)
{
	struct sockaddr_storage ss;
	char where[ADDRPORT_LEN];
	socklen_t len;
	int fd, one = 1, proto;

	memset(&ss, 0, sizeof(ss));
	len = ai->ai_addrlen;
	ss.ss_family = ai->ai_family;
	if (src && src->addr &&
	    parse_addr(src->addr, ai->ai_family, &ss, &len) < 0) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	proto = sockopt_protocol(src ? src->opts : NULL, ai->ai_socktype);
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    (nonblock ? SOCK_NONBLOCK : 0), proto ? proto : ai->ai_protocol);
	if (fd < 0 || src == NULL || (src->addr == NULL && src->port == 0))
		return fd;
	if (ai->ai_family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(src->port);
	else
		((struct sockaddr_in *)&ss)->sin_port = htons(src->port);
	/* A fixed source port is often reused right after a previous run. */
	if (src->port)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/*
	 * The user's -s/-p, not this peer address, failed: no other address
	 * would fare better, and "refused" must not hide "in use".
	 */
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		die_errno(EXIT_FAIL, "bind %s", fmt_addrport(
		    (struct sockaddr *)&ss, where, sizeof(where)));
	return fd;
}

/*
 * socket, options, bind and listen for one address; -1 with errno set.
 * The user's options (so) die if refused: every address would refuse them.
 */
static int
bind_one(const struct sockaddr *sa, socklen_t len, int socktype,
    int backlog, int v6only, const struct sockopts *so)
{
	int fd, one = 1, saved;

	if ((fd = socket(sa->sa_family, socktype | SOCK_CLOEXEC,
	    sockopt_protocol(so, socktype))) < 0)
		return -1;
	xsockopt_apply(so, fd, SOCKOPT_LISTEN);
	if (socktype == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    sizeof(v6only));
	if (bind(fd, sa, len) < 0 ||
	    (socktype == SOCK_STREAM && listen(fd, backlog) < 0)) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* The wildcard address of a family with port, into ss. */
static socklen_t
wildcard(int family, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons(port);
		return sizeof(*sin6);
	}
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_ANY);
	sin->sin_port = htons(port);
	return sizeof(*sin);
}

int
xlisten_on(const char *host, int port, int family, int socktype,
    int backlog)
{
	return xlisten_opts(host, port, family, socktype, backlog, NULL);
}

int
xlisten_opts(const char *host, int port, int family, int socktype,
    int backlog, const struct sockopts *so)
{
	struct sockaddr_storage ss;
	struct addrinfo *res, *ai;
	char where[ADDRPORT_LEN];
	socklen_t len;
	int fd, err;

	if (is_wildcard(host)) {
		/* Dual-stack unless a family was asked for. */
		len = wildcard(family == AF_INET ? AF_INET : AF_INET6, port,
		    &ss);
		fd = bind_one((struct sockaddr *)&ss, len, socktype, backlog,
		    family == AF_INET6, so);
		if (fd < 0 && family == AF_UNSPEC && errno == EAFNOSUPPORT) {
			len = wildcard(AF_INET, port, &ss);
			fd = bind_one((struct sockaddr *)&ss, len, socktype,
			    backlog, 0, so);
		}
		if (fd < 0)
			die_errno(EXIT_FAIL, "bind %s",
			    fmt_addrport((struct sockaddr *)&ss, where,
			    sizeof(where)));
		return fd;
	}
	check_family(host, family);
	if ((err = resolve_host(host, port, family, socktype, &res)) != 0)
		die_msg(EXIT_FAIL, "%s: %s", host, gai_msg(err));
	fd = -1;
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = bind_one(ai->ai_addr, ai->ai_addrlen, socktype, backlog,
		    1, so);
		if (fd < 0 && ai->ai_next == NULL)
			die_errno(EXIT_FAIL, "bind %s", fmt_addrport(
			    ai->ai_addr, where, sizeof(where)));
	}
	freeaddrinfo(res);
	return fd;
}

int
local_addr(int fd, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);

	/* A Unix address is only as long as its name: the rest reads 0. */
	memset(ss, 0, sizeof(*ss));
	return getsockname(fd, (struct sockaddr *)ss, &len);
}

int
peer_addr(int fd, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);

	memset(ss, 0, sizeof(*ss));
	return getpeername(fd, (struct sockaddr *)ss, &len);
}

void
announce_listen(int fd)
{
	struct sockaddr_storage ss;
	char where[ADDRPORT_LEN];

	if (local_addr(fd, &ss) == 0)
		warn_msg("listening on %s", fmt_addrport((struct sockaddr *)&ss,
		    where, sizeof(where)));
}
