/*
 * tcpserve_prog.c: tcpserve's program mode: a program per connection,
 * the socket on its stdin and stdout (ucspi-tcp's tcpserver model), each
 * within -T's time limit (lib/children.c). With --proxy-protocol, clients
 * wait in a queue here until their header is in (tcpserve_pp.c): no
 * program starts, and nothing is counted, before it is.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "tcpserve_pp.h"

/* What a dump's helper needs to start the program as we would have. */
struct dumped {
	const struct server *s;
	unsigned running;
	const struct sockaddr *local;
	const union peer *p;
};

static pid_t
spawn_dumped(void *arg, int fd)
{
	struct dumped *d = arg;

	return spawn_ucspi(d->s, d->running, fd, d->local, d->p);
}

/*
 * With a dump, a helper of ours holds the connection and relays it for the
 * program (lib/dump_prog.c): the dump is of the connection. The helper
 * exits as the program did, so that the log and -T see it in its place.
 */
static pid_t
fork_dump_relay(struct server *s, unsigned running, int fd,
    const union peer *p, const struct sockaddr *local)
{
	struct dumped d = { s, running, local, p };
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
	st = dump_prog_with(fd, dump_conn_init(&dc, &s->dump, &p->sa),
	    spawn_dumped, &d);
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

/*
 * Run the program on connection fd, our address local (NULL: the
 * socket's); 0, or -1 after a warning.
 */
static int
start_child(struct server *s, struct children *kids, int fd,
    const union peer *p, const struct sockaddr_storage *given)
{
	char where[ADDRPORT_LEN];
	struct sockaddr_storage local;
	struct running *k;
	pid_t pid;

	fmt_peer(p, where, sizeof(where));
	if (given)
		local = *given;
	else if (local_addr(fd, &local) < 0) {
		warn_errno("warning: %s", where);
		return -1;
	}
	/* -U: ucspi-unix's environment (no dump, -B or -E there: exit 2). */
	if (p->sa.sa_family == AF_UNIX)
		pid = spawn_unix(s->prog, fd, fd, (struct sockaddr_un *)&local,
		    p->un.cred.pid > 0 ? &p->un.cred : NULL, NULL);
	else if (s->dump.on)
		pid = fork_dump_relay(s, kids->n, fd, p,
		    (struct sockaddr *)&local);
	else
		pid = spawn_ucspi(s, kids->n, fd, (struct sockaddr *)&local, p);
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

/* A client's header is in and it was let in: its program. */
static void
header_ready(struct server *s, void *kids, int fd, const union peer *p,
    const struct sockaddr_storage *local)
{
	if (start_child(s, kids, fd, p, local) < 0)
		release_client(s, &p->sa);
}

/*
 * Accept while there are free slots (those waiting in q for their header
 * hold one each); the programs get the sockets. Returns 1 if it must back
 * off (out of descriptors), else 0.
 */
static int
accept_programs(struct server *s, struct children *kids, struct pp_queue *q)
{
	union peer p;
	int fd;

	while (kids->n + q->n < kids->max) {
		if ((fd = accept_client(s, &p, 0)) == -2)
			continue;
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (accept_failed(s))
				return 1;
			continue;
		}
		if (s->proxy_proto) {
			if (ppq_add(q, fd, &p, now_ms() + header_wait(s)) < 0) {
				warn_errno("warning: connection");
				close(fd);
			}
			continue;
		}
		if (start_child(s, kids, fd, &p, NULL) < 0)
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

/* The earlier of two waits in ms, -1 being none. */
static long long
sooner(long long a, long long b)
{
	return a < 0 || (b >= 0 && b < a) ? b : a;
}

int
serve_programs(struct server *s)
{
	struct pollfd one, *pfd = &one;
	struct pp_queue q = { 0 };
	struct children kids;
	struct timespec ts;
	long long next = -1;
	int backoff = 0, n;

	if (children_init(&kids, s->maxconn, s->limit_ms, s->verbose) < 0)
		die_errno(EXIT_FAIL, "memory");
	children_catch();
	while (!server_stop) {
		if (q.n > 0) {
			next = sooner(next, ppq_poll(&q, now_ms()));
			pfd = q.pfd;
		} else {
			pfd = &one;
		}
		/* Full or backing off: wait for a child or a timer only. */
		pfd[0].fd = kids.n + q.n < kids.max && !backoff ? s->lfd : -1;
		pfd[0].events = POLLIN;
		n = ppoll(pfd, 1 + q.n, wait_time(&ts, backoff, next),
		    &s->waitmask);
		if (n < 0 && errno != EINTR)
			die_errno(EXIT_FAIL, "poll");
		backoff = 0;
		children_reap(&kids, child_done, s);
		if (q.n > 0)
			ppq_step(s, &q, now_ms(), header_ready, &kids);
		if (!server_stop && kids.n + q.n < kids.max)
			backoff = accept_programs(s, &kids, &q);
		next = children_expire(&kids, now_ms());
	}
	/* The running programs keep their connections; the waiting go. */
	ppq_free(&q);
	children_free(&kids);
	return EXIT_OK;
}
