/*
 * tcpserve: a TCP server. Relays one connection with stdin/stdout, runs a
 * program per connection (ucspi-tcp's tcpserver model), or echoes on an
 * event loop that holds thousands of clients in one process.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/wait.h>
/* epoll on Linux; poll(2) elsewhere, or with -DSOCKBOX_POLL (to test it). */
#if defined(__linux__) && !defined(SOCKBOX_POLL)
#define USE_EPOLL 1
#include <sys/epoll.h>
#else
#define EPOLLIN POLLIN
#define EPOLLOUT POLLOUT
#define EPOLLERR POLLERR
#define EPOLLHUP POLLHUP
struct epoll_event {
	uint32_t events;
	union {
		void *ptr;
	} data;
};
#endif
#include "../lib/sockbox.h"

const char tcpserve_usage[] =
"usage: tcpserve [-46vq] [-k] [-b BACKLOG] [-c MAXCONN] [-C PERIP]\n"
"                [-a CIDR]... [-d CIDR]... [-u USER[:GROUP]] [-i SECS]\n"
"                [-t SECS] [--echo] HOST PORT [PROG [ARGS...]]\n"
"Accept TCP connections on HOST PORT. Without PROG, relay one connection\n"
"with stdin and stdout. With PROG, run it for every connection with the\n"
"connection on its stdin and stdout and the UCSPI environment (PROTO,\n"
"TCPLOCALIP, TCPLOCALPORT, TCPREMOTEIP, TCPREMOTEPORT). With --echo, send\n"
"every byte back, many clients at once.\n"
"\n"
"  -4, -6           IPv4 or IPv6 only (a wildcard HOST serves both)\n"
"  -v               announce the address; log each connection\n"
"  -q               do not announce the address, even for PORT 0\n"
"  -k               relay: after a connection, accept the next one\n"
"  -b BACKLOG       listen backlog (default 4096)\n"
"  -c MAXCONN       connections at once, more wait in the backlog\n"
"                   (default 40 with PROG, no limit with --echo)\n"
"  -C PERIP         close a client address's connections beyond PERIP\n"
"  -a CIDR          allow these clients (then deny the others)\n"
"  -d CIDR          deny these clients; the most specific -a/-d wins\n"
"  -u USER[:GROUP]  run as USER (and GROUP) after binding\n"
"  -i SECS          close a connection idle for SECS (relay, echo)\n"
"  -t SECS          relay: after the client's end, stop sending once stdin\n"
"                   has been idle for SECS (default 0.5; 0: until its end)\n"
"  --echo           echo service\n";

#define DEFAULT_BACKLOG	4096
#define DEFAULT_PROGS	40
#define BACKOFF_MS	100	/* pause accepting when out of descriptors */
#define ECHO_CAP	(128 * 1024)	/* pending output that stops reading */
#define ECHO_READ	(64 * 1024)

/* Everything the command line decided, and the listening socket. */
struct server {
	int family, verbose, quiet, keep, echo;
	int backlog;
	unsigned maxconn, perip;
	long long idle_ms, linger_ms;
	int linger_set;
	struct acl acl;
	struct privs privs;
	char **prog;
	int lfd;
	int warned;		/* out of descriptors, already said */
	sigset_t waitmask;	/* the mask while waiting: stop signals open */
};

union peer {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

/* ---- connections per client address (-C) ---- */

struct ipcount {
	struct ipcount *next;
	uint8_t key[16];
	unsigned n;
};

#define IP_BUCKETS 1024
static struct ipcount *ip_table[IP_BUCKETS];

/* sa's address as 16 bytes, IPv4 as IPv4-mapped IPv6; its hash bucket. */
static unsigned
ip_key(const struct sockaddr *sa, uint8_t key[16])
{
	unsigned h = 2166136261u, i;

	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr,
		    4);
	} else {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % IP_BUCKETS;
}

/* Count one more connection from sa; -1 if it already holds max. */
static int
ip_take(const struct sockaddr *sa, unsigned max)
{
	uint8_t key[16];
	unsigned b = ip_key(sa, key);
	struct ipcount *c;

	for (c = ip_table[b]; c; c = c->next)
		if (memcmp(c->key, key, 16) == 0)
			break;
	if (c == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return -1;
		memcpy(c->key, key, 16);
		c->next = ip_table[b];
		ip_table[b] = c;
	}
	if (c->n >= max)
		return -1;
	c->n++;
	return 0;
}

/* One connection from sa has ended. */
static void
ip_release(const struct sockaddr *sa)
{
	uint8_t key[16];
	struct ipcount **pp = &ip_table[ip_key(sa, key)], *c;

	for (; (c = *pp) != NULL; pp = &c->next) {
		if (memcmp(c->key, key, 16) != 0)
			continue;
		if (--c->n == 0) {
			*pp = c->next;
			free(c);
		}
		return;
	}
}

/* ---- accepting, shared by the three modes ---- */

/*
 * Accept one connection (flags for accept4), and close it at once if -a/-d
 * or -C turn it away. Returns the descriptor; -2 if it was turned away;
 * -1 with errno set if accept failed.
 */
static int
accept_client(struct server *s, union peer *p, int flags)
{
	char where[ADDRPORT_LEN];
	socklen_t len = sizeof(*p);
	int fd;

	if ((fd = accept4(s->lfd, &p->sa, &len, SOCK_CLOEXEC | flags)) < 0)
		return -1;
	s->warned = 0;
	if (!acl_allows(&s->acl, &p->sa)) {
		if (s->verbose)
			warn_msg("denied %s", fmt_addrport(&p->sa, where,
			    sizeof(where)));
		close(fd);
		return -2;
	}
	if (s->perip && ip_take(&p->sa, s->perip) < 0) {
		if (s->verbose)
			warn_msg("refused %s: too many connections",
			    fmt_addrport(&p->sa, where, sizeof(where)));
		close(fd);
		return -2;
	}
	return fd;
}

/* The end of a connection accept_client let in. */
static void
release_client(struct server *s, const union peer *p)
{
	if (s->perip)
		ip_release(&p->sa);
}

/*
 * A failed accept that is not the end of a batch (EAGAIN). Errors of one
 * connection (accept(2) lists them) mean: take the next. Anything else,
 * above all EMFILE/ENFILE/ENOBUFS, would come back at once: warn once per
 * episode and return 1, to pause accepting instead of spinning.
 */
static int
accept_failed(struct server *s)
{
	switch (errno) {
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case EPERM:
	case ENETDOWN:
	case ENETUNREACH:
	case EHOSTDOWN:
	case EHOSTUNREACH:
	case ENOPROTOOPT:
	case EOPNOTSUPP:
		return 0;
	}
	if (!s->warned)
		warn_errno("warning: accept");
	s->warned = 1;
	return 1;
}

static void
log_conn(const struct server *s, const char *what, const union peer *p)
{
	char where[ADDRPORT_LEN];

	if (s->verbose)
		warn_msg("%s %s", what, fmt_addrport(&p->sa, where,
		    sizeof(where)));
}

/* ---- relay mode ---- */

/* The connection being relayed, for the stop signal handler. */
static volatile sig_atomic_t relay_sock = -1;

/*
 * A stop signal can land while relay() is copying rather than polling, and
 * relay() would then wait on: shutting the socket down wakes it wherever
 * it is (shutdown is async-signal-safe).
 */
static void
on_stop_relay(int sig)
{
	(void)sig;
	server_stop = 1;
	if (relay_sock >= 0)
		shutdown(relay_sock, SHUT_RDWR);
}

/*
 * Relay one connection with stdin and stdout; r carries what stdin still
 * holds to the next client (-k). Returns 0, or -1 after a message.
 */
static int
relay_client(struct server *s, struct relay *r, int fd, const union peer *p)
{
	struct relay_result res;
	char where[ADDRPORT_LEN], why[160];
	int rc;

	rc = server_stop ? 0 : relay_run(r, fd, &res);
	if (rc < 0 && server_stop)
		return 0;		/* SIGTERM/SIGINT: a clean stop */
	if (rc < 0)
		warn_msg("%s%s: %s", s->keep ? "warning: " : "",
		    fmt_addrport(&p->sa, where, sizeof(where)),
		    relay_msg(&res, s->keep, why, sizeof(why)));
	/* Without stdout no later client can be relayed either. */
	if (rc < 0 && res.where == RELAY_STDOUT)
		s->keep = 0;
	return rc;
}

static int
serve_relay(struct server *s)
{
	struct pollfd pfd = { .fd = s->lfd, .events = POLLIN };
	struct timespec pause = { 0, BACKOFF_MS * 1000000L };
	struct relay r;
	sigset_t held;
	union peer p;
	struct sigaction sa = { 0 };
	int fd, rc = 0, backoff = 0;

	sa.sa_handler = on_stop_relay;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	relay_init(&r, STDIN_FILENO, STDOUT_FILENO);
	r.idle_ms = s->idle_ms;
	if (s->linger_set)
		r.linger_ms = s->linger_ms;
	while (!server_stop) {
		if (ppoll(&pfd, !backoff, backoff ? &pause : NULL,
		    &s->waitmask) < 0 && errno != EINTR)
			die_errno(EXIT_FAIL, "poll");
		backoff = 0;
		if (server_stop)
			break;
		if ((fd = accept_client(s, &p, 0)) == -2 ||
		    (fd < 0 && errno == EAGAIN))
			continue;
		if (fd < 0) {
			backoff = accept_failed(s);
			continue;
		}
		if (!s->keep)
			close(s->lfd);	/* one connection: refuse the rest */
		log_conn(s, "connection from", &p);
		/*
		 * Stop signals may interrupt the relay; one that came while
		 * they were blocked is delivered by this sigprocmask.
		 */
		relay_sock = fd;
		sigprocmask(SIG_SETMASK, &s->waitmask, &held);
		rc = relay_client(s, &r, fd, &p);
		close(fd);
		release_client(s, &p);
		log_conn(s, "closed", &p);
		sigprocmask(SIG_SETMASK, &held, NULL);
		relay_sock = -1;
		if (!s->keep)
			break;
	}
	relay_free(&r);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

/* ---- program mode ---- */

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

static int
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

/* ---- echo mode ---- */

/*
 * One client. While nothing is pending this small struct is all it costs;
 * buf exists only while output waits for the client to read.
 */
struct echo_conn {
	int fd;
	uint32_t events;	/* the interest set now (EPOLLIN...) */
	char *buf;		/* pending output buf[off..len), or NULL */
	uint32_t off, len;
	int eof;		/* the client has half-closed */
	long long last;		/* last progress, ms (-i) */
	struct echo_conn *prev, *next;	/* oldest first (-i) */
	union peer peer;
};

/* A poll(2) entry's descriptor and owner (ptr NULL: the listener). */
struct pollent {
	int fd;
	void *ptr;
};

struct echo {
	struct server *s;
	int ep;				/* epoll */
	struct pollfd *pfd;		/* poll: what to wait for */
	struct pollent *pent;		/* poll: whose pfd[i] it is */
	int *slot;			/* poll: index in pfd by fd */
	int npfd, nslot, cap;
	struct echo_conn **byfd;	/* owns every connection */
	int nbyfd;
	unsigned nconn;
	uint32_t lev;			/* listener's interest */
	long long now, resume;		/* resume accepting at (ms) */
	struct echo_conn *oldest, *newest;
	char scratch[ECHO_READ];
};

#ifdef USE_EPOLL
/* Add (add set), change or drop fd's interest in the wait set. */
static int
ev_set(struct echo *e, int fd, uint32_t events, void *ptr, int add)
{
	struct epoll_event ee = { .events = events, .data.ptr = ptr };

	return epoll_ctl(e->ep, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ee);
}

/* Closing the descriptor takes it out of the epoll set. */
static void
ev_drop(struct echo *e, int fd)
{
	(void)e;
	(void)fd;
}

static int
ev_wait(struct echo *e, struct epoll_event *ev, int max, int ms)
{
	return epoll_pwait(e->ep, ev, max, ms, &e->s->waitmask);
}
#else
static int
ev_set(struct echo *e, int fd, uint32_t events, void *ptr, int add)
{
	void *grown;
	int i, n;

	if (add && fd >= e->nslot) {
		for (n = e->nslot ? e->nslot : 1024; n <= fd; n *= 2)
			;
		if ((grown = realloc(e->slot, n * sizeof(*e->slot))) == NULL)
			return -1;
		e->slot = grown;
		for (i = e->nslot; i < n; i++)
			e->slot[i] = -1;
		e->nslot = n;
	}
	if (add && e->npfd == e->cap) {
		n = e->cap ? e->cap * 2 : 1024;
		if ((grown = realloc(e->pfd, n * sizeof(*e->pfd))) == NULL)
			return -1;
		e->pfd = grown;
		if ((grown = realloc(e->pent, n * sizeof(*e->pent))) == NULL)
			return -1;
		e->pent = grown;
		e->cap = n;
	}
	if (add) {
		e->slot[fd] = e->npfd++;
		e->pent[e->slot[fd]] = (struct pollent){ fd, ptr };
	}
	i = e->slot[fd];
	/* No interest at all: poll would still report errors; skip it. */
	e->pfd[i].fd = events ? fd : -1;
	e->pfd[i].events = (short)events;
	e->pfd[i].revents = 0;
	return 0;
}

/* Take fd out of the poll set: the last entry moves into its place. */
static void
ev_drop(struct echo *e, int fd)
{
	int i = e->slot[fd], last = --e->npfd;

	e->pfd[i] = e->pfd[last];
	e->pent[i] = e->pent[last];
	e->slot[e->pent[i].fd] = i;
	e->slot[fd] = -1;
}

/* Up to max ready entries, as epoll_wait reports them. */
static int
ev_wait(struct echo *e, struct epoll_event *ev, int max, int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	int i, n = 0;

	if (ppoll(e->pfd, e->npfd, ms < 0 ? NULL : &ts,
	    &e->s->waitmask) < 0)
		return -1;
	for (i = 0; i < e->npfd && n < max; i++) {
		if (e->pfd[i].revents == 0)
			continue;
		ev[n].events = (uint16_t)e->pfd[i].revents;
		ev[n++].data.ptr = e->pent[i].ptr;
	}
	return n;
}
#endif

static void
idle_unlink(struct echo *e, struct echo_conn *c)
{
	*(c->prev ? &c->prev->next : &e->oldest) = c->next;
	*(c->next ? &c->next->prev : &e->newest) = c->prev;
	c->prev = c->next = NULL;
}

/* Progress on c: it becomes the newest in the idle order. */
static void
touch(struct echo *e, struct echo_conn *c)
{
	if (e->s->idle_ms <= 0)
		return;
	if (e->newest != c) {
		if (c->prev || e->oldest == c)
			idle_unlink(e, c);
		c->prev = e->newest;
		*(e->newest ? &e->newest->next : &e->oldest) = c;
		e->newest = c;
	}
	c->last = e->now;
}

static void
echo_close(struct echo *e, struct echo_conn *c, int err)
{
	char where[ADDRPORT_LEN];

	fmt_addrport(&c->peer.sa, where, sizeof(where));
	if (err && err != ETIMEDOUT)
		warn_msg("warning: %s: %s", where, strerror(err));
	if (e->s->verbose)
		warn_msg("closed %s%s", where, err == ETIMEDOUT ?
		    ": idle timeout" : "");
	if (e->s->idle_ms > 0)
		idle_unlink(e, c);
	e->byfd[c->fd] = NULL;
	ev_drop(e, c->fd);
	close(c->fd);
	release_client(e->s, &c->peer);
	free(c->buf);
	free(c);
	e->nconn--;
}

/* Set the listener's interest (EPOLLIN or 0) if it changed. */
static void
listener_interest(struct echo *e, uint32_t ev)
{
	if (ev != e->lev && ev_set(e, e->s->lfd, ev, NULL, 0) == 0)
		e->lev = ev;
}

/*
 * After a read or write: read while output pending is under the cap and
 * the client has not half-closed, wait to write while any is pending,
 * close when the client half-closed and has everything back.
 */
static void
update_interest(struct echo *e, struct echo_conn *c)
{
	uint32_t want = 0;

	if (c->buf && c->off == c->len) {
		free(c->buf);
		c->buf = NULL;
		c->off = c->len = 0;
	}
	if (c->eof && c->buf == NULL) {
		echo_close(e, c, 0);
		return;
	}
	if (!c->eof && c->len - c->off < ECHO_CAP)
		want |= EPOLLIN;
	if (c->buf)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	if (ev_set(e, c->fd, want, c, 0) < 0) {
		echo_close(e, c, errno);
		return;
	}
	c->events = want;
}

/* Keep data the client could not take yet; -1 if out of memory. */
static int
stash(struct echo_conn *c, const char *data, size_t n)
{
	if (c->buf == NULL && (c->buf = malloc(ECHO_CAP)) == NULL)
		return -1;
	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	memcpy(c->buf + c->len, data, n);
	c->len += n;
	return 0;
}

/* The client sent something (or closed): echo it, at once if possible. */
static void
echo_read(struct echo *e, struct echo_conn *c)
{
	size_t room = c->buf ? ECHO_CAP - (c->len - c->off) : ECHO_READ;
	ssize_t n, w = 0;

	if (room > ECHO_READ)
		room = ECHO_READ;
	n = read(c->fd, e->scratch, room);
	if (n == 0) {
		c->eof = 1;
	} else if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		echo_close(e, c, errno);
		return;
	} else {
		touch(e, c);
		/* Nothing queued: answer now, the usual case. */
		if (c->buf == NULL &&
		    (w = write(c->fd, e->scratch, n)) < 0) {
			if (errno != EAGAIN) {
				echo_close(e, c, errno);
				return;
			}
			w = 0;
		}
		if (w < n && stash(c, e->scratch + w, n - w) < 0) {
			echo_close(e, c, ENOMEM);
			return;
		}
	}
	update_interest(e, c);
}

/* The client can take more of what is pending. */
static void
echo_write(struct echo *e, struct echo_conn *c)
{
	ssize_t w;

	if ((w = write(c->fd, c->buf + c->off, c->len - c->off)) < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		echo_close(e, c, errno);
		return;
	}
	c->off += w;
	touch(e, c);
	update_interest(e, c);
}

/* Register a new client; closes fd on failure. */
static void
echo_add(struct echo *e, int fd, const union peer *p)
{
	struct echo_conn *c, **grown;
	int n;

	if (fd >= e->nbyfd) {
		n = e->nbyfd ? e->nbyfd : 1024;
		while (n <= fd)
			n *= 2;
		if ((grown = realloc(e->byfd, n * sizeof(*grown))) == NULL)
			goto fail;
		memset(grown + e->nbyfd, 0, (n - e->nbyfd) * sizeof(*grown));
		e->byfd = grown;
		e->nbyfd = n;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->fd = fd;
	c->events = EPOLLIN;
	c->peer = *p;
	if (ev_set(e, fd, EPOLLIN, c, 1) < 0) {
		free(c);
		goto fail;
	}
	e->byfd[fd] = c;
	e->nconn++;
	touch(e, c);
	log_conn(e->s, "connection from", p);
	return;
fail:
	warn_errno("warning: connection");
	release_client(e->s, p);
	close(fd);
}

/* Accept every waiting client, or stop listening while full or starved. */
static void
echo_accept(struct echo *e)
{
	struct server *s = e->s;
	union peer p;
	int fd;

	while (!s->maxconn || e->nconn < s->maxconn) {
		if ((fd = accept_client(s, &p, SOCK_NONBLOCK)) == -2)
			continue;
		if (fd >= 0) {
			echo_add(e, fd, &p);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (accept_failed(s)) {
			e->resume = e->now + BACKOFF_MS;
			listener_interest(e, 0);
			return;
		}
	}
	listener_interest(e, 0);
}

/* Milliseconds epoll may sleep: until the next idle expiry or resume. */
static int
echo_timeout(struct echo *e)
{
	long long until = -1, t;

	if (e->resume)
		until = e->resume;
	if (e->oldest) {
		t = e->oldest->last + e->s->idle_ms;
		if (until < 0 || t < until)
			until = t;
	}
	if (until < 0)
		return -1;
	return until <= e->now ? 0 : (int)(until - e->now);
}

/* Close idle clients; listen again when the pause or a full house ends. */
static void
echo_timers(struct echo *e)
{
	struct server *s = e->s;

	while (e->oldest && e->oldest->last + s->idle_ms <= e->now)
		echo_close(e, e->oldest, ETIMEDOUT);
	if (e->resume && e->resume <= e->now)
		e->resume = 0;
	if (!e->resume && e->lev == 0 && (!s->maxconn ||
	    e->nconn < s->maxconn))
		listener_interest(e, EPOLLIN);
}

static int
serve_echo(struct server *s)
{
	struct epoll_event ev[256];
	struct echo *e;
	struct echo_conn *c;
	uint32_t got;
	int i, n;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		die_errno(EXIT_FAIL, "memory");
	e->s = s;
#ifdef USE_EPOLL
	if ((e->ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die_errno(EXIT_FAIL, "epoll");
#endif
	if (ev_set(e, s->lfd, EPOLLIN, NULL, 1) < 0)
		die_errno(EXIT_FAIL, "event set");
	e->lev = EPOLLIN;
	e->now = now_ms();
	while (!server_stop) {
		n = ev_wait(e, ev, 256, echo_timeout(e));
		if (n < 0 && errno != EINTR)
			die_errno(EXIT_FAIL, "wait");
		e->now = now_ms();
		for (i = 0; i < n; i++) {
			got = ev[i].events;
			if ((c = ev[i].data.ptr) == NULL)
				echo_accept(e);
			else if (got & (EPOLLIN | EPOLLHUP | EPOLLERR) &&
			    c->events & EPOLLIN)
				echo_read(e, c);
			else if (got & (EPOLLOUT | EPOLLHUP | EPOLLERR))
				echo_write(e, c);
		}
		echo_timers(e);
	}
	for (i = 0; i < e->nbyfd; i++)
		if (e->byfd[i])
			echo_close(e, e->byfd[i], 0);
	free(e->byfd);
#ifdef USE_EPOLL
	close(e->ep);
#endif
	free(e->pfd);
	free(e->pent);
	free(e->slot);
	free(e);
	return EXIT_OK;
}

/* ---- command line ---- */

static void
parse_options(int argc, char **argv, struct server *s)
{
	static const struct option longopts[] = {
		{ "echo", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, maxconn_set = 0;

	while ((ch = next_opt(argc, argv, "46vqkb:c:C:a:d:u:i:t:", longopts,
	    tcpserve_usage)) != -1) {
		switch (ch) {
		case '4':
		case '6':
			xset_family(&s->family, ch);
			break;
		case 'v': s->verbose = 1; break;
		case 'q': s->quiet = 1; break;
		case 'k': s->keep = 1; break;
		case 'E': s->echo = 1; break;
		case 'b':
			s->backlog = (int)parse_uint(optarg, 1, 1000000,
			    "backlog");
			break;
		case 'c':
			s->maxconn = (unsigned)parse_uint(optarg, 1, 1000000,
			    "connection limit");
			maxconn_set = 1;
			break;
		case 'C':
			s->perip = (unsigned)parse_uint(optarg, 1, 1000000,
			    "per-address limit");
			break;
		case 'a':
		case 'd':
			if (acl_add(&s->acl, optarg, ch == 'a') < 0)
				die_usage("invalid CIDR '%s'", optarg);
			break;
		case 'u':
			parse_privs(optarg, &s->privs);
			break;
		case 'i':
			s->idle_ms = parse_duration(optarg);
			break;
		case 't':
			s->linger_ms = parse_duration(optarg);
			s->linger_set = 1;
			break;
		}
	}
	need_operands(argc, argv, 2, -1);
	if (argc - optind > 2)
		s->prog = argv + optind + 2;
	if (s->echo && s->prog)
		die_usage("--echo and PROG exclude each other");
	if (s->prog && s->idle_ms > 0)
		die_usage("-i is for relay and echo modes, not PROG");
	if (s->linger_set && (s->prog || s->echo))
		die_usage("-t is for relay mode only");
	if (!maxconn_set)
		s->maxconn = s->prog ? DEFAULT_PROGS : 0;
}

int
tcpserve_main(int argc, char **argv)
{
	struct server s = { .family = AF_UNSPEC, .backlog = DEFAULT_BACKLOG };
	sigset_t stops;
	char *host;
	int port, rc;

	parse_options(argc, argv, &s);
	if ((host = unbracket(argv[optind])) == NULL)
		die_usage("invalid host '%s'", argv[optind]);
	port = parse_port(argv[optind + 1], "tcp");
	check_family(host, s.family);

	server_setup();
	/* Stop signals are only taken while waiting, never mid-step. */
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGCHLD);
	sigprocmask(SIG_BLOCK, &stops, &s.waitmask);
	s.lfd = xlisten_on(host, port, s.family, SOCK_STREAM, s.backlog);
	/* Readiness comes from poll; a vanished client must not block us. */
	fcntl(s.lfd, F_SETFL, O_NONBLOCK);
	if (!s.quiet && (port == 0 || s.verbose))
		announce_listen(s.lfd);
	xdrop_privs(&s.privs);

	if (s.echo)
		rc = serve_echo(&s);
	else if (s.prog)
		rc = serve_programs(&s);
	else
		rc = serve_relay(&s);
	free(s.acl.rules);
	return rc;
}
