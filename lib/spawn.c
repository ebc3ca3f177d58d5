/*
 * spawn.c: run a program for a connection or a datagram, with the UCSPI
 * environment (PROTO=TCP, TCPREMOTEIP, ...) and the signal state and
 * descriptor limit sockbox itself was started with.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "sockbox.h"

extern char **environ;

#define MAX_VARS	9	/* the most variables spawn_env sets */

/* Whether env entry e is one of proto's UCSPI variables. */
static int
is_ucspi_var(const char *e, const char *proto)
{
	static const char *const inet[] = {
		"LOCALIP=", "LOCALPORT=", "LOCALHOST=", "REMOTEIP=",
		"REMOTEPORT=", "REMOTEHOST=", "REMOTEINFO=", "CONCURRENCY=",
		NULL
	};
	/* ucspi-unix's, and REMOTEPATH, udpserve -U's own. */
	static const char *const unix_names[] = {
		"LOCALPATH=", "LOCALPID=", "LOCALUID=", "LOCALGID=",
		"REMOTEPID=", "REMOTEEUID=", "REMOTEEGID=", "REMOTEPATH=",
		NULL
	};
	const char *const *names = strcmp(proto, "UNIX") == 0 ? unix_names :
	    inet;
	size_t plen = strlen(proto), i;

	if (strncmp(e, "PROTO=", 6) == 0)
		return 1;
	if (strncmp(e, proto, plen) != 0)
		return 0;
	for (i = 0; names[i]; i++)
		if (strncmp(e + plen, names[i], strlen(names[i])) == 0)
			return 1;
	return 0;
}

/*
 * What sockbox was started with, and what its programs get back: the
 * signals it found ignored, its signal mask and its descriptor limit.
 */
static struct {
	sigset_t ignored, mask;
	struct rlimit nofile;
	int have_nofile;
} start;

/*
 * Read before main, so that no applet can have changed anything yet
 * (server_setup, tcpserve and udpserve change signals and the limit).
 */
static void __attribute__((constructor))
save_start(void)
{
	struct sigaction sa;
	int sig;

	sigemptyset(&start.ignored);
	for (sig = 1; sig < SIGRTMIN; sig++)
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			sigaddset(&start.ignored, sig);
	sigprocmask(SIG_SETMASK, NULL, &start.mask);
	start.have_nofile = getrlimit(RLIMIT_NOFILE, &start.nofile) == 0;
}

int
ignored_at_start(int sig)
{
	return sigismember(&start.ignored, sig) == 1;
}

/*
 * execvp without its shell: glibc runs a file that is not a binary and
 * has no "#!" with /bin/sh, we call that an exec failure (ENOEXEC). A
 * name with a '/' is not searched; an empty PATH entry is the current
 * directory; EACCES from an entry is reported only if no later entry has
 * the file. Returns only on failure, with errno set.
 */
static void
exec_path(char **argv, char **env, const char *path)
{
	char buf[PATH_MAX];
	const char *file = argv[0], *p, *end;
	size_t flen = strlen(file), dlen;
	int denied = 0;

	if (*file == '\0') {
		errno = ENOENT;
		return;
	}
	if (strchr(file, '/') != NULL) {
		execve(file, argv, env);
		return;
	}
	for (p = path;; p = end + 1) {
		end = strchrnul(p, ':');
		dlen = (size_t)(end - p);
		if (dlen + flen + 2 <= sizeof(buf)) {
			memcpy(buf, p, dlen);
			buf[dlen] = '/';
			memcpy(buf + dlen + (dlen > 0), file, flen + 1);
			execve(buf, argv, env);
			if (errno == EACCES)
				denied = 1;
			else if (errno != ENOENT && errno != ENOTDIR)
				return;
		}
		if (*end == '\0')
			break;
	}
	errno = denied ? EACCES : ENOENT;
}

/* Every signal's disposition as sockbox found it, in the child. */
static void
reset_signals(void)
{
	struct sigaction sa = { 0 };
	int sig, top = SIGRTMIN;

	/* All of them, so that what any applet changed is undone. */
	for (sig = 1; sig < top; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		sa.sa_handler = sigismember(&start.ignored, sig) == 1 ?
		    SIG_IGN : SIG_DFL;
		sigaction(sig, &sa, NULL);
	}
}

/* pid in decimal at p, NUL-terminated; no stdio in a vfork child. */
static void
put_pid(char *p, pid_t pid)
{
	char digits[16];
	int n = 0;

	do
		digits[n++] = (char)('0' + pid % 10);
	while ((pid /= 10) > 0);
	while (n > 0)
		*p++ = digits[--n];
	*p = '\0';
}

/*
 * In the child, maybe sharing our memory until it execs (pidvar, if not
 * NULL, gets its pid): every signal's disposition and the signal mask as
 * sockbox found them (dispositions first: no handler of ours may run
 * here), the descriptor limit sockbox started with, in and out on 0 and 1
 * (and out on 2 too if err_out). Returns only on failure, errno set.
 */
static void
exec_child(char **argv, char **env, const char *path, int in, int out,
    int err_out, char *pidvar)
{
	struct rlimit rl;

	if (pidvar)
		put_pid(pidvar, getpid());
	reset_signals();
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
	    (err_out && dup2(out, 2) < 0))
		return;
	/* dup2 of a descriptor onto itself keeps close-on-exec. */
	if ((in == 0 || out == 1) && (fcntl(0, F_SETFD, 0) < 0 ||
	    fcntl(1, F_SETFD, 0) < 0))
		return;
	/* Never above the hard limit, which may have been lowered since. */
	if (start.have_nofile && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != start.nofile.rlim_cur) {
		rl.rlim_cur = start.nofile.rlim_cur < rl.rlim_max ?
		    start.nofile.rlim_cur : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return;
	}
	sigprocmask(SIG_SETMASK, &start.mask, NULL);
	exec_path(argv, env, path);
}

/*
 * vfork and exec; no local of the caller lives across the vfork. A
 * failure leaves errno in *err and exits 127.
 */
static pid_t
vfork_exec(char **argv, char **env, const char *path, int in, int out,
    int err_out, char *pidvar, volatile int *err)
{
	pid_t pid;

	if ((pid = vfork()) == 0) {
		exec_child(argv, env, path, in, out, err_out, pidvar);
		*err = errno;
		_exit(127);
	}
	return pid;
}

/*
 * fork, then o->prepare in the child with the signals as sockbox found
 * them (-T's SIGTERM ends a slow lookup), then exec; slot is env's free
 * entry for what prepare adds. The child reports its own failures.
 */
static pid_t
fork_exec(char **argv, char **env, char **slot, const char *path, int in,
    int out, char *pidvar, const struct spawn_opts *o)
{
	char var[SPAWN_VAR_LEN];
	pid_t pid;
	int log;

	if ((pid = fork()) != 0)
		return pid;
	/* With -E stderr is the client's: failures are the server's news. */
	log = fcntl(2, F_DUPFD_CLOEXEC, 3);
	reset_signals();
	sigprocmask(SIG_SETMASK, &start.mask, NULL);
	var[0] = '\0';
	if (o->prepare(o->arg, var, sizeof(var)) < 0)
		_exit(EXIT_FAIL);
	if (var[0] != '\0') {
		slot[0] = var;
		slot[1] = NULL;
	}
	exec_child(argv, env, path, in, out, o->err_out, pidvar);
	if (log >= 0)
		dup2(log, 2);
	warn_errno("warning: %s", argv[0]);
	_exit(127);
}

/* Room in a program's environment past the connection's variables. */
#define SPAWN_EXTRA	(SPAWN_ENV_MAX + 1)

/*
 * The environment for proto's programs: the inherited one less proto's
 * UCSPI variables, built once (a server's environment does not change),
 * with room after it for each connection's MAX_VARS, SPAWN_EXTRA more
 * and a NULL. Returns it with *slot at the first free entry, or NULL.
 */
static char **
base_env(const char *proto, char ***slot)
{
	static char **env;
	static size_t n;
	char **e;

	if (env != NULL) {
		*slot = env + n;
		return env;
	}
	for (e = environ; *e; e++)
		n++;
	if ((env = malloc((n + MAX_VARS + 1 + SPAWN_EXTRA) *
	    sizeof(*env))) == NULL)
		return NULL;
	n = 0;
	for (e = environ; *e; e++)
		if (!is_ucspi_var(*e, proto))
			env[n++] = *e;
	*slot = env + n;
	return env;
}

/* The one way a program starts: vars, then o's additions. */
static pid_t
spawn_with(char **argv, int in, int out, const char *proto, char **vars,
    int nvars, char *pidvar, const struct spawn_opts *o)
{
	char **slot, **env;
	const char *path;
	volatile int err = 0;
	sigset_t all, old;
	pid_t pid;
	int i;

	if (nvars > MAX_VARS) {
		errno = E2BIG;
		return -1;
	}
	if ((env = base_env(proto, &slot)) == NULL)
		return -1;
	for (i = 0; i < nvars; i++)
		*slot++ = vars[i];
	for (i = 0; o && i < SPAWN_ENV_MAX && o->env[i]; i++)
		*slot++ = (char *)o->env[i];
	*slot = NULL;
	/* execvp's default when PATH is unset: confstr(_CS_PATH). */
	if ((path = getenv("PATH")) == NULL)
		path = "/bin:/usr/bin";

	/*
	 * vfork: no copy of our page tables, and the child has exec'd when
	 * it returns. No handler of ours may run in the child meanwhile, so
	 * every signal stays blocked until it has reset them.
	 */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	if (o && o->prepare)
		pid = fork_exec(argv, env, slot, path, in, out, pidvar, o);
	else
		pid = vfork_exec(argv, env, path, in, out, o && o->err_out,
		    pidvar, &err);
	if (pid > 0 && err) {
		waitpid(pid, NULL, 0);
		pid = -1;
	} else if (pid < 0) {
		err = errno;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return pid;
}

pid_t
spawn_env(char **argv, int in, int out, const char *proto, char **vars,
    int nvars, char *pidvar)
{
	return spawn_with(argv, in, out, proto, vars, nvars, pidvar, NULL);
}

pid_t
spawn_prog(char **argv, int in, int out, const char *proto,
    const struct sockaddr *local, const struct sockaddr *remote)
{
	return spawn_prog_opts(argv, in, out, proto, local, remote, NULL);
}

pid_t
spawn_prog_opts(char **argv, int in, int out, const char *proto,
    const struct sockaddr *local, const struct sockaddr *remote,
    const struct spawn_opts *o)
{
	char vars[5][ADDRPORT_LEN + 24], ip[ADDRPORT_LEN];
	char *v[5];
	int i;

	snprintf(vars[0], sizeof(vars[0]), "PROTO=%s", proto);
	snprintf(vars[1], sizeof(vars[1]), "%sLOCALIP=%s", proto,
	    fmt_addr(local, ip, sizeof(ip)));
	snprintf(vars[2], sizeof(vars[2]), "%sLOCALPORT=%d", proto,
	    addr_port(local));
	snprintf(vars[3], sizeof(vars[3]), "%sREMOTEIP=%s", proto,
	    fmt_addr(remote, ip, sizeof(ip)));
	snprintf(vars[4], sizeof(vars[4]), "%sREMOTEPORT=%d", proto,
	    addr_port(remote));
	for (i = 0; i < 5; i++)
		v[i] = vars[i];
	return spawn_with(argv, in, out, proto, v, 5, NULL, o);
}
