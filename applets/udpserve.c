/*
 * udpserve: a UDP server. Each datagram is printed as a line, echoed,
 * answered with a prefix, or given to a program whose output is the reply
 * (udpserve_prog.c); udpserve_reply.c decides whether and how to answer.
 * Receives in recvmmsg batches; printing writes each batch with writev.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>
#include "udpserve.h"
#include "../lib/service.h"
#include "../lib/sockopt.h"
#include "../lib/mcast.h"
#include "../lib/unixsock.h"

struct udpserver S;

struct dump udpserve_dump;

/*
 * Write S.out to stdout, letting SIGTERM/SIGINT interrupt a wait (what
 * is not written then is lost: the server is stopping).
 */
static void
write_out(void)
{
	int n = S.nout;

	S.nout = 0;
	sigprocmask(SIG_SETMASK, &S.open, NULL);
	if (write_iov(STDOUT_FILENO, S.out, n, &server_stop) < 0 &&
	    errno != EINTR)
		die_errno(EXIT_FAIL, "stdout");
	sigprocmask(SIG_SETMASK, &S.blocked, NULL);
}

/*
 * Add len bytes at p to S.out, as part of the last iovec if they follow
 * it. A full S.out is written first: the kernel's limit on a segmented
 * run (64 datagrams, 128 since Linux 6.x) is not ours to count on.
 */
static void
add_out(const char *p, size_t len)
{
	struct iovec *last;

	if (S.nout == OUT_IOV)
		write_out();
	if (S.nout > 0) {
		last = &S.out[S.nout - 1];
		if ((char *)last->iov_base + last->iov_len == p) {
			last->iov_len += len;
			return;
		}
	}
	S.out[S.nout].iov_base = (void *)p;
	S.out[S.nout++].iov_len = len;
}

/* One datagram for stdout: as a line, or exactly with -0. */
static void
print_datagram(const char *p, size_t len)
{
	static const char nl = '\n';

	add_out(p, len);
	if (!S.exact && (len == 0 || p[len - 1] != '\n'))
		add_out(&nl, 1);
}

/* Log a datagram with -v: "ADDR:PORT N bytes". */
static void
log_datagram(const struct origin *o, size_t len, const char *what,
    const char *why)
{
	char where[ADDRPORT_LEN];

	warn_msg("%s %zu bytes%s%s", fmt_addrport(
	    (const struct sockaddr *)&o->peer, where, sizeof(where)), len,
	    what, why ? why : "");
}

/*
 * The datagrams of a received buffer of len bytes at p: one, or with
 * UDP_GRO several of o->seg bytes, the last maybe shorter. Logs each with
 * -v; counts each if take, up to what -n still wants, and when printing
 * adds it to S.out. Returns the bytes of the datagrams it went through.
 */
static size_t
each_datagram(const struct origin *o, const char *p, size_t len, int take)
{
	size_t off = 0, piece;

	do {
		piece = o->seg > 0 && len - off > (size_t)o->seg ?
		    (size_t)o->seg : len - off;
		if (S.verbose)
			log_datagram(o, piece, !take ? " denied" : o->refused ?
			    " not answered: " : "", o->refused);
		if (take)
			dump_dgram(&udpserve_dump, DUMP_IN,
			    (const struct sockaddr *)&o->peer, p + off, piece);
		if (take && !S.prefix && !S.prog)
			print_datagram(p + off, piece);
		off += piece;
		S.count += take;
	} while (off < len && (!take || !S.limit || S.count < S.limit));
	return off;
}

/* Queue the reply to a datagram of len bytes at p: PREFIX, then it. */
static void
add_reply(struct origin *o, char *p, size_t len, struct origin **answer,
    int *nrep)
{
	int k = *nrep;

	S.riov[k][0].iov_base = (void *)S.prefix;
	S.riov[k][0].iov_len = S.prefix_len;
	S.riov[k][1].iov_base = p;
	S.riov[k][1].iov_len = len;
	reply_header(&S.replies[k].msg_hdr, o, S.riov[k], 2);
	answer[k] = o;
	*nrep = k + 1;
}

/* Receive one batch and handle each datagram of it. */
static void
receive_batch(void)
{
	struct origin *answer[BATCH], *o;
	struct msghdr *mh;
	size_t len;
	int i, n, vlen = BATCH, nrep = 0;

	if (S.limit && S.limit - S.count < (unsigned long long)vlen)
		vlen = (int)(S.limit - S.count);
	if (S.prog && S.maxprocs - progs_running() < vlen)
		vlen = S.maxprocs - progs_running();
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
		o = &S.orig[i];
		read_origin(mh, o);
		if (!acl_allows(&S.acl, mh->msg_name)) {
			each_datagram(o, NULL, S.msgs[i].msg_len, 0);
			continue;
		}
		/* Decided on arrival; a PROG still runs, its output unsent. */
		if (S.prefix || S.prog)
			o->refused = reply_refusal(o);
		len = each_datagram(o, mh->msg_iov->iov_base,
		    S.msgs[i].msg_len, 1);
		if (S.prog)
			start_prog(o, mh->msg_iov->iov_base, len);
		else if (S.prefix && !o->refused)
			add_reply(o, mh->msg_iov->iov_base, len, answer, &nrep);
	}
	if (nrep)
		send_replies(S.replies, answer, nrep);
	if (S.nout)
		write_out();
}

/*
 * The event loop: the socket while a datagram may be taken, the programs'
 * pipes, SIGCHLD and SIGTERM/SIGINT (unblocked only inside ppoll).
 * Returns when COUNT datagrams were taken, SECS passed idle, or a signal
 * said stop; then programs still running finish their replies.
 */
static void
serve(void)
{
	struct pollfd *pfd;
	struct timespec ts;
	long long last = now_ms(), left;
	int n, taking = 1, sock;

	if ((pfd = calloc(2 * S.maxprocs + 1, sizeof(*pfd))) == NULL)
		die_errno(EXIT_FAIL, "malloc");
	while (!server_stop && (taking || progs_running())) {
		if (taking && S.limit && S.count >= S.limit) {
			taking = 0;
			continue;
		}
		sock = taking && (!S.prog || progs_running() < S.maxprocs);
		pfd[0].fd = sock ? S.fd : -1;
		pfd[0].events = POLLIN;
		if (!sock)
			last = now_ms();	/* full: not idle */
		n = 1 + poll_progs(pfd + 1);
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
			serve_progs(pfd + 1);
			if (sock && pfd[0].revents) {
				receive_batch();
				last = now_ms();
			}
		}
		if (S.prog)
			reap_progs();
	}
	free(pfd);
}

int
udpserve_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "echo", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "reply-any", no_argument, NULL, 'A' },
		{ "reply-rate", required_argument, NULL, 'R' },
		SERVICE_LONGOPTS,
		DUMP_LONGOPTS,
		{ "sockopt", required_argument, NULL, OPT_SOCKOPT },
		{ NULL, 0, NULL, 0 }
	};
	static struct sockopts so;
	struct privs privs = { NULL, 0, 0 };
	struct service sv = SERVICE_INIT;
	struct unix_file file = { .mode = -1 };
	const char *host = NULL;
	unsigned rate = 1000;
	int ch, port = -1, family = AF_UNSPEC, quiet = 0, any_port = 0;
	int rate_set = 0, ops;

	S.maxprocs = 40;
	while ((ch = next_opt(argc, argv, "046M:a:c:d:m:n:qr:U:u:vw:1", longopts,
	    udpserve_usage)) != -1) {
		if (take_service_opt(&sv, ch))
			continue;
		switch (ch) {
		DUMP_CASES:
			xdump_opt(&udpserve_dump, ch, optarg);
			break;
		case '0':
			S.exact = 1;
			break;
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
		case 'A':
			any_port = 1;
			break;
		case 'M':
			if (S.ngroups == MAX_GROUPS)
				die_usage("more than %d groups", MAX_GROUPS);
			xparse_mcast_group(optarg, &S.groups[S.ngroups++]);
			break;
		case 'c':
			S.maxprocs = (int)parse_uint(optarg, 1, 65536,
			    "process limit");
			break;
		case 'E':
			S.echo = 1;
			break;
		case 'm':
			file.mode = xparse_mode(optarg);
			break;
		case 'U':
			xunix_sockaddr(optarg, &S.sun, &S.sunlen);
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
		case 'R':
			rate = (unsigned)parse_uint(optarg, 0, 1000000,
			    "reply rate");
			rate_set = 1;
			break;
		case 'u':
			parse_privs(optarg, &privs);
			break;
		case 'v':
			S.verbose = 1;
			break;
		case 'w':
			S.idle_ms = parse_duration(optarg);	/* 0: never */
			break;
		case OPT_SOCKOPT:
			xsockopt_parse(&so, optarg);
			break;
		}
	}
	/* --systemd, --fd and -U take HOST PORT's place. */
	ops = sv.src.kind == LSRC_BIND && S.sunlen == 0 ? 2 : 0;
	need_operands(argc, argv, ops, -1);
	check_conflicts(argc - optind > ops, any_port, rate_set, family,
	    file.mode);
	check_service_opts(&sv, family, S.echo || S.prefix ||
	    argc - optind > ops ? NULL : "printing datagrams");
	if (S.sunlen && (sv.src.kind != LSRC_BIND || S.ngroups))
		die_usage("%s cannot be used with -U", S.ngroups ? "-M" :
		    "--systemd/--fd");
	if (ops > 0) {
		if ((host = unbracket(argv[optind])) == NULL)
			die_usage("invalid host '%s'", argv[optind]);
		port = parse_port(argv[optind + 1], "udp");
		check_family(host, family);
	}
	if (argc - optind > ops)
		S.prog = argv + optind + ops;
	xsockopt_check(&so, SOCK_DGRAM, SOCKOPT_SERVER);
	if (S.echo)
		S.prefix = "";
	if (S.prefix)
		S.prefix_len = strlen(S.prefix);

	server_setup();
	xdump_open(&udpserve_dump);
	setup_socket(&sv, host, port, family, &so, &privs, &file);
	mcast_join_all(S.fd, S.groups, S.ngroups, 1);
	setup_replies(S.fd, S.port, any_port, rate);
	if (!quiet && ((port == 0 && !S.sunlen) || S.verbose))
		announce_listen(S.fd);
	xdrop_privs(&privs);
	if (S.prog)
		setup_progs(S.prog, S.maxprocs);
	setup_signals();
	ready_announce(&sv.ready, S.fd);
	serve();
	ready_stopping(&sv.ready);
	mcast_join_all(S.fd, S.groups, S.ngroups, 0);
	return EXIT_OK;
}
