/*
 * rdns.c: reverse lookups confirmed by a forward one. A PTR record is
 * whatever the owner of the address's zone says; only a forward lookup
 * in the name's own zone that gives the address back ties the two.
 */
#include <string.h>
#include <netinet/in.h>
#include "rdns.h"

/* sa as a plain AF_INET or AF_INET6 address (unmapping ::ffff:a.b.c.d). */
static socklen_t
plain_addr(const struct sockaddr *sa, struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (sa->sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
		return sizeof(*sin);
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(ss, sa, sizeof(*sin6));
		return sizeof(*sin6);
	}
	memcpy(ss, sa, sizeof(*sin));
	return sizeof(*sin);
}

/* Whether two addresses of ai's family are the same, ports aside. */
static int
same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
	    &((const struct sockaddr_in *)b)->sin_addr, 4) == 0;
}

/* Letters, digits, '-', '_' and '.' only: it goes into an environment. */
static int
is_host_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '.'))
			return 0;
	return 1;
}

int
confirmed_name(const struct sockaddr *sa, char *name, size_t len)
{
	struct addrinfo hints = { 0 }, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t slen = plain_addr(sa, &ss);
	int found = 0;

	if (getnameinfo((struct sockaddr *)&ss, slen, name, len, NULL, 0,
	    NI_NAMEREQD) != 0 || !is_host_name(name))
		return -1;
	hints.ai_family = ss.ss_family;
	hints.ai_socktype = SOCK_STREAM;	/* one entry per address */
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return -1;
	for (ai = res; ai && !found; ai = ai->ai_next)
		found = same_addr(ai->ai_addr, (struct sockaddr *)&ss);
	freeaddrinfo(res);
	return found ? 0 : -1;
}
