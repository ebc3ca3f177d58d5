/*
 * dump_prog.c: a program's connection, dumped: the program gets one end
 * of a socketpair, and lib/relay.c copies between the other end and the
 * connection, dumping at the connection's side.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "dump.h"

static volatile sig_atomic_t prog_pid;

/* -T's SIGTERM, or anyone's, is meant for the program. */
static void
pass_term(int sig)
{
	if (prog_pid > 0)
		kill((pid_t)prog_pid, sig);
}

int
dump_prog(char **argv, int conn, const char *proto, struct dump_conn *c)
{
	struct sockaddr_storage local = { 0 }, remote = { 0 };
	struct sigaction sa = { 0 };
	struct relay_result res;
	struct relay r;
	int sp[2], status, err;
	pid_t pid;

	local_addr(conn, &local);
	peer_addr(conn, &remote);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		close(conn);
		return -1;
	}
	pid = spawn_prog(argv, sp[1], sp[1], proto, (struct sockaddr *)&local,
	    (struct sockaddr *)&remote);
	err = errno;
	close(sp[1]);
	if (pid < 0) {
		close(sp[0]);
		close(conn);
		errno = err;
		return -1;
	}
	prog_pid = pid;
	sa.sa_handler = pass_term;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);

	/*
	 * up: the program's output to the peer; down: the peer to the
	 * program. Each end is half-closed after its source's; the program
	 * may take its time to answer (no linger), and once its output has
	 * ended nobody reads the peer any more (-q 0), as when it held the
	 * connection itself and exited.
	 */
	relay_init(&r, sp[0], sp[0]);
	r.linger_ms = 0;
	r.quit_ms = 0;
	r.end_out = 1;
	r.dump = c;
	/* A reset is the program's to see, as when it held the socket. */
	relay_run(&r, conn, &res);
	relay_free(&r);
	close(conn);
	close(sp[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	prog_pid = 0;
	return status;
}
