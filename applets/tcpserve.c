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
#include "tcpserve.h"

const char tcpserve_usage[] =
"usage: tcpserve [-46vq] [-k] [-b BACKLOG] [-c MAXCONN] [-C PERIP]\n"
"                [-a CIDR]... [-d CIDR]... [-u USER[:GROUP]] [-i SECS]\n"
"                [-t SECS] [-T SECS] [--recv-only | --send-only] [--crlf]\n"
"                [--echo [--max-pending BYTES]] HOST PORT [PROG [ARGS...]]\n"
"       tcpserve [options] [-m MODE] -U PATH [PROG [ARGS...]]\n"
"Accept TCP connections on HOST PORT. Without PROG, relay one connection\n"
"with stdin and stdout. With PROG, run it for every connection with the\n"
"connection on its stdin and stdout and the UCSPI environment (PROTO,\n"
"TCPLOCALIP, TCPLOCALPORT, TCPREMOTEIP, TCPREMOTEPORT). With --echo, send\n"
"every byte back, many clients at once. With -U, on a Unix-domain socket\n"
"(PROG's environment: PROTO=UNIX, UNIXLOCALPATH, UNIXLOCALPID,\n"
"UNIXLOCALUID, UNIXLOCALGID, UNIXREMOTEPID, UNIXREMOTEEUID,\n"
"UNIXREMOTEEGID, as ucspi-unix's unixserver).\n"
"\n"
"  -4, -6           IPv4 or IPv6 only (a wildcard HOST serves both)\n"
"  -v               announce the address; log each connection\n"
"  -q               do not announce the address, even for PORT 0\n"
"  -k               relay: after a connection, accept the next one\n"
"  -b BACKLOG       listen backlog (default 4096)\n"
"  -c MAXCONN       connections at once, more wait in the backlog\n"
"                   (default 40 with PROG; with --echo, what the\n"
"                   descriptor limit allows)\n"
"  -C PERIP         close a client address's connections beyond PERIP\n"
"  -a CIDR          allow these clients (then deny the others)\n"
"  -d CIDR          deny these clients; the most specific -a/-d wins\n"
"  -u USER[:GROUP]  run as USER (and GROUP) after binding; -U's file\n"
"                   is theirs\n"
"  -U PATH          listen on the Unix-domain socket PATH instead (@NAME:\n"
"                   abstract); a stale socket file is replaced, and the\n"
"                   file is removed at exit\n"
"  -i SECS          close a connection idle for SECS (relay, echo)\n"
"  -m MODE          -U: the socket file's permissions, octal (e.g. 660)\n"
"  -t SECS          relay: after the client's end, stop sending once stdin\n"
"                   has been idle for SECS (default 0.5; 0: until its end)\n"
"  -T SECS          PROG: SIGTERM a program running for SECS, SIGKILL\n"
"                   5 s later\n"
"  --crlf           relay: send each LF of stdin as CRLF\n"
"  --echo           echo service\n"
"  --max-pending BYTES  output all clients may have waiting, k/M/G\n"
"                   suffixes (default 64M); past its share a client\n"
"                   is not read, and closed if it takes nothing for 10 s\n"
"  --recv-only      relay: do not read stdin, only print what clients send\n"
"  --send-only      relay: send stdin, drop what clients send\n";

#define DEFAULT_BACKLOG	4096
#define DEFAULT_PROGS	40
#define DEFAULT_PENDING	(64 << 20)	/* --max-pending */

/* ---- accepting, shared by the three modes ---- */

int
accept_client(struct server *s, union peer *p, int flags)
{
	char where[ADDRPORT_LEN];
	socklen_t len = sizeof(p->un.sun);
	int fd;

	/* Zeroed: a Unix address is only as long as its name (if any). */
	memset(p, 0, sizeof(*p));
	if ((fd = accept4(s->lfd, &p->sa, &len, SOCK_CLOEXEC | flags)) < 0)
		return -1;
	s->warned = 0;
	/* -a/-d and -C are for addresses: not given with -U. */
	if (p->sa.sa_family == AF_UNIX) {
		if (peer_cred(fd, &p->un.cred) < 0)
			p->un.cred.pid = 0;
		return fd;
	}
	if (!acl_allows(&s->acl, &p->sa)) {
		if (s->verbose)
			warn_msg("denied %s", fmt_addrport(&p->sa, where,
			    sizeof(where)));
		close(fd);
		return -2;
	}
	if (s->perip && ipcount_take(&s->perip_count, &p->sa, s->perip) < 0) {
		if (s->verbose)
			warn_msg("refused %s: too many connections",
			    fmt_addrport(&p->sa, where, sizeof(where)));
		close(fd);
		return -2;
	}
	return fd;
}

void
release_client(struct server *s, const struct sockaddr *sa)
{
	if (s->perip)
		ipcount_release(&s->perip_count, sa);
}

/*
 * A failed accept that is not the end of a batch (EAGAIN). Errors of one
 * connection (accept(2) lists them) mean: take the next. Anything else,
 * above all EMFILE/ENFILE/ENOBUFS, would come back at once: warn once per
 * episode and return 1, to pause accepting instead of spinning.
 */
int
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

char *
fmt_peer(const union peer *p, char *buf, size_t len)
{
	if (p->sa.sa_family == AF_UNIX && p->un.cred.pid > 0)
		snprintf(buf, len, "pid=%ld,uid=%ld", (long)p->un.cred.pid,
		    (long)p->un.cred.uid);
	else
		fmt_addrport(&p->sa, buf, len);
	return buf;
}

void
log_conn(const struct server *s, const char *what, const union peer *p)
{
	char where[ADDRPORT_LEN];

	if (s->verbose)
		warn_msg("%s %s", what, fmt_peer(p, where, sizeof(where)));
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

	if (server_stop)
		return 0;
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

static int
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

/* ---- command line ---- */

enum { OPT_RECV_ONLY = 256, OPT_SEND_ONLY, OPT_CRLF };

/* The relay's own options: exit 2 outside relay mode, or together. */
static void
check_relay_opts(const struct server *s)
{
	const char *opt = s->linger_set ? "-t" : s->recv_only ?
	    "--recv-only" : s->send_only ? "--send-only" : s->crlf ?
	    "--crlf" : NULL;

	if (opt && (s->prog || s->echo))
		die_usage("%s is for relay mode only", opt);
	if (s->recv_only && s->send_only)
		die_usage("--recv-only and --send-only exclude each other");
}

/* -U's options, and those for addresses that mean nothing with it. */
static void
check_unix_opts(const struct server *s)
{
	const char *opt = s->family != AF_UNSPEC ? "-4/-6" : s->acl.n ?
	    "-a/-d" : s->perip ? "-C" : NULL;

	if (s->sunlen == 0 && s->file.mode >= 0)
		die_usage("-m needs -U");
	if (s->sunlen && opt)
		die_usage("%s cannot be used with -U", opt);
	if (s->file.mode >= 0 && s->sun.sun_path[0] == '\0')
		die_usage("-m: an abstract socket has no file");
}

static void
parse_options(int argc, char **argv, struct server *s)
{
	static const struct option longopts[] = {
		{ "echo", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "max-pending", required_argument, NULL, 'P' },
		{ "recv-only", no_argument, NULL, OPT_RECV_ONLY },
		{ "send-only", no_argument, NULL, OPT_SEND_ONLY },
		{ "crlf", no_argument, NULL, OPT_CRLF },
		{ NULL, 0, NULL, 0 }
	};
	int ch, pending_set = 0;

	s->file.mode = -1;
	while ((ch = next_opt(argc, argv, "46vqkb:c:C:a:d:u:i:t:T:U:m:", longopts,
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
		case OPT_RECV_ONLY: s->recv_only = 1; break;
		case OPT_SEND_ONLY: s->send_only = 1; break;
		case OPT_CRLF: s->crlf = 1; break;
		case 'b':
			s->backlog = (int)parse_uint(optarg, 1, 1000000,
			    "backlog");
			break;
		case 'c':
			s->maxconn = (unsigned)parse_uint(optarg, 1, 1000000,
			    "connection limit");
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
		case 'T':
			s->limit_ms = parse_duration(optarg);
			break;
		case 'U':
			xunix_sockaddr(optarg, &s->sun, &s->sunlen);
			break;
		case 'm':
			s->file.mode = xparse_mode(optarg);
			break;
		case 'P':
			s->max_pending = (size_t)xparse_size(optarg,
			    BUDGET_CHUNK, (size_t)1 << 40, "size");
			pending_set = 1;
			break;
		}
	}
	/* -U PATH takes HOST PORT's place. */
	need_operands(argc, argv, s->sunlen ? 0 : 2, -1);
	if (argc - optind > (s->sunlen ? 0 : 2))
		s->prog = argv + optind + (s->sunlen ? 0 : 2);
	check_unix_opts(s);
	if (s->echo && s->prog)
		die_usage("--echo and PROG exclude each other");
	if (s->prog && s->idle_ms > 0)
		die_usage("-i is for relay and echo modes, not PROG");
	if (!s->prog && s->limit_ms > 0)
		die_usage("-T is for PROG");
	if (pending_set && !s->echo)
		die_usage("--max-pending is for --echo");
	check_relay_opts(s);
}

int
tcpserve_main(int argc, char **argv)
{
	struct server s = { .family = AF_UNSPEC, .backlog = DEFAULT_BACKLOG,
	    .max_pending = DEFAULT_PENDING };
	sigset_t stops;
	char *host;
	int port, rc;

	parse_options(argc, argv, &s);
	if (s.sunlen) {
		host = NULL;
		port = -1;
	} else {
		if ((host = unbracket(argv[optind])) == NULL)
			die_usage("invalid host '%s'", argv[optind]);
		port = parse_port(argv[optind + 1], "tcp");
		check_family(host, s.family);
	}

	server_setup();
	/* The loop modes stop accepting before descriptors run out. */
	if (s.maxconn == 0)
		s.maxconn = s.prog ? DEFAULT_PROGS :
		    s.echo ? fd_conn_cap(1) : 1;
	/* Stop signals are only taken while waiting, never mid-step. */
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGCHLD);
	sigprocmask(SIG_BLOCK, &stops, &s.waitmask);
	if (s.sunlen) {
		s.file.give = s.privs.user != NULL;
		s.file.uid = s.privs.uid;
		s.file.gid = s.privs.gid;
		s.lfd = xlisten_unix(&s.sun, s.sunlen, SOCK_STREAM, s.backlog,
		    &s.file);
	} else {
		s.lfd = xlisten_on(host, port, s.family, SOCK_STREAM,
		    s.backlog);
	}
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
	ipcount_free(&s.perip_count);
	return rc;
}
