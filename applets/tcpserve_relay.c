/*
 * tcpserve_relay.c: tcpserve without PROG: relay one connection with
 * stdin and stdout (lib/relay.c), then exit, or with -k the next one.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "tcpserve_pp.h"
#include "../lib/relay.h"

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
	struct dump_conn dc;
	char where[ADDRPORT_LEN], why[160];
	int rc;

	if (server_stop)
		return 0;
	if (s->x.banner_len > 0 && send_banner(s, fd, p, s->keep ?
	    "warning: " : "") < 0)
		return server_stop ? 0 : -1;
	r->dump = dump_conn_init(&dc, &s->dump, &p->sa);
	rc = relay_run(r, fd, &res);
	fmt_peer(p, where, sizeof(where));
	if (s->verbose)
		warn_msg("%s: sent %llu bytes, received %llu bytes in "
		    "%lld.%03lld s", where, res.sent + res.unacked,
		    res.received, res.ms / 1000, res.ms % 1000);
	if (rc < 0 && server_stop)
		return 0;		/* SIGTERM/SIGINT: a clean stop */
	if (rc < 0)
		warn_msg("%s%s: %s", s->keep ? "warning: " : "", where,
		    relay_msg(&res, s->keep, why, sizeof(why)));
	/* Without stdout no later client can be relayed either. */
	if (rc < 0 && res.where == RELAY_STDOUT)
		s->keep = 0;
	return rc;
}

/* The relay for every client: stdin and stdout, and the relay options. */
static void
init_relay(const struct server *s, struct relay *r)
{
	relay_init(r, STDIN_FILENO, STDOUT_FILENO);
	r->idle_ms = s->idle_ms;
	if (s->linger_set)
		r->linger_ms = s->linger_ms;
	r->recv_only = s->recv_only;
	r->send_only = s->send_only;
	r->crlf = s->crlf;
}

int
serve_relay(struct server *s)
{
	struct pollfd pfd = { .fd = s->lfd, .events = POLLIN };
	struct timespec pause = { 0, BACKOFF_MS * 1000000L };
	struct relay r;
	sigset_t held;
	union peer p;
	int fd, rc = 0, backoff = 0;

	catch_stops(on_stop_relay);
	init_relay(s, &r);
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
		/* One client at a time anyway: a slow header holds up -w at most. */
		if (s->proxy_proto && wait_header(s, fd, &p) < 0) {
			close(fd);
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
		release_client(s, &p.sa);
		log_conn(s, "closed", &p);
		sigprocmask(SIG_SETMASK, &held, NULL);
		relay_sock = -1;
		if (!s->keep)
			break;
	}
	relay_free(&r);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

