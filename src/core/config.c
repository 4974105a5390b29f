#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <libpq-fe.h>

#include "poller/hwc_quota.h"
#include "util/buf.h"
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
	const char *const *choices;	/* CF_ENUM: index is the stored value */
	bool (*validate)(const char *value, char *err, size_t errlen);
};

static bool check_hostport(const char *value, char *err, size_t errlen);
static bool check_hostport_or_empty(const char *value, char *err, size_t errlen);
static bool check_path(const char *value, char *err, size_t errlen);
static bool check_signed_string(const char *value, char *err, size_t errlen);
static bool check_url_or_empty(const char *value, char *err, size_t errlen);
static bool check_url(const char *value, char *err, size_t errlen);
static bool check_rate_overrides(const char *value, char *err, size_t errlen);

static const char *const level_choices[] = { "error", "warn", "info", "debug", NULL };
static const char *const format_choices[] = { "text", "json", NULL };
static const char *const auth_choices[] = { "aksk", "token", NULL };

#define OFF(f) offsetof(struct config, f)

/* Every key, its type, range and default. conf/hcwatch.conf.example mirrors this. */
static const struct cf_key cf_keys[] = {
	{ "server", "listen", CF_STR, OFF(listen), 0, 0, "127.0.0.1:8080", false, false, NULL, check_hostport },
	{ "server", "tls_listen", CF_STR, OFF(tls_listen), 0, 0, "", false, false, NULL, check_hostport_or_empty },
	{ "server", "tls_cert_file", CF_STR, OFF(tls_cert_file), 0, 0, "", false, false, NULL, NULL },
	{ "server", "tls_key_file", CF_STR, OFF(tls_key_file), 0, 0, "", false, false, NULL, NULL },
	{ "server", "max_body_size", CF_INT, OFF(max_body_size), 1024, 16 << 20, "65536", true, false, NULL, NULL },
	{ "server", "max_header_size", CF_INT, OFF(max_header_size), 1024, 1 << 20, "16384", true, false, NULL, NULL },
	{ "server", "timeout", CF_INT, OFF(timeout), 1, 3600, "30", true, false, NULL, NULL },
	{ "server", "shutdown_timeout", CF_INT, OFF(shutdown_timeout), 1, 3600, "30", true, false, NULL, NULL },

	{ "database", "url", CF_STR, OFF(database_url), 0, 0, "dbname=hcwatch", false, true, NULL, NULL },
	{ "database", "auto_migrate", CF_BOOL, OFF(auto_migrate), 0, 1, "false", false, false, NULL, NULL },
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
};

#define N_KEYS (sizeof(cf_keys) / sizeof(cf_keys[0]))

struct parse_state {
	struct config *cfg;
	FILE *fp;
	int line;
	bool seen[N_KEYS];
	char err[CONFIG_ERR_LEN];
};

static const struct cf_key *find_key(const char *section, const char *name);
static bool set_value(struct config *cfg, const struct cf_key *k, const char *value, char *err,
    size_t errlen);
static char *reader(char *str, int num, void *stream);
static int handler(void *user, const char *section, const char *name, const char *value);
static bool validate_all(const struct config *cfg, char *err, size_t errlen);
static void format_value(const struct config *cfg, const struct cf_key *k, struct buf *out);

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
		snprintf(err, errlen, "expected host:port, [ipv6]:port or :port, got \"%s\"", value);
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
		snprintf(err, errlen, "expected an absolute URL path such as /huawei/bind, got \"%s\"",
		    value);
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
			snprintf(err, errlen, "expected rules A, B or C separated by commas, each once, "
			    "got \"%s\"", value);
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
	if (*value == '\0' || strncmp(value, "https://", 8) == 0 || strncmp(value, "http://", 7) == 0) {
		if (strpbrk(value, " \t\r\n\"<>") == NULL)
			return true;
	}
	snprintf(err, errlen, "expected an http:// or https:// URL without spaces or quotes, got \"%s\"",
	    value);
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

static bool
check_rate_overrides(const char *value, char *err, size_t errlen)
{
	return hwc_quota_check_overrides(value, err, errlen);
}

bool
config_huawei_credentials(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->hw_auth == CONFIG_HW_AUTH_AKSK) {
		if (!cfg->hw_access_key[0] || !cfg->hw_secret_key[0]) {
			snprintf(err, errlen, "[huawei] access_key and secret_key are required with "
			    "auth = aksk");
			return false;
		}
	} else if (!cfg->hw_iam_user[0] || !cfg->hw_iam_password[0] || !cfg->hw_iam_domain[0]) {
		snprintf(err, errlen, "[huawei] iam_user, iam_password and iam_domain are required "
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
set_value(struct config *cfg, const struct cf_key *k, const char *value, char *err, size_t errlen)
{
	char *field = (char *)cfg + k->offset;

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
			snprintf(err, errlen, "%ld is out of range (%ld to %ld)", v, k->min, k->max);
			return false;
		}
		*(int *)field = (int)v;
		return true;
	}
	case CF_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 || strcmp(value, "on") == 0 ||
		    strcmp(value, "1") == 0) {
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

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	const struct cf_key *k;
	char msg[CONFIG_ERR_LEN / 2];

	if (st->err[0])
		return 0;
	k = find_key(section, name);
	if (k == NULL) {
		snprintf(st->err, sizeof(st->err), "%s:%d: [%s] %s: unknown key", st->cfg->source,
		    st->line, section, name);
		return 0;
	}
	if (st->seen[k - cf_keys]) {
		snprintf(st->err, sizeof(st->err), "%s:%d: [%s] %s: given more than once",
		    st->cfg->source, st->line, section, name);
		return 0;
	}
	st->seen[k - cf_keys] = true;
	if (!set_value(st->cfg, k, value, msg, sizeof(msg))) {
		snprintf(st->err, sizeof(st->err), "%s:%d: [%s] %s: %s", st->cfg->source, st->line,
		    section, name, msg);
		return 0;
	}
	return 1;
}

static bool
validate_all(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->tls_listen[0] && (!cfg->tls_cert_file[0] || !cfg->tls_key_file[0])) {
		snprintf(err, errlen, "[server] tls_listen is set, so tls_cert_file and tls_key_file "
		    "are required");
		return false;
	}
	if (cfg->poll_enabled && !config_huawei_credentials(cfg, err, errlen))
		return false;
	if (cfg->bind_enabled && !cfg->bind_certificates[0]) {
		snprintf(err, errlen, "[bind] certificates: at least one certificate file (PEM, or "
		    "Huawei's SP metadata.xml) is required while [bind] enabled = true");
		return false;
	}
	return true;
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct parse_state st;
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	char msg[CONFIG_ERR_LEN / 2];
	bool ok = false;

	memset(&st, 0, sizeof(st));
	st.cfg = cfg;
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
		ini_stop_on_first_error = true;
		rc = ini_parse_stream(reader, &st, handler, &st);
		fclose(st.fp);
		if (st.err[0]) {
			snprintf(err, errlen, "%s", st.err);
			goto out;
		}
		if (rc != 0) {
			snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)",
			    path, rc);
			goto out;
		}
	}

	for (size_t i = 0; i < N_KEYS; i++) {
		char name[128];
		const char *v;
		size_t n = 0;

		n = (size_t)snprintf(name, sizeof(name), "HCWATCH_%s_%s", cf_keys[i].section,
		    cf_keys[i].name);
		for (size_t j = 0; j < n && j < sizeof(name); j++)
			name[j] = (char)toupper((unsigned char)name[j]);
		v = getenv(name);
		if (v == NULL)
			continue;
		if (!set_value(cfg, &cf_keys[i], v, msg, sizeof(msg))) {
			snprintf(err, errlen, "environment %s ([%s] %s): %s", name, cf_keys[i].section,
			    cf_keys[i].name, msg);
			goto out;
		}
	}

	if (!validate_all(cfg, msg, sizeof(msg))) {
		snprintf(err, errlen, "%s: %s", path ? path : "configuration", msg);
		goto out;
	}
	ok = true;
out:
	if (!ok) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < N_KEYS; i++) {
		if (cf_keys[i].type == CF_STR)
			free(*(char **)((char *)cfg + cf_keys[i].offset));
	}
	free(cfg->source);
	free(cfg);
}

struct config *
config_copy(const struct config *cfg)
{
	struct config *c = xmalloc(sizeof(*c));

	memcpy(c, cfg, sizeof(*c));
	for (size_t i = 0; i < N_KEYS; i++) {
		if (cf_keys[i].type == CF_STR) {
			char **f = (char **)((char *)c + cf_keys[i].offset);

			*f = xstrdup(*f);
		}
	}
	c->source = cfg->source ? xstrdup(cfg->source) : NULL;
	return c;
}

static void
format_value(const struct config *cfg, const struct cf_key *k, struct buf *out)
{
	const char *field = (const char *)cfg + k->offset;

	switch (k->type) {
	case CF_STR: {
		const char *s = *(char *const *)field;

		if (k->secret && k->offset == OFF(database_url)) {
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
	case CF_INT:
		buf_appendf(out, "%d", *(const int *)field);
		break;
	case CF_BOOL:
		buf_append_str(out, *(const bool *)field ? "true" : "false");
		break;
	case CF_ENUM:
		buf_append_str(out, k->choices[*(const int *)field]);
		break;
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

			log_warn("reload: [%s] %s cannot change while running; keeping the old value "
			    "until restart", k->section, k->name);
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
