/*
 * tcpserve: a TCP server: accepting, the command line and main. Each
 * mode is a file of its own: tcpserve_relay.c (one connection with stdin
 * and stdout), tcpserve_prog.c (a program per connection, ucspi-tcp's
 * model), and on the event loop (tcpserve_loop.c) tcpserve_echo.c,
 * tcpserve_broker.c and tcpserve_forward.c.
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

#define DEFAULT_BACKLOG	4096
#define DEFAULT_PROGS	40
#define DEFAULT_PENDING	(64 << 20)	/* --max-pending */

/* ---- accepting, shared by the modes ---- */

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
