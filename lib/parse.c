/*
 * parse.c: strict parsers for numbers, durations and ports. Bad input
 * never gets past them: each scan_ function (and port_number) returns -1
 * and names what it rejected, and its wrapper dies with that (exit 2).
 * Also the clock that durations are measured against.
 */
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "sockbox.h"

/* s[0..n): decimal digits only, no sign, no overflow past max; -1 if not. */
static int
scan_uint(const char *s, size_t n, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (!isdigit((unsigned char)s[i]))
			return -1;
		/* d > max first: max - d must not wrap ("3" with max 2). */
		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
scan_number(const char *s, unsigned long long min, unsigned long long max,
    const char *what, unsigned long long *out, char *err, size_t errlen)
{
	unsigned long long v;

	if (scan_uint(s, strlen(s), max, &v) < 0 || v < min) {
		snprintf(err, errlen, "invalid %s '%s'", what, s);
		return -1;
	}
	*out = v;
	return 0;
}

unsigned long long
parse_uint(const char *s, unsigned long long min, unsigned long long max,
    const char *what)
{
	unsigned long long v;
	char err[1024];		/* all that one diagnostic holds */

	if (scan_number(s, min, max, what, &v, err, sizeof(err)) < 0)
		die_usage("%s", err);
	return v;
}

int
parse_size(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	static const char units[] = "kKmMgG";
	const char *u;
	size_t n = strlen(s);
	unsigned long long v;
	int shift = 0;

	if (n > 0 && (u = strchr(units, s[n - 1])) != NULL) {
		shift = (int)((u - units) / 2 + 1) * 10;
		n--;
	}
	/* Leading zeros are digits like any: no length limit. */
	if (scan_uint(s, n, max >> shift, &v) < 0)
		return -1;
	v <<= shift;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

unsigned long long
xparse_size(const char *s, unsigned long long min, unsigned long long max,
    const char *what)
{
	unsigned long long v;

	if (parse_size(s, min, max, &v) < 0)
		die_usage("invalid %s '%s'", what, s);
	return v;
}

int
scan_duration(const char *s, long long *out, char *err, size_t errlen)
{
	/* At most a million seconds (11 days), millisecond resolution. */
	unsigned long long secs = 0, ms = 0;
	const char *p = s;
	int digits = 0, frac_digits = 0, round_up = 0;

	for (; isdigit((unsigned char)*p); p++, digits++) {
		secs = secs * 10 + (unsigned)(*p - '0');
		if (secs > 1000000)
			goto bad;
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, digits++) {
			if (frac_digits++ < 3)
				ms = ms * 10 + (unsigned)(*p - '0');
			else if (*p != '0')
				round_up = 1;	/* never shorten what was asked */
		}
	}
	if (*p != '\0' || digits == 0)
		goto bad;
	for (; frac_digits < 3; frac_digits++)
		ms *= 10;
	*out = (long long)(secs * 1000 + ms + round_up);
	return 0;
bad:
	snprintf(err, errlen, "invalid duration '%s'", s);
	return -1;
}

long long
parse_duration(const char *s)
{
	long long ms;
	char err[1024];

	if (scan_duration(s, &ms, err, sizeof(err)) < 0)
		die_usage("%s", err);
	return ms;
}

int
port_number(const char *s, const char *proto)
{
	unsigned long long v;
	struct servent *se;

	/* All digits is a number, strictly; anything else may be a name. */
	if (s[strspn(s, "0123456789")] == '\0') {
		if (scan_uint(s, strlen(s), 65535, &v) == 0)
			return (int)v;
	} else if ((se = getservbyname(s, proto)) != NULL) {
		/* RFC 6335 names may start with a digit: "9pfs". */
		return ntohs((uint16_t)se->s_port);
	}
	return -1;
}

int
parse_port(const char *s, const char *proto)
{
	int port;

	if ((port = port_number(s, proto)) < 0)
		die_usage("invalid port '%s'", s);
	return port;
}

long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
