/*
 * fuzz_number: scan_number and parse_size (lib/parse.c) against strtoull:
 * what they accept is exactly a decimal in range, and its value.
 */
#include <errno.h>
#include <limits.h>
#include "../lib/sockbox.h"
#include "fuzz.h"

#define FUZZ_MAX_LEN 48

/* strtoull's opinion: 0 and the value if s is all digits and fits. */
static int
reference(const char *s, size_t n, unsigned long long *v)
{
	char buf[FUZZ_MAX_LEN + 1];
	char *end;

	if (n == 0 || n > FUZZ_MAX_LEN || strspn(s, "0123456789") < n)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return errno == ERANGE ? -1 : 0;
}

static void
check_number(const char *s, unsigned long long min, unsigned long long max)
{
	unsigned long long v, ref;
	char err[64];
	int ok = reference(s, strlen(s), &ref) == 0 && ref >= min &&
	    ref <= max;

	if (scan_number(s, min, max, "number", &v, err, sizeof(err)) == 0) {
		FUZZ_CHECK(ok && v == ref);
	} else {
		FUZZ_CHECK(!ok);
		FUZZ_CHECK_ERR(err, sizeof(err));
	}
}

static void
check_size(const char *s, unsigned long long min, unsigned long long max)
{
	static const char units[] = "kKmMgG";
	size_t n = strlen(s);
	unsigned long long v, ref;
	const char *u;
	int shift = 0, ok;

	if (n > 0 && (u = strchr(units, s[n - 1])) != NULL) {
		shift = (int)((u - units) / 2 + 1) * 10;
		n--;
	}
	ok = reference(s, n, &ref) == 0 && ref <= (ULLONG_MAX >> shift) &&
	    (ref << shift) >= min && (ref << shift) <= max;
	if (parse_size(s, min, max, &v) == 0)
		FUZZ_CHECK(ok && v == ref << shift);
	else
		FUZZ_CHECK(!ok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);

	check_number(s, 0, ULLONG_MAX);
	check_number(s, 1, 65535);
	check_number(s, 10, 10);
	check_number(s, 1, 2);		/* a digit above max: no wrap */
	check_size(s, 0, ULLONG_MAX);
	check_size(s, 1, 1ULL << 30);
	check_size(s, 1024, 65536);
	free(s);
	return 0;
}
