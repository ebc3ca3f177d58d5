/*
 * proxy.h: tcpconnect's proxy client (lib/proxy*.c), kept out of
 * sockbox.h since only the proxy files and tcpconnect use it.
 */
#ifndef SOCKBOX_PROXY_H
#define SOCKBOX_PROXY_H

#include "sockbox.h"

/* ---- lib/proxy.c, lib/proxy_reply.c: through a SOCKS or HTTP proxy ---- */

/* Proxy protocols (curl's scheme names); socks4a and socks5h send names. */
enum {
	PROXY_NONE, PROXY_SOCKS4, PROXY_SOCKS4A, PROXY_SOCKS5, PROXY_SOCKS5H,
	PROXY_HTTP
};

/* The longest host, user or password: SOCKS5 gives each one length byte. */
#define PROXY_FIELD_MAX 255
/* How long a handshake may take when -w does not say. */
#define PROXY_HANDSHAKE_MS 30000
/* The longest HTTP reply header read. */
#define PROXY_HEADER_MAX 16384

/* Why a handshake failed: the proxy refused HOST PORT, or anything else. */
enum { PROXY_REFUSED = -1, PROXY_FAILED = -2 };

/* A parsed PROXY: [SCHEME://][USER[:PASSWORD]@]HOST[:PORT]. */
struct proxy {
	int proto;		/* PROXY_SOCKS4...; PROXY_NONE: no proxy */
	char host[PROXY_FIELD_MAX + 1];	/* brackets removed */
	int port;
	char user[PROXY_FIELD_MAX + 1];	/* "": none */
	char pass[PROXY_FIELD_MAX + 1];
	int has_pass;		/* a password was given, perhaps "" */
};

/*
 * Parse a PROXY URL into px: 0, or -1 with the reason in err (never the
 * password). proto_hint is -X's protocol (parse_proxy_proto) or
 * PROXY_NONE; without a scheme it decides (default PROXY_SOCKS5H), with
 * one it must agree. USER and PASSWORD may use %XX escapes.
 */
int parse_proxy(const char *url, int proto_hint, struct proxy *px,
    char *err, size_t errlen);
/* -X's "4", "5" or "connect" as a PROXY_ protocol, or -1. */
int parse_proxy_proto(const char *s);
/*
 * parse_proxy of url with -X proto (or NULL) and -P user (or NULL), the
 * password from $SOCKBOX_PROXY_PASSWORD when a user has none; exit 2 on
 * bad input.
 */
void xparse_proxy(const char *url, const char *proto, const char *user,
    struct proxy *px);
/*
 * Get ready to reach host (for port, only named in messages) through px:
 * into dest the host as the handshake is to send it (an address when the
 * client resolves it, socks4 and socks5, with family), and return px's
 * own addresses. Dies with exit 2 for a host px cannot carry (IPv6 over
 * SOCKS4, a name over 255 bytes), exit 1 when a lookup fails.
 */
struct addrinfo *xproxy_prepare(const struct proxy *px, const char *host,
    int port, int family, char *dest, size_t destlen);
/*
 * Connect to one of res (px's addresses, Happy Eyeballs, from src) and
 * have px connect to dest port; timeout_ms > 0 bounds both together.
 * Returns the connected socket, whatever the proxy sent after its reply
 * still unread in it, or PROXY_REFUSED / PROXY_FAILED with
 * "proxy HOST:PORT: reason" in err.
 */
int proxy_connect(const struct proxy *px, struct addrinfo *res,
    const struct source *src, const char *dest, int port,
    long long timeout_ms, char *err, size_t errlen);
/*
 * The handshake on fd, connected to px, for host (a name, or a numeric
 * address sent as one) and port, done by now_ms() deadline_ms; it reads
 * nothing past the proxy's reply. 0, or PROXY_REFUSED / PROXY_FAILED with
 * the reason in err.
 */
int proxy_handshake(int fd, const struct proxy *px, const char *host,
    int port, long long deadline_ms, char *err, size_t errlen);

/* Whether host can go to a proxy as a name: 1-255 bytes, no controls. */
int proxy_sendable(const char *host);

/*
 * Decoders of what has arrived of a reply, b[0..len): 0 when b is the
 * whole reply, N > 0 when it needs N bytes in all (read exactly up to N,
 * never more, and call again), or PROXY_REFUSED / PROXY_FAILED with the
 * reason in err. A reply code is judged as soon as it is there.
 */
int socks4_reply(const unsigned char *b, size_t len, char *err,
    size_t errlen);
/* The method selection; offered_auth: we offered RFC 1929 (method 2). */
int socks5_method_reply(const unsigned char *b, size_t len, int offered_auth,
    char *err, size_t errlen);
int socks5_auth_reply(const unsigned char *b, size_t len, char *err,
    size_t errlen);
int socks5_reply(const unsigned char *b, size_t len, char *err,
    size_t errlen);
/* The length of an HTTP header up to its blank line, or 0 if not there. */
size_t http_header_end(const char *b, size_t len);
/*
 * Of n bytes that arrived after the len already taken (b[len..len+n)),
 * how many are still header: all n with *done 0, or those up to its blank
 * line with *done 1. The blank line may have begun in b[0..len).
 */
size_t http_header_take(const char *b, size_t len, size_t n, int *done);
/*
 * A whole HTTP CONNECT reply header: 0 for a 2xx status, else the status
 * line in err and PROXY_REFUSED (PROXY_FAILED for 401, 407, not HTTP).
 */
int http_reply(const char *b, size_t len, char *err, size_t errlen);

#endif
