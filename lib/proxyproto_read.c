/*
 * proxyproto_read.c: a PROXY header off a socket, and not a byte more: the
 * bytes after it are the client's and belong to whoever serves it.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include "proxyproto.h"
#include "sockbox.h"

void
pp_reader_free(struct pp_reader *rd)
{
	free(rd->buf);
	rd->buf = NULL;
	rd->have = rd->cap = rd->need = 0;
}

/* Room for n bytes in rd->buf; -1 (ENOMEM) if there is none. */
static int
reserve(struct pp_reader *rd, size_t n)
{
	unsigned char *grown;

	if (n <= rd->cap)
		return 0;
	if ((grown = realloc(rd->buf, n)) == NULL)
		return -1;
	rd->buf = grown;
	rd->cap = n;
	return 0;
}

/*
 * Peek at what is queued, as much as the header may still take: its
 * length once known (v2), else PP_V1_MAX. A complete header is consumed
 * to its last byte. An incomplete one is consumed whole: every byte of it
 * belongs to the header (a v1 line has no CRLF before its end, a v2 header
 * is shorter than its length), and peeking the same bytes again would
 * find the socket readable for ever.
 */
int
pp_read(struct pp_reader *rd, int fd, struct pp_result *r)
{
	size_t lim, take;
	ssize_t n;
	int rc;

	for (;;) {
		/* Incomplete, have < lim: v1 fails at PP_V1_MAX, v2 at need. */
		lim = rd->need > PP_V1_MAX ? rd->need : PP_V1_MAX;
		r->why = NULL;
		if (rd->have >= lim) {	/* parse has said so before */
			r->why = "oversized";
			return -1;
		}
		if (reserve(rd, lim) < 0)
			return -1;
		n = recv(fd, rd->buf + rd->have, lim - rd->have,
		    MSG_PEEK | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR ? 0 : -1;
		if (n == 0) {
			r->why = rd->have ? "closed before its end" :
			    "closed without one";
			return -1;
		}
		if ((rc = pp_parse(rd->buf, rd->have + n, r)) < 0)
			return -1;
		take = rc > 0 ? (size_t)rc - rd->have : (size_t)n;
		/* Bytes just peeked are queued: this takes them all. */
		if ((n = recv(fd, rd->buf + rd->have, take, MSG_DONTWAIT)) !=
		    (ssize_t)take) {
			if (n >= 0)
				errno = EIO;
			return -1;
		}
		rd->have += take;
		if (rc > 0)
			return 1;
		rd->need = r->need;
	}
}

int
pp_read_wait(int fd, struct pp_result *r, long long timeout_ms,
    const sigset_t *mask)
{
	struct pp_reader rd = { 0 };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec ts;
	long long deadline = now_ms() + timeout_ms, left;
	int rc;

	while ((rc = pp_read(&rd, fd, r)) == 0) {
		if ((left = deadline - now_ms()) <= 0) {
			r->why = "timed out";
			rc = -1;
			break;
		}
		ts.tv_sec = left / 1000;
		ts.tv_nsec = left % 1000 * 1000000L;
		if (ppoll(&pfd, 1, &ts, mask) < 0) {
			rc = -1;
			break;
		}
	}
	pp_reader_free(&rd);
	return rc;
}
