/*
 * ipcount.c: how many connections each client holds, for a per-client
 * limit (-C): a small hash table, an entry per IPv4 address or IPv6 /64.
 */
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include "evloop.h"

#define IP_BUCKETS 1024

struct ipcount {
	struct ipcount *next;
	uint8_t key[16];
	unsigned n;
};

/*
 * sa's key as 16 bytes: IPv4 as IPv4-mapped IPv6, IPv6 as its /64. Returns
 * its hash bucket.
 */
static unsigned
ip_key(const struct sockaddr *sa, uint8_t key[16])
{
	unsigned h = 2166136261u, i;

	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr,
		    4);
	} else {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		/* A host is given a whole /64: count that, not addresses. */
		if (!IN6_IS_ADDR_V4MAPPED(
		    &((const struct sockaddr_in6 *)sa)->sin6_addr))
			memset(key + 8, 0, 8);
	}
	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % IP_BUCKETS;
}

int
ipcount_take(struct iptable *t, const struct sockaddr *sa, unsigned max)
{
	uint8_t key[16];
	unsigned b = ip_key(sa, key);
	struct ipcount *c;

	if (t->bucket == NULL &&
	    (t->bucket = calloc(IP_BUCKETS, sizeof(*t->bucket))) == NULL)
		return -1;
	for (c = t->bucket[b]; c; c = c->next)
		if (memcmp(c->key, key, 16) == 0)
			break;
	if (c == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return -1;
		memcpy(c->key, key, 16);
		c->next = t->bucket[b];
		t->bucket[b] = c;
	}
	if (c->n >= max)
		return -1;
	c->n++;
	return 0;
}

void
ipcount_release(struct iptable *t, const struct sockaddr *sa)
{
	uint8_t key[16];
	struct ipcount **pp, *c;

	if (t->bucket == NULL)
		return;
	for (pp = &t->bucket[ip_key(sa, key)]; (c = *pp) != NULL;
	    pp = &c->next) {
		if (memcmp(c->key, key, 16) != 0)
			continue;
		if (--c->n == 0) {
			*pp = c->next;
			free(c);
		}
		return;
	}
}

void
ipcount_free(struct iptable *t)
{
	struct ipcount *c, *next;
	unsigned i;

	if (t->bucket == NULL)
		return;
	for (i = 0; i < IP_BUCKETS; i++)
		for (c = t->bucket[i]; c; c = next) {
			next = c->next;
			free(c);
		}
	free(t->bucket);
	t->bucket = NULL;
}
