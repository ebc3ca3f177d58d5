/*
 * startref: the start-up workload's limit reference, the bare libc call
 * each applet makes, meant to be linked statically against musl.
 * usage: startref serv NAME | host NAME | fqdn
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

int
main(int argc, char **argv)
{
	struct addrinfo hints, *ai;
	struct servent *se;
	char name[256];

	memset(&hints, 0, sizeof hints);
	if (argc == 3 && strcmp(argv[1], "serv") == 0) {
		if ((se = getservbyname(argv[2], "tcp")) == NULL)
			return 1;
		printf("%d\n", ntohs(se->s_port));
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "host") == 0) {
		if (getaddrinfo(argv[2], NULL, &hints, &ai) != 0)
			return 1;
		getnameinfo(ai->ai_addr, ai->ai_addrlen, name, sizeof name,
		    NULL, 0, NI_NUMERICHOST);
		printf("%s\n", name);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "fqdn") == 0) {
		hints.ai_flags = AI_CANONNAME;
		if (gethostname(name, sizeof name) == -1 ||
		    getaddrinfo(name, NULL, &hints, &ai) != 0)
			return 1;
		printf("%s\n", ai->ai_canonname);
		return 0;
	}
	fprintf(stderr, "usage: startref serv NAME | host NAME | fqdn\n");
	return 2;
}
