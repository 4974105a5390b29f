/*
 * Inside the configuration module only: every key in a table (config_keys.c),
 * what a value may be (config_check.c), reading a file (config.c), and what
 * is done with a loaded configuration (config_ops.c).
 */
#ifndef HCWATCH_CORE_CONFIG_KEYS_H
#define HCWATCH_CORE_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "util/buf.h"

enum cf_type { CF_STR, CF_INT, CF_BOOL, CF_ENUM };

struct cf_key {
	const char *section;
	const char *name;
	enum cf_type type;
	size_t offset;
	long min, max;
	const char *def;
	bool reloadable;
	bool secret;
	const char *const *choices; /* CF_ENUM: index is the stored value */
	bool (*validate)(const char *value, char *err, size_t errlen);
};

extern const struct cf_key cf_keys[];
extern const size_t cf_n_keys;
/* A [destination NAME] section's keys. */
extern const struct cf_key cf_dest_keys[];
extern const size_t cf_n_dest_keys;
/* A [manager NAME] section's keys. */
extern const struct cf_key cf_manager_keys[];
extern const size_t cf_n_manager_keys;

/* The validate functions of the tables: true, or false with why in err. */
bool cf_check_hostport(const char *value, char *err, size_t errlen);
bool cf_check_hostport_or_empty(const char *value, char *err, size_t errlen);
bool cf_check_path(const char *value, char *err, size_t errlen);
bool cf_check_signed_string(const char *value, char *err, size_t errlen);
bool cf_check_url_or_empty(const char *value, char *err, size_t errlen);
bool cf_check_url(const char *value, char *err, size_t errlen);
bool cf_check_rate_overrides(const char *value, char *err, size_t errlen);
bool cf_check_stages(const char *value, char *err, size_t errlen);
bool cf_check_stages_or_none(const char *value, char *err, size_t errlen);
bool cf_check_level_days(const char *value, char *err, size_t errlen);
bool cf_check_stages_by_service(const char *value, char *err, size_t errlen);
bool cf_check_amount(const char *value, char *err, size_t errlen);
bool cf_check_timezone(const char *value, char *err, size_t errlen);
bool cf_check_timezone_or_empty(const char *value, char *err, size_t errlen);
bool cf_check_quiet_hours(const char *value, char *err, size_t errlen);
bool cf_check_language_or_empty(const char *value, char *err, size_t errlen);
bool cf_check_name_list(const char *value, char *err, size_t errlen);
bool cf_check_url_or_smtp(const char *value, char *err, size_t errlen);
bool cf_check_public_url(const char *value, char *err, size_t errlen);
bool cf_check_link_keys(const char *value, char *err, size_t errlen);
bool cf_check_console_url(const char *value, char *err, size_t errlen);
bool cf_check_huawei_account(const char *value, char *err, size_t errlen);

/* A destination's or manager's name: 1 to 64 letters, digits, '-', '_' or '.'. */
bool cf_valid_name(const char *s, size_t n);

/* Sets the field k of base (a struct config, config_dest or config_manager) from value. */
bool cf_set_value(void *base, const struct cf_key *k, const char *value, char *err, size_t errlen);
/* The value of field k of base as the file would say it. */
void cf_format_value(const void *base, const struct cf_key *k, struct buf *out);

#endif
