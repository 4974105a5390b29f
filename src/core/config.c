#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>
#include <libpq-fe.h>

#include "util/buf.h"
#include "util/words.h"
#include "util/xalloc.h"

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

static bool check_hostport(const char *value, char *err, size_t errlen);
static bool check_hostport_or_empty(const char *value, char *err, size_t errlen);
static bool check_path(const char *value, char *err, size_t errlen);
static bool check_signed_string(const char *value, char *err, size_t errlen);
static bool check_url_or_empty(const char *value, char *err, size_t errlen);
static bool check_url(const char *value, char *err, size_t errlen);
static bool check_rate_overrides(const char *value, char *err, size_t errlen);
static bool check_stages(const char *value, char *err, size_t errlen);
static bool check_stages_by_service(const char *value, char *err, size_t errlen);
static bool check_amount(const char *value, char *err, size_t errlen);
static bool check_timezone(const char *value, char *err, size_t errlen);
static bool check_timezone_or_empty(const char *value, char *err, size_t errlen);
static bool check_quiet_hours(const char *value, char *err, size_t errlen);
static bool check_language_or_empty(const char *value, char *err, size_t errlen);
static bool check_name_list(const char *value, char *err, size_t errlen);
static bool check_url_or_smtp(const char *value, char *err, size_t errlen);

static const char *const level_choices[] = { "error", "warn", "info", "debug", NULL };
static const char *const format_choices[] = { "text", "json", NULL };
static const char *const auth_choices[] = { "aksk", "token", NULL };
static const char *const language_choices[] = { "zh", "en", NULL };
static const char *const channel_choices[] = { "wecom", "dingtalk", "feishu", "slack", "webhook",
	"email", NULL };
static const char *const smtp_tls_choices[] = { "starttls", "implicit", "none", NULL };
static const char *const internal_choices[] = { "listen", "tls_listen", "both", "none", NULL };

#define OFF(f) offsetof(struct config, f)

/*
 * Every key, its type, range and default, one a line however long, so that a key is
 * one grep away. conf/hcwatch.conf.example mirrors this.
 */
/* clang-format off */
static const struct cf_key cf_keys[] = {
	{ "server", "listen", CF_STR, OFF(listen), 0, 0, "127.0.0.1:8080", false, false, NULL, check_hostport },
	{ "server", "tls_listen", CF_STR, OFF(tls_listen), 0, 0, "", false, false, NULL, check_hostport_or_empty },
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
	{ "bind", "path", CF_STR, OFF(bind_path), 0, 0, "/huawei/bind", false, false, NULL, check_path },
	{ "bind", "certificates", CF_STR, OFF(bind_certificates), 0, 0, "", true, false, NULL, NULL },
	{ "bind", "signed_string", CF_STR, OFF(bind_signed_string), 0, 0, "A", true, false, NULL, check_signed_string },
	{ "bind", "success_url", CF_STR, OFF(bind_success_url), 0, 0, "", true, false, NULL, check_url_or_empty },
	{ "bind", "rejected_per_minute", CF_INT, OFF(bind_rejected_per_minute), 0, 1000000, "30", true, false, NULL, NULL },
	{ "bind", "retention_days", CF_INT, OFF(bind_retention_days), 0, 36500, "400", true, false, NULL, NULL },
	{ "bind", "rejected_retention_days", CF_INT, OFF(bind_rejected_retention_days), 0, 36500, "30", true, false, NULL, NULL },

	/* The poller's threads read these without locks: none of them reloads. */
	{ "huawei", "endpoint", CF_STR, OFF(hw_endpoint), 0, 0, "https://bss.myhuaweicloud.com", false, false, NULL, check_url },
	{ "huawei", "iam_endpoint", CF_STR, OFF(hw_iam_endpoint), 0, 0, "https://iam.myhuaweicloud.com", false, false, NULL, check_url },
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
	{ "huawei", "rate_limit_overrides", CF_STR, OFF(hw_rate_limit_overrides), 0, 0, "", false, false, NULL, check_rate_overrides },
	{ "huawei", "retry_max", CF_INT, OFF(hw_retry_max), 0, 100, "6", false, false, NULL, NULL },
	{ "huawei", "retry_base_ms", CF_INT, OFF(hw_retry_base_ms), 1, 600000, "1000", false, false, NULL, NULL },
	{ "huawei", "retry_max_ms", CF_INT, OFF(hw_retry_max_ms), 1, 3600000, "30000", false, false, NULL, NULL },

	{ "poller", "enabled", CF_BOOL, OFF(poll_enabled), 0, 1, "false", false, false, NULL, NULL },
	{ "poller", "customers_interval", CF_INT, OFF(poll_customers_interval), 1, 604800, "600", false, false, NULL, NULL },
	{ "poller", "balances_interval", CF_INT, OFF(poll_balances_interval), 1, 604800, "1800", false, false, NULL, NULL },
	{ "poller", "resources_interval", CF_INT, OFF(poll_resources_interval), 1, 604800, "3600", false, false, NULL, NULL },
	{ "poller", "partner_interval", CF_INT, OFF(poll_partner_interval), 1, 604800, "3600", false, false, NULL, NULL },
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
	{ "alerts", "enabled", CF_BOOL, OFF(al_enabled), 0, 1, "true", true, false, NULL, NULL },
	{ "alerts", "evaluate_interval", CF_INT, OFF(al_evaluate_interval), 1, 86400, "300", true, false, NULL, NULL },
	{ "alerts", "timezone", CF_STR, OFF(al_timezone), 0, 0, "Asia/Shanghai", true, false, NULL, check_timezone },
	{ "alerts", "language", CF_ENUM, OFF(al_language), 0, 0, "zh", true, false, language_choices, NULL },
	{ "alerts", "templates", CF_STR, OFF(al_templates), 0, 0, "", true, false, NULL, NULL },
	{ "alerts", "expiry_stages", CF_STR, OFF(al_expiry_stages), 0, 0, "30,15,7,3,1", true, false, NULL, check_stages },
	{ "alerts", "expiry_stages_by_service", CF_STR, OFF(al_expiry_stages_by_service), 0, 0, "", true, false, NULL, check_stages_by_service },
	{ "alerts", "expired", CF_BOOL, OFF(al_expired), 0, 1, "true", true, false, NULL, NULL },
	{ "alerts", "frozen", CF_BOOL, OFF(al_frozen), 0, 1, "true", true, false, NULL, NULL },
	{ "alerts", "auto_renew_notice", CF_BOOL, OFF(al_auto_renew_notice), 0, 1, "true", true, false, NULL, NULL },
	{ "alerts", "critical_days", CF_INT, OFF(al_critical_days), 0, 3650, "3", true, false, NULL, NULL },
	{ "alerts", "low_balance_threshold", CF_STR, OFF(al_low_balance_threshold), 0, 0, "100", true, false, NULL, check_amount },
	{ "alerts", "low_balance_margin", CF_STR, OFF(al_low_balance_margin), 0, 0, "20", true, false, NULL, check_amount },
	{ "alerts", "arrears", CF_BOOL, OFF(al_arrears), 0, 1, "true", true, false, NULL, NULL },
	{ "alerts", "runway_days", CF_INT, OFF(al_runway_days), 0, 3650, "7", true, false, NULL, NULL },
	{ "alerts", "runway_window_days", CF_INT, OFF(al_runway_window_days), 1, 365, "7", true, false, NULL, NULL },
	{ "alerts", "runway_margin_days", CF_INT, OFF(al_runway_margin_days), 0, 3650, "2", true, false, NULL, NULL },
	{ "alerts", "partner_low_balance_threshold", CF_STR, OFF(al_partner_low_balance_threshold), 0, 0, "0", true, false, NULL, check_amount },
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

	{ "routing", "default", CF_STR, OFF(rt_default), 0, 0, "", true, false, NULL, check_name_list },
	{ "routing", "operator", CF_STR, OFF(rt_operator), 0, 0, "", true, false, NULL, check_name_list },
};
/* clang-format on */

#define DOFF(f) offsetof(struct config_dest, f)

/* The keys of a [destination NAME] section. */
/* clang-format off */
static const struct cf_key dest_keys[] = {
	{ "destination", "type", CF_ENUM, DOFF(type), 0, 0, "webhook", false, false, channel_choices, NULL },
	{ "destination", "url", CF_STR, DOFF(url), 0, 0, "", false, true, NULL, check_url_or_smtp },
	{ "destination", "secret", CF_STR, DOFF(secret), 0, 0, "", false, true, NULL, NULL },
	{ "destination", "mention_mobiles", CF_STR, DOFF(mention_mobiles), 0, 0, "", false, false, NULL, NULL },
	{ "destination", "rate_limit", CF_INT, DOFF(rate_limit), 0, 1000000, "0", false, false, NULL, NULL },
	{ "destination", "max_bytes", CF_INT, DOFF(max_bytes), 0, 1 << 24, "0", false, false, NULL, NULL },
	{ "destination", "max_parts", CF_INT, DOFF(max_parts), 1, 1000, "10", false, false, NULL, NULL },
	{ "destination", "quiet_hours", CF_STR, DOFF(quiet_hours), 0, 0, "", false, false, NULL, check_quiet_hours },
	{ "destination", "timezone", CF_STR, DOFF(timezone), 0, 0, "", false, false, NULL, check_timezone_or_empty },
	{ "destination", "language", CF_STR, DOFF(language), 0, 0, "", false, false, NULL, check_language_or_empty },
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
static const struct cf_key manager_keys[] = {
	{ "manager", "name", CF_STR, MOFF(display_name), 0, 0, "", false, false, NULL, NULL },
	{ "manager", "destinations", CF_STR, MOFF(destinations), 0, 0, "", false, false, NULL, check_name_list },
	{ "manager", "mobile", CF_STR, MOFF(mobile), 0, 0, "", false, false, NULL, NULL },
};
/* clang-format on */

#define N_DEST_KEYS (sizeof(dest_keys) / sizeof(dest_keys[0]))
#define N_MANAGER_KEYS (sizeof(manager_keys) / sizeof(manager_keys[0]))

#define N_KEYS (sizeof(cf_keys) / sizeof(cf_keys[0]))

/* Every error found, one per line, so that a file is fixed in one go. */
struct errs {
	struct buf b;
	int n;
};

struct parse_state {
	struct config *cfg;
	FILE *fp;
	int line;
	bool seen[N_KEYS];
	struct errs *errs;
	char bad_section[128]; /* the unknown section told last, told once */
};

static const struct cf_key *find_key(const char *section, const char *name);
static bool set_value(void *base, const struct cf_key *k, const char *value, char *err,
    size_t errlen);
static char *reader(char *str, int num, void *stream);
static int handler(void *user, const char *section, const char *name, const char *value);
static void errs_add(struct errs *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void validate_all(const struct config *cfg, struct errs *e);
static void validate_routes(const struct config *cfg, struct errs *e);
static bool check_dest(const struct config *cfg, const struct config_dest *d, char *err,
    size_t errlen);
static void check_environment(const struct config *cfg, struct errs *e);
static void env_name(char *out, size_t outlen, const char *section, const char *sname,
    const char *key);
static void check_file(struct errs *e, const char *what, const char *path);
static void check_conninfo(struct errs *e, const char *conninfo);
static int distance(const char *a, const char *b);
static void dump_named(const struct config *cfg, FILE *out);
static void format_value(const void *base, const struct cf_key *k, struct buf *out);

bool
config_split_hostport(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon, *h = s;
	size_t hl;
	char *end;
	long p;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return false;
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return false;
		hl = (size_t)(colon - s);
	}
	if (hl == 0) {
		h = "0.0.0.0";
		hl = strlen(h);
	}
	if (hl >= hostlen)
		return false;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end != '\0' || p < 0 || p > 65535)
		return false;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)p;
	return true;
}

static bool
check_hostport(const char *value, char *err, size_t errlen)
{
	char host[256];
	int port;

	if (!config_split_hostport(value, host, sizeof(host), &port)) {
		snprintf(err, errlen, "expected host:port, [ipv6]:port or :port, got \"%s\"",
		    value);
		return false;
	}
	return true;
}

static bool
check_hostport_or_empty(const char *value, char *err, size_t errlen)
{
	return *value == '\0' || check_hostport(value, err, errlen);
}

static bool
check_path(const char *value, char *err, size_t errlen)
{
	if (value[0] != '/' || strpbrk(value, "?# \t") != NULL) {
		snprintf(err, errlen,
		    "expected an absolute URL path such as /huawei/bind, got \"%s\"", value);
		return false;
	}
	return true;
}

static bool
check_signed_string(const char *value, char *err, size_t errlen)
{
	bool seen[3] = { false, false, false };
	const char *p = value;
	int n = 0;

	/* A comma-separated list of rules from section 1.3 of the API notes, tried in order. */
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		if ((*p != 'A' && *p != 'B' && *p != 'C') || seen[*p - 'A'] ||
		    (p[1] != '\0' && p[1] != ',' && p[1] != ' ')) {
			snprintf(err, errlen,
			    "expected rules A, B or C separated by commas, each once, "
			    "got \"%s\"",
			    value);
			return false;
		}
		seen[*p - 'A'] = true;
		n++;
		p++;
	}
	if (n == 0) {
		snprintf(err, errlen, "at least one rule (A, B or C) is required");
		return false;
	}
	return true;
}

static bool
check_url_or_empty(const char *value, char *err, size_t errlen)
{
	if (*value == '\0' || strncmp(value, "https://", 8) == 0 ||
	    strncmp(value, "http://", 7) == 0) {
		if (strpbrk(value, " \t\r\n\"<>") == NULL)
			return true;
	}
	snprintf(err, errlen,
	    "expected an http:// or https:// URL without spaces or quotes, got \"%s\"", value);
	return false;
}

static bool
check_url(const char *value, char *err, size_t errlen)
{
	if (*value == '\0') {
		snprintf(err, errlen, "a URL is required");
		return false;
	}
	return check_url_or_empty(value, err, errlen);
}

/* Huawei's API names, in the order of hwc's enum hwc_api (hwc_quota.c asserts it). */
const char *const config_hw_apis[CONFIG_HW_API_COUNT] = {
	"ListSubCustomers",
	"ListCustomersBalancesDetail",
	"ListPayPerUseCustomerResources",
	"ListPartnerBalances",
	"KeystoneCreateUserTokenByPassword",
};

bool
config_parse_rate_overrides(const char *s, int rates[CONFIG_HW_API_COUNT], char *err, size_t errlen)
{
	const char *p = s ? s : "";

	while (*p) {
		char name[64];
		const char *eq, *end;
		size_t n;
		char *num_end;
		long v;
		int api;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		eq = strchr(p, '=');
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		if (eq == NULL || eq > end) {
			snprintf(err, errlen, "expected Name=calls-per-second, got \"%.*s\"",
			    (int)(end - p), p);
			return false;
		}
		n = (size_t)(eq - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, p, n);
		name[n] = '\0';
		api = -1;
		for (int i = 0; i < CONFIG_HW_API_COUNT; i++) {
			if (strcmp(config_hw_apis[i], name) == 0)
				api = i;
		}
		if (api < 0) {
			snprintf(err, errlen,
			    "unknown API \"%s\" (known: ListSubCustomers, "
			    "ListCustomersBalancesDetail, ListPayPerUseCustomerResources, "
			    "ListPartnerBalances, KeystoneCreateUserTokenByPassword)",
			    name);
			return false;
		}
		v = strtol(eq + 1, &num_end, 10);
		while (*num_end == ' ')
			num_end++;
		if (num_end == eq + 1 || num_end != end || v < 1 || v > 100000) {
			snprintf(err, errlen, "%s: expected calls per second from 1 to 100000",
			    name);
			return false;
		}
		rates[api] = (int)v;
		p = end;
	}
	return true;
}

static bool
check_rate_overrides(const char *value, char *err, size_t errlen)
{
	int rates[CONFIG_HW_API_COUNT];

	return config_parse_rate_overrides(value, rates, err, errlen);
}

static bool
check_url_or_smtp(const char *value, char *err, size_t errlen)
{
	if (strncmp(value, "smtp://", 7) == 0 || strncmp(value, "smtps://", 8) == 0) {
		if (strpbrk(value, " \t\r\n\"<>") == NULL)
			return true;
		snprintf(err, errlen, "expected a URL without spaces or quotes, got \"%s\"", value);
		return false;
	}
	return check_url_or_empty(value, err, errlen);
}

/* "30,15,7,3,1": days before expiry, each once; order does not matter. */
static bool
parse_stages(const char *value, int *out, int *n_out, char *err, size_t errlen)
{
	const char *p = value;
	int n = 0;

	while (*p) {
		char *end;
		long d;

		while (*p == ' ')
			p++;
		errno = 0;
		d = strtol(p, &end, 10);
		if (errno || end == p || d < 1 || d > 3650) {
			snprintf(err, errlen,
			    "expected days (1 to 3650) separated by commas, got \"%s\"", value);
			return false;
		}
		for (int i = 0; i < n; i++) {
			if (out[i] == d) {
				snprintf(err, errlen, "%ld is given twice in \"%s\"", d, value);
				return false;
			}
		}
		if (n == CONFIG_MAX_STAGES) {
			snprintf(err, errlen, "at most %d stages", CONFIG_MAX_STAGES);
			return false;
		}
		out[n++] = (int)d;
		p = end;
		while (*p == ' ')
			p++;
		if (*p == ',')
			p++;
		else if (*p != '\0') {
			snprintf(err, errlen, "expected days separated by commas, got \"%s\"",
			    value);
			return false;
		}
	}
	if (n == 0) {
		snprintf(err, errlen, "at least one stage is required");
		return false;
	}
	*n_out = n;
	return true;
}

static bool
check_stages(const char *value, char *err, size_t errlen)
{
	int st[CONFIG_MAX_STAGES], n;

	return parse_stages(value, st, &n, err, errlen);
}

bool
config_stages(const char *value, int *out, int *n)
{
	char err[128];

	return parse_stages(value, out, n, err, sizeof(err));
}

/* "hws.service.type.ebs: 14,7,1; hws.service.type.ec2: 30,7" */
static bool
check_stages_by_service(const char *value, char *err, size_t errlen)
{
	char *copy = xstrdup(value), *save = NULL;
	bool ok = true;

	for (char *item = strtok_r(copy, ";", &save); item && ok;
	     item = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(item, ':');
		int st[CONFIG_MAX_STAGES], n;

		while (*item == ' ')
			item++;
		if (*item == '\0')
			continue;
		if (colon == NULL || colon == item) {
			snprintf(err, errlen,
			    "expected \"service_type_code: days,days; …\", got \"%s\"", value);
			ok = false;
			break;
		}
		ok = parse_stages(colon + 1, st, &n, err, errlen);
	}
	free(copy);
	return ok;
}

/* A non-negative decimal amount, as PostgreSQL's numeric reads it. */
static bool
check_amount(const char *value, char *err, size_t errlen)
{
	const char *p = value;
	int digits = 0, dots = 0;

	for (; *p; p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (*p == '.' && dots == 0)
			dots++;
		else
			break;
	}
	if (*p != '\0' || digits == 0 || p - value > 30) {
		snprintf(err, errlen, "expected an amount such as 100 or 99.50, got \"%s\"", value);
		return false;
	}
	return true;
}

/* PostgreSQL on Debian reads the system's zone files: accept the names found there. */
static bool
check_timezone(const char *value, char *err, size_t errlen)
{
	char path[512];
	FILE *f;

	if (strcmp(value, "UTC") == 0)
		return true;
	if (*value == '\0' || value[0] == '/' || strstr(value, "..") != NULL ||
	    strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") !=
		strlen(value)) {
		snprintf(err, errlen, "expected a time zone name such as Asia/Shanghai, got \"%s\"",
		    value);
		return false;
	}
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", value);
	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "unknown time zone \"%s\" (not in /usr/share/zoneinfo)",
		    value);
		return false;
	}
	fclose(f);
	return true;
}

static bool
check_timezone_or_empty(const char *value, char *err, size_t errlen)
{
	return *value == '\0' || check_timezone(value, err, errlen);
}

bool
config_quiet_hours(const char *value, int *start_min, int *end_min)
{
	int h1, m1, h2, m2, used = 0;

	if (sscanf(value, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &used) != 4 ||
	    value[used] != '\0' || h1 < 0 || h1 > 23 || h2 < 0 || h2 > 23 || m1 < 0 || m1 > 59 ||
	    m2 < 0 || m2 > 59 || (h1 == h2 && m1 == m2))
		return false;
	*start_min = h1 * 60 + m1;
	*end_min = h2 * 60 + m2;
	return true;
}

static bool
check_quiet_hours(const char *value, char *err, size_t errlen)
{
	int a, b;

	if (*value == '\0' || config_quiet_hours(value, &a, &b))
		return true;
	snprintf(err, errlen, "expected HH:MM-HH:MM (local time, may cross midnight), got \"%s\"",
	    value);
	return false;
}

static bool
check_language_or_empty(const char *value, char *err, size_t errlen)
{
	if (*value == '\0' || strcmp(value, "zh") == 0 || strcmp(value, "en") == 0)
		return true;
	snprintf(err, errlen, "expected zh or en, got \"%s\"", value);
	return false;
}

static bool
valid_name(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	}
	return true;
}

static bool
check_name_list(const char *value, char *err, size_t errlen)
{
	const char *p = value, *w;
	size_t n;

	while (words_next(&p, &w, &n)) {
		if (!valid_name(w, n)) {
			snprintf(err, errlen,
			    "expected names (letters, digits, - _ .) separated by "
			    "commas, got \"%s\"",
			    value);
			return false;
		}
	}
	return true;
}

bool
config_huawei_credentials(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->hw_auth == CONFIG_HW_AUTH_AKSK) {
		if (!cfg->hw_access_key[0] || !cfg->hw_secret_key[0]) {
			snprintf(err, errlen,
			    "[huawei] access_key and secret_key are required with "
			    "auth = aksk");
			return false;
		}
	} else if (!cfg->hw_iam_user[0] || !cfg->hw_iam_password[0] || !cfg->hw_iam_domain[0]) {
		snprintf(err, errlen,
		    "[huawei] iam_user, iam_password and iam_domain are required "
		    "with auth = token");
		return false;
	}
	return true;
}

static const struct cf_key *
find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcmp(cf_keys[i].section, section) == 0 && strcmp(cf_keys[i].name, name) == 0)
			return &cf_keys[i];
	}
	return NULL;
}

static bool
set_value(void *base, const struct cf_key *k, const char *value, char *err, size_t errlen)
{
	char *field = (char *)base + k->offset;

	switch (k->type) {
	case CF_STR:
		if (k->validate && !k->validate(value, err, errlen))
			return false;
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return true;
	case CF_INT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || end == value || *end != '\0') {
			snprintf(err, errlen, "expected a whole number, got \"%s\"", value);
			return false;
		}
		if (v < k->min || v > k->max) {
			snprintf(err, errlen, "%ld is out of range (%ld to %ld)", v, k->min,
			    k->max);
			return false;
		}
		*(int *)field = (int)v;
		return true;
	}
	case CF_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 ||
		    strcmp(value, "on") == 0 || strcmp(value, "1") == 0) {
			*(bool *)field = true;
		} else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
		    strcmp(value, "off") == 0 || strcmp(value, "0") == 0) {
			*(bool *)field = false;
		} else {
			snprintf(err, errlen, "expected true or false, got \"%s\"", value);
			return false;
		}
		return true;
	case CF_ENUM:
		for (int i = 0; k->choices[i]; i++) {
			if (strcmp(value, k->choices[i]) == 0) {
				*(int *)field = i;
				return true;
			}
		}
		{
			struct buf b;

			buf_init(&b);
			for (int i = 0; k->choices[i]; i++)
				buf_appendf(&b, "%s%s", i ? ", " : "", k->choices[i]);
			snprintf(err, errlen, "expected one of %s, got \"%s\"", b.data, value);
			buf_cleanup(&b);
		}
		return false;
	}
	return false;
}

/* inih reads through this so that we know the line of every key. */
static char *
reader(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	char *r = fgets(str, num, st->fp);

	if (r)
		st->line++;
	return r;
}

/* "destination NAME" gives kind "destination" and the name; false for plain sections. */
static bool
split_named(const char *section, const char *kind, const char **name)
{
	size_t n = strlen(kind);

	if (strncmp(section, kind, n) != 0 || section[n] != ' ')
		return false;
	*name = section + n + 1;
	while (**name == ' ')
		(*name)++;
	return true;
}

static struct config_dest *
dest_get(struct config *cfg, const char *name)
{
	char msg[64];

	for (size_t i = 0; i < cfg->n_dests; i++) {
		if (strcmp(cfg->dests[i].name, name) == 0)
			return &cfg->dests[i];
	}
	cfg->dests = xrealloc(cfg->dests, (cfg->n_dests + 1) * sizeof(*cfg->dests));
	memset(&cfg->dests[cfg->n_dests], 0, sizeof(*cfg->dests));
	cfg->dests[cfg->n_dests].name = xstrdup(name);
	for (size_t i = 0; i < N_DEST_KEYS; i++)
		(void)set_value(&cfg->dests[cfg->n_dests], &dest_keys[i], dest_keys[i].def, msg,
		    sizeof(msg));
	return &cfg->dests[cfg->n_dests++];
}

static struct config_manager *
manager_get(struct config *cfg, const char *name)
{
	char msg[64];

	for (size_t i = 0; i < cfg->n_managers; i++) {
		if (strcmp(cfg->managers[i].name, name) == 0)
			return &cfg->managers[i];
	}
	cfg->managers = xrealloc(cfg->managers, (cfg->n_managers + 1) * sizeof(*cfg->managers));
	memset(&cfg->managers[cfg->n_managers], 0, sizeof(*cfg->managers));
	cfg->managers[cfg->n_managers].name = xstrdup(name);
	for (size_t i = 0; i < N_MANAGER_KEYS; i++)
		(void)set_value(&cfg->managers[cfg->n_managers], &manager_keys[i],
		    manager_keys[i].def, msg, sizeof(msg));
	return &cfg->managers[cfg->n_managers++];
}

/* A key of a [destination NAME] or [manager NAME] section. */
static int
handle_named(struct parse_state *st, const char *section, const char *kind, const char *sname,
    const char *name, const char *value)
{
	bool is_dest = strcmp(kind, "destination") == 0;
	const struct cf_key *keys = is_dest ? dest_keys : manager_keys;
	size_t nkeys = is_dest ? N_DEST_KEYS : N_MANAGER_KEYS, i;
	char msg[CONFIG_ERR_LEN / 2];
	unsigned *seen;
	void *base;

	if (!valid_name(sname, strlen(sname))) {
		errs_add(st->errs, "%s:%d: [%s]: a %s name has letters, digits, - _ and . only",
		    st->cfg->source, st->line, section, kind);
		return 1;
	}
	for (i = 0; i < nkeys; i++) {
		if (strcmp(keys[i].name, name) == 0)
			break;
	}
	if (i == nkeys) {
		errs_add(st->errs, "%s:%d: [%s] %s: unknown key", st->cfg->source, st->line,
		    section, name);
		return 1;
	}
	if (is_dest) {
		struct config_dest *d = dest_get(st->cfg, sname);

		base = d;
		seen = &d->seen;
	} else {
		struct config_manager *m = manager_get(st->cfg, sname);

		base = m;
		seen = &m->seen;
	}
	if (*seen & (1u << i)) {
		errs_add(st->errs, "%s:%d: [%s] %s: given more than once", st->cfg->source,
		    st->line, section, name);
		return 1;
	}
	*seen |= 1u << i;
	if (!set_value(base, &keys[i], value, msg, sizeof(msg)))
		errs_add(st->errs, "%s:%d: [%s] %s: %s", st->cfg->source, st->line, section, name,
		    msg);
	return 1;
}

/* The plain sections, for a misspelt one. */
static bool
known_section(const char *section)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcmp(cf_keys[i].section, section) == 0)
			return true;
	}
	return false;
}

/* The section a misspelt one was meant to be ("destinaton ding": "destination ding"), or "". */
static void
section_guess(const char *section, char *out, size_t outlen)
{
	static const char *const named[] = { "destination", "manager" };
	char word[64];
	size_t n = strcspn(section, " ");
	const char *rest = section + n;
	int best = 3;

	out[0] = '\0';
	if (n >= sizeof(word))
		return;
	memcpy(word, section, n);
	word[n] = '\0';
	for (size_t i = 0; i < N_KEYS; i++) {
		if (*rest == '\0' && distance(word, cf_keys[i].section) < best) {
			best = distance(word, cf_keys[i].section);
			snprintf(out, outlen, "%s", cf_keys[i].section);
		}
	}
	for (size_t i = 0; i < 2; i++) {
		if (*rest == ' ' && distance(word, named[i]) < best) {
			best = distance(word, named[i]);
			snprintf(out, outlen, "%s%s", named[i], rest);
		}
	}
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	const struct cf_key *k;
	const char *sname;
	char msg[CONFIG_ERR_LEN / 2];

	if (split_named(section, "destination", &sname))
		return handle_named(st, section, "destination", sname, name, value);
	if (split_named(section, "manager", &sname))
		return handle_named(st, section, "manager", sname, name, value);
	if (!known_section(section)) {
		/* Blame the section, once, not each of its keys. */
		if (strcmp(st->bad_section, section) != 0) {
			char guess[160];

			section_guess(section, guess, sizeof(guess));
			errs_add(st->errs,
			    "%s:%d: [%s]: unknown section%s%s%s (the sections are "
			    "[server], [database], [log], [bind], [huawei], [poller], [alerts], "
			    "[notifier], [routing], [destination NAME] and [manager NAME])",
			    st->cfg->source, st->line, section, guess[0] ? "; did you mean [" : "",
			    guess, guess[0] ? "]?" : "");
			snprintf(st->bad_section, sizeof(st->bad_section), "%s", section);
		}
		return 1;
	}
	k = find_key(section, name);
	if (k == NULL) {
		errs_add(st->errs, "%s:%d: [%s] %s: unknown key", st->cfg->source, st->line,
		    section, name);
		return 1;
	}
	if (st->seen[k - cf_keys]) {
		errs_add(st->errs, "%s:%d: [%s] %s: given more than once", st->cfg->source,
		    st->line, section, name);
		return 1;
	}
	st->seen[k - cf_keys] = true;
	if (!set_value(st->cfg, k, value, msg, sizeof(msg)))
		errs_add(st->errs, "%s:%d: [%s] %s: %s", st->cfg->source, st->line, section, name,
		    msg);
	return 1;
}

/* Every name in list is a configured destination. */
static bool
check_dest_names(const struct config *cfg, const char *what, const char *list, char *err,
    size_t errlen)
{
	const char *p = list, *w;
	size_t n;

	while (words_next(&p, &w, &n)) {
		char name[65];

		snprintf(name, sizeof(name), "%.*s", (int)n, w);
		if (config_dest_find(cfg, name) == NULL) {
			snprintf(err, errlen,
			    "%s names destination \"%s\", but there is no "
			    "[destination %s] section",
			    what, name, name);
			return false;
		}
	}
	return true;
}

/* One destination's settings; the first thing wrong with it. */
static bool
check_dest(const struct config *cfg, const struct config_dest *d, char *err, size_t errlen)
{
	char what[160];
	bool email = d->type == CONFIG_CH_EMAIL;

	if (!(d->seen & 1u)) {
		snprintf(err, errlen,
		    "[destination %s] type is required (wecom, dingtalk, "
		    "feishu, slack, webhook or email)",
		    d->name);
		return false;
	}
	if (!d->url[0]) {
		snprintf(err, errlen, "[destination %s] url is required", d->name);
		return false;
	}
	if (email != (strncmp(d->url, "smtp", 4) == 0)) {
		snprintf(err, errlen, "[destination %s] url: %s", d->name,
		    email ? "an email destination needs smtp://host:587 or smtps://host:465" :
			    "expected an https:// (or http://) URL");
		return false;
	}
	if (email && strncmp(d->url, "smtps://", 8) == 0 && d->tls == CONFIG_SMTP_NONE) {
		snprintf(err, errlen,
		    "[destination %s] tls = none contradicts smtps:// (implicit "
		    "TLS)",
		    d->name);
		return false;
	}
	if (email && strncmp(d->url, "smtp://", 7) == 0 && d->tls == CONFIG_SMTP_IMPLICIT) {
		snprintf(err, errlen, "[destination %s] tls = implicit needs an smtps:// url",
		    d->name);
		return false;
	}
	if (email && (!d->mail_from[0] || !d->mail_to[0])) {
		snprintf(err, errlen, "[destination %s] from and to are required for email",
		    d->name);
		return false;
	}
	if ((d->type == CONFIG_CH_DINGTALK || d->type == CONFIG_CH_FEISHU ||
		d->type == CONFIG_CH_WEBHOOK) &&
	    !d->secret[0]) {
		/* An unsigned robot is one leaked URL away from spam in the group. */
		snprintf(err, errlen,
		    "[destination %s] secret is required for %s (turn on "
		    "signing for the robot and copy its secret here)",
		    d->name, channel_choices[d->type]);
		return false;
	}
	if (d->ca_file[0] && access(d->ca_file, R_OK) != 0) {
		snprintf(err, errlen, "[destination %s] ca_file %s: %s", d->name, d->ca_file,
		    strerror(errno));
		return false;
	}
	if (d->fallback[0]) {
		if (strcmp(d->fallback, d->name) == 0) {
			snprintf(err, errlen, "[destination %s] fallback cannot be itself",
			    d->name);
			return false;
		}
		snprintf(what, sizeof(what), "[destination %s] fallback", d->name);
		if (!check_dest_names(cfg, what, d->fallback, err, errlen))
			return false;
	}
	return true;
}

static void
validate_routes(const struct config *cfg, struct errs *e)
{
	char what[160], err[CONFIG_ERR_LEN / 2];

	for (size_t i = 0; i < cfg->n_dests; i++) {
		if (!check_dest(cfg, &cfg->dests[i], err, sizeof(err)))
			errs_add(e, "%s", err);
	}
	for (size_t i = 0; i < cfg->n_managers; i++) {
		const struct config_manager *m = &cfg->managers[i];

		if (!m->destinations[0]) {
			errs_add(e, "[manager %s] destinations is required", m->name);
			continue;
		}
		snprintf(what, sizeof(what), "[manager %s] destinations", m->name);
		if (!check_dest_names(cfg, what, m->destinations, err, sizeof(err)))
			errs_add(e, "%s", err);
	}
	if (!check_dest_names(cfg, "[routing] default", cfg->rt_default, err, sizeof(err)))
		errs_add(e, "%s", err);
	if (!check_dest_names(cfg, "[routing] operator", cfg->rt_operator, err, sizeof(err)))
		errs_add(e, "%s", err);
}

static void
errs_add(struct errs *e, const char *fmt, ...)
{
	va_list ap;

	e->n++;
	/* Enough to fix in one go; a file that is wholly wrong need not be listed line by line. */
	if (e->n > 30)
		return;
	if (e->b.len)
		buf_append_char(&e->b, '\n');
	va_start(ap, fmt);
	buf_vappendf(&e->b, fmt, ap);
	va_end(ap);
}

/*
 * The database URL as libpq will read it. libpq's message quotes the part it
 * could not read, which may be the password: quoted text is left out.
 */
static void
check_conninfo(struct errs *e, const char *conninfo)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);

	if (opts == NULL) {
		struct buf b;
		bool quoted = false;

		buf_init(&b);
		for (const char *p = perr ? perr : "cannot be read"; *p && *p != '\n'; p++) {
			if (*p == '"') {
				quoted = !quoted;
				buf_append_str(&b, quoted ? "\"…" : "\"");
			} else if (!quoted) {
				buf_append_char(&b, *p);
			}
		}
		errs_add(e, "[database] url: not a connection string or URL libpq can read (%s)",
		    b.data ? b.data : "");
		buf_cleanup(&b);
	}
	PQfreemem(perr);
	PQconninfoFree(opts);
}

/* A file hcwatch will open at run time: it must be there, readable, now. */
static void
check_file(struct errs *e, const char *what, const char *path)
{
	if (path[0] && access(path, R_OK) != 0)
		errs_add(e, "%s %s: %s", what, path, strerror(errno));
}

static void
validate_all(const struct config *cfg, struct errs *e)
{
	char err[CONFIG_ERR_LEN / 2];

	if (cfg->tls_listen[0] && (!cfg->tls_cert_file[0] || !cfg->tls_key_file[0]))
		errs_add(e,
		    "[server] tls_listen is set, so tls_cert_file and tls_key_file are "
		    "required");
	if (cfg->poll_enabled && !config_huawei_credentials(cfg, err, sizeof(err)))
		errs_add(e, "%s", err);
	validate_routes(cfg, e);
	/*
	 * A claim must outlive the longest a worker holds it for one part: the
	 * pace wait (at most 5 s) and the request's timeout. Otherwise another
	 * worker takes the delivery over and it is sent twice.
	 */
	if (cfg->nt_lease <= cfg->nt_timeout + 5)
		errs_add(e,
		    "[notifier] lease (%d s) must exceed [notifier] timeout (%d s) by more "
		    "than 5 s",
		    cfg->nt_lease, cfg->nt_timeout);
	if (cfg->bind_enabled && !cfg->bind_certificates[0])
		errs_add(e,
		    "[bind] certificates: at least one certificate file (PEM, or Huawei's SP "
		    "metadata.xml) is required while [bind] enabled = true");
}

/*
 * HCWATCH_<SECTION>_<KEY>, or HCWATCH_<SECTION>_<NAME>_<KEY> for a named
 * section; anything not a letter or digit becomes "_".
 */
static void
env_override(void *base, const struct cf_key *k, const char *sname, struct errs *e)
{
	char name[200], why[96];
	const char *v;

	env_name(name, sizeof(name), k->section, sname, k->name);
	v = getenv(name);
	if (v == NULL)
		return;
	if (sname && strcmp(k->name, "type") == 0)
		((struct config_dest *)base)->seen |= 1u;
	if (!set_value(base, k, v, why, sizeof(why)))
		errs_add(e, "environment %.80s ([%s%s%.64s] %s): %s", name, k->section,
		    sname ? " " : "", sname ? sname : "", k->name, why);
}

/* Edit distance of two short names (for "did you mean"); capped at 9. */
static int
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[64], prev;

	if (la >= 64 || lb >= 64)
		return 9;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cur = row[j], best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb] > 9 ? 9 : row[lb];
}

/* HCWATCH_ with the rest made as env_override makes it. */
static void
env_name(char *out, size_t outlen, const char *section, const char *sname, const char *key)
{
	size_t n;

	if (sname)
		n = (size_t)snprintf(out, outlen, "HCWATCH_%s_%s_%s", section, sname, key);
	else
		n = (size_t)snprintf(out, outlen, "HCWATCH_%s_%s", section, key);
	for (size_t j = 0; j < n && j < outlen; j++)
		out[j] =
		    isalnum((unsigned char)out[j]) ? (char)toupper((unsigned char)out[j]) : '_';
}

/*
 * Whether var is the variable of one of keys (of the section named sname, or
 * of the plain sections); if not, the closest so far goes to best.
 */
static bool
env_matches(const char *var, const char *sname, const struct cf_key *keys, size_t nkeys,
    int *best_d, char *best, size_t bestlen)
{
	char name[200];

	for (size_t i = 0; i < nkeys; i++) {
		int d;

		env_name(name, sizeof(name), keys[i].section, sname, keys[i].name);
		if (strcmp(var, name) == 0)
			return true;
		if ((d = distance(var, name)) < *best_d) {
			*best_d = d;
			snprintf(best, bestlen, "%s", name);
		}
	}
	return false;
}

/*
 * Variables named HCWATCH_ that are not settings, read by hcwatch itself
 * (HCWATCH_CONFIG) or by its scripts, tests and container files.
 */
static const char *const env_not_settings[] = { "HCWATCH_CONFIG", "HCWATCH_PORT",
	"HCWATCH_SIM_PORT", "HCWATCH_SMTP_PORT", "HCWATCH_PG_PORT", "HCWATCH_VAR_DIR",
	"HCWATCH_BIN_DIR", "HCWATCH_BIN", "HCWATCH_SIM_BIN", "HCWATCH_WRAP", "HCWATCH_TEST_PG_USER",
	"HCWATCH_PG_HOST", "HCWATCH_PG_DB", "HCWATCH_PG_USER", "HCWATCH_PG_PASSWORD", NULL };

/*
 * An HCWATCH_ variable that names no setting is an error, as an unknown
 * key in the file is: a misspelt one would otherwise be ignored in silence.
 * The closest known name is offered.
 */
static void
check_environment(const struct config *cfg, struct errs *e)
{
	extern char **environ;

	for (char **v = environ; v && *v; v++) {
		char var[200], best[200] = "";
		size_t n = strcspn(*v, "=");
		int best_d = 9;
		bool known = false;

		if (strncmp(*v, "HCWATCH_", 8) != 0 || n >= sizeof(var))
			continue;
		memcpy(var, *v, n);
		var[n] = '\0';
		for (size_t i = 0; !known && env_not_settings[i]; i++)
			known = strcmp(var, env_not_settings[i]) == 0;
		if (!known)
			known =
			    env_matches(var, NULL, cf_keys, N_KEYS, &best_d, best, sizeof(best));
		for (size_t d = 0; !known && d < cfg->n_dests; d++)
			known = env_matches(var, cfg->dests[d].name, dest_keys, N_DEST_KEYS,
			    &best_d, best, sizeof(best));
		for (size_t m = 0; !known && m < cfg->n_managers; m++)
			known = env_matches(var, cfg->managers[m].name, manager_keys,
			    N_MANAGER_KEYS, &best_d, best, sizeof(best));
		if (known)
			continue;
		if (best_d <= 3)
			errs_add(e, "environment %s: not a setting of hcwatch; did you mean %s?",
			    var, best);
		else if (strncmp(var, "HCWATCH_DESTINATION_", 20) == 0 ||
		    strncmp(var, "HCWATCH_MANAGER_", 16) == 0)
			errs_add(e,
			    "environment %s: names a [destination …] or [manager …] section the "
			    "configuration file does not declare",
			    var);
		else
			errs_add(e,
			    "environment %s: not a setting of hcwatch (HCWATCH_<SECTION>_<KEY>, "
			    "or HCWATCH_DESTINATION_<NAME>_<KEY> for a declared destination)",
			    var);
	}
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct parse_state st;
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	struct errs e;
	char msg[CONFIG_ERR_LEN / 2];
	bool ok = false;

	memset(&st, 0, sizeof(st));
	memset(&e, 0, sizeof(e));
	buf_init(&e.b);
	st.cfg = cfg;
	st.errs = &e;
	cfg->source = path ? xstrdup(path) : NULL;
	for (size_t i = 0; i < N_KEYS; i++) {
		if (!set_value(cfg, &cf_keys[i], cf_keys[i].def, msg, sizeof(msg))) {
			snprintf(err, errlen, "built-in default of [%s] %s: %s", cf_keys[i].section,
			    cf_keys[i].name, msg);
			goto out;
		}
	}

	if (path) {
		int rc;

		st.fp = fopen(path, "r");
		if (st.fp == NULL) {
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
			goto out;
		}
		/* Multi-line values would blur line numbers; long values need a heap buffer. */
		ini_allow_multiline = false;
		ini_use_stack = false;
		ini_allow_realloc = true;
		ini_max_line = 64 * 1024;
		/* The handler records its errors and goes on: every one is reported. */
		ini_stop_on_first_error = false;
		rc = ini_parse_stream(reader, &st, handler, &st);
		fclose(st.fp);
		if (rc > 0)
			errs_add(&e, "%s:%d: syntax error (expected [section] or key = value)",
			    path, rc);
		else if (rc < 0)
			errs_add(&e, "%s: cannot read it", path);
	}

	for (size_t i = 0; i < N_KEYS; i++)
		env_override(cfg, &cf_keys[i], NULL, &e);
	/* Named sections take overrides for the names the file declares, e.g. a secret. */
	for (size_t d = 0; d < cfg->n_dests; d++) {
		for (size_t i = 0; i < N_DEST_KEYS; i++)
			env_override(&cfg->dests[d], &dest_keys[i], cfg->dests[d].name, &e);
	}
	for (size_t m = 0; m < cfg->n_managers; m++) {
		for (size_t i = 0; i < N_MANAGER_KEYS; i++)
			env_override(&cfg->managers[m], &manager_keys[i], cfg->managers[m].name,
			    &e);
	}
	check_environment(cfg, &e);
	/* What hcwatch will open at run time, whatever else is wrong. */
	check_conninfo(&e, cfg->database_url);
	check_file(&e, "[server] tls_cert_file", cfg->tls_cert_file);
	check_file(&e, "[server] tls_key_file", cfg->tls_key_file);
	check_file(&e, "[huawei] ca_file", cfg->hw_ca_file);
	/* What depends on several values is judged once they all read well. */
	if (e.n == 0)
		validate_all(cfg, &e);
	if (e.n > 0) {
		if (e.n > 30)
			buf_appendf(&e.b, "\n… and %d more", e.n - 30);
		snprintf(err, errlen, "%s", e.b.data);
		goto out;
	}
	ok = true;
out:
	buf_cleanup(&e.b);
	if (!ok) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}
static void
free_strings(void *base, const struct cf_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (keys[i].type == CF_STR)
			free(*(char **)((char *)base + keys[i].offset));
	}
}

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

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free_strings(cfg, cf_keys, N_KEYS);
	for (size_t i = 0; i < cfg->n_dests; i++) {
		free_strings(&cfg->dests[i], dest_keys, N_DEST_KEYS);
		free(cfg->dests[i].name);
	}
	free(cfg->dests);
	for (size_t i = 0; i < cfg->n_managers; i++) {
		free_strings(&cfg->managers[i], manager_keys, N_MANAGER_KEYS);
		free(cfg->managers[i].name);
	}
	free(cfg->managers);
	free(cfg->source);
	free(cfg);
}

struct config *
config_copy(const struct config *cfg)
{
	struct config *c = xmalloc(sizeof(*c));

	memcpy(c, cfg, sizeof(*c));
	dup_strings(c, cf_keys, N_KEYS);
	c->dests = xcalloc(cfg->n_dests ? cfg->n_dests : 1, sizeof(*c->dests));
	for (size_t i = 0; i < cfg->n_dests; i++) {
		c->dests[i] = cfg->dests[i];
		dup_strings(&c->dests[i], dest_keys, N_DEST_KEYS);
		c->dests[i].name = xstrdup(cfg->dests[i].name);
	}
	c->managers = xcalloc(cfg->n_managers ? cfg->n_managers : 1, sizeof(*c->managers));
	for (size_t i = 0; i < cfg->n_managers; i++) {
		c->managers[i] = cfg->managers[i];
		dup_strings(&c->managers[i], manager_keys, N_MANAGER_KEYS);
		c->managers[i].name = xstrdup(cfg->managers[i].name);
	}
	c->source = cfg->source ? xstrdup(cfg->source) : NULL;
	return c;
}

static void
format_value(const void *base, const struct cf_key *k, struct buf *out)
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

	for (size_t i = 0; i < N_KEYS; i++) {
		const struct cf_key *k = &cf_keys[i];
		struct buf a, b;

		if (k->reloadable)
			continue;
		buf_init(&a);
		buf_init(&b);
		format_value(cur, k, &a);
		format_value(next, k, &b);
		if (strcmp(a.data, b.data) != 0) {
			char msg[CONFIG_ERR_LEN / 2];

			log_warn(
			    "reload: [%s] %s cannot change while running; keeping the old value "
			    "until restart",
			    k->section, k->name);
			(void)set_value(next, k, a.data, msg, sizeof(msg));
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

	for (size_t i = 0; i < N_KEYS; i++) {
		struct buf v;

		if (strcmp(section, cf_keys[i].section) != 0) {
			section = cf_keys[i].section;
			fprintf(out, "%s[%s]\n", i ? "\n" : "", section);
		}
		buf_init(&v);
		format_value(cfg, &cf_keys[i], &v);
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
		format_value(base, &keys[i], &v);
		fprintf(out, "%s = %s\n", keys[i].name, v.data);
		buf_cleanup(&v);
	}
}

static void
dump_named(const struct config *cfg, FILE *out)
{
	for (size_t i = 0; i < cfg->n_dests; i++)
		dump_section("destination", cfg->dests[i].name, &cfg->dests[i], dest_keys,
		    N_DEST_KEYS, out);
	for (size_t i = 0; i < cfg->n_managers; i++)
		dump_section("manager", cfg->managers[i].name, &cfg->managers[i], manager_keys,
		    N_MANAGER_KEYS, out);
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
	for (size_t i = 0; i < N_KEYS; i++) {
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
		    !same_strings(&a->dests[i], &b->dests[i], dest_keys, N_DEST_KEYS))
			return false;
	}
	for (size_t i = 0; i < a->n_managers; i++) {
		if (strcmp(a->managers[i].name, b->managers[i].name) != 0 ||
		    !same_strings(&a->managers[i], &b->managers[i], manager_keys, N_MANAGER_KEYS))
			return false;
	}
	return true;
}

const struct config_dest *
config_dest_find(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_dests; i++) {
		if (strcmp(cfg->dests[i].name, name) == 0)
			return &cfg->dests[i];
	}
	return NULL;
}

const char *
config_channel_name(int type)
{
	return type >= 0 && type < CONFIG_CH_COUNT ? channel_choices[type] : "?";
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
