/*
 * udpsend_reply.c: waiting for the replies to what udpsend sent and
 * printing them.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include "udpsend.h"

/* A reply to stdout: a newline added unless it ends with one (not -0). */
static void
print_reply(const struct sender *s, char *buf, size_t n)
{
	struct iovec iov[2] = { { buf, n }, { "\n", 1 } };
	int cnt = s->exact || (n > 0 && buf[n - 1] == '\n') ? 1 : 2;

	if (write_iov(STDOUT_FILENO, iov, cnt, NULL) < 0)
		die_errno(EXIT_FAIL, "stdout");
}

void
await_reply(struct sender *s)
{
	static char buf[65536];
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
	if (s->verbose && s->tolen)
		warn_msg("reply from %s", fmt_addrport(
		    (struct sockaddr *)&from, where, sizeof(where)));
	print_reply(s, buf, (size_t)n);
}
