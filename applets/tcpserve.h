/*
 * tcpserve.h: what tcpserve's mode files share: the parsed command line
 * and accepting a client. Only tcpserve*.c include it.
 */
#ifndef TCPSERVE_H
#define TCPSERVE_H

#include <signal.h>
#include <netinet/in.h>
#include "../lib/evloop.h"
#include "../lib/endpoint.h"
#include "../lib/unixsock.h"

#define BACKOFF_MS	100	/* pause accepting when out of descriptors */

/* Everything the command line decided, and the listening socket. */
struct server {
	int family, verbose, quiet, keep, echo;
	int backlog;
	unsigned maxconn, perip;
	long long idle_ms;
	long long limit_ms;	/* -T: a program's time limit */
	long long linger_ms;	/* -t, when linger_set */
	int linger_set, recv_only, send_only, crlf;	/* relay options */
	size_t max_pending;	/* --max-pending: the loop modes' output */
	struct acl acl;
	struct iptable perip_count;
	struct privs privs;
	char **prog;
	struct sockaddr_un sun;	/* -U: the socket's address */
	socklen_t sunlen;	/* > 0: -U was given */
	struct unix_file file;	/* -U: -m and -u for the socket file */
	int lfd;
	int warned;		/* out of descriptors, already said */
	sigset_t waitmask;	/* the mask while waiting: stop signals open */
};

/*
 * A client's address (sa.sa_family says which); a Unix-domain client's
 * comes with its credentials (SO_PEERCRED; pid 0 if unknown). It fits a
 * sockaddr_storage, what lib/children.c keeps for each program.
 */
union peer {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct {
		struct sockaddr_un sun;
		struct ucred cred;
	} un;
};

/*
 * Accept one connection (flags for accept4), and close it at once if -a/-d
 * or -C turn it away. Returns the descriptor; -2 if it was turned away;
 * -1 with errno set if accept failed.
 */
int accept_client(struct server *s, union peer *p, int flags);
/* The end of a connection accept_client let in. */
void release_client(struct server *s, const struct sockaddr *sa);
/*
 * After a failed accept other than EAGAIN: 0 to take the next, 1 to pause
 * accepting (out of descriptors; warned once per episode).
 */
int accept_failed(struct server *s);
/*
 * A client as log lines name it: "ADDR:PORT", or for a Unix-domain one
 * "pid=N,uid=U" (its name if its credentials are unknown).
 */
char *fmt_peer(const union peer *p, char *buf, size_t len);
/* With -v, "WHAT ADDR:PORT" (fmt_peer). */
void log_conn(const struct server *s, const char *what, const union peer *p);

/* The modes other than relay; each returns the exit status. */
int serve_echo(struct server *s);
int serve_programs(struct server *s);

#endif
