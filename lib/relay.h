/*
 * relay.h: the bidirectional copy between stdin/stdout and a socket, for
 * tcpconnect, tcpserve's relay mode and the dumped programs' helper.
 */
#ifndef SOCKBOX_RELAY_H
#define SOCKBOX_RELAY_H

#include "sockbox.h"

/* One side of a copy: how to read or write fd without blocking. */
struct relay_end {
	int fd;
	int sock;	/* recv/send with MSG_DONTWAIT */
	int nb;		/* never blocks: try until EAGAIN; else poll first */
	int ready;	/* worth trying now */
};

struct dump_conn;	/* lib/dump.h */

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
	struct dump_conn *dump_read, *dump_written;	/* NULL: no dump */
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
	struct dump_conn *dump;	/* the connection's dump, or NULL */
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

#endif
