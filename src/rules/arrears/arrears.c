/* arrears: a customer that owes money (README.md). */
#include "rules/rules.h"

static const char *const keys[] = { "arrears", NULL };
static const char *const stages[] = { "arrears", "paid", NULL };

/* clang-format off */
static const struct rule_fact facts[] = {
	RULE_CUSTOMER_FACTS,
	RULE_BALANCE_FACTS,
	{ NULL, FACT_TEXT, NULL, NULL },
};
/* clang-format on */

static const struct rule_kind kinds[] = {
	{ "arrears", facts, stages },
	{ NULL, NULL, NULL },
};

static void
settings(const struct config *cfg, json_t *s)
{
	json_object_set_new(s, "arrears", json_boolean(cfg->al_arrears));
}

/* What it reads: it runs when one of them changed (rules.c, run_gated). */
static const char *const inputs[] = { "customers", "customer_settings", "manager_accounts", NULL };

const struct rule rule_arrears = {
	.name = "arrears",
	.kinds = kinds,
	.keys = keys,
	.settings = settings,
	.sql = SQL_RULE_ARREARS_EVALUATE,
	.resolution = "paid",
	.inputs = inputs,
};
