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

#include "core/config_keys.h"
#include "util/buf.h"
#include "util/words.h"
#include "util/xalloc.h"

/* Every error found, one per line, so that a file is fixed in one go. */
struct errs {
	struct buf b;
	int n;
};

struct parse_state {
	struct config *cfg;
	FILE *fp;
	int line;
	bool *seen; /* by index in cf_keys */
	struct errs *errs;
	char bad_section[128]; /* the unknown section told last, told once */
};

static const struct cf_key *find_key(const char *section, const char *name);
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
	for (size_t i = 0; i < cf_n_keys; i++) {
		if (strcmp(cf_keys[i].section, section) == 0 && strcmp(cf_keys[i].name, name) == 0)
			return &cf_keys[i];
	}
	return NULL;
}

bool
cf_set_value(void *base, const struct cf_key *k, const char *value, char *err, size_t errlen)
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
	for (size_t i = 0; i < cf_n_dest_keys; i++)
		(void)cf_set_value(&cfg->dests[cfg->n_dests], &cf_dest_keys[i], cf_dest_keys[i].def,
		    msg, sizeof(msg));
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
	for (size_t i = 0; i < cf_n_manager_keys; i++)
		(void)cf_set_value(&cfg->managers[cfg->n_managers], &cf_manager_keys[i],
		    cf_manager_keys[i].def, msg, sizeof(msg));
	return &cfg->managers[cfg->n_managers++];
}

/* A key of a [destination NAME] or [manager NAME] section. */
static int
handle_named(struct parse_state *st, const char *section, const char *kind, const char *sname,
    const char *name, const char *value)
{
	bool is_dest = strcmp(kind, "destination") == 0;
	const struct cf_key *keys = is_dest ? cf_dest_keys : cf_manager_keys;
	size_t nkeys = is_dest ? cf_n_dest_keys : cf_n_manager_keys, i;
	char msg[CONFIG_ERR_LEN / 2];
	unsigned *seen;
	void *base;

	if (!cf_valid_name(sname, strlen(sname))) {
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
	if (!cf_set_value(base, &keys[i], value, msg, sizeof(msg)))
		errs_add(st->errs, "%s:%d: [%s] %s: %s", st->cfg->source, st->line, section, name,
		    msg);
	return 1;
}

/* The plain sections, for a misspelt one. */
static bool
known_section(const char *section)
{
	for (size_t i = 0; i < cf_n_keys; i++) {
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
	for (size_t i = 0; i < cf_n_keys; i++) {
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
			    "[notifier], [web], [routing], [destination NAME] and [manager NAME])",
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
	if (!cf_set_value(st->cfg, k, value, msg, sizeof(msg)))
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
		    d->name, config_channel_name(d->type));
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

		for (size_t k = 0; k < i && m->huawei_account[0]; k++) {
			if (strcmp(cfg->managers[k].huawei_account, m->huawei_account) == 0)
				errs_add(e,
				    "[manager %s] huawei_account: [manager %s] stands for the same "
				    "Huawei account manager",
				    m->name, cfg->managers[k].name);
		}
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
	if (cfg->web_public_url[0] && !cfg->web_keys[0])
		errs_add(e,
		    "[web] public_url is set, so keys is required: the links it makes are signed "
		    "(make a key with: openssl rand -base64 32)");
	if (cfg->web_listen[0] && !cfg->web_public_url[0])
		errs_add(e, "[web] listen serves pages, so public_url is required");
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
	if (!cf_set_value(base, k, v, why, sizeof(why)))
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
			    env_matches(var, NULL, cf_keys, cf_n_keys, &best_d, best, sizeof(best));
		for (size_t d = 0; !known && d < cfg->n_dests; d++)
			known = env_matches(var, cfg->dests[d].name, cf_dest_keys, cf_n_dest_keys,
			    &best_d, best, sizeof(best));
		for (size_t m = 0; !known && m < cfg->n_managers; m++)
			known = env_matches(var, cfg->managers[m].name, cf_manager_keys,
			    cf_n_manager_keys, &best_d, best, sizeof(best));
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
	st.seen = xcalloc(cf_n_keys, sizeof(*st.seen));
	cfg->source = path ? xstrdup(path) : NULL;
	for (size_t i = 0; i < cf_n_keys; i++) {
		if (!cf_set_value(cfg, &cf_keys[i], cf_keys[i].def, msg, sizeof(msg))) {
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

	for (size_t i = 0; i < cf_n_keys; i++)
		env_override(cfg, &cf_keys[i], NULL, &e);
	/* Named sections take overrides for the names the file declares, e.g. a secret. */
	for (size_t d = 0; d < cfg->n_dests; d++) {
		for (size_t i = 0; i < cf_n_dest_keys; i++)
			env_override(&cfg->dests[d], &cf_dest_keys[i], cfg->dests[d].name, &e);
	}
	for (size_t m = 0; m < cfg->n_managers; m++) {
		for (size_t i = 0; i < cf_n_manager_keys; i++)
			env_override(&cfg->managers[m], &cf_manager_keys[i], cfg->managers[m].name,
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
	free(st.seen);
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

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free_strings(cfg, cf_keys, cf_n_keys);
	for (size_t i = 0; i < cfg->n_dests; i++) {
		free_strings(&cfg->dests[i], cf_dest_keys, cf_n_dest_keys);
		free(cfg->dests[i].name);
	}
	free(cfg->dests);
	for (size_t i = 0; i < cfg->n_managers; i++) {
		free_strings(&cfg->managers[i], cf_manager_keys, cf_n_manager_keys);
		free(cfg->managers[i].name);
	}
	free(cfg->managers);
	free(cfg->source);
	free(cfg);
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
