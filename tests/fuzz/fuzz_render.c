/*
 * The renderer with outside text in every fact a customer or a platform
 * controls: whatever the input, every channel's message holds the markup it
 * holds with a harmless value, and is valid UTF-8 (tests/fuzz/markup.h).
 * Input: the value, up to its first NUL and at most 2 KiB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "markup.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256], *x;
	size_t n = size < 2048 ? size : 2048;

	x = malloc(n + 1);
	memcpy(x, data, n);
	x[n] = '\0';
	if (!markup_kept_out(x, why, sizeof(why))) {
		fprintf(stderr, "outside text became markup: %s\n", why);
		abort();
	}
	free(x);
	return 0;
}
