/*
 * udpsend.h: what udpsend's three files share. udpsend.c reads the
 * datagrams and opens the socket, udpsend_send.c sends them (batches,
 * UDP_SEGMENT, retries), udpsend_reply.c waits for and prints replies.
 */
#ifndef UDPSEND_H
#define UDPSEND_H

#include <sys/socket.h>
#include <sys/uio.h>
#include "../lib/sockbox.h"
#include "../lib/dump.h"
#include "../lib/endpoint.h"
#include "../lib/mcast.h"
#include "../lib/sockopt.h"

#define BATCH	1024		/* datagrams per sendmmsg (UIO_MAXIOV) */
#define GSO_SEGS 64		/* datagrams per UDP_SEGMENT send (kernel max) */
#define GSO_LEN	1200		/* fits any path MTU IPv6 allows */
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

/* The socket, the batch being built, and what the command line said. */
struct sender {
	int fd, max, reply, verbose, rc;
	int exact;			/* -0: replies printed as received */
	int broadcast;			/* -b: SO_BROADCAST */
	int any;			/* --any: every reply, from anyone */
	unsigned long long limit;	/* -n: --any stops at this many */
	struct mcast_out mout;		/* --ttl, --mcast-if, --no-mcast-loop */
	const char *mopt;		/* the first of them given, or NULL */
	/* unconnected (-b, --any, a group): where each datagram goes */
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
	struct dump dump;		/* --hexdump, --dump-in, --dump-out */
	struct sockopts so;		/* --sockopt */
	struct sockaddr_un sun;		/* -U PATH */
	socklen_t sunlen;		/* > 0: -U was given */
};

/* ---- udpsend_send.c: sending ---- */

/* A failure of the exchange with the peer: "HOST port PORT: reason". */
void die_peer(const struct sender *s, int err) __attribute__((noreturn));
/* "datagram of SIZE bytes is larger than the maximum of MAX", exit 1. */
void die_size(unsigned long long size, int max) __attribute__((noreturn));
/*
 * An error the network reported for what we sent (ICMP port unreachable
 * and the like), or 0. IP_RECVERR queues them, so one that a sendmmsg
 * consumed without returning it is still found here.
 */
int net_error(int fd);
/* Send the batch, in order, every datagram of it, or die. */
void flush_batch(struct sender *s);
/* Send one datagram now (retrying while buffers are short), or die. */
void send_now(struct sender *s, const char *p, size_t len);

/* ---- udpsend_reply.c: replies ---- */

/*
 * Wait for one reply and print it; a missing one is noted. Connected, the
 * kernel drops datagrams from other addresses; with -b any address may
 * answer (never the broadcast address itself), and -v names it.
 */
void await_reply(struct sender *s);
/*
 * --any: print every reply as "ADDR:PORT<TAB>PAYLOAD" (a newline added
 * unless it ends with one; -0: the payload alone, exactly) until -w SECS
 * pass or -n COUNT came; none is "no reply from ADDR:PORT" and status 1.
 */
void collect_replies(struct sender *s);

#endif
