/* low_balance: a customer's available balance below its threshold (README.md). */
#include "rules/rules.h"

static const char *const keys[] = { "low_balance_threshold", "low_balance_margin", NULL };
static const char *const stages[] = { "low", "recovered", NULL };

/* clang-format off */
static const struct rule_fact facts[] = {
	RULE_CUSTOMER_FACTS,
	RULE_BALANCE_FACTS,
	{ "threshold", FACT_MONEY, NULL, "the threshold it is below" },
	{ NULL, FACT_TEXT, NULL, NULL },
};
/* clang-format on */

static const struct rule_kind kinds[] = {
	{ "low_balance", facts, stages },
	{ NULL, NULL, NULL },
};

static void
settings(const struct config *cfg, json_t *s)
{
	/* Amounts go as text, for PostgreSQL to read as exact numerics. */
	json_object_set_new(s, "low", json_string(cfg->al_low_balance_threshold));
	json_object_set_new(s, "margin", json_string(cfg->al_low_balance_margin));
}

/* What it reads: it runs when one of them changed (rules.c, run_gated). */
static const char *const inputs[] = { "customers", "customer_settings", "manager_accounts", NULL };

const struct rule rule_low_balance = {
	.name = "low_balance",
	.kinds = kinds,
	.keys = keys,
	.settings = settings,
	.sql = SQL_RULE_LOW_BALANCE_EVALUATE,
	.resolution = "recovered",
	.inputs = inputs,
};
