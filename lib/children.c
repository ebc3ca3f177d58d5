/*
 * children.c: the table of a server's running children: who each serves,
 * when it started, the time limit that ends it (SIGTERM, then SIGKILL),
 * and reaping on SIGCHLD with a log line for each.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "evloop.h"

static volatile sig_atomic_t child_exited;

static void
on_child(int sig)
{
	(void)sig;
	child_exited = 1;
}

void
children_catch(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
}

int
children_init(struct children *c, unsigned max, long long limit_ms,
    int verbose)
{
	memset(c, 0, sizeof(*c));
	if ((c->kid = calloc(max, sizeof(*c->kid))) == NULL)
		return -1;
	c->max = max;
	c->limit_ms = limit_ms;
	c->verbose = verbose;
	return 0;
}

void
children_free(struct children *c)
{
	free(c->kid);
	c->kid = NULL;
	c->n = c->max = 0;
}

struct running *
children_add(struct children *c, pid_t pid, const struct sockaddr *peer,
    socklen_t peerlen)
{
	struct running *k = &c->kid[c->n++];

	memset(k, 0, sizeof(*k));
	k->pid = pid;
	k->start = now_ms();
	k->deadline = c->limit_ms > 0 ? k->start + c->limit_ms : 0;
	if (peerlen > sizeof(k->peer))
		peerlen = sizeof(k->peer);
	memcpy(&k->peer, peer, peerlen);
	fmt_addrport(peer, k->label, sizeof(k->label));
	return k;
}

unsigned
children_reap(struct children *c, void (*done)(struct running *, void *),
    void *arg)
{
	char how[32];
	unsigned i, n = 0;
	pid_t pid;
	int st;

	if (!child_exited)
		return 0;
	child_exited = 0;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < c->n && c->kid[i].pid != pid; i++)
			;
		if (i == c->n)
			continue;	/* not one of ours */
		if (WIFSIGNALED(st))
			snprintf(how, sizeof(how), "signal %d", WTERMSIG(st));
		else
			snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(st));
		if (c->verbose)
			warn_msg("closed %s pid %ld %s", c->kid[i].label,
			    (long)pid, how);
		if (done)
			done(&c->kid[i], arg);
		c->kid[i] = c->kid[--c->n];
		n++;
	}
	return n;
}

long long
children_expire(struct children *c, long long now)
{
	long long next = -1;
	struct running *k;
	unsigned i;

	for (i = 0; i < c->n; i++) {
		k = &c->kid[i];
		if (k->deadline == 0)
			continue;
		if (k->deadline <= now) {
			/* First a request to stop, then no choice. */
			kill(k->pid, k->signalled ? SIGKILL : SIGTERM);
			if (c->verbose)
				warn_msg("%s pid %ld: %s", k->label,
				    (long)k->pid, k->signalled ?
				    "still running, SIGKILL" :
				    "time limit, SIGTERM");
			k->deadline = k->signalled ? 0 : now + KILL_GRACE_MS;
			k->signalled = 1;
			if (k->deadline == 0)
				continue;
		}
		if (next < 0 || k->deadline < next)
			next = k->deadline;
	}
	return next < 0 ? -1 : next - now;
}
