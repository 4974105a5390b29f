/* spend_jump: a customer's day of spending far above its usual (README.md). */
#include "rules/rules.h"

static const char *const keys[] = { "spend_jump_factor", "spend_jump_min", "spend_jump_days",
	NULL };
static const char *const stages[] = { "jump", NULL };

/* clang-format off */
static const struct rule_fact facts[] = {
	RULE_CUSTOMER_FACTS,
	{ "day", FACT_OWN, NULL, "the billing day (YYYY-MM-DD, [poller] billing_timezone)" },
	{ "amount", FACT_MONEY, NULL, "what it spent that day (after discounts)" },
	{ "median", FACT_MONEY, NULL, "its median daily spend over the days before" },
	{ "times", FACT_NUMBER, NULL, "amount ÷ median, one decimal; absent when the median is 0" },
	{ "days", FACT_NUMBER, NULL, "how many days before the median covers" },
	{ "currency", FACT_TEXT, NULL, "CNY" },
	{ NULL, FACT_TEXT, NULL, NULL },
};
/* clang-format on */

static const struct rule_kind kinds[] = {
	{ "spend_jump", facts, stages },
	{ NULL, NULL, NULL },
};

static void
settings(const struct config *cfg, json_t *s)
{
	/* Amounts as text, for PostgreSQL to read as exact numerics. */
	json_object_set_new(s, "spend_jump_factor", json_string(cfg->al_spend_jump_factor));
	json_object_set_new(s, "spend_jump_min", json_string(cfg->al_spend_jump_min));
	json_object_set_new(s, "spend_jump_days", json_integer(cfg->al_spend_jump_days));
}

/* What it reads: it runs when one of them changed (rules.c, run_gated). */
static const char *const inputs[] = { "customers", "customer_settings", "manager_accounts",
	"consumption_daily", NULL };

const struct rule rule_spend_jump = {
	.name = "spend_jump",
	.kinds = kinds,
	.keys = keys,
	.settings = settings,
	.sql = SQL_RULE_SPEND_JUMP_EVALUATE,
	.resolution = "passed",
	.inputs = inputs,
};
