/*
 * fqdn: the fully qualified domain name of a host, by exactly the steps
 * of Python's socket.getfqdn(): gethostbyaddr of the name, then the first
 * of its official name and aliases that contains a dot.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "../lib/sockbox.h"

const char fqdn_usage[] =
"usage: fqdn [-s] [NAME]\n"
"Print the fully qualified domain name of NAME (default: this host):\n"
"the first of the names gethostbyaddr gives for it that has a dot,\n"
"else its official name; NAME unchanged if the lookup fails.\n"
"\n"
"  -s        strict: exit 1 unless the result has a dot\n";

/* What Python's str.strip() removes from an ASCII string. */
static int
is_py_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/*
 * Python's setipaddr() for gethostbyaddr: the broadcast names, an IPv4
 * or (without a scope) IPv6 literal, else the first getaddrinfo answer.
 */
static int
to_addr(const char *name, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct addrinfo hints = { 0 }, *res;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	if (strcmp(name, "255.255.255.255") == 0 ||
	    strcmp(name, "<broadcast>") == 0) {
		sin->sin_addr.s_addr = htonl(INADDR_BROADCAST);
		return 0;
	}
	if (inet_pton(AF_INET, name, &sin->sin_addr) == 1)
		return 0;
	sin6->sin6_family = AF_INET6;
	if (!strchr(name, '%') &&
	    inet_pton(AF_INET6, name, &sin6->sin6_addr) == 1)
		return 0;
	/* Python asks for a wildcard here, which fails on any dual host. */
	if (*name == '\0' || getaddrinfo(name, NULL, &hints, &res) != 0)
		return -1;
	if (res->ai_family != AF_INET && res->ai_family != AF_INET6) {
		freeaddrinfo(res);
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* The answer for name (already stripped), into out. */
static void
find_fqdn(const char *name, char *out, size_t len)
{
	struct sockaddr_storage ss;
	struct hostrec hr = { 0 };
	char **alias;

	snprintf(out, len, "%s", name);
	if (to_addr(name, &ss) < 0 ||
	    host_by_addr((struct sockaddr *)&ss, &hr) != 0)
		goto out;
	snprintf(out, len, "%s", hr.he.h_name);
	if (strchr(hr.he.h_name, '.'))
		goto out;
	for (alias = hr.he.h_aliases; *alias; alias++) {
		if (strchr(*alias, '.')) {
			snprintf(out, len, "%s", *alias);
			break;
		}
	}
out:
	free_hostrec(&hr);
}

int
fqdn_main(int argc, char **argv)
{
	char name[1025], result[1025], *s, *e;
	int ch, strict = 0;

	while ((ch = next_opt(argc, argv, "s", NULL, fqdn_usage)) != -1)
		strict = 1;
	need_operands(argc, argv, 0, 1);
	s = optind < argc ? argv[optind] : "";
	if (strlen(s) >= sizeof(name))
		die_usage("invalid host name '%.40s...'", s);
	while (is_py_space(*s))
		s++;
	snprintf(name, sizeof(name), "%s", s);
	for (e = name + strlen(name); e > name && is_py_space(e[-1]);)
		*--e = '\0';
	/* Python looks it up and gives it back; a typo is better told. */
	xcheck_host(name);
	if (*name == '\0' || strcmp(name, "0.0.0.0") == 0 ||
	    strcmp(name, "::") == 0) {
		if (gethostname(name, sizeof(name) - 1) < 0)
			die_errno(EXIT_FAIL, "gethostname");
		name[sizeof(name) - 1] = '\0';
	}
	find_fqdn(name, result, sizeof(result));
	if (strict && !strchr(result, '.'))
		die_msg(EXIT_FAIL, "%s: not a fully qualified name", result);
	puts(result);
	return EXIT_OK;		/* a failed stdout is reported at exit */
}
