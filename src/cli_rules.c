/*
 * hcwatch rules: what an operator needs to write templates. The rules, the
 * [alerts] keys each reads, its kinds of alert, and every name a template
 * of a kind can use, with where the running template comes from. With
 * --write-templates DIR, the built-in templates as files to start from.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "notify/templates.h"
#include "rules/rules.h"

static const char *
type_name(enum rule_fact_type t)
{
	switch (t) {
	case FACT_TEXT: return "outside text, escaped";
	case FACT_OWN: return "hcwatch's";
	case FACT_NUMBER: return "number";
	case FACT_MONEY: return "amount, with its currency";
	case FACT_FLAG: return "true or false";
	case FACT_CHOICE: return "one of";
	}
	return "";
}

/* One name a template can use: the tag, then what it stands for. */
static void __attribute__((format(printf, 2, 3))) name_line(const char *tag, const char *fmt, ...)
{
	va_list ap;

	printf("    %-28s ", tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void
print_kind(const struct rule_kind *k, const struct templates *t)
{
	char tag[160];

	printf("  kind %s\n", k->kind);
	printf("    zh: %s\n", templates_source(t, k->kind, CONFIG_LANG_ZH));
	printf("    en: %s\n", templates_source(t, k->kind, CONFIG_LANG_EN));
	name_line("{{#resolved}}", "the item tells that its alert ended");
	for (const char *const *s = k->stages; *s; s++) {
		snprintf(tag, sizeof(tag), "{{#stage_%s}}", *s);
		name_line(tag, "the item's stage is %s", *s);
	}
	for (const struct rule_fact *f = k->facts; f->name; f++) {
		snprintf(tag, sizeof(tag), "{{%s}}", f->name);
		name_line(tag, "%s (%s)", f->meaning, type_name(f->type));
		for (const char *const *v = f->values; f->type == FACT_CHOICE && *v; v++) {
			snprintf(tag, sizeof(tag), "{{#%s_%s}}", f->name, *v);
			name_line(tag, "%s is %s", f->name, *v);
		}
	}
}

static int
write_templates(const char *dir)
{
	char path[4096];
	int written = 0;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "hcwatch: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	/* All or nothing: an operator's edited template is never overwritten. */
	for (const struct rule_template *b = rule_templates; b->kind; b++) {
		snprintf(path, sizeof(path), "%s/%s.%s.mustache", dir, b->kind, b->language);
		if (access(path, F_OK) == 0) {
			fprintf(stderr, "hcwatch: %s exists; nothing written\n", path);
			return 1;
		}
	}
	for (const struct rule_template *b = rule_templates; b->kind; b++) {
		size_t len = strlen(b->text);
		int fd;

		snprintf(path, sizeof(path), "%s/%s.%s.mustache", dir, b->kind, b->language);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, b->text, len) != (ssize_t)len || close(fd) != 0) {
			fprintf(stderr, "hcwatch: %s: %s\n", path, strerror(errno));
			return 1;
		}
		written++;
	}
	printf("wrote %d built-in templates to %s; keep those you change, delete the others\n",
	    written, dir);
	return 0;
}

int
cmd_rules(const char *path, const char *write_dir)
{
	char err[CONFIG_ERR_LEN];
	struct config *cfg;
	struct templates *t;

	if (write_dir)
		return write_templates(write_dir);
	if ((cfg = config_load(path, err, sizeof(err))) != NULL) {
		t = cli_load_templates(cfg, path, err, sizeof(err));
		config_free(cfg);
	} else if (path == NULL) {
		/* No file, and the defaults alone are not a configuration: the built-in wording. */
		t = templates_load(NULL, err, sizeof(err));
	} else {
		cli_config_errors(err);
		return 1;
	}
	if (t == NULL) {
		fprintf(stderr, "hcwatch: %s\n", err);
		return 1;
	}
	for (size_t i = 0; rules[i]; i++) {
		printf("rule %s ([alerts]", rules[i]->name);
		for (const char *const *k = rules[i]->keys; *k; k++)
			printf(" %s", *k);
		printf(")\n");
		for (const struct rule_kind *k = rules[i]->kinds; k->kind; k++)
			print_kind(k, t);
	}
	printf("send-test's sample\n");
	print_kind(rules_kind("test"), t);
	templates_unref(t);
	return 0;
}
