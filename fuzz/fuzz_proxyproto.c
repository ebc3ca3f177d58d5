/*
 * fuzz_proxyproto: the PROXY protocol decoder (lib/proxyproto.c: pp_parse)
 * on any buffer, whole and cut short, and pp_build's headers read back.
 * A header is decided the same way however much of the buffer is seen,
 * and a prefix of a header is never taken for a different one.
 */
#include <string.h>
#include <netinet/in.h>
#include "../lib/proxyproto.h"
#include "fuzz.h"

#define FUZZ_MAX_LEN 600

/* Whether two results name the same addresses. */
static int
same(const struct pp_result *a, const struct pp_result *b)
{
	return a->version == b->version && a->has_addr == b->has_addr &&
	    (!a->has_addr || (memcmp(&a->src, &b->src, sizeof(a->src)) == 0 &&
	    memcmp(&a->dst, &b->dst, sizeof(a->dst)) == 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_result r, part, back;
	unsigned char *copy, hdr[PP_BUILD_MAX];
	size_t cut, n;
	int rc, prc;

	/* An exact-size copy: ASan sees any read past the end. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(copy, data, size);
	memset(&r, 0, sizeof(r));
	rc = pp_parse(copy, size, &r);
	FUZZ_CHECK(rc >= -1 && rc <= (int)size && rc <= PP_MAX_LEN);
	if (rc < 0)
		FUZZ_CHECK(r.why != NULL && r.why[0] != '\0');
	if (rc > 0) {
		FUZZ_CHECK(r.version == 1 || r.version == 2);
		if (r.has_addr) {
			FUZZ_CHECK(r.src.ss_family == AF_INET ||
			    r.src.ss_family == AF_INET6);
			FUZZ_CHECK(r.dst.ss_family == r.src.ss_family);
			/* What it read, built again, reads back the same. */
			n = pp_build(hdr, sizeof(hdr), r.version,
			    (struct sockaddr *)&r.src,
			    (struct sockaddr *)&r.dst);
			FUZZ_CHECK(n > 0 && n <= sizeof(hdr));
			memset(&back, 0, sizeof(back));
			FUZZ_CHECK(pp_parse(hdr, n, &back) == (int)n);
			FUZZ_CHECK(same(&r, &back) || r.src.ss_family !=
			    back.src.ss_family);
		}
	}
	/* Any shorter view: incomplete, or the same verdict. */
	cut = size ? data[0] % (size + 1) : 0;
	memset(&part, 0, sizeof(part));
	prc = pp_parse(copy, cut, &part);
	if (rc > 0 && (size_t)rc <= cut)
		FUZZ_CHECK(prc == rc && same(&r, &part));
	else if (rc > 0)
		FUZZ_CHECK(prc == 0);
	else if (rc == 0)
		FUZZ_CHECK(prc == 0);
	else
		FUZZ_CHECK(prc == 0 || prc == -1);
	free(copy);
	return 0;
}
