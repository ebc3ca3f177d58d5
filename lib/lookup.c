/*
 * lookup.c: reentrant hostent lookups (gethostbyname2_r, gethostbyaddr_r)
 * with a buffer that grows until the answer fits, for threads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "sockbox.h"

/* Far beyond any real answer: past this, give up rather than grow. */
#define HOSTBUF_MAX (1 << 20)

/* Double the buffer (1 KiB at first); -1 once it may not grow. */
static int
grow(struct hostrec *hr)
{
	size_t len = hr->len ? hr->len * 2 : 1024;
	char *buf;

	if (len > HOSTBUF_MAX || (buf = realloc(hr->buf, len)) == NULL)
		return -1;
	hr->buf = buf;
	hr->len = len;
	return 0;
}

int
host_by_name(const char *name, int af, struct hostrec *hr)
{
	struct hostent *res;
	int err, herr;

	if (hr->buf == NULL && grow(hr) < 0)
		return NO_RECOVERY;
	for (;;) {
		res = NULL;
		herr = 0;
		err = gethostbyname2_r(name, af, &hr->he, hr->buf, hr->len,
		    &res, &herr);
		if (err != ERANGE)
			break;
		if (grow(hr) < 0)
			return NO_RECOVERY;
	}
	if (res == NULL)
		return herr ? herr : NO_RECOVERY;
	return 0;
}

int
host_by_addr(const struct sockaddr *sa, struct hostrec *hr)
{
	const void *addr;
	struct hostent *res;
	socklen_t alen;
	char num[INET6_ADDRSTRLEN];
	int err, herr;

	if (sa->sa_family == AF_INET6) {
		addr = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		alen = sizeof(struct in6_addr);
	} else {
		addr = &((const struct sockaddr_in *)sa)->sin_addr;
		alen = sizeof(struct in_addr);
	}
	if (hr->buf == NULL && grow(hr) < 0)
		return NO_RECOVERY;
	for (;;) {
		res = NULL;
		herr = 0;
		err = gethostbyaddr_r(addr, alen, sa->sa_family, &hr->he,
		    hr->buf, hr->len, &res, &herr);
		if (err != ERANGE)
			break;
		if (grow(hr) < 0)
			return NO_RECOVERY;
	}
	if (res == NULL)
		return herr ? herr : NO_RECOVERY;
	/*
	 * musl answers an address without a name with the address itself
	 * (getnameinfo without NI_NAMEREQD): that is no name, as with glibc.
	 */
	if (inet_ntop(sa->sa_family, addr, num, sizeof(num)) != NULL &&
	    strcmp(res->h_name, num) == 0)
		return HOST_NOT_FOUND;
	return 0;
}

void
free_hostrec(struct hostrec *hr)
{
	free(hr->buf);
	hr->buf = NULL;
	hr->len = 0;
}
