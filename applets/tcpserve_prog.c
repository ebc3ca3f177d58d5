/*
 * tcpserve_prog.c: tcpserve's program mode: a program per connection,
 * the socket on its stdin and stdout (ucspi-tcp's tcpserver model), each
 * within -T's time limit (lib/children.c).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "tcpserve.h"

/* Run the program on connection fd; 0, or -1 after a warning. */
static int
start_child(struct server *s, struct children *kids, int fd,
    const union peer *p)
{
	char where[ADDRPORT_LEN];
	struct sockaddr_storage local;
	struct running *k;
	pid_t pid;

	fmt_peer(p, where, sizeof(where));
	if (local_addr(fd, &local) < 0) {
		warn_errno("warning: %s", where);
		return -1;
	}
	if (p->sa.sa_family == AF_UNIX)
		pid = spawn_unix(s->prog, fd, fd, (struct sockaddr_un *)&local,
		    p->un.cred.pid > 0 ? &p->un.cred : NULL, NULL);
	else
		pid = spawn_prog(s->prog, fd, fd, "TCP",
		    (struct sockaddr *)&local, &p->sa);
	if (pid < 0) {
		warn_errno("warning: %s", s->prog[0]);
		return -1;
	}
	k = children_add(kids, pid, &p->sa, sizeof(*p));
	snprintf(k->label, sizeof(k->label), "%s", where);
	if (s->verbose)
		warn_msg("connection from %s pid %ld", where, (long)pid);
	return 0;
}

/*
 * Accept while there are free slots; the programs get the sockets.
 * Returns 1 if it must back off (out of descriptors), else 0.
 */
static int
accept_programs(struct server *s, struct children *kids)
{
	union peer p;
	int fd;

	while (kids->n < kids->max) {
		if ((fd = accept_client(s, &p, 0)) == -2)
			continue;
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (accept_failed(s))
				return 1;
			continue;
		}
		if (start_child(s, kids, fd, &p) < 0)
			release_client(s, &p.sa);
		close(fd);
	}
	return 0;
}

/* A program has ended: its client's -C count goes. */
static void
child_done(struct running *k, void *arg)
{
	release_client(arg, (struct sockaddr *)&k->peer);
}

/* ppoll's timeout: the back-off pause or the next -T deadline. */
static struct timespec *
wait_time(struct timespec *ts, int backoff, long long next)
{
	if (backoff && (next < 0 || next > BACKOFF_MS))
		next = BACKOFF_MS;
	if (next < 0)
		return NULL;
	ts->tv_sec = next / 1000;
	ts->tv_nsec = (next % 1000) * 1000000L;
	return ts;
}

int
serve_programs(struct server *s)
{
	struct pollfd pfd = { .fd = s->lfd, .events = POLLIN };
	struct children kids;
	struct timespec ts;
	long long next = -1;
	int backoff = 0, n;

	if (children_init(&kids, s->maxconn, s->limit_ms, s->verbose) < 0)
		die_errno(EXIT_FAIL, "memory");
	children_catch();
	while (!server_stop) {
		/* Full or backing off: wait for a child or a timer only. */
		n = ppoll(&pfd, kids.n < kids.max && !backoff,
		    wait_time(&ts, backoff, next), &s->waitmask);
		if (n < 0 && errno != EINTR)
			die_errno(EXIT_FAIL, "poll");
		backoff = 0;
		children_reap(&kids, child_done, s);
		if (!server_stop && kids.n < kids.max)
			backoff = accept_programs(s, &kids);
		next = children_expire(&kids, now_ms());
	}
	/* The running programs keep their connections. */
	children_free(&kids);
	return EXIT_OK;
}
