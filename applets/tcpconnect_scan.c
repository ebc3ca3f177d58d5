/*
 * tcpconnect_scan.c: -z, which ports of a host accept: up to --parallel
 * non-blocking connects at once, reported in port order as they settle.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tcpconnect.h"

/* One port: its connect in progress, then how it went. */
struct probe {
	struct hconn h;
	long long started;
	int err;		/* 0: open */
	int done;
	long long ms100;	/* hundredths of a millisecond it took */
	char addr[ADDRPORT_LEN];	/* the address, connected or tried */
	char peer[ADDRPORT_LEN];	/* open: ADDR:PORT */
};

static const char *
state_name(int err)
{
	switch (err) {
	case 0:
		return "open";
	case ECONNREFUSED:
		return "closed";
	case ETIMEDOUT:
		return "timeout";
	default:
		return "unreachable";
	}
}

/* What a settled probe reports: its address and time. */
static void
settle(struct probe *p, int rc)
{
	struct sockaddr_storage ss;
	long long t = now_us();

	p->done = 1;
	p->ms100 = (t - p->started + 5) / 10;
	if (rc == 1) {
		p->err = 0;
		if (peer_addr(p->h.fd, &ss) == 0) {
			fmt_addr((struct sockaddr *)&ss, p->addr,
			    sizeof(p->addr));
			fmt_addrport((struct sockaddr *)&ss, p->peer,
			    sizeof(p->peer));
		}
		close(p->h.fd);
	} else {
		p->err = errno;
		/* The user's option, not this port: every probe would fail. */
		if (p->h.opt_failed)
			die_errno(EXIT_FAIL, "sockopt %s", p->h.opt_failed);
		if (p->h.n > 0)
			fmt_addr(p->h.addrs[0]->ai_addr, p->addr,
			    sizeof(p->addr));
	}
	hconn_free(&p->h);
}

/* Print p's line for port (stdout), and its failure where it is wanted. */
static void
report(const char *host, int port, const struct probe *p, int range,
    const struct opts *o)
{
	if (p->err && (o->verbose || !range)) {
		errno = p->err;
		warn_errno("%s port %d: connect", host, port);
	}
	if (!p->err && o->verbose)
		warn_msg("connected to %s", p->peer);
	if (o->json) {
		fputs("{\"host\":", stdout);
		put_json(stdout, host);
		fputs(",\"address\":", stdout);
		put_json(stdout, p->addr);
		printf(",\"port\":%d,\"state\":\"%s\",\"ms\":%lld.%02lld}\n",
		    port, state_name(p->err), p->ms100 / 100, p->ms100 % 100);
	} else if (!p->err) {
		printf("%s %d open\n", host, port);
	}
}

/* Start probing port in p; it may settle at once. */
static int
start_probe(struct probe *p, struct addrinfo *res, int port,
    const struct opts *o)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->started = now_us();
	if (hconn_start(&p->h, res, &o->src, o->wait_ms) < 0)
		die_errno(EXIT_FAIL, "memory");
	p->h.port = port;
	if ((rc = hconn_step(&p->h)) != 0)
		settle(p, rc);
	return rc;
}

/* Wait for any probe in flight to move, at most until the first wake. */
static void
wait_probes(struct probe *v, size_t n, struct pollfd **pfd, size_t *cap)
{
	long long at = -1, w, now;
	size_t i, k = 0, need = 0;

	for (i = 0; i < n; i++)
		if (!v[i].done)
			need += v[i].h.nfd;
	if (need > *cap) {
		if ((*pfd = realloc(*pfd, need * sizeof(**pfd))) == NULL)
			die_errno(EXIT_FAIL, "memory");
		*cap = need;
	}
	for (i = 0; i < n; i++) {
		if (v[i].done)
			continue;
		memcpy(*pfd + k, v[i].h.p, v[i].h.nfd * sizeof(**pfd));
		k += v[i].h.nfd;
		if ((w = hconn_wake(&v[i].h)) >= 0 && (at < 0 || w < at))
			at = w;
	}
	now = now_ms();
	w = at < 0 ? -1 : at > now ? at - now : 0;
	if (poll(*pfd, k, w > 1000000 ? 1000000 : (int)w) < 0 &&
	    errno != EINTR)
		die_errno(EXIT_FAIL, "poll");
}

int
scan_ports(const char *host, struct addrinfo *res, int lo, int hi,
    int range, const struct opts *o)
{
	size_t n = (size_t)(hi - lo) + 1, i, next = 0, shown = 0, busy = 0;
	size_t cap = 0;
	struct pollfd *pfd = NULL;
	struct probe *v;
	int rc, any = 0;

	if ((v = calloc(n, sizeof(*v))) == NULL)
		die_errno(EXIT_FAIL, "memory");
	while (shown < n) {
		while (busy < o->parallel && next < n) {
			if (start_probe(&v[next], res, lo + (int)next, o) == 0)
				busy++;
			next++;
		}
		/* Print in port order, as far as ports have settled. */
		for (; shown < next && v[shown].done; shown++) {
			report(host, lo + (int)shown, &v[shown], range, o);
			any |= v[shown].err == 0;
		}
		xflush_stdout();
		if (busy == 0)
			continue;
		wait_probes(v, next, &pfd, &cap);
		for (i = shown; i < next; i++) {
			if (v[i].done || (rc = hconn_step(&v[i].h)) == 0)
				continue;
			settle(&v[i], rc);
			busy--;
		}
	}
	free(pfd);
	free(v);
	return any ? EXIT_OK : EXIT_FAIL;
}
