/* Walking "a, b c": lists of names in the configuration. */
#ifndef HCWATCH_UTIL_WORDS_H
#define HCWATCH_UTIL_WORDS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/**
 * The next word of *p, separated by spaces or commas: *word and *len, and
 * *p moves past it. False at the end.
 */
bool words_next(const char **p, const char **word, size_t *len);

/** The words of list (NULL: none) as a new JSON array of strings. */
json_t *words_json(const char *list);

#endif
