/* partner_low_balance: the partner's own cash account below its threshold (README.md). */
#include "rules/rules.h"

static const char *const keys[] = { "partner_low_balance_threshold", "low_balance_margin", NULL };
static const char *const stages[] = { "low", "recovered", NULL };

/* clang-format off */
static const struct rule_fact facts[] = {
	{ "account_id", FACT_TEXT, NULL, "the partner's account" },
	{ "amount", FACT_MONEY, NULL, "its balance" },
	{ "currency", FACT_TEXT, NULL, "the balance's currency" },
	{ "threshold", FACT_MONEY, NULL, "the threshold it is below" },
	{ "balance_local", FACT_OWN, NULL, "when it was read, in [alerts] timezone" },
	{ NULL, FACT_TEXT, NULL, NULL },
};
/* clang-format on */

static const struct rule_kind kinds[] = {
	{ "partner_low_balance", facts, stages },
	{ NULL, NULL, NULL },
};

static void
settings(const struct config *cfg, json_t *s)
{
	json_object_set_new(s, "partner_low", json_string(cfg->al_partner_low_balance_threshold));
	json_object_set_new(s, "margin", json_string(cfg->al_low_balance_margin));
}

const struct rule rule_partner_low_balance = {
	.name = "partner_low_balance",
	.kinds = kinds,
	.keys = keys,
	.settings = settings,
	.sql = SQL_RULE_PARTNER_LOW_BALANCE_EVALUATE,
	.resolution = "recovered",
};
