#include "notify/templates.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "util/xalloc.h"

#define SUFFIX ".mustache"

static const char *const languages[] = { "zh", "en" }; /* by enum config_language */

struct entry {
	const struct rule_kind *kind;
	int language;
	char *text;
	char *source; /* the file, or "built in" */
	struct tmpl *tmpl;
};

struct templates {
	atomic_int refs;
	struct entry *e;
	size_t n;
};

bool
templates_name(const struct rule_kind *k, const char *name, struct template_name *out)
{
	const struct rule_fact *f;

	if (strcmp(name, "resolved") == 0) {
		*out = (struct template_name){ TEMPLATE_NAME_RESOLVED, NULL, NULL };
		return true;
	}
	if (strncmp(name, "stage_", 6) == 0) {
		for (const char *const *s = k->stages; *s; s++) {
			if (strcmp(*s, name + 6) == 0) {
				*out = (struct template_name){ TEMPLATE_NAME_STAGE, NULL, *s };
				return true;
			}
		}
	}
	if ((f = rules_fact(k, name)) != NULL) {
		*out = (struct template_name){ TEMPLATE_NAME_FACT, f, NULL };
		return true;
	}
	/* <fact>_<value>: the longest fact name that leaves a value of its own. */
	for (f = k->facts; f->name; f++) {
		size_t len = strlen(f->name);

		if (f->type != FACT_CHOICE || strncmp(name, f->name, len) != 0 || name[len] != '_')
			continue;
		for (const char *const *v = f->values; *v; v++) {
			if (strcmp(*v, name + len + 1) == 0) {
				*out = (struct template_name){ TEMPLATE_NAME_CHOICE, f, *v };
				return true;
			}
		}
	}
	return false;
}

static bool
known(const char *name, void *arg)
{
	struct template_name ignored;

	return templates_name(arg, name, &ignored);
}

static void
add_kind(struct templates *t, const struct rule_kind *k)
{
	for (int lang = 0; lang < 2; lang++) {
		t->e = xrealloc(t->e, (t->n + 1) * sizeof(*t->e));
		t->e[t->n++] = (struct entry){ k, lang, NULL, NULL, NULL };
	}
}

static struct entry *
find(const struct templates *t, const char *kind, int language)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->e[i].language == language && strcmp(t->e[i].kind->kind, kind) == 0)
			return &t->e[i];
	}
	return NULL;
}

/* Reads text as the template of e, from source. */
static bool
set(struct entry *e, const char *text, size_t len, const char *source, char *err, size_t errlen)
{
	char perr[256];
	struct tmpl *p = tmpl_parse(text, len, known, (void *)e->kind, perr, sizeof(perr));

	if (p == NULL) {
		snprintf(err, errlen, "%s: %s", source, perr);
		return false;
	}
	tmpl_free(e->tmpl);
	free(e->text);
	free(e->source);
	e->tmpl = p;
	e->text = xmalloc(len + 1);
	memcpy(e->text, text, len);
	e->text[len] = '\0';
	e->source = xstrdup(source);
	return true;
}

/* The kind and language a file name says, or false if it says none. */
static bool
file_entry(struct templates *t, const char *name, struct entry **out)
{
	size_t len = strlen(name), slen = strlen(SUFFIX);
	char kind[128];

	if (len <= slen + 3 || strcmp(name + len - slen, SUFFIX) != 0 || len - slen >= sizeof(kind))
		return false;
	memcpy(kind, name, len - slen);
	kind[len - slen] = '\0';
	len -= slen;
	for (int lang = 0; lang < 2; lang++) {
		if (len > 3 && kind[len - 3] == '.' &&
		    strcmp(kind + len - 2, languages[lang]) == 0) {
			kind[len - 3] = '\0';
			*out = find(t, kind, lang);
			return *out != NULL;
		}
	}
	return false;
}

/* Reads path, a regular file of at most TMPL_MAX_BYTES, into a new string. */
static char *
read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *text;
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TMPL_MAX_BYTES) {
		snprintf(err, errlen, "%s: not a regular file of at most %d bytes", path,
		    TMPL_MAX_BYTES);
		close(fd);
		return NULL;
	}
	text = xmalloc((size_t)st.st_size + 1);
	n = read(fd, text, (size_t)st.st_size);
	close(fd);
	if (n != (ssize_t)st.st_size) {
		snprintf(err, errlen, "%s: cannot read it whole", path);
		free(text);
		return NULL;
	}
	text[n] = '\0';
	*len = (size_t)n;
	return text;
}

static bool
load_dir(struct templates *t, const char *dir, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool ok = true;

	if (d == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return false;
	}
	while (ok && (de = readdir(d)) != NULL) {
		char path[4096], *text;
		struct entry *e;
		size_t len = 0;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!file_entry(t, de->d_name, &e)) {
			snprintf(err, errlen,
			    "%s: not <kind>.<zh|en>.mustache of a kind of alert (hcwatch rules "
			    "lists them)",
			    path);
			ok = false;
		} else if ((text = read_file(path, &len, err, errlen)) == NULL) {
			ok = false;
		} else {
			ok = set(e, text, len, path, err, errlen);
			free(text);
		}
	}
	closedir(d);
	return ok;
}

struct templates *
templates_load(const char *dir, char *err, size_t errlen)
{
	struct templates *t = xcalloc(1, sizeof(*t));

	atomic_init(&t->refs, 1);
	for (size_t i = 0; rules[i]; i++) {
		for (const struct rule_kind *k = rules[i]->kinds; k->kind; k++)
			add_kind(t, k);
	}
	add_kind(t, rules_kind("test"));
	for (const struct rule_template *b = rule_templates; b->kind; b++) {
		int lang = strcmp(b->language, "en") == 0 ? CONFIG_LANG_EN : CONFIG_LANG_ZH;
		struct entry *e = find(t, b->kind, lang);
		char source[160];

		snprintf(source, sizeof(source), "built-in %s.%s%s", b->kind, b->language, SUFFIX);
		if (e == NULL) {
			snprintf(err, errlen, "%s: no rule has this kind", source);
			templates_unref(t);
			return NULL;
		}
		if (!set(e, b->text, strlen(b->text), "built in", err, errlen)) {
			templates_unref(t);
			return NULL;
		}
	}
	for (size_t i = 0; i < t->n; i++) {
		if (t->e[i].tmpl == NULL) {
			snprintf(err, errlen, "no built-in %s.%s%s", t->e[i].kind->kind,
			    languages[t->e[i].language], SUFFIX);
			templates_unref(t);
			return NULL;
		}
	}
	if (dir && *dir && !load_dir(t, dir, err, errlen)) {
		templates_unref(t);
		return NULL;
	}
	return t;
}

static struct templates *builtin;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void
load_builtin(void)
{
	char err[512];

	builtin = templates_load(NULL, err, sizeof(err));
	if (builtin == NULL) {
		/* The build checks every built-in template (test_templates); this is a bug. */
		fprintf(stderr, "hcwatch: the built-in templates: %s\n", err);
		abort();
	}
}

const struct templates *
templates_builtin(void)
{
	pthread_once(&builtin_once, load_builtin);
	return builtin;
}

struct templates *
templates_ref(struct templates *t)
{
	atomic_fetch_add(&t->refs, 1);
	return t;
}

void
templates_unref(struct templates *t)
{
	if (t == NULL || atomic_fetch_sub(&t->refs, 1) > 1)
		return;
	for (size_t i = 0; i < t->n; i++) {
		tmpl_free(t->e[i].tmpl);
		free(t->e[i].text);
		free(t->e[i].source);
	}
	free(t->e);
	free(t);
}

const struct tmpl *
templates_find(const struct templates *t, const char *kind, int language)
{
	const struct entry *e = find(t, kind, language);

	return e ? e->tmpl : NULL;
}

const char *
templates_source(const struct templates *t, const char *kind, int language)
{
	const struct entry *e = find(t, kind, language);

	return e ? e->source : NULL;
}

bool
templates_same(const struct templates *a, const struct templates *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->e[i].text, b->e[i].text) != 0)
			return false;
	}
	return true;
}
