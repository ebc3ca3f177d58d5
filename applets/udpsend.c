/*
 * udpsend: send datagrams to HOST PORT: the operands as one message, or
 * one per stdin line (sendmmsg batches), or all of stdin as one (-0);
 * optionally wait for a reply to each (-r), printed as a line (exactly
 * with -0).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/uio.h>
#include "../lib/endpoint.h"

const char udpsend_usage[] =
"usage: udpsend [-46v0br] [-w SECS] [-s ADDR] [-p PORT] HOST PORT "
"[MESSAGE...]\n"
"       udpsend [-v0r] [-w SECS] -U PATH [MESSAGE...]\n"
"Send the MESSAGE operands, joined by spaces, as one datagram; without\n"
"them, send each line of stdin (its newline removed) as one datagram.\n"
"With -U, to the Unix-domain datagram socket PATH (@NAME: abstract).\n"
"\n"
"  -4, -6    IPv4 / IPv6 only\n"
"  -v        report the peer and the number of datagrams sent\n"
"  -0        send all of stdin as one datagram, print replies exactly\n"
"  -b        allow a broadcast address; take replies from any address\n"
"  -r        wait for one reply to each datagram and print it as a line\n"
"  -w SECS   how long -r waits for each reply (default 2; 0: no limit)\n"
"  -s ADDR   source address\n"
"  -p PORT   source port\n"
"  -U PATH   send to a Unix-domain socket; with -r from an abstract\n"
"            address of its own the kernel picks\n";

#define BATCH	1024		/* datagrams per sendmmsg (UIO_MAXIOV) */
#define GSO_SEGS 64		/* datagrams per UDP_SEGMENT send (kernel max) */
#define GSO_LEN	1200		/* fits any path MTU IPv6 allows */
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#define INBUF	(512 * 1024)	/* stdin read size; > DGRAM_MAX6 */

/*
 * The one buffer for stdin or the operands. Static, not malloc'd: the
 * error paths die with it in use, and there is no leak to report then.
 */
static char inbuf[INBUF];

struct sender {
	int fd, max, reply, verbose, rc;
	int exact;			/* -0: replies printed as received */
	/* -b: the socket is not connected; where each datagram goes */
	struct sockaddr_storage to;
	socklen_t tolen;
	long long wait_ms;
	const char *host, *port;	/* as given, for messages */
	char peer[ADDRPORT_LEN];
	unsigned long long sent;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];	/* one per datagram */
	int n;				/* datagrams in the batch */
	int gso;			/* UDP_SEGMENT works here */
	int per[BATCH];			/* datagrams in each of msgs */
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(uint16_t))];
	} seg[BATCH];
};

/* A failure of the exchange with the peer: "HOST port PORT: reason". */
static void __attribute__((noreturn))
die_peer(const struct sender *s, int err)
{
	errno = err;
	if (s->port == NULL)
		die_errno(EXIT_FAIL, "%s", s->host);	/* -U PATH */
	die_errno(EXIT_FAIL, "%s port %s", s->host, s->port);
}

static void __attribute__((noreturn))
die_size(unsigned long long size, int max)
{
	die_msg(EXIT_FAIL, "datagram of %llu bytes is larger than the "
	    "maximum of %d", size, max);
}

/*
 * An error the network reported for what we sent (ICMP port unreachable
 * and the like), or 0. IP_RECVERR queues them, so one that a sendmmsg
 * consumed without returning it is still found here.
 */
static int
net_error(int fd)
{
	_Alignas(struct cmsghdr) char cbuf[512];
	struct msghdr mh = { .msg_control = cbuf,
	    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	uint32_t ee_errno;
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err)
		return err;
	if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		return 0;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if ((cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_RECVERR) ||
		    (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_RECVERR)) {
			/* struct sock_extended_err starts with it. */
			memcpy(&ee_errno, CMSG_DATA(cm), sizeof(ee_errno));
			return (int)ee_errno;
		}
	}
	return 0;
}

/*
 * Whether a send may be retried: no buffer space, or EMSGSIZE, which for
 * a datagram within the limit only means the path MTU just shrank (the
 * kernel fragments the retry).
 */
static int
transient(int err)
{
	return err == ENOBUFS || err == EAGAIN || err == EINTR ||
	    err == EMSGSIZE;
}

/* Wait a little before a retry; give up after about ten seconds of them. */
static void
back_off(const struct sender *s, int *tries)
{
	struct timespec ts = { 0, 1000000 };

	if (++*tries > 10000)
		die_peer(s, ENOBUFS);
	nanosleep(&ts, NULL);
}

/*
 * Messages for the datagrams from iov[from]: with UDP_SEGMENT, a run of
 * equal lengths (the last may be shorter) is one message the kernel cuts
 * into datagrams, each still its own datagram on the wire. Returns how
 * many messages.
 */
static int
build_msgs(struct sender *s, int from)
{
	struct msghdr *mh;
	size_t len, total;
	int i = from, k, m = 0;

	while (i < s->n) {
		mh = &s->msgs[m].msg_hdr;
		memset(mh, 0, sizeof(*mh));
		mh->msg_name = s->tolen ? &s->to : NULL;
		mh->msg_namelen = s->tolen;
		mh->msg_iov = &s->iov[i];
		len = s->iov[i].iov_len;
		total = len;
		k = 1;
		while (s->gso && len > 0 && len <= GSO_LEN && i + k < s->n &&
		    k < GSO_SEGS && s->iov[i + k].iov_len > 0 &&
		    s->iov[i + k].iov_len <= len &&
		    total + s->iov[i + k].iov_len <= (size_t)s->max) {
			total += s->iov[i + k].iov_len;
			if (s->iov[i + k++].iov_len < len)
				break;
		}
		mh->msg_iovlen = k;
		if (k > 1) {
			s->seg[m].h.cmsg_level = IPPROTO_UDP;
			s->seg[m].h.cmsg_type = UDP_SEGMENT;
			s->seg[m].h.cmsg_len = CMSG_LEN(sizeof(uint16_t));
			*(uint16_t *)CMSG_DATA(&s->seg[m].h) = (uint16_t)len;
			mh->msg_control = s->seg[m].buf;
			mh->msg_controllen = sizeof(s->seg[m].buf);
		}
		s->per[m++] = k;
		i += k;
	}
	return m;
}

/* Send the batch, in order, every datagram of it, or die. */
static void
flush_batch(struct sender *s)
{
	int done = 0, m, j, r, err, tries = 0;

	while (done < s->n) {
		m = build_msgs(s, done);
		r = sendmmsg(s->fd, s->msgs, m, 0);
		if (r < 0) {
			err = errno;
			/* No segmentation offload on this path: plain sends. */
			if (s->gso && s->per[0] > 1 && (err == EIO ||
			    err == EINVAL || err == ENOPROTOOPT ||
			    err == EOPNOTSUPP)) {
				s->gso = 0;
				continue;
			}
			if (!transient(err))
				die_peer(s, err);
			back_off(s, &tries);
			continue;
		}
		for (j = 0; j < r; j++)
			done += s->per[j];
		tries = 0;
		/* A short count hides the error that stopped it. */
		if (r < m && (err = net_error(s->fd)) != 0 && !transient(err))
			die_peer(s, err);
	}
	s->sent += s->n;
	s->n = 0;
}

/* A reply to stdout: a newline added unless it ends with one (not -0). */
static void
print_reply(const struct sender *s, char *buf, size_t n)
{
	struct iovec iov[2] = { { buf, n }, { "\n", 1 } };
	int cnt = s->exact || (n > 0 && buf[n - 1] == '\n') ? 1 : 2;

	if (write_iov(STDOUT_FILENO, iov, cnt, NULL) < 0)
		die_errno(EXIT_FAIL, "stdout");
}

/*
 * Wait for one reply and print it; a missing one is noted. Connected, the
 * kernel drops datagrams from other addresses; with -b any address may
 * answer (never the broadcast address itself), and -v names it.
 */
static void
await_reply(struct sender *s)
{
	static char buf[65536];
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	char where[ADDRPORT_LEN];
	ssize_t n;
	int r;

	while ((r = poll(&pfd, 1, s->wait_ms ? (int)s->wait_ms : -1)) < 0)
		if (errno != EINTR)
			die_errno(EXIT_FAIL, "poll");
	if (r == 0) {
		warn_msg("no reply from %s", s->peer);
		s->rc = EXIT_FAIL;
		return;
	}
	if ((n = recvfrom(s->fd, buf, sizeof(buf), 0,
	    (struct sockaddr *)&from, &fromlen)) < 0)
		die_peer(s, errno);
	if (s->verbose && s->tolen)
		warn_msg("reply from %s", fmt_addrport(
		    (struct sockaddr *)&from, where, sizeof(where)));
	print_reply(s, buf, (size_t)n);
}

/* One datagram: into the batch, or sent at once when replies are awaited. */
static void
add_datagram(struct sender *s, const char *p, size_t len)
{
	int tries = 0;

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
	while (sendto(s->fd, p, len, 0, s->tolen ? (struct sockaddr *)&s->to :
	    NULL, s->tolen) < 0) {
		if (!transient(errno))
			die_peer(s, errno);
		back_off(s, &tries);
	}
	s->sent++;
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
 * A socket connected to the first of HOST's addresses that takes one. With
 * -b not connected, so that a reply from any address is received: the
 * first address the socket is made for is where datagrams go.
 */
static void
open_peer(struct sender *s, int port, int family, const struct source *src,
    int broadcast)
{
	struct addrinfo *res, *ai;
	int err, one = 1, saved = EAFNOSUPPORT;

	if ((err = resolve_host(s->host, port, family, SOCK_DGRAM, &res)) != 0)
		die_msg(EXIT_FAIL, "%s port %s: %s", s->host, s->port,
		    gai_msg(err));
	s->fd = -1;
	for (ai = res; ai && s->fd < 0; ai = ai->ai_next) {
		if ((s->fd = socket_for(ai, src, 0)) < 0) {
			saved = errno;
			continue;
		}
		if (broadcast)
			setsockopt(s->fd, SOL_SOCKET, SO_BROADCAST, &one,
			    sizeof(one));
		if (ai->ai_family == AF_INET6)
			setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVERR, &one,
			    sizeof(one));
		else
			setsockopt(s->fd, IPPROTO_IP, IP_RECVERR, &one,
			    sizeof(one));
		if (broadcast) {
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
open_unix(struct sender *s, const struct sockaddr_un *sun, socklen_t len)
{
	struct sockaddr_un me = { .sun_family = AF_UNIX };

	if ((s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		die_errno(EXIT_FAIL, "socket");
	if (s->reply && bind(s->fd, (struct sockaddr *)&me,
	    sizeof(sa_family_t)) < 0)
		die_errno(EXIT_FAIL, "bind");
	if (connect(s->fd, (const struct sockaddr *)sun, len) < 0)
		die_errno(EXIT_FAIL, "%s: connect", s->host);
	s->max = dgram_max((const struct sockaddr *)sun);
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

int
udpsend_main(int argc, char **argv)
{
	static struct sender s;
	struct source src = { NULL, 0 };
	struct sockaddr_un sun;
	socklen_t sunlen = 0;
	int ch, port, family = AF_UNSPEC, whole = 0, broadcast = 0;
	int wait_set = 0, err, nops;

	s.wait_ms = 2000;
	while ((ch = next_opt(argc, argv, "460bp:rs:U:vw:", NULL,
	    udpsend_usage)) != -1) {
		switch (ch) {
		case '4':
			xset_family(&family, ch);
			break;
		case '6':
			xset_family(&family, ch);
			break;
		case '0':
			whole = s.exact = 1;
			break;
		case 'b':
			broadcast = 1;
			break;
		case 'p':
			src.port = parse_port(optarg, "udp");
			break;
		case 'r':
			s.reply = 1;
			break;
		case 's':
			src.addr = optarg;
			break;
		case 'U':
			xunix_sockaddr(optarg, &sun, &sunlen);
			s.host = optarg;
			break;
		case 'v':
			s.verbose = 1;
			break;
		case 'w':
			s.wait_ms = parse_duration(optarg);
			wait_set = 1;
			break;
		}
	}
	/* -U PATH takes HOST PORT's place; no address options with it. */
	if (sunlen && (family != AF_UNSPEC || src.addr || src.port ||
	    broadcast))
		die_usage("%s cannot be used with -U", family != AF_UNSPEC ?
		    "-4/-6" : src.addr ? "-s" : src.port ? "-p" : "-b");
	nops = sunlen ? 0 : 2;
	need_operands(argc, argv, nops, -1);
	if (wait_set && !s.reply)
		die_usage("-w needs -r");
	if (whole && argc - optind > nops)
		die_usage("-0 reads stdin: no MESSAGE operands with it");
	if (sunlen) {
		open_unix(&s, &sun, sunlen);
	} else {
		s.host = unbracket(argv[optind]);
		s.port = argv[optind + 1];
		if (s.host == NULL)
			die_usage("invalid host '%s'", argv[optind]);
		port = parse_port(s.port, "udp");
		if (src.addr)
			src.addr = check_source((char *)src.addr, family);
		check_family(s.host, family);
		open_peer(&s, port, family, &src, broadcast);
		/* UDP_SEGMENT is for UDP: a Unix datagram is sent whole. */
		s.gso = 1;
	}
	if (argc - optind > nops)
		send_operands(&s, argv + optind + nops, argc - optind - nops);
	else if (whole)
		send_all(&s);
	else
		send_lines(&s);
	if (!s.reply && (err = net_error(s.fd)) != 0)
		die_peer(&s, err);
	if (s.verbose)
		warn_msg("%llu datagrams sent to %s", s.sent, s.peer);
	return s.rc;
}
