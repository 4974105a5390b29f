/* What a value of the configuration may be: the checks the key tables name. */
#include "core/config_keys.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/link.h"
#include "util/words.h"
#include "util/xalloc.h"

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

bool
cf_check_hostport(const char *value, char *err, size_t errlen)
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

bool
cf_check_hostport_or_empty(const char *value, char *err, size_t errlen)
{
	return *value == '\0' || cf_check_hostport(value, err, errlen);
}

bool
cf_check_path(const char *value, char *err, size_t errlen)
{
	if (value[0] != '/' || strpbrk(value, "?# \t") != NULL) {
		snprintf(err, errlen,
		    "expected an absolute URL path such as /huawei/bind, got \"%s\"", value);
		return false;
	}
	return true;
}

bool
cf_check_signed_string(const char *value, char *err, size_t errlen)
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

bool
cf_check_url_or_empty(const char *value, char *err, size_t errlen)
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

/* Where readers reach the pages: scheme, host and an optional path, no query, no trailing /. */
bool
cf_check_public_url(const char *value, char *err, size_t errlen)
{
	size_t n = strlen(value);

	if (!cf_check_url_or_empty(value, err, errlen))
		return false;
	if (n > 0 && (value[n - 1] == '/' || strpbrk(value, "?#'()[]{}|\\`^") != NULL || n > 200)) {
		snprintf(err, errlen,
		    "expected the address the pages are reached at, like https://hcwatch.example.com "
		    "(no trailing /, query or brackets, at most 200 bytes), got \"%s\"",
		    value);
		return false;
	}
	return true;
}

/* The message never holds a key: it names the key by its position. */
bool
cf_check_link_keys(const char *value, char *err, size_t errlen)
{
	struct link_keys k;

	if (!link_keys_parse(value, &k, err, errlen))
		return false;
	link_keys_free(&k);
	return true;
}

/* The partner console's page of a customer, {customer_id} where its id goes. */
bool
cf_check_console_url(const char *value, char *err, size_t errlen)
{
	if (*value == '\0')
		return true;
	if (strncmp(value, "https://", 8) != 0 || strstr(value, "{customer_id}") == NULL ||
	    strpbrk(value, " \t\r\n\"'<>()[]|\\`^") != NULL || strlen(value) > 300) {
		snprintf(err, errlen,
		    "expected an https:// URL with {customer_id} where the customer's id goes, "
		    "without spaces, quotes or brackets, got \"%s\"",
		    value);
		return false;
	}
	return true;
}

/* A Huawei login name, as ListSubCustomers' account_managers give it: one word of text. */
bool
cf_check_huawei_account(const char *value, char *err, size_t errlen)
{
	size_t n = strlen(value);

	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)value[i] < 0x21 || value[i] == 0x7f) {
			snprintf(err, errlen,
			    "a Huawei login name has no spaces or control characters");
			return false;
		}
	}
	if (n > 128) {
		snprintf(err, errlen, "a Huawei login name is at most 128 bytes");
		return false;
	}
	return true;
}

bool
cf_check_url(const char *value, char *err, size_t errlen)
{
	if (*value == '\0') {
		snprintf(err, errlen, "a URL is required");
		return false;
	}
	return cf_check_url_or_empty(value, err, errlen);
}

/* Huawei's API names, in the order of hwc's enum hwc_api (hwc_quota.c asserts it). */
const char *const config_hw_apis[CONFIG_HW_API_COUNT] = {
	"ListSubCustomers",
	"ListCustomersBalancesDetail",
	"ListPayPerUseCustomerResources",
	"ListPartnerBalances",
	"KeystoneCreateUserTokenByPassword",
	"ListIssuedPartnerCoupons",
	"ListQuotaCoupons",
	"ListPartnerCouponsRecord",
	"ListSubCustomerBillDetail",
	"ListConsumeSubCustomers",
	"ListRenewRateOnPeriod",
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

bool
cf_check_rate_overrides(const char *value, char *err, size_t errlen)
{
	int rates[CONFIG_HW_API_COUNT];

	return config_parse_rate_overrides(value, rates, err, errlen);
}

bool
cf_check_url_or_smtp(const char *value, char *err, size_t errlen)
{
	if (strncmp(value, "smtp://", 7) == 0 || strncmp(value, "smtps://", 8) == 0) {
		if (strpbrk(value, " \t\r\n\"<>") == NULL)
			return true;
		snprintf(err, errlen, "expected a URL without spaces or quotes, got \"%s\"", value);
		return false;
	}
	return cf_check_url_or_empty(value, err, errlen);
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

bool
cf_check_stages(const char *value, char *err, size_t errlen)
{
	int st[CONFIG_MAX_STAGES], n;

	return parse_stages(value, st, &n, err, errlen);
}

/* Deletion stages may be turned off with an empty value. */
bool
cf_check_stages_or_none(const char *value, char *err, size_t errlen)
{
	int st[CONFIG_MAX_STAGES], n;

	return value[strspn(value, " ")] == '\0' || parse_stages(value, st, &n, err, errlen);
}

/* "V0:1, V1:1, V2:1, V3:7, V4:7, V5:7": every customer level once, 0 to 365 days. */
static bool
parse_level_days(const char *value, int days[CONFIG_LEVELS], char *err, size_t errlen)
{
	bool seen[CONFIG_LEVELS] = { false };
	const char *p = value;

	while (*p) {
		char *end;
		long level, d;

		p += strspn(p, " ");
		if ((p[0] != 'V' && p[0] != 'v') || p[1] < '0' || p[1] > '5' || p[2] != ':')
			goto bad;
		level = p[1] - '0';
		p += 3;
		p += strspn(p, " ");
		errno = 0;
		d = strtol(p, &end, 10);
		if (errno || end == p || d < 0 || d > 365)
			goto bad;
		if (seen[level]) {
			snprintf(err, errlen, "V%ld is given twice in \"%s\"", level, value);
			return false;
		}
		seen[level] = true;
		days[level] = (int)d;
		p = end + strspn(end, " ");
		if (*p == ',')
			p++;
		else if (*p != '\0')
			goto bad;
	}
	for (int i = 0; i < CONFIG_LEVELS; i++) {
		if (!seen[i]) {
			snprintf(err, errlen, "V%d is missing from \"%s\": give all of V0 to V5", i,
			    value);
			return false;
		}
	}
	return true;
bad:
	snprintf(err, errlen,
	    "expected days (0 to 365) for each customer level, as \"V0:1, V1:1, V2:1, V3:7, "
	    "V4:7, V5:7\"; got \"%s\"",
	    value);
	return false;
}

bool
cf_check_level_days(const char *value, char *err, size_t errlen)
{
	int days[CONFIG_LEVELS];

	return parse_level_days(value, days, err, errlen);
}

bool
config_level_days(const char *value, int days[CONFIG_LEVELS])
{
	char err[160];

	return parse_level_days(value, days, err, sizeof(err));
}

bool
config_stages(const char *value, int *out, int *n)
{
	char err[128];

	return parse_stages(value, out, n, err, sizeof(err));
}

/* "hws.service.type.ebs: 14,7,1; hws.service.type.ec2: 30,7" */
bool
cf_check_stages_by_service(const char *value, char *err, size_t errlen)
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
bool
cf_check_amount(const char *value, char *err, size_t errlen)
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
bool
cf_check_timezone(const char *value, char *err, size_t errlen)
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

bool
cf_check_timezone_or_empty(const char *value, char *err, size_t errlen)
{
	return *value == '\0' || cf_check_timezone(value, err, errlen);
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

bool
cf_check_quiet_hours(const char *value, char *err, size_t errlen)
{
	int a, b;

	if (*value == '\0' || config_quiet_hours(value, &a, &b))
		return true;
	snprintf(err, errlen, "expected HH:MM-HH:MM (local time, may cross midnight), got \"%s\"",
	    value);
	return false;
}

bool
cf_check_language_or_empty(const char *value, char *err, size_t errlen)
{
	if (*value == '\0' || strcmp(value, "zh") == 0 || strcmp(value, "en") == 0)
		return true;
	snprintf(err, errlen, "expected zh or en, got \"%s\"", value);
	return false;
}

bool
cf_valid_name(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	}
	return true;
}

bool
cf_check_name_list(const char *value, char *err, size_t errlen)
{
	const char *p = value, *w;
	size_t n;

	while (words_next(&p, &w, &n)) {
		if (!cf_valid_name(w, n)) {
			snprintf(err, errlen,
			    "expected names (letters, digits, - _ .) separated by "
			    "commas, got \"%s\"",
			    value);
			return false;
		}
	}
	return true;
}
