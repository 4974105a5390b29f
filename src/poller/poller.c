#include "poller/poller.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/instance.h"
#include "core/log.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/thread.h"
#include "util/xalloc.h"

#define PATH_CUSTOMERS "/v2/partners/sub-customers/query"
#define PATH_BALANCES "/v2/accounts/customer-accounts/balances/batch-query"
#define PATH_RESOURCES "/v2/orders/suscriptions/resources/query"
#define PATH_PARTNER "/v2/accounts/partner-accounts/balances"

#define CUSTOMERS_PAGE 100    /* ListSubCustomers allows at most 100 */
#define BALANCES_BATCH 100    /* ListCustomersBalancesDetail takes 1 to 100 IDs */
#define RESOURCE_IDS_BATCH 50 /* resource_ids holds at most 50 */

struct worker;
typedef void (*item_fn)(struct worker *w, size_t i);

/* One run of one job. */
struct job_run {
	const struct config *cfg;
	struct hwc_client *hw;
	enum poll_job job;
	int64_t run_id;
	const atomic_bool *stop;
	char now_utc[CLOCK_UTC_S_LEN], horizon_utc[CLOCK_UTC_S_LEN];

	/* The work that pool_run() hands out. */
	atomic_size_t next;
	size_t n;
	item_fn fn;
	char **ids;
	size_t nids;

	atomic_long items, events, errors, calls, retries, throttled;
	atomic_bool fatal;	 /* stop handing out work: credentials, or the database */
	atomic_bool auth_failed; /* Huawei refused the credentials (alerts read it) */
	pthread_mutex_t mu;
	char detail[POLL_DETAIL_LEN];
};

struct worker {
	struct job_run *run;
	struct hwc_session *hs;
	struct store *st;
	struct buf raw;
	pthread_t th;
};

static const char *const job_names[POLL_JOB_COUNT] = {
	"customers",
	"balances",
	"resources",
	"partner",
};

static void note_error(struct job_run *r, bool fatal, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool should_stop(struct job_run *r);
static void worker_init(struct worker *w, struct job_run *r);
static void worker_cleanup(struct worker *w);
static void *worker_main(void *arg);
static void pool_run(struct job_run *r, size_t n, item_fn fn);
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

const char *
poll_job_name(enum poll_job job)
{
	return (unsigned)job < POLL_JOB_COUNT ? job_names[job] : "?";
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

/* Keeps the first error for the run's detail; counts every one. */
static void
note_error(struct job_run *r, bool fatal, const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&r->errors, 1);
	if (fatal)
		atomic_store(&r->fatal, true);
	pthread_mutex_lock(&r->mu);
	if (r->detail[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&r->mu);
}

static bool
should_stop(struct job_run *r)
{
	return atomic_load(&r->fatal) || (r->stop && atomic_load(r->stop));
}

static void
worker_init(struct worker *w, struct job_run *r)
{
	memset(w, 0, sizeof(*w));
	w->run = r;
	w->hs = hwc_session_new(r->hw, r->stop);
	w->st =
	    store_open(r->cfg->database_url, r->cfg->connect_timeout, r->cfg->statement_timeout);
	buf_init(&w->raw);
}

static void
worker_cleanup(struct worker *w)
{
	const struct hwc_stats *hs = hwc_session_stats(w->hs);

	atomic_fetch_add(&w->run->calls, atomic_load(&hs->calls));
	atomic_fetch_add(&w->run->retries, atomic_load(&hs->retries));
	atomic_fetch_add(&w->run->throttled, atomic_load(&hs->throttled));
	hwc_session_free(w->hs);
	store_close(w->st);
	buf_cleanup(&w->raw);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct job_run *r = w->run;

	for (;;) {
		size_t i = atomic_fetch_add(&r->next, 1);

		if (i >= r->n || should_stop(r))
			break;
		r->fn(w, i);
	}
	return NULL;
}

/* Runs fn for items 0..n-1 on up to [poller] concurrency threads. */
static void
pool_run(struct job_run *r, size_t n, item_fn fn)
{
	size_t nw = (size_t)r->cfg->poll_concurrency;
	struct worker *ws;
	size_t started = 0;

	if (n == 0)
		return;
	if (nw > n)
		nw = n;
	atomic_store(&r->next, 0);
	r->n = n;
	r->fn = fn;
	ws = xcalloc(nw, sizeof(*ws));
	for (size_t i = 0; i < nw; i++) {
		worker_init(&ws[i], r);
		if (!thread_start(&ws[i].th, "hcw-poll-call", worker_main, &ws[i])) {
			worker_cleanup(&ws[i]);
			break;
		}
		started++;
	}
	if (started == 0) {
		note_error(r, true, "cannot start a worker thread");
	}
	for (size_t i = 0; i < started; i++) {
		pthread_join(ws[i].th, NULL);
		worker_cleanup(&ws[i]);
	}
	free(ws);
}

static bool
call(struct worker *w, enum hwc_api api, const char *method, const char *path, const json_t *body,
    json_t **ans, const char *what)
{
	struct hwc_error e;
	enum hwc_status st = hwc_call(w->hs, api, method, path, NULL, body, ans, &w->raw, &e);

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
		note_error(w->run, true, "%s: credentials refused: HTTP %ld %s %s", what,
		    e.http_status, e.code, e.message);
		return false;
	}
	log_warn("poller: %s: %s %s: %s (HTTP %ld%s%s%s%s)", poll_job_name(w->run->job), what,
	    hwc_api_name(api), hwc_status_name(st), e.http_status, e.code[0] ? " " : "", e.code,
	    e.message[0] ? ": " : "", e.message);
	note_error(w->run, false, "%s: %s: HTTP %ld %s %s", what, hwc_status_name(st),
	    e.http_status, e.code, e.message);
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
	note_error(w->run, sr == STORE_CONN_FAILED, "database: %s", err);
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
		note_error(w->run, false, "%s: answer without customer_infos", what);
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
		pool_run(r, (size_t)((count - 1) / CUSTOMERS_PAGE), customers_item);
	if (atomic_load(&r->errors) > 0 || should_stop(r)) {
		note_error(r, true, "listing incomplete: no customer marked gone");
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
	pool_run(r, (r->nids + BALANCES_BATCH - 1) / BALANCES_BATCH, balances_item);
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

		if (should_stop(r))
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
			note_error(r, false, "%s: answer without data", what);
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
	pool_run(r, r->nids, resources_item);
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

void
poll_run_job(const struct config *cfg, struct hwc_client *hw, const char *instance,
    enum poll_job job, int interval, const atomic_bool *stop, struct poll_summary *out)
{
	struct job_run r;
	struct worker w;
	char err[STORE_ERR_LEN];
	int64_t t0 = clock_mono_us();
	enum store_result sr;

	memset(&r, 0, sizeof(r));
	memset(out, 0, sizeof(*out));
	r.cfg = cfg;
	r.hw = hw;
	r.job = job;
	r.stop = stop;
	pthread_mutex_init(&r.mu, NULL);
	worker_init(&w, &r);

	sr = store_poll_run_start(w.st, poll_job_name(job), instance, interval, &r.run_id, err,
	    sizeof(err));
	if (sr != STORE_OK) {
		out->status = "failed";
		snprintf(out->detail, sizeof(out->detail), "cannot record the run: %s", err);
		log_outage_failed(&db_outage, poll_job_name(job), out->detail);
		worker_cleanup(&w);
		goto out;
	}
	log_outage_ok(&db_outage);
	switch (job) {
	case POLL_CUSTOMERS: job_customers(&r, &w); break;
	case POLL_BALANCES: job_balances(&r, &w); break;
	case POLL_RESOURCES: job_resources(&r, &w); break;
	case POLL_PARTNER: job_partner(&r, &w); break;
	case POLL_JOB_COUNT: break;
	}
	worker_cleanup(&w);

	out->counts.calls = atomic_load(&r.calls);
	out->counts.retries = atomic_load(&r.retries);
	out->counts.throttled = atomic_load(&r.throttled);
	out->counts.items = atomic_load(&r.items);
	out->counts.errors = atomic_load(&r.errors);
	out->counts.auth_failed = atomic_load(&r.auth_failed);
	out->events = (int)atomic_load(&r.events);
	snprintf(out->detail, sizeof(out->detail), "%s", r.detail);
	if (stop && atomic_load(stop) && !atomic_load(&r.fatal))
		out->status = "stopped";
	else if (atomic_load(&r.fatal))
		out->status = "failed";
	else if (out->counts.errors > 0)
		out->status = "partial";
	else
		out->status = "ok";
	{
		/* A fresh connection: a worker's may be the one that broke. */
		struct store *st =
		    store_open(cfg->database_url, cfg->connect_timeout, cfg->statement_timeout);

		if (store_poll_run_finish(st, r.run_id,
			strcmp(out->status, "stopped") == 0 ? "failed" : out->status, &out->counts,
			out->detail[0] ? out->detail : NULL, err, sizeof(err)) != STORE_OK)
			log_error("poller: %s: cannot record the end of run %lld: %s",
			    poll_job_name(job), (long long)r.run_id, err);
		store_close(st);
	}
out:
	out->seconds = (double)(clock_mono_us() - t0) / 1e6;
	if (out->counts.calls || strcmp(out->status, "ok") != 0 || job == POLL_PARTNER)
		log_info(
		    "poller: %s %s in %.1f s: %ld calls, %ld retries, %ld throttled, %ld items, "
		    "%d events, %ld errors%s%s",
		    poll_job_name(job), out->status, out->seconds, out->counts.calls,
		    out->counts.retries, out->counts.throttled, out->counts.items, out->events,
		    out->counts.errors, out->detail[0] ? "; first: " : "", out->detail);
	store_free_ids(r.ids, r.nids);
	pthread_mutex_destroy(&r.mu);
}

/* ---- the schedule, in serve ---- */

struct sched_job {
	struct poller *p;
	enum poll_job job;
	int interval;
	pthread_t th;
	bool running;
	atomic_bool done;
	atomic_bool stop;
	int64_t due; /* monotonic microseconds */
	struct poll_summary sum;
};

struct poller {
	struct config *cfg; /* the poller's own copy: reloads never touch it */
	struct hwc_client *hw;
	char instance[300];
	pthread_t th;
	atomic_bool stop;
	struct sched_job jobs[POLL_JOB_COUNT];
};

static void *job_main(void *arg);
static void *sched_main(void *arg);
static void sched_become_leader(struct poller *p, struct store *st);
static void sched_stop_jobs(struct poller *p, bool wait);

static void *
job_main(void *arg)
{
	struct sched_job *j = arg;

	poll_run_job(j->p->cfg, j->p->hw, j->p->instance, j->job, j->interval, &j->stop, &j->sum);
	atomic_store(&j->done, true);
	return NULL;
}

/* Due times continue from the last run recorded by any instance. */
static void
sched_become_leader(struct poller *p, struct store *st)
{
	int64_t now_wall = clock_wall_us() / 1000000, now = clock_mono_us();

	log_info("poller: %s holds the poller lock and polls Huawei at %s", p->instance,
	    p->cfg->hw_endpoint);
	for (int i = 0; i < POLL_JOB_COUNT; i++) {
		struct sched_job *j = &p->jobs[i];
		char err[STORE_ERR_LEN];
		int64_t last = 0, wait;

		if (store_poll_last_finished(st, poll_job_name(j->job), &last, err, sizeof(err)) !=
		    STORE_OK)
			last = 0;
		wait = last ? last + j->interval - now_wall : 0;
		if (wait < 0)
			wait = 0;
		j->due = now + wait * 1000000;
	}
}

static void
sched_stop_jobs(struct poller *p, bool wait)
{
	for (int i = 0; i < POLL_JOB_COUNT; i++) {
		struct sched_job *j = &p->jobs[i];

		if (!j->running)
			continue;
		atomic_store(&j->stop, true);
		if (wait) {
			pthread_join(j->th, NULL);
			j->running = false;
		}
	}
}

static void *
sched_main(void *arg)
{
	struct poller *p = arg;
	struct store *st = store_open(p->cfg->database_url, p->cfg->connect_timeout, 0);
	bool leader = false, customers_known = false;
	int64_t next_check = 0;

	while (!atomic_load(&p->stop)) {
		int64_t now = clock_mono_us();
		char err[STORE_ERR_LEN];

		/* Reap finished jobs; their next run is one interval after this one ended. */
		for (int i = 0; i < POLL_JOB_COUNT; i++) {
			struct sched_job *j = &p->jobs[i];

			if (j->running && atomic_load(&j->done)) {
				pthread_join(j->th, NULL);
				j->running = false;
				j->due = now + (int64_t)j->interval * 1000000;
				if (j->job == POLL_CUSTOMERS &&
				    strcmp(j->sum.status, "failed") != 0)
					customers_known = true;
			}
		}
		if (now >= next_check) {
			next_check = now + (int64_t)p->cfg->poll_leader_check * 1000000;
			if (!leader) {
				if (store_leader_try(st, &leader, err, sizeof(err)) == STORE_OK &&
				    leader) {
					int64_t last = 0;

					sched_become_leader(p, st);
					customers_known =
					    store_poll_last_finished(st, "customers", &last, err,
						sizeof(err)) == STORE_OK &&
					    last > 0;
				}
			} else if (store_ping(st, err, sizeof(err)) != STORE_OK) {
				/* The lock went with the connection: another instance may lead now.
				 */
				log_warn(
				    "poller: lost the poller lock (%s); stopping the running jobs",
				    err);
				leader = false;
				sched_stop_jobs(p, false);
			}
		}
		if (leader) {
			for (int i = 0; i < POLL_JOB_COUNT; i++) {
				struct sched_job *j = &p->jobs[i];

				if (j->running || now < j->due)
					continue;
				/* Balances and resources start from the customer list. */
				if (j->job != POLL_CUSTOMERS && j->job != POLL_PARTNER &&
				    !customers_known)
					continue;
				atomic_store(&j->done, false);
				atomic_store(&j->stop, false);
				if (thread_start(&j->th, "hcw-poll-job", job_main, j))
					j->running = true;
				else
					log_error("poller: cannot start a thread for the %s job",
					    poll_job_name(j->job));
			}
		}
		(void)clock_sleep_us(leader ? 200000 : 1000000, &p->stop);
	}
	sched_stop_jobs(p, true);
	/* Closing the connection releases the lock at once for the next instance. */
	store_close(st);
	return NULL;
}

struct poller *
poller_start(const struct config *cfg, char *err, size_t errlen)
{
	struct poller *p = xcalloc(1, sizeof(*p));

	p->cfg = config_copy(cfg);
	p->hw = hwc_client_new(p->cfg, err, errlen);
	if (p->hw == NULL)
		goto fail;
	instance_name(p->instance, sizeof(p->instance));
	for (int i = 0; i < POLL_JOB_COUNT; i++) {
		static const size_t interval_off[POLL_JOB_COUNT] = {
			offsetof(struct config, poll_customers_interval),
			offsetof(struct config, poll_balances_interval),
			offsetof(struct config, poll_resources_interval),
			offsetof(struct config, poll_partner_interval),
		};

		p->jobs[i].p = p;
		p->jobs[i].job = (enum poll_job)i;
		p->jobs[i].interval = *(const int *)((const char *)p->cfg + interval_off[i]);
	}
	if (!thread_start(&p->th, "hcw-poller", sched_main, p)) {
		snprintf(err, errlen, "cannot start the poller thread");
		goto fail;
	}
	return p;
fail:
	hwc_client_free(p->hw);
	config_free(p->cfg);
	free(p);
	return NULL;
}

void
poller_stop(struct poller *p)
{
	if (p == NULL)
		return;
	atomic_store(&p->stop, true);
	pthread_join(p->th, NULL);
	hwc_client_free(p->hw);
	config_free(p->cfg);
	free(p);
}
