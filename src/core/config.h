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

	/* [huawei] */
	char *hw_endpoint;
	char *hw_iam_endpoint;
	int hw_auth;		/* enum config_hw_auth */
	char *hw_access_key;
	char *hw_secret_key;
	char *hw_iam_user;
	char *hw_iam_password;
	char *hw_iam_domain;
	char *hw_domain_id;
	char *hw_ca_file;
	int hw_connect_timeout;
	int hw_timeout;
	int hw_max_response_size;
	int hw_rate_limit;
	char *hw_rate_limit_overrides;
	int hw_retry_max;
	int hw_retry_base_ms;
	int hw_retry_max_ms;

	/* [poller] */
	bool poll_enabled;
	int poll_customers_interval;
	int poll_balances_interval;
	int poll_resources_interval;
	int poll_partner_interval;
	int poll_resources_horizon_days;
	bool poll_resources_expired;
	bool poll_only_main_resource;
	int poll_resources_page_size;
	int poll_concurrency;
	int poll_leader_check;
};

enum config_hw_auth { CONFIG_HW_AUTH_AKSK, CONFIG_HW_AUTH_TOKEN };

/**
 * Loads defaults, then path (NULL: none), then the environment, and validates
 * the result. On failure returns NULL and names the key, the file and the line
 * (or the environment variable) in err.
 */
struct config *config_load(const char *path, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void config_free(struct config *cfg);
/** A deep copy, for a thread that must keep its settings across reloads. */
struct config *config_copy(const struct config *cfg);
/**
 * For every key that cannot change while running and differs in next, logs a
 * warning and puts cur's value back into next. Returns how many were kept.
 */
int config_keep_fixed(const struct config *cur, struct config *next);
/** Writes every key as "section.key = value"; secrets are masked. */
void config_dump(const struct config *cfg, FILE *out);
/** Copies conninfo into out with any password replaced by "****". */
void config_mask_conninfo(const char *conninfo, char *out, size_t outlen);
/** Whether the [huawei] credentials for the configured auth method are all set; err says which is missing. */
bool config_huawei_credentials(const struct config *cfg, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/** Splits "host:port", "[v6]:port" or ":port" (host "0.0.0.0"). */
bool config_split_hostport(const char *s, char *host, size_t hostlen, int *port)
	__attribute__((warn_unused_result));

#endif
