/*
 * fuzz_endpoint: endpoint_parse (lib/endpoint.c), the one parser of
 * HOST:PORT, [V6]:PORT, unix:PATH and unix:@NAME. What it accepts must be
 * well formed, and print (fmt_endpoint) as something that parses back to
 * the same endpoint; what it rejects has a reason.
 */
#include <stddef.h>
#include "../lib/endpoint.h"
#include "fuzz.h"

#define FUZZ_MAX_LEN 300

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct endpoint ep, again;
	char err[1024], text[NI_MAXHOST + 128];
	char *s = fuzz_str(data, size);

	if (endpoint_parse(s, "tcp", &ep, err, sizeof(err)) < 0) {
		FUZZ_CHECK_ERR(err, sizeof(err));
		FUZZ_CHECK(strncmp(err, "invalid target '", 16) == 0);
		free(s);
		return 0;
	}
	/* Embedded NULs end the string: only its C string was parsed. */
	FUZZ_CHECK(ep.kind == EP_INET || ep.kind == EP_UNIX);
	if (ep.kind == EP_INET) {
		FUZZ_CHECK(ep.port >= 0 && ep.port <= 65535);
		FUZZ_CHECK(ep.host[0] != '\0');
		FUZZ_CHECK(strchr(ep.host, '[') == NULL);
		FUZZ_CHECK(strchr(ep.host, ']') == NULL);
	} else {
		FUZZ_CHECK(ep.sun.sun_family == AF_UNIX);
		FUZZ_CHECK(ep.sunlen > offsetof(struct sockaddr_un, sun_path));
		FUZZ_CHECK(ep.sunlen <= sizeof(ep.sun));
	}
	fmt_endpoint(&ep, text, sizeof(text));
	/* A unix path may hold anything but NUL; it prints as it came. */
	if (endpoint_parse(text, "tcp", &again, err, sizeof(err)) == 0) {
		FUZZ_CHECK(again.kind == ep.kind);
		if (ep.kind == EP_INET) {
			FUZZ_CHECK(strcmp(again.host, ep.host) == 0);
			FUZZ_CHECK(again.port == ep.port);
		} else {
			FUZZ_CHECK(again.sunlen == ep.sunlen);
			FUZZ_CHECK(memcmp(&again.sun, &ep.sun, ep.sunlen) == 0);
		}
	} else {
		FUZZ_CHECK(0 && "a parsed endpoint printed as something else");
	}
	free(s);
	return 0;
}
