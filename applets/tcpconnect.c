/*
 * tcpconnect: a TCP client: pipe stdin and stdout through a connection, run
 * a program on it (UCSPI), or check which ports accept (-z).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include "../lib/sockbox.h"

const char tcpconnect_usage[] =
"usage: tcpconnect [-46v] [-w SECS] [-i SECS] [-s ADDR] [-p PORT] [-z]\n"
"                  HOST PORT [PROG [ARGS...]]\n"
"Connect to HOST on TCP PORT (every address, Happy Eyeballs), then copy\n"
"stdin to the connection and the connection to stdout until the server\n"
"closes; or run PROG with stdin and stdout on the connection.\n"
"\n"
"  -4, -6    IPv4 only, IPv6 only\n"
"  -i SECS   idle timeout: no data either way for SECS ends it (exit 1)\n"
"  -p PORT   local source port\n"
"  -s ADDR   local source address\n"
"  -v        print 'tcpconnect: connected to ADDR:PORT' on stderr\n"
"  -w SECS   give up connecting after SECS\n"
"  -z        connect and close, no data; PORT may be a range LO-HI: print\n"
"            'HOST PORT open' for each open port (with -v the reason for\n"
"            each closed one on stderr); exit 0 if any was open\n";

struct opts {
	int family, verbose, scan;
	long long wait_ms, idle_ms;
	const char *idle_arg;
	struct source src;
};

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

	if (!scan || dash == NULL || *s < '0' || *s > '9') {
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
set_port(struct addrinfo *res, int port)
{
	struct addrinfo *ai;

	for (ai = res; ai; ai = ai->ai_next)
		if (ai->ai_family == AF_INET6)
			((struct sockaddr_in6 *)ai->ai_addr)->sin6_port =
			    htons(port);
		else
			((struct sockaddr_in *)ai->ai_addr)->sin_port =
			    htons(port);
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
 * -z: try each port from lo to hi; 0 if any was open. Closed ports of a
 * range are only reported with -v.
 */
static int
scan_ports(const char *host, struct addrinfo *res, int lo, int hi,
    int range, const struct opts *o)
{
	int port, fd, rc = EXIT_FAIL;

	for (port = lo; port <= hi; port++) {
		set_port(res, port);
		if ((fd = connect_any(res, &o->src, o->wait_ms)) < 0) {
			if (o->verbose || !range)
				warn_errno("%s port %d", host, port);
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

/* Run argv on the connection and return its status as a shell would. */
static int
run_prog(char **argv, int fd)
{
	struct sockaddr_storage local = { 0 }, remote = { 0 };
	pid_t pid;
	int status;

	local_addr(fd, &local);
	peer_addr(fd, &remote);
	pid = spawn_prog(argv, fd, fd, "TCP", (struct sockaddr *)&local,
	    (struct sockaddr *)&remote);
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

/* Options into o; exits 2 on bad ones. */
static void
parse_opts(int argc, char **argv, struct opts *o)
{
	int ch;

	while ((ch = next_opt(argc, argv, "46i:p:s:vw:z", NULL,
	    tcpconnect_usage)) != -1) {
		switch (ch) {
		case '4':
		case '6':
			o->family = ch == '4' ? AF_INET : AF_INET6;
			break;
		case 'i':
			o->idle_ms = parse_duration(optarg);
			o->idle_arg = optarg;
			break;
		case 'p':
			o->src.port = parse_port(optarg, "tcp");
			break;
		case 's':
			if (!is_numeric_addr(optarg))
				die_usage("invalid source address '%s'",
				    optarg);
			o->src.addr = optarg;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'w':
			o->wait_ms = parse_duration(optarg);
			break;
		case 'z':
			o->scan = 1;
			break;
		}
	}
	need_operands(argc, argv, 2, -1);
	if (argc - optind > 2 && (o->scan || o->idle_arg))
		die_usage("-%c cannot be used with PROG", o->scan ? 'z' : 'i');
	if (o->scan && o->idle_arg)
		die_usage("-i cannot be used with -z");
	if (o->src.addr) {
		/* A source address decides the family to connect with. */
		check_family(o->src.addr, o->family);
		if (o->family == AF_UNSPEC)
			o->family = strchr(o->src.addr, ':') ? AF_INET6 :
			    AF_INET;
	}
}

int
tcpconnect_main(int argc, char **argv)
{
	struct opts o = { .family = AF_UNSPEC };
	struct addrinfo *res;
	char *host;
	int lo, hi, range, err, fd;

	parse_opts(argc, argv, &o);
	if ((host = unbracket(argv[optind])) == NULL || *host == '\0')
		die_usage("invalid host '%s'", argv[optind]);
	check_family(host, o.family);
	range = parse_ports(argv[optind + 1], o.scan, &lo, &hi);
	open_stdfds();
	if ((err = resolve_host(host, lo, o.family, SOCK_STREAM, &res)) != 0)
		die_msg(EXIT_FAIL, "%s port %d: %s", host, lo, gai_msg(err));
	if (o.scan) {
		err = scan_ports(host, res, lo, hi, range, &o);
		freeaddrinfo(res);
		return err;
	}
	if ((fd = connect_any(res, &o.src, o.wait_ms)) < 0)
		die_errno(EXIT_FAIL, "%s port %d", host, lo);
	freeaddrinfo(res);
	if (o.verbose)
		say_connected(fd);
	if (argc - optind > 2)
		return run_prog(argv + optind + 2, fd);
	if (relay(STDIN_FILENO, STDOUT_FILENO, fd, o.idle_ms) < 0) {
		if (errno == ETIMEDOUT)
			die_msg(EXIT_FAIL, "%s port %d: idle for %s s", host,
			    lo, o.idle_arg);
		die_errno(EXIT_FAIL, "%s port %d", host, lo);
	}
	return EXIT_OK;
}
