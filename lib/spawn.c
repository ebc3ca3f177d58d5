/*
 * spawn.c: run a program for a connection or a datagram, with the UCSPI
 * environment (PROTO=TCP, TCPREMOTEIP, ...) and clean signal state.
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "sockbox.h"

extern char **environ;

/* Whether env entry e is one of proto's UCSPI variables. */
static int
is_ucspi_var(const char *e, const char *proto)
{
	static const char *const names[] = {
		"LOCALIP=", "LOCALPORT=", "LOCALHOST=", "REMOTEIP=",
		"REMOTEPORT=", "REMOTEHOST=", "REMOTEINFO="
	};
	size_t plen = strlen(proto), i;

	if (strncmp(e, "PROTO=", 6) == 0)
		return 1;
	if (strncmp(e, proto, plen) != 0)
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(e + plen, names[i], strlen(names[i])) == 0)
			return 1;
	return 0;
}

/* The signals sockbox servers catch or ignore: a child resets them. */
static const int caught[] = { SIGPIPE, SIGTERM, SIGINT, SIGCHLD, SIGHUP };

/*
 * In the child, sharing our memory until it execs: default dispositions
 * for what we changed, no blocked signals, in and out on 0 and 1. On
 * failure it leaves errno in *err and exits 127.
 */
static void
exec_child(char **argv, char **env, int in, int out, volatile int *err)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	size_t i;

	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigaction(caught[i], &sa, NULL);
	sigemptyset(&none);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0)
		goto fail;
	/* dup2 of a descriptor onto itself keeps close-on-exec. */
	if ((in == 0 || out == 1) && (fcntl(0, F_SETFD, 0) < 0 ||
	    fcntl(1, F_SETFD, 0) < 0))
		goto fail;
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvpe(argv[0], argv, env);
fail:
	*err = errno;
	_exit(127);
}

/* vfork and exec; no local of the caller lives across the vfork. */
static pid_t
vfork_exec(char **argv, char **env, int in, int out, volatile int *err)
{
	pid_t pid;

	if ((pid = vfork()) == 0)
		exec_child(argv, env, in, out, err);
	return pid;
}

/*
 * The environment for proto's programs: the inherited one less proto's
 * UCSPI variables, built once (a server's environment does not change),
 * with room after it for each connection's five and a NULL. Returns it
 * with *slot at the first free entry, or NULL.
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
	if ((env = malloc((n + 6) * sizeof(*env))) == NULL)
		return NULL;
	n = 0;
	for (e = environ; *e; e++)
		if (!is_ucspi_var(*e, proto))
			env[n++] = *e;
	*slot = env + n;
	return env;
}

pid_t
spawn_prog(char **argv, int in, int out, const char *proto,
    const struct sockaddr *local, const struct sockaddr *remote)
{
	char vars[5][ADDRPORT_LEN + 24], ip[ADDRPORT_LEN];
	char **slot, **env;
	volatile int err = 0;
	sigset_t all, old;
	pid_t pid;
	int i;

	if ((env = base_env(proto, &slot)) == NULL)
		return -1;
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
		slot[i] = vars[i];
	slot[5] = NULL;

	/*
	 * vfork: no copy of our page tables, and the child has exec'd when
	 * it returns. No handler of ours may run in the child meanwhile, so
	 * every signal stays blocked until it has reset them.
	 */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = vfork_exec(argv, env, in, out, &err);
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
