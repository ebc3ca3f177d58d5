/*
 * spawn.c: run a program for a connection or a datagram, with the UCSPI
 * environment (PROTO=TCP, TCPREMOTEIP, ...) and clean signal state.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

pid_t
spawn_prog(char **argv, int in, int out, const char *proto,
    const struct sockaddr *local, const struct sockaddr *remote)
{
	char vars[5][ADDRPORT_LEN + 24], ip[ADDRPORT_LEN];
	char **env, **e;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t set;
	pid_t pid;
	size_t n = 0;
	int err, i;

	for (e = environ; *e; e++)
		n++;
	if ((env = malloc((n + 6) * sizeof(*env))) == NULL)
		return -1;
	n = 0;
	for (e = environ; *e; e++)
		if (!is_ucspi_var(*e, proto))
			env[n++] = *e;
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
		env[n++] = vars[i];
	env[n] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawnattr_init(&attr);
	sigemptyset(&set);
	posix_spawnattr_setsigmask(&attr, &set);
	sigfillset(&set);
	posix_spawnattr_setsigdefault(&attr, &set);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	err = posix_spawnp(&pid, argv[0], &fa, &attr, argv, env);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	if (err) {
		errno = err;
		return -1;
	}
	return pid;
}
