/*
 * main.c: the multi-call dispatcher. Picks an applet by the name it was run
 * as or by its first argument; --list, --help, --version, --install.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "../lib/sockbox.h"

#define APPLET(n, d) int n##_main(int, char **); extern const char n##_usage[];
#include "applets.h"
#undef APPLET

static const struct applet {
	const char *name, *desc, *usage;
	int (*main)(int, char **);
} applets[] = {
#define APPLET(n, d) { #n, d, n##_usage, n##_main },
#include "applets.h"
#undef APPLET
};

#define NAPPLETS (sizeof(applets) / sizeof(applets[0]))

/*
 * The C library, decided at compile time: glibc says so in <features.h>;
 * musl deliberately defines no macro, and it is the other libc sockbox is
 * built with on Linux (make static).
 */
#if defined(__GLIBC__)
#define SOCKBOX_LIBC "glibc"
#elif defined(__linux__)
#define SOCKBOX_LIBC "musl"
#else
#define SOCKBOX_LIBC "libc"
#endif

static const char sockbox_usage[] =
"usage: sockbox APPLET [ARGS...]   or   APPLET [ARGS...] through a link\n"
"       sockbox --list | --help | --version | --install [-s] DIR\n"
"\n"
"  --list      print the applet names, one per line\n"
"  --version   print the version and the C library it was built with\n"
"  --install   link every applet name in DIR to this binary\n"
"              (hard links; symbolic links with -s)\n"
"\n"
"applets:\n";

static const struct applet *
find_applet(const char *name)
{
	size_t i;

	for (i = 0; i < NAPPLETS; i++)
		if (strcmp(applets[i].name, name) == 0)
			return &applets[i];
	return NULL;
}

static void
print_help(FILE *f)
{
	size_t i;

	fputs(sockbox_usage, f);
	for (i = 0; i < NAPPLETS; i++)
		fprintf(f, "  %-11s %s\n", applets[i].name, applets[i].desc);
}

/* Whether path names the same file as our own binary. */
static int
is_self(const char *path, const struct stat *self)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_dev == self->st_dev &&
	    st.st_ino == self->st_ino;
}

/*
 * Link each applet name in dir to exe. A file already there is replaced
 * only if it already leads to sockbox; every failure is reported and the
 * others are still made.
 */
static int
install_links(const char *dir, int sym)
{
	char exe[PATH_MAX], path[PATH_MAX];
	struct stat self;
	ssize_t n;
	size_t i;
	int rc = EXIT_OK;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) < 0)
		die_errno(EXIT_FAIL, "cannot find own binary");
	exe[n] = '\0';
	if (stat(exe, &self) < 0)
		die_errno(EXIT_FAIL, "%s", exe);
	for (i = 0; i < NAPPLETS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, applets[i].name);
		if (is_self(path, &self) && unlink(path) < 0) {
			warn_errno("%s", path);
			rc = EXIT_FAIL;
			continue;
		}
		if ((sym ? symlink(exe, path) : link(exe, path)) < 0) {
			warn_errno("%s", path);
			rc = EXIT_FAIL;
		}
	}
	return rc;
}

static int
sockbox_main(int argc, char **argv)
{
	const char *opt = argv[1];
	size_t i;

	if (argc < 2) {
		print_help(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
		print_help(stdout);
	} else if (strcmp(opt, "--list") == 0) {
		for (i = 0; i < NAPPLETS; i++)
			puts(applets[i].name);
	} else if (strcmp(opt, "--version") == 0) {
		puts("sockbox " SOCKBOX_VERSION " (" SOCKBOX_LIBC ")");
	} else if (strcmp(opt, "--install") == 0) {
		int sym = argc > 2 && strcmp(argv[2], "-s") == 0;

		if (argc != 3 + sym)
			die_usage("usage: sockbox --install [-s] DIR");
		return install_links(argv[2 + sym], sym);
	} else if (*opt == '-') {
		die_usage("unknown option '%s' (see 'sockbox --help')", opt);
	} else {
		return -1;	/* an applet name: the caller dispatches */
	}
	return EXIT_OK;		/* check_stdout_at_exit sees to stdout */
}

int
main(int argc, char **argv)
{
	const struct applet *a;
	const char *name;
	int rc;

	check_stdout_at_exit();
	name = strrchr(argv[0], '/');
	name = name ? name + 1 : argv[0];
	/* Any name starting "sockbox" (sockbox-static too) is the multiplexer. */
	if (strncmp(name, "sockbox", 7) == 0) {
		if ((rc = sockbox_main(argc, argv)) >= 0)
			return rc;
		argc--;
		argv++;
		name = argv[0];
	}
	if ((a = find_applet(name)) == NULL) {
		prog = "sockbox";
		die_msg(EXIT_NOAPPLET, "unknown applet '%s'", name);
	}
	prog = a->name;
	argv[0] = (char *)a->name;
	open_stdfds();
	return a->main(argc, argv);
}
