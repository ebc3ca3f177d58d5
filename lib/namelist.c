/*
 * namelist.c: a list of host names, one per line, as resolve -f reads it.
 * No I/O of its own beyond getline, and it never exits.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "namelist.h"
#include "sockbox.h"

int
namelist_next(struct namelist *nl, char **name, const char **bad)
{
	char err[1024];
	char *s, *e;
	ssize_t len;

	for (;;) {
		if ((len = getline(&nl->line, &nl->cap, nl->in)) < 0)
			return ferror(nl->in) ? -1 : 0;
		/* A NUL would cut the name short: say so rather than guess. */
		*bad = memchr(nl->line, '\0', (size_t)len) ?
		    "name contains a NUL byte" : NULL;
		for (s = nl->line; isspace((unsigned char)*s); s++)
			continue;
		for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		if (*bad == NULL && check_host(s, err, sizeof(err)) < 0)
			*bad = "invalid address";
		*name = s;
		return 1;
	}
}

void
namelist_free(struct namelist *nl)
{
	free(nl->line);
	nl->line = NULL;
	nl->cap = 0;
}
