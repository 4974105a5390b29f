/* customer_bound: an accepted binding notification, told once (README.md). */
#include "rules/rules.h"

static const char *const keys[] = { "customer_notices", NULL };
static const char *const no_stages[] = { NULL };

/* clang-format off */
static const struct rule_fact facts[] = {
	RULE_CUSTOMER_FACTS,
	{ "xaccount_id", FACT_TEXT, NULL, "the partner's own id for the customer (xAccountId)" },
	{ "bind_action", FACT_TEXT, NULL, "what the notification said happened (bindAction)" },
	{ "at_local", FACT_OWN, NULL, "when it arrived, in [alerts] timezone" },
	{ NULL, FACT_TEXT, NULL, NULL },
};
/* clang-format on */

static const struct rule_kind kinds[] = {
	{ "customer_bound", facts, no_stages },
	{ NULL, NULL, NULL },
};

const struct rule rule_customer_bound = {
	.name = "customer_bound",
	.kinds = kinds,
	.keys = keys,
	/* customer_notices sets what it reads. */
	.settings = NULL,
	.sql = SQL_RULE_CUSTOMER_BOUND_EVALUATE,
	.notice = true,
};
