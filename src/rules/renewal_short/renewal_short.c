/*
 * renewal_short: a customer's auto-renewals that its balance cannot pay, and
 * a charge that failed (README.md).
 */
#include "rules/rules.h"

static const char *const keys[] = { "renewal_stages", "renewal_charge_days", "renewal_window_days",
	"critical_days", NULL };
static const char *const stages[] = { "failed", "renewed", "topped_up", NULL };

/* clang-format off */
static const struct rule_fact facts[] = {
	RULE_CUSTOMER_FACTS,
	{ "resources", FACT_NUMBER, NULL, "the auto-renew resources charged in the window" },
	{ "unknown", FACT_NUMBER, NULL, "how many of them have no known price (absent: none)" },
	{ "failed", FACT_NUMBER, NULL, "how many were seen after their charge, not renewed (absent: none)" },
	{ "need", FACT_MONEY, NULL, "what the known prices add up to (absent: none known)" },
	{ "balance", FACT_MONEY, NULL, "the customer's available balance" },
	{ "coupons", FACT_MONEY, NULL, "its usable coupons that outlive the first charge" },
	{ "available", FACT_MONEY, NULL, "balance + coupons" },
	{ "currency", FACT_TEXT, NULL, "the balance's currency" },
	{ "first_resource", FACT_TEXT, NULL, "the resource charged first" },
	{ "charge_local", FACT_OWN, NULL, "the first charge (03:00 billing zone), in [alerts] timezone" },
	{ "expire_local", FACT_OWN, NULL, "when the first of them expires, in [alerts] timezone" },
	{ "days", FACT_NUMBER, NULL, "whole days until the first charge" },
	{ NULL, FACT_TEXT, NULL, NULL },
};
/* clang-format on */

static const struct rule_kind kinds[] = {
	{ "renewal_short", facts, stages },
	{ NULL, NULL, NULL },
};

static void
settings(const struct config *cfg, json_t *s)
{
	json_object_set_new(s, "renewal_stages", rules_stages_json(cfg->al_renewal_stages, NULL));
}

/* What it reads: it runs when one of them changed (rules.c, run_gated). */
static const char *const inputs[] = { "customers", "customer_settings", "manager_accounts",
	"resources", "renewal_prices", "renewal_charges", "coupons", NULL };

const struct rule rule_renewal_short = {
	.name = "renewal_short",
	.kinds = kinds,
	.keys = keys,
	.settings = settings,
	.sql = SQL_RULE_RENEWAL_SHORT_EVALUATE,
	.resolution = "topped_up",
	.inputs = inputs,
	.has_crossed = true,
	.crossed = SQL_ALERTS_GATE_RENEWALS,
};
