/*
 * json.c: JSON strings as Python's json.dumps writes them, for the applets
 * that print one object per line (resolve -j, tcpconnect -z -j).
 */
#include <stdio.h>
#include <string.h>
#include "sockbox.h"

/* A JSON string, escaped; bytes that are not UTF-8 become U+FFFD. */
void
put_json(FILE *f, const char *s)
{
	static const char shorts[] = "\b\t\n\f\r";
	const unsigned char *p = (const unsigned char *)s;
	const char *e;
	unsigned char lo, hi;
	size_t n, i;

	putc('"', f);
	while (*p) {
		if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p++);
			continue;
		}
		if (*p < 0x20) {
			/* The short forms first, as Python's json does. */
			if ((e = strchr(shorts, *p)) != NULL)
				fprintf(f, "\\%c", "btnfr"[e - shorts]);
			else
				fprintf(f, "\\u%04x", *p);
			p++;
			continue;
		}
		if (*p < 0x80) {
			putc(*p++, f);
			continue;
		}
		/* The shortest-form ranges of RFC 3629, section 4. */
		n = *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
		lo = *p == 0xe0 ? 0xa0 : *p == 0xf0 ? 0x90 : 0x80;
		hi = *p == 0xed ? 0x9f : *p == 0xf4 ? 0x8f : 0xbf;
		if (*p < 0xc2 || *p > 0xf4 || p[1] < lo || p[1] > hi)
			n = 0;
		for (i = 2; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				n = 0;
		if (n == 0) {
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
	putc('"', f);
}
