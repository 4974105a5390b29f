/*
 * What the commands share: reading the configuration and saying what is
 * wrong with it, opening the log, checking the migrations, loading the keys.
 */
#include "cli.h"

#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/config.h"
#include "core/log.h"
#include "notify/templates.h"
#include "store/migrate.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/utf8.h"
#include "verify/keys.h"

static const char *config_dir(const char *path, char *out, size_t outlen);

static const char *
config_dir(const char *path, char *out, size_t outlen)
{
	char tmp[4096];

	if (path == NULL)
		return NULL;
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(out, outlen, "%s", dirname(tmp));
	return out;
}

struct keyring *
cli_load_keys(const struct config *cfg, const char *path, char *err, size_t errlen)
{
	char dir[4096];

	if (!cfg->bind_enabled)
		return NULL;
	return keyring_load(cfg->bind_certificates, config_dir(path, dir, sizeof(dir)), err,
	    errlen);
}

struct templates *
cli_load_templates(const struct config *cfg, const char *path, char *err, size_t errlen)
{
	char dir[4096], full[8192], why[CONFIG_ERR_LEN];
	const char *t = cfg->al_templates;
	struct templates *set;

	if (t[0] && t[0] != '/' && config_dir(path, dir, sizeof(dir))) {
		snprintf(full, sizeof(full), "%s/%s", dir, t);
		t = full;
	}
	set = templates_load(t, why, sizeof(why));
	if (set == NULL)
		snprintf(err, errlen, "[alerts] templates: %s", why);
	return set;
}

void
cli_config_errors(const char *err)
{
	for (const char *p = err; *p;) {
		size_t n = strcspn(p, "\n");

		fprintf(stderr, "hcwatch: %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

bool
cli_setup_logging(const struct config *cfg)
{
	char err[CONFIG_ERR_LEN];

	if (!log_setup((enum log_level)cfg->log_level, (enum log_format)cfg->log_format,
		cfg->log_file, err, sizeof(err))) {
		log_error("[log] file: %s", err);
		return false;
	}
	return true;
}

/*
 * serve refuses to start on a database whose migrations are pending, unless
 * told to apply them. An unreachable database does not stop it: /readyz says
 * so until the database is there.
 */
bool
cli_check_migrations(const struct config *cfg)
{
	char err[STORE_ERR_LEN];
	struct store *st = store_open(cfg->database_url, cfg->connect_timeout, 0);
	struct migrate_status ms;
	bool ok = false;

	if (!store_ensure_connected(st, err, sizeof(err))) {
		log_warn("%s; starting anyway, /readyz answers 503 until it is reachable", err);
		ok = true;
		goto out;
	}
	if (!migrate_status(st, &ms, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	if (ms.unknown > 0)
		log_warn("the database has %d migration(s) newer than this hcwatch; is an older "
			 "binary running against a newer schema?",
		    ms.unknown);
	if (ms.pending > 0 && !cfg->auto_migrate) {
		log_error("%d database migration(s) pending, first %04d: run `hcwatch migrate`, or "
			  "set [database] auto_migrate = true",
		    ms.pending, ms.first_pending);
		goto out;
	}
	if (ms.pending > 0) {
		int applied;

		if (!migrate_apply(st, cfg->dashboard_roles, &applied, err, sizeof(err))) {
			log_error("auto_migrate: %s", err);
			goto out;
		}
	}
	ok = true;
out:
	store_close(st);
	return ok;
}

struct config *
cli_load(const char *path)
{
	char err[CONFIG_ERR_LEN];
	struct config *cfg = config_load(path, err, sizeof(err));

	if (cfg == NULL) {
		cli_config_errors(err);
		return NULL;
	}
	if (!cli_setup_logging(cfg) || !cli_check_migrations(cfg)) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* The lists' values are text (the queries cast them); "-" when absent. */
static const char *
cell(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "-";
}

/*
 * A table row: each value a cell of its column's width in terminal columns,
 * cut without breaking a character (Chinese names are two columns a
 * character), the last one whole. Values from the database are outside
 * text: utf8_cell keeps control characters off the terminal.
 */
static void
print_row(const struct cli_column *cols, size_t n, const json_t *row)
{
	struct buf line;

	buf_init(&line);
	for (size_t i = 0; i < n; i++) {
		const char *v = row ? cell(row, cols[i].key) : cols[i].head;

		utf8_cell(&line, v, i + 1 < n ? cols[i].width : (int)strlen(v));
		if (i + 1 < n)
			buf_append_char(&line, ' ');
	}
	while (line.len > 0 && line.data[line.len - 1] == ' ')
		line.data[--line.len] = '\0';
	printf("%s\n", line.data ? line.data : "");
	buf_cleanup(&line);
}

void
cli_print_table(const char *json, const struct cli_column *cols, size_t ncols, int limit,
    const char *which, const char *what)
{
	json_t *a = json_loads(json, 0, NULL);
	size_t n = json_array_size(a);

	print_row(cols, ncols, NULL);
	if (n == 0)
		printf("(none)\n");
	for (size_t i = 0; i < n && (limit == 0 || i < (size_t)limit); i++)
		print_row(cols, ncols, json_array_get(a, i));
	if (limit > 0 && n > (size_t)limit)
		printf("(the %s %d %s shown; more with --limit N)\n", which, limit, what);
	json_decref(a);
}
