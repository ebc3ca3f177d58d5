/*
 * bench.h: helpers shared by the benchmark's load generators and limit
 * references (the C files in tests/bench). Loopback addresses only, numeric.
 */
#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

/* Print "NAME: MESSAGE" (": strerror" if errno is set) and exit 1. */
static inline void __attribute__((noreturn, format(printf, 2, 3)))
bench_die(const char *name, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	fprintf(stderr, "%s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (e)
		fprintf(stderr, ": %s", strerror(e));
	fputc('\n', stderr);
	exit(1);
}

/* Seconds on the monotonic clock. */
static inline double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seconds since the epoch, comparable with bash's $EPOCHREALTIME. */
static inline double
now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A numeric HOST and PORT as a socket address; 0 on success. */
static inline int
get_addr(const char *host, const char *port, int type,
    struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints, *ai;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = type;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* The port of a bound socket. */
static inline int
local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/*
 * A socket of type bound to HOST:PORT (listening if a stream), announced
 * as "NAME: listening on HOST:PORT" on stderr like sockbox's servers.
 */
static inline int
bind_announce(const char *name, const char *host, const char *port, int type)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, on = 1;

	if (get_addr(host, port, type, &ss, &len) == -1) {
		errno = 0;
		bench_die(name, "bad address %s port %s", host, port);
	}
	if ((fd = socket(ss.ss_family, type, 0)) == -1)
		bench_die(name, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (bind(fd, (struct sockaddr *)&ss, len) == -1)
		bench_die(name, "bind %s port %s", host, port);
	if (type == SOCK_STREAM && listen(fd, 4096) == -1)
		bench_die(name, "listen");
	fprintf(stderr, strchr(host, ':') ? "%s: listening on [%s]:%d\n" :
	    "%s: listening on %s:%d\n", name, host, local_port(fd));
	return fd;
}

/* A socket of type connected to HOST:PORT, or -1; connect bounded by SO_SNDTIMEO. */
static inline int
connect_to(const char *host, const char *port, int type)
{
	struct sockaddr_storage ss;
	struct timeval tv = { 5, 0 };
	socklen_t len;
	int fd;

	if (get_addr(host, port, type, &ss, &len) == -1)
		return -1;
	if ((fd = socket(ss.ss_family, type, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&ss, len) == -1) {
		close(fd);
		return -1;
	}
	tv.tv_sec = 0;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	return fd;
}

static inline void
set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Raise the soft descriptor limit to the hard one. */
static inline void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* A decimal count in [1, max] or exit 2. */
static inline long
get_count(const char *name, const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max) {
		fprintf(stderr, "%s: invalid number '%s'\n", name, s);
		exit(2);
	}
	return v;
}

#endif
