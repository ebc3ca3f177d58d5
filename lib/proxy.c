/*
 * proxy.c: the PROXY operand (curl's URL form, OpenBSD nc's -X), and
 * reaching a host through it: lookups first, then connect and handshake.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "proxy.h"

static const struct {
	const char *name;
	int proto;
} schemes[] = {
	{ "socks4", PROXY_SOCKS4 },
	{ "socks4a", PROXY_SOCKS4A },
	{ "socks5", PROXY_SOCKS5 },
	{ "socks5h", PROXY_SOCKS5H },
	{ "http", PROXY_HTTP }
};

int
parse_proxy_proto(const char *s)
{
	/* nc sends SOCKS5 requests by name and SOCKS4 ones by address. */
	if (strcmp(s, "4") == 0)
		return PROXY_SOCKS4;
	if (strcmp(s, "5") == 0)
		return PROXY_SOCKS5H;
	if (strcmp(s, "connect") == 0)
		return PROXY_HTTP;
	return -1;
}

/* The SOCKS version or HTTP, to check -X against a scheme. */
static int
proto_kind(int proto)
{
	return proto == PROXY_SOCKS4A ? PROXY_SOCKS4 :
	    proto == PROXY_SOCKS5H ? PROXY_SOCKS5 : proto;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0..n) with %XX escapes decoded into out (PROXY_FIELD_MAX + 1). */
static int
decode_field(const char *s, size_t n, char *out, const char *what,
    char *err, size_t errlen)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (o == PROXY_FIELD_MAX) {
			snprintf(err, errlen, "%s longer than %d bytes", what,
			    PROXY_FIELD_MAX);
			return -1;
		}
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 ||
		    (lo = hexval(s[i + 2])) < 0 || (hi == 0 && lo == 0)) {
			snprintf(err, errlen, "bad %%XX escape in the %s",
			    what);
			return -1;
		}
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	return 0;
}

/* "user[:password]" of n bytes into px. */
static int
parse_userinfo(const char *s, size_t n, struct proxy *px, char *err,
    size_t errlen)
{
	const char *colon = memchr(s, ':', n);
	size_t un = colon ? (size_t)(colon - s) : n;

	if (un == 0) {
		snprintf(err, errlen, "empty user");
		return -1;
	}
	if (decode_field(s, un, px->user, "user", err, errlen) < 0)
		return -1;
	if (colon == NULL)
		return 0;
	px->has_pass = 1;
	return decode_field(colon + 1, n - un - 1, px->pass, "password", err,
	    errlen);
}

/* "host[:port]" or "[v6][:port]", n bytes, into px. */
static int
parse_hostport(const char *s, size_t n, struct proxy *px, char *err,
    size_t errlen)
{
	const char *h = s, *p = NULL, *end = s + n, *c;
	size_t hn, i;
	unsigned long port = 0;

	if (n > 0 && *s == '[') {
		h = s + 1;
		if ((c = memchr(s, ']', n)) == NULL ||
		    (c + 1 < end && c[1] != ':')) {
			snprintf(err, errlen, "bad brackets in the host");
			return -1;
		}
		hn = (size_t)(c - h);
		if (c + 1 < end)
			p = c + 2;
	} else if ((c = memchr(s, ':', n)) != NULL) {
		if (memchr(c + 1, ':', (size_t)(end - c - 1))) {
			snprintf(err, errlen, "an IPv6 host needs brackets");
			return -1;
		}
		hn = (size_t)(c - s);
		p = c + 1;
	} else
		hn = n;
	if (hn == 0 || hn > PROXY_FIELD_MAX) {
		snprintf(err, errlen, hn ? "host longer than %d bytes" :
		    "missing host", PROXY_FIELD_MAX);
		return -1;
	}
	memcpy(px->host, h, hn);
	px->host[hn] = '\0';
	for (i = 0; i < hn; i++)
		if (!(h[i] >= 'a' && h[i] <= 'z') && !(h[i] >= 'A' &&
		    h[i] <= 'Z') && !(h[i] >= '0' && h[i] <= '9') &&
		    !strchr(h == s ? "-._" : "-._:%", h[i]))
			break;
	if (i < hn || (h != s && !is_numeric_addr(px->host))) {
		snprintf(err, errlen, "bad host '%s'", px->host);
		return -1;
	}
	if (p == NULL)
		return 0;
	for (c = p; c < end && *c >= '0' && *c <= '9' && port <= 65535; c++)
		port = port * 10 + (unsigned long)(*c - '0');
	if (c == p || c < end || port < 1 || port > 65535) {
		snprintf(err, errlen, "bad port '%.*s'", (int)(end - p), p);
		return -1;
	}
	px->port = (int)port;
	return 0;
}

int
parse_proxy(const char *url, int proto_hint, struct proxy *px, char *err,
    size_t errlen)
{
	const char *s = url, *sep, *at;
	size_t i, n;

	memset(px, 0, sizeof(*px));
	px->proto = proto_hint ? proto_hint : PROXY_SOCKS5H;
	if ((sep = strstr(url, "://")) != NULL) {
		n = (size_t)(sep - url);
		for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
			if (strlen(schemes[i].name) == n &&
			    strncasecmp(url, schemes[i].name, n) == 0)
				break;
		if (i == sizeof(schemes) / sizeof(schemes[0])) {
			snprintf(err, errlen, "unsupported scheme '%.*s' "
			    "(socks4, socks4a, socks5, socks5h, http)",
			    n > 20 ? 20 : (int)n, url);
			return -1;
		}
		px->proto = schemes[i].proto;
		if (proto_hint && proto_kind(proto_hint) !=
		    proto_kind(px->proto)) {
			snprintf(err, errlen, "-X contradicts the scheme "
			    "'%s'", schemes[i].name);
			return -1;
		}
		s = sep + 3;
	}
	n = strlen(s);
	/* curl allows a path; only an empty one means nothing here. */
	if (n > 0 && s[n - 1] == '/')
		n--;
	/* The host has no '@', so the last one ends the user and password. */
	for (at = s + n; at > s && at[-1] != '@'; at--)
		;
	if (at > s && parse_userinfo(s, (size_t)(at - s - 1), px, err,
	    errlen) < 0)
		return -1;
	if (parse_hostport(at, (size_t)(s + n - at), px, err, errlen) < 0)
		return -1;
	if (px->port == 0)
		px->port = px->proto == PROXY_HTTP ? 3128 : 1080;
	if (px->has_pass && proto_kind(px->proto) == PROXY_SOCKS4) {
		snprintf(err, errlen, "SOCKS4 has no password, only a user");
		return -1;
	}
	if (px->proto == PROXY_HTTP && strchr(px->user, ':')) {
		snprintf(err, errlen, "an HTTP user cannot contain ':'");
		return -1;
	}
	return 0;
}

void
xparse_proxy(const char *url, const char *proto, const char *user,
    struct proxy *px)
{
	const char *pw;
	char err[128];
	int hint = PROXY_NONE;

	if (proto && (hint = parse_proxy_proto(proto)) < 0)
		die_usage("invalid proxy protocol '%s' (4, 5 or connect)",
		    proto);
	if (parse_proxy(url, hint, px, err, sizeof(err)) < 0)
		die_usage("invalid proxy: %s", err);
	if (user) {
		if (px->user[0])
			die_usage("-P cannot be used with a user in the "
			    "proxy URL");
		if (*user == '\0' || strlen(user) > PROXY_FIELD_MAX ||
		    (px->proto == PROXY_HTTP && strchr(user, ':')))
			die_usage("invalid proxy user '%s'", user);
		strcpy(px->user, user);
	}
	/* From the environment, a password stays out of ps(1). */
	if (px->user[0] && !px->has_pass &&
	    proto_kind(px->proto) != PROXY_SOCKS4 &&
	    (pw = getenv("SOCKBOX_PROXY_PASSWORD")) != NULL) {
		if (strlen(pw) > PROXY_FIELD_MAX)
			die_usage("SOCKBOX_PROXY_PASSWORD is longer than %d "
			    "bytes", PROXY_FIELD_MAX);
		strcpy(px->pass, pw);
		px->has_pass = 1;
	}
}

/* "127.0.0.1:1080" or "[::1]:1080", what messages call the proxy. */
static void
proxy_label(const struct proxy *px, char *buf, size_t len)
{
	snprintf(buf, len, strchr(px->host, ':') ? "[%s]:%d" : "%s:%d",
	    px->host, px->port);
}

struct addrinfo *
xproxy_prepare(const struct proxy *px, const char *host, int port,
    int family, char *dest, size_t destlen)
{
	struct sockaddr_storage ss;
	struct addrinfo *res;
	socklen_t len;
	char where[PROXY_FIELD_MAX + 10];
	int socks4 = proto_kind(px->proto) == PROXY_SOCKS4, err;

	if (socks4 && family == AF_INET6)
		die_usage("SOCKS4 cannot reach IPv6 (-6)");
	if (parse_addr(host, AF_UNSPEC, &ss, &len) == 0) {
		fmt_addr((struct sockaddr *)&ss, dest, destlen);
		if (socks4 && strchr(dest, ':'))
			die_usage("SOCKS4 cannot reach the IPv6 address %s",
			    host);
	} else if (px->proto == PROXY_SOCKS4 || px->proto == PROXY_SOCKS5) {
		/* curl's socks4 and socks5: the client resolves. */
		if ((err = resolve_host(host, port, socks4 ? AF_INET : family,
		    SOCK_STREAM, &res)) != 0)
			die_msg(EXIT_FAIL, "%s port %d: %s", host, port,
			    gai_msg(err));
		fmt_addr(res->ai_addr, dest, destlen);
		freeaddrinfo(res);
	} else if (strlen(host) > PROXY_FIELD_MAX) {
		die_usage("a host name for a proxy has at most %d bytes",
		    PROXY_FIELD_MAX);
	} else if (!proxy_sendable(host)) {
		die_usage("invalid host '%s'", host);
	} else
		snprintf(dest, destlen, "%s", host);
	check_family(px->host, family);
	proxy_label(px, where, sizeof(where));
	if ((err = resolve_host(px->host, px->port, family, SOCK_STREAM,
	    &res)) != 0)
		die_msg(EXIT_FAIL, "proxy %s: %s", where, gai_msg(err));
	return res;
}

int
proxy_connect(const struct proxy *px, struct addrinfo *res,
    const struct source *src, const char *dest, int port,
    long long timeout_ms, char *err, size_t errlen)
{
	char where[PROXY_FIELD_MAX + 10], why[256];
	long long start = now_ms(), deadline;
	int fd, rc;

	proxy_label(px, where, sizeof(where));
	if ((fd = connect_any(res, src, timeout_ms)) < 0) {
		snprintf(err, errlen, "proxy %s: %s", where, strerror(errno));
		return PROXY_FAILED;
	}
	deadline = timeout_ms > 0 ? start + timeout_ms :
	    now_ms() + PROXY_HANDSHAKE_MS;
	rc = proxy_handshake(fd, px, dest, port, deadline, why, sizeof(why));
	if (rc < 0) {
		close(fd);
		snprintf(err, errlen, "proxy %s: %s", where, why);
		return rc;
	}
	return fd;
}
