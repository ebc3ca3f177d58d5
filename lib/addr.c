/*
 * addr.c: host operands and addresses: brackets, wildcards, numeric
 * parsing, and the one way sockbox prints an address ("[::1]:80").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include "endpoint.h"

#define DIGITS_DOTS "0123456789."

char *
unbracket(char *s)
{
	size_t n = strlen(s);

	if (*s != '[')
		return strchr(s, ']') ? NULL : s;
	if (n < 2 || s[n - 1] != ']' || memchr(s + 1, ']', n - 2))
		return NULL;
	s[n - 1] = '\0';
	return s + 1;
}

int
is_wildcard(const char *host)
{
	/* Not "0.0.0.0": that is an IPv4 address, and means IPv4 only. */
	return *host == '\0' || strcmp(host, "*") == 0 ||
	    strcmp(host, "::") == 0;
}

int
parse_addr(const char *s, int family, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct addrinfo hints = { 0 }, *ai;

	memset(ss, 0, sizeof(*ss));
	if (family != AF_INET6 && inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		*len = sizeof(*sin);
		return 0;
	}
	if (family == AF_INET || strchr(s, ':') == NULL)
		return -1;
	/* getaddrinfo, not inet_pton, so that "fe80::1%lo" keeps its scope. */
	hints.ai_family = AF_INET6;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(s, NULL, &hints, &ai) != 0)
		return -1;
	memcpy(sin6, ai->ai_addr, sizeof(*sin6));
	*len = sizeof(*sin6);
	freeaddrinfo(ai);
	return 0;
}

int
is_numeric_addr(const char *s)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return parse_addr(s, AF_UNSPEC, &ss, &len) == 0;
}

int
addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)sa)->sin_port);
}

char *
fmt_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	char scope[IF_NAMESIZE + 2] = "";

	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    buf, len);
	} else if (sa->sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], buf, len);
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, buf, len);
		if (sin6->sin6_scope_id) {
			/*
			 * A name only where the resolvers take one back (as
			 * getnameinfo does): "fe80::1%lo" but "fe40::1%1".
			 */
			scope[0] = '%';
			if (!(IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr) ||
			    IN6_IS_ADDR_MC_LINKLOCAL(&sin6->sin6_addr)) ||
			    !if_indextoname(sin6->sin6_scope_id, scope + 1))
				snprintf(scope + 1, sizeof(scope) - 1, "%u",
				    (unsigned)sin6->sin6_scope_id);
			strncat(buf, scope, len - strlen(buf) - 1);
		}
	} else {
		snprintf(buf, len, "?");
	}
	return buf;
}

char *
fmt_addrport(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
	char a[ADDRPORT_LEN];
	int v6;

	if (sa->sa_family == AF_UNIX)
		return fmt_unix(sun, unix_addrlen(sun), buf, len);
	fmt_addr(sa, a, sizeof(a));
	v6 = strchr(a, ':') != NULL;
	snprintf(buf, len, "%s%s%s:%d", v6 ? "[" : "", a, v6 ? "]" : "",
	    addr_port(sa));
	return buf;
}

const char *
gai_msg(int err)
{
	if (err == EAI_SYSTEM)
		return strerror(errno);
	return gai_strerror(err);
}

int
check_host(const char *host, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct in_addr in;
	char buf[ADDRPORT_LEN];
	size_t n = strlen(host);
	socklen_t len;

	/* "[::1]": the address inside is what counts (and is named). */
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' &&
	    n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	/*
	 * No name has a colon, and none is all digits and dots (RFC 1123,
	 * 2.1): such a HOST was meant as an address, and a typo in one must
	 * not become a DNS query, nor inet_aton's "127.1" or octal "010.1".
	 */
	if (strchr(host, ':') != NULL) {
		if (parse_addr(host, AF_INET6, &ss, &len) == 0)
			return 0;
	} else if (*host == '\0' || host[strspn(host, DIGITS_DOTS)] != '\0' ||
	    inet_pton(AF_INET, host, &in) == 1) {
		return 0;
	}
	snprintf(err, errlen, "invalid address '%s'", host);
	return -1;
}

void
xcheck_host(const char *host)
{
	char err[1024];		/* all that one diagnostic holds */

	if (check_host(host, err, sizeof(err)) < 0)
		die_usage("%s", err);
}

void
check_family(const char *host, int family)
{
	struct sockaddr_storage ss;
	socklen_t len;

	xcheck_host(host);
	if (family != AF_UNSPEC && is_numeric_addr(host) &&
	    parse_addr(host, family, &ss, &len) < 0)
		die_usage("'%s' is not an %s address", host,
		    family == AF_INET ? "IPv4" : "IPv6");
}
