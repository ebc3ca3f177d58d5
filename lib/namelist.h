/*
 * namelist.h: reading a list of host names, one per line (resolve -f),
 * from any FILE, so that a fuzzer can feed it a buffer (fmemopen).
 */
#ifndef SOCKBOX_NAMELIST_H
#define SOCKBOX_NAMELIST_H

#include <stdio.h>

/* A list being read; zero-initialise, set in, call namelist_free at the end. */
struct namelist {
	FILE *in;
	char *line;		/* getline's buffer */
	size_t cap;
};

/*
 * The next name of nl: a line with white space trimmed; blank lines and
 * lines starting with '#' are skipped. 1 with *name pointing into nl's
 * buffer (until the next call) and *bad NULL, or why the name is not to
 * be looked up ("name contains a NUL byte", "invalid address": see
 * check_host); 0 at the end of the file; -1 on a read error (errno set,
 * and ferror(nl->in) true).
 */
int namelist_next(struct namelist *nl, char **name, const char **bad);
/* Free nl's buffer (not nl->in). */
void namelist_free(struct namelist *nl);

#endif
