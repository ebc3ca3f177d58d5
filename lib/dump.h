/*
 * dump.h: traffic dumps (--hexdump, --dump-in, --dump-out) for the network
 * applets: the options, parsed once and opened once; a pure formatter;
 * the writers every relay, server loop and datagram path calls.
 */
#ifndef SOCKBOX_DUMP_H
#define SOCKBOX_DUMP_H

#include <getopt.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include "sockbox.h"

/* ---- lib/dump.c: the options, the formatter, the writers ---- */

/* A chunk's direction: received from the peer ('<'), sent to it ('>'). */
enum { DUMP_IN, DUMP_OUT };

/* getopt_long codes, far above any applet's own. */
enum { DUMP_OPT_HEX = 0x4000, DUMP_OPT_IN, DUMP_OPT_OUT };

/* The three entries for an applet's struct option table. */
#define DUMP_LONGOPTS \
	{ "hexdump", required_argument, NULL, DUMP_OPT_HEX }, \
	{ "dump-in", required_argument, NULL, DUMP_OPT_IN }, \
	{ "dump-out", required_argument, NULL, DUMP_OPT_OUT }

/* The case labels for them in the applet's option switch. */
#define DUMP_CASES \
	case DUMP_OPT_HEX: case DUMP_OPT_IN: case DUMP_OPT_OUT

/* One file a dump goes to. */
struct dump_file {
	const char *path;	/* as given; "-" is stderr; NULL: not asked */
	int fd;			/* -1: closed, or stopped after a failure */
	int own;		/* fd is ours to close */
	int pipe;		/* a pipe or socket: EPIPE, not SIGPIPE */
};

/* Everything --hexdump, --dump-in and --dump-out decided. */
struct dump {
	struct dump_file hex, in, out;
	long long start_us;	/* headers count time from here */
	int on;			/* at least one file is open */
};

/*
 * One connection's place in the dump: the offsets of each direction's
 * stream and the label its headers carry. Any number of them can share
 * one struct dump (a server's connections, tcpserve --forward).
 */
struct dump_conn {
	struct dump *d;
	unsigned long long off[2];	/* [DUMP_IN], [DUMP_OUT] */
	char label[ADDRPORT_LEN];	/* "ADDR:PORT", or "" for none */
};

/* The longest hex line: a 16-digit offset, 16 bytes, their ASCII. */
#define DUMP_LINE_MAX	87
/* Room dump_lines needs for n bytes. */
#define DUMP_LINES_LEN(n)	(((n) + 15) / 16 * DUMP_LINE_MAX)
/* Room dump_header needs: direction, size, time, a label. */
#define DUMP_HEADER_MAX	(48 + ADDRPORT_LEN)
/* The bytes one header covers at most; a longer chunk gets several. */
#define DUMP_SLICE	65536

/*
 * Option ch (DUMP_OPT_*) with its FILE arg into d: 0, or -1 with a
 * one-line reason in err (an empty FILE, the option given twice).
 */
int parse_dump_opt(struct dump *d, int ch, const char *arg, char *err,
    size_t errlen);
/* parse_dump_opt or die_usage("%s", err). */
void xdump_opt(struct dump *d, int ch, const char *arg);
/*
 * Open what d names, once, before any connection: exit 2 if two options
 * name the same file, exit 1 with "APPLET: FILE: reason" if one cannot be
 * created. Files are truncated, mode 0600 (they hold the traffic). The
 * clock of the headers starts here. Nothing to do without the options.
 */
void xdump_open(struct dump *d);
/* Close d's files. */
void dump_close(struct dump *d);

/*
 * The header line of a chunk, NUL-terminated, into out (DUMP_HEADER_MAX
 * bytes suffice): "> 12 bytes +0.004s" for len bytes sent us microseconds
 * after the start, '<' for received, then " LABEL" unless label is NULL
 * or "", then "\n". Returns its length. Pure: a fuzzer may drive it.
 */
size_t dump_header(char *out, size_t outlen, int dir, size_t len,
    long long us, const char *label);
/*
 * p[0..n) in hexdump -C's layout into out (DUMP_LINES_LEN(n) bytes): lines
 * of 16 bytes, the first at stream offset off, "%08llx", two groups of 8,
 * "|ASCII|", every line printed (no '*' folding). Returns the length, not
 * NUL-terminated. Pure: a fuzzer may drive it.
 */
size_t dump_lines(char *out, unsigned long long off, const void *p, size_t n);

/*
 * Start c for a connection with peer (NULL: no label, a client's one
 * connection). Returns c when d dumps anything, else NULL: a relay keeps
 * the NULL and tests it once per transfer, its only cost without a dump.
 */
struct dump_conn *dump_conn_init(struct dump_conn *c, struct dump *d,
    const struct sockaddr *peer);
/*
 * n bytes at p passed c's connection in direction dir: written to the
 * dump at once (a hex chunk, and to --dump-in or --dump-out), never held.
 * Writes block: a slow dump slows the transfer, it never changes it. A
 * file that fails (disk full, reader gone) is a warning, once, and the
 * dump to that file stops; the transfer goes on.
 */
void dump_stream(struct dump_conn *c, int dir, const void *p, size_t n);
/*
 * One datagram of n bytes at p, to or from peer (NULL: no label): one
 * chunk, its offsets from 0. Nothing without a dump.
 */
void dump_dgram(struct dump *d, int dir, const struct sockaddr *peer,
    const void *p, size_t n);
/*
 * The datagram of a sent or received message header: its iovecs up to
 * len bytes, its peer msg_name (none if msg_namelen is 0).
 */
void dump_msg(struct dump *d, int dir, const struct msghdr *mh, size_t len);
/*
 * n messages sent with sendmmsg where each iovec is a datagram of its
 * own (UDP_SEGMENT): one chunk per iovec, peer msg_name.
 */
void dump_segments(struct dump *d, int dir, const struct mmsghdr *m, int n);

/* ---- lib/dump_prog.c: a program's connection, dumped ---- */

/*
 * Run argv (spawn_prog, UCSPI environment proto with conn's addresses)
 * on one end of a socketpair and relay conn with the other, dumping
 * through c: the dump is of the connection, not of the program's pipes.
 * Half-closes pass both ways; when the program exits, the peer is no
 * longer read and the program's output drains, as if it had held the
 * connection. SIGTERM to the caller is passed on to the program; SIGCHLD
 * and SIGTERM are caught meanwhile, their actions restored after. Closes
 * conn. Returns the program's wait status, or -1 with errno set if it
 * could not be started.
 */
int dump_prog(char **argv, int conn, const char *proto,
    struct dump_conn *c);
/*
 * dump_prog with the program started by spawn(arg, fd), fd the program's
 * end of the pair: for servers whose programs get more than the plain
 * environment (tcpserve's -B, TCPCONCURRENCY, PROXY addresses).
 */
int dump_prog_with(int conn, struct dump_conn *c, pid_t (*spawn)(void *, int),
    void *arg);

#endif
