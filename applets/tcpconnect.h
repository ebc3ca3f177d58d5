/*
 * tcpconnect.h: what tcpconnect.c and tcpconnect_scan.c share: the
 * command line, parsed once.
 */
#ifndef TCPCONNECT_H
#define TCPCONNECT_H

#include "../lib/dump.h"
#include "../lib/proxy.h"
#include "../lib/sockopt.h"
#include "../lib/endpoint.h"

struct opts {
	int family, verbose, scan, json, numeric;
	int recv_only, send_only, crlf;
	unsigned parallel;		/* -z probes at once */
	long long wait_ms, idle_ms, linger_ms, quit_ms;
	long long until_ms, interval_ms;	/* --wait, --interval */
	const char *idle_arg, *linger_arg, *quit_arg, *until_arg;
	const char *interval_arg, *parallel_arg;
	struct source src;
	const char *proxy_url, *proxy_proto, *proxy_user;	/* -x -X -P */
	struct proxy proxy;
	struct addrinfo *proxy_res;	/* the proxy's addresses */
	char dest[NI_MAXHOST];		/* HOST as sent to the proxy */
	struct dump dump;		/* --hexdump, --dump-in, --dump-out */
	struct sockopts so;		/* -D -K --sockopt --mptcp (src.opts) */
	struct sockaddr_un sun;		/* -U PATH */
	socklen_t sunlen;		/* > 0: -U was given */
	const char *unix_path;
};

/*
 * -z: probe ports lo..hi of host (res: its addresses), o->parallel at
 * once, and report each in port order. Exit 0 if any was open.
 */
int scan_ports(const char *host, struct addrinfo *res, int lo, int hi,
    int range, const struct opts *o);

/*
 * tcpconnect_relay.c: run argv on connection fd (dumped through d when it
 * is on) and return its status as a shell would; or relay fd with stdin
 * and stdout, exit 0 only if every byte went through both ways (where
 * names the peer in messages).
 */
int run_prog(char **argv, int fd, struct dump *d);
int relay_conn(const char *where, int fd, struct opts *o);

/* The usage text (tcpconnect_usage.c). */
extern const char tcpconnect_usage[];

#endif
