/*
 * tcpserve_targets.c: --forward's targets: gathered from the command
 * line, parsed (lib/endpoint.c) and resolved once at start-up.
 */
#include <stdlib.h>
#include "tcpserve.h"

/* One more --forward TARGET, parsed later (forward_setup). */
void
add_target(struct server *s, char *target)
{
	char **grown;

	if ((grown = realloc(s->fwd, (s->nfwd + 1) * sizeof(*grown))) == NULL)
		die_errno(EXIT_FAIL, "memory");
	s->fwd = grown;
	s->fwd[s->nfwd++] = target;
}

void
forward_setup(struct server *s)
{
	struct target *t;
	unsigned i;
	int err;

	if ((s->targets = calloc(s->nfwd, sizeof(*t))) == NULL)
		die_errno(EXIT_FAIL, "memory");
	/* Every target is checked before any is looked up. */
	for (i = 0; i < s->nfwd; i++) {
		t = &s->targets[i];
		xendpoint_parse(s->fwd[i], "tcp", &t->ep);
		fmt_endpoint(&t->ep, t->name, sizeof(t->name));
	}
	for (i = 0; i < s->nfwd; i++) {
		t = &s->targets[i];
		if (t->ep.kind == EP_INET && (err = resolve_host(t->ep.host,
		    t->ep.port, AF_UNSPEC, SOCK_STREAM, &t->res)))
			die_msg(EXIT_FAIL, "%s: %s", t->name, gai_msg(err));
	}
}

void
free_targets(struct server *s)
{
	unsigned i;

	for (i = 0; i < s->nfwd; i++)
		if (s->targets[i].res)
			freeaddrinfo(s->targets[i].res);
	free(s->targets);
	s->targets = NULL;
}

