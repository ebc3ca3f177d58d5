/*
 * tcpconnect_relay.c: what tcpconnect does with a connection once it is
 * made: run PROG on it, or relay it with stdin and stdout.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "tcpconnect.h"
#include "../lib/relay.h"
#include "../lib/unixsock.h"

/* Run argv on the connection and return its status as a shell would. */
int
run_prog(char **argv, int fd, struct dump *d)
{
	struct sockaddr_storage local = { 0 }, remote = { 0 };
	struct dump_conn dc;
	pid_t pid;
	int status;

	struct ucred cred;

	if (d->on) {
		/* The connection is dumped: we relay it for the program. */
		if ((status = dump_prog(argv, fd, "TCP", dump_conn_init(&dc,
		    d, NULL))) < 0)
			die_errno(errno == ENOENT ? 127 : 126, "%s", argv[0]);
		return WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
		    WEXITSTATUS(status);
	}
	local_addr(fd, &local);
	peer_addr(fd, &remote);
	/* ucspi-unix's unixclient: LOCALPATH is where it connected. */
	if (remote.ss_family == AF_UNIX)
		pid = spawn_unix(argv, fd, fd, (struct sockaddr_un *)&remote,
		    peer_cred(fd, &cred) == 0 ? &cred : NULL, NULL);
	else
		pid = spawn_prog(argv, fd, fd, "TCP",
		    (struct sockaddr *)&local, (struct sockaddr *)&remote);
	if (pid < 0)
		die_errno(errno == ENOENT ? 127 : 126, "%s", argv[0]);
	/* Only the program holds the connection now: its exit closes it. */
	close(fd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die_errno(EXIT_FAIL, "wait for %s", argv[0]);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * Copy stdin and stdout through the connection; exit 0 only if every byte
 * went through both ways.
 */
int
relay_conn(const char *where, int fd, struct opts *o)
{
	struct relay r;
	struct relay_result res;
	struct dump_conn dc;
	char why[160];
	int rc;

	relay_init(&r, STDIN_FILENO, STDOUT_FILENO);
	r.dump = dump_conn_init(&dc, &o->dump, NULL);
	r.idle_ms = o->idle_ms;
	if (o->linger_arg)
		r.linger_ms = o->linger_ms;
	if (o->quit_arg)
		r.quit_ms = o->quit_ms;
	r.recv_only = o->recv_only;
	r.send_only = o->send_only;
	r.crlf = o->crlf;
	r.end_out = 1;
	rc = relay_run(&r, fd, &res);
	relay_free(&r);
	close(fd);
	if (o->verbose)
		warn_msg("sent %llu bytes, received %llu bytes in %lld.%03lld s",
		    res.sent + res.unacked, res.received, res.ms / 1000,
		    res.ms % 1000);
	if (rc == 0)
		return EXIT_OK;
	relay_msg(&res, 0, why, sizeof(why));
	if (res.where == RELAY_IDLE)
		warn_msg("%s: idle for %s s%s", where, o->idle_arg,
		    why + strlen("idle timeout"));
	else if (res.where == RELAY_STDIN || res.where == RELAY_STDOUT)
		warn_msg("%s", why);
	else
		warn_msg("%s: %s", where, why);
	return EXIT_FAIL;
}

