/*
 * hcwatch customers: who they are, whose they are, and per-customer
 * overrides, without SQL. Every value is checked before anything is written:
 * a manager must be a [manager] section, a customer must be named by its id,
 * stages are written as in the configuration.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cli.h"
#include "core/log.h"
#include "rules/rules.h"
#include "store/store.h"
#include "util/buf.h"

static const struct cli_column customer_columns[] = {
	{ "customer id", "customer_id", 34 },
	{ "account", "account_name", 16 },
	{ "name", "name", 24 },
	{ "manager", "manager", 12 },
	{ "by", "source", 17 },
	{ "at Huawei", "huawei_manager", 12 },
	{ "balance", "balance", 12 },
	{ "open", "open", 5 },
};

static const char *
text(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) && *json_string_value(v) ? json_string_value(v) : "-";
}

/* Where a manager's alerts go, or the default route's. */
static const char *
destinations(const struct config *cfg, const char *manager)
{
	for (size_t i = 0; manager && i < cfg->n_managers; i++)
		if (strcmp(cfg->managers[i].name, manager) == 0)
			return cfg->managers[i].destinations;
	return cfg->rt_default[0] ? cfg->rt_default : "(none: [routing] default is empty)";
}

static void
print_customer(const struct config *cfg, const json_t *c)
{
	const json_t *alerts = json_object_get(c, "alerts"), *a;
	const char *manager = json_string_value(json_object_get(c, "manager"));
	const char *source = text(c, "source");
	size_t i;

	printf("customer     %s\naccount      %s\nname         %s\n", text(c, "customer_id"),
	    text(c, "account_name"), text(c, "name"));
	printf("state        %s%s\n",
	    json_is_true(json_object_get(c, "gone")) ? "gone" : "associated",
	    json_integer_value(json_object_get(c, "frozen")) ? ", frozen" : "");
	printf("balance      %s %s (debt %s)\n", text(c, "balance"), text(c, "currency"),
	    text(c, "debt"));
	printf("manager      %s (%s)\n", manager ? manager : "-",
	    strcmp(source, "customer_settings") == 0 ? "set with hcwatch customers set" :
		strcmp(source, "huawei") == 0	     ? "Huawei's account manager" :
						       "none: the default route");
	printf("at Huawei    %s\n", text(c, "huawei_manager"));
	printf("alerts go to %s\n", destinations(cfg, manager));
	printf("threshold    %s\nstages       %s\n", text(c, "threshold"), text(c, "stages"));
	if (json_is_integer(json_object_get(c, "runway_days")))
		printf("runway days  %lld\n",
		    (long long)json_integer_value(json_object_get(c, "runway_days")));
	else
		printf("runway days  -\n");
	printf("spend jump   factor %s, minimum %s\n", text(c, "jump_factor"), text(c, "jump_min"));
	printf("open alerts  %zu\n", json_array_size(alerts));
	json_array_foreach(alerts, i, a) {
		printf("  %s %s %s %s %s\n", text(a, "id"), text(a, "kind"), text(a, "severity"),
		    text(a, "state"), text(a, "stage"));
	}
}

void
cli_print_manager_counts(const struct config *cfg, struct store *s, const char *prefix)
{
	json_t *logins = rules_manager_logins(cfg), *counts = NULL, *row;
	char *doc = json_dumps(logins, JSON_COMPACT), *json = NULL, err[STORE_ERR_LEN];
	long dflt = 0;
	size_t i;

	if (store_manager_counts(s, doc, &json, err, sizeof(err)) != STORE_OK ||
	    (counts = json_loads(json, 0, NULL)) == NULL) {
		printf("%snot counted: %s\n", prefix, json ? "unreadable answer" : err);
		goto out;
	}
	/* Every section, with none too: a manager that receives nothing is worth seeing. */
	for (size_t m = 0; m < cfg->n_managers; m++) {
		long n = 0;

		json_array_foreach(counts, i, row) {
			if (json_is_string(json_object_get(row, "manager")) &&
			    strcmp(json_string_value(json_object_get(row, "manager")),
				cfg->managers[m].name) == 0)
				n = (long)json_integer_value(json_object_get(row, "customers"));
		}
		printf("%s[manager %s] receives %ld customer(s)\n", prefix, cfg->managers[m].name,
		    n);
	}
	json_array_foreach(counts, i, row) {
		const char *name = json_string_value(json_object_get(row, "manager"));
		long n = (long)json_integer_value(json_object_get(row, "customers"));
		bool known = false;

		for (size_t m = 0; name && m < cfg->n_managers; m++)
			known = known || strcmp(cfg->managers[m].name, name) == 0;
		if (!known)
			dflt += n;
		if (name && !known)
			printf("%s%ld customer(s) name manager \"%s\", which has no section: "
			       "default route\n",
			    prefix, n, name);
	}
	printf("%s%ld customer(s) take the default route (%s)\n", prefix, dflt,
	    cfg->rt_default[0] ? cfg->rt_default : "[routing] default is empty");
out:
	json_decref(counts);
	json_decref(logins);
	free(doc);
	free(json);
}

/* The customer ref names, or NULL after saying why: by_id refuses an account name. */
static json_t *
find(struct store *s, const char *ref, bool by_id)
{
	char err[STORE_ERR_LEN], *json = NULL;
	json_t *c;

	if (store_customer_show(s, ref, &json, err, sizeof(err)) != STORE_OK) {
		log_error("%s", err);
		return NULL;
	}
	c = json ? json_loads(json, 0, NULL) : NULL;
	free(json);
	if (c == NULL) {
		fprintf(stderr, "hcwatch: no customer has the id or account name \"%s\"\n", ref);
		return NULL;
	}
	if (by_id && json_is_true(json_object_get(c, "by_account_name"))) {
		fprintf(stderr,
		    "hcwatch: \"%s\" is the account name of customer %s; name it by its id\n", ref,
		    text(c, "customer_id"));
		json_decref(c);
		return NULL;
	}
	return c;
}

/* "none" clears a value; anything else must pass check. */
static bool
is_none(const char *v)
{
	return strcmp(v, "none") == 0;
}

static bool
check_manager(const struct config *cfg, const char *v)
{
	const char *close = NULL;

	if (is_none(v))
		return true;
	for (size_t i = 0; i < cfg->n_managers; i++) {
		if (strcmp(cfg->managers[i].name, v) == 0)
			return true;
		if (strcasecmp(cfg->managers[i].name, v) == 0)
			close = cfg->managers[i].name;
	}
	fprintf(stderr, "hcwatch: --manager: there is no [manager %s]", v);
	if (close)
		fprintf(stderr, "; did you mean \"%s\"?", close);
	fprintf(stderr, " (the sections are:");
	for (size_t i = 0; i < cfg->n_managers; i++)
		fprintf(stderr, " %s", cfg->managers[i].name);
	fprintf(stderr, "%s; \"none\" clears it)\n", cfg->n_managers ? "" : " none");
	return false;
}

static bool
check_amount(const char *flag, const char *v)
{
	const char *dot = strchr(v, '.');
	size_t n = strlen(v);

	if (is_none(v))
		return true;
	if (n > 0 && n <= 20 && strspn(v, "0123456789.") == n && (!dot || !strchr(dot + 1, '.')) &&
	    strcspn(v, "0123456789") < n)
		return true;
	fprintf(stderr,
	    "hcwatch: %s: expected an amount such as 100 or 99.50, or none; "
	    "got \"%s\"\n",
	    flag, v);
	return false;
}

/* "60,30,7" as the JSON array the statement takes, into out; false after saying why. */
static bool
check_stages(const char *v, struct buf *out)
{
	int st[CONFIG_MAX_STAGES], n = 0;

	if (is_none(v))
		return true;
	if (!config_stages(v, st, &n) || n == 0) {
		fprintf(stderr,
		    "hcwatch: --stages: expected days before expiry as in [alerts] expiry_stages, "
		    "such as 60,30,7, or none; got \"%s\"\n",
		    v);
		return false;
	}
	buf_append_char(out, '[');
	for (int i = 0; i < n; i++)
		buf_appendf(out, "%s%d", i ? "," : "", st[i]);
	buf_append_char(out, ']');
	return true;
}

static bool
check_runway(const char *v)
{
	char *end;
	long n;

	if (is_none(v))
		return true;
	n = strtol(v, &end, 10);
	if (*v && *end == '\0' && n >= 1 && n <= 3650)
		return true;
	fprintf(stderr, "hcwatch: --runway: expected days from 1 to 3650, or none; got \"%s\"\n",
	    v);
	return false;
}

static int
customers_set(const struct config *cfg, struct store *s, const char *ref, const struct cli_opts *o)
{
	struct store_customer_set x;
	struct buf stages;
	char err[STORE_ERR_LEN];
	json_t *c;
	bool done = false;
	int rc = 2;

	if (!o->manager && !o->threshold && !o->stages && !o->runway && !o->jump_factor &&
	    !o->jump_min) {
		fprintf(stderr,
		    "hcwatch: customers set ID needs --manager, --threshold, --stages, --runway, "
		    "--jump-factor or --jump-min (each a value, or none)\n");
		return 2;
	}
	buf_init(&stages);
	if ((o->manager && !check_manager(cfg, o->manager)) ||
	    (o->threshold && !check_amount("--threshold", o->threshold)) ||
	    (o->jump_factor && !check_amount("--jump-factor", o->jump_factor)) ||
	    (o->jump_min && !check_amount("--jump-min", o->jump_min)) ||
	    (o->stages && !check_stages(o->stages, &stages)) ||
	    (o->runway && !check_runway(o->runway)))
		goto out;
	rc = 1;
	if ((c = find(s, ref, true)) == NULL)
		goto out;
	json_decref(c);
	memset(&x, 0, sizeof(x));
	x.customer_id = ref;
	x.set_manager = o->manager != NULL;
	x.manager = o->manager && !is_none(o->manager) ? o->manager : "";
	x.set_threshold = o->threshold != NULL;
	x.threshold = o->threshold && !is_none(o->threshold) ? o->threshold : "";
	x.set_stages = o->stages != NULL;
	x.stages = stages.data ? stages.data : "";
	x.set_runway = o->runway != NULL;
	x.runway_days = o->runway && !is_none(o->runway) ? o->runway : "";
	x.set_jump_factor = o->jump_factor != NULL;
	x.jump_factor = o->jump_factor && !is_none(o->jump_factor) ? o->jump_factor : "";
	x.set_jump_min = o->jump_min != NULL;
	x.jump_min = o->jump_min && !is_none(o->jump_min) ? o->jump_min : "";
	if (store_customer_set(s, &x, &done, err, sizeof(err)) != STORE_OK) {
		log_error("%s", err);
		goto out;
	}
	if (!done) {
		fprintf(stderr, "hcwatch: no customer has the id \"%s\"\n", ref);
		goto out;
	}
	if ((c = find(s, ref, true)) != NULL) {
		print_customer(cfg, c);
		json_decref(c);
	}
	rc = 0;
out:
	buf_cleanup(&stages);
	return rc;
}

int
cmd_customers(const char *path, const struct cli_opts *o, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "list", *ref = argc > 1 ? argv[1] : NULL;
	char err[STORE_ERR_LEN], *json = NULL;
	struct config *cfg;
	struct store *s;
	int rc = 1;

	if (argc > 2 || (strcmp(sub, "list") != 0 && ref == NULL) ||
	    (strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0 && strcmp(sub, "set") != 0)) {
		fprintf(stderr,
		    "hcwatch: customers [list | show ID | set ID --manager NAME "
		    "--threshold AMOUNT --stages 60,30,7 --runway DAYS --jump-factor N "
		    "--jump-min AMOUNT] (see hcwatch "
		    "--help)\n");
		return 2;
	}
	if ((cfg = cli_load(path)) == NULL)
		return 1;
	s = store_open(cfg->database_url, cfg->connect_timeout, 0);
	if (strcmp(sub, "list") == 0) {
		int limit = o->limit > 0 ? o->limit : 100;

		if (store_customers_list(s, limit + 1, &json, err, sizeof(err)) == STORE_OK) {
			cli_print_table(json, CLI_COLUMNS(customer_columns), limit, "first",
			    "customers");
			printf("\n");
			cli_print_manager_counts(cfg, s, "");
			rc = 0;
		} else {
			log_error("%s", err);
		}
		free(json);
	} else if (strcmp(sub, "show") == 0) {
		json_t *c = find(s, ref, false);

		if (c) {
			print_customer(cfg, c);
			json_decref(c);
			printf("\nwhere customers' alerts go:\n");
			cli_print_manager_counts(cfg, s, "  ");
			rc = 0;
		}
	} else {
		rc = customers_set(cfg, s, ref, o);
	}
	store_close(s);
	config_free(cfg);
	log_shutdown();
	return rc;
}
