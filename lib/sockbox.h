/*
 * sockbox.h: the internal header every applet includes, a commented
 * section for each file in lib/. Two concerns that few files use have
 * headers of their own: evloop.h (the servers' loop machinery) and
 * proxy.h (tcpconnect's proxy client).
 */
#ifndef SOCKBOX_H
#define SOCKBOX_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#define SOCKBOX_VERSION "0.1.0"

/* Exit statuses shared by every applet. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the world said no: not found, refused, timeout */
	EXIT_USAGE = 2,		/* different arguments would fix it */
	EXIT_NOAPPLET = 127
};

/* ---- lib/diag.c: diagnostics, exit codes, option loop ---- */

/* The name every diagnostic starts with; the dispatcher sets it. */
extern const char *prog;

/* "prog: MESSAGE\n" on stderr in one write(2); errno is preserved. */
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like warn_msg, with ": strerror(errno)" appended. */
void warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* warn_msg, then exit with status code. */
void die_msg(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* warn_errno, then exit with status code. */
void die_errno(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* Bad input: warn_msg, then exit 2. */
void die_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/*
 * Make every exit check stdout: flush it, and if any write to it failed
 * say "prog: stdout: REASON" and exit 1 instead. main() calls it once.
 */
void check_stdout_at_exit(void);
/* Flush stdout now; on failure "prog: stdout: REASON" and exit 1. */
void xflush_stdout(void);

/*
 * getopt_long with the conventions of every applet: stops at the first
 * operand, -h/--help prints usage to stdout and exits 0, an unknown option
 * or a missing option argument is a one-line error and exit 2. longopts may
 * be NULL; --help is always understood.
 */
int next_opt(int argc, char **argv, const char *optstring,
    const struct option *longopts, const char *usage);
/* Exit 2 unless the operands after optind number min to max (-1: any). */
void need_operands(int argc, char **argv, int min, int max);
/*
 * Option ch ('4' or '6') into *family (AF_UNSPEC until then); exit 2 if
 * the other one was given: every applet's -4 and -6 go through here.
 */
void xset_family(int *family, int ch);

/* ---- lib/parse.c: strict parsers for operands and option arguments ---- */

/*
 * The scan_ functions parse s into *out: 0, or -1 with "invalid WHAT 'S'"
 * in err. The parse_ ones of the same thing die with that (exit 2).
 */
/* A decimal number in [min, max] (digits only). */
int scan_number(const char *s, unsigned long long min, unsigned long long max,
    const char *what, unsigned long long *out, char *err, size_t errlen);
/* scan_number, or die "invalid WHAT 'S'" (exit 2). */
unsigned long long parse_uint(const char *s, unsigned long long min,
    unsigned long long max, const char *what);
/*
 * A size in bytes with an optional k, M or G suffix (powers of 1024),
 * within [min, max], into *out: 0, or -1 if s is anything else.
 */
int parse_size(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out);
/* parse_size, or die "invalid WHAT 'S'" (exit 2). */
unsigned long long xparse_size(const char *s, unsigned long long min,
    unsigned long long max, const char *what);
/*
 * Seconds with optional decimals ("0.25", "3", at most 1000000), as
 * milliseconds (rounded up, never down), into *out.
 */
int scan_duration(const char *s, long long *out, char *err, size_t errlen);
/* scan_duration, or exit 2. */
long long parse_duration(const char *s);
/*
 * A port: all digits and 0-65535, or else a service name known for proto
 * ("tcp", "udp" or NULL for any; "9pfs" is a name). Anything else dies
 * "invalid port 'S'" (exit 2).
 */
int parse_port(const char *s, const char *proto);
/* parse_port's rules without dying: the port, or -1. */
int port_number(const char *s, const char *proto);
/* Milliseconds of the monotonic clock, what durations are counted in. */
long long now_ms(void);
/* Microseconds of the same clock, for timings that are printed. */
long long now_us(void);

/* ---- lib/addr.c: hosts and addresses ---- */

/*
 * Longest "[addr]:port" that fmt_addrport writes, with its NUL; and a
 * Unix-domain address ("@" and sun_path).
 */
#define ADDRPORT_LEN 112

/*
 * Strip the brackets of "[::1]" in place. Returns s, or NULL if the
 * brackets do not match.
 */
char *unbracket(char *s);
/*
 * Whether a server HOST means every address of both families: "", "*",
 * "::". "0.0.0.0" is not one: it means every IPv4 address only.
 */
int is_wildcard(const char *host);
/* Whether s is a numeric IPv4 or IPv6 address (brackets not allowed). */
int is_numeric_addr(const char *s);
/*
 * Parse a numeric address into *ss (port 0). Returns 0, or -1 if s is not
 * an address of an allowed family (family: AF_UNSPEC, AF_INET or AF_INET6).
 */
int parse_addr(const char *s, int family, struct sockaddr_storage *ss,
    socklen_t *len);
/*
 * 0 if host may be looked up or used: a valid IPv4 or IPv6 address, or a
 * name. -1 with "invalid address 'HOST'" in err if it looks like an
 * address but is none: it has a colon and is not IPv6 ("::g"), or is all
 * digits and dots and not a dotted quad ("1.2.3.4.5", "256.1.1.1", "127.1").
 * Brackets ("[::1]") are allowed; the address inside is checked.
 */
int check_host(const char *host, char *err, size_t errlen);
/* check_host or die_usage("%s", err): what main() calls. */
void xcheck_host(const char *host);
/*
 * Exit 2 unless host passes xcheck_host and, if numeric, is of family
 * (from -4/-6): the checks every HOST operand gets before any lookup.
 */
void check_family(const char *host, int family);
/* Port of an AF_INET/AF_INET6 address, in host order. */
int addr_port(const struct sockaddr *sa);
/* "1.2.3.4" or "::1" (IPv4-mapped IPv6 printed as IPv4) into buf. */
char *fmt_addr(const struct sockaddr *sa, char *buf, size_t len);
/*
 * "1.2.3.4:80" or "[::1]:80" into buf (ADDRPORT_LEN bytes suffice); an
 * AF_UNIX address in a zeroed buffer as fmt_unix prints it.
 */
char *fmt_addrport(const struct sockaddr *sa, char *buf, size_t len);
/* The resolver's message for a getaddrinfo/getnameinfo error code. */
const char *gai_msg(int err);

/* ---- lib/sock.c: sockets: resolving, listening, local source binding ---- */

struct sockopts;		/* lib/sockopt.h */

/* A local address for an outgoing socket (-s ADDR, -p PORT). */
struct source {
	const char *addr;	/* numeric address, or NULL for any */
	int port;		/* 0: any */
	const struct sockopts *opts;	/* --sockopt, --mptcp; or NULL */
};

/*
 * getaddrinfo for host and port with one socket type; family is AF_UNSPEC,
 * AF_INET or AF_INET6. No AI_ADDRCONFIG. Returns 0 or a getaddrinfo error
 * (gai_msg() words it).
 */
int resolve_host(const char *host, int port, int family, int socktype,
    struct addrinfo **res);
/*
 * socket(2) for ai's family and type, close-on-exec (and non-blocking if
 * nonblock), bound to src if src names an address or port. -1 with errno
 * set: EAFNOSUPPORT when src's address is of another family. A failed
 * bind is the source's fault, not ai's: it dies "bind ADDR:PORT: reason"
 * (exit 1), for clients only. src->opts decides the protocol (--mptcp);
 * setting its options is the caller's (hconn does, sockopt_apply).
 */
int socket_for(const struct addrinfo *ai, const struct source *src,
    int nonblock);
/*
 * A bound socket for a server, or die (exit 1; exit 2 for a bad HOST).
 * A wildcard host (is_wildcard) with AF_UNSPEC listens dual-stack on [::],
 * falling back to 0.0.0.0 without IPv6. SOCK_STREAM sockets get
 * SO_REUSEADDR and listen(backlog). Close-on-exec.
 */
int xlisten_on(const char *host, int port, int family, int socktype,
    int backlog);
/*
 * xlisten_on with the options of so (NULL: none) set before bind: an
 * IPPROTO_MPTCP socket with so->mptcp; a refused option dies "sockopt
 * NAME: reason" (exit 1).
 */
int xlisten_opts(const char *host, int port, int family, int socktype,
    int backlog, const struct sockopts *so);
/* "prog: listening on ADDR:PORT" on stderr, for fd's local address. */
void announce_listen(int fd);
/* Local (getsockname) or peer (getpeername) address of fd into ss. */
int local_addr(int fd, struct sockaddr_storage *ss);
int peer_addr(int fd, struct sockaddr_storage *ss);

/* ---- lib/connect.c: connecting a client (Happy Eyeballs, RFC 8305) ---- */

/*
 * A connection being made without blocking, Happy Eyeballs style: attempts
 * start 250 ms apart (at once after a failure), address families
 * interleaved; the first to connect wins, the others are closed.
 */
struct hconn {
	struct addrinfo **addrs;	/* in the order to try */
	size_t n, next;			/* how many; the next to start */
	struct pollfd *p;		/* attempts in progress (POLLOUT) */
	size_t nfd;
	const struct source *src;
	long long started, next_at, deadline;	/* ms; deadline -1: none */
	int err;			/* the most telling failure so far */
	int fd;				/* the connected socket, or -1 */
	int port;			/* >= 0: connect to this port instead
					   of res's (set after hconn_start) */
	const char *opt_failed;		/* after -1: the option of
					   src->opts the kernel refused */
};

/*
 * Set h up to connect to one of res's addresses (res must outlive h),
 * bound to src if given, src->opts set on every attempt before it
 * connects (never dying); timeout_ms > 0 bounds the whole. Nothing starts
 * before hconn_step. 0, or -1 (out of memory).
 */
int hconn_start(struct hconn *h, struct addrinfo *res,
    const struct source *src, long long timeout_ms);
/*
 * Move h on without waiting: look at the attempts, start the next one when
 * it is due. 1: connected, h->fd is the socket (non-blocking, the caller's
 * to close); 0: wait on h->p[0..nfd) until hconn_wake(), then step again;
 * -1: failed, errno the most telling failure (ETIMEDOUT when time ran out),
 * or h->opt_failed names the option of src->opts the kernel refused
 * (errno its reason): no other address would fare better.
 */
int hconn_step(struct hconn *h);
/* When h must be stepped again even if no attempt moved (ms), or -1. */
long long hconn_wake(const struct hconn *h);
/* Close the attempts still in progress (not h->fd) and free h. */
void hconn_free(struct hconn *h);
/*
 * hconn's connect, blocking: a connected blocking socket, or -1 with errno
 * set. For clients: an option of src->opts the kernel refuses dies
 * "sockopt NAME: reason" (exit 1).
 */
int connect_any(struct addrinfo *res, const struct source *src,
    long long timeout_ms);

/* ---- lib/acl.c: allow/deny lists of CIDR prefixes (-a, -d) ---- */

struct acl_rule {
	uint8_t addr[16];	/* IPv4 in the first 4 bytes */
	int family;
	int prefix;		/* bits */
	int allow;
};

struct acl {
	struct acl_rule *rules;
	int n, any_allow;
};

/*
 * Add "ADDR[/BITS]" as an allow or deny rule; -1 if it is not a prefix.
 * IPv4-mapped IPv6 ("::ffff:10.0.0.0/104") is the IPv4 rule it maps
 * (10.0.0.0/8); shorter than /96 it is not a prefix.
 */
int acl_add(struct acl *acl, const char *cidr, int allow);
/*
 * Whether sa may connect: the most specific matching rule decides (deny on
 * a tie); with no match, allowed unless any allow rule exists. IPv4-mapped
 * IPv6 addresses match IPv4 rules.
 */
int acl_allows(const struct acl *acl, const struct sockaddr *sa);

/* ---- lib/server.c: process setup shared by the servers ---- */

/* Set by the SIGTERM/SIGINT handler that server_setup installs. */
extern volatile int server_stop;

/* A user and group to run as (-u USER[:GROUP]). */
struct privs {
	const char *user;	/* NULL: do not change */
	uid_t uid;
	gid_t gid;
};

/*
 * Put /dev/null on any of fds 0-2 that is closed, so no socket lands
 * there; opened the wrong way round (stdin write-only, stdout read-only),
 * so reading stdin or writing stdout still fails, EBADF, as before.
 */
void open_stdfds(void);
/*
 * Let handler take SIGTERM, and SIGINT unless SIGINT was ignored when
 * sockbox started (a script's background job), without SA_RESTART.
 */
void catch_stops(void (*handler)(int));
/*
 * open_stdfds, ignore SIGPIPE, catch_stops with a handler that sets
 * server_stop (blocking calls return EINTR), and raise the soft
 * descriptor limit to the hard one (programs get the old one back).
 */
void server_setup(void);
/*
 * How many connections of fds_per_conn descriptors each fit under the soft
 * descriptor limit (as server_setup left it), keeping a reserve for the
 * server's own descriptors.
 */
unsigned fd_conn_cap(unsigned fds_per_conn);
/*
 * Parse "USER[:GROUP]" (names or numbers; the group defaults to the
 * user's) into p: 0, or -1 with the reason in err. p->user points to spec.
 */
int scan_privs(const char *spec, struct privs *p, char *err, size_t errlen);
/* scan_privs, or exit 2 with the reason. */
void parse_privs(const char *spec, struct privs *p);
/* Switch to p's user, group and supplementary groups, or die (exit 1). */
void xdrop_privs(const struct privs *p);

/* ---- lib/spawn.c: run a program for a connection or a datagram ---- */

/*
 * Start argv[0] (found on PATH as execvp does, but never through a shell:
 * a file that is not a binary and has no "#!" fails with ENOEXEC) with in
 * on fd 0, out on fd 1, stderr inherited, and what sockbox itself was
 * started with: every signal disposition (ignored or default) and the
 * signal mask, the soft descriptor limit. The environment is the UCSPI
 * one for proto ("TCP" or "UDP"): PROTO, <P>LOCALIP, <P>LOCALPORT,
 * <P>REMOTEIP, <P>REMOTEPORT (stale <P>REMOTEHOST, <P>REMOTEINFO and
 * <P>LOCALHOST removed). Returns the pid, or -1 with errno set (the
 * exec's own: ENOENT, EACCES, ENOEXEC...).
 */
pid_t spawn_prog(char **argv, int in, int out, const char *proto,
    const struct sockaddr *local, const struct sockaddr *remote);
/*
 * spawn_prog with the variables vars[0..nvars) ("NAME=value", at most 9)
 * instead of the TCP/UDP ones; the inherited ones of proto's UCSPI set
 * (with "UNIX": ucspi-unix's) are removed. pidvar, if not NULL, points
 * into one of vars with room for 12 bytes: the program's own pid is
 * written there before it starts ("UNIXLOCALPID=").
 */
pid_t spawn_env(char **argv, int in, int out, const char *proto,
    char **vars, int nvars, char *pidvar);
/* Whether signal sig was ignored when sockbox started. */
int ignored_at_start(int sig);
/*
 * What spawn_prog_opts adds to spawn_prog: more environment, stderr on
 * out too, and work done in the program's own process before it execs
 * (a banner, a lookup): then sockbox forks instead of vforking, never
 * waits on that work, and the child reports its own exec failure.
 */
#define SPAWN_ENV_MAX	4
#define SPAWN_VAR_LEN	1100	/* room for "TCPREMOTEHOST=" and a name */
struct spawn_opts {
	const char *env[SPAWN_ENV_MAX];	/* "NAME=VALUE"s, NULL-ended */
	int err_out;			/* stderr to out as well (-E) */
	/*
	 * In the child, signals as sockbox found them: 0 to exec, with one
	 * more "NAME=VALUE" in var (len SPAWN_VAR_LEN) or var left "";
	 * -1 to exit 1 instead (it has warned).
	 */
	int (*prepare)(void *arg, char *var, size_t len);
	void *arg;
};
/* spawn_prog with o's additions (o may be NULL). */
pid_t spawn_prog_opts(char **argv, int in, int out, const char *proto,
    const struct sockaddr *local, const struct sockaddr *remote,
    const struct spawn_opts *o);

/* ---- lib/lookup.c: reentrant host lookups (safe in threads) ---- */

/* A hostent and the buffer it points into; zero-initialise before use. */
struct hostrec {
	struct hostent he;
	char *buf;
	size_t len;
};

/*
 * gethostbyname2_r(name, af) into hr: 0, or the h_errno code
 * (HOST_NOT_FOUND, NO_DATA, TRY_AGAIN, NO_RECOVERY) of the failure.
 */
int host_by_name(const char *name, int af, struct hostrec *hr);
/* gethostbyaddr_r of an AF_INET/AF_INET6 address: 0 or an h_errno code. */
int host_by_addr(const struct sockaddr *sa, struct hostrec *hr);
/* Release hr's buffer; hr may be used again. */
void free_hostrec(struct hostrec *hr);

/* ---- lib/json.c: JSON output ---- */

/*
 * s as a JSON string, quotes included, escaped as Python's json.dumps
 * does; bytes that are not UTF-8 become U+FFFD.
 */
void put_json(FILE *f, const char *s);

/* ---- lib/dgram.c: datagram limits and socket buffers ---- */

/* The largest UDP payload: IPv4 (65535 - 20 - 8) and IPv6 (65535 - 8). */
#define DGRAM_MAX4 65507
#define DGRAM_MAX6 65527
/* A Unix-domain datagram: ours, what udpserve receives whole. */
#define DGRAM_MAXUNIX 65536

/*
 * DGRAM_MAX4 or DGRAM_MAX6 for a peer (IPv4-mapped IPv6 counts as IPv4),
 * DGRAM_MAXUNIX for an AF_UNIX one.
 */
int dgram_max(const struct sockaddr *sa);
/*
 * Raise fd's SO_RCVBUF or SO_SNDBUF (which) to bytes, past the system
 * maximum when privileged; failure is silent (the default stays).
 */
void grow_sockbuf(int fd, int which, int bytes);
/*
 * Write all n iovecs to fd (any n: IOV_MAX at a time), going on after
 * short writes and EINTR, unless stop is set and *stop is true then.
 * 0, or -1 with errno set (EINTR when stopped). The iovecs are used up.
 */
struct iovec;
int write_iov(int fd, struct iovec *iov, int n, volatile int *stop);

#endif
