/*
 * fuzz_duration: scan_duration (lib/parse.c). What it accepts is
 * SECONDS[.FRACTION] of at most 1000000 s, and the milliseconds are the
 * value rounded up, never down.
 */
#include <ctype.h>
#include "../lib/sockbox.h"
#include "fuzz.h"

#define FUZZ_MAX_LEN 32

/* An independent reading: -1, or the milliseconds. */
static long long
reference(const char *s)
{
	const char *dot = strchr(s, '.'), *p;
	size_t ni = dot ? (size_t)(dot - s) : strlen(s), i;
	long long secs = 0, ms = 0;
	int frac = 0, rest = 0;

	if (ni + (dot ? strlen(dot + 1) : 0) == 0)
		return -1;
	for (i = 0; i < ni; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		secs = secs * 10 + (s[i] - '0');
		if (secs > 1000000)
			return -1;
	}
	for (p = dot ? dot + 1 : ""; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		if (frac < 3)
			ms = ms * 10 + (*p - '0'), frac++;
		else
			rest |= *p != '0';
	}
	while (frac++ < 3)
		ms *= 10;
	return secs * 1000 + ms + rest;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), err[48];
	long long ms, ref = reference(s);

	if (scan_duration(s, &ms, err, sizeof(err)) == 0) {
		FUZZ_CHECK(ref >= 0 && ms == ref);
	} else {
		FUZZ_CHECK(ref < 0);
		FUZZ_CHECK_ERR(err, sizeof(err));
	}
	free(s);
	return 0;
}
