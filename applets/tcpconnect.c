/*
 * tcpconnect: a TCP client: pipe stdin and stdout through a connection, run
 * a program on it (UCSPI), or check which ports accept (-z).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include "tcpconnect.h"
#include "../lib/relay.h"
#include "../lib/unixsock.h"

#define DEFAULT_PARALLEL	100
#define DEFAULT_INTERVAL_MS	500

enum { OPT_SEND_ONLY = 256, OPT_WAIT, OPT_INTERVAL, OPT_PARALLEL };

/*
 * Parse "LO-HI" (-z only) or one port into lo and hi, or exit 2. Returns
 * whether it was a range.
 */
static int
parse_ports(const char *s, int scan, int *lo, int *hi)
{
	char buf[16];
	const char *dash = strchr(s, '-');
	size_t n;

	/* A range starts with a number; "3com-tsmux" may be a service. */
	if (!scan || dash == NULL || dash == s ||
	    strspn(s, "0123456789") != (size_t)(dash - s)) {
		*lo = *hi = parse_port(s, "tcp");
		return 0;
	}
	n = (size_t)(dash - s);
	if (n >= sizeof(buf))
		die_usage("invalid port '%s'", s);
	memcpy(buf, s, n);
	buf[n] = '\0';
	*lo = (int)parse_uint(buf, 0, 65535, "port");
	*hi = (int)parse_uint(dash + 1, 0, 65535, "port");
	if (*lo > *hi)
		die_usage("invalid port range '%s'", s);
	return 1;
}

static void
say_connected(int fd)
{
	struct sockaddr_storage ss;
	char where[ADDRPORT_LEN];

	if (peer_addr(fd, &ss) == 0)
		warn_msg("connected to %s", fmt_addrport((struct sockaddr *)&ss,
		    where, sizeof(where)));
}

/*
 * Connect to -U's socket within bound ms (> 0; a Unix connect waits only
 * while the listener's backlog is full, and SO_SNDTIMEO bounds that).
 */
static int
connect_unix(const struct opts *o, long long bound, char *why, size_t len)
{
	struct timeval tv = { 0, 0 };
	int fd;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(why, len, "socket: %s", strerror(errno));
		return -1;
	}
	tv.tv_sec = bound > 0 ? bound / 1000 : 0;
	tv.tv_usec = bound > 0 ? bound % 1000 * 1000 : 0;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&o->sun, o->sunlen) < 0) {
		snprintf(why, len, "%s: connect: %s", o->unix_path,
		    strerror(errno == EAGAIN ? ETIMEDOUT : errno));
		close(fd);
		return -1;
	}
	tv.tv_sec = tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/*
 * One try at connecting to host port within bound ms, through the proxy
 * with -x (name lookup included without): the socket, or < 0 with the
 * reason in why (PROXY_FAILED: the proxy itself failed us).
 */
static int
try_connect(const char *host, int port, long long bound,
    const struct opts *o, char *why, size_t len)
{
	struct addrinfo *res;
	int err, fd;

	if (o->sunlen)
		return connect_unix(o, bound, why, len);
	if (o->proxy.proto != PROXY_NONE)
		return proxy_connect(&o->proxy, o->proxy_res, &o->src, o->dest,
		    port, bound, why, len);
	if ((err = resolve_host(host, port, o->family, SOCK_STREAM, &res))) {
		snprintf(why, len, "%s port %d: %s", host, port, gai_msg(err));
		return -1;
	}
	if ((fd = connect_any(res, &o->src, bound)) < 0)
		snprintf(why, len, "%s port %d: connect: %s", host, port,
		    strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/*
 * Connect to host, retrying every --interval until --wait runs out;
 * without --wait, one try. Returns the socket, or exits 1 with the last
 * failure.
 */
static int
connect_host(const char *host, int port, const struct opts *o)
{
	long long deadline = o->until_ms > 0 ? now_ms() + o->until_ms : -1;
	long long t, bound;
	struct timespec ts;
	char why[512];
	int fd;

	for (;;) {
		bound = o->wait_ms;
		t = now_ms();
		/* An attempt never outlasts --wait. */
		if (deadline >= 0 && (bound <= 0 || deadline - t < bound))
			bound = deadline - t > 0 ? deadline - t : 1;
		if ((fd = try_connect(host, port, bound, o, why,
		    sizeof(why))) >= 0)
			return fd;
		t = now_ms();
		if (!o->until_arg || (deadline >= 0 &&
		    t + o->interval_ms >= deadline))
			die_msg(EXIT_FAIL, "%s", why);
		ts.tv_sec = o->interval_ms / 1000;
		ts.tv_nsec = o->interval_ms % 1000 * 1000000L;
		nanosleep(&ts, NULL);
	}
}

/* Exit 2 if any of the relay's options is set: they mean nothing there. */
static void
no_relay_opts(const struct opts *o, const char *where)
{
	const char *opt = o->idle_arg ? "-i" : o->linger_arg ? "-t" :
	    o->quit_arg ? "-q" : o->recv_only ? "-d" : o->crlf ? "-C" :
	    o->send_only ? "--send-only" : NULL;

	if (opt)
		die_usage("%s cannot be used with %s", opt, where);
}

/* What -U PATH excludes: everything about addresses and ports. */
static void
check_unix_opts(const struct opts *o)
{
	const char *opt = o->scan ? "-z" : o->family != AF_UNSPEC ? "-4/-6" :
	    o->src.addr ? "-s" : o->src.port ? "-p" : o->proxy_url ? "-x" :
	    o->numeric ? "-n" : o->json ? "-j" : o->parallel_arg ?
	    "--parallel" : o->so.mptcp ? "--mptcp" : o->so.set ?
	    "--sockopt/-D/-K" : NULL;

	if (opt)
		die_usage("%s cannot be used with -U", opt);
}

/* Options that exclude each other, or need another; exits 2. */
static void
check_opts(int argc, const struct opts *o)
{
	int nprog = argc - optind - (o->sunlen ? 0 : 2);

	if (nprog > 0 && o->scan)
		die_usage("-z cannot be used with PROG");
	if (nprog > 0)
		no_relay_opts(o, "PROG");
	if (o->scan)
		no_relay_opts(o, "-z");
	if (o->scan && (o->dump.hex.path || o->dump.in.path ||
	    o->dump.out.path))
		die_usage("-z sends no data: no dump with it");
	if (o->recv_only && o->send_only)
		die_usage("-d and --send-only exclude each other");
	if (o->json && !o->scan)
		die_usage("-j needs -z");
	if (o->parallel_arg && !o->scan)
		die_usage("--parallel needs -z");
	if (o->interval_arg && !o->until_arg)
		die_usage("--interval needs --wait");
	if ((o->proxy_proto || o->proxy_user) && !o->proxy_url)
		die_usage("-%c needs -x PROXY", o->proxy_proto ? 'X' : 'P');
	if (o->sunlen)
		check_unix_opts(o);
	/* Through a proxy, a scan is one handshake after another. */
	if (o->proxy_url && (o->json || o->parallel_arg))
		die_usage("%s cannot be used with -x", o->json ? "-j" :
		    "--parallel");
}

/*
 * -z through the proxy: a port the proxy refuses is closed (reported
 * with -v, or for one port); a proxy that fails us is always reported.
 */
static int
scan_proxy(const char *host, int lo, int hi, int range, const struct opts *o)
{
	char why[512];
	int port, fd, rc = EXIT_FAIL;

	for (port = lo; port <= hi; port++) {
		fd = try_connect(host, port, o->wait_ms, o, why, sizeof(why));
		if (fd < 0) {
			if (o->verbose || !range || fd == PROXY_FAILED)
				warn_msg("%s", why);
			continue;
		}
		if (o->verbose)
			say_connected(fd);
		close(fd);
		printf("%s %d open\n", host, port);
		xflush_stdout();
		rc = EXIT_OK;
	}
	return rc;
}

/* Options into o; exits 2 on bad ones. */
static void
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "crlf", no_argument, NULL, 'C' },
		{ "recv-only", no_argument, NULL, 'd' },
		{ "send-only", no_argument, NULL, OPT_SEND_ONLY },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "parallel", required_argument, NULL, OPT_PARALLEL },
		{ "help", no_argument, NULL, 'h' },
		DUMP_LONGOPTS,
		{ "sockopt", required_argument, NULL, OPT_SOCKOPT },
		{ "mptcp", no_argument, NULL, OPT_MPTCP },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = next_opt(argc, argv, "46CDdi:jKNnP:p:q:s:t:U:vw:X:x:z",
	    longopts, tcpconnect_usage)) != -1) {
		switch (ch) {
		case '4':
		case '6':
			xset_family(&o->family, ch);
			break;
		case 'C': o->crlf = 1; break;
		case 'd': o->recv_only = 1; break;
		case 'j': o->json = 1; break;
		case 'N': break;	/* the default */
		case 'n': o->numeric = 1; break;
		case 'v': o->verbose = 1; break;
		case 'z': o->scan = 1; break;
		case OPT_SEND_ONLY: o->send_only = 1; break;
		DUMP_CASES:
			xdump_opt(&o->dump, ch, optarg);
			break;
		case 'D': xsockopt_parse(&o->so, "nodelay"); break;
		case 'K': xsockopt_parse(&o->so, "keepalive"); break;
		case OPT_SOCKOPT: xsockopt_parse(&o->so, optarg); break;
		case OPT_MPTCP: o->so.mptcp = 1; break;
		case 'i':
			o->idle_ms = parse_duration(optarg);
			o->idle_arg = optarg;
			break;
		case 'P':
			o->proxy_user = optarg;
			break;
		case 'p':
			o->src.port = parse_port(optarg, "tcp");
			break;
		case 'q':
			o->quit_ms = parse_duration(optarg);
			o->quit_arg = optarg;
			break;
		case 's':
			if (!is_numeric_addr(optarg))
				die_usage("invalid source address '%s'",
				    optarg);
			o->src.addr = optarg;
			break;
		case 't':
			o->linger_ms = parse_duration(optarg);
			o->linger_arg = optarg;
			break;
		case 'U':
			xunix_sockaddr(optarg, &o->sun, &o->sunlen);
			o->unix_path = optarg;
			break;
		case 'w':
			o->wait_ms = parse_duration(optarg);
			break;
		case 'X':
			o->proxy_proto = optarg;
			break;
		case 'x':
			o->proxy_url = optarg;
			break;
		case OPT_WAIT:
			o->until_ms = parse_duration(optarg);
			o->until_arg = optarg;
			break;
		case OPT_INTERVAL:
			o->interval_ms = parse_duration(optarg);
			o->interval_arg = optarg;
			break;
		case OPT_PARALLEL:
			o->parallel = (unsigned)parse_uint(optarg, 1, 10000,
			    "parallel count");
			o->parallel_arg = optarg;
			break;
		}
	}
	need_operands(argc, argv, o->sunlen ? 0 : 2, -1);
	check_opts(argc, o);
	xsockopt_check(&o->so, SOCK_STREAM, SOCKOPT_CLIENT);
	o->src.opts = &o->so;
	if (o->proxy_url)
		xparse_proxy(o->proxy_url, o->proxy_proto, o->proxy_user,
		    &o->proxy);
	if (o->src.addr) {
		/* A source address decides the family to connect with. */
		check_family(o->src.addr, o->family);
		if (o->family == AF_UNSPEC)
			o->family = strchr(o->src.addr, ':') ? AF_INET6 :
			    AF_INET;
	}
}

/* -U PATH: the connection, then PROG or the relay. */
static int
unix_main(int argc, char **argv, struct opts *o)
{
	int fd;

	open_stdfds();
	xdump_open(&o->dump);
	fd = connect_host(o->unix_path, 0, o);
	if (o->verbose)
		say_connected(fd);
	if (argc - optind > 0)
		return run_prog(argv + optind, fd, &o->dump);
	return relay_conn(o->unix_path, fd, o);
}

int
tcpconnect_main(int argc, char **argv)
{
	struct opts o = { .family = AF_UNSPEC, .parallel = DEFAULT_PARALLEL,
	    .interval_ms = DEFAULT_INTERVAL_MS };
	struct addrinfo *res;
	char *host, where[NI_MAXHOST + 16];
	int lo, hi, range, err, fd;

	parse_opts(argc, argv, &o);
	if (o.sunlen)
		return unix_main(argc, argv, &o);
	if ((host = unbracket(argv[optind])) == NULL || *host == '\0')
		die_usage("invalid host '%s'", argv[optind]);
	check_family(host, o.family);
	if (o.numeric && !is_numeric_addr(host))
		die_usage("-n: '%s' is not a numeric address", host);
	range = parse_ports(argv[optind + 1], o.scan, &lo, &hi);
	if (range && o.until_arg)
		die_usage("--wait takes one port, not a range");
	open_stdfds();
	xdump_open(&o.dump);
	xcheck_mptcp(&o.so, o.family);
	if (o.proxy.proto != PROXY_NONE) {
		if (o.numeric && !is_numeric_addr(o.proxy.host))
			die_usage("-n: '%s' is not a numeric address",
			    o.proxy.host);
		o.proxy_res = xproxy_prepare(&o.proxy, host, lo, o.family,
		    o.dest, sizeof(o.dest));
		if (o.scan && !o.until_arg) {
			err = scan_proxy(host, lo, hi, range, &o);
			freeaddrinfo(o.proxy_res);
			return err;
		}
	}
	if (o.scan && !o.until_arg) {
		if ((err = resolve_host(host, lo, o.family, SOCK_STREAM,
		    &res)) != 0)
			die_msg(EXIT_FAIL, "%s port %d: %s", host, lo,
			    gai_msg(err));
		err = scan_ports(host, res, lo, hi, range, &o);
		freeaddrinfo(res);
		return err;
	}
	fd = connect_host(host, lo, &o);
	if (o.proxy_res)
		freeaddrinfo(o.proxy_res);
	if (o.verbose)
		say_connected(fd);
	if (o.scan) {
		close(fd);
		printf("%s %d open\n", host, lo);
		xflush_stdout();
		return EXIT_OK;
	}
	if (argc - optind > 2)
		return run_prog(argv + optind + 2, fd, &o.dump);
	snprintf(where, sizeof(where), "%s port %d", host, lo);
	return relay_conn(where, fd, &o);
}
