/*
 * server.c: process setup shared by the servers: sane standard descriptors,
 * signals, the descriptor limit, and dropping privileges after bind.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include "sockbox.h"

volatile int server_stop;

static void
on_stop(int sig)
{
	(void)sig;
	server_stop = 1;
}

void
open_stdfds(void)
{
	/* Reading a closed stdin or writing a closed stdout must fail. */
	static const int mode[3] = { O_WRONLY, O_RDONLY, O_WRONLY };
	int fd;

	/*
	 * A closed 0-2 would let a socket land there and be mistaken for
	 * it. /dev/null takes its place, opened the wrong way round, so that
	 * using it still fails with EBADF and is reported, as it would have
	 * been: a closed stdout must not swallow data.
	 */
	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", mode[fd]) != fd)
			_exit(EXIT_FAIL);
}

void
catch_stops(void (*handler)(int))
{
	struct sigaction sa = { 0 };

	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	/*
	 * Ignored at start: we are a script's background job, and a Ctrl-C
	 * meant for the script must not stop us (SIGTERM still does).
	 */
	if (!ignored_at_start(SIGINT))
		sigaction(SIGINT, &sa, NULL);
}

void
server_setup(void)
{
	struct sigaction sa = { 0 };
	struct rlimit rl;

	open_stdfds();
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	catch_stops(on_stop);
	/* Programs get the limit we started with back (lib/spawn.c). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

unsigned
fd_conn_cap(unsigned fds_per_conn)
{
	struct rlimit rl;
	rlim_t n, reserve;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		rl.rlim_cur = 1 << 20;
	n = rl.rlim_cur;
	/* stdio, the listener, the loop, a log, a lookup: never below 8. */
	reserve = n / 16 < 8 ? 8 : n / 16 > 256 ? 256 : n / 16;
	n = n > reserve + fds_per_conn ? (n - reserve) / fds_per_conn : 1;
	return n > 1000000 ? 1000000 : (unsigned)n;
}

/* A name or a decimal id; -1 if it is neither. */
static long
lookup_id(const char *s, int group)
{
	struct passwd *pw;
	struct group *gr;
	char *end;
	long v;

	if (*s >= '0' && *s <= '9') {
		errno = 0;
		v = strtol(s, &end, 10);
		return (*end || errno || v < 0 || v > 0x7fffffff) ? -1 : v;
	}
	if (group)
		return (gr = getgrnam(s)) ? (long)gr->gr_gid : -1;
	return (pw = getpwnam(s)) ? (long)pw->pw_uid : -1;
}

int
scan_privs(const char *spec, struct privs *p, char *err, size_t errlen)
{
	char user[256];
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	struct passwd *pw;
	long id;

	if (n == 0 || n >= sizeof(user)) {
		snprintf(err, errlen, "invalid user '%s'", spec);
		return -1;
	}
	memcpy(user, spec, n);
	user[n] = '\0';
	if ((id = lookup_id(user, 0)) < 0) {
		snprintf(err, errlen, "unknown user '%s'", user);
		return -1;
	}
	p->user = spec;
	p->uid = (uid_t)id;
	pw = getpwuid(p->uid);
	if (colon) {
		if ((id = lookup_id(colon + 1, 1)) < 0) {
			snprintf(err, errlen, "unknown group '%s'", colon + 1);
			return -1;
		}
		p->gid = (gid_t)id;
	} else if (pw) {
		p->gid = pw->pw_gid;
	} else {
		snprintf(err, errlen, "user '%s' has no group: use USER:GROUP",
		    user);
		return -1;
	}
	return 0;
}

void
parse_privs(const char *spec, struct privs *p)
{
	char err[1024];

	if (scan_privs(spec, p, err, sizeof(err)) < 0)
		die_usage("%s", err);
}

void
xdrop_privs(const struct privs *p)
{
	struct passwd *pw;

	if (p->user == NULL)
		return;
	/* Supplementary groups: the user's own if it has an entry. */
	pw = getpwuid(p->uid);
	if ((pw ? initgroups(pw->pw_name, p->gid) :
	    setgroups(1, &p->gid)) < 0)
		die_errno(EXIT_FAIL, "set groups for %s", p->user);
	if (setgid(p->gid) < 0)
		die_errno(EXIT_FAIL, "setgid %ld", (long)p->gid);
	if (setuid(p->uid) < 0)
		die_errno(EXIT_FAIL, "setuid %ld", (long)p->uid);
	/* Dropping must be for good: getting root back has to fail. */
	if (p->uid != 0 && setuid(0) == 0)
		die_msg(EXIT_FAIL, "could not drop privileges to %s", p->user);
}
