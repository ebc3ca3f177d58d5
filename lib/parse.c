/*
 * parse.c: strict parsers for numbers, durations and ports. Bad input
 * never gets past them: each dies with exit 2 and names what it rejected.
 * Also the clock that durations are measured against.
 */
#include <ctype.h>
#include <netdb.h>
#include <string.h>
#include <time.h>
#include "sockbox.h"

/* Decimal digits only, no sign, no overflow past max; -1 if not. */
static int
scan_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		if (v > (max - (unsigned)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*out = v;
	return 0;
}

unsigned long long
parse_uint(const char *s, unsigned long long min, unsigned long long max,
    const char *what)
{
	unsigned long long v;

	if (scan_uint(s, max, &v) < 0 || v < min)
		die_usage("invalid %s '%s'", what, s);
	return v;
}

int
parse_size(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	static const char units[] = "kKmMgG";
	char digits[24];
	const char *u;
	size_t n = strlen(s);
	unsigned long long v;
	int shift = 0;

	if (n > 0 && (u = strchr(units, s[n - 1])) != NULL) {
		shift = (int)((u - units) / 2 + 1) * 10;
		n--;
	}
	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, s, n);
	digits[n] = '\0';
	if (scan_uint(digits, max >> shift, &v) < 0)
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

long long
parse_duration(const char *s)
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
	return (long long)(secs * 1000 + ms + round_up);
bad:
	die_usage("invalid duration '%s'", s);
}

int
port_number(const char *s, const char *proto)
{
	unsigned long long v;
	struct servent *se;

	/* All digits is a number, strictly; anything else may be a name. */
	if (s[strspn(s, "0123456789")] == '\0') {
		if (scan_uint(s, 65535, &v) == 0)
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
