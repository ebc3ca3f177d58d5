/*
 * evloop.h: the machinery of the single-process server modes: the event
 * loop, the output budget, per-client counts and the child table. Kept
 * out of sockbox.h since only the servers' mode files use it.
 */
#ifndef SOCKBOX_EVLOOP_H
#define SOCKBOX_EVLOOP_H

#include <signal.h>
#include "sockbox.h"

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

#endif
