/*
 * udpsend: send datagrams to HOST PORT: the operands as one message, or
 * one per stdin line (sendmmsg batches), or all of stdin as one (-0);
 * optionally wait for a reply to each (-r), printed as a line (exactly
 * with -0).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include "udpsend.h"

const char udpsend_usage[] =
"usage: udpsend [-46v0br] [--any] [--no-mcast-loop] [-n COUNT] [-w SECS]\n"
"               [-s ADDR] [-p PORT] [--ttl N] [--mcast-if IFACE]\n"
"               [--hexdump FILE] [--dump-in FILE] [--dump-out FILE]\n"
"               [--sockopt NAME[=VALUE]]... HOST PORT [MESSAGE...]\n"
"       udpsend [-v0r] [-w SECS] -U PATH [MESSAGE...]\n"
"Send the MESSAGE operands, joined by spaces, as one datagram; without\n"
"them, send each line of stdin (its newline removed) as one datagram.\n"
"With -U, to the Unix-domain datagram socket PATH (@NAME: abstract).\n"
"With -U, to the Unix-domain datagram socket PATH (@NAME: abstract).\n"
"\n"
"  -4, -6    IPv4 / IPv6 only\n"
"  -v        report the peer and the number of datagrams sent\n"
"  -0        send all of stdin as one datagram, print replies exactly\n"
"  -b        allow a broadcast address; take replies from any address\n"
"  -r        wait for one reply to each datagram and print it as a line\n"
"  --any     after the last datagram, print every reply from any address\n"
"            as ADDR:PORT<TAB>PAYLOAD (-0: the payload) until SECS pass\n"
"  -n COUNT  --any: stop after COUNT replies\n"
"  -w SECS   how long -r waits for each reply, --any for all of them\n"
"            (default 2; 0: no limit)\n"
"  -s ADDR   source address\n"
"  -p PORT   source port\n"
"  -U PATH   send to a Unix-domain socket; with -r from an abstract\n"
"            address of its own the kernel picks\n"
"  --ttl N   multicast TTL / hop limit (default 1)\n"
"  --mcast-if IFACE  send to a multicast group through IFACE\n"
"  --no-mcast-loop   no copy of a multicast datagram to this host\n"
"  --dump-in FILE   copy the replies to FILE ('-': stderr)\n"
"  --dump-out FILE  copy the datagrams sent to FILE ('-': stderr)\n"
"  --hexdump FILE   write each datagram sent ('>') and reply ('<') to FILE\n"
"                   ('-': stderr) as a header and hex lines\n"
"                   (hexdump's canonical layout)\n"
"  --sockopt NAME[=VALUE]  set a socket option (repeatable): rcvbuf=BYTES,\n"
"            sndbuf=BYTES (k/M suffixes), tos=N, ttl=N, bindtodevice=IFACE,\n"
"            mark=N\n";

#define INBUF	(512 * 1024)	/* stdin read size; > DGRAM_MAX6 */

/*
 * The one buffer for stdin or the operands. Static, not malloc'd: the
 * error paths die with it in use, and there is no leak to report then.
 */
static char inbuf[INBUF];

/* One datagram: into the batch, or sent at once when replies are awaited. */
static void
add_datagram(struct sender *s, const char *p, size_t len)
{
	if (len > (size_t)s->max) {
		flush_batch(s);
		die_size(len, s->max);
	}
	if (!s->reply) {
		s->iov[s->n].iov_base = (void *)p;
		s->iov[s->n].iov_len = len;
		if (++s->n == BATCH)
			flush_batch(s);
		return;
	}
	send_now(s, p, len);
	await_reply(s);
}

/* read(2) that retries EINTR and dies on errors. */
static size_t
read_in(char *buf, size_t len)
{
	ssize_t n;

	while ((n = read(STDIN_FILENO, buf, len)) < 0)
		if (errno != EINTR)
			die_errno(EXIT_FAIL, "read stdin");
	return (size_t)n;
}

/* The full length of an overlong line: have bytes so far, the rest unread. */
static void __attribute__((noreturn))
die_long_line(char *buf, unsigned long long have, int max)
{
	size_t n;
	char *nl;

	while ((n = read_in(buf, INBUF)) > 0) {
		if ((nl = memchr(buf, '\n', n)) != NULL) {
			have += nl - buf;
			break;
		}
		have += n;
	}
	die_size(have, max);
}

/* Each line of stdin, newline removed, is a datagram. */
static void
send_lines(struct sender *s)
{
	char *buf = inbuf, *p, *nl;
	size_t have = 0, n, rest;

	/* A pipe of 64 KiB would cap each read (and batch) at ~1000 lines. */
	fcntl(STDIN_FILENO, F_SETPIPE_SZ, INBUF);
	while ((n = read_in(buf + have, INBUF - have)) > 0) {
		have += n;
		for (p = buf; (nl = memchr(p, '\n', buf + have - p)); p = nl + 1)
			add_datagram(s, p, nl - p);
		/* The batch points into buf: send it before buf moves. */
		flush_batch(s);
		rest = buf + have - p;
		if (rest > (size_t)s->max)
			die_long_line(buf, rest, s->max);
		memmove(buf, p, rest);
		have = rest;
	}
	if (have > 0)
		add_datagram(s, buf, have);	/* a last line without newline */
	flush_batch(s);
}

/* All of stdin is one datagram. */
static void
send_all(struct sender *s)
{
	char *buf = inbuf;
	size_t have = 0, n;
	unsigned long long total;

	while (have <= (size_t)s->max &&
	    (n = read_in(buf + have, s->max + 1 - have)) > 0)
		have += n;
	if (have > (size_t)s->max) {
		total = have;
		while ((n = read_in(buf, s->max + 1)) > 0)
			total += n;
		die_size(total, s->max);
	}
	add_datagram(s, buf, have);
	flush_batch(s);
}

/* The operands joined by single spaces are one datagram. */
static void
send_operands(struct sender *s, char **words, int n)
{
	size_t len = 0, at = 0;
	char *msg = inbuf;
	int i;

	for (i = 0; i < n; i++)
		len += strlen(words[i]) + 1;
	if (len - 1 > (size_t)s->max)
		die_size(len - 1, s->max);
	for (i = 0; i < n; i++) {
		len = strlen(words[i]);
		memcpy(msg + at, words[i], len);
		at += len;
		msg[at++] = ' ';
	}
	add_datagram(s, msg, at - 1);
	flush_batch(s);
}

/*
 * The options of a socket for ai: errors queued (IP_RECVERR) unless --any
 * takes replies from anyone, broadcast, and the multicast options, which
 * only mean something for a group (exit 2 otherwise).
 */
static void
set_options(struct sender *s, const struct addrinfo *ai)
{
	const char *what;
	int one = 1;

	if (s->broadcast)
		setsockopt(s->fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	if (!s->any && ai->ai_family == AF_INET6)
		setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVERR, &one,
		    sizeof(one));
	else if (!s->any)
		setsockopt(s->fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	if (s->mopt == NULL)
		return;
	if (!is_multicast(ai->ai_addr))
		die_usage("%s: %s is not a multicast group", s->mopt, s->host);
	if (mcast_set_out(s->fd, ai->ai_family, &s->mout, &what) < 0)
		die_errno(EXIT_FAIL, "%s", what);
}

/*
 * A socket connected to the first of HOST's addresses that takes one. Not
 * connected with -b, --any or to a multicast group, so that a reply from
 * any address is received (the replies to a broadcast or a group come from
 * the hosts that answer): the first address the socket is made for is
 * where datagrams go.
 */
static void
open_peer(struct sender *s, int port, int family, const struct source *src)
{
	struct addrinfo *res, *ai;
	int err, saved = EAFNOSUPPORT;

	if ((err = resolve_host(s->host, port, family, SOCK_DGRAM, &res)) != 0)
		die_msg(EXIT_FAIL, "%s port %s: %s", s->host, s->port,
		    gai_msg(err));
	s->fd = -1;
	for (ai = res; ai && s->fd < 0; ai = ai->ai_next) {
		if ((s->fd = socket_for(ai, src, 0)) < 0) {
			saved = errno;
			continue;
		}
		xsockopt_apply(src->opts, s->fd, SOCKOPT_CONNECT);
		set_options(s, ai);
		if (s->broadcast || s->any || is_multicast(ai->ai_addr)) {
			memcpy(&s->to, ai->ai_addr, ai->ai_addrlen);
			s->tolen = ai->ai_addrlen;
		} else if (connect(s->fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			saved = errno;
			close(s->fd);
			s->fd = -1;
			continue;
		}
		s->max = dgram_max(ai->ai_addr);
		fmt_addrport(ai->ai_addr, s->peer, sizeof(s->peer));
	}
	freeaddrinfo(res);
	if (s->fd < 0) {
		errno = saved;
		die_errno(EXIT_FAIL, "%s port %s: connect", s->host, s->port);
	}
	if (s->verbose)
		warn_msg("sending to %s", s->peer);
}

/*
 * -U: a datagram socket connected to sun. Replies need an address to
 * come to: with -r, an abstract one the kernel picks (bind with only the
 * family), so there is no file to remove.
 */
static void
open_unix(struct sender *s)
{
	struct sockaddr_un me = { .sun_family = AF_UNIX };

	if ((s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		die_errno(EXIT_FAIL, "socket");
	if (s->reply && bind(s->fd, (struct sockaddr *)&me,
	    sizeof(sa_family_t)) < 0)
		die_errno(EXIT_FAIL, "bind");
	if (connect(s->fd, (const struct sockaddr *)&s->sun, s->sunlen) < 0)
		die_errno(EXIT_FAIL, "%s: connect", s->host);
	s->max = dgram_max((const struct sockaddr *)&s->sun);
	snprintf(s->peer, sizeof(s->peer), "%s", s->host);
	if (s->verbose)
		warn_msg("sending to %s", s->peer);
}

/* -s ADDR: a numeric address of the family asked for, or exit 2. */
static const char *
check_source(char *arg, int family)
{
	char *a = unbracket(arg);

	if (a == NULL || !is_numeric_addr(a))
		die_usage("invalid source address '%s'", arg);
	check_family(a, family);
	return a;
}

/* Long options: values past any letter. */
enum { OPT_ANY = 256, OPT_TTL, OPT_MCAST_IF, OPT_NO_LOOP };

/* The options into s, src and family; conflicts exit 2. */
static void
parse_options(int argc, char **argv, struct sender *s, struct source *src,
    int *family)
{
	static const struct option longopts[] = {
		{ "any", no_argument, NULL, OPT_ANY },
		{ "help", no_argument, NULL, 'h' },
		{ "mcast-if", required_argument, NULL, OPT_MCAST_IF },
		{ "no-mcast-loop", no_argument, NULL, OPT_NO_LOOP },
		{ "ttl", required_argument, NULL, OPT_TTL },
		{ "sockopt", required_argument, NULL, OPT_SOCKOPT },
		DUMP_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int ch, wait_set = 0;

	s->wait_ms = 2000;
	s->mout.ttl = -1;
	while ((ch = next_opt(argc, argv, "460bn:p:rs:U:vw:", longopts,
	    udpsend_usage)) != -1) {
		switch (ch) {
		DUMP_CASES:
			xdump_opt(&s->dump, ch, optarg);
			break;
		case OPT_SOCKOPT:
			xsockopt_parse(&s->so, optarg);
			break;
		case '4':
		case '6':
			xset_family(family, ch);
			break;
		case '0':
			s->exact = 1;
			break;
		case 'b':
			s->broadcast = 1;
			break;
		case 'n':
			s->limit = parse_uint(optarg, 1, ~0ULL, "count");
			break;
		case 'p':
			src->port = parse_port(optarg, "udp");
			break;
		case 'r':
			s->reply = 1;
			break;
		case 's':
			src->addr = optarg;
			break;
		case 'U':
			xunix_sockaddr(optarg, &s->sun, &s->sunlen);
			s->host = optarg;
			break;
		case 'v':
			s->verbose = 1;
			break;
		case 'w':
			s->wait_ms = parse_duration(optarg);
			wait_set = 1;
			break;
		case OPT_ANY:
			s->any = 1;
			break;
		case OPT_TTL:
			s->mout.ttl = (int)parse_uint(optarg, 0, 255, "TTL");
			s->mopt = s->mopt ? s->mopt : "--ttl";
			break;
		case OPT_MCAST_IF:
			s->mout.ifindex = xparse_iface(optarg);
			s->mopt = s->mopt ? s->mopt : "--mcast-if";
			break;
		case OPT_NO_LOOP:
			s->mout.no_loop = 1;
			s->mopt = s->mopt ? s->mopt : "--no-mcast-loop";
			break;
		}
	}
	if (wait_set && !s->reply && !s->any)
		die_usage("-w needs -r or --any");
	if (s->limit && !s->any)
		die_usage("-n needs --any");
	/* --any implies -r: replies are collected after the last send. */
	if (s->any)
		s->reply = 0;
}

int
udpsend_main(int argc, char **argv)
{
	static struct sender s;
	struct source src = { NULL, 0, &s.so };
	int port, family = AF_UNSPEC, err, nops;

	parse_options(argc, argv, &s, &src, &family);
	/* -U PATH takes HOST PORT's place; no address options with it. */
	if (s.sunlen && (family != AF_UNSPEC || src.addr || src.port ||
	    s.broadcast || s.any || s.mopt || s.so.set))
		die_usage("%s cannot be used with -U", family != AF_UNSPEC ?
		    "-4/-6" : src.addr ? "-s" : src.port ? "-p" : s.broadcast ?
		    "-b" : s.any ? "--any" : s.mopt ? s.mopt : "--sockopt");
	nops = s.sunlen ? 0 : 2;
	need_operands(argc, argv, nops, -1);
	if (s.exact && argc - optind > nops)
		die_usage("-0 reads stdin: no MESSAGE operands with it");
	if (s.sunlen) {
		xdump_open(&s.dump);
		open_unix(&s);
	} else {
		s.host = unbracket(argv[optind]);
		s.port = argv[optind + 1];
		if (s.host == NULL)
			die_usage("invalid host '%s'", argv[optind]);
		port = parse_port(s.port, "udp");
		if (src.addr)
			src.addr = check_source((char *)src.addr, family);
		check_family(s.host, family);
		xsockopt_check(&s.so, SOCK_DGRAM, SOCKOPT_CLIENT);
		xdump_open(&s.dump);
		open_peer(&s, port, family, &src);
		/* UDP_SEGMENT is for UDP: a Unix datagram is sent whole. */
		s.gso = 1;
	}
	if (argc - optind > nops)
		send_operands(&s, argv + optind + nops, argc - optind - nops);
	else if (s.exact)
		send_all(&s);
	else
		send_lines(&s);
	if (!s.reply && !s.any && (err = net_error(s.fd)) != 0)
		die_peer(&s, err);
	if (s.verbose)
		warn_msg("%llu datagrams sent to %s", s.sent, s.peer);
	if (s.any)
		collect_replies(&s);
	return s.rc;
}
