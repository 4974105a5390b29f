#include "rules/rules.h"

#include <stdlib.h>
#include <string.h>

extern const struct rule rule_expiry, rule_low_balance, rule_arrears, rule_runway,
    rule_partner_low_balance, rule_customer_notices, rule_customer_bound, rule_self, rule_coupons,
    rule_spend_jump, rule_renewal_short;
extern const struct rule_kind rule_send_test_kind;

/* The order of a run: hcwatch's own alerts last, so that they see this run's dead letters. */
const struct rule *const rules[] = {
	&rule_expiry,
	&rule_low_balance,
	&rule_arrears,
	&rule_runway,
	&rule_partner_low_balance,
	&rule_coupons,
	&rule_spend_jump,
	&rule_renewal_short,
	&rule_customer_notices,
	&rule_customer_bound,
	&rule_self,
	NULL,
};

const struct rule_kind *
rules_kind(const char *kind)
{
	for (size_t i = 0; rules[i]; i++) {
		for (const struct rule_kind *k = rules[i]->kinds; k->kind; k++) {
			if (strcmp(k->kind, kind) == 0)
				return k;
		}
	}
	return strcmp(kind, rule_send_test_kind.kind) == 0 ? &rule_send_test_kind : NULL;
}

bool
rules_kind_known(const char *kind)
{
	const struct rule_kind *k = rules_kind(kind);

	return k != NULL && k != &rule_send_test_kind;
}

const struct rule_fact *
rules_fact(const struct rule_kind *k, const char *name)
{
	for (const struct rule_fact *f = k->facts; f->name; f++) {
		if (strcmp(f->name, name) == 0)
			return f;
	}
	return NULL;
}

json_t *
rules_stages_json(const char *value, int *max)
{
	int st[CONFIG_MAX_STAGES], n = 0;
	json_t *a = json_array();

	if (config_stages(value, st, &n)) {
		for (int i = 0; i < n; i++) {
			json_array_append_new(a, json_integer(st[i]));
			if (max && st[i] > *max)
				*max = st[i];
		}
	}
	return a;
}

json_t *
rules_manager_logins(const struct config *cfg)
{
	json_t *hw = json_object();

	for (size_t i = 0; i < cfg->n_managers; i++)
		if (cfg->managers[i].huawei_account[0])
			json_object_set_new(hw, cfg->managers[i].huawei_account,
			    json_string(cfg->managers[i].name));
	return hw;
}

char *
rules_settings_json(const struct config *cfg)
{
	json_t *s = json_object();
	char *out;

	/* Every rule writes its times in this zone. */
	json_object_set_new(s, "tz", json_string(cfg->al_timezone));
	/* Huawei's billing days are in this zone. */
	json_object_set_new(s, "billing_tz", json_string(cfg->poll_billing_timezone));
	/* When Huawei charges auto-renewals, and how far ahead they are summed (renewal_short and
	 * runway). */
	json_object_set_new(s, "renewal_charge_days", json_integer(cfg->al_renewal_charge_days));
	json_object_set_new(s, "renewal_window_days", json_integer(cfg->al_renewal_window_days));
	/* Which [manager] stands for which of Huawei's account managers (manager_accounts). */
	json_object_set_new(s, "huawei_managers", rules_manager_logins(cfg));
	for (size_t i = 0; rules[i]; i++) {
		if (rules[i]->settings)
			rules[i]->settings(cfg, s);
	}
	out = json_dumps(s, JSON_COMPACT);
	json_decref(s);
	return out;
}

/* An alarm: (now, settings[, resolution]) → fired, resolved, to be told. */
static enum store_result
run_alarm(const struct rule *r, struct rule_run *x)
{
	const char *params[] = { x->e->now, x->e->settings, r->resolution };
	long c[3] = { 0, 0, 0 };
	enum store_result res = rule_step(x, r->sql, params, c, 3);

	x->e->counts.fired += c[0];
	x->e->counts.resolved += c[1];
	x->e->counts.notifications += c[2];
	return res;
}

/* A notice: (now, settings) → events read, notices to be told. */
static enum store_result
run_notice(const struct rule *r, struct rule_run *x)
{
	const char *params[] = { x->e->now, x->e->settings };
	long c[2] = { 0, 0 };
	enum store_result res = rule_step(x, r->sql, params, c, 2);

	x->e->counts.notices += c[1];
	x->e->counts.notifications += c[1];
	return res;
}

static enum store_result
run_rule(const struct rule *r, struct rule_run *x)
{
	if (r->run)
		return r->run(r, x);
	return r->notice ? run_notice(r, x) : run_alarm(r, x);
}

/*
 * A rule with inputs runs only when its gate moved since its last run
 * (migration 0020): an evaluation with nothing new does not read every
 * customer again. --full runs it whatever the gate says.
 */
static enum store_result
run_gated(const struct rule *r, struct rule_run *x)
{
	json_t *a = json_array();
	char *inputs, version[24];
	long g[2] = { 0, 0 };
	enum store_result res;

	for (size_t i = 0; r->inputs[i]; i++)
		json_array_append_new(a, json_string(r->inputs[i]));
	inputs = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	{
		const char *params[] = { r->name, x->e->now, x->e->settings, inputs };

		res = rule_step(x, SQL_ALERTS_GATE, params, g, 2);
	}
	free(inputs);
	if (res != STORE_OK)
		return res;
	if (!g[0] && r->has_crossed && !x->e->full) {
		const char *params[] = { r->name, x->e->now, x->e->settings };

		if ((res = rule_step(x, r->crossed, params, &g[0], 1)) != STORE_OK)
			return res;
	}
	if (!g[0] && !x->e->full) {
		x->e->counts.gated++;
		return STORE_OK;
	}
	if ((res = run_rule(r, x)) != STORE_OK)
		return res;
	snprintf(version, sizeof(version), "%ld", g[1]);
	{
		const char *params[] = { r->name, version, x->e->settings, x->e->now };

		return rule_step(x, SQL_ALERTS_GATE_SET, params, NULL, 0);
	}
}

enum store_result
rules_run(struct rule_run *x)
{
	for (size_t i = 0; rules[i]; i++) {
		const struct rule *r = rules[i];
		enum store_result res = r->inputs ? run_gated(r, x) : run_rule(r, x);

		if (res != STORE_OK)
			return res;
	}
	return STORE_OK;
}
