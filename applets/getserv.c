/*
 * getserv: map service names to port numbers and back, as Python's
 * getservbyname and getservbyport do (services(5) through the C library).
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "../lib/sockbox.h"

const char getserv_usage[] =
"usage: getserv [-l] [-p PROTO] SERVICE|PORT...\n"
"Print the port of each service name, or the service name of each port.\n"
"An operand may carry its protocol: domain/udp, 53/udp.\n"
"\n"
"  -l        print services(5) lines: NAME<TAB>PORT/PROTO ALIAS...\n"
"  -p PROTO  only this protocol (tcp, udp); default: any\n";

/* A protocol name the system knows; exit 2 for anything else. */
static const char *
check_proto(const char *p)
{
	if (strcmp(p, "tcp") != 0 && strcmp(p, "udp") != 0 &&
	    getprotobyname(p) == NULL)
		die_usage("invalid protocol '%s'", p);
	return p;
}

static void
print_entry(const struct servent *se, int lines, int by_port)
{
	char **alias;

	if (!lines) {
		if (by_port)
			puts(se->s_name);
		else
			printf("%d\n", ntohs((uint16_t)se->s_port));
		return;
	}
	printf("%s\t%d/%s", se->s_name, ntohs((uint16_t)se->s_port),
	    se->s_proto);
	/* musl lists the name itself among the aliases. */
	for (alias = se->s_aliases; *alias; alias++)
		if (strcmp(*alias, se->s_name) != 0)
			printf(" %s", *alias);
	putchar('\n');
}

/*
 * Look one operand up; 0 if found, -1 if not. Bad input exits 2, and
 * with dry_run set nothing else is done, so that every operand can be
 * checked before anything is printed.
 */
static int
lookup(const char *operand, const char *proto, int lines, int dry_run)
{
	char arg[256], *slash;
	struct servent *se;
	int by_port, port = 0;

	if (snprintf(arg, sizeof(arg), "%s", operand) >= (int)sizeof(arg))
		die_usage("invalid service name '%s'", operand);
	if ((slash = strchr(arg, '/')) != NULL) {
		*slash = '\0';
		if (proto && strcmp(proto, slash + 1) != 0)
			die_usage("'%s' conflicts with -p %s", operand, proto);
		proto = check_proto(slash + 1);
	}
	/* RFC 6335: a name may start with a digit ("9pfs"), not be all. */
	by_port = *arg != '\0' && arg[strspn(arg, "0123456789")] == '\0';
	if (by_port)
		port = (int)parse_uint(arg, 0, 65535, "port");
	else if (*arg == '\0')
		die_usage("invalid service name '%s'", operand);
	if (dry_run)
		return 0;
	if (by_port)
		se = getservbyport(htons((uint16_t)port), proto);
	else
		se = getservbyname(arg, proto);
	if (se == NULL) {
		warn_msg("%s%s%s: unknown service", arg, proto ? "/" : "",
		    proto ? proto : "");
		return -1;
	}
	print_entry(se, lines, by_port);
	return 0;
}

int
getserv_main(int argc, char **argv)
{
	const char *proto = NULL;
	int ch, i, lines = 0, rc = EXIT_OK;

	while ((ch = next_opt(argc, argv, "lp:", NULL, getserv_usage)) != -1) {
		switch (ch) {
		case 'l':
			lines = 1;
			break;
		case 'p':
			proto = check_proto(optarg);
			break;
		}
	}
	need_operands(argc, argv, 1, -1);
	for (i = optind; i < argc; i++)
		lookup(argv[i], proto, lines, 1);
	for (i = optind; i < argc; i++)
		if (lookup(argv[i], proto, lines, 0) < 0)
			rc = EXIT_FAIL;
	return rc;		/* a failed stdout is reported at exit */
}
