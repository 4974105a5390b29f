/*
 * The poller's SQL. Each Huawei answer is applied by one statement that
 * reads the answer's JSON in PostgreSQL, compares it with what the tables
 * held, and writes the rows and the change events together.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xalloc.h"

static int int_at(const PGresult *res, int col);

/* Executes statement q, preparing it on first use on this connection. */
static int
int_at(const PGresult *res, int col)
{
	if (PQntuples(res) < 1 || PQnfields(res) <= col)
		return 0;
	return (int)strtol(PQgetvalue(res, 0, col), NULL, 10);
}

enum store_result
store_leader_try(struct store *s, bool *leader, char *err, size_t errlen)
{
	enum store_result r;
	PGresult *res = store_exec(s, SQL_POLL_LEADER_TRY, NULL, err, errlen, &r);

	*leader = false;
	if (res == NULL)
		return r;
	*leader = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_poll_run_start(struct store *s, const char *job, const char *instance, int interval,
    int64_t *run_id, char *err, size_t errlen)
{
	char iv[16];
	const char *params[] = { job, instance, iv };
	enum store_result r;
	PGresult *res;

	snprintf(iv, sizeof(iv), "%d", interval);
	res = store_exec(s, SQL_POLL_RUN_START, params, err, errlen, &r);
	if (res == NULL)
		return r;
	*run_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_poll_run_finish(struct store *s, int64_t run_id, const char *status,
    const struct store_run_counts *c, const char *detail, char *err, size_t errlen)
{
	char id[24], calls[24], retries[24], throttled[24], items[24], errors[24];
	const char *params[] = { id, status, calls, retries, throttled, items, errors, detail,
		c->auth_failed ? "true" : "false" };
	enum store_result r;
	PGresult *res;

	snprintf(id, sizeof(id), "%lld", (long long)run_id);
	snprintf(calls, sizeof(calls), "%ld", c->calls);
	snprintf(retries, sizeof(retries), "%ld", c->retries);
	snprintf(throttled, sizeof(throttled), "%ld", c->throttled);
	snprintf(items, sizeof(items), "%ld", c->items);
	snprintf(errors, sizeof(errors), "%ld", c->errors);
	res = store_exec(s, SQL_POLL_RUN_FINISH, params, err, errlen, &r);
	PQclear(res);
	return r;
}

enum store_result
store_poll_last_finished(struct store *s, const char *job, int64_t *at, char *err, size_t errlen)
{
	const char *params[] = { job };
	enum store_result r;
	PGresult *res = store_exec(s, SQL_POLL_RUN_LAST, params, err, errlen, &r);

	*at = 0;
	if (res == NULL)
		return r;
	*at = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_customers_apply_page(struct store *s, int64_t run_id, const char *answer, int *items,
    int *events, char *err, size_t errlen)
{
	char id[24];
	const char *params[] = { answer, id };
	enum store_result r;
	PGresult *res = NULL;

	snprintf(id, sizeof(id), "%lld", (long long)run_id);
	/* Link, then upsert, in one transaction: the upsert must see the links. */
	if (!store_ensure_connected(s, err, errlen))
		return STORE_CONN_FAILED;
	if ((r = store_exec_command(s, SQL_TX_BEGIN, NULL, err, errlen)) != STORE_OK)
		return r;
	res = store_exec(s, SQL_POLL_CUSTOMERS_LINK, params, err, errlen, &r);
	if (res == NULL)
		goto fail;
	PQclear(res);
	res = store_exec(s, SQL_POLL_CUSTOMERS_UPSERT, params, err, errlen, &r);
	if (res == NULL)
		goto fail;
	*items = int_at(res, 0);
	*events = int_at(res, 1);
	PQclear(res);
	return store_exec_command(s, SQL_TX_COMMIT, NULL, err, errlen);
fail:
	store_rollback(s);
	return r;
}

enum store_result
store_customers_mark_gone(struct store *s, int64_t run_id, int *gone, char *err, size_t errlen)
{
	char id[24];
	const char *params[] = { id };
	enum store_result r;
	PGresult *res;

	snprintf(id, sizeof(id), "%lld", (long long)run_id);
	res = store_exec(s, SQL_POLL_CUSTOMERS_GONE, params, err, errlen, &r);
	if (res == NULL)
		return r;
	*gone = int_at(res, 0);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_fetch_rows(struct store *s, enum store_sql q, const char *const *params, char ***ids,
    size_t *n, char *err, size_t errlen)
{
	enum store_result r;
	PGresult *res = store_exec(s, q, params, err, errlen, &r);
	int rows;

	*ids = NULL;
	*n = 0;
	if (res == NULL)
		return r;
	rows = PQntuples(res);
	*ids = xcalloc((size_t)rows + 1, sizeof(char *));
	for (int i = 0; i < rows; i++) {
		struct buf b;

		buf_init(&b);
		for (int c = 0; c < PQnfields(res); c++)
			buf_appendf(&b, "%s%s", c ? " " : "", PQgetvalue(res, i, c));
		(*ids)[i] = buf_release(&b);
	}
	*n = (size_t)rows;
	PQclear(res);
	return STORE_OK;
}

void
store_free_ids(char **ids, size_t n)
{
	if (ids == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

enum store_result
store_customers_active(struct store *s, bool resale_only, char ***ids, size_t *n, char *err,
    size_t errlen)
{
	const char *params[] = { resale_only ? "true" : "false" };

	return store_fetch_rows(s, SQL_POLL_CUSTOMERS_ACTIVE, params, ids, n, err, errlen);
}

enum store_result
store_balances_mark_referral(struct store *s, int *marked, char *err, size_t errlen)
{
	enum store_result r;
	PGresult *res = store_exec(s, SQL_POLL_BALANCES_REFERRAL, NULL, err, errlen, &r);

	if (res == NULL)
		return r;
	*marked = (int)strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_balances_apply(struct store *s, int64_t run_id, const char *answer, const char *requested,
    int *items, int *missing, char *err, size_t errlen)
{
	char id[24];
	const char *params[] = { answer, requested, id };
	enum store_result r;
	PGresult *res;

	snprintf(id, sizeof(id), "%lld", (long long)run_id);
	res = store_exec(s, SQL_POLL_BALANCES_APPLY, params, err, errlen, &r);
	if (res == NULL)
		return r;
	*items = int_at(res, 0);
	*missing = int_at(res, 1);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_partner_balances_apply(struct store *s, int64_t run_id, const char *answer, int *items,
    char *err, size_t errlen)
{
	char id[24];
	const char *params[] = { answer, id };
	enum store_result r;
	PGresult *res;

	snprintf(id, sizeof(id), "%lld", (long long)run_id);
	res = store_exec(s, SQL_POLL_PARTNER_APPLY, params, err, errlen, &r);
	if (res == NULL)
		return r;
	*items = int_at(res, 0);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_resources_apply_page(struct store *s, int64_t run_id, const char *customer_id,
    const char *answer, int *items, int *events, char *err, size_t errlen)
{
	char id[24];
	const char *params[] = { answer, customer_id, id };
	enum store_result r;
	PGresult *res;

	snprintf(id, sizeof(id), "%lld", (long long)run_id);
	res = store_exec(s, SQL_POLL_RESOURCES_UPSERT, params, err, errlen, &r);
	if (res == NULL)
		return r;
	*items = int_at(res, 0);
	*events = int_at(res, 1);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_resources_unseen(struct store *s, int64_t run_id, const char *customer_id, int horizon_days,
    bool expired_queried, char ***ids, size_t *n, char *err, size_t errlen)
{
	char id[24], days[16];
	const char *params[] = { customer_id, id, days, expired_queried ? "true" : "false" };

	snprintf(id, sizeof(id), "%lld", (long long)run_id);
	snprintf(days, sizeof(days), "%d", horizon_days);
	return store_fetch_rows(s, SQL_POLL_RESOURCES_UNSEEN, params, ids, n, err, errlen);
}

enum store_result
store_resources_mark_gone(struct store *s, int64_t run_id, const char *customer_id, const char *ids,
    int *gone, char *err, size_t errlen)
{
	char id[24];
	const char *params[] = { customer_id, ids, id };
	enum store_result r;
	PGresult *res;

	snprintf(id, sizeof(id), "%lld", (long long)run_id);
	res = store_exec(s, SQL_POLL_RESOURCES_GONE, params, err, errlen, &r);
	if (res == NULL)
		return r;
	*gone = int_at(res, 0);
	PQclear(res);
	return STORE_OK;
}
