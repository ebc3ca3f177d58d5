/*
 * mcast.c: multicast group specs, memberships and the sender's options.
 * Parsing never exits (the x wrappers do); the socket calls return -1 with
 * errno, so that a server can say which group the kernel refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <netinet/in.h>
#include "mcast.h"

#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL	49
#endif
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL	29
#endif

int
is_multicast(const struct sockaddr *sa)
{
	const struct in6_addr *a6;
	uint32_t a4;

	if (sa->sa_family == AF_INET) {
		a4 = ((const struct sockaddr_in *)sa)->sin_addr.s_addr;
		return IN_MULTICAST(ntohl(a4));
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a6))
		return (a6->s6_addr[12] & 0xf0) == 0xe0;
	return IN6_IS_ADDR_MULTICAST(a6);
}

int
parse_iface(const char *name, unsigned *index, char *err, size_t errlen)
{
	char buf[IF_NAMESIZE];
	unsigned long n;
	char *end;

	if (*name != '\0' && strlen(name) < IF_NAMESIZE &&
	    (*index = if_nametoindex(name)) != 0)
		return 0;
	/* A number is an index, if an interface has it. */
	if (*name >= '0' && *name <= '9') {
		errno = 0;
		n = strtoul(name, &end, 10);
		if (*end == '\0' && errno == 0 && n > 0 && n <= 0x7fffffff &&
		    if_indextoname((unsigned)n, buf) != NULL) {
			*index = (unsigned)n;
			return 0;
		}
	}
	snprintf(err, errlen, "unknown interface '%s'", name);
	return -1;
}

unsigned
xparse_iface(const char *name)
{
	char err[128];
	unsigned index;

	if (parse_iface(name, &index, err, sizeof(err)) < 0)
		die_usage("%s", err);
	return index;
}

/* A numeric address of family (AF_UNSPEC: either), brackets allowed. */
static int
parse_bracketed(char *s, int family, struct sockaddr_storage *ss)
{
	socklen_t len;

	if ((s = unbracket(s)) == NULL || *s == '\0' || strchr(s, '%'))
		return -1;
	return parse_addr(s, family, ss, &len);
}

int
parse_mcast_group(const char *s, struct mcast_group *g, char *err,
    size_t errlen)
{
	char buf[256], ifbuf[256], *grp, *src = NULL, *ifname, ebuf[128];
	int family;

	memset(g, 0, sizeof(*g));
	g->spec = s;
	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	if ((grp = strchr(buf, '@')) != NULL) {
		*grp++ = '\0';
		src = buf;
	} else {
		grp = buf;
	}
	if ((ifname = strrchr(grp, '%')) != NULL) {
		*ifname++ = '\0';
		snprintf(ifbuf, sizeof(ifbuf), "%s", ifname);
		if (parse_iface(ifbuf, &g->ifindex, ebuf, sizeof(ebuf)) < 0) {
			snprintf(err, errlen, "invalid group '%s': %s", s,
			    ebuf);
			return -1;
		}
	}
	if (parse_bracketed(grp, AF_UNSPEC, &g->group) < 0)
		goto bad;
	if (!is_multicast((struct sockaddr *)&g->group)) {
		snprintf(err, errlen, "invalid group '%s': not a multicast "
		    "address", s);
		return -1;
	}
	family = g->group.ss_family;
	if (src == NULL)
		return 0;
	if (parse_bracketed(src, family, &g->source) < 0) {
		if (parse_bracketed(src, AF_UNSPEC, &g->source) == 0)
			snprintf(err, errlen, "invalid group '%s': source and "
			    "group are of different families", s);
		else
			snprintf(err, errlen, "invalid group '%s': invalid "
			    "source address", s);
		return -1;
	}
	if (is_multicast((struct sockaddr *)&g->source)) {
		snprintf(err, errlen, "invalid group '%s': the source is a "
		    "multicast address", s);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "invalid group '%s'", s);
	return -1;
}

void
xparse_mcast_group(const char *s, struct mcast_group *g)
{
	char err[512];

	if (parse_mcast_group(s, g, err, sizeof(err)) < 0)
		die_usage("%s", err);
}

/* Source-specific: the protocol-independent call, for either family. */
static int
member_ssm(int fd, const struct mcast_group *g, int join)
{
	struct group_source_req gsr;
	int level = g->group.ss_family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;

	memset(&gsr, 0, sizeof(gsr));
	gsr.gsr_interface = g->ifindex;
	memcpy(&gsr.gsr_group, &g->group, sizeof(g->group));
	memcpy(&gsr.gsr_source, &g->source, sizeof(g->source));
	return setsockopt(fd, level, join ? MCAST_JOIN_SOURCE_GROUP :
	    MCAST_LEAVE_SOURCE_GROUP, &gsr, sizeof(gsr));
}

int
mcast_member(int fd, const struct mcast_group *g, int join)
{
	struct ip_mreqn mr;
	struct ipv6_mreq mr6;

	if (g->source.ss_family != 0)
		return member_ssm(fd, g, join);
	if (g->group.ss_family == AF_INET) {
		memset(&mr, 0, sizeof(mr));
		mr.imr_multiaddr = ((const struct sockaddr_in *)&g->group)->
		    sin_addr;
		mr.imr_ifindex = (int)g->ifindex;
		return setsockopt(fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP :
		    IP_DROP_MEMBERSHIP, &mr, sizeof(mr));
	}
	memset(&mr6, 0, sizeof(mr6));
	mr6.ipv6mr_multiaddr = ((const struct sockaddr_in6 *)&g->group)->
	    sin6_addr;
	mr6.ipv6mr_interface = g->ifindex;
	return setsockopt(fd, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP :
	    IPV6_LEAVE_GROUP, &mr6, sizeof(mr6));
}

int
mcast_fits(int fd, const struct mcast_group *g, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	const struct sockaddr_in *gin = (const struct sockaddr_in *)&g->group;
	const struct sockaddr_in6 *gin6 =
	    (const struct sockaddr_in6 *)&g->group;
	socklen_t len = sizeof(int);
	int v6only = 0;

	if (local_addr(fd, &ss) < 0) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len);
	if (g->group.ss_family == AF_INET6 && ss.ss_family == AF_INET) {
		snprintf(err, errlen, "an IPv6 group on an IPv4 socket");
		return -1;
	}
	if (g->group.ss_family == AF_INET && ss.ss_family == AF_INET6 &&
	    (v6only || !IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))) {
		snprintf(err, errlen, "an IPv4 group on an IPv6-only socket");
		return -1;
	}
	if (ss.ss_family == AF_INET ? sin->sin_addr.s_addr == INADDR_ANY ||
	    sin->sin_addr.s_addr == gin->sin_addr.s_addr :
	    IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) ||
	    (g->group.ss_family == AF_INET6 &&
	    IN6_ARE_ADDR_EQUAL(&sin6->sin6_addr, &gin6->sin6_addr)))
		return 0;
	/* Bound to another address, the group's datagrams never arrive. */
	snprintf(err, errlen, "HOST must be a wildcard or the group itself");
	return -1;
}

void
mcast_only_joined(int fd)
{
	int zero = 0;

	/* Also on an IPv6 socket: its IPv4 groups go by the IPv4 one. */
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof(zero));
	setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &zero, sizeof(zero));
}

int
mcast_set_out(int fd, int family, const struct mcast_out *o,
    const char **what)
{
	struct ip_mreqn mr;
	int v4 = family == AF_INET, zero = 0, index = (int)o->ifindex;

	*what = "--ttl";
	if (o->ttl >= 0 && setsockopt(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6,
	    v4 ? IP_MULTICAST_TTL : IPV6_MULTICAST_HOPS, &o->ttl,
	    sizeof(o->ttl)) < 0)
		return -1;
	*what = "--mcast-if";
	memset(&mr, 0, sizeof(mr));
	mr.imr_ifindex = index;
	if (o->ifindex && (v4 ? setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF,
	    &mr, sizeof(mr)) : setsockopt(fd, IPPROTO_IPV6,
	    IPV6_MULTICAST_IF, &index, sizeof(index))) < 0)
		return -1;
	*what = "--no-mcast-loop";
	if (o->no_loop && setsockopt(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6,
	    v4 ? IP_MULTICAST_LOOP : IPV6_MULTICAST_LOOP, &zero,
	    sizeof(zero)) < 0)
		return -1;
	return 0;
}

void
mcast_join_all(int fd, const struct mcast_group *g, int n, int join)
{
	char err[256];
	int i;

	if (join && n)
		mcast_only_joined(fd);
	for (i = 0; i < n; i++) {
		if (join && mcast_fits(fd, &g[i], err, sizeof(err)) < 0)
			die_usage("-M %s: %s", g[i].spec, err);
		if (mcast_member(fd, &g[i], join) < 0) {
			if (join)
				die_errno(EXIT_FAIL, "join %s", g[i].spec);
			warn_errno("warning: leave %s", g[i].spec);
		}
	}
}
