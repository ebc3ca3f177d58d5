/*
 * fuzz_dump: the hex dump writer (lib/dump.c: dump_lines, dump_header).
 * The lines must stay within DUMP_LINES_LEN, follow hexdump -C's layout,
 * and read back to the bytes and offsets they were made from.
 */
#include <stdio.h>
#include <string.h>
#include "../lib/dump.h"
#include "fuzz.h"

#define FUZZ_MAX_LEN 4096

/* One line "OFFSET  hh hh ... |ascii|\n" back into bytes; its length. */
static size_t
read_line(const char *l, size_t len, unsigned long long *off,
    unsigned char *out)
{
	char *end;
	size_t n = 0, i;
	const char *p;

	*off = strtoull(l, &end, 16);
	FUZZ_CHECK(end - l >= 8 && end[0] == ' ' && end[1] == ' ');
	p = end + 2;
	for (i = 0; i < 16; i++) {
		unsigned v;

		if (p[0] == ' ' || p[0] == '|')
			break;
		FUZZ_CHECK(sscanf(p, "%2x", &v) == 1);
		out[n++] = (unsigned char)v;
		p += 3;
		if (i == 7)
			p++;		/* the gap between the halves */
	}
	FUZZ_CHECK(n > 0);
	p = memchr(l, '|', len);
	FUZZ_CHECK(p != NULL);
	for (i = 0; i < n; i++) {
		unsigned char c = out[i];

		FUZZ_CHECK(p[1 + i] == (c >= 0x20 && c < 0x7f ? (char)c : '.'));
	}
	FUZZ_CHECK(p[1 + n] == '|' && p[2 + n] == '\n');
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long long off = 0, at;
	unsigned char back[16];
	char head[DUMP_HEADER_MAX], label[ADDRPORT_LEN];
	char *out, *l, *nl;
	size_t len, i, got = 0, n;

	if (size < 9)
		return 0;
	memcpy(&off, data, 8);
	off >>= data[8] & 63;		/* small offsets too, and huge ones */
	data += 9;
	size -= 9;
	if ((out = malloc(DUMP_LINES_LEN(size) + 1)) == NULL)
		abort();
	len = dump_lines(out, off, data, size);
	FUZZ_CHECK(len <= DUMP_LINES_LEN(size));
	FUZZ_CHECK(size == 0 || (len > 0 && out[len - 1] == '\n'));
	out[len] = '\0';
	for (l = out; l < out + len; l = nl + 1) {
		nl = memchr(l, '\n', (size_t)(out + len - l));
		FUZZ_CHECK(nl != NULL);
		FUZZ_CHECK((size_t)(nl - l + 1) <= DUMP_LINE_MAX);
		n = read_line(l, (size_t)(nl - l + 1), &at, back);
		FUZZ_CHECK(at == off + got);
		FUZZ_CHECK(got + n <= size && memcmp(back, data + got, n) == 0);
		got += n;
	}
	FUZZ_CHECK(got == size);
	/* The header, with a label made of the input's first bytes. */
	n = size < sizeof(label) - 1 ? size : sizeof(label) - 1;
	for (i = 0; i < n; i++)
		label[i] = data[i] ? (char)data[i] : 'x';
	label[n] = '\0';
	len = dump_header(head, sizeof(head), off & 1 ? DUMP_IN : DUMP_OUT,
	    size, (long long)(off >> 1), label);
	FUZZ_CHECK(len < sizeof(head) && head[len] == '\0');
	FUZZ_CHECK(len > 0 && head[len - 1] == '\n');
	FUZZ_CHECK(head[0] == (off & 1 ? '<' : '>'));
	free(out);
	return 0;
}
