/*
 * fuzz_names: the name-list reader of resolve -f (lib/namelist.c) on the
 * input as a file. Every name it returns is trimmed, not a comment, and
 * marked bad exactly when it holds a NUL or check_host rejects it.
 */
#include <ctype.h>
#include "../lib/namelist.h"
#include "../lib/sockbox.h"
#include "fuzz.h"

#define FUZZ_MAX_LEN 2048

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct namelist nl = { 0 };
	const char *bad;
	char *name, err[1024];
	size_t names = 0, lines = 0, i, n;
	int rc;

	if (size == 0)
		return 0;
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if ((nl.in = fmemopen((void *)data, size, "r")) == NULL)
		abort();
	while ((rc = namelist_next(&nl, &name, &bad)) == 1) {
		n = strlen(name);
		FUZZ_CHECK(n > 0 && name[0] != '#');
		FUZZ_CHECK(!isspace((unsigned char)name[0]));
		FUZZ_CHECK(!isspace((unsigned char)name[n - 1]));
		FUZZ_CHECK(strchr(name, '\n') == NULL);
		if (bad == NULL)
			FUZZ_CHECK(check_host(name, err, sizeof(err)) == 0);
		names++;
	}
	FUZZ_CHECK(rc == 0);
	/* One name a line at most; the last may lack its newline. */
	FUZZ_CHECK(names <= lines + 1);
	namelist_free(&nl);
	fclose(nl.in);
	return 0;
}
