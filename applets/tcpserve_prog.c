/*
 * tcpserve_prog.c: tcpserve's program mode: a program per connection,
 * the socket on its stdin and stdout (ucspi-tcp's tcpserver model), each
 * within -T's time limit (lib/children.c).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "tcpserve.h"

/*
 * With a dump, a helper of ours holds the connection and relays it for the
 * program (lib/dump_prog.c): the dump is of the connection. The helper
 * exits as the program did, so that the log and -T see it in its place.
 */
static pid_t
fork_dump_relay(struct server *s, int fd, const union peer *p)
{
	struct dump_conn dc;
	sigset_t none;
	pid_t pid;
	int st;

	if ((pid = fork()) != 0)
		return pid;
	close(s->lfd);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	st = dump_prog(s->prog, fd, "TCP", dump_conn_init(&dc, &s->dump,
	    &p->sa));
	if (st < 0) {
		warn_errno("warning: %s", s->prog[0]);
		_exit(errno == ENOENT ? 127 : 126);
	}
	if (WIFSIGNALED(st)) {
		signal(WTERMSIG(st), SIG_DFL);
		raise(WTERMSIG(st));
		_exit(128 + WTERMSIG(st));
	}
	_exit(WEXITSTATUS(st));
}

/* Run the program on connection fd; 0, or -1 after a warning. */
static int
start_child(struct server *s, struct children *kids, int fd,
    const union peer *p)
{
	char where[ADDRPORT_LEN];
	struct sockaddr_storage local;
	pid_t pid;

	if (local_addr(fd, &local) < 0) {
		warn_errno("warning: %s", fmt_addrport(&p->sa, where,
		    sizeof(where)));
		return -1;
	}
	if (s->dump.on)
		pid = fork_dump_relay(s, fd, p);
	else
		pid = spawn_prog(s->prog, fd, fd, "TCP",
		    (struct sockaddr *)&local, &p->sa);
	if (pid < 0) {
		warn_errno("warning: %s", s->prog[0]);
		return -1;
	}
	children_add(kids, pid, &p->sa, sizeof(*p));
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
