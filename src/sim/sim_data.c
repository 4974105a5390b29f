/* hcwatch-sim serve's data: generated from a seed or loaded, looked up, and changed by tests. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sim/sim_huawei.h"
#include "util/clock.h"

uint64_t
sim_rng_next(uint64_t *s)
{
	/* splitmix64: small, seeded, the same on every machine. */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double
sim_rng_unit(uint64_t *s)
{
	return (double)(sim_rng_next(s) >> 11) / 9007199254740992.0;
}

void
sim_reindex(struct sim *s)
{
	json_t *custs = json_object_get(s->data, "customers");
	size_t i;
	json_t *c;

	json_decref(s->index);
	s->index = json_object();
	json_array_foreach(custs, i, c) {
		const char *id = json_string_value(json_object_get(c, "customer_id"));

		if (id)
			json_object_set_new(s->index, id, json_integer((json_int_t)i));
	}
}

json_t *
sim_find_customer(struct sim *s, const char *id)
{
	json_t *pos = id ? json_object_get(s->index, id) : NULL;

	return pos ?
	    json_array_get(json_object_get(s->data, "customers"), (size_t)json_integer_value(pos)) :
	    NULL;
}

/*
 * Customers: one in five a referral (consultant-sales) customer, one in
 * twelve frozen; resale customers have balances, one in seven in arrears.
 * Resources: mostly in use, expiring over the next 90 days; some expired,
 * some frozen; about a third on auto-renew.
 */
json_t *
sim_generate(int ncust, int per, uint64_t seed)
{
	static const char *const services[][4] = {
		{ "hws.service.type.ec2", "弹性云服务器", "hws.resource.type.vm",
		    "s6.large.2.linux" },
		{ "hws.service.type.ebs", "云硬盘", "hws.resource.type.volume", "SSD" },
		{ "hws.service.type.obs", "对象存储服务", "hws.resource.type.obs", "obs.standard" },
		{ "hws.service.type.rds", "云数据库", "hws.resource.type.rds.vm",
		    "rds.mysql.c6.large.2" },
		{ "hws.service.type.vpc", "虚拟私有云", "hws.resource.type.bandwidth",
		    "bandwidth.bgp" },
	};
	static const char *const regions[] = { "cn-north-4", "cn-east-3", "cn-south-1",
		"ap-southeast-1" };
	json_t *custs = json_array(), *data;
	int64_t now = clock_wall_us() / 1000000;
	uint64_t r = seed;

	for (int i = 0; i < ncust; i++) {
		char id[40], name[32], real[48], xid[32], at[CLOCK_UTC_S_LEN], manager[16],
		    level[4];
		bool referral = sim_rng_unit(&r) < 0.2;
		json_t *c, *res = json_array();

		snprintf(id, sizeof(id), "%016llx%016llx", (unsigned long long)sim_rng_next(&r),
		    (unsigned long long)sim_rng_next(&r));
		snprintf(name, sizeof(name), "customer%05d", i);
		snprintf(real, sizeof(real), "测试客户%05d有限公司", i);
		snprintf(xid, sizeof(xid), "x-%05d", i);
		clock_format_utc_s(now - (int64_t)(sim_rng_unit(&r) * 400 * 86400), at, sizeof(at));
		/* Three of Huawei's account managers for three customers in four; none for the
		 * rest. */
		snprintf(manager, sizeof(manager), "am-%02d", i % 3);
		/* Every customer level in turn: grace and retention periods differ by level. */
		snprintf(level, sizeof(level), "V%d", i % 6);
		c = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:i,s:o,s:s,s:s,s:s,s:s}",
		    "customer_id", id, "account_name", name, "customer", real, "associated_on", at,
		    "association_type", referral ? "1" : "2", "label", i % 3 ? "" : "key-account",
		    "telephone", "", "country_code", "0086", "customer_type", 1, "is_frozen",
		    sim_rng_unit(&r) < 0.08 ? 1 : 0, "account_managers",
		    i % 4 == 3 ? json_array() : json_pack("[{s:s}]", "account_name", manager),
		    "xaccount_id", xid, "xaccount_type", "partner_platform", "customer_level",
		    level, "verified_status", "2");
		/* One customer in five has not created the partner's agency: no assume_role. */
		if (i % 5 == 4)
			json_object_set_new(c, "agency", json_false());
		if (!referral) {
			bool debt = sim_rng_unit(&r) < 0.15;
			long cents = debt ? 0 : (long)(sim_rng_unit(&r) * 5000000);
			long debt_cents = debt ? (long)(1 + sim_rng_unit(&r) * 200000) : 0;
			char amount[32], debt_amount[32];

			snprintf(amount, sizeof(amount), "%ld.%02ld", cents / 100, cents % 100);
			snprintf(debt_amount, sizeof(debt_amount), "%ld.%02ld", debt_cents / 100,
			    debt_cents % 100);
			json_object_set_new(c, "balance",
			    json_pack("{s:f,s:f,s:s,s:i}", "amount", atof(amount), "debt_amount",
				atof(debt_amount), "currency", "CNY", "measure_id", 1));
		}
		for (int k = 0; k < per; k++) {
			const char *const *svc = services[sim_rng_next(&r) % 5];
			double u = sim_rng_unit(&r);
			int status = u < 0.85 ? 2 : u < 0.93 ? 5 : 4;
			int64_t expire = status == 2 ?
			    now + 3600 + (int64_t)(sim_rng_unit(&r) * 90 * 86400) :
			    now - 86400 - (int64_t)(sim_rng_unit(&r) * 20 * 86400);
			int policy = sim_rng_unit(&r) < 0.33 ? 3 : (int)(sim_rng_next(&r) % 2);
			char rid[48], iid[40], rname[48], exp[CLOCK_UTC_S_LEN],
			    eff[CLOCK_UTC_S_LEN];

			snprintf(rid, sizeof(rid), "%08llx-%04llx-%04llx-%012llx",
			    (unsigned long long)(sim_rng_next(&r) & 0xffffffffULL),
			    (unsigned long long)(sim_rng_next(&r) & 0xffff),
			    (unsigned long long)(sim_rng_next(&r) & 0xffff),
			    (unsigned long long)(sim_rng_next(&r) & 0xffffffffffffULL));
			snprintf(iid, sizeof(iid), "CS%016llX",
			    (unsigned long long)sim_rng_next(&r));
			snprintf(rname, sizeof(rname), "%s-%d", name, k);
			clock_format_utc_s(expire, exp, sizeof(exp));
			clock_format_utc_s(expire - 365 * 86400, eff, sizeof(eff));
			json_array_append_new(res,
			    json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,"
				      "s:s,s:s,s:i,s:i,s:s,s:s,s:i,s:s,s:f,s:i,s:s,s:{s:s,s:s}}",
				"id", iid, "resource_id", rid, "resource_name", rname,
				"region_code", regions[sim_rng_next(&r) % 4], "service_type_code",
				svc[0], "service_type_name", svc[1], "resource_type_code", svc[2],
				"resource_type_name", svc[1], "resource_spec_code", svc[3],
				"project_id", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "product_id",
				"OFFI000000000001", "parent_resource_id", "", "is_main_resource", 1,
				"status", status, "effective_time", eff, "expire_time", exp,
				"expire_policy", policy, "product_spec_desc", svc[3], "spec_size",
				0.0, "spec_size_measure_id", 0, "update_time", eff,
				"enterprise_project", "id", "0", "name", "default"));
		}
		json_object_set_new(c, "resources", res);
		json_array_append_new(custs, c);
	}
	data = json_pack(
	    "{s:o,s:[{s:s,s:i,s:f,s:s,s:f,s:f,s:i,s:s},{s:s,s:i,s:f,s:s,s:f,s:f,s:i,s:s}]}",
	    "customers", custs, "partner_balances", "account_id", "partner-balance-1",
	    "account_type", 1, "amount", 1250000.5, "currency", "CNY", "designated_amount", 0.0,
	    "credit_amount", 0.0, "measure_id", 1, "memo", "", "account_id", "partner-credit-1",
	    "account_type", 2, "amount", 300000.0, "currency", "CNY", "designated_amount", 0.0,
	    "credit_amount", 500000.0, "measure_id", 1, "memo", "");
	return data;
}

json_int_t
sim_int_field(json_t *in, const char *key, json_int_t def, bool *bad)
{
	json_t *v = json_object_get(in, key);

	if (v == NULL || json_is_null(v))
		return def;
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v) && *json_string_value(v)) {
		char *end;
		long long x = strtoll(json_string_value(v), &end, 10);

		if (*end == '\0')
			return x;
	}
	*bad = true;
	return def;
}

const char *
sim_str_field(json_t *in, const char *key)
{
	const char *v = json_string_value(json_object_get(in, key));

	return v && *v ? v : NULL;
}

json_t *
sim_public_customer(json_t *c)
{
	json_t *o = json_deep_copy(c);

	json_object_del(o, "balance");
	json_object_del(o, "resources");
	return o;
}

bool
sim_time_field(json_t *in, const char *key, int64_t *out, bool *present)
{
	const char *v = sim_str_field(in, key);

	*present = v != NULL;
	return v == NULL || clock_parse_utc_s(v, out);
}

/* Huawei's account-name rule: 5-32 characters, a letter or '-' first, no op_/shadow_, not all
 * digits. */
bool
sim_valid_account_name(const char *n)
{
	size_t len = strlen(n);
	bool digits = true;

	if (len < 5 || len > 32 || strncmp(n, "op_", 3) == 0 || strncmp(n, "shadow_", 7) == 0)
		return false;
	if (!((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z') || n[0] == '-'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '_' || c == '-'))
			return false;
		if (c < '0' || c > '9')
			digits = false;
	}
	return !digits;
}

json_t *
sim_customer_where(struct sim *s, const char *field, const char *value)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(s->data, "customers"), i, c) {
		const char *v = sim_str_field(c, field);

		if (v && strcmp(v, value) == 0)
			return c;
	}
	return NULL;
}

json_t *
sim_find_resource(struct sim *s, const char *rid, json_t **owner, size_t *pos)
{
	size_t i, k;
	json_t *c, *r;

	json_array_foreach(json_object_get(s->data, "customers"), i, c) {
		json_array_foreach(json_object_get(c, "resources"), k, r) {
			const char *id = sim_str_field(r, "resource_id");

			if (id && strcmp(id, rid) == 0) {
				if (owner)
					*owner = c;
				if (pos)
					*pos = k;
				return r;
			}
		}
	}
	return NULL;
}

/* One change to the data; see the README of the simulator for the operations. */
bool
sim_mutate(struct sim *s, json_t *op, char *err, size_t errlen)
{
	const char *name = sim_str_field(op, "op");
	const char *cid = sim_str_field(op, "customer_id"), *rid = sim_str_field(op, "resource_id");
	json_t *set = json_object_get(op, "set");
	json_t *custs = json_object_get(s->data, "customers");
	json_t *c = sim_find_customer(s, cid), *r;

	if (name == NULL) {
		snprintf(err, errlen, "each operation needs \"op\"");
		return false;
	}
	if (strcmp(name, "customer") == 0 || strcmp(name, "balance") == 0) {
		if (c == NULL || !json_is_object(set)) {
			snprintf(err, errlen,
			    "%s: unknown customer_id, or \"set\" is not an object", name);
			return false;
		}
		if (strcmp(name, "customer") == 0) {
			json_object_update(c, set);
		} else {
			if (json_object_get(c, "balance") == NULL)
				json_object_set_new(c, "balance",
				    json_pack("{s:s,s:i}", "currency", "CNY", "measure_id", 1));
			json_object_update(json_object_get(c, "balance"), set);
		}
		sim_reindex(s);
		return true;
	}
	if (strcmp(name, "add_customer") == 0) {
		json_t *nc = json_object_get(op, "customer");

		if (!json_is_object(nc) || !sim_str_field(nc, "customer_id") ||
		    sim_find_customer(s, sim_str_field(nc, "customer_id"))) {
			snprintf(err, errlen, "add_customer: \"customer\" needs a new customer_id");
			return false;
		}
		nc = json_deep_copy(nc);
		if (!json_is_array(json_object_get(nc, "resources")))
			json_object_set_new(nc, "resources", json_array());
		json_array_append_new(custs, nc);
		sim_reindex(s);
		return true;
	}
	if (strcmp(name, "remove_customer") == 0) {
		json_t *pos = cid ? json_object_get(s->index, cid) : NULL;

		if (pos == NULL) {
			snprintf(err, errlen, "remove_customer: unknown customer_id");
			return false;
		}
		json_array_remove(custs, (size_t)json_integer_value(pos));
		sim_reindex(s);
		return true;
	}
	if (strcmp(name, "add_resource") == 0) {
		json_t *nr = json_object_get(op, "resource");

		if (c == NULL || !json_is_object(nr) || !sim_str_field(nr, "resource_id")) {
			snprintf(err, errlen,
			    "add_resource: needs a known customer_id and a resource "
			    "with resource_id");
			return false;
		}
		json_array_append_new(json_object_get(c, "resources"), json_deep_copy(nr));
		return true;
	}
	if (strcmp(name, "resource") == 0 || strcmp(name, "remove_resource") == 0) {
		json_t *owner = NULL;
		size_t pos = 0;

		r = rid ? sim_find_resource(s, rid, &owner, &pos) : NULL;
		if (r == NULL) {
			snprintf(err, errlen, "%s: unknown resource_id", name);
			return false;
		}
		if (strcmp(name, "remove_resource") == 0) {
			json_array_remove(json_object_get(owner, "resources"), pos);
			return true;
		}
		if (!json_is_object(set)) {
			snprintf(err, errlen, "resource: \"set\" must be an object");
			return false;
		}
		json_object_update(r, set);
		return true;
	}
	if (strcmp(name, "partner_balances") == 0) {
		if (!json_is_array(set)) {
			snprintf(err, errlen, "partner_balances: \"set\" must be an array");
			return false;
		}
		json_object_set(s->data, "partner_balances", set);
		return true;
	}
	snprintf(err, errlen, "unknown op \"%s\"", name);
	return false;
}
