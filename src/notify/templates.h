/*
 * The wording of every kind of alert, in Chinese and English: the
 * operator's templates from [alerts] templates where a file is given, the
 * rules' built-in ones (src/rules/<rule>/<kind>.<lang>.mustache) for the
 * rest. A set is read whole and checked before it is used, at start and on
 * every reload, so that a template with a mistake never reaches a message:
 * the reload that brings it fails and the running set stays.
 *
 * A set is shared by whoever renders (the notifier's workers, the
 * commands) and never changes once read: reference-counted, freed by its
 * last user.
 */
#ifndef HCWATCH_NOTIFY_TEMPLATES_H
#define HCWATCH_NOTIFY_TEMPLATES_H

#include <stdbool.h>
#include <stddef.h>

#include "rules/rules.h"
#include "util/template.h"

struct templates;

/**
 * Reads the built-in templates, then each <kind>.<zh|en>.mustache of dir
 * (NULL or "": none) in their place. NULL, with err naming the file and the
 * line, if any of them is not a template of its kind, or dir holds a file
 * that is not one.
 */
struct templates *templates_load(const char *dir, char *err, size_t errlen);
/** The built-in set alone, read once and kept for the life of the process. */
const struct templates *templates_builtin(void);
/** One more user of t. */
struct templates *templates_ref(struct templates *t);
/** One user fewer; the last frees t. t may be NULL. */
void templates_unref(struct templates *t);

/** The template of kind in language (enum config_language), or NULL for a kind no rule has. */
const struct tmpl *templates_find(const struct templates *t, const char *kind, int language);
/** Where the template of kind in language comes from: its file, or "built in". */
const char *templates_source(const struct templates *t, const char *kind, int language);
/** Whether a and b hold the same text for every kind and language. */
bool templates_same(const struct templates *a, const struct templates *b);

/* What a name in a template of kind k stands for. */
enum template_name_kind {
	TEMPLATE_NAME_RESOLVED, /* the item resolves its alert */
	TEMPLATE_NAME_STAGE,	/* stage_<value>: the item's stage is value */
	TEMPLATE_NAME_FACT,	/* a fact */
	TEMPLATE_NAME_CHOICE,	/* <fact>_<value>: the fact is value */
};

struct template_name {
	enum template_name_kind kind;
	const struct rule_fact *fact; /* FACT, CHOICE */
	const char *value;	      /* STAGE, CHOICE */
};

/** Whether name means something in a template of k, and what. */
bool templates_name(const struct rule_kind *k, const char *name, struct template_name *out);

#endif
