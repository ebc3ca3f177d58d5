/*
 * tcpserve.h: what tcpserve's mode files share: the parsed command line
 * and accepting a client. Only tcpserve*.c include it.
 */
#ifndef TCPSERVE_H
#define TCPSERVE_H

#include <signal.h>
#include <netinet/in.h>
#include "../lib/evloop.h"

struct target;

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
	char **fwd;		/* --forward TARGETs, nfwd of them */
	unsigned nfwd;
	long long wait_ms;	/* -w: a target's connect timeout */
	struct target *targets;	/* fwd parsed and resolved */
	struct acl acl;
	struct iptable perip_count;
	struct privs privs;
	char **prog;
	int lfd;
	int warned;		/* out of descriptors, already said */
	sigset_t waitmask;	/* the mask while waiting: stop signals open */
};

union peer {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
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
/* With -v, "WHAT ADDR:PORT". */
void log_conn(const struct server *s, const char *what, const union peer *p);

/* The modes other than relay; each returns the exit status. */
int serve_echo(struct server *s);
int serve_programs(struct server *s);
/* Parse the --forward targets (exit 2) and resolve them (exit 1). */
void forward_setup(struct server *s);
int serve_forward(struct server *s);

#endif
