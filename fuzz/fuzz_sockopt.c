/*
 * fuzz_sockopt: sockopt_parse and sockopt_check (lib/sockopt.c), the
 * --sockopt NAME[=VALUE] specs. Accepted: the option's bit is set and its
 * value within the kernel's range; refused: a reason, and so unchanged.
 */
#include <string.h>
#include "../lib/sockopt.h"
#include "fuzz.h"

#define FUZZ_MAX_LEN 64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockopts so, before;
	char err[1024];
	char *s = fuzz_str(data, size);
	int i;

	memset(&so, 0, sizeof(so));
	memset(&before, 0, sizeof(before));
	if (sockopt_parse(&so, s, err, sizeof(err)) < 0) {
		FUZZ_CHECK_ERR(err, sizeof(err));
		FUZZ_CHECK(memcmp(&so, &before, sizeof(so)) == 0);
	} else {
		/* One spec sets one option, its name's. */
		FUZZ_CHECK(so.set != 0 && (so.set & (so.set - 1)) == 0);
		FUZZ_CHECK(so.set <= SOCKOPT_LAST);
		FUZZ_CHECK(sockopt_name(so.set) != NULL);
		FUZZ_CHECK(strncmp(s, sockopt_name(so.set),
		    strlen(sockopt_name(so.set))) == 0);
		FUZZ_CHECK(so.tos >= 0 && so.tos <= 255);
		FUZZ_CHECK(so.ttl >= 0 && so.ttl <= 255);
		FUZZ_CHECK(so.rcvbuf >= 0 && so.sndbuf >= 0);
		FUZZ_CHECK(so.keepidle >= 0 && so.keepintvl >= 0 &&
		    so.keepcnt >= 0);
		FUZZ_CHECK(so.user_timeout >= 0 && so.linger >= 0);
		FUZZ_CHECK(memchr(so.device, '\0', sizeof(so.device)) != NULL);
		/* Whatever the socket, the check answers, with a reason. */
		for (i = 0; i < 4; i++) {
			err[0] = '\0';
			if (sockopt_check(&so, i & 1 ? SOCK_DGRAM : SOCK_STREAM,
			    i & 2 ? SOCKOPT_SERVER : SOCKOPT_CLIENT, err,
			    sizeof(err)) < 0)
				FUZZ_CHECK_ERR(err, sizeof(err));
		}
	}
	free(s);
	return 0;
}
