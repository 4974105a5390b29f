/* What the command files share with main.c. */
#ifndef HCWATCH_CLI_H
#define HCWATCH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/config.h"

/* Options that some commands take; NULL or 0 when not given. */
struct cli_opts {
	const char *now; /* --now: the rules' clock */
	const char *kind;
	const char *customer;
	const char *resource;
	const char *by;
	const char *note; /* --note / --comment */
	const char *for_; /* --for DURATION */
	const char *until;
	const char *dest;
	int limit;
	bool all;
	bool dead;
	bool full; /* alerts evaluate --full: every resource, not only changes */
	bool once;
	/* customers set: a value, or "none" */
	const char *manager, *threshold, *stages, *runway, *jump_factor, *jump_min;
};

struct keyring;
struct templates;

/** Prints config_load's errors, one per line, each saying it is hcwatch's. */
void cli_config_errors(const char *err);
/** Opens the configured log; false (after saying why) if it cannot. */
bool cli_setup_logging(const struct config *cfg);
/** Refuses to go on with migrations pending, unless auto_migrate applies them. */
bool cli_check_migrations(const struct config *cfg);

/** The signing keys of [bind] certificates, relative paths from the file's folder; NULL if off. */
struct keyring *cli_load_keys(const struct config *cfg, const char *path, char *err, size_t errlen);
/**
 * The wording: the built-in templates, with those of [alerts] templates (a
 * relative folder from the file's folder) in their place. NULL, with err,
 * if one of them is broken.
 */
struct templates *cli_load_templates(const struct config *cfg, const char *path, char *err,
    size_t errlen);
/** The configuration at path, logging set up and migrations checked; NULL after saying why. */
struct config *cli_load(const char *path);

struct store;
/**
 * Prints, a line each after prefix, how many customers each [manager]
 * receives under cfg and how many take the default route; if the database
 * cannot say, one line that says why.
 */
void cli_print_manager_counts(const struct config *cfg, struct store *s, const char *prefix);

/* A column of a table: its heading, the JSON key it shows, its width in terminal columns. */
struct cli_column {
	const char *head, *key;
	int width;
};
#define CLI_COLUMNS(c) (c), sizeof(c) / sizeof((c)[0])

/**
 * A JSON array of objects with text values as a table ("-" for a missing
 * value). Lists are fetched with one row more than limit (0: no limit),
 * which only says that more exist: "(the WHICH N WHAT shown; …)".
 */
void cli_print_table(const char *json, const struct cli_column *cols, size_t ncols, int limit,
    const char *which, const char *what);

/** The versions of hcwatch and of every library it was built with. */
void cli_print_versions(FILE *out);

int cmd_serve(const char *path);
int cmd_check_config(const char *path);
int cmd_migrate(const char *path);
int cmd_poll(const char *path, bool once, const char *job);
int cmd_alerts(const char *path, const struct cli_opts *o, int argc, char **argv);
int cmd_deliver(const char *path, const struct cli_opts *o);
int cmd_send_test(const char *path, const struct cli_opts *o);
int cmd_rules(const char *path, const char *write_dir);
int cmd_customers(const char *path, const struct cli_opts *o, int argc, char **argv);

#endif
