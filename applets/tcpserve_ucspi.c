/*
 * tcpserve_ucspi.c: the rest of ucspi-tcp's tcpserver: a banner (-B), the
 * client's confirmed name (--lookup, tcpserver's -h -p), TCPLOCALHOST
 * (-l), TCPCONCURRENCY, and the program's stderr on the connection (-E).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "tcpserve.h"
#include "../lib/rdns.h"

/* Longer than any DNS name (253): a mistake, not a name. */
#define LOCALHOST_MAX	255

int
take_ucspi_opt(struct tcp_extras *x, int ch)
{
	switch (ch) {
	case 'B':
		x->banner = optarg;
		x->banner_len = strlen(optarg);
		return 1;
	case 'l':
		if (*optarg == '\0' || strlen(optarg) > LOCALHOST_MAX)
			die_usage("invalid host name '%s'", optarg);
		x->localhost = optarg;
		return 1;
	case 'E':
		x->err_out = 1;
		return 1;
	case OPT_LOOKUP:
		x->lookup = 1;
		return 1;
	}
	return 0;
}

void
check_ucspi_opts(const struct server *s)
{
	const char *opt = s->x.lookup ? "--lookup" : s->x.localhost ? "-l" :
	    s->x.err_out ? "-E" : NULL;

	if (opt && !s->prog)
		die_usage("%s is for PROG", opt);
	if (s->x.banner && s->echo)
		die_usage("-B is not for --echo: it sends back only what it "
		    "receives");
}

int
send_banner(const struct server *s, int fd, const union peer *p,
    const char *prefix)
{
	const char *b = s->x.banner;
	size_t left = s->x.banner_len;
	char where[ADDRPORT_LEN];
	ssize_t n;
	int err;

	while (left > 0) {
		if ((n = send(fd, b, left, MSG_NOSIGNAL)) >= 0) {
			b += n;
			left -= (size_t)n;
			continue;
		}
		if (server_stop)
			return -1;
		if (errno == EINTR)
			continue;
		err = errno;
		fmt_addrport(&p->sa, where, sizeof(where));
		errno = err;
		warn_errno("%s%s: banner", prefix, where);
		return -1;
	}
	return 0;
}

/* What the program's own process does before it execs. */
struct prep {
	const struct server *s;
	int fd;
	const union peer *p;
};

/*
 * In the program's process, so that neither a client slow to take the
 * banner nor a slow resolver holds the server up: -B, then --lookup.
 */
static int
prepare(void *arg, char *var, size_t len)
{
	const struct prep *pp = arg;
	char name[NI_MAXHOST];

	if (pp->s->x.banner_len > 0 && send_banner(pp->s, pp->fd, pp->p,
	    "warning: ") < 0)
		return -1;
	if (pp->s->x.lookup && confirmed_name(&pp->p->sa, name,
	    sizeof(name)) == 0)
		snprintf(var, len, "TCPREMOTEHOST=%s", name);
	return 0;
}

pid_t
spawn_ucspi(const struct server *s, unsigned running, int fd,
    const struct sockaddr *local, const union peer *p)
{
	struct spawn_opts o = { .err_out = s->x.err_out };
	struct prep pp = { s, fd, p };
	char conc[40], lhost[LOCALHOST_MAX + 16];
	int n = 0;

	snprintf(conc, sizeof(conc), "TCPCONCURRENCY=%u", running + 1);
	o.env[n++] = conc;
	if (s->x.localhost) {
		snprintf(lhost, sizeof(lhost), "TCPLOCALHOST=%s",
		    s->x.localhost);
		o.env[n++] = lhost;
	}
	if (s->x.banner_len > 0 || s->x.lookup) {
		o.prepare = prepare;
		o.arg = &pp;
	}
	return spawn_prog_opts(s->prog, fd, fd, "TCP", local, &p->sa, &o);
}
