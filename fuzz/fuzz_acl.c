/*
 * fuzz_acl: CIDR prefixes (acl_add, lib/acl.c). Each line of the input is
 * a rule, allow or deny by its first byte's low bit; every rule accepted
 * must match its own address, and acl_allows must decide any address.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include "../lib/sockbox.h"
#include "fuzz.h"

#define FUZZ_MAX_LEN 256

/* The rule's own address as a sockaddr of its family. */
static void
rule_addr(const struct acl_rule *r, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)r->family;
	if (r->family == AF_INET)
		memcpy(&((struct sockaddr_in *)ss)->sin_addr, r->addr, 4);
	else
		memcpy(&((struct sockaddr_in6 *)ss)->sin6_addr, r->addr, 16);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acl acl = { 0 };
	struct sockaddr_storage ss;
	char *s = fuzz_str(data, size), *line, *next;
	int i, n;

	for (line = s; line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0')
			continue;
		n = acl.n;
		if (acl_add(&acl, line + 1, *line & 1) < 0) {
			FUZZ_CHECK(acl.n == n);
			continue;
		}
		FUZZ_CHECK(acl.n == n + 1);
		FUZZ_CHECK(acl.rules[n].family == AF_INET ||
		    acl.rules[n].family == AF_INET6);
		FUZZ_CHECK(acl.rules[n].prefix >= 0 && acl.rules[n].prefix <=
		    (acl.rules[n].family == AF_INET ? 32 : 128));
	}
	/* Alone, a rule decides for its own address. */
	for (i = 0; i < acl.n; i++) {
		struct acl one = { &acl.rules[i], 1, acl.rules[i].allow };

		rule_addr(&acl.rules[i], &ss);
		FUZZ_CHECK(acl_allows(&one, (struct sockaddr *)&ss) ==
		    acl.rules[i].allow);
		(void)acl_allows(&acl, (struct sockaddr *)&ss);
	}
	free(acl.rules);
	free(s);
	return 0;
}
