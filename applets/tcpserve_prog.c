/*
 * tcpserve_prog.c: tcpserve's program mode: a program per connection,
 * the socket on its stdin and stdout (ucspi-tcp's tcpserver model).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "tcpserve.h"

/* A running program and the client it serves. */
struct child {
	pid_t pid;
	union peer peer;
};

static volatile sig_atomic_t child_exited;

static void
on_child(int sig)
{
	(void)sig;
	child_exited = 1;
}

/* Reap every finished program; returns how many. */
static unsigned
reap_children(struct server *s, struct child *kids, unsigned *running)
{
	char where[ADDRPORT_LEN], how[32];
	unsigned i, n = 0;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < *running && kids[i].pid != pid; i++)
			;
		if (i == *running)
			continue;	/* not one of ours */
		if (WIFSIGNALED(st))
			snprintf(how, sizeof(how), "signal %d", WTERMSIG(st));
		else
			snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(st));
		if (s->verbose)
			warn_msg("closed %s pid %ld %s", fmt_addrport(
			    &kids[i].peer.sa, where, sizeof(where)),
			    (long)pid, how);
		release_client(s, &kids[i].peer);
		kids[i] = kids[--*running];
		n++;
	}
	return n;
}

/* Run the program on connection fd; 0, or -1 after a warning. */
static int
start_child(struct server *s, int fd, const union peer *p, struct child *kid)
{
	char where[ADDRPORT_LEN];
	struct sockaddr_storage local;
	pid_t pid;

	if (local_addr(fd, &local) < 0) {
		warn_errno("warning: %s", fmt_addrport(&p->sa, where,
		    sizeof(where)));
		return -1;
	}
	pid = spawn_prog(s->prog, fd, fd, "TCP", (struct sockaddr *)&local,
	    &p->sa);
	if (pid < 0) {
		warn_errno("warning: %s", s->prog[0]);
		return -1;
	}
	kid->pid = pid;
	kid->peer = *p;
	if (s->verbose)
		warn_msg("connection from %s pid %ld", fmt_addrport(&p->sa,
		    where, sizeof(where)), (long)pid);
	return 0;
}

/*
 * Accept while there are free slots; the programs get the sockets.
 * Returns 1 if it must back off (out of descriptors), else 0.
 */
static int
accept_programs(struct server *s, struct child *kids, unsigned *running)
{
	union peer p;
	int fd;

	while (*running < s->maxconn) {
		if ((fd = accept_client(s, &p, 0)) == -2)
			continue;
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (accept_failed(s))
				return 1;
			continue;
		}
		if (start_child(s, fd, &p, &kids[*running]) == 0)
			++*running;
		else
			release_client(s, &p);
		close(fd);
	}
	return 0;
}

int
serve_programs(struct server *s)
{
	struct pollfd pfd = { .fd = s->lfd, .events = POLLIN };
	struct timespec pause = { 0, BACKOFF_MS * 1000000L };
	struct sigaction sa = { 0 };
	struct child *kids;
	unsigned running = 0;
	int backoff = 0, n;

	if ((kids = calloc(s->maxconn, sizeof(*kids))) == NULL)
		die_errno(EXIT_FAIL, "memory");
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	while (!server_stop) {
		/* Full or backing off: wait for a child or the pause only. */
		n = ppoll(&pfd, running < s->maxconn && !backoff,
		    backoff ? &pause : NULL, &s->waitmask);
		if (n < 0 && errno != EINTR)
			die_errno(EXIT_FAIL, "poll");
		backoff = 0;
		if (child_exited) {
			child_exited = 0;
			reap_children(s, kids, &running);
		}
		if (!server_stop && running < s->maxconn)
			backoff = accept_programs(s, kids, &running);
	}
	/* The running programs keep their connections. */
	free(kids);
	return EXIT_OK;
}
