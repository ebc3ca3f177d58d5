/*
 * udpserve_prog.c: PROG mode: one program per datagram, the datagram on
 * its stdin, its output (at most one datagram's size) the reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "udpserve.h"
#include "../lib/unixsock.h"

/* A running PROG: its datagram still to write, its reply so far. */
struct child {
	pid_t pid;		/* 0 once reaped */
	int in, out;		/* our pipe ends, -1 once closed */
	char *data, *reply;
	size_t len, off, rlen;
	int max;
	struct origin o;
};

static struct {
	char **argv;
	struct child *kids;
	int max, running;
} P;

void
setup_progs(char **argv, int max)
{
	int i;

	P.argv = argv;
	P.max = max;
	if ((P.kids = calloc(max, sizeof(*P.kids))) == NULL)
		die_errno(EXIT_FAIL, "malloc");
	for (i = 0; i < max; i++)
		P.kids[i].in = P.kids[i].out = -1;
}

int
progs_running(void)
{
	return P.running;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Feed the datagram to the child; close its stdin once all is written. */
static void
feed_child(struct child *c)
{
	ssize_t w;

	while (c->off < c->len) {
		if ((w = write(c->in, c->data + c->off, c->len - c->off)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			break;	/* it exited without reading: no matter */
		}
		c->off += w;
	}
	close_fd(&c->in);
	free(c->data);
	c->data = NULL;
}

/*
 * Collect the child's output; at its end, that output is the reply,
 * unless the datagram may not be answered (then it is read and dropped).
 */
static void
drain_child(struct child *c)
{
	struct iovec iov;
	struct mmsghdr m;
	struct origin *o = &c->o;
	ssize_t r;

	for (;;) {
		r = read(c->out, c->reply + c->rlen, c->max + 1 - c->rlen);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0)
			break;
		if (o->refused) {
			c->rlen = 0;
			continue;
		}
		if ((c->rlen += r) > (size_t)c->max) {
			errno = EMSGSIZE;
			warn_reply(o);
			c->rlen = 0;	/* never a truncated reply */
			break;
		}
	}
	if (c->rlen > 0) {
		iov.iov_base = c->reply;
		iov.iov_len = c->rlen;
		reply_header(&m.msg_hdr, o, &iov, 1);
		send_replies(&m, &o, 1);
	}
	close_fd(&c->out);
	free(c->reply);
	c->reply = NULL;
}

void
start_prog(const struct origin *o, const char *data, size_t len)
{
	struct child *c;
	int in[2], out[2], i;

	for (i = 0; P.kids[i].pid || P.kids[i].in >= 0 || P.kids[i].out >= 0;)
		i++;
	c = &P.kids[i];
	c->o = *o;
	c->max = dgram_max((struct sockaddr *)&o->peer);
	if (pipe2(in, O_CLOEXEC) < 0)
		goto fail;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		goto fail;
	}
	if (o->peer.ss_family == AF_UNIX)
		c->pid = spawn_unix(P.argv, in[0], out[1],
		    (const struct sockaddr_un *)&o->local, NULL,
		    (const struct sockaddr_un *)&o->peer);
	else
		c->pid = spawn_prog(P.argv, in[0], out[1], "UDP",
		    (struct sockaddr *)&o->local, (struct sockaddr *)&o->peer);
	close(in[0]);
	close(out[1]);
	c->in = in[1];
	c->out = out[0];
	c->data = malloc(len ? len : 1);
	c->reply = malloc(c->max + 1);
	if (c->pid < 0 || c->data == NULL || c->reply == NULL) {
		warn_errno("warning: %s", P.argv[0]);
		c->pid = 0;
		close_fd(&c->in);
		close_fd(&c->out);
		free(c->data);
		free(c->reply);
		c->data = c->reply = NULL;
		return;
	}
	fcntl(c->in, F_SETFL, O_NONBLOCK);
	fcntl(c->out, F_SETFL, O_NONBLOCK);
	memcpy(c->data, data, len);
	c->len = len;
	c->off = c->rlen = 0;
	P.running++;
	feed_child(c);
	return;
fail:
	warn_errno("warning: pipe");
}

int
poll_progs(struct pollfd *pfd)
{
	int i, n = 0;

	for (i = 0; P.argv && i < P.max; i++) {
		pfd[n].fd = P.kids[i].in;	/* -1: ignored by poll */
		pfd[n++].events = POLLOUT;
		pfd[n].fd = P.kids[i].out;
		pfd[n++].events = POLLIN;
	}
	return n;
}

void
serve_progs(const struct pollfd *pfd)
{
	struct child *c;
	int i;

	for (i = 0; P.argv && i < P.max; i++) {
		c = &P.kids[i];
		if (c->in >= 0 && pfd[2 * i].revents)
			feed_child(c);
		if (c->out >= 0 && pfd[2 * i + 1].revents)
			drain_child(c);
	}
}

void
reap_progs(void)
{
	struct child *c;
	pid_t pid;
	int i, st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		for (i = 0; i < P.max; i++)
			if (P.kids[i].pid == pid)
				P.kids[i].pid = 0;
	P.running = 0;
	for (i = 0; i < P.max; i++) {
		c = &P.kids[i];
		if (c->pid || c->in >= 0 || c->out >= 0)
			P.running++;
	}
}
