/*
 * fuzz_host: hosts and bracketed addresses (lib/addr.c): check_host,
 * unbracket, parse_addr for each family, and fmt_addr/fmt_addrport, whose
 * output must parse back to the same address.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include "../lib/sockbox.h"
#include "fuzz.h"

#define FUZZ_MAX_LEN 128

/* The address bytes, family and scope of ss must equal those of back. */
static void
check_same(const struct sockaddr_storage *ss,
    const struct sockaddr_storage *back)
{
	const struct sockaddr_in6 *a6 = (const void *)ss, *b6 = (const void *)back;
	const struct sockaddr_in *a4 = (const void *)ss, *b4 = (const void *)back;

	if (ss->ss_family == AF_INET) {
		FUZZ_CHECK(back->ss_family == AF_INET);
		FUZZ_CHECK(a4->sin_addr.s_addr == b4->sin_addr.s_addr);
	} else if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
		/* Printed as IPv4, the way sockbox names such peers. */
		FUZZ_CHECK(back->ss_family == AF_INET);
		FUZZ_CHECK(memcmp(&b4->sin_addr, &a6->sin6_addr.s6_addr[12],
		    4) == 0);
	} else {
		FUZZ_CHECK(back->ss_family == AF_INET6);
		FUZZ_CHECK(memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0);
		FUZZ_CHECK(a6->sin6_scope_id == b6->sin6_scope_id);
	}
}

static void
check_addr(const char *s, int family)
{
	struct sockaddr_storage ss, back;
	socklen_t len, blen;
	char buf[ADDRPORT_LEN], ap[ADDRPORT_LEN], *inner;
	size_t n;

	if (parse_addr(s, family, &ss, &len) < 0)
		return;
	FUZZ_CHECK(family == AF_UNSPEC || ss.ss_family == family);
	FUZZ_CHECK(len == (ss.ss_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)));
	FUZZ_CHECK(is_numeric_addr(s));
	fmt_addr((struct sockaddr *)&ss, buf, sizeof(buf));
	FUZZ_CHECK(parse_addr(buf, AF_UNSPEC, &back, &blen) == 0);
	check_same(&ss, &back);
	FUZZ_CHECK(check_host(buf, ap, sizeof(ap)) == 0);
	/* "[::1]:0": the brackets come off again, the port is 0. */
	fmt_addrport((struct sockaddr *)&ss, ap, sizeof(ap));
	n = strlen(ap);
	FUZZ_CHECK(n > 2 && strcmp(ap + n - 2, ":0") == 0);
	ap[n - 2] = '\0';
	FUZZ_CHECK((inner = unbracket(ap)) != NULL);
	FUZZ_CHECK(strcmp(inner, buf) == 0);
	FUZZ_CHECK(addr_port((struct sockaddr *)&ss) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), *copy, *inner, err[1024];
	size_t n = strlen(s);

	if (check_host(s, err, sizeof(err)) < 0) {
		FUZZ_CHECK_ERR(err, sizeof(err));
		FUZZ_CHECK(!is_numeric_addr(s));
	}
	(void)is_wildcard(s);
	check_addr(s, AF_UNSPEC);
	check_addr(s, AF_INET);
	check_addr(s, AF_INET6);
	if ((copy = strdup(s)) == NULL)
		abort();
	if ((inner = unbracket(copy)) != NULL) {
		FUZZ_CHECK(strchr(inner, ']') == NULL);
		FUZZ_CHECK(inner == copy ? strcmp(inner, s) == 0 :
		    strlen(inner) == n - 2);
		check_addr(inner, AF_UNSPEC);
	}
	free(copy);
	free(s);
	return 0;
}
