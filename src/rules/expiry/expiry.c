/*
 * expiry: a yearly/monthly resource on its way to expiry, told at each stage
 * of the ladder (README.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"
#include "util/xalloc.h"

static const char *const keys[] = { "expiry_stages", "expiry_stages_by_service", "expired",
	"frozen", "auto_renew_notice", "critical_days", "grace_days", "retention_days",
	"unknown_level", "deletion_stages", "released", NULL };

/* Deletion stages ('delete_3d') are told apart by the deletion fact. */
static const char *const stages[] = { "expired", "frozen", "notice", "renewed", "expiry_changed",
	"gone", "released", "closed", NULL };

/* clang-format off */
static const struct rule_fact facts[] = {
	RULE_CUSTOMER_FACTS,
	{ "resource_id", FACT_TEXT, NULL, "the resource's id" },
	{ "resource", FACT_TEXT, NULL, "its name (else its id)" },
	{ "service", FACT_TEXT, NULL, "its service, as Huawei Cloud names it" },
	{ "service_code", FACT_TEXT, NULL, "its service type code (English messages name it)" },
	{ "resource_type", FACT_TEXT, NULL, "its resource type, as Huawei Cloud names it" },
	{ "region", FACT_TEXT, NULL, "its region code" },
	{ "expire_time", FACT_OWN, NULL, "when it expires, UTC (RFC 3339)" },
	{ "expire_local", FACT_OWN, NULL, "when it expires, in [alerts] timezone" },
	{ "days_left", FACT_NUMBER, NULL, "whole days until then" },
	{ "auto_renew", FACT_FLAG, NULL, "auto-renewal is on (expire_policy 3)" },
	{ "stage", FACT_OWN, NULL,
	    "the stage it fired at: 30d … 1d, expired, frozen, notice, delete_3d … delete_1d" },
	{ "level", FACT_TEXT, NULL, "past expiry: the customer's level (V0 to V5), as Huawei gave it" },
	{ "freeze_local", FACT_OWN, NULL,
	    "past expiry: when the grace period ends and it is frozen, in [alerts] timezone" },
	{ "delete_time", FACT_OWN, NULL, "past expiry: when its data is deleted, UTC (RFC 3339)" },
	{ "delete_local", FACT_OWN, NULL, "past expiry: when its data is deleted, in [alerts] timezone" },
	{ "days_to_delete", FACT_NUMBER, NULL, "past expiry: whole days until its data is deleted" },
	{ "deletion", FACT_FLAG, NULL, "a stage before deletion (delete_3d …)" },
	{ "frozen_now", FACT_FLAG, NULL, "Huawei lists it as frozen (status 4)" },
	{ "delete_due", FACT_FLAG, NULL, "its deletion date has come and Huawei still lists it" },
	{ "resolution", FACT_OWN, NULL, "resolved: renewed, expiry_changed, gone, released, closed" },
	{ "new_expire_time", FACT_OWN, NULL, "resolved: the new expiry, UTC" },
	{ "new_expire_local", FACT_OWN, NULL, "resolved: the new expiry, in [alerts] timezone" },
	{ NULL, FACT_TEXT, NULL, NULL },
};
/* clang-format on */

static const struct rule_kind kinds[] = {
	{ "expiry", facts, stages },
	{ NULL, NULL, NULL },
};

/* {"V0": 1, …, "V5": 7} (validated at load). */
static json_t *
level_days(const char *value)
{
	int days[CONFIG_LEVELS];
	json_t *o = json_object();

	if (config_level_days(value, days)) {
		for (int i = 0; i < CONFIG_LEVELS; i++) {
			char level[4];

			snprintf(level, sizeof(level), "V%d", i);
			json_object_set_new(o, level, json_integer(days[i]));
		}
	}
	return o;
}

static void
settings(const struct config *cfg, json_t *s)
{
	json_t *by = json_object();
	int max = 0;
	char *copy, *save = NULL;

	json_object_set_new(s, "stages", rules_stages_json(cfg->al_expiry_stages, &max));
	/* "code: 14,7,1; code2: 30,7" (validated at load). */
	copy = xstrdup(cfg->al_expiry_stages_by_service);
	for (char *item = strtok_r(copy, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(item, ':'), *code = item, *end;

		if (colon == NULL)
			continue;
		*colon = '\0';
		while (*code == ' ')
			code++;
		end = code + strlen(code);
		while (end > code && end[-1] == ' ')
			*--end = '\0';
		json_object_set_new(by, code, rules_stages_json(colon + 1, &max));
	}
	free(copy);
	json_object_set_new(s, "by_service", by);
	json_object_set_new(s, "max_days", json_integer(max));
	json_object_set_new(s, "expired", json_boolean(cfg->al_expired));
	json_object_set_new(s, "frozen", json_boolean(cfg->al_frozen));
	json_object_set_new(s, "notice", json_boolean(cfg->al_auto_renew_notice));
	json_object_set_new(s, "critical_days", json_integer(cfg->al_critical_days));
	json_object_set_new(s, "grace", level_days(cfg->al_grace_days));
	json_object_set_new(s, "retention", level_days(cfg->al_retention_days));
	json_object_set_new(s, "unknown_level", json_sprintf("V%d", cfg->al_unknown_level));
	json_object_set_new(s, "deletion_stages", rules_stages_json(cfg->al_deletion_stages, NULL));
	json_object_set_new(s, "released", json_boolean(cfg->al_released));
}

/*
 * The ladder reads only the resources whose stage may have moved when the
 * previous run allows it (store_eval_begin found its marks), else all of
 * them. candidates.sql finds them into a temporary table that ladder.sql
 * reads, analysed in between so that the planner knows how many; a full
 * pass makes the table too, empty, since the statement names it.
 */
static enum store_result
run(const struct rule *r, struct rule_run *x)
{
	struct store_eval *e = x->e;
	const char *full = e->prev_seq[0] == '\0' ? "true" : "false";
	const char *p3[] = { e->now, e->settings, full };
	const char *p4[] = { e->now, e->settings, e->prev_now, e->prev_seq };
	long c[3] = { 0, 0, 0 };
	enum store_result res;

	(void)r;
	e->counts.full_pass = full[0] == 't';
	res = rule_step(x, SQL_RULE_EXPIRY_CANDIDATES_TABLE, NULL, c, 0);
	if (res == STORE_OK && !e->counts.full_pass) {
		res = rule_step(x, SQL_RULE_EXPIRY_CANDIDATES, p4, c, 0);
		if (res == STORE_OK)
			res = rule_step(x, SQL_RULE_EXPIRY_CANDIDATES_ANALYZE, NULL, c, 0);
	}
	if (res == STORE_OK)
		res = rule_step(x, SQL_RULE_EXPIRY_LADDER, p3, c, 3);
	e->counts.fired += c[0];
	e->counts.resolved += c[1];
	e->counts.notifications += c[2];
	return res;
}

const struct rule rule_expiry = {
	.name = "expiry",
	.kinds = kinds,
	.keys = keys,
	.settings = settings,
	.run = run,
};
