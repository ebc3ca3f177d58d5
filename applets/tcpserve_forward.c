/*
 * tcpserve_forward.c: tcpserve --forward TARGET: every client is connected
 * to a target (round robin, failing over) without blocking the loop, then
 * its bytes flow both ways (lib/pump.c), each direction ending on its own.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/tcp.h>
#include "../lib/evconnect.h"
#include "../lib/pump.h"
#include "tcpserve_pp.h"

#define POOL_PIPES	32	/* idle pipes kept for the next burst */
#define PREFIX_MAX	256	/* a --send-proxy header (v2: 232 at most) */

struct fwd;

/* One client and its backend. */
struct fconn {
	int cfd, bfd;		/* client; backend, -1 while connecting */
	unsigned cev, bev;	/* their interest; 0: not registered */
	struct pump up, down;	/* client to backend; backend to client */
	int upw, downw;		/* what each waits for (PUMP_IN...) */
	unsigned first, tried;	/* targets: where we began, how many */
	struct evconnect *ec;	/* the connect in progress, or NULL */
	long long last;		/* last byte moved, ms (-i) */
	struct ev_timer timer;	/* -i, or the PROXY header's deadline */
	struct pp_reader *pp;	/* --proxy-protocol: its header is coming */
	struct sockaddr_storage local;	/* ours, as the header named it */
	int has_local;
	int starved;		/* out of descriptors: the timer retries */
	long long starved_at;	/* when that began, ms; 0: not starved */
	struct dump_conn dcs;	/* --hexdump &c: this connection's */
	struct fwd *f;
	struct fconn *prev, *next;
	union peer peer;
};

struct fwd {
	struct acceptor a;	/* first: a forwarder is its acceptor */
	struct server *s;
	struct evloop *l;
	struct budget budget;
	struct pumpctx x;
	struct source src;	/* --sockopt for the backends' sockets */
	unsigned rr;		/* the next connection's first target */
	struct fconn *conns;
};

#define CONN_OF(t) ((struct fconn *)((char *)(t) - \
	offsetof(struct fconn, timer)))

static void try_targets(struct fconn *c);

/*
 * --send-proxy: the PROXY header the backend gets before any of the
 * client's bytes (at most PREFIX_MAX), naming the client and the address
 * it reached: the real ones, or those its own header named.
 */
static size_t
conn_prefix(const struct fconn *c, char *buf, size_t len)
{
	struct sockaddr_storage local;

	if (c->f->s->send_proxy == 0)
		return 0;
	if (c->has_local)
		local = c->local;
	else if (local_addr(c->cfd, &local) < 0)
		local.ss_family = AF_UNSPEC;	/* the header says UNKNOWN */
	return pp_build(buf, len, c->f->s->send_proxy, &c->peer.sa,
	    (struct sockaddr *)&local);
}

static void
close_fd(struct evloop *l, int fd, int reset)
{
	struct linger lg = { 1, 0 };

	if (fd < 0)
		return;
	ev_del(l, fd);
	/* A zero linger sends a reset: an error must not look like an end. */
	if (reset)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/*
 * Close c: reset both sides if err (a socket's error, said with -v; ours,
 * such as ENOMEM, always said), else close them. why: a note for -v.
 */
static void
fwd_close(struct fconn *c, int err, const char *why)
{
	struct fwd *f = c->f;
	char where[ADDRPORT_LEN];

	fmt_peer(&c->peer, where, sizeof(where));
	if (err && (f->s->verbose || err == ENOMEM || err == ENOBUFS ||
	    err == EMFILE || err == ENFILE))
		warn_msg("warning: %s: %s", where, strerror(err));
	if (f->s->verbose)
		warn_msg("closed %s sent %llu received %llu%s%s", where,
		    c->down.bytes, c->up.bytes, why ? ": " : "",
		    why ? why : "");
	ev_timer_stop(f->l, &c->timer);
	if (c->ec) {
		evconnect_cancel(c->ec);
		free(c->ec);
	}
	*(c->prev ? &c->prev->next : &f->conns) = c->next;
	if (c->next)
		c->next->prev = c->prev;
	close_fd(f->l, c->cfd, err != 0);
	close_fd(f->l, c->bfd, err != 0);
	pump_free(&c->up, &f->x);
	pump_free(&c->down, &f->x);
	if (c->pp) {			/* never let in, nothing counted */
		pp_reader_free(c->pp);
		free(c->pp);
	} else {
		release_client(f->s, &c->peer.sa);
	}
	f->budget.users--;
	free(c);
	acceptor_closed(&f->a);
}

/* Register, change or drop fd's interest (0: not registered). */
static int
watch(struct fconn *c, int fd, unsigned *cur, unsigned want, ev_cb *fn)
{
	struct evloop *l = c->f->l;

	if (want == *cur)
		return 0;
	/* Unregistered, a hung-up socket cannot spin the loop. */
	if (want == 0)
		ev_del(l, fd);
	else if ((*cur == 0 ? ev_add(l, fd, want, fn, c) :
	    ev_set(l, fd, want)) < 0)
		return -1;
	*cur = want;
	return 0;
}

static void on_socket(struct evloop *l, int fd, unsigned got, void *arg);
static void header_in(struct fconn *c);

/* After pumping: done when both directions are, else wait for them. */
static void
settle(struct fconn *c)
{
	struct fwd *f = c->f;
	long long due;

	if (c->upw == PUMP_DONE && c->downw == PUMP_DONE) {
		fwd_close(c, 0, NULL);
		return;
	}
	if (watch(c, c->cfd, &c->cev, (c->upw == PUMP_IN ? EV_IN : 0) |
	    (c->downw == PUMP_OUT ? EV_OUT : 0), on_socket) < 0 ||
	    watch(c, c->bfd, &c->bev, (c->downw == PUMP_IN ? EV_IN : 0) |
	    (c->upw == PUMP_OUT ? EV_OUT : 0), on_socket) < 0) {
		fwd_close(c, errno, NULL);
		return;
	}
	/* The idle timer moves on lazily: it looks at last when it fires. */
	due = c->last + f->s->idle_ms;
	if (f->s->idle_ms > 0 && c->timer.slot == 0 &&
	    ev_timer_arm(f->l, &c->timer, due) < 0)
		fwd_close(c, errno, NULL);
}

/* Run one direction; 0, or -1 after closing c on a failure. */
static int
run(struct fconn *c, struct pump *p, int *w, int src, int dst)
{
	unsigned long long before = p->bytes;

	/*
	 * The other direction is over, so this one ending closes both
	 * sockets, and close sends the FIN: spare the shutdown.
	 */
	if ((p == &c->up ? c->downw : c->upw) == PUMP_DONE)
		p->shut = 1;
	if ((*w = pump_run(p, src, dst, &c->f->x)) < 0) {
		fwd_close(c, errno, NULL);
		return -1;
	}
	if (p->bytes != before)
		c->last = ev_now(c->f->l);
	return 0;
}

/* fd, the client or the backend, is ready for the directions it serves. */
static void
on_socket(struct evloop *l, int fd, unsigned got, void *arg)
{
	struct fconn *c = arg;
	int client = fd == c->cfd, other = client ? c->bfd : c->cfd;
	struct pump *from = client ? &c->up : &c->down;	/* reads fd */
	struct pump *to = client ? &c->down : &c->up;	/* writes fd */
	int *fromw = client ? &c->upw : &c->downw;
	int *tow = client ? &c->downw : &c->upw;

	(void)l;
	if (c->pp) {
		header_in(c);
		return;
	}
	if (got & (EV_IN | EV_ERR) && *fromw == PUMP_IN &&
	    run(c, from, fromw, fd, other) < 0)
		return;
	if (got & (EV_OUT | EV_ERR) && *tow == PUMP_OUT &&
	    run(c, to, tow, other, fd) < 0)
		return;
	settle(c);
}

/* The backend answered on fd: start moving bytes. */
static void
connected(struct fconn *c, int fd)
{
	struct fwd *f = c->f;
	char where[ADDRPORT_LEN], prefix[PREFIX_MAX];
	size_t n;
	int one = 1;

	c->bfd = fd;
	/* Bytes go on as they come, as they would without us between. */
	/* The client's came from the listener (serve_forward). */
	if (c->f->s->targets[(c->first + c->tried) % c->f->s->nfwd].ep.kind ==
	    EP_INET)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (f->s->verbose)
		warn_msg("connection from %s to %s", fmt_peer(&c->peer,
		    where, sizeof(where)),
		    f->s->targets[(c->first + c->tried) % f->s->nfwd].name);
	/* A dump sees every byte: no splice then. */
	if ((c->up.dump = c->down.dump = dump_conn_init(&c->dcs, &f->s->dump,
	    &c->peer.sa)) != NULL) {
		c->up.dumpdir = DUMP_IN;
		c->down.dumpdir = DUMP_OUT;
		c->up.nosplice = c->down.nosplice = 1;
	}
	if (((n = conn_prefix(c, prefix, sizeof(prefix))) > 0 &&
	    pump_queue(&c->up, prefix, n, &f->x) < 0) ||
	    (f->s->x.banner_len > 0 && pump_queue(&c->down, f->s->x.banner,
	    f->s->x.banner_len, &f->x) < 0)) {
		fwd_close(c, ENOMEM, NULL);
		return;
	}
	c->last = ev_now(f->l);
	c->downw = PUMP_IN;
	/* The client has often sent its request already: pass it on now. */
	if (run(c, &c->up, &c->upw, c->cfd, c->bfd) == 0)
		settle(c);
}

/* Out of descriptors or memory: the server's trouble, not the target's. */
static int
starving(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM;
}

/* The target being tried failed with err: the next one, if any. */
static void
target_failed(struct fconn *c, int err)
{
	struct fwd *f = c->f;
	char where[ADDRPORT_LEN];
	long long now = ev_now(f->l), wait = f->s->wait_ms > 0 ?
	    f->s->wait_ms : CONNECT_WAIT_MS;

	/*
	 * No socket to be had is no fault of the target's, and passes: the
	 * client waits (as the backlog's do, accepting paused) and the same
	 * target is tried again, until -w's time has gone by.
	 */
	if (starving(err)) {
		if (c->starved_at == 0)
			c->starved_at = now;
		if (now - c->starved_at < wait &&
		    ev_timer_arm(f->l, &c->timer, now + BACKOFF_MS) == 0) {
			c->starved = 1;
			acceptor_pause(&f->a);
			return;
		}
	}
	if (f->s->verbose || starving(err))
		warn_msg("warning: %s: connect %s: %s", fmt_peer(
		    &c->peer, where, sizeof(where)), f->s->targets[
		    (c->first + c->tried) % f->s->nfwd].name, strerror(err));
	c->tried++;
	try_targets(c);
}

/* The connect in progress is over. */
static void
on_connect(struct evconnect *ec, int fd, int err)
{
	struct fconn *c = ec->arg;

	free(ec);
	c->ec = NULL;
	if (fd >= 0)
		connected(c, fd);
	else
		target_failed(c, err);
}

/* Connect to the next target not yet tried; close c when none is left. */
static void
try_targets(struct fconn *c)
{
	struct fwd *f = c->f;
	struct target *t;
	int fd;

	if (c->tried == f->s->nfwd) {
		fwd_close(c, 0, "no target answered");
		return;
	}
	t = &f->s->targets[(c->first + c->tried) % f->s->nfwd];
	if ((c->ec = malloc(sizeof(*c->ec))) == NULL) {
		fwd_close(c, ENOMEM, NULL);
		return;
	}
	c->ec->l = f->l;
	c->ec->done = on_connect;
	c->ec->arg = c;
	c->ec->src = &f->src;
	/* Done at once (a Unix socket, a refusal): the same as later. */
	if ((fd = evconnect_start(c->ec, &t->ep, t->res, f->s->wait_ms > 0 ?
	    f->s->wait_ms : CONNECT_WAIT_MS)) != -2)
		on_connect(c->ec, fd, fd < 0 ? errno : 0);
}

/* Its PROXY header may be in: then its target, the data after it waits. */
static void
header_in(struct fconn *c)
{
	int rc = take_header(c->f->s, c->cfd, c->pp, &c->peer, &c->local,
	    &c->has_local);

	if (rc < 0) {
		fwd_close(c, 0, NULL);
	} else if (rc > 0) {
		pp_reader_free(c->pp);
		free(c->pp);
		c->pp = NULL;
		ev_timer_stop(c->f->l, &c->timer);
		if (watch(c, c->cfd, &c->cev, 0, on_socket) < 0)
			fwd_close(c, errno, NULL);
		else
			try_targets(c);
	}
}

/*
 * -i: nothing moved for idle_ms? A header not in by its deadline? Or a
 * connect to retry, descriptors having run out.
 */
static void
on_timer(struct evloop *l, struct ev_timer *t)
{
	struct fconn *c = CONN_OF(t);
	long long due = c->last + c->f->s->idle_ms;

	if (c->starved) {
		c->starved = 0;
		try_targets(c);
	} else if (c->pp) {
		header_failed(c->f->s, &c->peer, "timed out");
		fwd_close(c, 0, NULL);
	} else if (due <= ev_now(l)) {
		fwd_close(c, 0, "idle timeout");
	} else if (ev_timer_arm(l, t, due) < 0) {
		fwd_close(c, errno, NULL);
	}
}

/* A new client: connect it to its target; closes fd on failure. */
static int
fwd_add(struct acceptor *a, int fd, const union peer *p)
{
	struct fwd *f = (struct fwd *)a;
	struct fconn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (f->s->proxy_proto && (c->pp = calloc(1, sizeof(*c->pp))) == NULL)) {
		free(c);
		warn_errno("warning: connection");
		if (!f->s->proxy_proto)
			release_client(f->s, &p->sa);
		close(fd);
		return -1;
	}
	c->cfd = fd;
	c->bfd = -1;
	c->peer = *p;
	c->f = f;
	c->timer.fn = on_timer;
	c->last = ev_now(f->l);
	pump_init(&c->up);
	pump_init(&c->down);
	c->first = f->rr;
	f->rr = (f->rr + 1) % f->s->nfwd;
	c->next = f->conns;
	if (c->next)
		c->next->prev = c;
	f->conns = c;
	f->budget.users++;
	if (c->pp == NULL) {
		try_targets(c);
	} else if (ev_timer_arm(f->l, &c->timer, c->last +
	    header_wait(f->s)) < 0 ||
	    watch(c, c->cfd, &c->cev, EV_IN, on_socket) < 0) {
		fwd_close(c, errno, NULL);
	}
	/* Closed already or not, it was taken: fwd_close counted it out. */
	return 0;
}

int
serve_forward(struct server *s)
{
	struct fwd *f;
	int one = 1;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->x.scratch = malloc(PUMP_READ)) == NULL)
		die_errno(EXIT_FAIL, "memory");
	f->s = s;
	f->budget.limit = s->max_pending;
	f->x.budget = &f->budget;
	f->x.pool.max = POOL_PIPES;
	f->src.opts = &s->so;
	if ((f->l = evloop_new(&s->waitmask)) == NULL ||
	    acceptor_start(&f->a, s, f->l, fwd_add) < 0)
		die_errno(EXIT_FAIL, "event loop");
	/* Accepted sockets inherit it: no setsockopt per client. */
	setsockopt(s->lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ev_run(f->l) < 0)
		die_errno(EXIT_FAIL, "wait");
	while (f->conns)
		fwd_close(f->conns, 0, NULL);
	ev_timer_stop(f->l, &f->a.resume);
	evloop_free(f->l);
	pipepool_free(&f->x.pool);
	free(f->x.scratch);
	free(f);
	free_targets(s);
	return EXIT_OK;
}
