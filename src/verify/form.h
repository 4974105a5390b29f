/*
 * HTML form bodies: application/x-www-form-urlencoded and multipart/form-data.
 *
 * Both parsers are strict (a bad percent escape or a broken multipart frame is
 * an error, not a guess) and keep every field in order, duplicates included,
 * so that the caller can refuse an ambiguous form. Values are byte strings:
 * they may contain NUL, so use value_len.
 */
#ifndef HCWATCH_VERIFY_FORM_H
#define HCWATCH_VERIFY_FORM_H

#include <stdbool.h>
#include <stddef.h>

#define FORM_ERR_LEN 160
#define FORM_MAX_FIELDS 64

struct form_field {
	char *name;
	char *value;
	size_t value_len;
};

struct form {
	struct form_field *fields;
	size_t n;
};

void form_init(struct form *f);
/** Frees every field; f may be NULL. */
void form_cleanup(struct form *f);
bool form_parse_urlencoded(struct form *f, const char *body, size_t len, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/** content_type is the whole header value; the boundary is read from it. */
bool form_parse_multipart(struct form *f, const char *content_type, const char *body, size_t len,
    char *err, size_t errlen) __attribute__((warn_unused_result));
/** The first field called name, or NULL (borrowed). */
const struct form_field *form_get(const struct form *f, const char *name);
size_t form_count(const struct form *f, const char *name);

/** Media type of a Content-Type value, lower-cased, without parameters. */
void form_media_type(const char *content_type, char *out, size_t outlen);
/** Percent-encodes per RFC 3986 (unreserved characters kept, upper-case hex). */
char *form_urlencode(const char *s, size_t len);

#endif
