/*
 * sockopt.c: socket options from the command line (--sockopt, -D, -K,
 * --mptcp): a parser that never exits, the check against the socket type
 * and role, and setting them on a socket before bind or connect.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "sockbox.h"
#include "sockopt.h"

/* Kernel bounds (include/net/tcp.h): MAX_TCP_KEEPIDLE, KEEPINTVL, KEEPCNT. */
#define KEEP_SECS_MAX	32767
#define KEEPCNT_MAX	127
#define BUF_MAX		(1ULL << 30)	/* the kernel doubles it into an int */
#define SECS_MAX	1000000		/* as parse_duration: 11 days */

/* Decimal, or hexadecimal after "0x"; no sign, at most max. -1 if not. */
static int
scan_num(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	unsigned d;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			d = (unsigned)(*s - '0');
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = (unsigned)(tolower((unsigned char)*s) - 'a' + 10);
		else
			return -1;
		if (v > (max - d) / (unsigned)base)
			return -1;
		v = v * (unsigned)base + d;
	}
	*out = v;
	return 0;
}

/* Seconds with up to three decimals ("1.5") as milliseconds; -1 if not. */
static int
scan_ms(const char *s, unsigned long long *out)
{
	unsigned long long secs, ms = 0;
	const char *dot = strchr(s, '.');
	char whole[16];
	size_t n = dot ? (size_t)(dot - s) : strlen(s);
	int i;

	if (n == 0 || n >= sizeof(whole))
		return -1;
	memcpy(whole, s, n);
	whole[n] = '\0';
	if (strspn(whole, "0123456789") != n ||
	    scan_num(whole, SECS_MAX, &secs) < 0)
		return -1;
	if (dot) {
		for (i = 0, s = dot + 1; i < 3; i++) {
			ms *= 10;
			if (isdigit((unsigned char)*s))
				ms += (unsigned)(*s++ - '0');
		}
		if (*s != '\0' || dot[1] == '\0')
			return -1;
	}
	*out = secs * 1000 + ms;
	return 0;
}

/* A number of [min, max] into *v; -1 if not. */
static int
num_in(const char *s, unsigned long long min, unsigned long long max, int *v)
{
	unsigned long long n;

	if (scan_num(s, max, &n) < 0 || n < min)
		return -1;
	*v = (int)n;
	return 0;
}

/* "IDLE[:INTERVAL[:COUNT]]", each part present if its colon is. */
static int
parse_keepalive(struct sockopts *so, const char *val)
{
	char buf[32], *part[3] = { NULL, NULL, NULL }, *p;
	int i, *dst[3] = { &so->keepidle, &so->keepintvl, &so->keepcnt };
	int max[3] = { KEEP_SECS_MAX, KEEP_SECS_MAX, KEEPCNT_MAX };

	so->keepidle = so->keepintvl = so->keepcnt = 0;
	if (val == NULL)
		return 0;		/* the kernel's defaults */
	if (strlen(val) >= sizeof(buf))
		return -1;
	strcpy(buf, val);
	for (i = 0, p = buf; i < 3 && p; i++) {
		part[i] = p;
		if ((p = strchr(p, ':')) != NULL)
			*p++ = '\0';
	}
	if (p)
		return -1;		/* a fourth part */
	for (i = 0; i < 3 && part[i]; i++)
		if (num_in(part[i], 1, (unsigned long long)max[i], dst[i]) < 0)
			return -1;
	return 0;
}

/* The checks of the kernel's dev_valid_name, so bad names are exit 2. */
static int
parse_device(struct sockopts *so, const char *val)
{
	size_t n = strlen(val);
	const char *p;

	if (n == 0 || n >= sizeof(so->device) || strcmp(val, ".") == 0 ||
	    strcmp(val, "..") == 0)
		return -1;
	for (p = val; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			return -1;
	memcpy(so->device, val, n + 1);
	return 0;
}

/* One option's value into a copy of the options; -1 if it is bad. */
static int
parse_value(struct sockopts *so, unsigned bit, const char *val)
{
	unsigned long long v;

	switch (bit) {
	case SOCKOPT_KEEPALIVE:
		return parse_keepalive(so, val);
	case SOCKOPT_RCVBUF:
	case SOCKOPT_SNDBUF:
		if (parse_size(val, 1, BUF_MAX, &v) < 0)
			return -1;
		*(bit == SOCKOPT_RCVBUF ? &so->rcvbuf : &so->sndbuf) = (int)v;
		return 0;
	case SOCKOPT_TOS:
		return num_in(val, 0, 255, &so->tos);
	case SOCKOPT_TTL:
		return num_in(val, 1, 255, &so->ttl);
	case SOCKOPT_BINDTODEVICE:
		return parse_device(so, val);
	case SOCKOPT_USER_TIMEOUT:
		if (scan_ms(val, &v) < 0 || v > 0x7fffffff)
			return -1;
		so->user_timeout = (int)v;
		return 0;
	case SOCKOPT_MARK:
		if (scan_num(val, 0xffffffffULL, &v) < 0)
			return -1;
		so->mark = (unsigned)v;
		return 0;
	case SOCKOPT_LINGER:
		return num_in(val, 0, SECS_MAX, &so->linger);
	}
	return 0;			/* a flag: nothing to parse */
}

/* Every name, and whether it takes a value: 0 none, 1 needs, 2 may. */
static const struct optname {
	const char *name;
	unsigned bit;
	int value;
} names[] = {
	{ "nodelay", SOCKOPT_NODELAY, 0 },
	{ "keepalive", SOCKOPT_KEEPALIVE, 2 },
	{ "rcvbuf", SOCKOPT_RCVBUF, 1 },
	{ "sndbuf", SOCKOPT_SNDBUF, 1 },
	{ "tos", SOCKOPT_TOS, 1 },
	{ "ttl", SOCKOPT_TTL, 1 },
	{ "reuseport", SOCKOPT_REUSEPORT, 0 },
	{ "bindtodevice", SOCKOPT_BINDTODEVICE, 1 },
	{ "user-timeout", SOCKOPT_USER_TIMEOUT, 1 },
	{ "mark", SOCKOPT_MARK, 1 },
	{ "linger", SOCKOPT_LINGER, 1 },
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

const char *
sockopt_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < NNAMES; i++)
		if (names[i].bit == bit)
			return names[i].name;
	return "?";
}

int
sockopt_parse(struct sockopts *so, const char *arg, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg), i;
	const struct optname *o = NULL;
	struct sockopts tmp = *so;

	for (i = 0; i < NNAMES && o == NULL; i++)
		if (strlen(names[i].name) == n &&
		    strncmp(names[i].name, arg, n) == 0)
			o = &names[i];
	if (o == NULL) {
		snprintf(err, errlen, "unknown socket option '%.*s'",
		    n > 64 ? 64 : (int)n, arg);
		return -1;
	}
	if (eq && o->value == 0) {
		snprintf(err, errlen, "sockopt %s takes no value", o->name);
		return -1;
	}
	if ((eq == NULL || eq[1] == '\0') && o->value == 1) {
		snprintf(err, errlen, "sockopt %s needs a value", o->name);
		return -1;
	}
	if (parse_value(&tmp, o->bit, eq ? eq + 1 : NULL) < 0) {
		snprintf(err, errlen, "invalid sockopt %s value '%.64s'",
		    o->name, eq ? eq + 1 : "");
		return -1;
	}
	tmp.set |= o->bit;
	*so = tmp;
	return 0;
}

void
xsockopt_parse(struct sockopts *so, const char *arg)
{
	char err[160];

	if (sockopt_parse(so, arg, err, sizeof(err)) < 0)
		die_usage("%s", err);
}

int
sockopt_check(const struct sockopts *so, int socktype, int role,
    char *err, size_t errlen)
{
	unsigned tcp_only = SOCKOPT_NODELAY | SOCKOPT_KEEPALIVE |
	    SOCKOPT_USER_TIMEOUT | SOCKOPT_LINGER;
	unsigned bad;

	if (socktype != SOCK_STREAM && so->mptcp) {
		snprintf(err, errlen, "--mptcp is for TCP");
		return -1;
	}
	if (socktype != SOCK_STREAM && (bad = so->set & tcp_only)) {
		snprintf(err, errlen, "sockopt %s is for TCP, not UDP",
		    sockopt_name(bad & -bad));
		return -1;
	}
	if (role != SOCKOPT_SERVER && (so->set & SOCKOPT_REUSEPORT)) {
		snprintf(err, errlen, "sockopt reuseport is for servers");
		return -1;
	}
	return 0;
}

void
xsockopt_check(const struct sockopts *so, int socktype, int role)
{
	char err[160];

	if (sockopt_check(so, socktype, role, err, sizeof(err)) < 0)
		die_usage("%s", err);
}
