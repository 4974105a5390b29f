/*
 * hcwatch-sim serve's coupons: the coupon quotas Huawei gives the partner,
 * the coupons the partner issued to its resale customers, and the record of
 * coupons reclaimed when a customer dissociated; generated, served, changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sim/sim_huawei.h"
#include "util/clock.h"

#define PAGE_MAX 100 /* the largest limit the sibling APIs document; stricter than none */

/* v is the text want; any v when want is NULL (no filter). */
static bool
same_text(json_t *v, const char *want)
{
	return want == NULL || (json_is_string(v) && strcmp(json_string_value(v), want) == 0);
}

static void
money(json_t *o, const char *key, long cents)
{
	json_object_set_new(o, key, json_real((double)cents / 100.0));
}

/*
 * Coupons for one resale customer in two, from their own stream of the
 * seed so that the customers and resources stay as they were: most usable,
 * a quarter of those expiring within two weeks, some used or expired. Three
 * quotas, one expiring within ten days, unless there are no customers.
 */
void
sim_generate_coupons(json_t *data, uint64_t seed)
{
	json_t *coupons = json_array(), *quotas = json_array(), *c;
	int64_t now = clock_wall_us() / 1000000;
	uint64_t r = seed ^ 0xc0c0a5e5d15c0b17ULL;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(data, "customers"), i, c) {
		const char *type = sim_str_field(c, "association_type");
		int count;

		if (type == NULL || strcmp(type, "2") != 0 || sim_rng_unit(&r) < 0.5)
			continue;
		count = 1 + (int)(sim_rng_next(&r) % 3);
		for (int k = 0; k < count; k++, n++) {
			char id[32], eff[CLOCK_UTC_S_LEN], exp[CLOCK_UTC_S_LEN];
			double u = sim_rng_unit(&r);
			int status = u < 0.8 ? 2 : u < 0.9 ? 3 : 4;
			long face = 100 * (1 + (long)(sim_rng_next(&r) % 50)) * 100;
			long left = status == 3 ? 0 : (long)(sim_rng_unit(&r) * (double)face);
			int64_t expire = status == 4 ?
			    now - 86400 * (1 + (int64_t)(sim_rng_next(&r) % 30)) :
			    now +
				(sim_rng_unit(&r) < 0.25 ?
					3600 + (int64_t)(sim_rng_unit(&r) * 14 * 86400) :
					15 * 86400 + (int64_t)(sim_rng_unit(&r) * 150 * 86400));
			json_t *o;

			snprintf(id, sizeof(id), "CP%016llX", (unsigned long long)sim_rng_next(&r));
			clock_format_utc_s(expire - 180 * 86400, eff, sizeof(eff));
			clock_format_utc_s(expire, exp, sizeof(exp));
			o = json_pack("{s:s,s:O,s:i,s:i,s:i,s:s,s:s,s:s,s:s,s:s,s:i,s:i,s:s,s:[]}",
			    "coupon_id", id, "customer_id", json_object_get(c, "customer_id"),
			    "coupon_type", n % 5 == 4 ? 4 : 1, "status", status, "measure_id", 1,
			    "effective_time", eff, "expire_time", exp, "create_time", eff,
			    "promotion_plan_name", "伙伴代金券", "order_id", "", "media_type", 1,
			    "fetch_method", 3, "is_frozen", "0", "use_limits");
			money(o, "face_value", face);
			money(o, "balance", left);
			json_array_append_new(coupons, o);
		}
	}
	/* An empty dataset (no customers) stays empty, for tests that build their own. */
	for (int k = 0; k < 3 && json_array_size(json_object_get(data, "customers")) > 0; k++) {
		char id[32], eff[CLOCK_UTC_S_LEN], exp[CLOCK_UTC_S_LEN];
		int64_t expire =
		    now + (k == 0 ? 10 * 86400 - 3600 : (int64_t)(90 + 90 * k) * 86400);
		json_t *q;

		snprintf(id, sizeof(id), "QT%016llX", (unsigned long long)sim_rng_next(&r));
		clock_format_utc_s(expire - 365 * 86400, eff, sizeof(eff));
		clock_format_utc_s(expire, exp, sizeof(exp));
		q = json_pack("{s:s,s:i,s:i,s:i,s:s,s:s,s:s,s:s,s:s,s:[]}", "quota_id", id,
		    "quota_type", k == 2 ? 1 : 0, "quota_status", 0, "measure_id", 1, "currency",
		    "CNY", "create_time", eff, "last_update_time", eff, "effective_time", eff,
		    "expire_time", exp, "limit_infos");
		money(q, "quota_value", 5000000L * (k + 1));
		money(q, "balance", 1234500L * (k + 1));
		json_array_append_new(quotas, q);
	}
	json_object_set_new(data, "coupons", coupons);
	json_object_set_new(data, "coupon_quotas", quotas);
	json_object_set_new(data, "coupon_records", json_array());
}

/*
 * A customer dissociated: Huawei reclaims the coupons the partner issued to
 * it, and records each reclaim (operation type 3). Its coupons show status 5.
 */
void
sim_reclaim_coupons(struct sim *s, const char *customer_id)
{
	json_t *records = json_object_get(s->data, "coupon_records"), *c;
	char at[CLOCK_UTC_S_LEN];
	size_t i;

	if (!json_is_array(records)) {
		records = json_array();
		json_object_set_new(s->data, "coupon_records", records);
	}
	clock_format_utc_s(clock_wall_us() / 1000000, at, sizeof(at));
	json_array_foreach(json_object_get(s->data, "coupons"), i, c) {
		char id[40];
		json_t *rec;

		if (json_integer_value(json_object_get(c, "status")) != 2 ||
		    !same_text(json_object_get(c, "customer_id"), customer_id))
			continue;
		snprintf(id, sizeof(id), "REC%06zu", json_array_size(records) + 1);
		rec = json_pack("{s:s,s:s,s:s,s:i,s:O,s:O,s:O,s:s,s:s,s:s}", "id", id,
		    "operation_type", "3", "quota_id", "", "quota_type", 0, "coupon_id",
		    json_object_get(c, "coupon_id"), "customer_id",
		    json_object_get(c, "customer_id"), "operation_amount",
		    json_object_get(c, "balance"), "operation_time", at, "result", "0", "remark",
		    "解绑自动回收");
		json_array_append_new(records, rec);
		json_object_set_new(c, "status", json_integer(5));
		json_object_set_new(c, "balance", json_real(0));
	}
}

static bool
within(json_t *item, const char *key, bool has_begin, int64_t begin, bool has_end, int64_t end)
{
	int64_t t;
	const char *v = sim_str_field(item, key);

	if (!has_begin && !has_end)
		return true;
	return v && clock_parse_utc_s(v, &t) && (!has_begin || t >= begin) &&
	    (!has_end || t <= end);
}

static bool
paging(struct sim *s, struct evhttp_request *req, json_t *in, json_int_t *offset, json_int_t *limit)
{
	bool bad = false;

	*offset = sim_int_field(in, "offset", 0, &bad);
	*limit = sim_int_field(in, "limit", 10, &bad);
	if (bad || *offset < 0 || *offset > 2147483646 || *limit < 1 || *limit > PAGE_MAX) {
		s->bad_requests++;
		sim_send_error(s, req, 400, "CBC.0100",
		    "Parameter error: offset must be 0 or more and limit 1 to 100.");
		return false;
	}
	return true;
}

/* GET /v2/promotions/benefits/partner-coupons: only resale customers' coupons. */
void
sim_api_coupons(struct sim *s, struct evhttp_request *req, json_t *in)
{
	json_int_t offset, limit, count = 0;
	bool bad = false, hb, he;
	json_int_t status = sim_int_field(in, "status", 0, &bad),
		   type = sim_int_field(in, "coupon_type", 0, &bad);
	const char *cid = sim_str_field(in, "customer_id"), *id = sim_str_field(in, "coupon_id");
	int64_t begin = 0, end = 0;
	json_t *out, *c, *ans;
	size_t i;

	if (!paging(s, req, in, &offset, &limit))
		return;
	if (bad || (status != 0 && (status < 1 || status > 5)) ||
	    (type != 0 && type != 1 && type != 4) ||
	    !sim_time_field(in, "expire_time_begin", &begin, &hb) ||
	    !sim_time_field(in, "expire_time_end", &end, &he)) {
		s->bad_requests++;
		sim_send_error(s, req, 400, "CBC.0100",
		    "Parameter error: status, coupon_type or a time is invalid.");
		return;
	}
	out = json_array();
	json_array_foreach(json_object_get(s->data, "coupons"), i, c) {
		json_t *owner = sim_find_customer(s, sim_str_field(c, "customer_id"));

		if (owner && !same_text(json_object_get(owner, "association_type"), "2"))
			continue;
		if (!same_text(json_object_get(c, "customer_id"), cid) ||
		    !same_text(json_object_get(c, "coupon_id"), id))
			continue;
		if (status && json_integer_value(json_object_get(c, "status")) != status)
			continue;
		if (type && json_integer_value(json_object_get(c, "coupon_type")) != type)
			continue;
		if (!within(c, "expire_time", hb, begin, he, end))
			continue;
		if (count >= offset && count < offset + limit)
			json_array_append(out, c);
		count++;
	}
	ans = json_pack("{s:I,s:o}", "total_count", count, "user_coupons", out);
	sim_send_reply(s, req, 200, ans, NULL);
	json_decref(ans);
}

/* POST /v2/partners/coupon-quotas/query */
void
sim_api_quotas(struct sim *s, struct evhttp_request *req, json_t *in)
{
	json_int_t offset, limit, count = 0;
	bool bad = false, hb, he;
	json_int_t type = sim_int_field(in, "quota_type", 0, &bad);
	json_t *statuses = json_object_get(in, "quota_status_list"), *out, *q, *ans;
	int64_t begin = 0, end = 0;
	size_t i;

	if (!paging(s, req, in, &offset, &limit))
		return;
	if (bad || (type != 0 && type != 1) ||
	    (statuses && (!json_is_array(statuses) || json_array_size(statuses) > 5)) ||
	    !sim_time_field(in, "expire_time_begin", &begin, &hb) ||
	    !sim_time_field(in, "expire_time_end", &end, &he)) {
		s->bad_requests++;
		sim_send_error(s, req, 400, "CBC.0100",
		    "Parameter error: quota_type, quota_status_list or a time is invalid.");
		return;
	}
	out = json_array();
	json_array_foreach(json_object_get(s->data, "coupon_quotas"), i, q) {
		if (json_integer_value(json_object_get(q, "quota_type")) != type)
			continue;
		if (json_array_size(statuses) > 0) {
			size_t k;
			json_t *st;
			bool hit = false;

			json_array_foreach(statuses, k, st) {
				hit = hit ||
				    json_integer_value(st) ==
					json_integer_value(json_object_get(q, "quota_status"));
			}
			if (!hit)
				continue;
		}
		if (!within(q, "expire_time", hb, begin, he, end))
			continue;
		if (count >= offset && count < offset + limit)
			json_array_append(out, q);
		count++;
	}
	ans = json_pack("{s:I,s:o}", "total_count", count, "quotas", out);
	sim_send_reply(s, req, 200, ans, NULL);
	json_decref(ans);
}

/* GET /v2/promotions/benefits/partner-coupons/records/query */
void
sim_api_coupon_records(struct sim *s, struct evhttp_request *req, json_t *in)
{
	json_int_t offset, limit, count = 0;
	json_t *types = json_object_get(in, "operation_types"), *out, *r, *ans;
	const char *cid = sim_str_field(in, "customer_id");
	int64_t begin = 0, end = 0;
	bool hb, he;
	size_t i;

	if (!paging(s, req, in, &offset, &limit))
		return;
	if (!sim_time_field(in, "operation_time_begin", &begin, &hb) ||
	    !sim_time_field(in, "operation_time_end", &end, &he)) {
		s->bad_requests++;
		sim_send_error(s, req, 400, "CBC.0100",
		    "Parameter error: operation_time_begin or operation_time_end is invalid.");
		return;
	}
	out = json_array();
	json_array_foreach(json_object_get(s->data, "coupon_records"), i, r) {
		if (types) {
			/* One value, or the key repeated (an array). */
			bool hit = same_text(types, sim_str_field(r, "operation_type"));
			size_t k;
			json_t *t;

			json_array_foreach(types, k, t) {
				hit = hit || same_text(t, sim_str_field(r, "operation_type"));
			}
			if (!hit)
				continue;
		}
		if (!same_text(json_object_get(r, "customer_id"), cid) ||
		    !within(r, "operation_time", hb, begin, he, end))
			continue;
		if (count >= offset && count < offset + limit)
			json_array_append(out, r);
		count++;
	}
	ans = json_pack("{s:I,s:o}", "total_count", count, "records", out);
	sim_send_reply(s, req, 200, ans, NULL);
	json_decref(ans);
}

/* The coupon operations of /_sim/mutate; false when op is not one of them. */
bool
sim_mutate_coupons(struct sim *s, const char *name, json_t *op, char *err, size_t errlen, bool *ok)
{
	const char *list = strcmp(name, "add_coupon") == 0 || strcmp(name, "coupon") == 0 ?
	    "coupons" :
	    strcmp(name, "add_quota") == 0 || strcmp(name, "quota") == 0 ? "coupon_quotas" :
									   NULL;
	const char *key = list && strcmp(list, "coupons") == 0 ? "coupon_id" : "quota_id";
	json_t *items, *it;
	size_t i;

	if (list == NULL)
		return false;
	items = json_object_get(s->data, list);
	if (!json_is_array(items)) {
		items = json_array();
		json_object_set_new(s->data, list, items);
	}
	*ok = false;
	if (strncmp(name, "add_", 4) == 0) {
		json_t *item = json_object_get(op, name + 4);

		if (!json_is_object(item) || sim_str_field(item, key) == NULL) {
			snprintf(err, errlen, "%s: \"%s\" needs a %s", name, name + 4, key);
			return true;
		}
		json_array_append_new(items, json_deep_copy(item));
		*ok = true;
		return true;
	}
	json_array_foreach(items, i, it) {
		if (same_text(json_object_get(it, key), sim_str_field(op, key)) &&
		    sim_str_field(op, key) && json_is_object(json_object_get(op, "set"))) {
			json_object_update(it, json_object_get(op, "set"));
			*ok = true;
			return true;
		}
	}
	snprintf(err, errlen, "%s: unknown %s, or \"set\" is not an object", name, key);
	return true;
}
