/*
 * proxy_reply.c: the proxies' replies decoded from a buffer, with no I/O,
 * so that tests and fuzzers can feed them anything.
 */
#include <stdio.h>
#include <string.h>
#include "proxy.h"

/* The words of RFC 1928, section 6, for SOCKS5 reply codes 1 to 8. */
static const char *const socks5_words[] = {
	"succeeded",
	"general SOCKS server failure",
	"connection not allowed by the proxy's rules",
	"network unreachable",
	"host unreachable",
	"connection refused by the destination",
	"TTL expired",
	"command not supported",
	"address type not supported"
};

/* The SOCKS4 protocol's words for its reply codes 91 to 93. */
static const char *const socks4_words[] = {
	"request rejected or failed",
	"request rejected: the proxy cannot reach our identd",
	"request rejected: identd reports another user id"
};

int
socks4_reply(const unsigned char *b, size_t len, char *err, size_t errlen)
{
	if (len >= 1 && b[0] != 0) {
		snprintf(err, errlen, "not a SOCKS4 reply (version %d)", b[0]);
		return PROXY_FAILED;
	}
	if (len >= 2 && b[1] != 90) {
		snprintf(err, errlen, "%s (SOCKS4 reply %d)", b[1] >= 91 &&
		    b[1] <= 93 ? socks4_words[b[1] - 91] : "unknown reply",
		    b[1]);
		return PROXY_REFUSED;
	}
	return len < 8 ? 8 : 0;
}

int
socks5_method_reply(const unsigned char *b, size_t len, int offered_auth,
    char *err, size_t errlen)
{
	if (len >= 1 && b[0] != 5) {
		snprintf(err, errlen, "not a SOCKS5 proxy (reply version %d)",
		    b[0]);
		return PROXY_FAILED;
	}
	if (len < 2)
		return 2;
	if (b[1] == 0 || (b[1] == 2 && offered_auth))
		return 0;
	if (b[1] == 0xff && !offered_auth)
		snprintf(err, errlen, "requires authentication "
		    "(give -P USER or USER@ in the proxy URL)");
	else if (b[1] == 0xff)
		snprintf(err, errlen, "accepts no authentication "
		    "method we offer");
	else
		snprintf(err, errlen, "chose authentication method "
		    "%d, which we did not offer", b[1]);
	return PROXY_FAILED;
}

int
socks5_auth_reply(const unsigned char *b, size_t len, char *err,
    size_t errlen)
{
	if (len >= 1 && b[0] != 1) {
		snprintf(err, errlen, "not an RFC 1929 reply (version %d)",
		    b[0]);
		return PROXY_FAILED;
	}
	if (len >= 2 && b[1] != 0) {
		snprintf(err, errlen, "refused the user name and "
		    "password (RFC 1929 status %d)", b[1]);
		return PROXY_FAILED;
	}
	return len < 2 ? 2 : 0;
}

int
socks5_reply(const unsigned char *b, size_t len, char *err, size_t errlen)
{
	size_t need;

	if (len >= 1 && b[0] != 5) {
		snprintf(err, errlen, "not a SOCKS5 reply (version %d)", b[0]);
		return PROXY_FAILED;
	}
	if (len >= 2 && b[1] != 0) {
		snprintf(err, errlen, "%s (SOCKS5 reply %d)", b[1] <= 8 ?
		    socks5_words[b[1]] : "unknown reply", b[1]);
		return PROXY_REFUSED;
	}
	if (len < 4)
		return 4;
	/* VER REP RSV ATYP, the bound address, its port. */
	switch (b[3]) {
	case 1:
		need = 4 + 4 + 2;
		break;
	case 4:
		need = 4 + 16 + 2;
		break;
	case 3:
		if (len < 5)
			return 5;
		need = 5 + b[4] + 2;
		break;
	default:
		snprintf(err, errlen, "SOCKS5 reply with unknown address "
		    "type %d", b[3]);
		return PROXY_FAILED;
	}
	return len < need ? (int)need : 0;
}

size_t
http_header_end(const char *b, size_t len)
{
	size_t i;

	/* A blank line ends it: "\n\r\n", or "\n\n" from sloppy proxies. */
	for (i = 0; i + 1 < len; i++) {
		if (b[i] != '\n')
			continue;
		if (b[i + 1] == '\n')
			return i + 2;
		if (b[i + 1] == '\r' && i + 2 < len && b[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

size_t
http_header_take(const char *b, size_t len, size_t n, int *done)
{
	/* The blank line may have begun in what was taken before. */
	size_t from = len > 2 ? len - 2 : 0;
	size_t end = http_header_end(b + from, len + n - from);

	*done = end != 0;
	return end ? from + end - len : n;
}

/* b's first line, without its CR LF, printable, at most 200 bytes, in out. */
static void
first_line(const char *b, size_t len, char *out, size_t outlen)
{
	size_t i, n = 0;

	for (i = 0; i < len && b[i] != '\n' && n + 1 < outlen && n < 200;
	    i++) {
		if (b[i] == '\r' && (i + 1 == len || b[i + 1] == '\n'))
			continue;
		out[n++] = b[i] >= ' ' && b[i] < 0x7f ? b[i] : '?';
	}
	out[n] = '\0';
}

int
http_reply(const char *b, size_t len, char *err, size_t errlen)
{
	char line[208];
	int code;

	first_line(b, len, line, sizeof(line));
	/* "HTTP/1.1 200 Connection established": version, code, reason. */
	if (len < 12 || memcmp(b, "HTTP/", 5) != 0 || b[5] < '0' ||
	    b[5] > '9' || b[6] != '.' || b[7] < '0' || b[7] > '9' ||
	    b[8] != ' ' || b[9] < '1' || b[9] > '5' || b[10] < '0' ||
	    b[10] > '9' || b[11] < '0' || b[11] > '9' ||
	    (len > 12 && b[12] != ' ' && b[12] != '\r' && b[12] != '\n')) {
		snprintf(err, errlen, "not an HTTP reply: '%s'", line);
		return PROXY_FAILED;
	}
	code = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
	if (code >= 200 && code <= 299)
		return 0;
	snprintf(err, errlen, "%s", line);
	/* 407 (and tinyproxy's 401 for a wrong password) is about us. */
	return code == 401 || code == 407 ? PROXY_FAILED : PROXY_REFUSED;
}
