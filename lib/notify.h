/*
 * notify.h: telling a supervisor that a server is ready: -1 (the port on
 * stdout), --ready-fd N (s6) and NOTIFY_SOCKET (systemd's Type=notify).
 */
#ifndef SOCKBOX_NOTIFY_H
#define SOCKBOX_NOTIFY_H

#include "sockbox.h"

/* The readiness a server was asked for: { .fd = -1 }, then ready_init. */
struct ready {
	int print_port;		/* -1: the local port and "\n" on stdout */
	int fd;			/* --ready-fd: write "\n" and close; -1: none */
	int notify;		/* NOTIFY_SOCKET's socket, connected; or -1 */
};

/* ---- lib/notify.c ---- */

/* --ready-fd N's argument: an open descriptor, made close-on-exec; exit 2. */
int xparse_ready_fd(const char *s);
/*
 * Take NOTIFY_SOCKET out of the environment (no program we start sees
 * it) and connect a datagram socket to it: "/path" or "@abstract". A bad
 * or unreachable address is a warning; the server runs on without it.
 * Before dropping privileges: the socket may be root's.
 */
void ready_init(struct ready *r);
/*
 * The server listens on lfd: print its port (-1, flushed), write and
 * close --ready-fd, send READY=1. A failure is a warning.
 */
void ready_announce(struct ready *r, int lfd);
/* The server is stopping: STOPPING=1, and the socket closed. */
void ready_stopping(struct ready *r);
/*
 * Send one message ("READY=1") as a datagram to the address of
 * NOTIFY_SOCKET's syntax: 0, or -1 with errno set (EINVAL: bad address).
 */
int notify_send(const char *addr, const char *msg);

#endif
