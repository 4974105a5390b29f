/* The poller's five jobs: what each asks Huawei and what it applies. */
#include "poller/poller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "poller/crew.h"
#include "util/xalloc.h"

#define PATH_CUSTOMERS "/v2/partners/sub-customers/query"
#define PATH_BALANCES "/v2/accounts/customer-accounts/balances/batch-query"
#define PATH_RESOURCES "/v2/orders/suscriptions/resources/query"
#define PATH_PARTNER "/v2/accounts/partner-accounts/balances"
#define PATH_QUOTAS "/v2/partners/coupon-quotas/query"
#define PATH_COUPONS "/v2/promotions/benefits/partner-coupons"
#define PATH_COUPON_RECORDS "/v2/promotions/benefits/partner-coupons/records/query"
#define PATH_BILL_RECORDS "/v2/bills/subcustomer-bills/res-fee-records"
#define PATH_CONSUME_CUSTOMERS "/v2/bills/subcustomer-bills/res-fee-records/sub-customers/query"
#define PATH_RENEW_RATE "/v2/bills/ratings/period-resources/renew-rate"

#define CUSTOMERS_PAGE 100    /* ListSubCustomers allows at most 100 */
#define BALANCES_BATCH 100    /* ListCustomersBalancesDetail takes 1 to 100 IDs */
#define RESOURCE_IDS_BATCH 50 /* resource_ids holds at most 50 */
/* The coupon APIs document no maximum page; their sibling ListIssuedCouponQuotas allows 100. */
#define COUPONS_PAGE 100
#define CONSUME_CUSTOMERS_PAGE 100 /* ListConsumeSubCustomers allows 1 to 100 */
/* ListSubCustomerBillDetail's maximum is not documented (its retired variant allowed 1000). */
#define BILL_PAGE 100
#define RENEW_RATE_IDS 10 /* resource_ids holds 1 to 10 */
/* A price is asked for again after this long. */
#define RENEW_PRICE_MAX_AGE_HOURS 20

static const char *const job_names[POLL_JOB_COUNT] = {
	"customers",
	"balances",
	"resources",
	"partner",
	"coupons",
	"consumption",
	"renewals",
};

static bool call_query(struct worker *w, enum hwc_api api, const char *method, const char *path,
    const char *query, const json_t *body, json_t **ans, const char *what);
static bool call(struct worker *w, enum hwc_api api, const char *method, const char *path,
    const json_t *body, json_t **ans, const char *what);
static bool store_ok(struct worker *w, enum store_result sr, const char *err);
static bool customers_page(struct worker *w, int offset, int *count);
static void customers_item(struct worker *w, size_t i);
static void job_customers(struct job_run *r, struct worker *w);
static void balances_item(struct worker *w, size_t i);
static void job_balances(struct job_run *r, struct worker *w);
static bool resources_query(struct worker *w, const char *cid, json_t *filter);
static void resources_item(struct worker *w, size_t i);
static void job_resources(struct job_run *r, struct worker *w);
static void job_partner(struct job_run *r, struct worker *w);
static bool coupons_page(struct worker *w, enum hwc_api api, const char *path, json_t *body,
    const char *query, const char *key, enum store_coupons_page what, json_int_t offset,
    json_int_t *total, size_t *n);
static bool coupons_pages(struct worker *w, enum hwc_api api, const char *path, json_t *body,
    const char *query, const char *key, enum store_coupons_page what);
static void usable_coupons_item(struct worker *w, size_t i);
static bool usable_coupons(struct job_run *r, struct worker *w);
static void job_coupons(struct job_run *r, struct worker *w);
static bool bill_pages(struct worker *w, const char *cid, const char *from, const char *to);
static void consumption_item(struct worker *w, size_t i);
static bool spenders_page(struct worker *w, json_int_t offset, json_int_t *total);
static void spenders_item(struct worker *w, size_t i);
static void job_consumption(struct job_run *r, struct worker *w);
static void renewals_item(struct worker *w, size_t i);
static void job_renewals(struct job_run *r, struct worker *w);

const char *
poll_job_name(enum poll_job job)
{
	return (unsigned)job < POLL_JOB_COUNT ? job_names[job] : "?";
}

bool
poll_job_enabled(const struct config *cfg, enum poll_job job)
{
	/* The renewal prices need the customer's own token: an IAM user to assume its role. */
	if (job == POLL_RENEWALS)
		return cfg->poll_renewals && cfg->hw_iam_user[0] && cfg->hw_iam_password[0] &&
		    cfg->hw_iam_domain[0];
	return job == POLL_COUPONS  ? cfg->poll_coupons :
	    job == POLL_CONSUMPTION ? cfg->poll_consumption :
				      true;
}

int
poll_job_from_name(const char *name)
{
	for (int i = 0; i < POLL_JOB_COUNT; i++) {
		if (strcmp(job_names[i], name) == 0)
			return i;
	}
	return -1;
}

static bool
call(struct worker *w, enum hwc_api api, const char *method, const char *path, const json_t *body,
    json_t **ans, const char *what)
{
	return call_query(w, api, method, path, NULL, body, ans, what);
}

static bool
call_query(struct worker *w, enum hwc_api api, const char *method, const char *path,
    const char *query, const json_t *body, json_t **ans, const char *what)
{
	struct hwc_error e;
	enum hwc_status st = hwc_call(w->hs, api, method, path, query, body, ans, &w->raw, &e);

	if (st == HWC_OK)
		return true;
	if (st == HWC_STOPPED)
		return false;
	if (st == HWC_AUTH) {
		/* Loud, once per run, and not retried until the next interval. */
		atomic_store(&w->run->auth_failed, true);
		if (!atomic_exchange(&w->run->fatal, true))
			log_error(
			    "poller: Huawei refused hcwatch's credentials: %s %s answered HTTP "
			    "%ld %s %s. Check [huawei] %s and that the account may call %s; the %s job "
			    "stops until its next interval",
			    method, path, e.http_status, e.code, e.message,
			    w->run->cfg->hw_auth == CONFIG_HW_AUTH_TOKEN ?
				"iam_user, iam_password and iam_domain" :
				"access_key and secret_key",
			    hwc_api_name(api), poll_job_name(w->run->job));
		run_error(w->run, true, "%s: credentials refused: HTTP %ld %s %s", what,
		    e.http_status, e.code, e.message);
		return false;
	}
	log_warn("poller: %s: %s %s: %s (HTTP %ld%s%s%s%s)", poll_job_name(w->run->job), what,
	    hwc_api_name(api), hwc_status_name(st), e.http_status, e.code[0] ? " " : "", e.code,
	    e.message[0] ? ": " : "", e.message);
	run_error(w->run, false, "%s: %s: HTTP %ld %s %s", what, hwc_status_name(st), e.http_status,
	    e.code, e.message);
	return false;
}

/* Every job of every poller: a database outage is told once, and its end. */
static struct log_outage db_outage = LOG_OUTAGE_INIT("poller");

static bool
store_ok(struct worker *w, enum store_result sr, const char *err)
{
	if (sr == STORE_OK)
		return true;
	log_outage_failed(&db_outage, poll_job_name(w->run->job), err);
	/* Without the database nothing more can be applied: stop the run. */
	run_error(w->run, sr == STORE_CONN_FAILED, "database: %s", err);
	return false;
}

/* ---- customers ---- */

static bool
customers_page(struct worker *w, int offset, int *count)
{
	json_t *body = json_pack("{s:i,s:i}", "offset", offset, "limit", CUSTOMERS_PAGE);
	json_t *ans = NULL;
	char err[STORE_ERR_LEN], what[64];
	int items = 0, events = 0;
	bool ok = false;

	snprintf(what, sizeof(what), "customers at offset %d", offset);
	if (!call(w, HWC_API_CUSTOMERS, "POST", PATH_CUSTOMERS, body, &ans, what))
		goto out;
	if (!json_is_array(json_object_get(ans, "customer_infos"))) {
		run_error(w->run, false, "%s: answer without customer_infos", what);
		goto out;
	}
	if (count)
		*count = (int)json_integer_value(json_object_get(ans, "count"));
	if (!store_ok(w,
		store_customers_apply_page(w->st, w->run->run_id, w->raw.data, &items, &events, err,
		    sizeof(err)),
		err))
		goto out;
	atomic_fetch_add(&w->run->items, items);
	atomic_fetch_add(&w->run->events, events);
	ok = true;
out:
	json_decref(body);
	json_decref(ans);
	return ok;
}

static void
customers_item(struct worker *w, size_t i)
{
	(void)customers_page(w, (int)(i + 1) * CUSTOMERS_PAGE, NULL);
}

/*
 * The first page gives the total; the other pages go out in parallel. Only
 * a listing with every page applied may conclude that a customer is gone.
 */
static void
job_customers(struct job_run *r, struct worker *w)
{
	char err[STORE_ERR_LEN];
	int count = 0, gone = 0;

	if (!customers_page(w, 0, &count))
		return;
	if (count > CUSTOMERS_PAGE)
		crew_fan_out(r, (size_t)((count - 1) / CUSTOMERS_PAGE), customers_item);
	if (atomic_load(&r->errors) > 0 || run_stopping(r)) {
		run_error(r, true, "listing incomplete: no customer marked gone");
		return;
	}
	if (store_ok(w, store_customers_mark_gone(w->st, r->run_id, &gone, err, sizeof(err)), err))
		atomic_fetch_add(&r->events, gone);
}

/* ---- balances ---- */

static void
balances_item(struct worker *w, size_t i)
{
	struct job_run *r = w->run;
	size_t from = i * BALANCES_BATCH, to = from + BALANCES_BATCH;
	json_t *infos = json_array(), *ids = json_array(), *body, *ans = NULL;
	char err[STORE_ERR_LEN], what[64], *requested;
	int items = 0, missing = 0;

	if (to > r->nids)
		to = r->nids;
	for (size_t k = from; k < to; k++) {
		json_array_append_new(infos, json_pack("{s:s}", "customer_id", r->ids[k]));
		json_array_append_new(ids, json_string(r->ids[k]));
	}
	body = json_pack("{s:o}", "customer_infos", infos);
	requested = json_dumps(ids, JSON_COMPACT);
	snprintf(what, sizeof(what), "balances of customers %zu-%zu", from + 1, to);
	if (call(w, HWC_API_BALANCES, "POST", PATH_BALANCES, body, &ans, what) &&
	    store_ok(w,
		store_balances_apply(w->st, r->run_id, w->raw.data, requested, &items, &missing,
		    err, sizeof(err)),
		err)) {
		atomic_fetch_add(&r->items, items);
		if (missing > 0)
			log_info("poller: balances: Huawei returned no balance for %d resale "
				 "customer(s) of %s",
			    missing, what);
	}
	free(requested);
	json_decref(ids);
	json_decref(body);
	json_decref(ans);
}

static void
job_balances(struct job_run *r, struct worker *w)
{
	char err[STORE_ERR_LEN];
	int marked = 0;

	if (!store_ok(w, store_balances_mark_referral(w->st, &marked, err, sizeof(err)), err))
		return;
	if (!store_ok(w, store_customers_active(w->st, true, &r->ids, &r->nids, err, sizeof(err)),
		err))
		return;
	crew_fan_out(r, (r->nids + BALANCES_BATCH - 1) / BALANCES_BATCH, balances_item);
}

/* ---- resources ---- */

/* Every page of one query; filter gets offset and limit here. */
static bool
resources_query(struct worker *w, const char *cid, json_t *filter)
{
	struct job_run *r = w->run;
	int limit = r->cfg->poll_resources_page_size;
	char err[STORE_ERR_LEN], what[160];

	json_object_set_new(filter, "customer_id", json_string(cid));
	json_object_set_new(filter, "only_main_resource",
	    json_integer(r->cfg->poll_only_main_resource ? 1 : 0));
	json_object_set_new(filter, "limit", json_integer(limit));
	for (json_int_t offset = 0;; offset += limit) {
		json_t *ans = NULL;
		json_int_t total;
		size_t n;
		int items = 0, events = 0;
		bool ok;

		if (run_stopping(r))
			return false;
		json_object_set_new(filter, "offset", json_integer(offset));
		snprintf(what, sizeof(what), "resources of %s at offset %lld", cid,
		    (long long)offset);
		if (!call(w, HWC_API_RESOURCES, "POST", PATH_RESOURCES, filter, &ans, what))
			return false;
		ok = json_is_array(json_object_get(ans, "data"));
		total = json_integer_value(json_object_get(ans, "total_count"));
		n = json_array_size(json_object_get(ans, "data"));
		json_decref(ans);
		if (!ok) {
			run_error(r, false, "%s: answer without data", what);
			return false;
		}
		if (!store_ok(w,
			store_resources_apply_page(w->st, r->run_id, cid, w->raw.data, &items,
			    &events, err, sizeof(err)),
			err))
			return false;
		atomic_fetch_add(&r->items, items);
		atomic_fetch_add(&r->events, events);
		if (n == 0 || offset + limit >= total)
			return true;
	}
}

/*
 * One customer: what expires within the horizon, then what has expired or is
 * frozen. A resource that should have been in those answers and was not is
 * asked for by ID (it may have been renewed past the horizon); what Huawei
 * does not return even then is gone.
 */
static void
resources_item(struct worker *w, size_t i)
{
	struct job_run *r = w->run;
	const char *cid = r->ids[i];
	json_t *f, *ids = NULL;
	char **unseen = NULL, err[STORE_ERR_LEN], *doc = NULL;
	size_t nunseen = 0;
	int gone = 0;

	f = json_pack("{s:[i],s:s,s:s}", "status_list", 2, "expire_time_begin", r->now_utc,
	    "expire_time_end", r->horizon_utc);
	if (!resources_query(w, cid, f))
		goto out;
	json_decref(f);
	f = NULL;
	if (r->cfg->poll_resources_expired) {
		f = json_pack("{s:[i,i]}", "status_list", 4, 5);
		if (!resources_query(w, cid, f))
			goto out;
		json_decref(f);
		f = NULL;
	}
	if (!store_ok(w,
		store_resources_unseen(w->st, r->run_id, cid, r->cfg->poll_resources_horizon_days,
		    r->cfg->poll_resources_expired, &unseen, &nunseen, err, sizeof(err)),
		err))
		goto out;
	if (nunseen == 0)
		goto out;
	ids = json_array();
	for (size_t k = 0; k < nunseen; k += RESOURCE_IDS_BATCH) {
		json_t *batch = json_array();

		for (size_t j = k; j < nunseen && j < k + RESOURCE_IDS_BATCH; j++) {
			json_array_append_new(batch, json_string(unseen[j]));
			json_array_append_new(ids, json_string(unseen[j]));
		}
		f = json_pack("{s:o}", "resource_ids", batch);
		if (!resources_query(w, cid, f))
			goto out;
		json_decref(f);
		f = NULL;
	}
	doc = json_dumps(ids, JSON_COMPACT);
	if (store_ok(w,
		store_resources_mark_gone(w->st, r->run_id, cid, doc, &gone, err, sizeof(err)),
		err))
		atomic_fetch_add(&r->events, gone);
out:
	free(doc);
	json_decref(ids);
	json_decref(f);
	store_free_ids(unseen, nunseen);
}

static void
job_resources(struct job_run *r, struct worker *w)
{
	char err[STORE_ERR_LEN];
	int64_t now = clock_wall_us() / 1000000;

	clock_format_utc_s(now, r->now_utc, sizeof(r->now_utc));
	clock_format_utc_s(now + (int64_t)r->cfg->poll_resources_horizon_days * 86400,
	    r->horizon_utc, sizeof(r->horizon_utc));
	if (!store_ok(w, store_customers_active(w->st, false, &r->ids, &r->nids, err, sizeof(err)),
		err))
		return;
	crew_fan_out(r, r->nids, resources_item);
}

/* ---- the partner's own balance ---- */

static void
job_partner(struct job_run *r, struct worker *w)
{
	json_t *ans = NULL;
	char err[STORE_ERR_LEN];
	int items = 0;

	if (call(w, HWC_API_PARTNER_BALANCES, "GET", PATH_PARTNER, NULL, &ans,
		"partner balances") &&
	    store_ok(w,
		store_partner_balances_apply(w->st, r->run_id, w->raw.data, &items, err,
		    sizeof(err)),
		err))
		atomic_fetch_add(&r->items, items);
	json_decref(ans);
}

/* ---- coupons ---- */

/*
 * One page of a coupon listing at offset: body is a POST's, else query a
 * GET's, without the paging, which is added here. key names the answer's
 * list; *total is the listing's size, *n the page's.
 */
static bool
coupons_page(struct worker *w, enum hwc_api api, const char *path, json_t *body, const char *query,
    const char *key, enum store_coupons_page what, json_int_t offset, json_int_t *total, size_t *n)
{
	struct job_run *r = w->run;
	char err[STORE_ERR_LEN], what_s[96], q[512];
	json_t *ans = NULL;
	int items = 0;
	bool ok;

	if (run_stopping(r))
		return false;
	if (body) {
		json_object_set_new(body, "offset", json_integer(offset));
		json_object_set_new(body, "limit", json_integer(COUPONS_PAGE));
	} else {
		snprintf(q, sizeof(q), "%s%slimit=%d&offset=%lld", query, *query ? "&" : "",
		    COUPONS_PAGE, (long long)offset);
	}
	snprintf(what_s, sizeof(what_s), "%s at offset %lld", hwc_api_name(api), (long long)offset);
	if (!call_query(w, api, body ? "POST" : "GET", path, body ? NULL : q, body, &ans, what_s))
		return false;
	ok = json_is_array(json_object_get(ans, key));
	*total = json_integer_value(json_object_get(ans, "total_count"));
	*n = json_array_size(json_object_get(ans, key));
	json_decref(ans);
	if (!ok) {
		run_error(r, false, "%s: answer without %s", what_s, key);
		return false;
	}
	if (!store_ok(w,
		store_coupons_apply(w->st, what, r->run_id, w->raw.data, &items, err, sizeof(err)),
		err))
		return false;
	atomic_fetch_add(&r->items, items);
	if (what == STORE_COUPON_RECORDS)
		atomic_fetch_add(&r->events, items);
	return true;
}

/* Every page of one listing, one after another. */
static bool
coupons_pages(struct worker *w, enum hwc_api api, const char *path, json_t *body, const char *query,
    const char *key, enum store_coupons_page what)
{
	for (json_int_t offset = 0;; offset += COUPONS_PAGE) {
		json_int_t total = 0;
		size_t n = 0;

		if (!coupons_page(w, api, path, body, query, key, what, offset, &total, &n))
			return false;
		if (n == 0 || offset + COUPONS_PAGE >= total)
			return true;
	}
}

static void
usable_coupons_item(struct worker *w, size_t i)
{
	json_int_t total;
	size_t n;

	(void)coupons_page(w, HWC_API_COUPONS, PATH_COUPONS, NULL, "status=2", "user_coupons",
	    STORE_COUPONS, (json_int_t)(i + 1) * COUPONS_PAGE, &total, &n);
}

/* The usable coupons: the first page gives the total, the others go out in parallel. */
static bool
usable_coupons(struct job_run *r, struct worker *w)
{
	json_int_t total = 0;
	size_t n = 0;

	if (!coupons_page(w, HWC_API_COUPONS, PATH_COUPONS, NULL, "status=2", "user_coupons",
		STORE_COUPONS, 0, &total, &n))
		return false;
	if (total > COUPONS_PAGE)
		crew_fan_out(r, (size_t)((total - 1) / COUPONS_PAGE), usable_coupons_item);
	return atomic_load(&r->errors) == 0 && !run_stopping(r);
}

/*
 * The partner's coupon quotas (both kinds), the usable coupons it issued, and
 * the coupons Huawei reclaimed when a customer dissociated. Only complete
 * listings may conclude that a coupon is usable no more.
 */
static void
job_coupons(struct job_run *r, struct worker *w)
{
	char err[STORE_ERR_LEN], since[32], query[160];
	int unlisted = 0;
	bool complete = true;

	for (int type = 0; type <= 1 && complete; type++) {
		json_t *body = json_pack("{s:i}", "quota_type", type);

		complete = coupons_pages(w, HWC_API_QUOTAS, PATH_QUOTAS, body, NULL, "quotas",
		    STORE_COUPON_QUOTAS);
		json_decref(body);
	}
	complete = complete && usable_coupons(r, w);
	if (complete &&
	    store_ok(w, store_coupons_unlisted(w->st, r->run_id, &unlisted, err, sizeof(err)), err))
		atomic_fetch_add(&r->events, unlisted);
	else if (!complete)
		run_error(r, false, "listing incomplete: no coupon marked unusable");
	if (run_stopping(r) ||
	    !store_ok(w, store_coupon_records_since(w->st, since, sizeof(since), err, sizeof(err)),
		err))
		return;
	/* 3: reclaimed automatically when the customer dissociated. The time's colons escaped. */
	snprintf(query, sizeof(query),
	    "operation_types=3&operation_time_begin=%.10sT%.2s%%3A%.2s%%3A%.3s", since, since + 11,
	    since + 14, since + 17);
	(void)coupons_pages(w, HWC_API_COUPON_RECORDS, PATH_COUPON_RECORDS, NULL, query, "records",
	    STORE_COUPON_RECORDS);
}

/* ---- consumption ---- */

/* Every page of one customer's records from one day to another of the same month. */
static bool
bill_pages(struct worker *w, const char *cid, const char *from, const char *to)
{
	struct job_run *r = w->run;
	char err[STORE_ERR_LEN], what[200], q[400];

	for (json_int_t offset = 0;; offset += BILL_PAGE) {
		json_t *ans = NULL;
		json_int_t total;
		size_t n;
		int records = 0;
		bool ok;

		if (run_stopping(r))
			return false;
		snprintf(q, sizeof(q),
		    "bill_cycle=%.7s&customer_id=%s&bill_date_begin=%s&bill_date_end=%s&limit=%d"
		    "&offset=%lld",
		    from, cid, from, to, BILL_PAGE, (long long)offset);
		snprintf(what, sizeof(what), "consumption of %.64s from %.10s at offset %lld", cid,
		    from, (long long)offset);
		if (!call_query(w, HWC_API_BILL_RECORDS, "GET", PATH_BILL_RECORDS, q, NULL, &ans,
			what))
			return false;
		ok = json_is_array(json_object_get(ans, "fee_records"));
		total = json_integer_value(json_object_get(ans, "total_count"));
		n = json_array_size(json_object_get(ans, "fee_records"));
		json_decref(ans);
		if (!ok) {
			run_error(r, false, "%s: answer without fee_records", what);
			return false;
		}
		if (!store_ok(w,
			store_consumption_page(w->st, r->run_id, cid, w->raw.data,
			    r->cfg->poll_billing_timezone, &records, err, sizeof(err)),
			err))
			return false;
		atomic_fetch_add(&r->items, records);
		if (n == 0 || offset + BILL_PAGE >= total)
			return true;
	}
}

static int
month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) ? 29 : days[m - 1];
}

/*
 * One customer: "ID FROM TO" from the plan. A bill_cycle holds one month, so
 * the days go month by month; only when every page was read do they replace
 * what the customer's days held.
 */
static void
consumption_item(struct worker *w, size_t i)
{
	struct job_run *r = w->run;
	char cid[128], from[11], to[11], err[STORE_ERR_LEN];
	int y, m, d;
	bool complete = true;

	if (sscanf(r->ids[i], "%127s %10s %10s", cid, from, to) != 3 ||
	    sscanf(from, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12) {
		run_error(r, false, "consumption: a bad plan row \"%s\"", r->ids[i]);
		return;
	}
	while (complete) {
		char a[40], b[40]; /* room for any int, though dates need 11 */

		snprintf(a, sizeof(a), "%04d-%02d-%02d", y, m, d);
		snprintf(b, sizeof(b), "%04d-%02d-%02d", y, m, month_days(y, m));
		if (strcmp(a, to) > 0)
			break;
		complete = bill_pages(w, cid, a, strcmp(b, to) < 0 ? b : to);
		d = 1;
		if (++m > 12) {
			m = 1;
			y++;
		}
	}
	(void)store_ok(w,
	    store_consumption_finish(w->st, r->run_id, cid, from, to, complete, err, sizeof(err)),
	    err);
}

/*
 * One page of the customers that spent in r->cycle, their IDs added to
 * r->found; *total, when asked, is the listing's size.
 */
static bool
spenders_page(struct worker *w, json_int_t offset, json_int_t *total)
{
	struct job_run *r = w->run;
	json_t *body = json_pack("{s:s,s:I,s:i}", "bill_cycle", r->cycle, "offset", offset, "limit",
		   CONSUME_CUSTOMERS_PAGE),
	       *ans = NULL, *list, *c;
	char what[96];
	size_t j;
	bool ok;

	snprintf(what, sizeof(what), "customers that spent in %s at offset %lld", r->cycle,
	    (long long)offset);
	ok = !run_stopping(r) &&
	    call(w, HWC_API_CONSUME_CUSTOMERS, "POST", PATH_CONSUME_CUSTOMERS, body, &ans, what);
	json_decref(body);
	if (!ok)
		return false;
	list = json_object_get(ans, "sub_customers");
	if (!json_is_array(list)) {
		run_error(r, false, "%s: answer without sub_customers", what);
		json_decref(ans);
		return false;
	}
	if (total)
		*total = json_integer_value(json_object_get(ans, "total_count"));
	pthread_mutex_lock(&r->mu);
	json_array_foreach(list, j, c) {
		if (json_is_string(json_object_get(c, "customer_id")))
			json_array_append(r->found, json_object_get(c, "customer_id"));
	}
	pthread_mutex_unlock(&r->mu);
	json_decref(ans);
	return true;
}

static void
spenders_item(struct worker *w, size_t i)
{
	(void)spenders_page(w, (json_int_t)(i + 1) * CONSUME_CUSTOMERS_PAGE, NULL);
}

/*
 * The customers that spent in the months that may be read (the first page
 * gives the total, the others go out in parallel), then, per customer, the
 * days since the last read (ListSubCustomerBillDetail). Only a complete
 * listing plans the reading: a customer missed would look as if it spent
 * nothing.
 */
static void
job_consumption(struct job_run *r, struct worker *w)
{
	const struct config *cfg = r->cfg;
	char err[STORE_ERR_LEN], **months = NULL, *doc;
	size_t nmonths = 0;

	r->found = json_array();
	if (!store_ok(w,
		store_consumption_months(w->st, cfg->poll_consumption_backfill_days,
		    cfg->poll_billing_timezone, &months, &nmonths, err, sizeof(err)),
		err))
		goto out;
	for (size_t k = 0; k < nmonths; k++) {
		json_int_t total = 0;

		r->cycle = months[k];
		if (!spenders_page(w, 0, &total))
			goto out;
		if (total > CONSUME_CUSTOMERS_PAGE)
			crew_fan_out(r, (size_t)((total - 1) / CONSUME_CUSTOMERS_PAGE),
			    spenders_item);
		if (atomic_load(&r->errors) > 0 || run_stopping(r)) {
			run_error(r, true, "spending customers' listing incomplete: nothing read");
			goto out;
		}
	}
	doc = json_dumps(r->found, JSON_COMPACT);
	if (store_ok(w,
		store_consumption_plan(w->st, r->run_id, doc, cfg->poll_consumption_backfill_days,
		    cfg->poll_billing_timezone, &r->ids, &r->nids, err, sizeof(err)),
		err))
		crew_fan_out(r, r->nids, consumption_item);
	free(doc);
out:
	r->cycle = NULL;
	store_free_ids(months, nmonths);
	json_decref(r->found);
	r->found = NULL;
}

/* ---- renewal prices ---- */

/*
 * One customer: "ID ACCOUNT AGENCY RID,RID,…" from todo. Its renewal prices
 * in batches of ten, with its own token. A customer that created no agency
 * for the partner cannot be asked: its resources are recorded so, and the
 * rules fall back on their last renewals' amounts.
 */
static void
renewals_item(struct worker *w, size_t i)
{
	struct job_run *r = w->run;
	const struct config *cfg = r->cfg;
	char *row = xstrdup(r->ids[i]), *save = NULL, *isave = NULL, err[STORE_ERR_LEN];
	char *cid = strtok_r(row, " ", &save), *domain = strtok_r(NULL, " ", &save);
	char *agency = strtok_r(NULL, " ", &save), *list = strtok_r(NULL, " ", &save), *id;
	bool months = cfg->poll_renewal_period_months % 12 != 0;

	if (list == NULL) {
		run_error(r, false, "renewals: a bad todo row \"%s\"", r->ids[i]);
		free(row);
		return;
	}
	id = strtok_r(list, ",", &isave);
	while (id && !run_stopping(r)) {
		json_t *ids = json_array(), *body, *ans = NULL;
		struct hwc_error e;
		enum hwc_status st;
		char *asked;
		int priced = 0;

		for (int k = 0; id && k < RENEW_RATE_IDS; k++, id = strtok_r(NULL, ",", &isave))
			json_array_append_new(ids, json_string(id));
		body = json_pack("{s:O,s:i,s:i,s:b}", "resource_ids", ids, "period_type",
		    months ? 2 : 3, "period_num",
		    months ? cfg->poll_renewal_period_months : cfg->poll_renewal_period_months / 12,
		    "include_relative_resources", false);
		asked = json_dumps(ids, JSON_COMPACT);
		st = hwc_call_as(w->hs, domain, agency, HWC_API_RENEW_RATE, "POST", PATH_RENEW_RATE,
		    NULL, body, &ans, &w->raw, &e);
		if (st == HWC_STOPPED) {
			id = NULL;
		} else if (st == HWC_OK) {
			if (store_ok(w,
				store_renewal_prices_apply(w->st, r->run_id, cid, w->raw.data,
				    asked, NULL, &priced, err, sizeof(err)),
				err))
				atomic_fetch_add(&r->items, priced);
		} else {
			/* No agency, or a refusal: recorded, and not an error of the run. */
			if (st != HWC_AUTH) {
				log_warn("poller: renewals: prices of %s: %s (HTTP %ld %s %s)", cid,
				    hwc_status_name(st), e.http_status, e.code, e.message);
				run_error(r, false, "prices of %s: %s: HTTP %ld %s %s", cid,
				    hwc_status_name(st), e.http_status, e.code, e.message);
			}
			(void)store_ok(w,
			    store_renewal_prices_apply(w->st, r->run_id, cid, NULL, asked,
				st == HWC_AUTH ? "no_agency" : (e.code[0] ? e.code : "failed"),
				&priced, err, sizeof(err)),
			    err);
			if (st == HWC_AUTH)
				id = NULL; /* the same refusal for every batch */
		}
		free(asked);
		json_decref(ids);
		json_decref(body);
		json_decref(ans);
	}
	free(row);
}

/*
 * The auto-renew resources that a renewal_short stage could reach, whose
 * price is unknown or most of a day old: ListRenewRateOnPeriod, with each
 * customer's own token (assume_role), since Huawei refuses the partner's.
 */
static void
job_renewals(struct job_run *r, struct worker *w)
{
	const struct config *cfg = r->cfg;
	char err[STORE_ERR_LEN];
	int st[CONFIG_MAX_STAGES], n = 0, far = 0;

	if (config_stages(cfg->al_renewal_stages, st, &n)) {
		for (int k = 0; k < n; k++)
			far = st[k] > far ? st[k] : far;
	}
	if (store_ok(w,
		store_renewals_todo(w->st,
		    cfg->al_renewal_charge_days + cfg->al_renewal_window_days + far + 1,
		    RENEW_PRICE_MAX_AGE_HOURS, &r->ids, &r->nids, err, sizeof(err)),
		err))
		crew_fan_out(r, r->nids, renewals_item);
}

void
poll_run_job(struct poll_crew *c, const char *instance, enum poll_job job, int interval,
    struct poll_summary *out)
{
	struct job_run r;
	struct worker *w;
	char err[STORE_ERR_LEN];
	int64_t t0 = clock_mono_us();
	enum store_result sr;

	memset(&r, 0, sizeof(r));
	memset(out, 0, sizeof(*out));
	r.job = job;
	pthread_mutex_init(&r.mu, NULL);
	w = crew_begin(c, &r);
	sr = store_poll_run_start(w->st, poll_job_name(job), instance, interval, &r.run_id, err,
	    sizeof(err));
	if (sr != STORE_OK) {
		out->status = "failed";
		snprintf(out->detail, sizeof(out->detail), "cannot record the run: %s", err);
		log_outage_failed(&db_outage, poll_job_name(job), out->detail);
		goto out;
	}
	w->checked_run = r.run_id;
	log_outage_ok(&db_outage);
	switch (job) {
	case POLL_CUSTOMERS: job_customers(&r, w); break;
	case POLL_BALANCES: job_balances(&r, w); break;
	case POLL_RESOURCES: job_resources(&r, w); break;
	case POLL_PARTNER: job_partner(&r, w); break;
	case POLL_COUPONS: job_coupons(&r, w); break;
	case POLL_CONSUMPTION: job_consumption(&r, w); break;
	case POLL_RENEWALS: job_renewals(&r, w); break;
	case POLL_JOB_COUNT: break;
	}
	crew_settle(c, &r);

	out->counts.calls = atomic_load(&r.calls);
	out->counts.retries = atomic_load(&r.retries);
	out->counts.throttled = atomic_load(&r.throttled);
	out->counts.items = atomic_load(&r.items);
	out->counts.errors = atomic_load(&r.errors);
	out->counts.auth_failed = atomic_load(&r.auth_failed);
	out->events = (int)atomic_load(&r.events);
	snprintf(out->detail, sizeof(out->detail), "%s", r.detail);
	if (r.stop && atomic_load(r.stop) && !atomic_load(&r.fatal))
		out->status = "stopped";
	else if (atomic_load(&r.fatal))
		out->status = "failed";
	else if (out->counts.errors > 0)
		out->status = "partial";
	else
		out->status = "ok";
	/*
	 * The lead's connection may have broken during the run without the lead
	 * noticing: the failed statement drops it, and the second connects afresh.
	 */
	for (int attempt = 0; attempt < 2; attempt++) {
		sr = store_poll_run_finish(w->st, r.run_id,
		    strcmp(out->status, "stopped") == 0 ? "failed" : out->status, &out->counts,
		    out->detail[0] ? out->detail : NULL, err, sizeof(err));
		if (sr != STORE_CONN_FAILED)
			break;
	}
	if (sr != STORE_OK)
		log_error("poller: %s: cannot record the end of run %lld: %s", poll_job_name(job),
		    (long long)r.run_id, err);
out:
	out->seconds = (double)(clock_mono_us() - t0) / 1e6;
	if (out->counts.calls || strcmp(out->status, "ok") != 0 || job == POLL_PARTNER)
		log_info(
		    "poller: %s %s in %.1f s: %ld calls, %ld retries, %ld throttled, %ld items, "
		    "%d events, %ld errors%s%s",
		    poll_job_name(job), out->status, out->seconds, out->counts.calls,
		    out->counts.retries, out->counts.throttled, out->counts.items, out->events,
		    out->counts.errors, out->detail[0] ? "; first: " : "", out->detail);
	w->run = NULL;
	store_free_ids(r.ids, r.nids);
	pthread_mutex_destroy(&r.mu);
}
