/*
 * proxyproto.c: haproxy's PROXY protocol headers (proxy-protocol.txt), v1
 * and v2: a decoder for what a hostile client may send, and the builder.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "proxyproto.h"

static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

#define V2_FIXED	16	/* signature, version/command, family, length */
#define V2_LOCAL	0x20	/* version 2, command LOCAL */
#define V2_PROXY	0x21	/* version 2, command PROXY */
#define V2_UNSPEC	0x00	/* family and protocol: unspecified */
#define V2_TCP4		0x11	/* INET, STREAM */
#define V2_TCP6		0x21	/* INET6, STREAM */
#define V2_UNIX		0x31	/* UNIX, STREAM */

/* v1's fields in order: PROXY, the protocol, two addresses, two ports. */
enum { F_PROXY, F_PROTO, F_SRC, F_DST, F_SPORT, F_DPORT, F_COUNT };

static int
fail(struct pp_result *r, const char *why)
{
	r->why = why;
	return -1;
}

/* Whether s[0..n) is a prefix of word (all of it if whole). */
static int
matches(const char *s, size_t n, const char *word, int whole)
{
	size_t wl = strlen(word);

	return n <= wl && memcmp(s, word, n) == 0 && (!whole || n == wl);
}

/*
 * Check v1 field k, s[0..n); whole: the field is complete, else it is the
 * beginning the buffer ends in. family: AF_INET or AF_INET6 (TCP4/TCP6),
 * 0 before the protocol is known. Fills r's addresses from whole fields.
 */
static const char *
check_field(int k, const char *s, size_t n, int whole, int family,
    struct pp_result *r)
{
	char text[INET6_ADDRSTRLEN];
	struct sockaddr_in *sin;
	struct sockaddr_in6 *sin6;
	struct sockaddr_storage *ss;
	size_t i, max;
	unsigned long port = 0;

	if (whole && n == 0)
		return "empty field";
	switch (k) {
	case F_PROXY:
		return matches(s, n, "PROXY", whole) ? NULL : "not a PROXY header";
	case F_PROTO:
		return matches(s, n, "TCP4", whole) ||
		    matches(s, n, "TCP6", whole) ||
		    matches(s, n, "UNKNOWN", whole) ? NULL : "unknown protocol";
	case F_SRC:
	case F_DST:
		max = family == AF_INET ? INET_ADDRSTRLEN - 1 :
		    INET6_ADDRSTRLEN - 1;
		for (i = 0; i < n; i++)
			if (!strchr(family == AF_INET ? "0123456789." :
			    "0123456789abcdefABCDEF:.", s[i]) || s[i] == '\0')
				return "invalid address";
		if (n > max)
			return "invalid address";
		if (!whole)
			return NULL;
		memcpy(text, s, n);
		text[n] = '\0';
		ss = k == F_SRC ? &r->src : &r->dst;
		ss->ss_family = family;
		sin = (struct sockaddr_in *)ss;
		sin6 = (struct sockaddr_in6 *)ss;
		if (inet_pton(family, text, family == AF_INET ?
		    (void *)&sin->sin_addr : (void *)&sin6->sin6_addr) != 1)
			return "invalid address";
		return NULL;
	case F_SPORT:
	case F_DPORT:
		if (n > 5)
			return "invalid port";
		for (i = 0; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return "invalid port";
			port = port * 10 + (unsigned)(s[i] - '0');
		}
		if (port > 65535)
			return "invalid port";
		ss = k == F_SPORT ? &r->src : &r->dst;
		if (family == AF_INET)
			((struct sockaddr_in *)ss)->sin_port = htons(port);
		else
			((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
		return NULL;
	}
	return "too many fields";
}

/*
 * v1: "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN...\r\n",
 * single spaces, at most PP_V1_MAX bytes. An incomplete line is checked
 * as far as it goes.
 */
static int
parse_v1(const char *b, size_t len, struct pp_result *r)
{
	size_t end, i, start = 0;
	int k = 0, family = 0, whole;
	const char *why;

	r->version = 1;
	for (end = 0; end < len && end < PP_V1_MAX; end++) {
		if (b[end] == '\n')
			return fail(r, "LF without CR");
		if (b[end] == '\r' && end + 1 < len) {
			if (b[end + 1] != '\n')
				return fail(r, "CR without LF");
			break;
		}
	}
	whole = end < len && b[end] == '\r';
	if (whole && end + 2 > PP_V1_MAX)
		whole = 0, end = PP_V1_MAX;
	if (!whole && end >= PP_V1_MAX)
		return fail(r, "no CRLF in 107 bytes");
	if (!whole && end > 0 && b[end - 1] == '\r')
		end--;		/* its LF is still to come */
	/* b[0..end): the line, or (not whole) the part of it that is in. */
	for (i = 0; i <= end; i++) {
		if (i < end && b[i] != ' ')
			continue;
		if (i == end && !whole) {
			why = check_field(k, b + start, i - start, 0, family, r);
			return why ? fail(r, why) : 0;
		}
		if ((why = check_field(k, b + start, i - start, 1, family,
		    r)) != NULL)
			return fail(r, why);
		if (k == F_PROTO && b[start] == 'U')	/* the rest is ignored */
			return whole ? (int)end + 2 : 0;
		if (k == F_PROTO)
			family = b[start + 3] == '4' ? AF_INET : AF_INET6;
		k++;
		start = i + 1;
	}
	if (k != F_COUNT)
		return fail(r, "too few fields");
	r->has_addr = 1;
	return (int)end + 2;
}

/* Bytes of addresses family byte fam needs after the fixed part. */
static size_t
v2_addr_len(unsigned fam)
{
	return fam == V2_TCP4 ? 12 : fam == V2_TCP6 ? 36 : fam == V2_UNIX ?
	    216 : 0;
}

/* The addresses of a v2 PROXY header for INET or INET6. */
static void
v2_addrs(const unsigned char *a, unsigned fam, struct pp_result *r)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&r->src;
	struct sockaddr_in *d4 = (struct sockaddr_in *)&r->dst;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&r->src;
	struct sockaddr_in6 *d6 = (struct sockaddr_in6 *)&r->dst;

	r->has_addr = 1;
	if (fam == V2_TCP4) {
		s4->sin_family = d4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a, 4);
		memcpy(&d4->sin_addr, a + 4, 4);
		memcpy(&s4->sin_port, a + 8, 2);
		memcpy(&d4->sin_port, a + 10, 2);
	} else {
		s6->sin6_family = d6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a, 16);
		memcpy(&d6->sin6_addr, a + 16, 16);
		memcpy(&s6->sin6_port, a + 32, 2);
		memcpy(&d6->sin6_port, a + 34, 2);
	}
}

/*
 * v2: the signature, version 2 and command LOCAL or PROXY, the family and
 * protocol, the length of the rest (addresses, then TLVs).
 */
static int
parse_v2(const unsigned char *b, size_t len, struct pp_result *r)
{
	size_t total;
	unsigned fam;

	r->version = 2;
	if (memcmp(b, v2_sig, len < 12 ? len : 12) != 0)
		return fail(r, "not a PROXY header");
	if (len > 12 && b[12] >> 4 != 2)
		return fail(r, "not version 2");
	if (len > 12 && b[12] != V2_LOCAL && b[12] != V2_PROXY)
		return fail(r, "unknown command");
	if (len < 14)
		return 0;
	fam = b[13];
	/* LOCAL: the family is to be ignored, whatever it says. */
	if (b[12] == V2_PROXY && fam != V2_UNSPEC && fam != V2_TCP4 &&
	    fam != V2_TCP6 && fam != V2_UNIX)
		return fail(r, "unsupported family or protocol");
	if (len < V2_FIXED)
		return 0;
	total = V2_FIXED + ((size_t)b[14] << 8 | b[15]);
	if (total > PP_MAX_LEN)
		return fail(r, "oversized");
	if (b[12] == V2_PROXY && total - V2_FIXED < v2_addr_len(fam))
		return fail(r, "length too short for the addresses");
	if (len < total) {
		r->need = total;
		return 0;
	}
	if (b[12] == V2_PROXY && (fam == V2_TCP4 || fam == V2_TCP6))
		v2_addrs(b + V2_FIXED, fam, r);
	return (int)total;
}

int
pp_parse(const void *buf, size_t len, struct pp_result *r)
{
	const unsigned char *b = buf;

	memset(r, 0, sizeof(*r));
	if (len == 0)
		return 0;
	if (b[0] == 'P')
		return parse_v1(buf, len, r);
	if (b[0] == v2_sig[0])
		return parse_v2(b, len, r);
	return fail(r, "not a PROXY header");
}

/*
 * 4: sa is IPv4 (or IPv4-mapped IPv6), its address at *a; 6: IPv6, at
 * *a; 0: neither. *port in network order.
 */
static int
addr_kind(const struct sockaddr *sa, const unsigned char **a, uint16_t *port)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		*a = (const unsigned char *)&s4->sin_addr;
		*port = s4->sin_port;
		return 4;
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	*port = s6->sin6_port;
	*a = s6->sin6_addr.s6_addr;
	if (!IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return 6;
	*a += 12;
	return 4;
}

/* An address of kind (4 or 6) as 16 bytes: IPv4 mapped if need be. */
static void
as_v6(unsigned char *out, const unsigned char *a, int kind)
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (kind == 6) {
		memcpy(out, a, 16);
		return;
	}
	memcpy(out, mapped, 12);
	memcpy(out + 12, a, 4);
}

size_t
pp_build(void *buf, size_t cap, int version, const struct sockaddr *src,
    const struct sockaddr *dst)
{
	unsigned char h[V2_FIXED + 36], sa[16], da[16];
	char ts[INET6_ADDRSTRLEN], td[INET6_ADDRSTRLEN], line[PP_BUILD_MAX];
	const unsigned char *s = NULL, *d = NULL;
	uint16_t sp = 0, dp = 0;
	int ks = addr_kind(src, &s, &sp), kd = addr_kind(dst, &d, &dp);
	int v4 = ks == 4 && kd == 4, n;
	size_t len;

	if (ks && kd && !v4) {		/* a mix: both as IPv6 */
		as_v6(sa, s, ks);
		as_v6(da, d, kd);
		s = sa;
		d = da;
	}
	if (version == 1) {
		if (!ks || !kd) {
			n = snprintf(line, sizeof(line), "PROXY UNKNOWN\r\n");
		} else {
			inet_ntop(v4 ? AF_INET : AF_INET6, s, ts, sizeof(ts));
			inet_ntop(v4 ? AF_INET : AF_INET6, d, td, sizeof(td));
			n = snprintf(line, sizeof(line), "PROXY TCP%c %s %s "
			    "%u %u\r\n", v4 ? '4' : '6', ts, td, ntohs(sp),
			    ntohs(dp));
		}
		if (n < 0 || (size_t)n >= sizeof(line))
			return 0;
		len = (size_t)n;
		if (len > cap)
			return 0;
		memcpy(buf, line, len);
		return len;
	}
	if (version != 2)
		return 0;
	memcpy(h, v2_sig, 12);
	h[12] = ks && kd ? V2_PROXY : V2_LOCAL;
	h[13] = !ks || !kd ? V2_UNSPEC : v4 ? V2_TCP4 : V2_TCP6;
	len = v2_addr_len(h[13]);
	h[14] = 0;
	h[15] = (unsigned char)len;
	if (len) {
		memcpy(h + V2_FIXED, s, len / 2 - 2);
		memcpy(h + V2_FIXED + len / 2 - 2, d, len / 2 - 2);
		memcpy(h + V2_FIXED + len - 4, &sp, 2);
		memcpy(h + V2_FIXED + len - 2, &dp, 2);
	}
	len += V2_FIXED;
	if (len > cap)
		return 0;
	memcpy(buf, h, len);
	return len;
}
