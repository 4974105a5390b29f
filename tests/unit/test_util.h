/* Helpers shared by the unit tests: cmocka needs these includes in this order. */
#ifndef HCWATCH_TEST_UTIL_H
#define HCWATCH_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

/* Reads tests/fixtures/NAME; aborts the test when missing. Caller frees. */
static inline char *
read_fixture(const char *name)
{
	char path[1024];
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg("fixture %s missing", path);
	buf_init(&b);
	buf_append(&b, "", 0);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	fclose(fp);
	return buf_release(&b);
}

static inline char *
fixture_path(const char *name)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	return path;
}

#endif
