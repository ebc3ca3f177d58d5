/*
 * udpserve.h: what udpserve's files share. udpserve.c receives and
 * prints, udpserve_setup.c sets the socket and signals up,
 * udpserve_reply.c answers (and decides whether to), and udpserve_prog.c
 * runs a PROG per datagram.
 */
#ifndef UDPSERVE_H
#define UDPSERVE_H

#include <poll.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/un.h>
#include "../lib/dump.h"
#include "../lib/mcast.h"
#include "../lib/service.h"
#include "../lib/sockopt.h"
#include "../lib/unixsock.h"

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
	const char *refused;	/* why it gets no reply, or NULL */
};

/* --hexdump, --dump-in, --dump-out: what came in, what was answered. */
extern struct dump udpserve_dump;

/* ---- udpserve_reply.c: answering ---- */

/*
 * The socket replies leave from, its port, and the rules: any_port turns
 * off the rule against source ports below 1024; rate is the most replies
 * a second to one source (0: no limit).
 */
void setup_replies(int fd, int port, int any_port, unsigned rate);
/* The peer, local address, reply pktinfo and GRO size of a datagram. */
void read_origin(const struct msghdr *mh, struct origin *o);
/*
 * Why o may not be answered ("own address", "source port below 1024",
 * "over the reply rate"), or NULL; a NULL answer counts as one reply
 * against o's rate.
 */
const char *reply_refusal(const struct origin *o);
/* A reply's header for o: to its peer, from its local address. */
void reply_header(struct msghdr *mh, struct origin *o, struct iovec *iov,
    int iovlen);
/* Send n replies; one that fails is a warning and the rest still go. */
void send_replies(struct mmsghdr *m, struct origin **o, int n);
/* "warning: reply to ADDR:PORT: strerror(errno)". */
void warn_reply(const struct origin *o);

/* ---- udpserve_prog.c: a PROG per datagram ---- */

/* Room for max programs of argv at once. */
void setup_progs(char **argv, int max);
/* How many programs are running (or still have pipes open). */
int progs_running(void);
/* Run PROG for one datagram; a failure is a warning and costs only it. */
void start_prog(const struct origin *o, const char *data, size_t len);
/* The programs' pipes into pfd (2 * max entries); returns how many. */
int poll_progs(struct pollfd *pfd);
/* Feed and drain the programs whose pipes poll_progs's pfd marked ready. */
void serve_progs(const struct pollfd *pfd);
/* Reap exited programs; a slot is free once reaped and drained. */
void reap_progs(void);

/* The usage text (udpserve_usage.c). */
extern const char udpserve_usage[];

/* ---- the server's one state: udpserve.c serves, udpserve_setup.c sets up ---- */

#define BATCH	64		/* datagrams per recvmmsg */
#define SLOT	65536		/* room for any UDP payload */
#define RCVBUF	(8 << 20)
#define GRO_SEGS 64		/* datagrams in one UDP_GRO receive, usually */
/* A payload and a newline for every datagram of a usual batch. */
#define OUT_IOV	(2 * BATCH * GRO_SEGS)
#define MAX_GROUPS 64		/* -M; the kernel's default limit is 20 */

struct udpserver {
	int fd, port, verbose, echo, exact, maxprocs;
	const char *prefix;	/* -r, or "" for --echo: replies */
	size_t prefix_len;
	char **prog;
	unsigned long long count, limit;
	long long idle_ms;
	struct acl acl;
	struct mcast_group groups[MAX_GROUPS];
	int ngroups;
	struct sockaddr_un sun;	/* -U */
	socklen_t sunlen;	/* > 0: -U was given */
	struct mmsghdr msgs[BATCH], replies[BATCH];
	struct iovec iov[BATCH], riov[BATCH][2], out[OUT_IOV];
	int nout;		/* iovecs in out */
	struct sockaddr_storage from[BATCH];
	_Alignas(struct cmsghdr) char ctl[BATCH][CTL_LEN];
	struct origin orig[BATCH];
	sigset_t blocked, open;
};
extern struct udpserver S;

/* udpserve_setup.c: the socket (or -U's), its receive slots; signals. */
void setup_socket(struct service *sv, const char *host, int port,
    int family, const struct sockopts *so, struct privs *privs,
    struct unix_file *file);
void setup_signals(void);
/* Options that only make sense together: exit 2 if they are not. */
void check_conflicts(int nprog, int any_port, int rate_set, int family,
    int mode);

#endif
