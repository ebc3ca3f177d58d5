/*
 * proxyproto.h: haproxy's PROXY protocol, v1 (text) and v2 (binary): a
 * decoder that never exits and never reads past its buffer, a reader that
 * takes a header off a socket without a byte of what follows, and the
 * builder for the sending side.
 */
#ifndef SOCKBOX_PROXYPROTO_H
#define SOCKBOX_PROXYPROTO_H

#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>

/* The longest v1 header, "PROXY TCP6 ...\r\n" with its CRLF. */
#define PP_V1_MAX	107
/*
 * The longest header taken, v2 with its TLVs: longer ones are rejected as
 * oversized. The specification allows 16 + 65535; nginx takes 4096 too,
 * and no sender in use comes near (addresses are at most 216 bytes).
 */
#define PP_MAX_LEN	4096
/* Room pp_build may need, for any version and addresses. */
#define PP_BUILD_MAX	108

/* ---- lib/proxyproto.c: decoding and building headers ---- */

/* What a header said. */
struct pp_result {
	int version;		/* 1 or 2, once the first byte is in */
	/*
	 * 1: src and dst are the client's and the server's addresses
	 * (AF_INET or AF_INET6, ports set). 0: the header names none (v1
	 * UNKNOWN, v2 LOCAL, v2 UNSPEC or UNIX): keep the connection's own.
	 */
	int has_addr;
	struct sockaddr_storage src, dst;
	size_t need;		/* 0 returned: the header's whole length once
				   it is known (v2), else 0 */
	const char *why;	/* -1 returned: what is wrong, a short phrase */
};

/*
 * Decode the PROXY header at the start of buf[0..len). Returns its length
 * (> 0, at most PP_MAX_LEN; the bytes after it are the client's) with r
 * filled; 0 if buf is a consistent beginning of a header and more bytes
 * are needed; -1 with r->why set if it is not a header, or not one we take
 * (oversized, a datagram or unknown family): decided at the first byte
 * that cannot belong to one, so garbage is turned away at once. Reads no
 * byte at buf[len] or beyond; v2 TLVs are skipped unread.
 */
int pp_parse(const void *buf, size_t len, struct pp_result *r);

/*
 * Write a header naming src (the client) and dst (the server) into buf:
 * version 1 ("PROXY TCP4 ..." or TCP6; IPv4-mapped IPv6 addresses are
 * written as TCP4 when both are IPv4) or version 2 (command PROXY, STREAM,
 * INET or INET6, no TLVs). If either address is neither AF_INET nor
 * AF_INET6 (a Unix socket, or NULL), v1 says UNKNOWN and v2 LOCAL: the
 * receiver keeps the connection's own addresses. Returns the header's
 * length, or 0 if cap is too small (PP_BUILD_MAX always suffices) or
 * version is neither 1 nor 2.
 */
size_t pp_build(void *buf, size_t cap, int version, const struct sockaddr *src,
    const struct sockaddr *dst);

/* ---- lib/proxyproto_read.c: a header off a socket ---- */

/* A header being read; zero-initialise it. */
struct pp_reader {
	unsigned char *buf;	/* the bytes taken so far */
	size_t have, cap;
	size_t need;		/* the whole header's length, once known */
};

/*
 * Take what fd has of a header, without waiting (MSG_DONTWAIT) and never a
 * byte past its end: it peeks, and consumes only header bytes. Returns 1
 * when the header is complete (r filled; the next byte read from fd is the
 * client's), 0 if it is incomplete (wait until fd is readable, then call
 * again), -1 if it failed: r->why says why (not a header, oversized, the
 * client closed first) or, for a socket error or no memory, r->why is NULL
 * and errno says.
 */
int pp_read(struct pp_reader *rd, int fd, struct pp_result *r);
/* Free rd's buffer; rd may be used again. */
void pp_reader_free(struct pp_reader *rd);
/*
 * pp_read until the header is complete, waiting at most timeout_ms in
 * ppoll with mask (NULL: the current one). 1 or -1 as pp_read; running out
 * of time is -1 with r->why "timed out"; a signal (EINTR) or a failed
 * poll is -1 with r->why NULL and errno set.
 */
int pp_read_wait(int fd, struct pp_result *r, long long timeout_ms,
    const sigset_t *mask);

#endif
