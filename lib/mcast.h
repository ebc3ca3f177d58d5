/*
 * mcast.h: multicast for the UDP applets: group memberships (udpserve -M,
 * any-source and source-specific) and the sending side's knobs (udpsend
 * --ttl, --mcast-if, --no-mcast-loop). Both address families.
 */
#ifndef SOCKBOX_MCAST_H
#define SOCKBOX_MCAST_H

#include <sys/socket.h>
#include "sockbox.h"

/* One membership: [SOURCE@]GROUP[%IFACE], parsed. */
struct mcast_group {
	struct sockaddr_storage group;	/* AF_INET or AF_INET6, port 0 */
	struct sockaddr_storage source;	/* ss_family 0: any source */
	unsigned ifindex;		/* 0: the kernel's choice */
	const char *spec;		/* as given, for messages */
};

/* What udpsend sets on its socket for a multicast destination. */
struct mcast_out {
	int ttl;		/* -1: the kernel's default (1) */
	unsigned ifindex;	/* 0: routing decides */
	int no_loop;		/* 1: no copy to this host's own members */
};

/* Whether sa (AF_INET or AF_INET6; IPv4-mapped too) is a multicast address. */
int is_multicast(const struct sockaddr *sa);
/*
 * An interface by name (or by number, "2"): its index into *index. 0, or
 * -1 with "unknown interface 'NAME'" in err.
 */
int parse_iface(const char *name, unsigned *index, char *err, size_t errlen);
/* parse_iface or die_usage("%s", err). */
unsigned xparse_iface(const char *name);
/*
 * Parse "[SOURCE@]GROUP[%IFACE]" (addresses numeric, IPv6 ones optionally
 * in brackets): GROUP must be a multicast address, SOURCE a unicast one of
 * the same family. Keeps s (for messages). 0, or -1 with a one-line reason
 * in err.
 */
int parse_mcast_group(const char *s, struct mcast_group *g, char *err,
    size_t errlen);
/* parse_mcast_group or die_usage("%s", err). */
void xparse_mcast_group(const char *s, struct mcast_group *g);
/*
 * Join (join 1) or leave (0) g on fd, a UDP socket of g's family or a
 * dual-stack IPv6 one for an IPv4 group. 0, or -1 with errno set.
 */
int mcast_member(int fd, const struct mcast_group *g, int join);
/*
 * Whether fd's bound address lets g's datagrams reach it: a wildcard of a
 * fitting family (dual-stack for an IPv4 group on IPv6), or the group
 * itself. 0, or -1 with the reason in err.
 */
int mcast_fits(int fd, const struct mcast_group *g, char *err, size_t errlen);
/*
 * Receive on fd only the groups joined on fd, not every group some other
 * socket of this host joined (Linux's IP_MULTICAST_ALL default). Best
 * effort: older kernels lack the IPv6 option.
 */
void mcast_only_joined(int fd);
/*
 * Apply o to fd, whose destinations are of family. 0, or -1 with errno set
 * and *what naming the option that failed.
 */
int mcast_set_out(int fd, int family, const struct mcast_out *o,
    const char **what);

/*
 * Join the n groups on fd (exit 2 if fd is bound where one's datagrams
 * never arrive, exit 1 if a join fails), or leave them (join 0: a failure
 * is a warning).
 */
void mcast_join_all(int fd, const struct mcast_group *g, int n, int join);

#endif
