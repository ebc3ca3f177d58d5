/*
 * proxy_handshake.c: the SOCKS4/4a, SOCKS5 (RFC 1928, RFC 1929) and HTTP
 * CONNECT handshakes, bounded by a deadline. Nothing past the proxy's
 * reply is read: those bytes are the connection's.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "proxy.h"

/* The replies read_reply knows. */
enum { R_SOCKS4, R_METHOD, R_AUTH, R_SOCKS5 };

/* Room for any request or reply but HTTP's: SOCKS4A's user and name. */
#define SOCKS_BUF (8 + 2 * (PROXY_FIELD_MAX + 1))

int
proxy_sendable(const char *host)
{
	size_t n = strlen(host), i;

	for (i = 0; i < n; i++)
		if ((unsigned char)host[i] <= ' ' || host[i] == 0x7f)
			return 0;
	return n > 0 && n <= PROXY_FIELD_MAX;
}

/* Wait until fd has events or deadline: 1 ready, 0 timed out, -1 error. */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left;
	int r;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0)
			return 0;
		r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* The reason wait_fd did not return 1, for what we waited for, in err. */
static int
wait_failed(int r, const char *what, char *err, size_t errlen)
{
	if (r == 0)
		snprintf(err, errlen, "timed out waiting for %s", what);
	else
		snprintf(err, errlen, "poll: %s", strerror(errno));
	return PROXY_FAILED;
}

static int
send_all(int fd, const void *buf, size_t len, long long deadline,
    char *err, size_t errlen)
{
	const char *p = buf;
	ssize_t n;
	int r;

	while (len > 0) {
		if ((r = wait_fd(fd, POLLOUT, deadline)) <= 0)
			return wait_failed(r, "the proxy to take our request",
			    err, errlen);
		if ((n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(err, errlen, "send: %s", strerror(errno));
			return PROXY_FAILED;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Wait by deadline for input and recv(2) at most len bytes with flags:
 * the count, 0 at EOF, or PROXY_FAILED with the reason in err (what: what
 * we were waiting for).
 */
static ssize_t
recv_by(int fd, void *buf, size_t len, int flags, long long deadline,
    const char *what, char *err, size_t errlen)
{
	ssize_t n;
	int r;

	for (;;) {
		if ((r = wait_fd(fd, POLLIN, deadline)) <= 0)
			return wait_failed(r, what, err, errlen);
		if ((n = recv(fd, buf, len, flags | MSG_DONTWAIT)) >= 0)
			return n;
		if (errno != EINTR && errno != EAGAIN) {
			snprintf(err, errlen, "recv: %s", strerror(errno));
			return PROXY_FAILED;
		}
	}
}

static int
decode(int kind, const unsigned char *b, size_t len, int auth, char *err,
    size_t errlen)
{
	switch (kind) {
	case R_SOCKS4:
		return socks4_reply(b, len, err, errlen);
	case R_METHOD:
		return socks5_method_reply(b, len, auth, err, errlen);
	case R_AUTH:
		return socks5_auth_reply(b, len, err, errlen);
	default:
		return socks5_reply(b, len, err, errlen);
	}
}

/*
 * Read a SOCKS reply of kind into b (SOCKS_BUF bytes), never more bytes
 * than its decoder asks for. 0, or PROXY_REFUSED / PROXY_FAILED.
 */
static int
read_reply(int fd, int kind, int auth, unsigned char *b, long long deadline,
    char *err, size_t errlen)
{
	const char *what = kind == R_SOCKS4 ? "the SOCKS4 reply" :
	    kind == R_AUTH ? "the RFC 1929 reply" : "the SOCKS5 reply";
	size_t len = 0;
	ssize_t n;
	int need;

	while ((need = decode(kind, b, len, auth, err, errlen)) > 0) {
		n = recv_by(fd, b + len, (size_t)need - len, 0, deadline, what,
		    err, errlen);
		if (n < 0)
			return PROXY_FAILED;
		if (n == 0) {
			if (len == 0)
				snprintf(err, errlen, "connection closed "
				    "instead of %s", what);
			else
				snprintf(err, errlen, "connection closed in "
				    "%s, after %zu of its bytes", what, len);
			return PROXY_FAILED;
		}
		len += (size_t)n;
	}
	return need;
}

/* Append "LEN BYTES" (RFC 1929, SOCKS5 names) to b at *n. */
static void
put_field(unsigned char *b, size_t *n, const char *s)
{
	size_t len = strlen(s);

	b[(*n)++] = (unsigned char)len;
	memcpy(b + *n, s, len);
	*n += len;
}

static int
socks5(int fd, const struct proxy *px, const char *host, int port,
    long long dl, char *err, size_t errlen)
{
	unsigned char b[SOCKS_BUF];
	size_t n = 0;
	int auth = px->user[0] != '\0', r;

	/* Offer no authentication, and RFC 1929's when we have a user. */
	memcpy(b, auth ? "\5\2\0\2" : "\5\1\0", auth ? 4 : 3);
	if ((r = send_all(fd, b, auth ? 4 : 3, dl, err, errlen)) < 0 ||
	    (r = read_reply(fd, R_METHOD, auth, b, dl, err, errlen)) < 0)
		return r;
	if (b[1] == 2) {
		b[n++] = 1;
		put_field(b, &n, px->user);
		put_field(b, &n, px->pass);
		r = send_all(fd, b, n, dl, err, errlen);
		/* The password need not stay on the stack. */
		memset(b, 0, n);
		if (r < 0 || (r = read_reply(fd, R_AUTH, auth, b, dl, err,
		    errlen)) < 0)
			return r;
	}
	memcpy(b, "\5\1\0", 3);
	if (inet_pton(AF_INET, host, b + 4) == 1) {
		b[3] = 1;
		n = 8;
	} else if (inet_pton(AF_INET6, host, b + 4) == 1) {
		b[3] = 4;
		n = 20;
	} else if (px->proto == PROXY_SOCKS5H && proxy_sendable(host)) {
		b[3] = 3;
		n = 4;
		put_field(b, &n, host);
	} else {
		snprintf(err, errlen, "cannot send '%s' as a %s", host,
		    px->proto == PROXY_SOCKS5H ? "name" : "SOCKS5 address");
		return PROXY_FAILED;
	}
	b[n++] = (unsigned char)(port >> 8);
	b[n++] = (unsigned char)port;
	if ((r = send_all(fd, b, n, dl, err, errlen)) < 0)
		return r;
	return read_reply(fd, R_SOCKS5, auth, b, dl, err, errlen);
}

static int
socks4(int fd, const struct proxy *px, const char *host, int port,
    long long dl, char *err, size_t errlen)
{
	unsigned char b[SOCKS_BUF];
	size_t n = 8, len = strlen(px->user) + 1;
	const char *name = NULL;
	int r;

	b[0] = 4;
	b[1] = 1;
	b[2] = (unsigned char)(port >> 8);
	b[3] = (unsigned char)port;
	if (inet_pton(AF_INET, host, b + 4) != 1) {
		if (px->proto != PROXY_SOCKS4A || !proxy_sendable(host) ||
		    strchr(host, ':')) {
			snprintf(err, errlen, "SOCKS4 cannot reach '%s' (an "
			    "IPv4 address%s)", host,
			    px->proto == PROXY_SOCKS4A ? " or a name" : "");
			return PROXY_FAILED;
		}
		/* SOCKS4A: the address 0.0.0.x says a name follows. */
		memcpy(b + 4, "\0\0\0\1", 4);
		name = host;
	}
	memcpy(b + n, px->user, len);
	n += len;
	if (name) {
		len = strlen(name) + 1;
		memcpy(b + n, name, len);
		n += len;
	}
	if ((r = send_all(fd, b, n, dl, err, errlen)) < 0)
		return r;
	return read_reply(fd, R_SOCKS4, 0, b, dl, err, errlen);
}

/* RFC 4648 base64 of s[0..n) into out, which has room for it. */
static void
base64(const unsigned char *s, size_t n, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long v;
	size_t i;

	for (i = 0; i < n; i += 3) {
		v = (unsigned long)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		*out++ = tab[v >> 18 & 63];
		*out++ = tab[v >> 12 & 63];
		*out++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
		*out++ = i + 2 < n ? tab[v & 63] : '=';
	}
	*out = '\0';
}

/*
 * Read the proxy's reply header up to its blank line and not a byte
 * further: peek at what has come, take only what is header.
 */
static int
http_read(int fd, long long dl, char *err, size_t errlen)
{
	char b[PROXY_HEADER_MAX];
	size_t len = 0, take;
	ssize_t n;
	int r, end;

	while (len < sizeof(b)) {
		n = recv_by(fd, b + len, sizeof(b) - len, MSG_PEEK, dl, len ?
		    "the end of the HTTP reply header" : "the HTTP reply", err,
		    errlen);
		if (n < 0)
			return PROXY_FAILED;
		if (n == 0) {
			/* A refusal may close without ending its header. */
			if (memchr(b, '\n', len) &&
			    (r = http_reply(b, len, err, errlen)) < 0)
				return r;
			snprintf(err, errlen, "connection closed %s",
			    len ? "in the HTTP reply header" :
			    "instead of the HTTP reply");
			return PROXY_FAILED;
		}
		take = http_header_take(b, len, (size_t)n, &end);
		while (take > 0) {
			if ((n = recv(fd, b + len, take, MSG_DONTWAIT)) <= 0) {
				snprintf(err, errlen, "recv: %s", n < 0 ?
				    strerror(errno) : "connection closed");
				return PROXY_FAILED;
			}
			len += (size_t)n;
			take -= (size_t)n;
		}
		if (end)
			return http_reply(b, len, err, errlen);
	}
	snprintf(err, errlen, "HTTP reply header longer than %d bytes",
	    PROXY_HEADER_MAX);
	return PROXY_FAILED;
}

static int
http_connect(int fd, const struct proxy *px, const char *host, int port,
    long long dl, char *err, size_t errlen)
{
	char req[2 * PROXY_FIELD_MAX + 800], hp[PROXY_FIELD_MAX + 10];
	char cred[2 * PROXY_FIELD_MAX + 2], b64[(sizeof(cred) + 2) / 3 * 4 + 1];
	int n, r;

	if (!proxy_sendable(host)) {
		snprintf(err, errlen, "cannot send '%s' as a name", host);
		return PROXY_FAILED;
	}
	snprintf(hp, sizeof(hp), strchr(host, ':') ? "[%s]:%d" : "%s:%d",
	    host, port);
	n = snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n",
	    hp, hp);
	if (px->user[0]) {
		r = snprintf(cred, sizeof(cred), "%s:%s", px->user, px->pass);
		base64((unsigned char *)cred, (size_t)r, b64);
		n += snprintf(req + n, sizeof(req) - n,
		    "Proxy-Authorization: Basic %s\r\n", b64);
		memset(cred, 0, sizeof(cred));
		memset(b64, 0, sizeof(b64));
	}
	n += snprintf(req + n, sizeof(req) - n, "\r\n");
	r = send_all(fd, req, (size_t)n, dl, err, errlen);
	memset(req, 0, sizeof(req));
	return r < 0 ? r : http_read(fd, dl, err, errlen);
}

int
proxy_handshake(int fd, const struct proxy *px, const char *host, int port,
    long long deadline_ms, char *err, size_t errlen)
{
	switch (px->proto) {
	case PROXY_SOCKS4:
	case PROXY_SOCKS4A:
		return socks4(fd, px, host, port, deadline_ms, err, errlen);
	case PROXY_SOCKS5:
	case PROXY_SOCKS5H:
		return socks5(fd, px, host, port, deadline_ms, err, errlen);
	case PROXY_HTTP:
		return http_connect(fd, px, host, port, deadline_ms, err,
		    errlen);
	default:
		snprintf(err, errlen, "no proxy protocol");
		return PROXY_FAILED;
	}
}
