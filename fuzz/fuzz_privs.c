/*
 * fuzz_privs: USER[:GROUP] (scan_privs, lib/server.c). A number is an id
 * as it is; a name must be one the system knows.
 */
#include <pwd.h>
#include "../lib/sockbox.h"
#include "fuzz.h"

#define FUZZ_MAX_LEN 300

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct privs p = { 0 };
	char *s = fuzz_str(data, size), *colon, err[1024];

	if (scan_privs(s, &p, err, sizeof(err)) == 0) {
		FUZZ_CHECK(p.user == s);
		colon = strchr(s, ':');
		if (*s >= '0' && *s <= '9')
			FUZZ_CHECK(strtoul(s, NULL, 10) == p.uid);
		else
			FUZZ_CHECK(getpwuid(p.uid) != NULL);
		if (colon && colon[1] >= '0' && colon[1] <= '9')
			FUZZ_CHECK(strtoul(colon + 1, NULL, 10) == p.gid);
	} else {
		FUZZ_CHECK_ERR(err, sizeof(err));
	}
	free(s);
	return 0;
}
