/*
 * The alert rules. A rule is one folder of src/rules:
 *
 *   <rule>.c                its row: the kinds of alert it raises and the facts
 *                           each carries, the [alerts] settings it reads, and
 *                           how its statements run
 *   *.sql                   its statements (SQL_RULE_<RULE>_<NAME>)
 *   <kind>.<lang>.mustache  the wording of each kind, in zh and en: the
 *                           defaults an operator's templates replace
 *   README.md               what it does, for the people who run it
 *
 * Adding a rule is a folder, a line in rules.c and a migration that lets
 * alerts.kind hold its kinds.
 */
#ifndef HCWATCH_RULES_RULES_H
#define HCWATCH_RULES_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/config.h"
#include "store/store.h"

/* How a fact is written into a message. */
enum rule_fact_type {
	FACT_TEXT,   /* from outside (names, ids, a platform's error text): escaped as such */
	FACT_OWN,    /* hcwatch's own (times, job and destination names): kept on one line */
	FACT_NUMBER, /* a number, or "?" */
	FACT_MONEY,  /* an amount with the item's currency: "80.10 元", "80.10 USD" */
	FACT_FLAG,   /* true or false, for a section */
	FACT_CHOICE, /* one of values: a section per value, <name>_<value> */
};

struct rule_fact {
	const char *name;
	enum rule_fact_type type;
	const char *const *values; /* FACT_CHOICE: NULL-terminated */
	const char *meaning;	   /* one line, for hcwatch rules */
};

/* clang-format off */
/* The facts of every alert about one customer. */
#define RULE_CUSTOMER_FACTS \
	{ "customer_id", FACT_TEXT, NULL, "the customer's Huawei Cloud account id" }, \
	{ "customer", FACT_TEXT, NULL, "its name (else its account name, else its id)" }, \
	{ "account_name", FACT_TEXT, NULL, "its Huawei Cloud account name" }, \
	{ "manager", FACT_TEXT, NULL, "its account manager (customer_settings)" }

/* The facts of a customer's balance, as the poller last read it. */
#define RULE_BALANCE_FACTS \
	{ "amount", FACT_MONEY, NULL, "the available balance" }, \
	{ "debt", FACT_MONEY, NULL, "the amount owed" }, \
	{ "currency", FACT_TEXT, NULL, "the balance's currency (CNY, USD)" }, \
	{ "balance_local", FACT_OWN, NULL, "when it was read, in [alerts] timezone" }
/* clang-format on */

/* One kind of alert (alerts.kind), the facts its items carry and the stages it moves through. */
struct rule_kind {
	const char *kind;
	const struct rule_fact *facts; /* ends with a NULL name */
	/* The stages a template can tell apart ({{#stage_expired}}); NULL-terminated. */
	const char *const *stages;
};

/* What one run of a rule adds up, and where it runs. */
struct rule_run {
	struct store *s;
	struct store_eval *e;
	char *err;
	size_t errlen;
};

struct rule {
	const char *name;
	const struct rule_kind *kinds; /* ends with a NULL kind */
	/* The [alerts] keys it reads; NULL-terminated. */
	const char *const *keys;
	/* Adds what its statements read to the settings document. */
	void (*settings)(const struct config *cfg, json_t *s);
	/*
	 * Its statement, run with (now, settings, resolution) for an alarm, whose
	 * first row counts the alerts fired, resolved and to be told, or with
	 * (now, settings) for a notice, counted in its second column. run, when
	 * set, is used instead.
	 */
	enum store_sql sql;
	const char *resolution; /* an alarm's: what a resolved alert's stage says */
	bool notice;
	enum store_result (*run)(const struct rule *r, struct rule_run *x);
	/*
	 * The tables it reads (rule_inputs), NULL-terminated. When set, an
	 * evaluation that is not --full runs it only if its gate moved: one of
	 * them changed, the settings changed, an hour passed, or crossed (run
	 * with the rule's name, now and the settings) says the clock passed a
	 * moment one of its rows names.
	 */
	const char *const *inputs;
	bool has_crossed;
	enum store_sql crossed;
};

/** One statement of a rule's run: counts[] gets the first ncounts columns of its first row. */
static inline enum store_result
rule_step(struct rule_run *x, enum store_sql id, const char *const *params, long *counts,
    int ncounts)
{
	return store_eval_step(x->s, id, params, counts, ncounts, x->err, x->errlen);
}

/** The rules in the order an evaluation runs them; NULL-terminated. */
extern const struct rule *const rules[];
/** The kind's row, among the rules and the sample of send-test; NULL if none. */
const struct rule_kind *rules_kind(const char *kind);
/** Whether an alert can be of this kind (a rule raises it; send-test's sample is not one). */
bool rules_kind_known(const char *kind);
/** The fact of k named name, or NULL. */
const struct rule_fact *rules_fact(const struct rule_kind *k, const char *name);

/** Stages as written in the configuration ("30,7,1", validated at load) as a JSON array; *max,
 * when not NULL, is raised to the furthest. */
json_t *rules_stages_json(const char *value, int *max);
/** {"huawei login": "manager"} of the [manager] sections that name one (new reference). */
json_t *rules_manager_logins(const struct config *cfg);
/** The settings document every rule's statements read (caller frees). */
char *rules_settings_json(const struct config *cfg);

/** Runs every rule inside the evaluation x->e, adding to its counts. */
enum store_result rules_run(struct rule_run *x);

/* The built-in wording: <kind>.<lang>.mustache of every rule, compiled in. */
struct rule_template {
	const char *kind;
	const char *language; /* "zh", "en" */
	const char *text;
};
extern const struct rule_template rule_templates[];

#endif
