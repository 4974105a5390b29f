#include "util/words.h"

#include <string.h>

bool
words_next(const char **p, const char **word, size_t *len)
{
	const char *s = *p;

	s += strspn(s, " ,");
	*len = strcspn(s, " ,");
	*word = s;
	*p = s + *len;
	return *len > 0;
}

json_t *
words_json(const char *list)
{
	json_t *a = json_array();
	const char *p = list ? list : "", *w;
	size_t n;

	while (words_next(&p, &w, &n))
		json_array_append_new(a, json_stringn(w, n));
	return a;
}
