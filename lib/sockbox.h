/*
 * sockbox.h: the one internal header, a commented section for each file
 * in lib/; every applet includes it.
 */
#ifndef SOCKBOX_H
#define SOCKBOX_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
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

/* A decimal number in [min, max], or die "invalid WHAT 'S'" (exit 2). */
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
/* Seconds with optional decimals ("0.25", "3"), as milliseconds, or exit 2. */
long long parse_duration(const char *s);
/*
 * A port: all digits and 0-65535, or else a service name known for proto
 * ("tcp", "udp" or NULL for any; "9pfs" is a name). Anything else dies
 * "invalid port 'S'" (exit 2).
 */
int parse_port(const char *s, const char *proto);
/* Milliseconds of the monotonic clock, what durations are counted in. */
long long now_ms(void);
/* Microseconds of the same clock, for timings that are printed. */
long long now_us(void);

/* ---- lib/addr.c: hosts and addresses ---- */

/* Longest "[addr]:port" that fmt_addrport writes, with its NUL. */
#define ADDRPORT_LEN 64

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
/* "1.2.3.4:80" or "[::1]:80" into buf (ADDRPORT_LEN bytes suffice). */
char *fmt_addrport(const struct sockaddr *sa, char *buf, size_t len);
/* The resolver's message for a getaddrinfo/getnameinfo error code. */
const char *gai_msg(int err);

/* ---- lib/sock.c: sockets: resolving, listening, local source binding ---- */

/* A local address for an outgoing socket (-s ADDR, -p PORT). */
struct source {
	const char *addr;	/* numeric address, or NULL for any */
	int port;		/* 0: any */
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
 * (exit 1), for clients only.
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
};

/*
 * Set h up to connect to one of res's addresses (res must outlive h),
 * bound to src if given; timeout_ms > 0 bounds the whole. Nothing starts
 * before hconn_step. 0, or -1 (out of memory).
 */
int hconn_start(struct hconn *h, struct addrinfo *res,
    const struct source *src, long long timeout_ms);
/*
 * Move h on without waiting: look at the attempts, start the next one when
 * it is due. 1: connected, h->fd is the socket (non-blocking, the caller's
 * to close); 0: wait on h->p[0..nfd) until hconn_wake(), then step again;
 * -1: failed, errno the most telling failure (ETIMEDOUT when time ran out).
 */
int hconn_step(struct hconn *h);
/* When h must be stepped again even if no attempt moved (ms), or -1. */
long long hconn_wake(const struct hconn *h);
/* Close the attempts still in progress (not h->fd) and free h. */
void hconn_free(struct hconn *h);
/*
 * hconn's connect, blocking: a connected blocking socket, or -1 with errno
 * set.
 */
int connect_any(struct addrinfo *res, const struct source *src,
    long long timeout_ms);

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
 * A whole HTTP CONNECT reply header: 0 for a 2xx status, else the status
 * line in err and PROXY_REFUSED (PROXY_FAILED for 401, 407, not HTTP).
 */
int http_reply(const char *b, size_t len, char *err, size_t errlen);

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

/* Open /dev/null on any of fds 0-2 that is closed. */
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
/* Parse "USER[:GROUP]" (names or numbers) into p, or exit 2. */
void parse_privs(const char *spec, struct privs *p);
/* Switch to p's user, group and supplementary groups, or die (exit 1). */
void xdrop_privs(const struct privs *p);

/* ---- lib/evloop.c: one event loop for the single-process server modes ---- */

/*
 * What a descriptor waits for and is told of; EV_ERR (error or hang-up) is
 * told even when not asked for.
 */
#define EV_IN	0x1
#define EV_OUT	0x2
#define EV_ERR	0x4

struct evloop;
/* fd is ready for got (EV_IN, EV_OUT, EV_ERR); arg as given to ev_add. */
typedef void ev_cb(struct evloop *l, int fd, unsigned got, void *arg);

/* A one-shot timer; zero-initialise it and set fn before arming. */
struct ev_timer {
	long long when;		/* due at, in now_ms() milliseconds */
	void (*fn)(struct evloop *l, struct ev_timer *t);
	unsigned slot;		/* the loop's: 0 while not armed */
};

/*
 * A loop whose waits open only the signals waitmask leaves unblocked (the
 * rest of the time they stay blocked). NULL with errno set.
 */
struct evloop *evloop_new(const sigset_t *waitmask);
/* Free the loop (not the descriptors or timers registered with it). */
void evloop_free(struct evloop *l);
/* Register fd (not yet known to l) for events with fn; -1 with errno. */
int ev_add(struct evloop *l, int fd, unsigned events, ev_cb *fn, void *arg);
/* Change what a registered fd waits for (0: nothing but EV_ERR). */
int ev_set(struct evloop *l, int fd, unsigned events);
/* Forget fd; call before closing it. Nothing more is told of it. */
void ev_del(struct evloop *l, int fd);
/*
 * Arm (or move) t to fire once at when; -1 if out of memory. Callbacks
 * may arm, stop and free timers and descriptors, their own included.
 */
int ev_timer_arm(struct evloop *l, struct ev_timer *t, long long when);
void ev_timer_stop(struct evloop *l, struct ev_timer *t);
/* The time the current round of events began (now_ms()). */
long long ev_now(const struct evloop *l);
/* Make ev_run return after the current callback. */
void ev_stop(struct evloop *l);
/*
 * Wait and dispatch until ev_stop or server_stop. Descriptors must be
 * non-blocking: readiness may be stale when an earlier callback of the
 * same round changed things. 0, or -1 with errno if waiting failed.
 */
int ev_run(struct evloop *l);

/* ---- lib/budget.c: a memory budget that a loop's connections share ---- */

/* Buffers grow in chunks of this many bytes. */
#define BUDGET_CHUNK (16 * 1024)

struct budget {
	size_t limit;		/* bytes all buffers may hold together */
	size_t used;		/* bytes they hold now */
	unsigned users;		/* connections sharing it: divides it */
};

/*
 * Bytes (whole chunks) a connection already holding held may add now: up
 * to its share, limit / users but at least a chunk and at most cap, and
 * never past limit in all.
 */
size_t budget_room(const struct budget *b, size_t held, size_t cap);
/* Whether held is more than an equal share (more users came since). */
int budget_over(const struct budget *b, size_t held);
/* Account for n bytes taken or given back. */
void budget_take(struct budget *b, size_t n);
void budget_give(struct budget *b, size_t n);

/* ---- lib/ipcount.c: connections per IPv4 address or IPv6 /64 (-C) ---- */

struct ipcount;

/* A table of counts keyed by client address; zero-initialise it. */
struct iptable {
	struct ipcount **bucket;	/* allocated on first use */
};

/*
 * Count one more connection from sa; -1 if its key already holds max (or
 * out of memory). The key is the IPv4 address, or an IPv6 address's /64
 * (one host usually has a whole /64); IPv4-mapped IPv6 counts as IPv4.
 */
int ipcount_take(struct iptable *t, const struct sockaddr *sa, unsigned max);
/* One connection ipcount_take let in has ended. */
void ipcount_release(struct iptable *t, const struct sockaddr *sa);
/* Free the table's memory; it may be used again. */
void ipcount_free(struct iptable *t);

/* ---- lib/children.c: the running children of a server ---- */

/* Between SIGTERM at the time limit and SIGKILL. */
#define KILL_GRACE_MS 5000

/* A running child and the client it serves. */
struct running {
	pid_t pid;
	long long start;	/* now_ms() when it started */
	long long deadline;	/* next signal due (ms); 0: none */
	int signalled;		/* SIGTERM sent */
	struct sockaddr_storage peer;
	char label[ADDRPORT_LEN];	/* the peer, as log lines name it */
};

struct children {
	struct running *kid;	/* kid[0..n) run */
	unsigned n, max;
	long long limit_ms;	/* a child's time limit; 0: none */
	int verbose;		/* log exits and signals */
};

/*
 * Catch SIGCHLD (a flag for children_reap). The caller keeps it blocked
 * except while waiting, so it only ends a wait.
 */
void children_catch(void);
/* A table for max children, each ended limit_ms after its start (0: never). */
int children_init(struct children *c, unsigned max, long long limit_ms,
    int verbose);
void children_free(struct children *c);
/* Record a child just started for peer; the caller checked n < max. */
struct running *children_add(struct children *c, pid_t pid,
    const struct sockaddr *peer, socklen_t peerlen);
/*
 * If SIGCHLD came: reap every exited child of the table (others are
 * reaped and ignored), log "closed PEER pid N exit S" (or "signal S")
 * when verbose, call done(child, arg) and free its slot. Returns how many.
 */
unsigned children_reap(struct children *c,
    void (*done)(struct running *k, void *arg), void *arg);
/*
 * Signal the children past their deadline: SIGTERM at the time limit,
 * SIGKILL KILL_GRACE_MS later (logged when verbose). Returns the ms until
 * the next deadline, or -1 if none.
 */
long long children_expire(struct children *c, long long now);

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
/* Whether signal sig was ignored when sockbox started. */
int ignored_at_start(int sig);

/* ---- lib/relay.c: the bidirectional copy between stdin/stdout and a socket ---- */

/* One side of a copy: how to read or write fd without blocking. */
struct relay_end {
	int fd;
	int sock;	/* recv/send with MSG_DONTWAIT */
	int nb;		/* never blocks: try until EAGAIN; else poll first */
	int ready;	/* worth trying now */
};

/* One direction: src -> buf -> dst. */
struct relay_dir {
	struct relay_end src, dst;
	char *buf;
	size_t off, len;		/* buffered: buf[off..off+len) */
	unsigned long long total;	/* bytes written to dst */
	int eof;	/* src has ended */
	int done;	/* the end has been passed on to dst */
	int err;	/* RELAY_SRC or RELAY_DST: that end failed */
	int crlf, cr;	/* -C: LF becomes CRLF; the last byte read was CR */
};

enum { RELAY_SRC = 1, RELAY_DST };

/*
 * A relay between stdin and stdout and one connection after another: what
 * was read from stdin but not yet sent when one connection ends goes to
 * the next, and stdin's end is remembered.
 */
struct relay {
	struct relay_dir up, down;	/* stdin -> socket, socket -> stdout */
	int in_fd, out_fd;		/* descriptors of our own, or -1 */
	long long idle_ms;	/* > 0: no data either way this long ends it */
	long long linger_ms;	/* after the peer's end, stdin may pause this
				   long (0: wait for its end) */
	int end_out;		/* at the peer's end, shut a socket stdout */
	long long quit_ms;	/* >= 0: after stdin's end, wait this long at
				   most for the peer's (-q) */
	int recv_only;		/* -d: never read stdin, never half-close */
	int send_only;		/* --send-only: drop what the peer sends */
	int crlf;		/* -C: send each LF of stdin as CRLF */
};

/* socat's -t default: how long stdin may pause after the peer's end. */
#define RELAY_LINGER_MS 500

/* Where a relay failed (relay_result.where). */
enum { RELAY_SEND = 1, RELAY_RECV, RELAY_STDIN, RELAY_STDOUT, RELAY_IDLE };

/* How one connection's relay went. */
struct relay_result {
	int err;		/* errno of the failure (ETIMEDOUT: idle) */
	int where;		/* RELAY_SEND...: which copy failed, or 0 */
	int send_err;		/* errno of a failed send, down went on */
	unsigned long long sent;	/* bytes the peer acknowledged */
	unsigned long long received;	/* bytes written to stdout */
	unsigned long long unacked;	/* sent, never acknowledged: lost */
	unsigned long long unsent;	/* read from stdin, still buffered */
	long long ms;			/* how long the relay took */
};

/*
 * Set r up for stdin in and stdout out: pipes are used through
 * non-blocking descriptors of r's own (in and out keep their flags) and
 * grown to 1 MiB; terminals are read once per poll. linger_ms is
 * RELAY_LINGER_MS, quit_ms -1, the rest 0; set them after.
 */
void relay_init(struct relay *r, int in, int out);
/*
 * Copy in -> sock and sock -> out at once, binary-safe, until both
 * directions have ended, each on its own: stdin's end shuts sock's write
 * side, the peer's end is written out. A failed send still copies what the
 * peer sent before its reset. After the peer's end, stdin is still sent
 * while it delivers, until it ends or has been idle (nothing buffered) for
 * linger_ms. Success waits until the peer has acknowledged every byte
 * sent. Returns 0, or -1 with res saying where and why (EINTR when a
 * signal set server_stop); res counts the bytes either way.
 */
int relay_run(struct relay *r, int sock, struct relay_result *res);
/* Close r's own descriptors. */
void relay_free(struct relay *r);
/*
 * "send: Connection reset by peer; N of M bytes read from stdin not
 * delivered" for a failed res, into buf. carry: what is still buffered
 * goes to the next connection, so it is not counted as lost.
 */
char *relay_msg(const struct relay_result *res, int carry, char *buf,
    size_t len);

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

/* DGRAM_MAX4 or DGRAM_MAX6 for a peer (IPv4-mapped IPv6 counts as IPv4). */
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
