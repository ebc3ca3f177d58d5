/*
 * udpserve: a UDP server. Each datagram is printed, echoed, answered with
 * a prefix, or given to a program whose output is the reply. Receives in
 * recvmmsg batches; replies leave from the address the datagram reached.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "../lib/sockbox.h"

const char udpserve_usage[] =
"usage: udpserve [-46vq] [-n COUNT] [-w SECS] [--echo | -r PREFIX]\n"
"                [-a CIDR]... [-d CIDR]... [-u USER[:GROUP]] [-c MAXPROCS]\n"
"                HOST PORT [PROG [ARGS...]]\n"
"Receive datagrams on HOST PORT and write each payload to stdout, or\n"
"answer each: --echo, -r PREFIX, or PROG (datagram on its stdin, its\n"
"output sent back; environment PROTO=UDP, UDPLOCALIP, UDPLOCALPORT,\n"
"UDPREMOTEIP, UDPREMOTEPORT).\n"
"\n"
"  -4, -6       IPv4 / IPv6 only (a wildcard HOST is dual-stack)\n"
"  -v           announce the address; log ADDR:PORT N bytes per datagram\n"
"  -q           never announce the address\n"
"  -n COUNT     exit after COUNT datagrams\n"
"  -w SECS      exit after SECS without a datagram\n"
"  --echo       send each datagram back unchanged\n"
"  -r PREFIX    send PREFIX and the datagram back\n"
"  -a CIDR      allow these addresses (with any -a, only those)\n"
"  -d CIDR      deny these addresses\n"
"  -u USER[:GROUP]  run as USER after binding\n"
"  -c MAXPROCS  at most this many PROGs at once (default 40)\n";

#define BATCH	64		/* datagrams per recvmmsg */
#define SLOT	65536		/* room for any UDP payload */
#define RCVBUF	(8 << 20)
#define CTL_LEN	(CMSG_SPACE(sizeof(struct in_pktinfo)) + \
		 CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int)))
#ifndef UDP_GRO
#define UDP_GRO	104
#endif

/* Where a datagram came from and arrived at, and how to answer it. */
struct origin {
	struct sockaddr_storage peer, local;
	socklen_t peerlen;
	/* the pktinfo a reply is sent with */
	_Alignas(struct cmsghdr) char ctl[CTL_LEN];
	size_t ctllen;
	int seg;		/* UDP_GRO: datagrams of this size, the last shorter */
};

/* A running PROG: its datagram still to write, its reply so far. */
struct child {
	pid_t pid;		/* 0 once reaped */
	int in, out;		/* our pipe ends, -1 once closed */
	char *data, *reply;
	size_t len, off, rlen;
	int max;
	struct origin o;
};

static struct server {
	int fd, port, verbose, echo, maxprocs, running;
	const char *prefix;	/* -r, or "" for --echo: replies */
	size_t prefix_len;
	char **prog;
	unsigned long long count, limit;
	long long idle_ms;
	struct acl acl;
	struct mmsghdr msgs[BATCH], replies[BATCH];
	struct iovec iov[BATCH], riov[BATCH][2], out[BATCH];
	struct sockaddr_storage from[BATCH];
	_Alignas(struct cmsghdr) char ctl[BATCH][CTL_LEN];
	struct origin orig[BATCH];
	struct child *kids;
	sigset_t blocked, open;
} S;

static void
on_child(int sig)
{
	(void)sig;	/* only to end ppoll */
}

/*
 * The local address and reply control message from a datagram's pktinfo.
 * An IPv4 datagram (also on the dual-stack socket) is answered with
 * IP_PKTINFO from the address it was sent to; an IPv6 one with
 * IPV6_PKTINFO. Without pktinfo the reply goes out as routing decides.
 */
static void
read_origin(const struct msghdr *mh, struct origin *o)
{
	struct cmsghdr *cm, *out = (struct cmsghdr *)o->ctl;
	struct sockaddr_in *sin = (struct sockaddr_in *)&o->local;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&o->local;
	struct in_pktinfo pi;
	struct in6_pktinfo pi6;
	int have4 = 0, have6 = 0;

	o->seg = 0;
	memcpy(&o->peer, mh->msg_name, mh->msg_namelen);
	o->peerlen = mh->msg_namelen;
	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR((struct msghdr *)mh,
	    cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			have4 = 1;
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			memcpy(&pi6, CMSG_DATA(cm), sizeof(pi6));
			have6 = 1;
		} else if (cm->cmsg_level == IPPROTO_UDP &&
		    cm->cmsg_type == UDP_GRO) {
			memcpy(&o->seg, CMSG_DATA(cm), sizeof(o->seg));
		}
	}
	memset(&o->local, 0, sizeof(o->local));
	o->ctllen = 0;
	if (have4) {
		sin->sin_family = AF_INET;
		sin->sin_addr = pi.ipi_addr;
		sin->sin_port = htons(S.port);
		/* spec_dst: our address even if it came to a broadcast. */
		pi.ipi_ifindex = 0;
		out->cmsg_level = IPPROTO_IP;
		out->cmsg_type = IP_PKTINFO;
		out->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(out), &pi, sizeof(pi));
		o->ctllen = CMSG_SPACE(sizeof(pi));
	} else if (have6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = pi6.ipi6_addr;
		sin6->sin6_port = htons(S.port);
		if (IN6_IS_ADDR_LINKLOCAL(&pi6.ipi6_addr))
			sin6->sin6_scope_id = pi6.ipi6_ifindex;
		out->cmsg_level = IPPROTO_IPV6;
		out->cmsg_type = IPV6_PKTINFO;
		out->cmsg_len = CMSG_LEN(sizeof(pi6));
		memcpy(CMSG_DATA(out), &pi6, sizeof(pi6));
		o->ctllen = CMSG_SPACE(sizeof(pi6));
	} else {
		local_addr(S.fd, &o->local);
	}
}

/* A reply's header for o: to its peer, from its local address. */
static void
reply_header(struct msghdr *mh, struct origin *o, struct iovec *iov,
    int iovlen)
{
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = &o->peer;
	mh->msg_namelen = o->peerlen;
	mh->msg_iov = iov;
	mh->msg_iovlen = iovlen;
	mh->msg_control = o->ctllen ? o->ctl : NULL;
	mh->msg_controllen = o->ctllen;
}

static void
warn_reply(const struct origin *o)
{
	char where[ADDRPORT_LEN];

	warn_errno("warning: reply to %s", fmt_addrport(
	    (const struct sockaddr *)&o->peer, where, sizeof(where)));
}

/* Send n replies; one that fails is reported and the rest still go. */
static void
send_replies(struct mmsghdr *m, struct origin **o, int n)
{
	int i = 0, r;

	while (i < n) {
		if ((r = sendmmsg(S.fd, m + i, n - i, 0)) > 0) {
			i += r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		/* A source we cannot send from (multicast): let routing pick. */
		if (r < 0 && errno == EINVAL && m[i].msg_hdr.msg_controllen) {
			m[i].msg_hdr.msg_control = NULL;
			m[i].msg_hdr.msg_controllen = 0;
			continue;
		}
		warn_reply(o[i]);
		i++;
	}
}

/* Write every iovec to stdout, letting SIGTERM/SIGINT interrupt a wait. */
static void
write_out(struct iovec *iov, int n)
{
	ssize_t w;

	sigprocmask(SIG_SETMASK, &S.open, NULL);
	while (n > 0 && !server_stop) {
		if ((w = writev(STDOUT_FILENO, iov, n)) < 0) {
			if (errno == EINTR)
				continue;
			die_errno(EXIT_FAIL, "write stdout");
		}
		for (; n > 0 && (size_t)w >= iov->iov_len; iov++, n--)
			w -= iov->iov_len;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= w;
		}
	}
	sigprocmask(SIG_SETMASK, &S.blocked, NULL);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Feed the datagram to the child; close its stdin once all is written. */
static void
feed_child(struct child *c)
{
	ssize_t w;

	while (c->off < c->len) {
		if ((w = write(c->in, c->data + c->off, c->len - c->off)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			break;	/* it exited without reading: no matter */
		}
		c->off += w;
	}
	close_fd(&c->in);
	free(c->data);
	c->data = NULL;
}

/* Collect the child's output; at its end, that output is the reply. */
static void
drain_child(struct child *c)
{
	struct iovec iov;
	struct mmsghdr m;
	struct origin *o = &c->o;
	ssize_t r;

	for (;;) {
		r = read(c->out, c->reply + c->rlen, c->max + 1 - c->rlen);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0)
			break;
		if ((c->rlen += r) > (size_t)c->max) {
			errno = EMSGSIZE;
			warn_reply(o);
			c->rlen = 0;	/* never a truncated reply */
			break;
		}
	}
	if (c->rlen > 0) {
		iov.iov_base = c->reply;
		iov.iov_len = c->rlen;
		reply_header(&m.msg_hdr, o, &iov, 1);
		send_replies(&m, &o, 1);
	}
	close_fd(&c->out);
	free(c->reply);
	c->reply = NULL;
}

/* Run PROG for one datagram; a failure costs only this datagram. */
static void
start_child(struct origin *o, const char *data, size_t len)
{
	struct child *c;
	int in[2], out[2], i;

	for (i = 0; S.kids[i].pid || S.kids[i].in >= 0 || S.kids[i].out >= 0;)
		i++;
	c = &S.kids[i];
	c->o = *o;
	c->max = dgram_max((struct sockaddr *)&o->peer);
	if (pipe2(in, O_CLOEXEC) < 0)
		goto fail;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		goto fail;
	}
	c->pid = spawn_prog(S.prog, in[0], out[1], "UDP",
	    (struct sockaddr *)&o->local, (struct sockaddr *)&o->peer);
	close(in[0]);
	close(out[1]);
	c->in = in[1];
	c->out = out[0];
	c->data = malloc(len ? len : 1);
	c->reply = malloc(c->max + 1);
	if (c->pid < 0 || c->data == NULL || c->reply == NULL) {
		warn_errno("warning: %s", S.prog[0]);
		c->pid = 0;
		close_fd(&c->in);
		close_fd(&c->out);
		free(c->data);
		free(c->reply);
		c->data = c->reply = NULL;
		return;
	}
	fcntl(c->in, F_SETFL, O_NONBLOCK);
	fcntl(c->out, F_SETFL, O_NONBLOCK);
	memcpy(c->data, data, len);
	c->len = len;
	c->off = c->rlen = 0;
	S.running++;
	feed_child(c);
	return;
fail:
	warn_errno("warning: pipe");
}

/* Reap exited children; a slot is free once reaped and drained. */
static void
reap_children(void)
{
	struct child *c;
	pid_t pid;
	int i, st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		for (i = 0; i < S.maxprocs; i++)
			if (S.kids[i].pid == pid)
				S.kids[i].pid = 0;
	S.running = 0;
	for (i = 0; i < S.maxprocs; i++) {
		c = &S.kids[i];
		if (c->pid || c->in >= 0 || c->out >= 0)
			S.running++;
	}
}

/* Log a datagram with -v: "ADDR:PORT N bytes". */
static void
log_datagram(const struct origin *o, size_t len, const char *what)
{
	char where[ADDRPORT_LEN];

	warn_msg("%s %zu bytes%s", fmt_addrport(
	    (const struct sockaddr *)&o->peer, where, sizeof(where)), len,
	    what);
}

/*
 * The datagrams of a received buffer of len bytes: one, or with UDP_GRO
 * several of o->seg bytes, the last maybe shorter. Logs each with -v;
 * counts each if take, up to what -n still wants. Returns the bytes
 * of the datagrams it went through.
 */
static size_t
each_datagram(const struct origin *o, size_t len, int take)
{
	size_t off = 0, piece;

	do {
		piece = o->seg > 0 && len - off > (size_t)o->seg ?
		    (size_t)o->seg : len - off;
		if (S.verbose)
			log_datagram(o, piece, take ? "" : " denied");
		off += piece;
		S.count += take;
	} while (off < len && (!take || !S.limit || S.count < S.limit));
	return off;
}

/* Receive one batch and handle each datagram of it. */
static void
receive_batch(void)
{
	struct origin *answer[BATCH];
	struct msghdr *mh;
	size_t len;
	int i, n, vlen = BATCH, nout = 0, nrep = 0;

	if (S.limit && S.limit - S.count < (unsigned long long)vlen)
		vlen = (int)(S.limit - S.count);
	if (S.prog && S.maxprocs - S.running < vlen)
		vlen = S.maxprocs - S.running;
	for (i = 0; i < vlen; i++) {
		S.msgs[i].msg_hdr.msg_namelen = sizeof(S.from[i]);
		S.msgs[i].msg_hdr.msg_controllen = CTL_LEN;
	}
	if ((n = recvmmsg(S.fd, S.msgs, vlen, MSG_DONTWAIT, NULL)) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			warn_errno("warning: receive");
		return;
	}
	/* A segmented run can hold more than -n wants: stop at COUNT. */
	for (i = 0; i < n && !(S.limit && S.count >= S.limit); i++) {
		mh = &S.msgs[i].msg_hdr;
		len = S.msgs[i].msg_len;
		read_origin(mh, &S.orig[i]);
		if (!acl_allows(&S.acl, mh->msg_name)) {
			each_datagram(&S.orig[i], len, 0);
			continue;
		}
		len = each_datagram(&S.orig[i], len, 1);
		if (S.prog) {
			start_child(&S.orig[i], mh->msg_iov->iov_base, len);
		} else if (S.prefix) {
			S.riov[nrep][0].iov_base = (void *)S.prefix;
			S.riov[nrep][0].iov_len = S.prefix_len;
			S.riov[nrep][1].iov_base = mh->msg_iov->iov_base;
			S.riov[nrep][1].iov_len = len;
			reply_header(&S.replies[nrep].msg_hdr, &S.orig[i],
			    S.riov[nrep], 2);
			answer[nrep++] = &S.orig[i];
		} else {
			S.out[nout].iov_base = mh->msg_iov->iov_base;
			S.out[nout++].iov_len = len;
		}
	}
	if (nrep)
		send_replies(S.replies, answer, nrep);
	if (nout)
		write_out(S.out, nout);
}

/* Whether there is nothing more to wait for: no child busy. */
static int
children_done(void)
{
	return S.running == 0;
}

/*
 * The event loop: the socket while a datagram may be taken, the children's
 * pipes, SIGCHLD and SIGTERM/SIGINT (unblocked only inside ppoll).
 * Returns when COUNT datagrams were taken, SECS passed idle, or a signal
 * said stop; then programs still running finish their replies.
 */
static void
serve(void)
{
	struct pollfd *pfd;
	struct child *c;
	struct timespec ts;
	long long last = now_ms(), left;
	int i, n, taking = 1, sock;

	if ((pfd = calloc(2 * S.maxprocs + 1, sizeof(*pfd))) == NULL)
		die_errno(EXIT_FAIL, "malloc");
	while (!server_stop && (taking || !children_done())) {
		if (taking && S.limit && S.count >= S.limit) {
			taking = 0;
			continue;
		}
		n = 0;
		sock = taking && (!S.prog || S.running < S.maxprocs);
		if (sock) {
			pfd[n].fd = S.fd;
			pfd[n++].events = POLLIN;
		} else {
			last = now_ms();	/* full: not idle */
		}
		for (i = 0; S.prog && i < S.maxprocs; i++) {
			c = &S.kids[i];
			pfd[n].fd = c->in;	/* -1: ignored by ppoll */
			pfd[n++].events = POLLOUT;
			pfd[n].fd = c->out;
			pfd[n++].events = POLLIN;
		}
		left = -1;
		if (taking && S.idle_ms) {
			if ((left = last + S.idle_ms - now_ms()) <= 0) {
				taking = 0;
				continue;
			}
			ts.tv_sec = left / 1000;
			ts.tv_nsec = left % 1000 * 1000000;
		}
		if (ppoll(pfd, n, left < 0 ? NULL : &ts, &S.open) < 0) {
			if (errno != EINTR)
				die_errno(EXIT_FAIL, "poll");
		} else {
			for (i = 0; S.prog && i < S.maxprocs; i++) {
				c = &S.kids[i];
				if (c->in >= 0 && pfd[sock + 2 * i].revents)
					feed_child(c);
				if (c->out >= 0 && pfd[sock + 2 * i + 1].revents)
					drain_child(c);
			}
			if (sock && pfd[0].revents) {
				receive_batch();
				last = now_ms();
			}
		}
		if (S.prog)
			reap_children();
	}
	free(pfd);
}

/* The socket, its options, the receive slots. */
static void
setup_socket(const char *host, int port, int family)
{
	struct sockaddr_storage ss;
	char *bufs;
	int i, one = 1;

	S.fd = xlisten_on(host, port, family, SOCK_DGRAM, 0);
	if (local_addr(S.fd, &ss) < 0)
		die_errno(EXIT_FAIL, "getsockname");
	S.port = addr_port((struct sockaddr *)&ss);
	/* IP_PKTINFO also on an IPv6 socket: for its IPv4 datagrams. */
	setsockopt(S.fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(S.fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
		    sizeof(one));
	grow_sockbuf(S.fd, SO_RCVBUF, RCVBUF);
	/*
	 * Printing only: take a sender's segmented run (udpsend's
	 * UDP_SEGMENT, a NIC's GRO) whole and cut it here, one receive for up
	 * to 64 datagrams. Replies and programs keep one datagram each.
	 */
	if (!S.prog && !S.prefix)
		setsockopt(S.fd, IPPROTO_UDP, UDP_GRO, &one, sizeof(one));
	/* Only the pages a datagram touches are ever made resident. */
	if ((bufs = malloc((size_t)BATCH * SLOT)) == NULL)
		die_errno(EXIT_FAIL, "malloc");
	for (i = 0; i < BATCH; i++) {
		S.iov[i].iov_base = bufs + (size_t)i * SLOT;
		S.iov[i].iov_len = SLOT;
		S.msgs[i].msg_hdr.msg_iov = &S.iov[i];
		S.msgs[i].msg_hdr.msg_iovlen = 1;
		S.msgs[i].msg_hdr.msg_name = &S.from[i];
		S.msgs[i].msg_hdr.msg_control = S.ctl[i];
	}
}

/* SIGCHLD wakes ppoll; it and SIGTERM/SIGINT only arrive inside it. */
static void
setup_signals(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = on_child;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&S.blocked);
	sigaddset(&S.blocked, SIGCHLD);
	sigaddset(&S.blocked, SIGTERM);
	sigaddset(&S.blocked, SIGINT);
	sigprocmask(SIG_BLOCK, &S.blocked, &S.open);
	sigprocmask(SIG_SETMASK, NULL, &S.blocked);
}

int
udpserve_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "echo", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct privs privs = { NULL, 0, 0 };
	const char *host;
	int ch, i, port, family = AF_UNSPEC, quiet = 0;

	S.maxprocs = 40;
	while ((ch = next_opt(argc, argv, "46a:c:d:n:qr:u:vw:", longopts,
	    udpserve_usage)) != -1) {
		switch (ch) {
		case '4':
			xset_family(&family, ch);
			break;
		case '6':
			xset_family(&family, ch);
			break;
		case 'a':
		case 'd':
			if (acl_add(&S.acl, optarg, ch == 'a') < 0)
				die_usage("invalid CIDR '%s'", optarg);
			break;
		case 'c':
			S.maxprocs = (int)parse_uint(optarg, 1, 65536,
			    "process limit");
			break;
		case 'E':
			S.echo = 1;
			break;
		case 'n':
			S.limit = parse_uint(optarg, 1, ~0ULL, "count");
			break;
		case 'q':
			quiet = 1;
			break;
		case 'r':
			S.prefix = optarg;
			break;
		case 'u':
			parse_privs(optarg, &privs);
			break;
		case 'v':
			S.verbose = 1;
			break;
		case 'w':
			if ((S.idle_ms = parse_duration(optarg)) == 0)
				die_usage("invalid duration '%s'", optarg);
			break;
		}
	}
	need_operands(argc, argv, 2, -1);
	if (S.echo && S.prefix)
		die_usage("--echo and -r exclude each other");
	if ((S.echo || S.prefix) && argc - optind > 2)
		die_usage("%s and PROG exclude each other",
		    S.echo ? "--echo" : "-r");
	if ((host = unbracket(argv[optind])) == NULL)
		die_usage("invalid host '%s'", argv[optind]);
	port = parse_port(argv[optind + 1], "udp");
	check_family(host, family);
	if (argc - optind > 2)
		S.prog = argv + optind + 2;
	if (S.echo)
		S.prefix = "";
	if (S.prefix)
		S.prefix_len = strlen(S.prefix);

	server_setup();
	setup_socket(host, port, family);
	if (!quiet && (port == 0 || S.verbose))
		announce_listen(S.fd);
	xdrop_privs(&privs);
	if (S.prog) {
		if ((S.kids = calloc(S.maxprocs, sizeof(*S.kids))) == NULL)
			die_errno(EXIT_FAIL, "malloc");
		for (i = 0; i < S.maxprocs; i++)
			S.kids[i].in = S.kids[i].out = -1;
	}
	setup_signals();
	serve();
	return EXIT_OK;
}
