/*
 * Templates: the small part of mustache that the wording of a message needs.
 *
 *   {{name}}              name's value, as the caller writes it (and escapes it)
 *   {{#name}}…{{/name}}   what is inside, when name is set
 *   {{^name}}…{{/name}}   what is inside, when name is not set
 *   {{! comment }}        nothing
 *
 * A line break in the text, and the spaces and tabs after it, are dropped:
 * a template is one line of a message, laid out over as many as it needs.
 *
 * There is no unescaped output ({{{name}}}, {{&name}}), no partial, no list,
 * no change of delimiters: a template that asks for one is refused when it
 * is read, with the line, as is a name the caller does not know. Reading is
 * the only place a template can be wrong; rendering cannot fail.
 */
#ifndef HCWATCH_UTIL_TEMPLATE_H
#define HCWATCH_UTIL_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* The longest template read, and the deepest nesting of sections. */
#define TMPL_MAX_BYTES (64 * 1024)
#define TMPL_MAX_DEPTH 8
#define TMPL_MAX_NAME 64

struct tmpl;

/** Whether name may be used (as a value or a section) in the template being read. */
typedef bool (*tmpl_known_fn)(const char *name, void *arg);

/**
 * Reads a template of len bytes; known says which names exist. NULL, with
 * err saying what and on which line, when the template is not one.
 */
struct tmpl *tmpl_parse(const char *text, size_t len, tmpl_known_fn known, void *arg, char *err,
    size_t errlen);
void tmpl_free(struct tmpl *t);

/** The values a template is rendered with. */
struct tmpl_values {
	/* Whether a section on name shows its text ({{#name}}), or its inverse does not. */
	bool (*set)(const char *name, void *arg);
	/* Appends name's value to out, escaped for where the text goes. */
	void (*write)(struct buf *out, const char *name, void *arg);
	void *arg;
};

/** Appends t rendered with v to out. */
void tmpl_render(const struct tmpl *t, const struct tmpl_values *v, struct buf *out);

#endif
