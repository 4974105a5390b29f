/*
 * credentials_rejected, poller_behind, channel_failing, dead_letters:
 * hcwatch's own trouble, for the operator (README.md).
 */
#include "rules/rules.h"

static const char *const keys[] = { "credentials_rejected", "channel_failing",
	"dead_letters_threshold", "poller_behind_grace", NULL };
static const char *const no_stages[] = { NULL };

/* clang-format off */
#define SCOPE { "scope", FACT_OWN, NULL, "\"hcwatch\": the alert is about hcwatch itself" }

static const struct rule_fact credentials_facts[] = {
	SCOPE,
	{ "job", FACT_OWN, NULL, "the poller's job: customers, balances, resources, partner" },
	{ "error", FACT_TEXT, NULL, "what Huawei Cloud answered" },
	{ "at_local", FACT_OWN, NULL, "when, in [alerts] timezone" },
	{ NULL, FACT_TEXT, NULL, NULL },
};

static const struct rule_fact behind_facts[] = {
	SCOPE,
	{ "job", FACT_OWN, NULL, "the poller's job" },
	{ "last_ok_local", FACT_OWN, NULL, "when its last good run ended (empty: never)" },
	{ "due_local", FACT_OWN, NULL, "when the next was due, grace included" },
	{ NULL, FACT_TEXT, NULL, NULL },
};

static const struct rule_fact failing_facts[] = {
	SCOPE,
	{ "destination", FACT_OWN, NULL, "the destination's name ([destination NAME])" },
	{ "channel", FACT_OWN, NULL, "its type" },
	{ "error", FACT_TEXT, NULL, "the last error" },
	{ "code", FACT_TEXT, NULL, "the platform's error code, or the HTTP or SMTP status" },
	{ "dead", FACT_NUMBER, NULL, "its dead letters" },
	{ "at_local", FACT_OWN, NULL, "when the last one died, in [alerts] timezone" },
	{ NULL, FACT_TEXT, NULL, NULL },
};

static const struct rule_fact dead_facts[] = {
	SCOPE,
	{ "dead", FACT_NUMBER, NULL, "dead letters, every destination together" },
	{ "threshold", FACT_NUMBER, NULL, "[alerts] dead_letters_threshold" },
	{ NULL, FACT_TEXT, NULL, NULL },
};
/* clang-format on */

static const struct rule_kind kinds[] = {
	{ "credentials_rejected", credentials_facts, no_stages },
	{ "poller_behind", behind_facts, no_stages },
	{ "channel_failing", failing_facts, no_stages },
	{ "dead_letters", dead_facts, no_stages },
	{ NULL, NULL, NULL },
};

/* "on" says which of these rules run at all. */
static void
settings(const struct config *cfg, json_t *s)
{
	json_t *on = json_object();

	json_object_set_new(on, "credentials_rejected", json_boolean(cfg->al_credentials_rejected));
	json_object_set_new(on, "channel_failing", json_boolean(cfg->al_channel_failing));
	json_object_set_new(on, "dead_letters", json_boolean(cfg->al_dead_letters_threshold > 0));
	json_object_set_new(on, "poller_behind", json_boolean(cfg->al_poller_behind_grace > 0));
	json_object_set_new(s, "self",
	    json_pack("{s:i, s:i, s:o, s:b, s:b}", "dead_letters", cfg->al_dead_letters_threshold,
		"poller_grace", cfg->al_poller_behind_grace, "on", on, "coupons", cfg->poll_coupons,
		"consumption", cfg->poll_consumption));
}

/* Its statement reads no resolution: each of its alerts resolves as "recovered". */
const struct rule rule_self = {
	.name = "self",
	.kinds = kinds,
	.keys = keys,
	.settings = settings,
	.sql = SQL_RULE_SELF_EVALUATE,
};
