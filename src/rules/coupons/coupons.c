/*
 * coupon_expiry, coupon_quota_expiry, coupon_reclaimed: coupons about to
 * expire unused, and coupons Huawei reclaimed (README.md).
 */
#include "rules/rules.h"

static const char *const keys[] = { "coupon_stages", "coupon_reclaimed", NULL };

static const char *const coupon_stages[] = { "used", "expired", "reclaimed", "frozen", NULL };
static const char *const quota_stages[] = { "used", "expired", NULL };
static const char *const no_stages[] = { NULL };
static const char *const types[] = { "cash", "flexi", NULL };

/* clang-format off */
static const struct rule_fact coupon_facts[] = {
	RULE_CUSTOMER_FACTS,
	{ "coupon_id", FACT_TEXT, NULL, "the coupon's id" },
	{ "coupon_type", FACT_CHOICE, types, "cash (代金券) or flexi (现金券)" },
	{ "face_value", FACT_MONEY, NULL, "its face value" },
	{ "left", FACT_MONEY, NULL, "what is left on it, unused" },
	{ "currency", FACT_TEXT, NULL, "CNY" },
	{ "expire_time", FACT_OWN, NULL, "when it expires, UTC (RFC 3339)" },
	{ "expire_local", FACT_OWN, NULL, "when it expires, in [alerts] timezone" },
	{ "days_left", FACT_NUMBER, NULL, "whole days until then" },
	{ NULL, FACT_TEXT, NULL, NULL },
};

static const struct rule_fact quota_facts[] = {
	{ "quota_id", FACT_TEXT, NULL, "the quota's id" },
	{ "quota_type", FACT_CHOICE, types, "a quota of cash or of flexi-purchase coupons" },
	{ "quota_value", FACT_MONEY, NULL, "the quota's size" },
	{ "left", FACT_MONEY, NULL, "what is left to issue" },
	{ "currency", FACT_TEXT, NULL, "the quota's currency" },
	{ "expire_time", FACT_OWN, NULL, "when it expires, UTC (RFC 3339)" },
	{ "expire_local", FACT_OWN, NULL, "when it expires, in [alerts] timezone" },
	{ "days_left", FACT_NUMBER, NULL, "whole days until then" },
	{ NULL, FACT_TEXT, NULL, NULL },
};

static const struct rule_fact reclaimed_facts[] = {
	RULE_CUSTOMER_FACTS,
	{ "coupons", FACT_NUMBER, NULL, "how many of its coupons were reclaimed" },
	{ "amount", FACT_MONEY, NULL, "what was left on them" },
	{ "currency", FACT_TEXT, NULL, "CNY" },
	{ "at_local", FACT_OWN, NULL, "when (the latest), in [alerts] timezone" },
	{ NULL, FACT_TEXT, NULL, NULL },
};
/* clang-format on */

static const struct rule_kind kinds[] = {
	{ "coupon_expiry", coupon_facts, coupon_stages },
	{ "coupon_quota_expiry", quota_facts, quota_stages },
	{ "coupon_reclaimed", reclaimed_facts, no_stages },
	{ NULL, NULL, NULL },
};

static void
settings(const struct config *cfg, json_t *s)
{
	json_object_set_new(s, "coupon_stages", rules_stages_json(cfg->al_coupon_stages, NULL));
	json_object_set_new(s, "coupon_reclaimed", json_boolean(cfg->al_coupon_reclaimed));
}

static enum store_result
run(const struct rule *r, struct rule_run *x)
{
	const char *params[] = { x->e->now, x->e->settings };
	static const enum store_sql alarms[] = { SQL_RULE_COUPONS_COUPON_EXPIRY,
		SQL_RULE_COUPONS_QUOTA_EXPIRY };
	enum store_result res = STORE_OK;

	(void)r;
	for (size_t i = 0; i < sizeof(alarms) / sizeof(alarms[0]) && res == STORE_OK; i++) {
		long c[3] = { 0, 0, 0 };

		res = rule_step(x, alarms[i], params, c, 3);
		x->e->counts.fired += c[0];
		x->e->counts.resolved += c[1];
		x->e->counts.notifications += c[2];
	}
	if (res == STORE_OK) {
		long c[2] = { 0, 0 };

		res = rule_step(x, SQL_RULE_COUPONS_RECLAIMED, params, c, 2);
		x->e->counts.notices += c[1];
		x->e->counts.notifications += c[1];
	}
	return res;
}

/* What it reads: it runs when one of them changed (rules.c, run_gated). */
static const char *const inputs[] = { "customers", "customer_settings", "manager_accounts",
	"coupons", "coupon_quotas", "coupon_records", "poll_runs", NULL };

const struct rule rule_coupons = {
	.name = "coupons",
	.kinds = kinds,
	.keys = keys,
	.settings = settings,
	.run = run,
	.inputs = inputs,
	.has_crossed = true,
	.crossed = SQL_RULE_COUPONS_GATE,
};
