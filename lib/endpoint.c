/*
 * endpoint.c: one parser for every option that names an endpoint, so
 * "HOST:PORT" and "unix:PATH" mean the same wherever they are taken.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "endpoint.h"

#define UNIX_PREFIX "unix:"

int
unix_sockaddr(const char *path, struct sockaddr_un *sun, socklen_t *len,
    char *err, size_t errlen)
{
	size_t n = strlen(path);
	int abstract = path[0] == '@';

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (n == 0 || (abstract && n == 1)) {
		snprintf(err, errlen, "empty socket path");
		return -1;
	}
	/* A file name needs its NUL; an abstract one is counted exactly. */
	if (n + !abstract > sizeof(sun->sun_path)) {
		snprintf(err, errlen, "socket path longer than %zu bytes",
		    sizeof(sun->sun_path) - !abstract);
		return -1;
	}
	memcpy(sun->sun_path, path, n);
	if (abstract)
		sun->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    !abstract);
	return 0;
}

void
xunix_sockaddr(const char *path, struct sockaddr_un *sun, socklen_t *len)
{
	char err[128];

	if (unix_sockaddr(path, sun, len, err, sizeof(err)) < 0)
		die_usage("'%s': %s", path, err);
}

char *
fmt_unix(const struct sockaddr_un *sun, socklen_t len, char *buf,
    size_t buflen)
{
	size_t n = len > offsetof(struct sockaddr_un, sun_path) ?
	    len - offsetof(struct sockaddr_un, sun_path) : 0;

	if (n == 0)
		snprintf(buf, buflen, "(unnamed)");
	else if (sun->sun_path[0] == '\0')
		snprintf(buf, buflen, "@%.*s", (int)(n - 1), sun->sun_path + 1);
	else
		snprintf(buf, buflen, "%.*s", (int)strnlen(sun->sun_path, n),
		    sun->sun_path);
	return buf;
}

socklen_t
unix_addrlen(const struct sockaddr_un *sun)
{
	size_t n = sizeof(sun->sun_path);

	if (sun->sun_path[0] != '\0')
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    strnlen(sun->sun_path, n) + 1);
	while (n > 0 && sun->sun_path[n - 1] == '\0')
		n--;
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
}

/* HOST:PORT into ep; a reason in why if it is not one. */
static int
parse_inet(const char *s, const char *proto, struct endpoint *ep,
    const char **why)
{
	char hostbuf[NI_MAXHOST + 2], err[1];
	const char *colon, *port;
	size_t n;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':') {
			*why = close == NULL ? "unmatched '['" :
			    close[1] ? "junk after ']'" : "no port";
			return -1;
		}
		colon = close + 1;
	} else if ((colon = strrchr(s, ':')) == NULL) {
		*why = "no port";
		return -1;
	} else if (memchr(s, ':', (size_t)(colon - s)) != NULL) {
		*why = "an IPv6 address needs brackets";
		return -1;
	}
	n = (size_t)(colon - s);
	port = colon + 1;
	if (n == 0 || (*s == '[' && n == 2)) {
		*why = "no host";
		return -1;
	}
	if (n >= sizeof(hostbuf)) {
		*why = "host too long";
		return -1;
	}
	memcpy(hostbuf, s, n);
	hostbuf[n] = '\0';
	/* A bracketed host is an IPv6 address; check_host sees inside. */
	if (check_host(hostbuf, err, sizeof(err)) < 0 ||
	    (*s == '[' ? strchr(hostbuf, ':') == NULL :
	    strpbrk(hostbuf, "[]") != NULL)) {
		*why = "invalid address";
		return -1;
	}
	if ((ep->port = port_number(port, proto)) < 0) {
		*why = *port ? "invalid port" : "no port";
		return -1;
	}
	if (*s == '[') {
		memcpy(ep->host, hostbuf + 1, n - 2);
		ep->host[n - 2] = '\0';
	} else {
		memcpy(ep->host, hostbuf, n + 1);
	}
	ep->kind = EP_INET;
	return 0;
}

int
endpoint_parse(const char *s, const char *proto, struct endpoint *ep,
    char *err, size_t errlen)
{
	char why[128];
	const char *w = why;

	memset(ep, 0, sizeof(*ep));
	if (strncmp(s, UNIX_PREFIX, sizeof(UNIX_PREFIX) - 1) == 0) {
		if (unix_sockaddr(s + sizeof(UNIX_PREFIX) - 1, &ep->sun,
		    &ep->sunlen, why, sizeof(why)) == 0) {
			ep->kind = EP_UNIX;
			return 0;
		}
	} else if (parse_inet(s, proto, ep, &w) == 0) {
		return 0;
	}
	snprintf(err, errlen, "invalid target '%s': %s", s, w);
	return -1;
}

void
xendpoint_parse(const char *s, const char *proto, struct endpoint *ep)
{
	char err[1024];

	if (endpoint_parse(s, proto, ep, err, sizeof(err)) < 0)
		die_usage("%s", err);
}

char *
fmt_endpoint(const struct endpoint *ep, char *buf, size_t len)
{
	char path[sizeof(ep->sun.sun_path) + 2];

	if (ep->kind == EP_UNIX)
		snprintf(buf, len, UNIX_PREFIX "%s", fmt_unix(&ep->sun,
		    ep->sunlen, path, sizeof(path)));
	else if (strchr(ep->host, ':'))
		snprintf(buf, len, "[%s]:%d", ep->host, ep->port);
	else
		snprintf(buf, len, "%s:%d", ep->host, ep->port);
	return buf;
}
