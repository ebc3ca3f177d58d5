/*
 * fuzz_json: the JSON writer (put_json, lib/json.c). Its output must be
 * one JSON string (RFC 8259), plain ASCII escapes as Python writes them,
 * and decode to the input with each byte that starts no valid UTF-8
 * sequence replaced by U+FFFD: checked here by a decoder of its own.
 */
#include "../lib/sockbox.h"
#include "fuzz.h"

#define FUZZ_MAX_LEN 512

/* The length of a valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned long c;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	len = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 :
	    (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (len == 0 || len > n)
		return 0;
	c = p[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* Overlong, surrogates, past U+10FFFF. */
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
	    (len == 4 && c < 0x10000) || (c >= 0xd800 && c <= 0xdfff) ||
	    c > 0x10ffff)
		return 0;
	return len;
}

/* The input as put_json must have seen it: bad bytes as U+FFFD. */
static size_t
expect(const unsigned char *s, size_t n, unsigned char *out)
{
	size_t i = 0, o = 0, k;

	while (i < n) {
		if ((k = utf8_len(s + i, n - i)) == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	return o;
}

static int
hex(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : -1;
}

/* Decode the JSON string j[0..n) into out: its length, or abort. */
static size_t
decode(const char *j, size_t n, unsigned char *out)
{
	static const char esc[] = "\"\\/bfnrt", val[] = "\"\\/\b\f\n\r\t";
	const char *e;
	size_t i, o = 0;
	unsigned long c;
	int k, d;

	FUZZ_CHECK(n >= 2 && j[0] == '"' && j[n - 1] == '"');
	for (i = 1; i < n - 1; i++) {
		/* A control, a quote or a byte 0x7f+ unescaped is wrong. */
		FUZZ_CHECK((unsigned char)j[i] >= 0x20 && j[i] != '"');
		if (j[i] != '\\') {
			out[o++] = (unsigned char)j[i];
			continue;
		}
		FUZZ_CHECK(++i < n - 1);
		if (j[i] != 'u') {
			FUZZ_CHECK((e = strchr(esc, j[i])) != NULL);
			out[o++] = (unsigned char)val[e - esc];
			continue;
		}
		for (c = 0, k = 0; k < 4; k++) {
			FUZZ_CHECK(i + 1 < n - 1 && (d = hex(j[++i])) >= 0);
			c = c << 4 | (unsigned long)d;
		}
		/* Only controls and U+FFFD are written as \u. */
		FUZZ_CHECK(c < 0x20 || c == 0xfffd);
		if (c < 0x20) {
			out[o++] = (unsigned char)c;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
		}
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), *j = NULL;
	unsigned char *want, *got;
	size_t n = strlen(s), jn = 0, wn;
	FILE *f;

	if ((f = open_memstream(&j, &jn)) == NULL)
		abort();
	put_json(f, s);
	FUZZ_CHECK(fclose(f) == 0);
	FUZZ_CHECK(strlen(j) == jn);
	/* Three bytes for each input byte at most, as U+FFFD. */
	want = malloc(3 * n + 1);
	got = malloc(jn + 1);
	if (want == NULL || got == NULL)
		abort();
	wn = expect((unsigned char *)s, n, want);
	FUZZ_CHECK(decode(j, jn, got) == wn);
	FUZZ_CHECK(memcmp(got, want, wn) == 0);
	free(want);
	free(got);
	free(j);
	free(s);
	return 0;
}
