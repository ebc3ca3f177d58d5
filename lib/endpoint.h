/*
 * endpoint.h: the address of a remote or local endpoint, parsed once from
 * the command line into a value: "HOST:PORT", "[V6]:PORT", "unix:PATH",
 * "unix:@NAME", and the -U PATH of the network applets.
 */
#ifndef SOCKBOX_ENDPOINT_H
#define SOCKBOX_ENDPOINT_H

#include <netdb.h>
#include <sys/un.h>
#include "sockbox.h"

enum { EP_INET = 1, EP_UNIX };

struct endpoint {
	int kind;		/* EP_INET or EP_UNIX */
	char host[NI_MAXHOST];	/* EP_INET: no brackets ("fe80::1%lo") */
	int port;		/* EP_INET */
	struct sockaddr_un sun;	/* EP_UNIX */
	socklen_t sunlen;	/* EP_UNIX: what bind/connect take */
};

/*
 * Parse a target: HOST:PORT (HOST a name, an IPv4 address or a bracketed
 * IPv6 one; PORT a number or a service name of proto), unix:PATH or
 * unix:@NAME (Linux's abstract namespace). Nothing is looked up but the
 * service name. 0, or -1 with "invalid target 'S': why" in err.
 */
int endpoint_parse(const char *s, const char *proto, struct endpoint *ep,
    char *err, size_t errlen);
/* endpoint_parse or die_usage (exit 2). */
void xendpoint_parse(const char *s, const char *proto, struct endpoint *ep);
/*
 * A Unix-domain address for path; "@NAME" is abstract (no file, no NUL
 * terminator in the length). 0, or -1 with the reason in err: the path is
 * empty or longer than sun_path holds.
 */
int unix_sockaddr(const char *path, struct sockaddr_un *sun,
    socklen_t *len, char *err, size_t errlen);
/* unix_sockaddr or die_usage("PATH: why"): what -U PATH calls. */
void xunix_sockaddr(const char *path, struct sockaddr_un *sun,
    socklen_t *len);
/*
 * A Unix-domain address as the user wrote it: "/run/x.sock" or "@name"
 * (an unnamed one, "(unnamed)"), into buf.
 */
char *fmt_unix(const struct sockaddr_un *sun, socklen_t len, char *buf,
    size_t buflen);
/*
 * The length of a Unix-domain address whose unused bytes are zero (as
 * accept, recvfrom and getsockname leave a zeroed buffer), for fmt_unix:
 * no name is "(unnamed)".
 */
socklen_t unix_addrlen(const struct sockaddr_un *sun);
/* ep as the user wrote it ("host:80", "[::1]:80", "unix:/run/x") into buf. */
char *fmt_endpoint(const struct endpoint *ep, char *buf, size_t len);

#endif
