/*
 * Alerts: the frame of an evaluation, in which the rules (src/rules) run
 * their statements, and what the commands read and change.
 *
 * One evaluation is one transaction, so an alert and the deliveries that
 * announce it commit together. Every statement of a run takes $1, the clock
 * the rules use (shifted for tests and drills), and $2, the settings as
 * JSON (alerts/engine.c builds them).
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/xalloc.h"

static long
long_at(const PGresult *res, int col)
{
	if (PQntuples(res) < 1 || PQnfields(res) <= col)
		return 0;
	return strtol(PQgetvalue(res, 0, col), NULL, 10);
}

/* Runs q; counts[] gets the first columns of its first row. */
static enum store_result
run_rule(struct store *s, enum store_sql q, const char *const *params, long *counts, int ncounts,
    char *err, size_t errlen)
{
	enum store_result r;
	PGresult *res = store_exec(s, q, params, err, errlen, &r);

	if (res == NULL)
		return r;
	for (int i = 0; i < ncounts; i++)
		counts[i] = long_at(res, i);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_eval_step(struct store *s, enum store_sql id, const char *const *params, long *counts,
    int ncounts, char *err, size_t errlen)
{
	return run_rule(s, id, params, counts, ncounts, err, errlen);
}

/*
 * SQL_ALERTS_PREV finds the highest resource change (writers of resources
 * wait until the commit, so no change below it can commit after this run
 * without being in it), the settings' hash, and the highest notification id
 * before this run. Notifications are written only by evaluations, one at a
 * time under the lock, so this run's are exactly those above last_nid.
 */
enum store_result
store_eval_begin(struct store *s, struct store_eval *e, char *err, size_t errlen)
{
	const char *p2[] = { e->now, e->settings }, *p1[] = { e->settings };
	enum store_result r;
	PGresult *res;

	memset(&e->counts, 0, sizeof(e->counts));
	e->prev_now[0] = e->prev_seq[0] = '\0';
	e->t0 = clock_mono_us();
	if ((r = store_exec_command(s, SQL_TX_BEGIN, NULL, err, errlen)) != STORE_OK)
		return r;
	/*
	 * A few big statements a run: JIT compiling them costs more than it
	 * saves (a second for each balance rule over 100,000 customers), and
	 * their joins and CTEs spill to disk at the default work_mem.
	 */
	if ((r = store_exec_command(s, SQL_ALERTS_SETTINGS, NULL, err, errlen)) != STORE_OK ||
	    (r = store_exec_command(s, SQL_ALERTS_LOCK, NULL, err, errlen)) != STORE_OK ||
	    (r = store_exec_command(s, SQL_ALERTS_LOCK_RESOURCES, NULL, err, errlen)) != STORE_OK ||
	    (r = store_exec_command(s, SQL_ALERTS_MANAGERS, p1, err, errlen)) != STORE_OK)
		goto fail;
	if ((res = store_exec(s, SQL_ALERTS_PREV, p2, err, errlen, &r)) == NULL)
		goto fail;
	if (!e->full && strcmp(PQgetvalue(res, 0, 2), "t") == 0) {
		snprintf(e->prev_now, sizeof(e->prev_now), "%s", PQgetvalue(res, 0, 0));
		snprintf(e->prev_seq, sizeof(e->prev_seq), "%s", PQgetvalue(res, 0, 1));
	}
	snprintf(e->seq, sizeof(e->seq), "%s", PQgetvalue(res, 0, 3));
	snprintf(e->hash, sizeof(e->hash), "%s", PQgetvalue(res, 0, 4));
	snprintf(e->last_nid, sizeof(e->last_nid), "%s", PQgetvalue(res, 0, 5));
	PQclear(res);
	return STORE_OK;
fail:
	store_rollback(s);
	return r;
}

void
store_eval_abort(struct store *s)
{
	store_rollback(s);
}

enum store_result
store_eval_finish(struct store *s, struct store_eval *e, const char *routing, const char *instance,
    char *err, size_t errlen)
{
	struct store_eval_counts *out = &e->counts;
	const char *p2[] = { e->now, e->settings };
	const char *p3[] = { e->now, e->settings, e->last_nid };
	const char *rp[] = { e->now, routing, e->last_nid };
	long c[3] = { 0, 0, 0 };
	enum store_result r;
	PGresult *res;

	if ((r = run_rule(s, SQL_ALERTS_STATES, p2, c, 0, err, errlen)) != STORE_OK)
		goto fail;
	if ((r = run_rule(s, SQL_ALERTS_SUPPRESS, p3, c, 0, err, errlen)) != STORE_OK)
		goto fail;
	if ((res = store_exec(s, SQL_ALERTS_ROUTE, rp, err, errlen, &r)) == NULL)
		goto fail;
	out->deliveries = long_at(res, 0);
	out->appended = long_at(res, 1);
	out->unrouted = long_at(res, 2);
	out->fallback = long_at(res, 3);
	snprintf(out->fallback_names, sizeof(out->fallback_names), "%s", PQgetvalue(res, 0, 4));
	PQclear(res);
	{
		char secs[32], f[24], rs[24], n[24], d[24];
		const char *params[] = { instance, e->now, secs, f, rs, n, d, e->hash, e->seq,
			out->full_pass ? "true" : "false" };

		snprintf(secs, sizeof(secs), "%.6f", (double)(clock_mono_us() - e->t0) / 1e6);
		snprintf(f, sizeof(f), "%ld", out->fired);
		snprintf(rs, sizeof(rs), "%ld", out->resolved);
		snprintf(n, sizeof(n), "%ld", out->notifications);
		snprintf(d, sizeof(d), "%ld", out->deliveries);
		if ((r = run_rule(s, SQL_ALERTS_RUN, params, c, 0, err, errlen)) != STORE_OK)
			goto fail;
	}
	if (out->full_pass &&
	    (r = run_rule(s, SQL_ALERTS_ANALYZE, NULL, c, 0, err, errlen)) != STORE_OK)
		goto fail;
	return store_exec_command(s, SQL_TX_COMMIT, NULL, err, errlen);
fail:
	store_rollback(s);
	return r;
}

static enum store_result
json_result(struct store *s, enum store_sql q, const char *const *params, char **json, char *err,
    size_t errlen)
{
	return store_exec_text(s, q, params, json, err, errlen);
}

enum store_result
store_alerts_list(struct store *s, bool all, const char *kind, const char *customer, int limit,
    const char *now, char **json, char *err, size_t errlen)
{
	char lim[16];
	const char *params[] = { all ? "true" : "false", kind ? kind : "", customer ? customer : "",
		lim, now };

	snprintf(lim, sizeof(lim), "%d", limit);
	return json_result(s, SQL_ALERTS_LIST, params, json, err, errlen);
}

enum store_result
store_alert_ack(struct store *s, const char *ref, const char *by, const char *note, const char *now,
    long *n, char *err, size_t errlen)
{
	const char *params[] = { ref, by, note ? note : "", now };
	enum store_result r;
	PGresult *res = store_exec(s, SQL_ALERTS_ACK, params, err, errlen, &r);

	*n = 0;
	if (res == NULL)
		return r;
	*n = strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_silence_add(struct store *s, const char *customer, const char *resource, const char *kind,
    const char *starts, const char *ends, const char *by, const char *comment, long *id,
    long *covered, char *err, size_t errlen)
{
	const char *params[] = { customer ? customer : "", resource ? resource : "",
		kind ? kind : "", starts, ends, by, comment ? comment : "" };
	long c[2] = { 0, 0 };
	enum store_result r = run_rule(s, SQL_ALERTS_SILENCE_ADD, params, c, 2, err, errlen);

	*id = r == STORE_OK ? c[0] : 0;
	*covered = r == STORE_OK ? c[1] : 0;
	return r;
}

enum store_result
store_silence_check(struct store *s, const char *customer, const char *resource, bool *customer_ok,
    char *names_of, size_t names_len, bool *resource_ok, char *err, size_t errlen)
{
	const char *params[] = { customer ? customer : "", resource ? resource : "" };
	enum store_result r;
	PGresult *res = store_exec(s, SQL_ALERTS_SILENCE_CHECK, params, err, errlen, &r);

	*customer_ok = *resource_ok = false;
	names_of[0] = '\0';
	if (res == NULL)
		return r;
	if (PQntuples(res) == 1) {
		*customer_ok = strcmp(PQgetvalue(res, 0, 0), "true") == 0;
		snprintf(names_of, names_len, "%s", PQgetvalue(res, 0, 1));
		*resource_ok = strcmp(PQgetvalue(res, 0, 2), "true") == 0;
	}
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_silence_end(struct store *s, long id, const char *now, long *n, char *err, size_t errlen)
{
	char ids[24];
	const char *params[] = { ids, now };
	enum store_result r;
	PGresult *res;

	snprintf(ids, sizeof(ids), "%ld", id);
	res = store_exec(s, SQL_ALERTS_SILENCE_END, params, err, errlen, &r);
	*n = 0;
	if (res == NULL)
		return r;
	*n = strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_silences_list(struct store *s, const char *now, char **json, char *err, size_t errlen)
{
	const char *params[] = { now };

	return json_result(s, SQL_ALERTS_SILENCES, params, json, err, errlen);
}

enum store_result
store_alert_items(struct store *s, const char *ref, char **json, char *err, size_t errlen)
{
	const char *params[] = { ref };

	return json_result(s, SQL_ALERTS_ITEMS, params, json, err, errlen);
}

enum store_result
store_gauges(struct store *s, char **text, char *err, size_t errlen)
{
	return json_result(s, SQL_ALERTS_GAUGES, NULL, text, err, errlen);
}

enum store_result
store_alerts_pending(struct store *s, long *last_run, bool *events, char *err, size_t errlen)
{
	enum store_result r;
	PGresult *res = store_exec(s, SQL_ALERTS_PENDING, NULL, err, errlen, &r);

	*last_run = 0;
	*events = false;
	if (res == NULL)
		return r;
	*last_run = long_at(res, 0);
	*events = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_alerts_swept(struct store *s, bool coupons, bool consumption, bool *swept, char *err,
    size_t errlen)
{
	const char *params[] = { coupons ? "t" : "f", consumption ? "t" : "f" };
	enum store_result r;
	PGresult *res = store_exec(s, SQL_ALERTS_SWEPT, params, err, errlen, &r);

	*swept = false;
	if (res == NULL)
		return r;
	*swept = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return STORE_OK;
}
