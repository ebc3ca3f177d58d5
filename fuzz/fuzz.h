/*
 * fuzz.h: what the libFuzzer targets share. A target is fuzz/fuzz_NAME.c
 * with LLVMFuzzerTestOneInput and a FUZZ_MAX_LEN (fuzz/run reads it), its
 * seeds in fuzz/corpus/NAME/; a failed check is an abort, so libFuzzer
 * keeps the input.
 */
#ifndef SOCKBOX_FUZZ_H
#define SOCKBOX_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as the C string a parser sees: a copy, NUL-terminated. */
static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A property that must hold; the input is kept if it does not. */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #cond);					\
		abort();						\
	}								\
} while (0)

/*
 * An error reason: set and within its buffer. It may quote the input,
 * newlines and all: diag.c's vsay makes one line of it when it is said.
 */
#define FUZZ_CHECK_ERR(err, len) do {					\
	FUZZ_CHECK(memchr((err), '\0', (len)) != NULL);			\
	FUZZ_CHECK((err)[0] != '\0');					\
} while (0)

#endif
