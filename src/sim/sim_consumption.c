/*
 * hcwatch-sim serve's consumption records: made on demand from the
 * customer's id and the day, never stored, so that eighteen months of
 * records for a hundred thousand customers cost nothing until asked for.
 *
 * Each customer spends every day on two pay-per-use resources, about its
 * daily_spend (else an amount its id gives), paid in cash, or left as debt
 * while it is in arrears; one customer in ten had a day at eight times that,
 * the day before the simulator started. Its auto-renew resources were renewed
 * a month (renewed_days_before) before they expire (bill type 8), at their
 * renew_price (else an amount the resource's id gives: the renewal-price API
 * answers the same).
 * A customer's "spend_days" ({"2026-12-01": 5000}) sets a day's total.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sim/sim_huawei.h"
#include "util/clock.h"

#define PAGE_MAX 100
#define DAY 86400
#define BILLING_OFFSET (8 * 3600) /* Huawei bills by the day in UTC+8 */

static uint64_t
hash_text(const char *s, uint64_t salt)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ salt;

	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return sim_rng_next(&h);
}

/* Cents, from a customer's daily_spend or its id. */
static long
daily_cents(json_t *c)
{
	json_t *v = json_object_get(c, "daily_spend");

	if (json_is_number(v))
		return (long)(json_number_value(v) * 100 + 0.5);
	return 2000 + (long)(hash_text(sim_str_field(c, "customer_id"), 1) % 50000);
}

long
sim_renew_price_cents(json_t *r)
{
	json_t *v = json_object_get(r, "renew_price");

	if (json_is_number(v))
		return (long)(json_number_value(v) * 100 + 0.5);
	return 5000 + (long)(hash_text(sim_str_field(r, "resource_id"), 2) % 50000);
}

static void
amounts(json_t *rec, long cents, bool debt)
{
	double v = (double)cents / 100.0;

	json_object_set_new(rec, "official_amount", json_real(v));
	json_object_set_new(rec, "official_discount_amount", json_real(0));
	json_object_set_new(rec, "payment_amount", json_real(v));
	json_object_set_new(rec, "cash_amount", json_real(debt ? 0 : v));
	json_object_set_new(rec, "credit_amount", json_real(0));
	json_object_set_new(rec, "coupon_amount", json_real(0));
	json_object_set_new(rec, "flexipurchase_coupon_amount", json_real(0));
	json_object_set_new(rec, "stored_value_card_amount", json_real(0));
	json_object_set_new(rec, "debt_amount", json_real(debt ? v : 0));
	json_object_set_new(rec, "writeoff_amount", json_real(0));
}

/* The records of one customer's billing day (days since the epoch, UTC+8), oldest first. */
static void
day_records(struct sim *s, json_t *c, int64_t day, int64_t now, json_t *out)
{
	const char *cid = sim_str_field(c, "customer_id");
	json_t *b = json_object_get(c, "balance"), *set, *r;
	bool debt = json_number_value(json_object_get(b, "debt_amount")) > 0;
	int64_t start = day * DAY - BILLING_OFFSET;
	long total = daily_cents(c);
	char date[CLOCK_UTC_S_LEN], cycle[8];
	size_t i;

	(void)s;
	clock_format_utc_s(day * DAY, date, sizeof(date));
	snprintf(cycle, sizeof(cycle), "%.7s", date);
	date[10] = '\0';
	set = json_object_get(json_object_get(c, "spend_days"), date);
	if (json_is_number(set))
		total = (long)(json_number_value(set) * 100 + 0.5);
	else if (hash_text(cid, 3) % 10 == 0 && day == (s->started - BILLING_OFFSET) / DAY - 1)
		total *= 8;
	else
		total = total * (80 + (long)(hash_text(cid, (uint64_t)day) % 41)) / 100;
	for (int k = 0; k < 2 && total > 0; k++) {
		int64_t at = start + 6 * 3600 + k * 8 * 3600;
		char id[64], t[CLOCK_UTC_S_LEN], rid[48];
		json_t *rec;

		if (at > now)
			break;
		snprintf(id, sizeof(id), "%.16s-%lld-%d", cid, (long long)day, k);
		snprintf(rid, sizeof(rid), "ppu-%.12s-%d", cid, k);
		clock_format_utc_s(at, t, sizeof(t));
		rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:i}",
		    "id", id, "bill_cycle", cycle, "customer_id", cid, "service_type_code",
		    "hws.service.type.ec2", "resource_type_code", "hws.resource.type.vm",
		    "charging_mode", 3, "bill_detail_type", 5, "trade_time", t, "trade_id", id,
		    "consume_time", t, "resource_id", rid, "region_code", "cn-north-4",
		    "association_type",
		    sim_str_field(c, "association_type") ? sim_str_field(c, "association_type") :
							   "2",
		    "period_type", 25, "measure_id", 1);
		amounts(rec, k == 0 ? total / 2 : total - total / 2, debt);
		json_array_append_new(out, rec);
	}
	/* Auto-renewals a month before expiry that fall on this day. */
	json_array_foreach(json_object_get(c, "resources"), i, r) {
		int64_t exp, at;
		char id[96], t[CLOCK_UTC_S_LEN];
		json_t *rec;

		if (json_integer_value(json_object_get(r, "expire_policy")) != 3 ||
		    !sim_str_field(r, "expire_time") ||
		    !clock_parse_utc_s(sim_str_field(r, "expire_time"), &exp))
			continue;
		at = exp -
		    DAY *
			(json_is_integer(json_object_get(r, "renewed_days_before")) ?
				json_integer_value(json_object_get(r, "renewed_days_before")) :
				30);
		if (at < start || at >= start + DAY || at > now)
			continue;
		snprintf(id, sizeof(id), "renew-%.48s", sim_str_field(r, "resource_id"));
		clock_format_utc_s(at, t, sizeof(t));
		rec = json_pack("{s:s,s:s,s:s,s:i,s:i,s:s,s:s,s:s,s:O,s:O,s:i,s:i,s:i}", "id", id,
		    "bill_cycle", cycle, "customer_id", cid, "charging_mode", 1, "bill_detail_type",
		    8, "trade_time", t, "trade_id", id, "consume_time", t, "resource_id",
		    json_object_get(r, "resource_id"), "resource_name",
		    json_object_get(r, "resource_name"), "period_type", 20, "period_num", 1,
		    "measure_id", 1);
		amounts(rec, sim_renew_price_cents(r), debt);
		json_array_append_new(out, rec);
	}
}

/* "2026-12" and "2026-12-01" as days since the epoch; false when malformed. */
static bool
parse_day(const char *v, int64_t *day)
{
	char t[CLOCK_UTC_S_LEN];
	int64_t at;

	if (v == NULL || strlen(v) != 10)
		return false;
	snprintf(t, sizeof(t), "%sT00:00:00Z", v);
	if (!clock_parse_utc_s(t, &at))
		return false;
	*day = at / DAY;
	return true;
}

/* GET /v2/bills/subcustomer-bills/res-fee-records */
void
sim_api_bill_records(struct sim *s, struct evhttp_request *req, json_t *in)
{
	const char *cycle = sim_str_field(in, "bill_cycle"),
		   *cid = sim_str_field(in, "customer_id");
	const char *b = sim_str_field(in, "bill_date_begin"),
		   *e = sim_str_field(in, "bill_date_end");
	bool bad = false;
	json_int_t offset = sim_int_field(in, "offset", 0, &bad),
		   limit = sim_int_field(in, "limit", 10, &bad);
	int64_t first, last, from, to, now = clock_wall_us() / 1000000;
	char month[16];
	json_t *c, *all, *page, *ans;

	snprintf(month, sizeof(month), "%s-01", cycle ? cycle : "");
	if (cycle == NULL || strlen(cycle) != 7 || !parse_day(month, &first) || cid == NULL ||
	    bad || offset < 0 || limit < 1 || limit > PAGE_MAX || (b == NULL) != (e == NULL)) {
		s->bad_requests++;
		sim_send_error(s, req, 400, "CBC.0100",
		    "Parameter error: bill_cycle (YYYY-MM) and customer_id are required, "
		    "bill_date_begin and bill_date_end go together, limit is 1 to 100.");
		return;
	}
	/* The month's last day: the first of the next, less one. */
	{
		int y = atoi(cycle), m = atoi(cycle + 5);
		char next[32];

		snprintf(next, sizeof(next), "%04d-%02d-01", m == 12 ? y + 1 : y,
		    m == 12 ? 1 : m + 1);
		if (!parse_day(next, &last)) {
			sim_send_error(s, req, 400, "CBC.0100", "Parameter error: bill_cycle.");
			return;
		}
		last--;
	}
	from = first;
	to = last;
	if (b &&
	    (!parse_day(b, &from) || !parse_day(e, &to) || from > to || from < first ||
		to > last)) {
		s->bad_requests++;
		sim_send_error(s, req, 400, "CBC.0100",
		    "Parameter error: bill_date_begin and bill_date_end must lie in bill_cycle, "
		    "begin first.");
		return;
	}
	c = sim_find_customer(s, cid);
	all = json_array();
	for (int64_t d = from; c && d <= to && d * DAY - BILLING_OFFSET <= now; d++)
		day_records(s, c, d, now, all);
	page = json_array();
	for (size_t k = (size_t)offset; k < json_array_size(all) && k < (size_t)(offset + limit);
	     k++)
		json_array_append(page, json_array_get(all, k));
	ans = json_pack("{s:I,s:s,s:o}", "total_count", (json_int_t)json_array_size(all),
	    "currency", "CNY", "fee_records", page);
	json_decref(all);
	sim_send_reply(s, req, 200, ans, NULL);
	json_decref(ans);
}

/* POST /v2/bills/subcustomer-bills/res-fee-records/sub-customers/query: every customer spends. */
void
sim_api_consume_customers(struct sim *s, struct evhttp_request *req, json_t *in)
{
	const char *cycle = sim_str_field(in, "bill_cycle");
	bool bad = false;
	json_int_t offset = sim_int_field(in, "offset", 0, &bad),
		   limit = sim_int_field(in, "limit", 10, &bad);
	json_t *custs = json_object_get(s->data, "customers"), *out, *ans;

	if (cycle == NULL || strlen(cycle) != 7 || bad || offset < 0 || offset > 2147483646 ||
	    limit < 1 || limit > PAGE_MAX) {
		s->bad_requests++;
		sim_send_error(s, req, 400, "CBC.0100",
		    "Parameter error: bill_cycle (YYYY-MM) is required and limit is 1 to 100.");
		return;
	}
	out = json_array();
	for (size_t k = (size_t)offset; k < json_array_size(custs) && k < (size_t)(offset + limit);
	     k++)
		json_array_append_new(out,
		    json_pack("{s:O}", "customer_id",
			json_object_get(json_array_get(custs, k), "customer_id")));
	ans = json_pack("{s:o,s:I}", "sub_customers", out, "total_count",
	    (json_int_t)json_array_size(custs));
	sim_send_reply(s, req, 200, ans, NULL);
	json_decref(ans);
}

/*
 * Whether assume_role may give the partner a token of the customer named by
 * domain (its account name or id): only where the customer created the
 * agency, which is named after the partner platform's xAccountType. A
 * customer's "agency": false says it has none.
 */
bool
sim_agency_allows(struct sim *s, const char *domain, const char *agency)
{
	json_t *c;

	if (domain == NULL || agency == NULL)
		return false;
	c = sim_customer_where(s, "account_name", domain);
	if (c == NULL)
		c = sim_find_customer(s, domain);
	return c && !json_is_false(json_object_get(c, "agency")) &&
	    sim_str_field(c, "xaccount_type") &&
	    strcmp(sim_str_field(c, "xaccount_type"), agency) == 0;
}

/*
 * POST /v2/bills/ratings/period-resources/renew-rate: with the customer's
 * own token only. Each ID must be one of its main resources; a period of
 * months costs its renew_price each, a year twelve of them.
 */
void
sim_api_renew_rate(struct sim *s, struct evhttp_request *req, json_t *in, const char *identity)
{
	const char *domain = strncmp(identity, "token:agency:", 13) == 0 ? identity + 13 : NULL;
	json_t *ids = json_object_get(in, "resource_ids"), *c, *id, *ok, *failed, *ans;
	bool bad = false;
	json_int_t type = sim_int_field(in, "period_type", 0, &bad),
		   num = sim_int_field(in, "period_num", 0, &bad);
	long total = 0;
	size_t i, k;
	char text[32];

	c = domain ? sim_customer_where(s, "account_name", domain) : NULL;
	if (c == NULL && domain)
		c = sim_find_customer(s, domain);
	if (c == NULL) {
		sim_send_error(s, req, 403, "CBC.0151",
		    "Access denied: this API takes the customer's own credential.");
		return;
	}
	if (bad || !json_is_array(ids) || json_array_size(ids) < 1 || json_array_size(ids) > 10 ||
	    !((type == 2 && num >= 1 && num <= 11) || (type == 3 && num >= 1 && num <= 3))) {
		s->bad_requests++;
		sim_send_error(s, req, 400, "CBC.0100",
		    "Parameter error: resource_ids holds 1 to 10 IDs; period_type 2 takes 1 to 11 "
		    "months, 3 takes 1 to 3 years.");
		return;
	}
	json_array_foreach(ids, i, id) {
		for (k = 0; k < i; k++) {
			if (json_equal(id, json_array_get(ids, k))) {
				s->bad_requests++;
				sim_send_error(s, req, 400, "CBC.30050012",
				    "Duplicate resource IDs.");
				return;
			}
		}
	}
	ok = json_array();
	failed = json_array();
	json_array_foreach(ids, i, id) {
		json_t *owner = NULL,
		       *r = json_is_string(id) ?
		    sim_find_resource(s, json_string_value(id), &owner, &k) :
		    NULL;
		long cents;

		if (r == NULL || owner != c) {
			json_array_append_new(failed,
			    json_pack("{s:O,s:s,s:s}", "resource_id", id, "error_code",
				"CBC.30050009", "error_msg",
				"The resource expired and was deleted, or does not exist."));
			continue;
		}
		if (json_integer_value(json_object_get(r, "is_main_resource")) != 1) {
			json_array_append_new(failed,
			    json_pack("{s:O,s:s,s:s}", "resource_id", id, "error_code",
				"CBC.30050007", "error_msg",
				"The resource is not a main resource."));
			continue;
		}
		cents = sim_renew_price_cents(r) * (type == 3 ? 12 * num : num);
		total += cents;
		snprintf(text, sizeof(text), "%ld.%02ld", cents / 100, cents % 100);
		json_array_append_new(ok,
		    json_pack("{s:O,s:s}", "resource_id", id, "amount", text));
	}
	snprintf(text, sizeof(text), "%ld.%02ld", total / 100, total % 100);
	ans = json_pack("{s:s,s:o,s:{s:s},s:o}", "currency", "CNY", "renew_inquiry_results", ok,
	    "official_website_rating_result", "official_website_amount", text,
	    "fail_resource_infos", failed);
	sim_send_reply(s, req, 200, ans, NULL);
	json_decref(ans);
}
