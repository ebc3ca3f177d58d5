/*
 * tcpserve_pp.h: tcpserve --proxy-protocol (tcpserve_pp.c), for the mode
 * files: reading each client's header, and program mode's queue of the
 * clients still sending theirs.
 */
#ifndef TCPSERVE_PP_H
#define TCPSERVE_PP_H

#include "tcpserve.h"
#include "../lib/proxyproto.h"

/* How long a client may take to send its header: -w, or 5 s. */
long long header_wait(const struct server *s);
/*
 * Read on at fd's header without waiting; once it is in, its addresses
 * replace p's and *local's (local may be NULL; *named says whether it
 * named any, if named is not NULL) and admit_client judges. 1: let in;
 * 0: incomplete, wait for fd; -1: close it (said with -v).
 */
int take_header(struct server *s, int fd, struct pp_reader *rd, union peer *p,
    struct sockaddr_storage *local, int *named);
/* With -v, "warning: ADDR:PORT: PROXY header: WHY" (NULL: errno's). */
void header_failed(const struct server *s, const union peer *p,
    const char *why);
/* take_header waiting for it (header_wait, stop signals open): 0 or -1. */
int wait_header(struct server *s, int fd, union peer *p);

/* A program mode client whose header is still coming. */
struct pp_client {
	int fd;
	long long deadline;	/* ms: closed if the header is not in */
	union peer peer;
	struct pp_reader rd;
};

/* Those clients, and a poll set for them after a slot for the caller's. */
struct pp_queue {
	struct pp_client *c;
	struct pollfd *pfd;	/* pfd[0]: the caller's; pfd[1 + i]: c[i] */
	unsigned n, cap;
};

/* Queue client fd (zero-initialise q first); -1 if out of memory. */
int ppq_add(struct pp_queue *q, int fd, const union peer *p, long long deadline);
/* Set q->pfd[1..n] up; the ms until the first deadline, or -1 if none. */
long long ppq_poll(struct pp_queue *q, long long now);
/*
 * After the poll: read on for the clients it found readable, close those
 * past their deadline or turned away. For each let in, ready(s, arg, fd,
 * peer, local) with the header's addresses (local NULL if it named none);
 * fd is closed after it returns.
 */
void ppq_step(struct server *s, struct pp_queue *q, long long now,
    void (*ready)(struct server *, void *, int, const union peer *,
    const struct sockaddr_storage *), void *arg);
/* Close every queued client and free q. */
void ppq_free(struct pp_queue *q);

#endif
