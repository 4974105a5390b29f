/* What is done with a loaded configuration: copy, compare, print. */
#include "core/config_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "util/buf.h"
#include "util/xalloc.h"

static void dump_named(const struct config *cfg, FILE *out);

static void
dup_strings(void *base, const struct cf_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (keys[i].type == CF_STR) {
			char **f = (char **)((char *)base + keys[i].offset);

			*f = xstrdup(*f);
		}
	}
}

struct config *
config_copy(const struct config *cfg)
{
	struct config *c = xmalloc(sizeof(*c));

	memcpy(c, cfg, sizeof(*c));
	dup_strings(c, cf_keys, cf_n_keys);
	c->dests = xcalloc(cfg->n_dests ? cfg->n_dests : 1, sizeof(*c->dests));
	for (size_t i = 0; i < cfg->n_dests; i++) {
		c->dests[i] = cfg->dests[i];
		dup_strings(&c->dests[i], cf_dest_keys, cf_n_dest_keys);
		c->dests[i].name = xstrdup(cfg->dests[i].name);
	}
	c->managers = xcalloc(cfg->n_managers ? cfg->n_managers : 1, sizeof(*c->managers));
	for (size_t i = 0; i < cfg->n_managers; i++) {
		c->managers[i] = cfg->managers[i];
		dup_strings(&c->managers[i], cf_manager_keys, cf_n_manager_keys);
		c->managers[i].name = xstrdup(cfg->managers[i].name);
	}
	c->source = cfg->source ? xstrdup(cfg->source) : NULL;
	return c;
}

void
cf_format_value(const void *base, const struct cf_key *k, struct buf *out)
{
	const char *field = (const char *)base + k->offset;

	switch (k->type) {
	case CF_STR: {
		const char *s = *(char *const *)field;

		if (k->secret && strcmp(k->section, "database") == 0) {
			char masked[1024];

			config_mask_conninfo(s, masked, sizeof(masked));
			buf_append_str(out, masked);
		} else if (k->secret && *s) {
			buf_append_str(out, "****");
		} else {
			buf_append_str(out, s);
		}
		break;
	}
	case CF_INT: buf_appendf(out, "%d", *(const int *)field); break;
	case CF_BOOL: buf_append_str(out, *(const bool *)field ? "true" : "false"); break;
	case CF_ENUM: buf_append_str(out, k->choices[*(const int *)field]); break;
	}
}

int
config_keep_fixed(const struct config *cur, struct config *next)
{
	int kept = 0;

	for (size_t i = 0; i < cf_n_keys; i++) {
		const struct cf_key *k = &cf_keys[i];
		struct buf a, b;

		if (k->reloadable)
			continue;
		buf_init(&a);
		buf_init(&b);
		cf_format_value(cur, k, &a);
		cf_format_value(next, k, &b);
		if (strcmp(a.data, b.data) != 0) {
			char msg[CONFIG_ERR_LEN / 2];

			log_warn(
			    "reload: [%s] %s cannot change while running; keeping the old value "
			    "until restart",
			    k->section, k->name);
			(void)cf_set_value(next, k, a.data, msg, sizeof(msg));
			/* The masked form of a secret is not its value: copy the string itself. */
			if (k->type == CF_STR) {
				char **dst = (char **)((char *)next + k->offset);

				free(*dst);
				*dst = xstrdup(*(char *const *)((const char *)cur + k->offset));
			}
			kept++;
		}
		buf_cleanup(&a);
		buf_cleanup(&b);
	}
	return kept;
}

void
config_dump(const struct config *cfg, FILE *out)
{
	const char *section = "";

	for (size_t i = 0; i < cf_n_keys; i++) {
		struct buf v;

		if (strcmp(section, cf_keys[i].section) != 0) {
			section = cf_keys[i].section;
			fprintf(out, "%s[%s]\n", i ? "\n" : "", section);
		}
		buf_init(&v);
		cf_format_value(cfg, &cf_keys[i], &v);
		fprintf(out, "%s = %s\n", cf_keys[i].name, v.data);
		buf_cleanup(&v);
	}
	dump_named(cfg, out);
}

static void
dump_section(const char *kind, const char *name, const void *base, const struct cf_key *keys,
    size_t n, FILE *out)
{
	fprintf(out, "\n[%s %s]\n", kind, name);
	for (size_t i = 0; i < n; i++) {
		struct buf v;

		buf_init(&v);
		cf_format_value(base, &keys[i], &v);
		fprintf(out, "%s = %s\n", keys[i].name, v.data);
		buf_cleanup(&v);
	}
}

static void
dump_named(const struct config *cfg, FILE *out)
{
	for (size_t i = 0; i < cfg->n_dests; i++)
		dump_section("destination", cfg->dests[i].name, &cfg->dests[i], cf_dest_keys,
		    cf_n_dest_keys, out);
	for (size_t i = 0; i < cfg->n_managers; i++)
		dump_section("manager", cfg->managers[i].name, &cfg->managers[i], cf_manager_keys,
		    cf_n_manager_keys, out);
}

/* Compares unmasked values: a changed secret is a change. */
static bool
same_strings(const void *a, const void *b, const struct cf_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *fa = (const char *)a + keys[i].offset,
			   *fb = (const char *)b + keys[i].offset;

		if (keys[i].type == CF_STR) {
			if (strcmp(*(char *const *)fa, *(char *const *)fb) != 0)
				return false;
		} else if (keys[i].type == CF_BOOL) {
			if (*(const bool *)fa != *(const bool *)fb)
				return false;
		} else if (*(const int *)fa != *(const int *)fb) {
			return false;
		}
	}
	return true;
}

bool
config_alerting_equal(const struct config *a, const struct config *b)
{
	if (!config_routes_equal(a, b))
		return false;
	for (size_t i = 0; i < cf_n_keys; i++) {
		const struct cf_key *k = &cf_keys[i];

		if ((strcmp(k->section, "alerts") == 0 || strcmp(k->section, "notifier") == 0 ||
			strcmp(k->section, "routing") == 0) &&
		    !same_strings(a, b, k, 1))
			return false;
	}
	return true;
}

bool
config_routes_equal(const struct config *a, const struct config *b)
{
	if (a->n_dests != b->n_dests || a->n_managers != b->n_managers)
		return false;
	for (size_t i = 0; i < a->n_dests; i++) {
		if (strcmp(a->dests[i].name, b->dests[i].name) != 0 ||
		    !same_strings(&a->dests[i], &b->dests[i], cf_dest_keys, cf_n_dest_keys))
			return false;
	}
	for (size_t i = 0; i < a->n_managers; i++) {
		if (strcmp(a->managers[i].name, b->managers[i].name) != 0 ||
		    !same_strings(&a->managers[i], &b->managers[i], cf_manager_keys,
			cf_n_manager_keys))
			return false;
	}
	return true;
}

void
config_mask_conninfo(const char *conninfo, char *out, size_t outlen)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	struct buf b;

	if (opts == NULL) {
		/* Unparseable: do not risk echoing a password. */
		snprintf(out, outlen, "(unparseable connection string)");
		return;
	}
	buf_init(&b);
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		buf_appendf(&b, "%s%s=", b.len ? " " : "", o->keyword);
		if (strcmp(o->keyword, "password") == 0)
			buf_append_str(&b, "****");
		else
			buf_append_str(&b, o->val);
	}
	snprintf(out, outlen, "%s", b.data ? b.data : "");
	buf_cleanup(&b);
	PQconninfoFree(opts);
}
