/*
 * pump.h: one direction of a forwarded connection: bytes from one socket
 * to another, with splice(2) through a pipe borrowed from a pool while
 * data moves, or through a small buffer where splice is refused.
 */
#ifndef SOCKBOX_PUMP_H
#define SOCKBOX_PUMP_H

#include <stdint.h>
#include "evloop.h"

struct dump_conn;	/* lib/dump.h */

/*
 * Empty pipes not in use, kept for the next burst of data. An idle
 * connection holds none: 10,000 of them then cost no descriptors beyond
 * their sockets.
 */
struct pipepool {
	int (*pipes)[2];	/* pipes[0..n) are free, empty */
	unsigned n, max;	/* max: how many are kept at most */
};

/* A pipe from pool (or a new one, non-blocking); -1 with errno. */
int pipe_take(struct pipepool *pool, int p[2]);
/* Give an empty pipe back (closed when the pool is full); p becomes -1. */
void pipe_give(struct pipepool *pool, int p[2]);
/* Close the pool's pipes. */
void pipepool_free(struct pipepool *pool);

/* What the pumps of one loop share. */
struct pumpctx {
	struct pipepool pool;
	struct budget *budget;	/* the buffers' memory (--max-pending) */
	char *scratch;		/* PUMP_READ bytes, for the buffered path */
};

/* A buffered read at most; a buffer never holds more. */
#define PUMP_READ	(64 * 1024)

/* One direction: src to dst. Zero-initialise, then pump_init. */
struct pump {
	int pipe[2];		/* borrowed while data moves, else -1 */
	uint32_t inpipe;	/* bytes in the pipe */
	char *buf;		/* buffered bytes buf[off..len), or NULL */
	uint32_t off, len, cap;	/* cap: taken from the budget */
	uint32_t uncounted;	/* queued bytes not counted in bytes */
	unsigned long long bytes;	/* delivered to dst */
	unsigned char eof;	/* src ended */
	unsigned char shut;	/* dst shut down for writing */
	unsigned char nosplice;	/* splice refused (EINVAL): buffer */
	/* --hexdump &c: each byte delivered, as dir (set nosplice too) */
	struct dump_conn *dump;
	int dumpdir;
};

/* What pump_run waits for next. */
enum { PUMP_DONE, PUMP_IN = 2, PUMP_OUT };	/* not 1: "moved" inside */

void pump_init(struct pump *p);
/*
 * Move what src has to dst, until one of them would block (or a round of
 * about a megabyte, so other connections get their turn). PUMP_IN: wait
 * until src is readable; PUMP_OUT: until dst is writable; PUMP_DONE: src
 * ended, everything is delivered and dst is shut down for writing. -1
 * with errno: src or dst failed (a reset), or out of memory.
 */
int pump_run(struct pump *p, int src, int dst, struct pumpctx *x);
/*
 * Queue n bytes for dst ahead of anything src sends (a --send-proxy
 * header); not counted in bytes. 0, or -1 (out of memory).
 */
int pump_queue(struct pump *p, const void *data, size_t n,
    struct pumpctx *x);
/* Give the pipe and buffer back; bytes still held are dropped. */
void pump_free(struct pump *p, struct pumpctx *x);

#endif
