#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n, const char *file, int line) __attribute__((noreturn));

static void
oom(size_t n, const char *file, int line)
{
	fprintf(stderr, "fatal: out of memory allocating %zu bytes at %s:%d\n", n, file, line);
	abort();
}

void *
xmalloc_at(size_t n, const char *file, int line)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n, file, line);
	return p;
}

void *
xcalloc_at(size_t nmemb, size_t size, const char *file, int line)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom(nmemb * size, file, line);
	return p;
}

void *
xrealloc_at(void *p, size_t n, const char *file, int line)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n, file, line);
	return q;
}

char *
xstrdup_at(const char *s, const char *file, int line)
{
	return xstrndup_at(s, strlen(s), file, line);
}

char *
xstrndup_at(const char *s, size_t n, const char *file, int line)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc_at(len + 1, file, line);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
