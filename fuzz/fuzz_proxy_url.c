/*
 * fuzz_proxy_url: PROXY URLs (parse_proxy, lib/proxy.c), the first byte
 * picking -X's protocol hint. What is accepted has a host of 1-255 bytes,
 * a port, fields that fit; what is not has a one-line reason.
 */
#include "../lib/proxy.h"
#include "fuzz.h"

#define FUZZ_MAX_LEN 1024

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy px;
	char *s, err[128];
	int hint;

	if (size == 0)
		return 0;
	hint = data[0] % (PROXY_HTTP + 1);
	s = fuzz_str(data + 1, size - 1);
	if (parse_proxy(s, hint, &px, err, sizeof(err)) == 0) {
		FUZZ_CHECK(px.proto >= PROXY_SOCKS4 && px.proto <= PROXY_HTTP);
		FUZZ_CHECK(px.port >= 1 && px.port <= 65535);
		FUZZ_CHECK(px.host[0] != '\0');
		FUZZ_CHECK(strlen(px.host) <= PROXY_FIELD_MAX);
		FUZZ_CHECK(strlen(px.user) <= PROXY_FIELD_MAX);
		FUZZ_CHECK(strlen(px.pass) <= PROXY_FIELD_MAX);
		FUZZ_CHECK(px.has_pass || px.pass[0] == '\0');
		/* What a handshake will send as a name must be one. */
		FUZZ_CHECK(strchr(px.host, ':') == NULL ||
		    is_numeric_addr(px.host));
	} else {
		FUZZ_CHECK_ERR(err, sizeof(err));
	}
	(void)proxy_sendable(s);
	(void)parse_proxy_proto(s);
	free(s);
	return 0;
}
