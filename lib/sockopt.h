/*
 * sockopt.h: --sockopt NAME[=VALUE], -D, -K and --mptcp: parsed once into a
 * struct sockopts, checked against the socket type and role before any
 * socket exists, applied to each socket an applet makes (lib/sockopt.c).
 */
#ifndef SOCKOPT_H
#define SOCKOPT_H

#include <stddef.h>
#include <net/if.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262	/* musl's headers may lack it */
#endif

/* Which options were given: struct sockopts.set, in the order they are set. */
enum {
	SOCKOPT_REUSEPORT = 1 << 0,	/* SO_REUSEPORT */
	SOCKOPT_BINDTODEVICE = 1 << 1,	/* SO_BINDTODEVICE */
	SOCKOPT_MARK = 1 << 2,		/* SO_MARK */
	SOCKOPT_RCVBUF = 1 << 3,	/* SO_RCVBUF */
	SOCKOPT_SNDBUF = 1 << 4,	/* SO_SNDBUF */
	SOCKOPT_TOS = 1 << 5,		/* IP_TOS / IPV6_TCLASS */
	SOCKOPT_TTL = 1 << 6,		/* IP_TTL / IPV6_UNICAST_HOPS */
	SOCKOPT_NODELAY = 1 << 7,	/* TCP_NODELAY */
	SOCKOPT_KEEPALIVE = 1 << 8,	/* SO_KEEPALIVE [TCP_KEEP*] */
	SOCKOPT_USER_TIMEOUT = 1 << 9,	/* TCP_USER_TIMEOUT */
	SOCKOPT_LINGER = 1 << 10,	/* SO_LINGER */
	SOCKOPT_LAST = SOCKOPT_LINGER
};

/*
 * getopt_long values of --sockopt and --mptcp in every applet that has
 * them, apart from the applets' own (which count up from 256).
 */
enum { OPT_SOCKOPT = 0x200, OPT_MPTCP };

/* Roles for sockopt_check (what the applet is). */
enum { SOCKOPT_CLIENT, SOCKOPT_SERVER };
/* Roles for sockopt_apply (what the socket is, before bind/connect). */
enum { SOCKOPT_CONNECT, SOCKOPT_LISTEN };

/*
 * Every option given; zero-initialise. A name given twice: the last wins.
 * Values are what the kernel is given (user_timeout in ms).
 */
struct sockopts {
	unsigned set;			/* SOCKOPT_* */
	int keepidle, keepintvl, keepcnt;	/* 0: the kernel's default */
	int rcvbuf, sndbuf;
	int tos, ttl;
	int user_timeout;		/* milliseconds */
	unsigned mark;
	int linger;			/* seconds */
	char device[IFNAMSIZ];
	int mptcp;			/* --mptcp: IPPROTO_MPTCP sockets */
};

/*
 * Add one "NAME[=VALUE]" to so. 0, or -1 with a one-line reason in err
 * ("unknown socket option 'x'", "invalid sockopt rcvbuf value 'y'"); so
 * is unchanged then. Never exits, for any string.
 */
int sockopt_parse(struct sockopts *so, const char *arg, char *err,
    size_t errlen);
/* The --sockopt name of one SOCKOPT_* bit ("user-timeout"). */
const char *sockopt_name(unsigned bit);
/* sockopt_parse or die_usage("%s", err): what main() calls. */
void xsockopt_parse(struct sockopts *so, const char *arg);
/*
 * Whether so fits socktype (SOCK_STREAM, SOCK_DGRAM) and role
 * (SOCKOPT_CLIENT, SOCKOPT_SERVER): nodelay, keepalive, user-timeout,
 * linger and mptcp are TCP's; reuseport is for servers. 0, or -1 with the
 * reason in err.
 */
int sockopt_check(const struct sockopts *so, int socktype, int role,
    char *err, size_t errlen);
/* sockopt_check or die_usage (exit 2), before any socket is made. */
void xsockopt_check(const struct sockopts *so, int socktype, int role);
/*
 * Set so's options on fd, an unbound or unconnected socket, for role:
 * SOCKOPT_LISTEN (a server's socket, before bind: reuseport too) or
 * SOCKOPT_CONNECT (an outgoing one: everything but reuseport). tos and ttl
 * follow the socket's family (SO_DOMAIN); an IPv6 socket gets the IPv4
 * option too, for its IPv4-mapped traffic. Accepted sockets need no call:
 * Linux copies every one of these from the listener at accept (TCP and
 * MPTCP). 0, or -1 with errno set and the failing option's name in
 * *failed. so may be NULL.
 */
int sockopt_apply(const struct sockopts *so, int fd, int role,
    const char **failed);
/* sockopt_apply, or die "sockopt NAME: reason" (exit 1). */
void xsockopt_apply(const struct sockopts *so, int fd, int role);
/* The protocol for socket(2): IPPROTO_MPTCP with --mptcp on a stream. */
int sockopt_protocol(const struct sockopts *so, int socktype);
/*
 * With so->mptcp, make sure the kernel has MPTCP, or die "MPTCP: not
 * supported by this kernel" (exit 1). family: AF_UNSPEC, AF_INET, AF_INET6.
 */
void xcheck_mptcp(const struct sockopts *so, int family);

#endif
