/*
 * Configuration: an INI file described by one table of keys (config.c),
 * then HCWATCH_<SECTION>_<KEY> environment overrides, then validation.
 *
 * A loaded struct config is immutable. Reload builds a new one and swaps it in
 * on the main thread; keys that cannot change while running keep their old
 * value, with a warning.
 */
#ifndef HCWATCH_CORE_CONFIG_H
#define HCWATCH_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/log.h"

#define CONFIG_ERR_LEN 512

struct config {
	char *source;		/* file it came from, or NULL for defaults */

	/* [server] */
	char *listen;
	char *tls_listen;
	char *tls_cert_file;
	char *tls_key_file;
	int max_body_size;
	int max_header_size;
	int timeout;
	int shutdown_timeout;

	/* [database] */
	char *database_url;
	bool auto_migrate;
	int batch_max;
	int queue_max;
	int statement_timeout;
	int connect_timeout;

	/* [log] */
	int log_level;		/* enum log_level */
	int log_format;		/* enum log_format */
	char *log_file;

	/* [bind] */
	bool bind_enabled;
	char *bind_path;
	char *bind_certificates;
	char *bind_signed_string;
	char *bind_success_url;
};

/**
 * Loads defaults, then path (NULL: none), then the environment, and validates
 * the result. On failure returns NULL and names the key, the file and the line
 * (or the environment variable) in err.
 */
struct config *config_load(const char *path, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void config_free(struct config *cfg);
/**
 * For every key that cannot change while running and differs in next, logs a
 * warning and puts cur's value back into next. Returns how many were kept.
 */
int config_keep_fixed(const struct config *cur, struct config *next);
/** Writes every key as "section.key = value"; secrets are masked. */
void config_dump(const struct config *cfg, FILE *out);
/** Copies conninfo into out with any password replaced by "****". */
void config_mask_conninfo(const char *conninfo, char *out, size_t outlen);
/** Splits "host:port", "[v6]:port" or ":port" (host "0.0.0.0"). */
bool config_split_hostport(const char *s, char *host, size_t hostlen, int *port)
	__attribute__((warn_unused_result));

#endif
