/* runway: a customer's balance lasts fewer days than runway_days at its recent spending
 * (README.md). */
#include "rules/rules.h"

static const char *const keys[] = { "runway_days", "runway_window_days", "runway_margin_days",
	NULL };
static const char *const stages[] = { "runway", "recovered", NULL };
static const char *const sources[] = { "consumption", "balance", NULL };

/* clang-format off */
static const struct rule_fact facts[] = {
	RULE_CUSTOMER_FACTS,
	RULE_BALANCE_FACTS,
	{ "daily_spend", FACT_MONEY, NULL, "the average daily spending over the window" },
	{ "days_left", FACT_NUMBER, NULL, "whole days the balance lasts at that pace" },
	{ "runway_days", FACT_NUMBER, NULL, "the days it fires below" },
	{ "renewals", FACT_MONEY, NULL,
	    "auto-renewals charged within [alerts] renewal_window_days, taken off first" },
	{ "spend_source", FACT_CHOICE, sources,
	    "consumption (the records' cash and debt) or balance (drops between snapshots)" },
	{ NULL, FACT_TEXT, NULL, NULL },
};
/* clang-format on */

static const struct rule_kind kinds[] = {
	{ "runway", facts, stages },
	{ NULL, NULL, NULL },
};

static void
settings(const struct config *cfg, json_t *s)
{
	json_object_set_new(s, "runway_days", json_integer(cfg->al_runway_days));
	json_object_set_new(s, "runway_window", json_integer(cfg->al_runway_window_days));
	json_object_set_new(s, "runway_margin", json_integer(cfg->al_runway_margin_days));
}

/* What it reads: it runs when one of them changed (rules.c, run_gated). */
static const char *const inputs[] = { "customers", "customer_settings", "manager_accounts",
	"balance_days", "consumption_daily", "resources", "renewal_prices", "renewal_charges",
	NULL };

const struct rule rule_runway = {
	.name = "runway",
	.kinds = kinds,
	.keys = keys,
	.settings = settings,
	.sql = SQL_RULE_RUNWAY_EVALUATE,
	.resolution = "recovered",
	.inputs = inputs,
	.has_crossed = true,
	.crossed = SQL_ALERTS_GATE_RENEWALS,
};
