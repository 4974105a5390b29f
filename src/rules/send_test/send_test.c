/*
 * test: the first item of the sample that hcwatch send-test sends, saying
 * that the rest are samples. Not a rule: nothing evaluates it and no alert
 * is of this kind, but its wording is a template like any other.
 */
#include "rules/rules.h"

/* clang-format off */
static const struct rule_fact facts[] = {
	{ "scope", FACT_OWN, NULL, "\"hcwatch\"" },
	{ NULL, FACT_TEXT, NULL, NULL },
};
/* clang-format on */

static const char *const no_stages[] = { NULL };

const struct rule_kind rule_send_test_kind = { "test", facts, no_stages };
