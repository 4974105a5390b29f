/* Every key of the configuration file: its section, type, range, default and check. */
#include "core/config_keys.h"

static const char *const level_choices[] = { "error", "warn", "info", "debug", NULL };
static const char *const format_choices[] = { "text", "json", NULL };
static const char *const auth_choices[] = { "aksk", "token", NULL };
static const char *const language_choices[] = { "zh", "en", NULL };
static const char *const channel_choices[] = { "wecom", "dingtalk", "feishu", "slack", "webhook",
	"email", NULL };
static const char *const smtp_tls_choices[] = { "starttls", "implicit", "none", NULL };
static const char *const customer_level_choices[] = { "V0", "V1", "V2", "V3", "V4", "V5", NULL };
static const char *const internal_choices[] = { "listen", "tls_listen", "both", "none", NULL };

#define OFF(f) offsetof(struct config, f)

/*
 * Every key, its type, range and default, one a line however long, so that a key is
 * one grep away. conf/hcwatch.conf.example mirrors this.
 */
/* clang-format off */
const struct cf_key cf_keys[] = {
	{ "server", "listen", CF_STR, OFF(listen), 0, 0, "127.0.0.1:8080", false, false, NULL, cf_check_hostport },
	{ "server", "tls_listen", CF_STR, OFF(tls_listen), 0, 0, "", false, false, NULL, cf_check_hostport_or_empty },
	{ "server", "tls_cert_file", CF_STR, OFF(tls_cert_file), 0, 0, "", false, false, NULL, NULL },
	{ "server", "tls_key_file", CF_STR, OFF(tls_key_file), 0, 0, "", false, false, NULL, NULL },
	{ "server", "max_body_size", CF_INT, OFF(max_body_size), 1024, 16 << 20, "65536", true, false, NULL, NULL },
	{ "server", "max_header_size", CF_INT, OFF(max_header_size), 1024, 1 << 20, "16384", true, false, NULL, NULL },
	{ "server", "timeout", CF_INT, OFF(timeout), 1, 3600, "30", true, false, NULL, NULL },
	{ "server", "request_timeout", CF_INT, OFF(request_timeout), 1, 3600, "60", true, false, NULL, NULL },
	{ "server", "shutdown_timeout", CF_INT, OFF(shutdown_timeout), 1, 3600, "30", true, false, NULL, NULL },
	{ "server", "metrics", CF_BOOL, OFF(metrics), 0, 1, "true", true, false, NULL, NULL },
	{ "server", "internal_endpoints", CF_ENUM, OFF(internal_on), 0, 0, "listen", true, false, internal_choices, NULL },

	{ "database", "url", CF_STR, OFF(database_url), 0, 0, "dbname=hcwatch", false, true, NULL, NULL },
	{ "database", "auto_migrate", CF_BOOL, OFF(auto_migrate), 0, 1, "false", false, false, NULL, NULL },
	{ "database", "dashboard_roles", CF_STR, OFF(dashboard_roles), 0, 0, "", false, false, NULL, NULL },
	{ "database", "batch_max", CF_INT, OFF(batch_max), 1, 10000, "512", false, false, NULL, NULL },
	{ "database", "queue_max", CF_INT, OFF(queue_max), 1, 1000000, "8192", false, false, NULL, NULL },
	{ "database", "statement_timeout", CF_INT, OFF(statement_timeout), 0, 3600000, "10000", false, false, NULL, NULL },
	{ "database", "connect_timeout", CF_INT, OFF(connect_timeout), 1, 600, "5", false, false, NULL, NULL },

	{ "log", "level", CF_ENUM, OFF(log_level), 0, 0, "info", true, false, level_choices, NULL },
	{ "log", "format", CF_ENUM, OFF(log_format), 0, 0, "text", true, false, format_choices, NULL },
	{ "log", "file", CF_STR, OFF(log_file), 0, 0, "", true, false, NULL, NULL },

	{ "bind", "enabled", CF_BOOL, OFF(bind_enabled), 0, 1, "true", false, false, NULL, NULL },
	{ "bind", "path", CF_STR, OFF(bind_path), 0, 0, "/huawei/bind", false, false, NULL, cf_check_path },
	{ "bind", "certificates", CF_STR, OFF(bind_certificates), 0, 0, "", true, false, NULL, NULL },
	{ "bind", "signed_string", CF_STR, OFF(bind_signed_string), 0, 0, "A", true, false, NULL, cf_check_signed_string },
	{ "bind", "success_url", CF_STR, OFF(bind_success_url), 0, 0, "", true, false, NULL, cf_check_url_or_empty },
	{ "bind", "rejected_per_minute", CF_INT, OFF(bind_rejected_per_minute), 0, 1000000, "30", true, false, NULL, NULL },
	{ "bind", "retention_days", CF_INT, OFF(bind_retention_days), 0, 36500, "400", true, false, NULL, NULL },
	{ "bind", "rejected_retention_days", CF_INT, OFF(bind_rejected_retention_days), 0, 36500, "30", true, false, NULL, NULL },

	/* The poller's threads read these without locks: none of them reloads. */
	{ "huawei", "endpoint", CF_STR, OFF(hw_endpoint), 0, 0, "https://bss.myhuaweicloud.com", false, false, NULL, cf_check_url },
	{ "huawei", "iam_endpoint", CF_STR, OFF(hw_iam_endpoint), 0, 0, "https://iam.myhuaweicloud.com", false, false, NULL, cf_check_url },
	{ "huawei", "auth", CF_ENUM, OFF(hw_auth), 0, 0, "aksk", false, false, auth_choices, NULL },
	{ "huawei", "access_key", CF_STR, OFF(hw_access_key), 0, 0, "", false, false, NULL, NULL },
	{ "huawei", "secret_key", CF_STR, OFF(hw_secret_key), 0, 0, "", false, true, NULL, NULL },
	{ "huawei", "iam_user", CF_STR, OFF(hw_iam_user), 0, 0, "", false, false, NULL, NULL },
	{ "huawei", "iam_password", CF_STR, OFF(hw_iam_password), 0, 0, "", false, true, NULL, NULL },
	{ "huawei", "iam_domain", CF_STR, OFF(hw_iam_domain), 0, 0, "", false, false, NULL, NULL },
	{ "huawei", "domain_id", CF_STR, OFF(hw_domain_id), 0, 0, "", false, false, NULL, NULL },
	{ "huawei", "ca_file", CF_STR, OFF(hw_ca_file), 0, 0, "", false, false, NULL, NULL },
	{ "huawei", "connect_timeout", CF_INT, OFF(hw_connect_timeout), 1, 600, "5", false, false, NULL, NULL },
	{ "huawei", "timeout", CF_INT, OFF(hw_timeout), 1, 3600, "30", false, false, NULL, NULL },
	{ "huawei", "max_response_size", CF_INT, OFF(hw_max_response_size), 1024, 1 << 30, "16777216", false, false, NULL, NULL },
	{ "huawei", "rate_limit", CF_INT, OFF(hw_rate_limit), 1, 100000, "10", false, false, NULL, NULL },
	{ "huawei", "rate_limit_overrides", CF_STR, OFF(hw_rate_limit_overrides), 0, 0, "", false, false, NULL, cf_check_rate_overrides },
	{ "huawei", "retry_max", CF_INT, OFF(hw_retry_max), 0, 100, "6", false, false, NULL, NULL },
	{ "huawei", "retry_base_ms", CF_INT, OFF(hw_retry_base_ms), 1, 600000, "1000", false, false, NULL, NULL },
	{ "huawei", "retry_max_ms", CF_INT, OFF(hw_retry_max_ms), 1, 3600000, "30000", false, false, NULL, NULL },

	{ "poller", "enabled", CF_BOOL, OFF(poll_enabled), 0, 1, "false", false, false, NULL, NULL },
	{ "poller", "customers_interval", CF_INT, OFF(poll_customers_interval), 1, 604800, "600", false, false, NULL, NULL },
	{ "poller", "balances_interval", CF_INT, OFF(poll_balances_interval), 1, 604800, "1800", false, false, NULL, NULL },
	{ "poller", "resources_interval", CF_INT, OFF(poll_resources_interval), 1, 604800, "3600", false, false, NULL, NULL },
	{ "poller", "partner_interval", CF_INT, OFF(poll_partner_interval), 1, 604800, "3600", false, false, NULL, NULL },
	{ "poller", "coupons", CF_BOOL, OFF(poll_coupons), 0, 1, "true", false, false, NULL, NULL },
	{ "poller", "coupons_interval", CF_INT, OFF(poll_coupons_interval), 1, 604800, "3600", false, false, NULL, NULL },
	{ "poller", "consumption", CF_BOOL, OFF(poll_consumption), 0, 1, "true", false, false, NULL, NULL },
	{ "poller", "consumption_interval", CF_INT, OFF(poll_consumption_interval), 1, 604800, "21600", false, false, NULL, NULL },
	{ "poller", "consumption_backfill_days", CF_INT, OFF(poll_consumption_backfill_days), 1, 540, "35", false, false, NULL, NULL },
	{ "poller", "renewals", CF_BOOL, OFF(poll_renewals), 0, 1, "true", false, false, NULL, NULL },
	{ "poller", "renewals_interval", CF_INT, OFF(poll_renewals_interval), 1, 604800, "3600", false, false, NULL, NULL },
	{ "poller", "renewal_period_months", CF_INT, OFF(poll_renewal_period_months), 1, 36, "1", false, false, NULL, NULL },
	{ "poller", "billing_timezone", CF_STR, OFF(poll_billing_timezone), 0, 0, "Asia/Shanghai", false, false, NULL, cf_check_timezone },
	{ "poller", "resources_horizon_days", CF_INT, OFF(poll_resources_horizon_days), 1, 3650, "60", false, false, NULL, NULL },
	{ "poller", "resources_expired", CF_BOOL, OFF(poll_resources_expired), 0, 1, "true", false, false, NULL, NULL },
	{ "poller", "only_main_resource", CF_BOOL, OFF(poll_only_main_resource), 0, 1, "true", false, false, NULL, NULL },
	{ "poller", "resources_page_size", CF_INT, OFF(poll_resources_page_size), 1, 500, "100", false, false, NULL, NULL },
	{ "poller", "concurrency", CF_INT, OFF(poll_concurrency), 1, 64, "4", false, false, NULL, NULL },
	{ "poller", "leader_check", CF_INT, OFF(poll_leader_check), 1, 3600, "5", false, false, NULL, NULL },

	/*
	 * [alerts], [notifier], [routing], destinations and managers reload:
	 * serve starts a new evaluator and notifier with them (main.c).
	 */
	{ "retention", "balance_snapshots_days", CF_INT, OFF(rt_balance_snapshots_days), 0, 36500, "14", true, false, NULL, NULL },
	{ "retention", "partner_snapshots_days", CF_INT, OFF(rt_partner_snapshots_days), 0, 36500, "30", true, false, NULL, NULL },
	{ "retention", "balance_days", CF_INT, OFF(rt_balance_days), 0, 36500, "730", true, false, NULL, NULL },
	{ "retention", "consumption_days", CF_INT, OFF(rt_consumption_days), 0, 36500, "550", true, false, NULL, NULL },
	{ "retention", "renewal_charges_days", CF_INT, OFF(rt_renewal_charges_days), 0, 36500, "400", true, false, NULL, NULL },
	{ "retention", "events_days", CF_INT, OFF(rt_events_days), 0, 36500, "365", true, false, NULL, NULL },
	{ "retention", "alerts_days", CF_INT, OFF(rt_alerts_days), 0, 36500, "180", true, false, NULL, NULL },
	{ "retention", "runs_days", CF_INT, OFF(rt_runs_days), 0, 36500, "90", true, false, NULL, NULL },
	{ "retention", "batch", CF_INT, OFF(rt_batch), 100, 100000, "5000", true, false, NULL, NULL },
	{ "alerts", "enabled", CF_BOOL, OFF(al_enabled), 0, 1, "true", true, false, NULL, NULL },
	{ "alerts", "evaluate_interval", CF_INT, OFF(al_evaluate_interval), 1, 86400, "300", true, false, NULL, NULL },
	{ "alerts", "timezone", CF_STR, OFF(al_timezone), 0, 0, "Asia/Shanghai", true, false, NULL, cf_check_timezone },
	{ "alerts", "language", CF_ENUM, OFF(al_language), 0, 0, "zh", true, false, language_choices, NULL },
	{ "alerts", "templates", CF_STR, OFF(al_templates), 0, 0, "", true, false, NULL, NULL },
	{ "alerts", "expiry_stages", CF_STR, OFF(al_expiry_stages), 0, 0, "30,15,7,3,1", true, false, NULL, cf_check_stages },
	{ "alerts", "expiry_stages_by_service", CF_STR, OFF(al_expiry_stages_by_service), 0, 0, "", true, false, NULL, cf_check_stages_by_service },
	{ "alerts", "expired", CF_BOOL, OFF(al_expired), 0, 1, "true", true, false, NULL, NULL },
	{ "alerts", "frozen", CF_BOOL, OFF(al_frozen), 0, 1, "true", true, false, NULL, NULL },
	{ "alerts", "auto_renew_notice", CF_BOOL, OFF(al_auto_renew_notice), 0, 1, "true", true, false, NULL, NULL },
	{ "alerts", "critical_days", CF_INT, OFF(al_critical_days), 0, 3650, "3", true, false, NULL, NULL },
	{ "alerts", "grace_days", CF_STR, OFF(al_grace_days), 0, 0, "V0:1, V1:1, V2:1, V3:7, V4:7, V5:7", true, false, NULL, cf_check_level_days },
	{ "alerts", "retention_days", CF_STR, OFF(al_retention_days), 0, 0, "V0:1, V1:7, V2:7, V3:7, V4:15, V5:15", true, false, NULL, cf_check_level_days },
	{ "alerts", "unknown_level", CF_ENUM, OFF(al_unknown_level), 0, 0, "V0", true, false, customer_level_choices, NULL },
	{ "alerts", "deletion_stages", CF_STR, OFF(al_deletion_stages), 0, 0, "3,1", true, false, NULL, cf_check_stages_or_none },
	{ "alerts", "spend_jump_factor", CF_STR, OFF(al_spend_jump_factor), 0, 0, "3", true, false, NULL, cf_check_amount },
	{ "alerts", "spend_jump_min", CF_STR, OFF(al_spend_jump_min), 0, 0, "1000", true, false, NULL, cf_check_amount },
	{ "alerts", "spend_jump_days", CF_INT, OFF(al_spend_jump_days), 0, 90, "14", true, false, NULL, NULL },
	{ "alerts", "renewal_stages", CF_STR, OFF(al_renewal_stages), 0, 0, "7,3,1", true, false, NULL, cf_check_stages },
	{ "alerts", "renewal_charge_days", CF_INT, OFF(al_renewal_charge_days), 2, 7, "7", true, false, NULL, NULL },
	{ "alerts", "renewal_window_days", CF_INT, OFF(al_renewal_window_days), 1, 60, "7", true, false, NULL, NULL },
	{ "alerts", "coupon_stages", CF_STR, OFF(al_coupon_stages), 0, 0, "30,7,1", true, false, NULL, cf_check_stages },
	{ "alerts", "coupon_reclaimed", CF_BOOL, OFF(al_coupon_reclaimed), 0, 1, "true", true, false, NULL, NULL },
	{ "alerts", "released", CF_BOOL, OFF(al_released), 0, 1, "true", true, false, NULL, NULL },
	{ "alerts", "low_balance_threshold", CF_STR, OFF(al_low_balance_threshold), 0, 0, "100", true, false, NULL, cf_check_amount },
	{ "alerts", "low_balance_margin", CF_STR, OFF(al_low_balance_margin), 0, 0, "20", true, false, NULL, cf_check_amount },
	{ "alerts", "arrears", CF_BOOL, OFF(al_arrears), 0, 1, "true", true, false, NULL, NULL },
	{ "alerts", "runway_days", CF_INT, OFF(al_runway_days), 0, 3650, "7", true, false, NULL, NULL },
	{ "alerts", "runway_window_days", CF_INT, OFF(al_runway_window_days), 1, 365, "7", true, false, NULL, NULL },
	{ "alerts", "runway_margin_days", CF_INT, OFF(al_runway_margin_days), 0, 3650, "2", true, false, NULL, NULL },
	{ "alerts", "partner_low_balance_threshold", CF_STR, OFF(al_partner_low_balance_threshold), 0, 0, "0", true, false, NULL, cf_check_amount },
	{ "alerts", "customer_notices", CF_BOOL, OFF(al_customer_notices), 0, 1, "true", true, false, NULL, NULL },
	{ "alerts", "credentials_rejected", CF_BOOL, OFF(al_credentials_rejected), 0, 1, "true", true, false, NULL, NULL },
	{ "alerts", "channel_failing", CF_BOOL, OFF(al_channel_failing), 0, 1, "true", true, false, NULL, NULL },
	{ "alerts", "dead_letters_threshold", CF_INT, OFF(al_dead_letters_threshold), 0, 1000000, "10", true, false, NULL, NULL },
	{ "alerts", "poller_behind_grace", CF_INT, OFF(al_poller_behind_grace), 0, 604800, "1800", true, false, NULL, NULL },
	{ "alerts", "clock_offset", CF_INT, OFF(al_clock_offset), -315360000, 315360000, "0", true, false, NULL, NULL },

	{ "notifier", "enabled", CF_BOOL, OFF(nt_enabled), 0, 1, "true", true, false, NULL, NULL },
	{ "notifier", "workers", CF_INT, OFF(nt_workers), 1, 64, "2", true, false, NULL, NULL },
	{ "notifier", "poll_interval_ms", CF_INT, OFF(nt_poll_interval_ms), 10, 60000, "1000", true, false, NULL, NULL },
	{ "notifier", "lease", CF_INT, OFF(nt_lease), 5, 86400, "120", true, false, NULL, NULL },
	{ "notifier", "retry_base_ms", CF_INT, OFF(nt_retry_base_ms), 1, 3600000, "30000", true, false, NULL, NULL },
	{ "notifier", "retry_max_ms", CF_INT, OFF(nt_retry_max_ms), 1, 86400000, "3600000", true, false, NULL, NULL },
	{ "notifier", "retry_for", CF_INT, OFF(nt_retry_for), 1, 2592000, "86400", true, false, NULL, NULL },
	{ "notifier", "connect_timeout", CF_INT, OFF(nt_connect_timeout), 1, 600, "5", true, false, NULL, NULL },
	{ "notifier", "timeout", CF_INT, OFF(nt_timeout), 1, 3600, "15", true, false, NULL, NULL },

	{ "web", "public_url", CF_STR, OFF(web_public_url), 0, 0, "", false, false, NULL, cf_check_public_url },
	{ "web", "keys", CF_STR, OFF(web_keys), 0, 0, "", false, true, NULL, cf_check_link_keys },
	{ "web", "link_days", CF_INT, OFF(web_link_days), 1, 365, "30", false, false, NULL, NULL },
	{ "web", "listen", CF_STR, OFF(web_listen), 0, 0, "", false, false, NULL, cf_check_hostport_or_empty },
	{ "web", "console_url", CF_STR, OFF(web_console_url), 0, 0, "", false, false, NULL, cf_check_console_url },
	{ "web", "readers", CF_INT, OFF(web_readers), 1, 16, "2", false, false, NULL, NULL },
	{ "web", "per_minute", CF_INT, OFF(web_per_minute), 1, 100000, "120", true, false, NULL, NULL },
	{ "web", "note_max", CF_INT, OFF(web_note_max), 1, 4000, "500", true, false, NULL, NULL },

	{ "routing", "default", CF_STR, OFF(rt_default), 0, 0, "", true, false, NULL, cf_check_name_list },
	{ "routing", "operator", CF_STR, OFF(rt_operator), 0, 0, "", true, false, NULL, cf_check_name_list },
};
/* clang-format on */

#define DOFF(f) offsetof(struct config_dest, f)

/* The keys of a [destination NAME] section. */
/* clang-format off */
const struct cf_key cf_dest_keys[] = {
	{ "destination", "type", CF_ENUM, DOFF(type), 0, 0, "webhook", false, false, channel_choices, NULL },
	{ "destination", "url", CF_STR, DOFF(url), 0, 0, "", false, true, NULL, cf_check_url_or_smtp },
	{ "destination", "secret", CF_STR, DOFF(secret), 0, 0, "", false, true, NULL, NULL },
	{ "destination", "mention_mobiles", CF_STR, DOFF(mention_mobiles), 0, 0, "", false, false, NULL, NULL },
	{ "destination", "rate_limit", CF_INT, DOFF(rate_limit), 0, 1000000, "0", false, false, NULL, NULL },
	{ "destination", "max_bytes", CF_INT, DOFF(max_bytes), 0, 1 << 24, "0", false, false, NULL, NULL },
	{ "destination", "max_parts", CF_INT, DOFF(max_parts), 1, 1000, "10", false, false, NULL, NULL },
	{ "destination", "quiet_hours", CF_STR, DOFF(quiet_hours), 0, 0, "", false, false, NULL, cf_check_quiet_hours },
	{ "destination", "timezone", CF_STR, DOFF(timezone), 0, 0, "", false, false, NULL, cf_check_timezone_or_empty },
	{ "destination", "language", CF_STR, DOFF(language), 0, 0, "", false, false, NULL, cf_check_language_or_empty },
	{ "destination", "digest", CF_BOOL, DOFF(digest), 0, 1, "true", false, false, NULL, NULL },
	{ "destination", "fallback", CF_STR, DOFF(fallback), 0, 0, "", false, false, NULL, NULL },
	{ "destination", "ca_file", CF_STR, DOFF(ca_file), 0, 0, "", false, false, NULL, NULL },
	{ "destination", "from", CF_STR, DOFF(mail_from), 0, 0, "", false, false, NULL, NULL },
	{ "destination", "to", CF_STR, DOFF(mail_to), 0, 0, "", false, false, NULL, NULL },
	{ "destination", "username", CF_STR, DOFF(username), 0, 0, "", false, false, NULL, NULL },
	{ "destination", "password", CF_STR, DOFF(password), 0, 0, "", false, true, NULL, NULL },
	{ "destination", "tls", CF_ENUM, DOFF(tls), 0, 0, "starttls", false, false, smtp_tls_choices, NULL },
};
/* clang-format on */

#define MOFF(f) offsetof(struct config_manager, f)

/* clang-format off */
const struct cf_key cf_manager_keys[] = {
	{ "manager", "name", CF_STR, MOFF(display_name), 0, 0, "", false, false, NULL, NULL },
	{ "manager", "destinations", CF_STR, MOFF(destinations), 0, 0, "", false, false, NULL, cf_check_name_list },
	{ "manager", "mobile", CF_STR, MOFF(mobile), 0, 0, "", false, false, NULL, NULL },
	{ "manager", "huawei_account", CF_STR, MOFF(huawei_account), 0, 0, "", false, false, NULL, cf_check_huawei_account },
};
/* clang-format on */

const size_t cf_n_keys = sizeof(cf_keys) / sizeof(cf_keys[0]);
const size_t cf_n_dest_keys = sizeof(cf_dest_keys) / sizeof(cf_dest_keys[0]);
const size_t cf_n_manager_keys = sizeof(cf_manager_keys) / sizeof(cf_manager_keys[0]);

const char *
config_channel_name(int type)
{
	return type >= 0 && type < CONFIG_CH_COUNT ? channel_choices[type] : "?";
}
