/*
 * udpserve_reply.c: answering datagrams: from the address each one reached,
 * and never in a way two servers could keep up between them forever.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include "udpserve.h"
#include "../lib/endpoint.h"

/*
 * Per-source reply budgets: a fixed table, so a flood of spoofed sources
 * costs no memory. Sources whose hashes meet share a budget, which is only
 * ever stricter; the hash is keyed at random so that no one can aim a
 * flood at the slot of another source.
 */
#define RATE_SLOTS	4096	/* a power of two: 32 KiB */
#define RATE_WINDOW	1000000000ULL	/* ns: the burst is one second's worth */

static struct {
	int fd, port, any_port;
	uint64_t interval;	/* ns per reply at the cap; 0: no cap */
	uint64_t seed;
	uint64_t tat[RATE_SLOTS];	/* when each budget is full again */
} R;

void
setup_replies(int fd, int port, int any_port, unsigned rate)
{
	R.fd = fd;
	R.port = port;
	R.any_port = any_port;
	R.interval = rate ? RATE_WINDOW / rate : 0;
	if (getrandom(&R.seed, sizeof(R.seed), GRND_NONBLOCK) !=
	    sizeof(R.seed))
		R.seed = (uint64_t)now_ms() * 0x9e3779b97f4a7c15ULL ^
		    (uint64_t)getpid();
}

/*
 * The local address and reply control message from a datagram's pktinfo.
 * An IPv4 datagram (also on the dual-stack socket) is answered with
 * IP_PKTINFO from the address it was sent to; an IPv6 one with
 * IPV6_PKTINFO. Without pktinfo the reply goes out as routing decides.
 */
void
read_origin(const struct msghdr *mh, struct origin *o)
{
	struct cmsghdr *cm, *out = (struct cmsghdr *)o->ctl;
	struct sockaddr_in *sin = (struct sockaddr_in *)&o->local;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&o->local;
	struct in_pktinfo pi;
	struct in6_pktinfo pi6;
	int have4 = 0, have6 = 0;

	o->seg = 0;
	o->refused = NULL;
	/* Zeroed first: a Unix address is only as long as its name. */
	memset(&o->peer, 0, sizeof(o->peer));
	memcpy(&o->peer, mh->msg_name, mh->msg_namelen);
	o->peerlen = mh->msg_namelen;
	/* Only an unbound Unix sender comes without a name. */
	if (o->peerlen == 0)
		o->peer.ss_family = AF_UNIX;
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
		sin->sin_port = htons(R.port);
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
		sin6->sin6_port = htons(R.port);
		if (IN6_IS_ADDR_LINKLOCAL(&pi6.ipi6_addr))
			sin6->sin6_scope_id = pi6.ipi6_ifindex;
		out->cmsg_level = IPPROTO_IPV6;
		out->cmsg_type = IPV6_PKTINFO;
		out->cmsg_len = CMSG_LEN(sizeof(pi6));
		memcpy(CMSG_DATA(out), &pi6, sizeof(pi6));
		o->ctllen = CMSG_SPACE(sizeof(pi6));
	} else {
		local_addr(R.fd, &o->local);
	}
}

/* sa's address as 16 bytes, IPv4 (also IPv4-mapped) as ::ffff:a.b.c.d. */
static void
addr16(const struct sockaddr *sa, uint8_t a[16])
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (sa->sa_family == AF_INET) {
		memcpy(a, mapped, 12);
		memcpy(a + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else {
		memcpy(a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
}

/*
 * Whether sa is an address of this host: one a socket can be bound to.
 * Asked only of sources that use the server's port, so rarely.
 */
static int
is_local(const struct sockaddr *sa)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6;
	uint8_t a[16];
	int fd, ok;

	addr16(sa, a);
	if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a)) {
		memcpy(&sin.sin_addr, a + 12, 4);
		sa = (struct sockaddr *)&sin;
	} else {
		memcpy(&sin6, sa, sizeof(sin6));
		sin6.sin6_port = 0;
		sa = (struct sockaddr *)&sin6;
	}
	if ((fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	ok = bind(fd, sa, sa->sa_family == AF_INET ? sizeof(sin) :
	    sizeof(sin6)) == 0;
	close(fd);
	return ok;
}

/* The budget slot of sa: IPv4 by address, IPv6 by its /64. */
static uint64_t *
rate_slot(const struct sockaddr *sa)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
	uint8_t a[16];
	uint64_t h;
	size_t i;

	if (sa->sa_family == AF_UNIX) {
		/* A Unix sender by its name (FNV-1a), the kernel vouches. */
		for (h = 0xcbf29ce484222325ULL, i = 0;
		    i < sizeof(sun->sun_path); i++)
			h = (h ^ (uint8_t)sun->sun_path[i]) *
			    0x100000001b3ULL;
	} else {
		addr16(sa, a);
		if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a))
			memcpy(&h, a + 8, 8);
		else
			memcpy(&h, a, 8);
	}
	/* A keyed 64-bit mix (the finalizer of MurmurHash3). */
	h ^= R.seed;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return &R.tat[h & (RATE_SLOTS - 1)];
}

/*
 * One more reply to sa, if its budget allows: a token bucket of one
 * second's replies, kept as the time it is full again (GCRA).
 */
static int
rate_take(const struct sockaddr *sa)
{
	struct timespec ts;
	uint64_t now, *tat;

	if (R.interval == 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	tat = rate_slot(sa);
	if (*tat < now)
		*tat = now;
	if (*tat - now > RATE_WINDOW - R.interval)
		return 0;
	*tat += R.interval;
	return 1;
}

const char *
reply_refusal(const struct origin *o)
{
	const struct sockaddr *peer = (const struct sockaddr *)&o->peer;
	uint8_t a[16], b[16];
	int port;

	/*
	 * A Unix sender cannot use our address, nor pose as a server; one
	 * without an address of its own (unbound) cannot be answered.
	 */
	if (peer->sa_family == AF_UNIX)
		return o->peerlen <= offsetof(struct sockaddr_un, sun_path) ?
		    "sender has no address" : !rate_take(peer) ?
		    "over the reply rate" : NULL;
	port = addr_port(peer);

	/* Our own reply would come back to us: a loop with ourselves. */
	if (port == R.port) {
		addr16(peer, a);
		addr16((const struct sockaddr *)&o->local, b);
		if (memcmp(a, b, 16) == 0 || is_local(peer))
			return "own address";
	}
	/* Where echo, chargen, DNS, NTP... servers live: they would answer. */
	if (port < 1024 && !R.any_port)
		return "source port below 1024";
	if (!rate_take(peer))
		return "over the reply rate";
	return NULL;
}

void
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

void
warn_reply(const struct origin *o)
{
	char where[ADDRPORT_LEN];

	warn_errno("warning: reply to %s", fmt_addrport(
	    (const struct sockaddr *)&o->peer, where, sizeof(where)));
}

void
send_replies(struct mmsghdr *m, struct origin **o, int n)
{
	int i = 0, r;

	while (i < n) {
		if ((r = sendmmsg(R.fd, m + i, n - i, 0)) > 0) {
			for (; r > 0; r--, i++)
				dump_msg(&udpserve_dump, DUMP_OUT, &m[i].msg_hdr,
				    m[i].msg_len);
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
