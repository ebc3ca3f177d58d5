/*
 * udpserve_setup.c: what udpserve sets up before serving: the socket (a
 * bound or inherited one, or -U's file) and its receive slots, the
 * signals, and the checks of options that only make sense together.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include "udpserve.h"

static void
on_child(int sig)
{
	(void)sig;	/* only to end ppoll */
}

/*
 * -U: the socket is a file (or an abstract name). Non-blocking: a sender
 * that does not read its replies must not stop the server when its queue
 * is full; that reply is a warning.
 */
static void
setup_unix(struct privs *privs, struct unix_file *file)
{
	file->give = privs->user != NULL;
	file->uid = privs->uid;
	file->gid = privs->gid;
	S.fd = xlisten_unix(&S.sun, S.sunlen, SOCK_DGRAM, 0, file);
	fcntl(S.fd, F_SETFL, O_NONBLOCK);
	grow_sockbuf(S.fd, SO_RCVBUF, RCVBUF);
}

/* The socket, its options, the receive slots. */
void
setup_socket(struct service *sv, const char *host, int port, int family,
    const struct sockopts *so, struct privs *privs, struct unix_file *file)
{
	struct sockaddr_storage ss;
	char *bufs;
	int i, one = 1;

	if ((S.fd = xservice_socket(sv, SOCK_DGRAM)) >= 0) {
		xsockopt_apply(so, S.fd, SOCKOPT_LISTEN);
	} else if (S.sunlen) {
		setup_unix(privs, file);
		goto slots;
	} else {
		S.fd = xlisten_opts(host, port, family, SOCK_DGRAM, 0, so);
	}
	if (local_addr(S.fd, &ss) < 0)
		die_errno(EXIT_FAIL, "getsockname");
	S.port = addr_port((struct sockaddr *)&ss);
	/* IP_PKTINFO also on an IPv6 socket: for its IPv4 datagrams. */
	setsockopt(S.fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(S.fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
		    sizeof(one));
	if (!(so->set & SOCKOPT_RCVBUF))	/* the user's size stands */
		grow_sockbuf(S.fd, SO_RCVBUF, RCVBUF);
	/*
	 * Printing only: take a sender's segmented run (udpsend's
	 * UDP_SEGMENT, a NIC's GRO) whole and cut it here, one receive for up
	 * to 64 datagrams. Replies and programs keep one datagram each.
	 */
	if (!S.prog && !S.prefix)
		setsockopt(S.fd, IPPROTO_UDP, UDP_GRO, &one, sizeof(one));
slots:
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
void
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

/* Options that only make sense together: exit 2 if they are not. */
void
check_conflicts(int nprog, int any_port, int rate_set, int family, int mode)
{
	const char *opt = family != AF_UNSPEC ? "-4/-6" : S.acl.n ?
	    "-a/-d" : any_port ? "--reply-any" : NULL;

	if (S.sunlen && opt)
		die_usage("%s cannot be used with -U", opt);
	if (!S.sunlen && mode >= 0)
		die_usage("-m needs -U");
	if (mode >= 0 && S.sun.sun_path[0] == '\0')
		die_usage("-m: an abstract socket has no file");
	if (S.echo && S.prefix)
		die_usage("--echo and -r exclude each other");
	if ((S.echo || S.prefix) && nprog)
		die_usage("%s and PROG exclude each other",
		    S.echo ? "--echo" : "-r");
	if (S.exact && (S.echo || S.prefix || nprog))
		die_usage("-0 and %s exclude each other", S.echo ? "--echo" :
		    S.prefix ? "-r" : "PROG");
	if ((any_port || rate_set) && !S.echo && !S.prefix && !nprog)
		die_usage("%s needs --echo, -r or PROG", any_port ?
		    "--reply-any" : "--reply-rate");
}

