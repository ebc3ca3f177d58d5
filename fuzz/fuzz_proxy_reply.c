/*
 * fuzz_proxy_reply: the SOCKS4, SOCKS5 and HTTP CONNECT reply decoders
 * (lib/proxy_reply.c), fed as proxy_handshake feeds them: the first byte
 * picks the decoder, the second how the reply arrives in pieces (HTTP:
 * http_header_take, the header taken piece by piece). A decoder
 * must ask for more than it has and at most what the handshake's buffer
 * holds, and never read past what it was given (ASan sees that: every
 * piece is a heap copy of its own length).
 */
#include "../lib/proxy.h"
#include "fuzz.h"

#define FUZZ_MAX_LEN 600

/* proxy_handshake.c's SOCKS buffer. */
#define SOCKS_BUF (8 + 2 * (PROXY_FIELD_MAX + 1))

static int
decode(int kind, const unsigned char *b, size_t len, char *err, size_t n)
{
	switch (kind) {
	case 0:
		return socks4_reply(b, len, err, n);
	case 1:
	case 2:
		return socks5_method_reply(b, len, kind == 2, err, n);
	case 3:
		return socks5_auth_reply(b, len, err, n);
	default:
		return socks5_reply(b, len, err, n);
	}
}

/* The read loop of proxy_handshake's read_reply, on a buffer. */
static void
socks(int kind, unsigned step, const uint8_t *in, size_t size)
{
	unsigned char *b;
	char err[96];
	size_t len = 0, got;
	int need;

	for (;;) {
		if ((b = malloc(len ? len : 1)) == NULL)
			abort();
		memcpy(b, in, len);
		err[0] = '\0';
		need = decode(kind, b, len, err, sizeof(err));
		free(b);
		if (need <= 0)
			break;
		FUZZ_CHECK((size_t)need > len && need <= SOCKS_BUF);
		/* Short reads: at most step + 1 bytes at a time. */
		got = (size_t)need - len;
		if (step && got > step)
			got = step;
		if (len + got > size)
			return;		/* the proxy closed early */
		len += got;
	}
	if (need < 0) {
		FUZZ_CHECK(need == PROXY_REFUSED || need == PROXY_FAILED);
		FUZZ_CHECK_ERR(err, sizeof(err));
	}
}

/*
 * http_read's loop: pieces of at most step bytes (0: all at once) are
 * taken up to the header's blank line; it must stop where
 * http_header_end finds it in the whole.
 */
static void
http_pieces(unsigned step, const uint8_t *in, size_t size, size_t end)
{
	size_t len = 0, n, take;
	char *b;
	int done = 0;

	while (len < size && !done) {
		n = step && size - len > step ? step : size - len;
		if ((b = malloc(len + n)) == NULL)
			abort();
		memcpy(b, in, len + n);
		take = http_header_take(b, len, n, &done);
		free(b);
		FUZZ_CHECK(take >= 1 && take <= n);
		FUZZ_CHECK(done || take == n);
		len += take;
	}
	FUZZ_CHECK(done == (end != 0));
	FUZZ_CHECK(!done || len == end);
}

static void
http(unsigned step, const uint8_t *in, size_t size)
{
	char *b, err[256];
	size_t end;
	int rc;

	if (size > PROXY_HEADER_MAX)
		size = PROXY_HEADER_MAX;
	if ((b = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(b, in, size);
	end = http_header_end(b, size);
	FUZZ_CHECK(end <= size);
	if (end) {
		FUZZ_CHECK(b[end - 1] == '\n');
		FUZZ_CHECK(http_header_end(b, end) == end);
	}
	http_pieces(step, in, size, end);
	rc = http_reply(b, end ? end : size, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == PROXY_REFUSED || rc == PROXY_FAILED);
	if (rc < 0) {
		FUZZ_CHECK_ERR(err, sizeof(err));
	} else {
		FUZZ_CHECK(size >= 12 && memcmp(b, "HTTP/", 5) == 0 &&
		    b[9] == '2');
	}
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int kind;

	if (size < 2)
		return 0;
	kind = data[0] % 6;
	if (kind == 5)
		http(data[1] % 8, data + 2, size - 2);
	else
		socks(kind, data[1] % 8, data + 2, size - 2);
	return 0;
}
