/*
 * fuzz_port: port_number (lib/parse.c), parse_port without dying. The first byte picks the protocol;
 * a number is taken only if it is all digits and at most 65535, a name
 * only if services(5) has it.
 */
#include <errno.h>
#include "../lib/sockbox.h"
#include "fuzz.h"

#define FUZZ_MAX_LEN 40

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const protos[] = { NULL, "tcp", "udp" };
	const char *proto;
	char *s;
	unsigned long v;
	int port, digits;

	if (size == 0)
		return 0;
	proto = protos[data[0] % 3];
	s = fuzz_str(data + 1, size - 1);
	digits = *s && s[strspn(s, "0123456789")] == '\0';
	errno = 0;
	v = strtoul(s, NULL, 10);
	if ((port = port_number(s, proto)) >= 0) {
		FUZZ_CHECK(port <= 65535);
		if (digits)
			FUZZ_CHECK(errno == 0 && v == (unsigned long)port);
		else
			FUZZ_CHECK(getservbyname(s, proto) != NULL);
	} else {
		FUZZ_CHECK(port == -1);
		FUZZ_CHECK(!digits || errno == ERANGE || v > 65535);
	}
	free(s);
	return 0;
}
