/*
 * tcpserve.h: what tcpserve's mode files share: the parsed command line
 * and accepting a client. Only tcpserve*.c include it.
 */
#ifndef TCPSERVE_H
#define TCPSERVE_H

#include <signal.h>
#include <netinet/in.h>
#include "../lib/dump.h"
#include "../lib/evloop.h"
#include "../lib/service.h"
#include "../lib/sockopt.h"
#include "../lib/endpoint.h"
#include "../lib/unixsock.h"

/* A --forward TARGET (tcpserve_targets.c). */
struct target {
	struct endpoint ep;
	struct addrinfo *res;	/* EP_INET: resolved at start-up */
	char name[NI_MAXHOST + 16];	/* as -v logs it */
};

#define BACKOFF_MS	100	/* pause accepting when out of descriptors */
#define CONNECT_WAIT_MS	10000	/* --forward: a target's time without -w */

/* ucspi-tcp's tcpserver options (tcpserve_ucspi.c). */
struct tcp_extras {
	const char *banner;	/* -B: to each client first */
	size_t banner_len;
	const char *localhost;	/* -l: TCPLOCALHOST */
	int lookup;		/* --lookup: TCPREMOTEHOST, confirmed */
	int err_out;		/* -E: the program's stderr to the client */
};

/* Everything the command line decided, and the listening socket. */
struct server {
	int family, verbose, quiet, keep, echo, broker;
	int backlog;
	unsigned maxconn, perip;
	long long idle_ms;
	long long limit_ms;	/* -T: a program's time limit */
	long long linger_ms;	/* -t, when linger_set */
	int linger_set, recv_only, send_only, crlf;	/* relay options */
	size_t max_pending;	/* --max-pending: the loop modes' output */
	int proxy_proto;	/* --proxy-protocol: clients send a header */
	int send_proxy;		/* --send-proxy: the version, 0: none */
	long long wait_ms;	/* -w: the header's time, a target's connect
				   timeout; 0: not given */
	char **fwd;		/* --forward TARGETs, nfwd of them */
	unsigned nfwd;
	struct target *targets;	/* fwd parsed and resolved */
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
	struct service sv;	/* --systemd, --fd, -1, --ready-fd */
	struct tcp_extras x;	/* -B, --lookup, -l, -E */
	struct dump dump;	/* --hexdump, --dump-in, --dump-out */
	struct sockopts so;	/* -D -K --sockopt --mptcp: on the listener,
				   which accepted sockets inherit them from */
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
 * or -C turn it away (with --proxy-protocol that waits for the header).
 * Returns the descriptor; -2 if it was turned away; -1 with errno set if
 * accept failed.
 */
int accept_client(struct server *s, union peer *p, int flags);
/* -a/-d and -C on client p: 0 if let in (counted), -1 (said with -v). */
int admit_client(struct server *s, const union peer *p);
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

/*
 * Accepting on the event loop (tcpserve_loop.c), for the modes that serve
 * every client in one process. add takes over a client: 0 (it may have
 * closed it already, calling acceptor_closed), or -1 when it could not
 * (it has closed fd and released it then).
 */
struct acceptor {
	struct server *s;
	struct evloop *l;
	unsigned nconn;			/* clients added and not yet closed */
	int listening;			/* the listener's interest is EV_IN */
	struct ev_timer resume;		/* accept again after a back-off */
	int (*add)(struct acceptor *a, int fd, const union peer *p);
};

/* Start accepting s->lfd on l; -1 with errno set. */
int acceptor_start(struct acceptor *a, struct server *s, struct evloop *l,
    int (*add)(struct acceptor *, int, const union peer *));
/* A client that add took is gone: accept again if that was the limit. */
void acceptor_closed(struct acceptor *a);
/* Out of descriptors: stop accepting for a back-off (BACKOFF_MS). */
void acceptor_pause(struct acceptor *a);

/* ---- tcpserve_ucspi.c: tcpserver's -B, -h/-p, -l, -E ---- */

/* Long option codes of tcpserve_ucspi.c's options. */
enum { OPT_LOOKUP = 0x1100 };
/* -B, -l, -E or --lookup into x: 1 if ch was one, else 0. */
int take_ucspi_opt(struct tcp_extras *x, int ch);
/* Exit 2 if an option of x is given in a mode it is not for. */
void check_ucspi_opts(const struct server *s);
/*
 * Write -B's banner to a client: 0, or -1 after "PREFIXADDR:PORT: banner:
 * reason" (none when a stop signal interrupted it).
 */
int send_banner(const struct server *s, int fd, const union peer *p,
    const char *prefix);
/*
 * Start PROG on connection fd, running programs already, with x's
 * additions and TCPCONCURRENCY; spawn_prog's result.
 */
pid_t spawn_ucspi(const struct server *s, unsigned running, int fd,
    const struct sockaddr *local, const union peer *p);

/* The modes other than relay; each returns the exit status. */
int serve_relay(struct server *s);
int serve_echo(struct server *s);
int serve_programs(struct server *s);
int serve_broker(struct server *s);
/* One more --forward TARGET, parsed later (forward_setup). */
void add_target(struct server *s, char *target);
/* Parse the --forward targets (exit 2) and resolve them (exit 1). */
void forward_setup(struct server *s);
/* Free what forward_setup made. */
void free_targets(struct server *s);
int serve_forward(struct server *s);

/* The usage text (tcpserve_usage.c). */
extern const char tcpserve_usage[];

#endif
