/*
 * udpsend_reply.c: waiting for the replies to what udpsend sent and
 * printing them.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include "udpsend.h"

/* Room for any datagram: replies are read here. */
static char buf[65536];

/*
 * A reply to stdout, in one write: a newline added unless it ends with one
 * (not -0); with from (--any, not -0), "ADDR:PORT<TAB>" before it.
 */
static void
print_reply(const struct sender *s, const struct sockaddr *from, size_t n)
{
	char where[ADDRPORT_LEN + 1];
	struct iovec iov[3] = { { where, 0 }, { buf, n }, { "\n", 1 } };
	int cnt = s->exact || (n > 0 && buf[n - 1] == '\n') ? 2 : 3;

	if (from && !s->exact) {
		fmt_addrport(from, where, sizeof(where) - 1);
		iov[0].iov_len = strlen(where);
		where[iov[0].iov_len++] = '\t';
	}
	if (write_iov(STDOUT_FILENO, iov, cnt, NULL) < 0)
		die_errno(EXIT_FAIL, "stdout");
}

void
await_reply(struct sender *s)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	char where[ADDRPORT_LEN];
	ssize_t n;
	int r;

	while ((r = poll(&pfd, 1, s->wait_ms ? (int)s->wait_ms : -1)) < 0)
		if (errno != EINTR)
			die_errno(EXIT_FAIL, "poll");
	if (r == 0) {
		warn_msg("no reply from %s", s->peer);
		s->rc = EXIT_FAIL;
		return;
	}
	if ((n = recvfrom(s->fd, buf, sizeof(buf), 0,
	    (struct sockaddr *)&from, &fromlen)) < 0)
		die_peer(s, errno);
	dump_dgram(&s->dump, DUMP_IN, s->tolen ? (struct sockaddr *)&from :
	    NULL, buf, (size_t)n);
	if (s->verbose && s->tolen)
		warn_msg("reply from %s", fmt_addrport(
		    (struct sockaddr *)&from, where, sizeof(where)));
	print_reply(s, NULL, (size_t)n);
}

void
collect_replies(struct sender *s)
{
	char where[ADDRPORT_LEN];
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	struct sockaddr_storage from;
	socklen_t fromlen;
	long long deadline = s->wait_ms ? now_ms() + s->wait_ms : -1, left;
	unsigned long long got = 0;
	ssize_t n;
	int r;

	while (!s->limit || got < s->limit) {
		left = deadline < 0 ? -1 : deadline - now_ms();
		if (deadline >= 0 && left <= 0)
			break;
		if ((r = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left)) <
		    0 && errno != EINTR)
			die_errno(EXIT_FAIL, "poll");
		if (r <= 0)
			continue;
		fromlen = sizeof(from);
		if ((n = recvfrom(s->fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fromlen)) < 0) {
			/* Without IP_RECVERR, nothing else should come. */
			if (errno == EAGAIN || errno == EINTR)
				continue;
			die_peer(s, errno);
		}
		got++;
		dump_dgram(&s->dump, DUMP_IN, (struct sockaddr *)&from, buf,
		    (size_t)n);
		/* -0 prints no address: -v names it on stderr. */
		if (s->verbose && s->exact)
			warn_msg("reply from %s", fmt_addrport(
			    (struct sockaddr *)&from, where, sizeof(where)));
		print_reply(s, (struct sockaddr *)&from, (size_t)n);
	}
	if (got == 0) {
		warn_msg("no reply from %s", s->peer);
		s->rc = EXIT_FAIL;
	}
}
