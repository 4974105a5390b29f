/*
 * The store: every libpq call of hcwatch lives under src/store/, and so do
 * the statements (src/store/sql/), but for the alert rules' own, which live
 * with their rule (src/rules/) and which the rules run by name through
 * store_eval_step. Callers otherwise see domain functions only.
 *
 * A struct store is one connection, used by one thread at a time. Statements
 * are prepared once per connection, on first use, so that a store can be
 * opened before the schema exists (migrate) and survives reconnects.
 */
#ifndef HCWATCH_STORE_STORE_H
#define HCWATCH_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store_sql.h"

#define STORE_ERR_LEN 512

struct store;

enum store_result {
	STORE_OK,
	STORE_CONN_FAILED,  /* no connection, or it broke: retry later, nothing is known written */
	STORE_QUERY_FAILED, /* the server refused the statement: retrying the same data won't help
			     */
};

enum store_outcome {
	STORE_OUTCOME_NONE,
	STORE_OUTCOME_ACCEPTED,
	STORE_OUTCOME_DUPLICATE,
	STORE_OUTCOME_REJECTED,
};

/* One inbound callback to record. Strings are borrowed; NULL means absent. */
struct store_callback {
	int64_t received_us; /* wall clock, microseconds since the epoch */
	const char *channel;
	const char *request_id;
	const char *remote_addr;
	const char *content_type;
	bool verified;
	const char *reason; /* set when !verified */
	const char *detail;
	char sig_rule; /* 'A'..'C', or 0 */
	const char *idem_key;
	const char *customer_id;
	const char *account_name;
	const char *xaccount_id;
	const char *xuser_id;
	const char *bind_action;
	const unsigned char *body;
	size_t body_len;   /* what is stored of it */
	size_t body_bytes; /* its size as received; 0: body_len */

	enum store_outcome outcome; /* set by store_callbacks_record */
};

/**
 * Connects. Never fails for a down server: the store is returned unconnected
 * and store_ensure_connected() tries again.
 */
struct store *store_open(const char *conninfo, int connect_timeout_s, int statement_timeout_ms);
void store_close(struct store *s);
/**
 * Commits on this connection return before they reach the disk
 * (synchronous_commit = off): a database crash may forget the last ones.
 * For writes whose loss means only a repeat, never a loss (the notifier's).
 */
void store_set_async_commit(struct store *s);
/** Connects if not connected; true when the connection is usable. */
bool store_ensure_connected(struct store *s, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/** A round trip to the server. */
enum store_result store_ping(struct store *s, char *err, size_t errlen);
/**
 * Prepares every statement of the registry on this connection at once, for
 * the test that checks them all against the schema; err lists each failure.
 */
bool store_prepare_all(struct store *s, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/**
 * Records n callbacks in one statement, and so one commit (group commit).
 * For verified ones, decides accepted or duplicate by idem_key and upserts
 * the customer. Each callback's outcome is set only when STORE_OK returns.
 */
enum store_result store_callbacks_record(struct store *s, struct store_callback *const *cbs,
    size_t n, char *err, size_t errlen);
/*
 * The poller's side. Huawei's answers are passed as the raw JSON text they
 * arrived as, so that PostgreSQL reads amounts as exact decimals.
 */

struct store_run_counts {
	long calls, retries, throttled, items, errors;
	bool auth_failed; /* Huawei refused the credentials */
};

/**
 * Takes the poller lock (a session-level advisory lock) if it is free; on
 * this store's connection, which must then stay open while leading.
 */
enum store_result store_leader_try(struct store *s, bool *leader, char *err, size_t errlen);
/** interval: seconds the schedule waits after this run before the next; 0 for none. */
enum store_result store_poll_run_start(struct store *s, const char *job, const char *instance,
    int interval, int64_t *run_id, char *err, size_t errlen);
/** status: "ok", "partial" or "failed". */
enum store_result store_poll_run_finish(struct store *s, int64_t run_id, const char *status,
    const struct store_run_counts *counts, const char *detail, char *err, size_t errlen);
/** When job last finished ok or partial, in seconds since the epoch; 0 if never. */
enum store_result store_poll_last_finished(struct store *s, const char *job, int64_t *at, char *err,
    size_t errlen);
/**
 * Applies one ListSubCustomers answer: links customers known only from a
 * binding notification (by xaccount_id or account name), upserts, and
 * records association, type and frozen changes as customer_events.
 */
enum store_result store_customers_apply_page(struct store *s, int64_t run_id, const char *answer,
    int *items, int *events, char *err, size_t errlen);
/** After a complete listing: customers listed before but not in run_id are gone. */
enum store_result store_customers_mark_gone(struct store *s, int64_t run_id, int *gone, char *err,
    size_t errlen);
/** IDs of the customers currently associated (resale ones only, if asked); caller frees. */
enum store_result store_customers_active(struct store *s, bool resale_only, char ***ids, size_t *n,
    char *err, size_t errlen);
/** Referral customers have no balance at the partner: say so, never 0. */
enum store_result store_balances_mark_referral(struct store *s, int *marked, char *err,
    size_t errlen);
/**
 * Applies one ListCustomersBalancesDetail answer for the customers in
 * requested (a JSON array of IDs): a snapshot each, the latest figures on the
 * customer, and 'not_returned' for those left out.
 */
enum store_result store_balances_apply(struct store *s, int64_t run_id, const char *answer,
    const char *requested, int *items, int *missing, char *err, size_t errlen);
enum store_result store_partner_balances_apply(struct store *s, int64_t run_id, const char *answer,
    int *items, char *err, size_t errlen);
/** Applies one ListPayPerUseCustomerResources answer for customer_id, with events. */
enum store_result store_resources_apply_page(struct store *s, int64_t run_id,
    const char *customer_id, const char *answer, int *items, int *events, char *err, size_t errlen);
/**
 * Resources of customer_id that this run should have seen and did not:
 * not gone, not closed, not beyond the horizon, and (unless expired ones
 * are queried) in use. Caller frees.
 */
enum store_result store_resources_unseen(struct store *s, int64_t run_id, const char *customer_id,
    int horizon_days, bool expired_queried, char ***ids, size_t *n, char *err, size_t errlen);
/** Marks gone those of ids (a JSON array) still unseen in run_id. */
enum store_result store_resources_mark_gone(struct store *s, int64_t run_id,
    const char *customer_id, const char *ids, int *gone, char *err, size_t errlen);
/** Frees a list from store_customers_active or store_resources_unseen. */
void store_free_ids(char **ids, size_t n);

/*
 * Alerts (q_alerts.c). Times are ISO 8601 text; settings and routing are
 * the JSON documents alerts/engine.c builds from the configuration.
 */

struct store_eval_counts {
	long fired; /* alerts that started or reached a new stage */
	long resolved;
	long notices;
	long notifications; /* all of the above that are to be told */
	long deliveries;    /* outbox rows created */
	long appended;	    /* digests waiting out quiet hours that took more */
	long unrouted;	    /* notifications no destination takes */
	long fallback;	    /* customers told about that have no [manager]: the default route */
	char fallback_names[256]; /* the first five of them, by account name */
	bool full_pass;		  /* the ladder read every resource, not only changes */
	long gated;		  /* rules not run: their gate said nothing moved */
};

/*
 * An evaluation is one transaction. store_eval_begin opens it, takes the
 * lock that makes evaluations take turns, and finds the marks of the
 * previous run; each rule (src/rules) runs its statements with
 * store_eval_step; store_eval_finish settles the alerts' states, routes the
 * new notifications into deliveries, records the run in alert_runs and
 * commits. After any failure store_eval_abort rolls back: nothing of the
 * run remains.
 */
struct store_eval {
	const char *now;      /* the rules' clock */
	const char *settings; /* JSON */
	bool full;	      /* asked to read every resource */
	/* The previous run's clock and highest change, when this one may read only what changed. */
	char prev_now[64], prev_seq[24];
	char seq[24], hash[40], last_nid[24]; /* this run's marks */
	int64_t t0;
	struct store_eval_counts counts;
};

enum store_result store_eval_begin(struct store *s, struct store_eval *e, char *err, size_t errlen);
/** Runs statement id of a rule; counts[] gets the first ncounts columns of its first row. */
enum store_result store_eval_step(struct store *s, enum store_sql id, const char *const *params,
    long *counts, int ncounts, char *err, size_t errlen);
enum store_result store_eval_finish(struct store *s, struct store_eval *e, const char *routing,
    const char *instance, char *err, size_t errlen);
void store_eval_abort(struct store *s);

/** Open alerts, outbox depth and dead letters as Prometheus text (caller frees). */
enum store_result store_gauges(struct store *s, char **text, char *err, size_t errlen);
/** Alerts as a JSON array (caller frees); open only unless all, newest first. */
enum store_result store_alerts_list(struct store *s, bool all, const char *kind,
    const char *customer, int limit, const char *now, char **json, char *err, size_t errlen);
/** Acknowledges the open alert with this id or fingerprint; *n is 0 if none. */
enum store_result store_alert_ack(struct store *s, const char *ref, const char *by,
    const char *note, const char *now, long *n, char *err, size_t errlen);
/**
 * Each of customer, resource, kind may be NULL (matches any); returns the
 * id, and in *covered the open alerts it covers, which are silenced at once.
 */
enum store_result store_silence_add(struct store *s, const char *customer, const char *resource,
    const char *kind, const char *starts, const char *ends, const char *by, const char *comment,
    long *id, long *covered, char *err, size_t errlen);
/**
 * Whether customer and resource (NULL or "": not asked) exist; when the
 * customer does not, names_of lists the ids of customers whose account or
 * company name it is.
 */
enum store_result store_silence_check(struct store *s, const char *customer, const char *resource,
    bool *customer_ok, char *names_of, size_t names_len, bool *resource_ok, char *err,
    size_t errlen);
enum store_result store_silence_end(struct store *s, long id, const char *now, long *n, char *err,
    size_t errlen);
/** Silences still in force or yet to start, as a JSON array. */
enum store_result store_silences_list(struct store *s, const char *now, char **json, char *err,
    size_t errlen);
/**
 * What would make an evaluation worth running now: when the latest poll
 * run ended (microseconds since the epoch), and whether events wait to be
 * announced.
 */
enum store_result store_alerts_pending(struct store *s, long *last_run, bool *events, char *err,
    size_t errlen);
/**
 * Whether every poll job has finished at least one run (an evaluation waits
 * for it); coupons, consumption: whether those jobs run at all.
 */
enum store_result store_alerts_swept(struct store *s, bool coupons, bool consumption, bool *swept,
    char *err, size_t errlen);
/** The notifications an alert produced (for render), as a JSON array of items. */
enum store_result store_alert_items(struct store *s, const char *ref, char **json, char *err,
    size_t errlen);

/*
 * The outbox (q_outbox.c). now is the notifier's clock (shifted like the
 * rules' one); pacing and platform penalties use the database's own clock.
 */

struct store_delivery {
	long id;
	char key[64]; /* idempotency key */
	char destination[80];
	char channel[16];
	int attempts; /* including this one */
	int parts_sent;
	char *body;	  /* the rendered parts as a JSON array, or NULL before the first render */
	long fallback_of; /* 0 when none */
	double age;	  /* seconds since retry_from */
	char token[24];	  /* the claim's lease token */
	char *items;	  /* with no body yet: the items to render, a JSON array */
	/*
	 * body was rendered for this claim and is not in the row yet: the
	 * first write about the delivery (a part sent, a retry, dead, delivered)
	 * stores it, with parts_total.
	 */
	bool unstored;
	int parts_total;
	/*
	 * The destination's last recorded outcome was a failure, by any worker:
	 * a success must reach destination_state.last_ok_at at once, since the
	 * channel_failing alert compares it with the failure.
	 */
	bool note_ok;
};

/**
 * Claims up to max of the most overdue deliveries to dests (a JSON array of
 * names) whose destination is not blocked, for lease seconds, into out[]
 * in id order; *n says how many (0 when nothing is due). Clean each up.
 */
enum store_result store_delivery_claim(struct store *s, const char *now, int lease,
    const char *instance, const char *dests, int max, struct store_delivery *out, int *n, char *err,
    size_t errlen);
void store_delivery_cleanup(struct store_delivery *d);
/*
 * The claim holder's writes. Each names the claim's lease token; *held comes
 * back false when another worker has taken the delivery over since (the
 * lease ran out), and then nothing was changed.
 */
/** Extends the lease to lease_until; call before each send. */
enum store_result store_delivery_renew(struct store *s, const struct store_delivery *d,
    const char *lease_until, bool *held, char *err, size_t errlen);
/**
 * Records deliveries whose last part arrived, in one statement. batch is a
 * JSON array of {id, token, parts, body}, body null where the row has it;
 * held_ids gets the ids whose claim still held (at most max), *nheld how
 * many.
 */
enum store_result store_delivery_delivered(struct store *s, const char *batch, long *held_ids,
    int max, int *nheld, char *err, size_t errlen);
/**
 * Part parts_sent of several arrived, and not the last: the lease runs on
 * to lease_until. An unstored rendering is stored with it, so that retries
 * send the parts left of the same bytes.
 */
enum store_result store_delivery_part_sent(struct store *s, const struct store_delivery *d,
    int parts_sent, const char *lease_until, bool *held, char *err, size_t errlen);
/** Back to pending until next (ISO time), after a failed attempt. */
enum store_result store_delivery_retry(struct store *s, const struct store_delivery *d,
    const char *next, const char *error, const char *code, bool *held, char *err, size_t errlen);
/** Back to pending until next without counting an attempt (paced or blocked). */
enum store_result store_delivery_release(struct store *s, const struct store_delivery *d,
    const char *next, bool *held, char *err, size_t errlen);
/**
 * Gives up: the delivery is dead. With a fallback destination, a new
 * delivery carries the same notifications there, in the same statement.
 */
enum store_result store_delivery_dead(struct store *s, const struct store_delivery *d,
    const char *error, const char *code, const char *now, const char *fallback,
    const char *fallback_channel, bool *held, char *err, size_t errlen);
/** Dead deliveries (id, or all when id is 0) back to pending now; *n says how many. */
enum store_result store_delivery_replay(struct store *s, long id, const char *now, long *n,
    char *err, size_t errlen);
/**
 * Takes one send from destination's pace (interval seconds apart, burst
 * tolerance in seconds). *wait is 0 when granted, else the seconds to wait.
 */
enum store_result store_destination_token(struct store *s, const char *destination, double interval,
    double tolerance, double *wait, char *err, size_t errlen);
/**
 * Deletes up to batch callback_events older than days: the rejected ones,
 * or the others. *deleted says how many; fewer than batch means none is left.
 */
/**
 * One batch of retention statement q ($1 days, $2 batch): *deleted says how
 * many rows went (the most of any one table the statement deletes from).
 */
enum store_result store_retention_expire(struct store *s, enum store_sql q, int days, int batch,
    long *deleted, char *err, size_t errlen);
enum store_result store_callbacks_expire(struct store *s, bool rejected, int days, int batch,
    long *deleted, char *err, size_t errlen);
/** A send to destination left ago seconds since: the next waits one interval after it. */
enum store_result store_destination_sent(struct store *s, const char *destination, double ago,
    double interval, char *err, size_t errlen);
/** A platform penalty or Retry-After: no sends to destination for seconds. */
enum store_result store_destination_block(struct store *s, const char *destination, double seconds,
    const char *reason, char *err, size_t errlen);
/** Records the last outcome on destination_state, for dashboards. */
enum store_result store_destination_note(struct store *s, const char *destination, bool ok,
    const char *error, char *err, size_t errlen);
/** Deliveries by state and destination, as a JSON array, for the CLI. */
enum store_result store_deliveries_list(struct store *s, bool dead_only, int limit, char **json,
    char *err, size_t errlen);

/** Server and libpq versions, for the "process up" line. */
int store_libpq_version(void);

/*
 * The pages behind the messages (q_web.c). now is the clock of the rules;
 * tz the zone times are shown in.
 */
enum store_web_page { STORE_WEB_DIGEST, STORE_WEB_ALERT, STORE_WEB_CUSTOMER };
/**
 * What a page shows, as a new JSON document in *json; *json NULL when there
 * is no such delivery (for dest), alert or customer.
 */
enum store_result store_web_page(struct store *s, enum store_web_page page, const char *id,
    const char *dest, const char *tz, const char *now, char **json, char *err, size_t errlen);

/** The alert ref (an id or a fingerprint) names; *id 0 if none. */
enum store_result store_web_alert_id(struct store *s, const char *ref, long *id, char *err,
    size_t errlen);

enum store_web_action { STORE_WEB_ACK, STORE_WEB_SILENCE, STORE_WEB_UNSILENCE };
struct store_web_act {
	const char *alert_id;
	const char *name, *note; /* as typed */
	const char *dest;	 /* whose link was used */
	const char *addr, *user_agent;
	const char *span;   /* silence: "1d", "7d" or "stage" */
	const char *stages; /* silence: the default expiry stages, a JSON array */
	const char *now;
};
/** Takes action on an alert, audited; *done false when it did nothing (resolved, not silenced). */
enum store_result store_web_act(struct store *s, enum store_web_action action,
    const struct store_web_act *a, bool *done, char *err, size_t errlen);

/*
 * `hcwatch customers` (q_customers.c). A list and a customer are JSON; show
 * takes an id, or an account name (the answer says which matched).
 */
enum store_result store_customers_list(struct store *s, int limit, char **json, char *err,
    size_t errlen);
/** *json NULL when no customer has that id or account name. */
enum store_result store_customer_show(struct store *s, const char *ref, char **json, char *err,
    size_t errlen);

/*
 * The coupons job (q_coupons.c). Each apply takes one page of an answer and
 * counts what it wrote: quotas (ListQuotaCoupons), usable coupons
 * (ListIssuedPartnerCoupons), reclaim records new to hcwatch
 * (ListPartnerCouponsRecord).
 */
enum store_coupons_page { STORE_COUPON_QUOTAS, STORE_COUPONS, STORE_COUPON_RECORDS };
enum store_result store_coupons_apply(struct store *s, enum store_coupons_page what, int64_t run_id,
    const char *answer, int *items, char *err, size_t errlen);
/** After complete listings by run_id: coupons not listed are usable no more, quotas gone. */
enum store_result store_coupons_unlisted(struct store *s, int64_t run_id, int *n, char *err,
    size_t errlen);
/** Where to start reading reclaims (UTC, as the API takes it). */
enum store_result store_coupon_records_since(struct store *s, char *since, size_t len, char *err,
    size_t errlen);

/*
 * The consumption job (q_consumption.c). Days are billing days in the zone
 * tz. months: the cycles (YYYY-MM) from backfill days ago to today. plan: for
 * each id of ids (a JSON array) hcwatch knows as associated, "ID FROM TO"
 * (dates), the days to read. A page's sums wait in staging until finish
 * makes them the customer's days (complete), or drops them.
 */
enum store_result store_consumption_months(struct store *s, int backfill, const char *tz,
    char ***months, size_t *n, char *err, size_t errlen);
enum store_result store_consumption_plan(struct store *s, int64_t run_id, const char *ids,
    int backfill, const char *tz, char ***plan, size_t *n, char *err, size_t errlen);
enum store_result store_consumption_page(struct store *s, int64_t run_id, const char *customer_id,
    const char *answer, const char *tz, int *records, char *err, size_t errlen);
enum store_result store_consumption_finish(struct store *s, int64_t run_id, const char *customer_id,
    const char *from, const char *to, bool complete, char *err, size_t errlen);

/*
 * The renewals job (q_renewals.c). todo: a row per customer, "ID ACCOUNT
 * AGENCY RID,RID,…", of the auto-renew resources expiring within days whose
 * price is unknown or older than max_age_hours. apply: one answer (NULL:
 * the call failed with error_code) for the IDs asked (a JSON array).
 */
enum store_result store_renewals_todo(struct store *s, int days, int max_age_hours, char ***rows,
    size_t *n, char *err, size_t errlen);
enum store_result store_renewal_prices_apply(struct store *s, int64_t run_id,
    const char *customer_id, const char *answer, const char *asked, const char *error_code,
    int *priced, char *err, size_t errlen);

/**
 * How many associated customers each manager receives, as JSON
 * [{"manager": NAME or null (the default route), "customers": N}], under
 * logins, the configuration's {"huawei login": "manager"}.
 */
enum store_result store_manager_counts(struct store *s, const char *logins, char **json, char *err,
    size_t errlen);

/* An override: each value is set only when its flag is; "" clears it. */
struct store_customer_set {
	const char *customer_id;
	bool set_manager, set_threshold, set_stages, set_runway, set_jump_factor, set_jump_min;
	const char *manager, *threshold, *stages /* a JSON array */, *runway_days, *jump_factor,
	    *jump_min;
};
/** *done false when no customer has that id. */
enum store_result store_customer_set(struct store *s, const struct store_customer_set *x,
    bool *done, char *err, size_t errlen);

#endif
