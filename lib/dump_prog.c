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
#include "relay.h"

static volatile sig_atomic_t prog_pid, conn_fd = -1;

/* -T's SIGTERM, or anyone's, is meant for the program. */
static void
pass_term(int sig)
{
	if (prog_pid > 0)
		kill((pid_t)prog_pid, sig);
}

/*
 * The program has exited: nobody reads the peer any more, as when the
 * program held the connection itself. Its output still drains.
 */
static void
prog_exited(int sig)
{
	(void)sig;
	if (conn_fd >= 0)
		shutdown(conn_fd, SHUT_RD);
}

/* Install fn for sig, the old action into old. */
static void
catch(int sig, void (*fn)(int), int flags, struct sigaction *old)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, old);
}

/* What dump_prog starts: argv with conn's addresses. */
struct plain {
	char **argv;
	const char *proto;
	struct sockaddr_storage local, remote;
};

static pid_t
spawn_plain(void *arg, int fd)
{
	struct plain *p = arg;

	return spawn_prog(p->argv, fd, fd, p->proto,
	    (struct sockaddr *)&p->local, (struct sockaddr *)&p->remote);
}

int
dump_prog(char **argv, int conn, const char *proto, struct dump_conn *c)
{
	struct plain p = { argv, proto, { 0 }, { 0 } };

	local_addr(conn, &p.local);
	peer_addr(conn, &p.remote);
	return dump_prog_with(conn, c, spawn_plain, &p);
}

int
dump_prog_with(int conn, struct dump_conn *c, pid_t (*spawn)(void *, int),
    void *arg)
{
	struct sigaction old_chld, old_term;
	struct relay_result res;
	struct relay r;
	int sp[2], status, err;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		close(conn);
		return -1;
	}
	/* Before the fork: a program may exit at once. */
	conn_fd = conn;
	catch(SIGCHLD, prog_exited, SA_RESTART | SA_NOCLDSTOP, &old_chld);
	pid = spawn(arg, sp[1]);
	err = errno;
	close(sp[1]);
	if (pid < 0) {
		conn_fd = -1;
		sigaction(SIGCHLD, &old_chld, NULL);
		close(sp[0]);
		close(conn);
		errno = err;
		return -1;
	}
	prog_pid = pid;
	catch(SIGTERM, pass_term, SA_RESTART, &old_term);

	/*
	 * up: the program's output to the peer; down: the peer to the
	 * program. Each end is half-closed after its source's, and the
	 * program may take its time to answer (no linger).
	 */
	relay_init(&r, sp[0], sp[0]);
	r.linger_ms = 0;
	r.end_out = 1;
	r.dump = c;
	/* A reset is the program's to see, as when it held the socket. */
	relay_run(&r, conn, &res);
	relay_free(&r);
	conn_fd = -1;
	close(conn);
	close(sp[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	prog_pid = 0;
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGCHLD, &old_chld, NULL);
	return status;
}
