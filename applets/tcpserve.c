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
#include "tcpserve_pp.h"

const char tcpserve_usage[] =
"usage: tcpserve [-146vqE] [-DKk] [-b BACKLOG] [-c MAXCONN] [-C PERIP]\n"
"                [-a CIDR]... [-d CIDR]... [-u USER[:GROUP]] [-i SECS]\n"
"                [-t SECS] [-T SECS] [--recv-only | --send-only] [--crlf]\n"
"                [--echo | --broker | --forward TARGET...] [-w SECS]\n"
"                [--max-pending BYTES] [-B BANNER] [-l NAME] [--lookup]\n"
"                [--ready-fd N] [--proxy-protocol] [--send-proxy[=1|2]]\n"
"                [--hexdump FILE] [--dump-in FILE] [--dump-out FILE]\n"
"                [--sockopt NAME[=VALUE]]... [--mptcp]\n"
"                HOST PORT | --systemd[=NAME] | --fd N [PROG [ARGS...]]\n"
"       tcpserve [options] [-m MODE] -U PATH [PROG [ARGS...]]\n"
"Accept TCP connections on HOST PORT. Without PROG, relay one connection\n"
"with stdin and stdout. With PROG, run it for every connection with the\n"
"connection on its stdin and stdout and the UCSPI environment (PROTO,\n"
"TCPLOCALIP, TCPLOCALPORT, TCPREMOTEIP, TCPREMOTEPORT). With --echo, send\n"
"every byte back, many clients at once. With --broker, send every byte a\n"
"client sends to all the other clients. With --forward, connect every\n"
"client to a TARGET and copy bytes both ways, many clients at once.\n"
"With -U, on a Unix-domain socket (PROG's environment: PROTO=UNIX,\n"
"UNIXLOCALPATH, UNIXLOCALPID, UNIXLOCALUID, UNIXLOCALGID, UNIXREMOTEPID,\n"
"UNIXREMOTEEUID, UNIXREMOTEEGID, as ucspi-unix's unixserver).\n"
"\n"
"  -1               once listening, print the port on stdout (not in relay\n"
"                   mode); also --ready-fd and NOTIFY_SOCKET (READY=1)\n"
"  -4, -6           IPv4 or IPv6 only (a wildcard HOST serves both)\n"
"  -v               announce the address; log each connection\n"
"  -q               do not announce the address, even for PORT 0\n"
"  -D               --sockopt nodelay\n"
"  -K               --sockopt keepalive (the kernel's timings)\n"
"  -k               relay: after a connection, accept the next one\n"
"  -b BACKLOG       listen backlog (default 4096)\n"
"  -c MAXCONN       connections at once, more wait in the backlog\n"
"                   (default 40 with PROG; with --echo or --forward,\n"
"                   what the descriptor limit allows)\n"
"  -C PERIP         close a client address's connections beyond PERIP\n"
"  -a CIDR          allow these clients (then deny the others)\n"
"  -d CIDR          deny these clients; the most specific -a/-d wins\n"
"  -u USER[:GROUP]  run as USER (and GROUP) after binding; -U's file\n"
"                   is theirs\n"
"  -U PATH          listen on the Unix-domain socket PATH instead (@NAME:\n"
"                   abstract); a stale socket file is replaced, and the\n"
"                   file is removed at exit\n"
"  -i SECS          close a connection idle for SECS (relay, echo, broker,\n"
"                   forward: both directions silent)\n"
"  -m MODE          -U: the socket file's permissions, octal (e.g. 660)\n"
"  -t SECS          relay: after the client's end, stop sending once stdin\n"
"                   has been idle for SECS (default 0.5; 0: until its end)\n"
"  -T SECS          PROG: SIGTERM a program running for SECS, SIGKILL\n"
"                   5 s later\n"
"  -w SECS          --forward: a target that has not answered in SECS\n"
"                   is skipped (default 10); --proxy-protocol: the time\n"
"                   a client has to send its header (default 5)\n"
"  --crlf           relay: send each LF of stdin as CRLF\n"
"  --broker         relay every client's bytes to all the others; one\n"
"                   that falls 128 KiB behind is disconnected\n"
"  --dump-in FILE   relay, PROG: copy what clients send to FILE ('-':\n"
"                   stderr)\n"
"  --dump-out FILE  relay, PROG: copy what is sent to clients to FILE\n"
"  --hexdump FILE   relay, PROG: write each chunk sent ('>') and received\n"
"                   ('<') to FILE ('-': stderr): a header naming the\n"
"                   client, then hex lines in hexdump's\n"
"                   canonical layout\n"
"  --echo           echo service\n"
"  --forward TARGET forward every client to TARGET: HOST:PORT,\n"
"                   [V6]:PORT, unix:PATH or unix:@NAME; given again,\n"
"                   clients go to the targets in turn, and one that\n"
"                   fails is skipped for the next\n"
"  --max-pending BYTES  output all clients may have waiting (--echo,\n"
"                   --broker; --forward: where splice(2) is refused), k/M/G\n"
"                   suffixes (default 64M); past its share a client\n"
"                   is not read, and closed if it takes nothing for 10 s\n"
"  --mptcp          Multipath TCP (exit 1 if the kernel lacks it)\n"
"  --send-proxy[=1|2]  --forward: start what goes to the target with a\n"
"                   PROXY header (v1 text, the default, or v2) naming\n"
"                   the client and the address it reached\n"
"  --proxy-protocol every client starts with a PROXY header (v1 or v2, as\n"
"                   haproxy sends): its addresses stand for the client's\n"
"                   and ours in -a/-d, -C, -v and the environment\n"
"  --recv-only      relay: do not read stdin, only print what clients send\n"
"  --send-only      relay: send stdin, drop what clients send\n"
"  -B BANNER        write BANNER to each client first (relay, PROG, broker)\n"
"  -E               PROG: its stderr goes to the client too\n"
"  -l NAME          PROG: TCPLOCALHOST=NAME (default: unset)\n"
"  --lookup         PROG: TCPREMOTEHOST, the client's name if its forward\n"
"                   lookup gives the client's address back\n"
"  --ready-fd N     once listening, write a newline to descriptor N, close it\n"
"  --systemd[=NAME] the socket systemd passed (LISTEN_FDS; NAME: the one\n"
"                   of that name), in place of HOST PORT\n"
"  --fd N           the listening socket open on descriptor N\n"
"  --sockopt NAME[=VALUE]  set a socket option on the listener, inherited by\n"
"                   every connection (repeatable): nodelay,\n"
"                   keepalive[=IDLE[:INTERVAL[:COUNT]]], rcvbuf=BYTES,\n"
"                   sndbuf=BYTES (k/M suffixes), tos=N, ttl=N, reuseport,\n"
"                   bindtodevice=IFACE, user-timeout=SECS, mark=N,\n"
"                   linger=SECS\n"
"PROG also gets TCPCONCURRENCY, the programs running with it.\n";

#define DEFAULT_BACKLOG	4096
#define DEFAULT_PROGS	40
#define DEFAULT_PENDING	(64 << 20)	/* --max-pending */

/* ---- accepting, shared by the three modes ---- */

int
admit_client(struct server *s, const union peer *p)
{
	char where[ADDRPORT_LEN];

	if (!acl_allows(&s->acl, &p->sa)) {
		if (s->verbose)
			warn_msg("denied %s", fmt_addrport(&p->sa, where,
			    sizeof(where)));
		return -1;
	}
	if (s->perip && ipcount_take(&s->perip_count, &p->sa, s->perip) < 0) {
		if (s->verbose)
			warn_msg("refused %s: too many connections",
			    fmt_addrport(&p->sa, where, sizeof(where)));
		return -1;
	}
	return 0;
}

int
accept_client(struct server *s, union peer *p, int flags)
{
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
	/* The header's addresses are judged, once they are in. */
	if (!s->proxy_proto && admit_client(s, p) < 0) {
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

/* ---- command line ---- */

enum { OPT_RECV_ONLY = 256, OPT_SEND_ONLY, OPT_CRLF, OPT_BROKER,
    OPT_PROXY_PROTO, OPT_FORWARD, OPT_SEND_PROXY };
enum { OPT_ECHO = 0x1200 };	/* not 'E': that is -E */

/* The relay's own options: exit 2 outside relay mode, or together. */
static void
check_relay_opts(const struct server *s)
{
	const char *opt = s->linger_set ? "-t" : s->recv_only ?
	    "--recv-only" : s->send_only ? "--send-only" : s->crlf ?
	    "--crlf" : NULL;

	if (opt && (s->prog || s->echo || s->broker || s->nfwd))
		die_usage("%s is for relay mode only", opt);
	if (s->recv_only && s->send_only)
		die_usage("--recv-only and --send-only exclude each other");
}

/* One more --forward TARGET, parsed later (forward_setup). */
static void
add_target(struct server *s, char *target)
{
	char **grown;

	if ((grown = realloc(s->fwd, (s->nfwd + 1) * sizeof(*grown))) == NULL)
		die_errno(EXIT_FAIL, "memory");
	s->fwd = grown;
	s->fwd[s->nfwd++] = target;
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
	if (s->sunlen && s->sv.src.kind != LSRC_BIND)
		die_usage("-U and --systemd/--fd exclude each other");
	/* A -U program gets ucspi-unix's environment, nothing more. */
	opt = s->dump.hex.path || s->dump.in.path || s->dump.out.path ?
	    "a dump" : s->x.banner ? "-B" : s->x.err_out ? "-E" :
	    s->x.lookup ? "--lookup" : s->x.localhost ? "-l" : NULL;
	if (s->sunlen && s->prog && opt)
		die_usage("%s is not for -U with PROG", opt);
}

static void
parse_options(int argc, char **argv, struct server *s)
{
	static const struct option longopts[] = {
		{ "broker", no_argument, NULL, OPT_BROKER },
		{ "echo", no_argument, NULL, OPT_ECHO },
		{ "help", no_argument, NULL, 'h' },
		{ "lookup", no_argument, NULL, OPT_LOOKUP },
		SERVICE_LONGOPTS,
		{ "max-pending", required_argument, NULL, 'P' },
		{ "recv-only", no_argument, NULL, OPT_RECV_ONLY },
		{ "send-only", no_argument, NULL, OPT_SEND_ONLY },
		{ "crlf", no_argument, NULL, OPT_CRLF },
		{ "proxy-protocol", no_argument, NULL, OPT_PROXY_PROTO },
		DUMP_LONGOPTS,
		{ "sockopt", required_argument, NULL, OPT_SOCKOPT },
		{ "mptcp", no_argument, NULL, OPT_MPTCP },
		{ "forward", required_argument, NULL, OPT_FORWARD },
		{ "send-proxy", optional_argument, NULL, OPT_SEND_PROXY },
		{ NULL, 0, NULL, 0 }
	};
	int ch, pending_set = 0, ops;

	s->file.mode = -1;
	while ((ch = next_opt(argc, argv,
	    "46vqDKkb:c:C:a:d:u:i:t:T:w:1B:El:U:m:", longopts,
	    tcpserve_usage)) != -1) {
		if (take_service_opt(&s->sv, ch) || take_ucspi_opt(&s->x, ch))
			continue;
		switch (ch) {
		case '4':
		case '6':
			xset_family(&s->family, ch);
			break;
		case 'v': s->verbose = 1; break;
		case 'q': s->quiet = 1; break;
		case 'k': s->keep = 1; break;
		case OPT_ECHO: s->echo = 1; break;
		case OPT_RECV_ONLY: s->recv_only = 1; break;
		case OPT_SEND_ONLY: s->send_only = 1; break;
		case OPT_CRLF: s->crlf = 1; break;
		case OPT_BROKER: s->broker = 1; break;
		case OPT_PROXY_PROTO: s->proxy_proto = 1; break;
		DUMP_CASES:
			xdump_opt(&s->dump, ch, optarg);
			break;
		case 'D': xsockopt_parse(&s->so, "nodelay"); break;
		case 'K': xsockopt_parse(&s->so, "keepalive"); break;
		case OPT_SOCKOPT: xsockopt_parse(&s->so, optarg); break;
		case OPT_MPTCP: s->so.mptcp = 1; break;
		case OPT_FORWARD:
			add_target(s, optarg);
			break;
		case OPT_SEND_PROXY:
			s->send_proxy = optarg ? (int)parse_uint(optarg, 1, 2,
			    "PROXY protocol version") : 1;
			break;
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
		case 'w':
			if ((s->wait_ms = parse_duration(optarg)) == 0)
				die_usage("invalid duration '%s'", optarg);
			break;
		case 'P':
			s->max_pending = (size_t)xparse_size(optarg,
			    BUDGET_CHUNK, (size_t)1 << 40, "size");
			pending_set = 1;
			break;
		}
	}
	/* --systemd, --fd and -U take HOST PORT's place. */
	ops = s->sv.src.kind == LSRC_BIND && s->sunlen == 0 ? 2 : 0;
	need_operands(argc, argv, ops, -1);
	if (argc - optind > ops)
		s->prog = argv + optind + ops;
	check_unix_opts(s);
	if (s->echo && s->broker)
		die_usage("--echo and --broker exclude each other");
	if ((s->echo || s->broker) && s->prog)
		die_usage("%s and PROG exclude each other",
		    s->echo ? "--echo" : "--broker");
	if (s->nfwd && (s->echo || s->broker || s->prog))
		die_usage("--forward and %s exclude each other",
		    s->echo ? "--echo" : s->broker ? "--broker" : "PROG");
	if (s->prog && s->idle_ms > 0)
		die_usage("-i is for relay, echo and broker modes, not PROG");
	if (!s->prog && s->limit_ms > 0)
		die_usage("-T is for PROG");
	if (pending_set && !s->echo && !s->broker && !s->nfwd)
		die_usage("--max-pending is for --echo, --broker and --forward");
	if (s->send_proxy && !s->nfwd)
		die_usage("--send-proxy is for --forward");
	if (s->wait_ms > 0 && !s->proxy_proto && !s->nfwd)
		die_usage("-w is for --forward and --proxy-protocol");
	if ((s->echo || s->broker) && (s->dump.hex.path || s->dump.in.path ||
	    s->dump.out.path))
		die_usage("%s cannot be dumped; relay and PROG can",
		    s->echo ? "--echo" : "--broker");
	check_relay_opts(s);
	check_ucspi_opts(s);
	check_service_opts(&s->sv, s->family, s->prog || s->echo || s->broker ?
	    NULL :
	    "relay mode");
	if (!s->prog && !s->echo && !s->broker && s->sv.src.kind == LSRC_FD &&
	    s->sv.src.fd <= 1)
		die_usage("--fd %d: relay mode copies stdin and stdout",
		    s->sv.src.fd);
	xsockopt_check(&s->so, SOCK_STREAM, SOCKOPT_SERVER);
}

int
tcpserve_main(int argc, char **argv)
{
	struct server s = { .family = AF_UNSPEC, .backlog = DEFAULT_BACKLOG,
	    .max_pending = DEFAULT_PENDING, .sv = SERVICE_INIT };
	sigset_t stops;
	char *host = NULL;
	int port = -1, rc;

	parse_options(argc, argv, &s);
	if (s.sunlen) {
		host = NULL;
		port = -1;
	} else if (s.sv.src.kind == LSRC_BIND) {
		if ((host = unbracket(argv[optind])) == NULL)
			die_usage("invalid host '%s'", argv[optind]);
		port = parse_port(argv[optind + 1], "tcp");
		check_family(host, s.family);
	}
	if (s.nfwd)
		forward_setup(&s);

	server_setup();
	xdump_open(&s.dump);
	/* The loop modes stop accepting before descriptors run out. */
	if (s.maxconn == 0)
		s.maxconn = s.prog ? DEFAULT_PROGS :
		    s.echo || s.broker ? fd_conn_cap(1) : s.nfwd ? fd_conn_cap(2) :
		    1;
	/* Stop signals are only taken while waiting, never mid-step. */
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGCHLD);
	sigprocmask(SIG_BLOCK, &stops, &s.waitmask);
	xcheck_mptcp(&s.so, s.family);
	if ((s.lfd = xservice_socket(&s.sv, SOCK_STREAM)) >= 0) {
		xsockopt_apply(&s.so, s.lfd, SOCKOPT_LISTEN);
	} else if (s.sunlen) {
		s.file.give = s.privs.user != NULL;
		s.file.uid = s.privs.uid;
		s.file.gid = s.privs.gid;
		s.lfd = xlisten_unix(&s.sun, s.sunlen, SOCK_STREAM, s.backlog,
		    &s.file);
	} else {
		s.lfd = xlisten_opts(host, port, s.family, SOCK_STREAM,
		    s.backlog, &s.so);
	}
	/* Readiness comes from poll; a vanished client must not block us. */
	fcntl(s.lfd, F_SETFL, O_NONBLOCK);
	if (!s.quiet && (port == 0 || s.verbose))
		announce_listen(s.lfd);
	xdrop_privs(&s.privs);
	ready_announce(&s.sv.ready, s.lfd);

	if (s.echo)
		rc = serve_echo(&s);
	else if (s.broker)
		rc = serve_broker(&s);
	else if (s.nfwd)
		rc = serve_forward(&s);
	else if (s.prog)
		rc = serve_programs(&s);
	else
		rc = serve_relay(&s);
	ready_stopping(&s.sv.ready);
	free(s.acl.rules);
	dump_close(&s.dump);
	free(s.fwd);
	ipcount_free(&s.perip_count);
	return rc;
}
