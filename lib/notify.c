/*
 * notify.c: readiness for supervisors: ucspi-tcp's and s6's -1, s6's
 * notification descriptor and systemd's notify socket (sd_notify(3)'s
 * datagram protocol, written directly: no libsystemd).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/un.h>
#include "notify.h"

int
xparse_ready_fd(const char *s)
{
	int fd = (int)parse_uint(s, 0, INT_MAX, "descriptor");

	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		die_usage("--ready-fd: descriptor %d is not open", fd);
	return fd;
}

/* A datagram socket connected to addr ("/path", "@abstract"), or -1. */
static int
notify_connect(const char *addr)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(addr);
	int fd, saved;

	if ((addr[0] != '/' && addr[0] != '@') || len < 2) {
		errno = EINVAL;
		return -1;
	}
	if (len > sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, addr, len);
	if (addr[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract: no NUL at the end */
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, (socklen_t)(offsetof(
	    struct sockaddr_un, sun_path) + len)) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
notify_send(const char *addr, const char *msg)
{
	int fd, rc;

	if ((fd = notify_connect(addr)) < 0)
		return -1;
	rc = send(fd, msg, strlen(msg), MSG_NOSIGNAL) < 0 ? -1 : 0;
	close(fd);
	return rc;
}

void
ready_init(struct ready *r)
{
	const char *addr = getenv("NOTIFY_SOCKET");

	r->notify = -1;
	if (addr == NULL)
		return;
	if ((r->notify = notify_connect(addr)) < 0)
		warn_errno("warning: NOTIFY_SOCKET '%s'", addr);
	unsetenv("NOTIFY_SOCKET");
}

/* One message on the notify socket, if there is one. */
static void
notify(struct ready *r, const char *msg)
{
	if (r->notify >= 0 && send(r->notify, msg, strlen(msg),
	    MSG_NOSIGNAL) < 0)
		warn_errno("warning: NOTIFY_SOCKET: %s", msg);
}

/* -1: the port of an IP socket, the path of a Unix one. */
static void
print_local(int lfd)
{
	struct sockaddr_storage ss;
	struct sockaddr_un *sun = (struct sockaddr_un *)&ss;

	if (local_addr(lfd, &ss) < 0)
		die_errno(EXIT_FAIL, "getsockname");
	if (ss.ss_family == AF_UNIX)
		printf("%s%.*s\n", sun->sun_path[0] ? "" : "@",
		    (int)sizeof(sun->sun_path) - 1, sun->sun_path +
		    !sun->sun_path[0]);
	else
		printf("%d\n", addr_port((struct sockaddr *)&ss));
	xflush_stdout();
}

void
ready_announce(struct ready *r, int lfd)
{
	if (r->print_port)
		print_local(lfd);
	if (r->fd >= 0) {
		if (write(r->fd, "\n", 1) < 0)
			warn_errno("warning: --ready-fd %d", r->fd);
		close(r->fd);
		/* A stdio slot must not be left for a socket to land in. */
		if (r->fd <= 2)
			open_stdfds();
		r->fd = -1;
	}
	notify(r, "READY=1");
}

void
ready_stopping(struct ready *r)
{
	notify(r, "STOPPING=1");
	if (r->notify >= 0)
		close(r->notify);
	r->notify = -1;
}
