/*
 * listenfd.c: taking over a listening socket someone else opened: systemd's
 * socket activation protocol (sd_listen_fds(3), without libsystemd) and a
 * plain descriptor (s6-tcpserverd, inetd's wait mode).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "listenfd.h"

/* The first descriptor systemd passes (SD_LISTEN_FDS_START). */
#define LISTEN_FDS_START 3
/* Far more sockets than one unit passes; past this the value is junk. */
#define LISTEN_FDS_MAX 4096

void
xset_listen_src(struct listen_src *src, int kind, const char *arg)
{
	if (src->kind != LSRC_BIND && src->kind != kind)
		die_usage("--systemd and --fd exclude each other");
	src->kind = kind;
	if (kind == LSRC_FD)
		src->fd = (int)parse_uint(arg, 0, INT_MAX, "descriptor");
	else if (arg != NULL && *arg == '\0')
		die_usage("--systemd=NAME: empty name");
	else
		src->name = arg;
}

int
listen_family_ok(int family)
{
	return family == AF_INET || family == AF_INET6 || family == AF_UNIX;
}

/* A decimal in [1, max] (no sign, no junk): the value, or -1. */
static long
env_count(const char *s, long max)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return *end || errno || v < 1 || v > max ? -1 : v;
}

/* Index of name in the colon-separated list names, or -1. */
static int
name_index(const char *names, const char *name)
{
	size_t len = strlen(name);
	const char *p;
	int i;

	for (p = names, i = 0;; i++) {
		if (strncmp(p, name, len) == 0 && (p[len] == ':' ||
		    p[len] == '\0'))
			return i;
		if ((p = strchr(p, ':')) == NULL)
			return -1;
		p++;
	}
}

int
systemd_fd(const char *name, char *err, size_t errlen)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	long n, i;

	if (pid == NULL || fds == NULL) {
		snprintf(err, errlen, "--systemd: LISTEN_PID and LISTEN_FDS "
		    "are not set: not started by socket activation");
		return -1;
	}
	if (env_count(pid, LONG_MAX) != (long)getpid()) {
		snprintf(err, errlen, "--systemd: LISTEN_PID is '%s', not "
		    "our pid %ld: the sockets are another process's", pid,
		    (long)getpid());
		return -1;
	}
	if ((n = env_count(fds, LISTEN_FDS_MAX)) < 0) {
		snprintf(err, errlen, "--systemd: invalid LISTEN_FDS '%s'",
		    fds);
		return -1;
	}
	/* Programs we start must not inherit the sockets we do not serve. */
	for (i = 0; i < n; i++)
		fcntl(LISTEN_FDS_START + (int)i, F_SETFD, FD_CLOEXEC);
	if (name == NULL && n > 1) {
		snprintf(err, errlen, "--systemd: LISTEN_FDS is %ld: name "
		    "the socket with --systemd=NAME", n);
		return -1;
	}
	if (name == NULL)
		return LISTEN_FDS_START;
	if (names == NULL || (i = name_index(names, name)) < 0 || i >= n) {
		snprintf(err, errlen, "--systemd: no socket named '%s' in "
		    "LISTEN_FDNAMES%s", name, names ? "" : " (not set)");
		return -1;
	}
	return LISTEN_FDS_START + (int)i;
}

int
check_listen_fd(int fd, int socktype, char *err, size_t errlen)
{
	int type, family, listening;
	socklen_t len = sizeof(int);
	const char *want = socktype == SOCK_STREAM ? "a listening stream" :
	    "a datagram";

	if (fcntl(fd, F_GETFD) < 0) {
		snprintf(err, errlen, "descriptor %d is not open", fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
		snprintf(err, errlen, "descriptor %d is not a socket%s", fd,
		    errno == ENOTSOCK ? "" : ": getsockopt failed");
		return -1;
	}
	len = sizeof(int);
	if (type != socktype) {
		snprintf(err, errlen, "descriptor %d is a %s socket, not %s "
		    "socket", fd, type == SOCK_STREAM ? "stream" :
		    type == SOCK_DGRAM ? "datagram" : "non-stream", want);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) < 0 ||
	    !listen_family_ok(family)) {
		snprintf(err, errlen, "descriptor %d is not an IPv4, IPv6 or "
		    "Unix-domain socket", fd);
		return -1;
	}
	len = sizeof(int);
	if (socktype == SOCK_STREAM && (getsockopt(fd, SOL_SOCKET,
	    SO_ACCEPTCONN, &listening, &len) < 0 || !listening)) {
		snprintf(err, errlen, "descriptor %d is a stream socket that "
		    "is not listening", fd);
		return -1;
	}
	return 0;
}

int
xinherited_socket(const struct listen_src *src, int socktype)
{
	char err[200];
	int fd = src->fd;

	if (src->kind == LSRC_SYSTEMD && (fd = systemd_fd(src->name, err,
	    sizeof(err))) < 0)
		die_usage("%s", err);
	if (check_listen_fd(fd, socktype, err, sizeof(err)) < 0)
		die_usage("%s: %s", src->kind == LSRC_FD ? "--fd" :
		    "--systemd", err);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

void
clear_listen_env(void)
{
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}
