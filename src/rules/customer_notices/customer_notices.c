/*
 * customer_new, customer_frozen, customer_gone: what the poller saw happen
 * to a customer, told once (README.md).
 */
#include "rules/rules.h"

static const char *const keys[] = { "customer_notices", NULL };
static const char *const new_events[] = { "associated", "reassociated", NULL };
static const char *const frozen_events[] = { "frozen", NULL };
static const char *const gone_events[] = { "gone", NULL };

/* clang-format off */
#define EVENT_FACTS(events) \
	RULE_CUSTOMER_FACTS, \
	{ "event", FACT_CHOICE, events, "what the poller saw" }, \
	{ "old_value", FACT_TEXT, NULL, "the value before, where one changed" }, \
	{ "new_value", FACT_TEXT, NULL, "the value after" }, \
	{ "association_type", FACT_TEXT, NULL, "1 referral, 2 reseller (Huawei Cloud's code)" }, \
	{ "at_local", FACT_OWN, NULL, "when, in [alerts] timezone" }, \
	{ NULL, FACT_TEXT, NULL, NULL }

static const struct rule_fact new_facts[] = { EVENT_FACTS(new_events) };
static const struct rule_fact frozen_facts[] = { EVENT_FACTS(frozen_events) };
static const struct rule_fact gone_facts[] = { EVENT_FACTS(gone_events) };
/* clang-format on */

static const char *const no_stages[] = { NULL };

static const struct rule_kind kinds[] = {
	{ "customer_new", new_facts, no_stages },
	{ "customer_frozen", frozen_facts, no_stages },
	{ "customer_gone", gone_facts, no_stages },
	{ NULL, NULL, NULL },
};

static void
settings(const struct config *cfg, json_t *s)
{
	json_object_set_new(s, "customer_notices", json_boolean(cfg->al_customer_notices));
}

const struct rule rule_customer_notices = {
	.name = "customer_notices",
	.kinds = kinds,
	.keys = keys,
	.settings = settings,
	.sql = SQL_RULE_CUSTOMER_NOTICES_EVALUATE,
	.notice = true,
};
