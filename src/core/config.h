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

#define CONFIG_ERR_LEN 4096

struct config {
	char *source; /* file it came from, or NULL for defaults */

	/* [server] */
	char *listen;
	char *tls_listen;
	char *tls_cert_file;
	char *tls_key_file;
	int max_body_size;
	bool metrics;	 /* serve /metrics */
	int internal_on; /* enum config_internal_on: where /metrics, /healthz, /readyz are */
	int max_header_size;
	int timeout;
	int request_timeout;
	int shutdown_timeout;

	/* [database] */
	char *database_url;
	bool auto_migrate;
	char *dashboard_roles; /* granted SELECT on the dashboard schema by migrate */
	int batch_max;
	int queue_max;
	int statement_timeout;
	int connect_timeout;

	/* [log] */
	int log_level;	/* enum log_level */
	int log_format; /* enum log_format */
	char *log_file;

	/* [bind] */
	bool bind_enabled;
	char *bind_path;
	char *bind_certificates;
	char *bind_signed_string;
	char *bind_success_url;
	int bind_rejected_per_minute; /* rejected requests recorded per address; 0: all */
	int bind_retention_days;      /* accepted and duplicate callback_events; 0: for ever */
	int bind_rejected_retention_days;

	/* [huawei] */
	char *hw_endpoint;
	char *hw_iam_endpoint;
	int hw_auth; /* enum config_hw_auth */
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
	bool poll_coupons;
	int poll_coupons_interval;
	bool poll_consumption;
	int poll_consumption_interval;
	int poll_consumption_backfill_days;
	char *poll_billing_timezone; /* the zone of Huawei's billing days */
	bool poll_renewals;
	int poll_renewals_interval;
	int poll_renewal_period_months; /* the period a renewal is priced for */
	int poll_resources_horizon_days;
	bool poll_resources_expired;
	bool poll_only_main_resource;
	int poll_resources_page_size;
	int poll_concurrency;
	int poll_leader_check;

	/* [alerts] */
	bool al_enabled;
	int al_evaluate_interval;
	char *al_timezone;
	int al_language;    /* enum config_language */
	char *al_templates; /* the operator's templates folder; "": the built-in wording */
	char *al_expiry_stages;
	char *al_expiry_stages_by_service;
	bool al_expired;
	bool al_frozen;
	bool al_auto_renew_notice;
	int al_critical_days;
	char *al_grace_days;	  /* "V0:1, …, V5:7": days by customer level */
	char *al_retention_days;  /* the same, after the grace period */
	int al_unknown_level;	  /* 0-5: the level of a customer Huawei gave none */
	char *al_deletion_stages; /* days before deletion; "" for none */
	bool al_released;
	char *al_coupon_stages; /* days before a coupon or a coupon quota expires */
	bool al_coupon_reclaimed;
	char *al_spend_jump_factor; /* a day above this times the median is a jump; 0: off */
	char *al_spend_jump_min;
	int al_spend_jump_days;
	char *al_renewal_stages;    /* days before an auto-renewal's first charge */
	int al_renewal_charge_days; /* Huawei charges this many days before expiry, at 03:00 */
	int al_renewal_window_days; /* the charges summed against the balance */
	char *al_low_balance_threshold;
	char *al_low_balance_margin;
	bool al_arrears;
	int al_runway_days;
	int al_runway_window_days;
	int al_runway_margin_days;
	char *al_partner_low_balance_threshold;
	bool al_customer_notices;
	bool al_credentials_rejected;
	bool al_channel_failing;
	int al_dead_letters_threshold;
	int al_poller_behind_grace;
	int al_clock_offset;

	/* [notifier] */
	bool nt_enabled;
	int nt_workers;
	int nt_poll_interval_ms;
	int nt_lease;
	int nt_retry_base_ms;
	int nt_retry_max_ms;
	int nt_retry_for;
	int nt_connect_timeout;
	int nt_timeout;

	/* [web] */
	char *web_public_url; /* "": no links, no pages */
	char *web_keys;	      /* the link-signing keys; the first signs */
	int web_link_days;
	char *web_listen; /* "": pages on the [server] listeners */
	char *web_console_url;
	int web_readers;
	int web_per_minute;
	int web_note_max;

	/* [retention]: days kept, 0 for ever */
	int rt_balance_snapshots_days;
	int rt_partner_snapshots_days;
	int rt_balance_days;
	int rt_consumption_days;
	int rt_renewal_charges_days;
	int rt_events_days;
	int rt_alerts_days;
	int rt_runs_days;
	int rt_batch;

	/* [routing] */
	char *rt_default;
	char *rt_operator;

	/* [destination NAME] and [manager NAME], in file order */
	struct config_dest *dests;
	size_t n_dests;
	struct config_manager *managers;
	size_t n_managers;
};

enum config_language { CONFIG_LANG_ZH, CONFIG_LANG_EN };

/** The Huawei APIs [huawei] rate_limit_overrides may name, as Huawei names them. */
#define CONFIG_HW_API_COUNT 11
extern const char *const config_hw_apis[CONFIG_HW_API_COUNT];
/**
 * Reads "Name=N, Name=N" into rates (indexed as config_hw_apis); an API it
 * does not name keeps its rate. False, with err, on an unknown name or a
 * number outside 1 to 100000.
 */
bool config_parse_rate_overrides(const char *s, int rates[CONFIG_HW_API_COUNT], char *err,
    size_t errlen) __attribute__((warn_unused_result));
enum config_internal_on {
	CONFIG_INTERNAL_LISTEN,
	CONFIG_INTERNAL_TLS_LISTEN,
	CONFIG_INTERNAL_BOTH,
	CONFIG_INTERNAL_NONE
};

enum config_channel {
	CONFIG_CH_WECOM,
	CONFIG_CH_DINGTALK,
	CONFIG_CH_FEISHU,
	CONFIG_CH_SLACK,
	CONFIG_CH_WEBHOOK,
	CONFIG_CH_EMAIL,
	CONFIG_CH_COUNT
};

enum config_smtp_tls { CONFIG_SMTP_STARTTLS, CONFIG_SMTP_IMPLICIT, CONFIG_SMTP_NONE };

/* Where messages go: one chat robot, webhook or mailbox. */
struct config_dest {
	char *name;
	int type;     /* enum config_channel */
	char *url;    /* the robot or webhook URL; email: smtp://host:587 or smtps://host:465 */
	char *secret; /* DingTalk/Feishu signing secret; webhook: whsec_… key(s) */
	char *mention_mobiles; /* DingTalk/WeCom: mobiles to @ in every message */
	int rate_limit;	       /* messages per minute; 0: the platform's default */
	int max_bytes;	       /* per message; 0: the platform's limit */
	int max_parts;
	char *quiet_hours; /* "22:00-08:00", or "" */
	char *timezone;	   /* "": [alerts] timezone */
	char *language;	   /* "", "zh" or "en" */
	bool digest;
	char *fallback; /* a destination for permanent failures, or "" */
	char *ca_file;
	/* email */
	char *mail_from;
	char *mail_to;
	char *username;
	char *password;
	int tls;       /* enum config_smtp_tls */
	unsigned seen; /* config.c: which keys the file gave */
};

/* An account manager: customer_settings.account_manager names one. */
struct config_manager {
	char *name;
	char *display_name;
	char *destinations;   /* comma-separated destination names */
	char *mobile;	      /* @-mentioned in DingTalk and WeCom messages */
	char *huawei_account; /* the Huawei account manager's login it stands for, or "" */
	unsigned seen;
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
/** Whether the [huawei] credentials for the configured auth method are all set; err says which is
 * missing. */
bool config_huawei_credentials(const struct config *cfg, char *err, size_t errlen)
    __attribute__((warn_unused_result));
#define CONFIG_MAX_STAGES 16

/** Parses an expiry_stages value into out[CONFIG_MAX_STAGES]; false if invalid. */
bool config_stages(const char *value, int *out, int *n);
/** Customer levels V0 to V5. */
#define CONFIG_LEVELS 6
/** "V0:1, V1:1, …, V5:7" into days[0..5], every level once; false when it is not that. */
bool config_level_days(const char *value, int days[CONFIG_LEVELS]);
/** Parses "HH:MM-HH:MM" into minutes after midnight; false if invalid. */
bool config_quiet_hours(const char *value, int *start_min, int *end_min);
/** The destination called name, or NULL. */
const struct config_dest *config_dest_find(const struct config *cfg, const char *name);
/** Whether the destinations, managers and routing of a and b are the same. */
bool config_routes_equal(const struct config *a, const struct config *b);
/** Whether [alerts], [notifier], [routing], destinations and managers are the same. */
bool config_alerting_equal(const struct config *a, const struct config *b);
const char *config_channel_name(int type);
/** Splits "host:port", "[v6]:port" or ":port" (host "0.0.0.0"). */
bool config_split_hostport(const char *s, char *host, size_t hostlen, int *port)
    __attribute__((warn_unused_result));

#endif
