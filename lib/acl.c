/*
 * acl.c: allow and deny lists of CIDR prefixes for the servers' -a and -d.
 * The most specific matching prefix decides.
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "sockbox.h"

/* The address bytes of sa (IPv4-mapped IPv6 as IPv4); its family. */
static int
addr_bytes(const struct sockaddr *sa, uint8_t out[16])
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return AF_INET;
	}
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(out, &sin6->sin6_addr.s6_addr[12], 4);
		return AF_INET;
	}
	memcpy(out, &sin6->sin6_addr, 16);
	return AF_INET6;
}

/* Whether the first bits bits of a and b agree. */
static int
prefix_match(const uint8_t *a, const uint8_t *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return 0;
	return rest == 0 || ((a[whole] ^ b[whole]) & (0xff << (8 - rest))) == 0;
}

int
acl_add(struct acl *acl, const char *cidr, int allow)
{
	struct sockaddr_storage ss;
	struct acl_rule r = { .allow = allow }, *grown;
	char addr[INET6_ADDRSTRLEN + 8], *a;
	const char *slash = strchr(cidr, '/');
	size_t n = slash ? (size_t)(slash - cidr) : strlen(cidr);
	socklen_t len;
	int max, mapped, bits = 0;

	if (n >= sizeof(addr))
		return -1;
	memcpy(addr, cidr, n);
	addr[n] = '\0';
	if ((a = unbracket(addr)) == NULL ||
	    parse_addr(a, AF_UNSPEC, &ss, &len) < 0)
		return -1;
	r.family = addr_bytes((struct sockaddr *)&ss, r.addr);
	/*
	 * ::ffff:a.b.c.d/N is the IPv4 rule a.b.c.d/(N - 96); shorter than
	 * /96 it would reach past the mapped range into plain IPv6, which is
	 * surely not what was meant.
	 */
	mapped = ss.ss_family == AF_INET6 && r.family == AF_INET ? 96 : 0;
	max = mapped + (r.family == AF_INET ? 32 : 128);
	if (slash) {
		const char *p = slash + 1;

		if (*p == '\0' || strlen(p) > 3)
			return -1;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			bits = bits * 10 + (*p - '0');
		}
		if (bits > max || bits < mapped)
			return -1;
	} else {
		bits = max;
	}
	r.prefix = bits - mapped;
	if ((grown = realloc(acl->rules, (acl->n + 1) * sizeof(r))) == NULL)
		return -1;
	acl->rules = grown;
	acl->rules[acl->n++] = r;
	acl->any_allow |= allow;
	return 0;
}

int
acl_allows(const struct acl *acl, const struct sockaddr *sa)
{
	const struct acl_rule *best = NULL, *r;
	uint8_t a[16];
	int family = addr_bytes(sa, a), i;

	for (i = 0; i < acl->n; i++) {
		r = &acl->rules[i];
		if (r->family != family || !prefix_match(a, r->addr, r->prefix))
			continue;
		if (best == NULL || r->prefix > best->prefix ||
		    (r->prefix == best->prefix && !r->allow))
			best = r;
	}
	return best ? best->allow : !acl->any_allow;
}
