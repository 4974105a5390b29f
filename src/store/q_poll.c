/*
 * The poller's SQL. Each Huawei answer is applied by one statement that
 * reads the answer's JSON in PostgreSQL, compares it with what the tables
 * held, and writes the rows and the change events together.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Another number than migrate.c's lock: migrating and polling may overlap. */
#define POLLER_LOCK_KEY "1751349102"

/* Huawei's UTC form, for event values. */
#define UTC_TEXT(col) "to_char((" col ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

enum {
	Q_LEADER_TRY,
	Q_RUN_START,
	Q_RUN_FINISH,
	Q_RUN_LAST,
	Q_CUSTOMERS_LINK,
	Q_CUSTOMERS_UPSERT,
	Q_CUSTOMERS_GONE,
	Q_CUSTOMERS_ACTIVE,
	Q_BALANCES_REFERRAL,
	Q_BALANCES_APPLY,
	Q_PARTNER_APPLY,
	Q_RESOURCES_UPSERT,
	Q_RESOURCES_UNSEEN,
	Q_RESOURCES_GONE,
	Q_COUNT
};

static const struct store_stmt qs[Q_COUNT] = {
	[Q_LEADER_TRY] = { "poll_leader_try",
	    "SELECT pg_try_advisory_lock(" POLLER_LOCK_KEY ")", 0 },
	[Q_RUN_START] = { "poll_run_start",
	    "INSERT INTO poll_runs (job, instance, interval_seconds)"
	    " VALUES ($1, $2, NULLIF($3::int, 0)) RETURNING id", 3 },
	[Q_RUN_FINISH] = { "poll_run_finish",
	    "UPDATE poll_runs SET finished_at = now(), status = $2, calls = $3, retries = $4,"
	    " throttled = $5, items = $6, errors = $7, detail = $8, auth_failed = $9 WHERE id = $1", 9 },

	[Q_RUN_LAST] = { "poll_run_last",
	    "SELECT COALESCE(extract(epoch FROM max(finished_at))::bigint, 0) FROM poll_runs"
	    " WHERE job = $1 AND status IN ('ok', 'partial')", 1 },

	/*
	 * A customer whose binding notification arrived without a domainId has
	 * a row without customer_id: give it the ID the listing shows, matched
	 * by the partner's own xaccount_id or by account name.
	 */
	[Q_CUSTOMERS_LINK] = { "poll_customers_link",
	    "UPDATE customers c SET customer_id = m.customer_id, updated_at = now()"
	    " FROM (SELECT DISTINCT ON (i.customer_id) c2.id, i.customer_id"
	    "   FROM (SELECT x->>'customer_id' AS customer_id,"
	    "           NULLIF(x->>'xaccount_id', '') AS xaccount_id,"
	    "           NULLIF(x->>'account_name', '') AS account_name"
	    "         FROM jsonb_array_elements($1::jsonb -> 'customer_infos') AS x) AS i"
	    "   JOIN customers c2 ON c2.customer_id IS NULL"
	    "     AND (c2.xaccount_id = i.xaccount_id OR c2.account_name = i.account_name)"
	    "   WHERE NULLIF(i.customer_id, '') IS NOT NULL"
	    "     AND NOT EXISTS (SELECT 1 FROM customers d WHERE d.customer_id = i.customer_id)"
	    "   ORDER BY i.customer_id, c2.id) AS m"
	    " WHERE c.id = m.id", 1 },
	[Q_CUSTOMERS_UPSERT] = { "poll_customers_upsert",
	    "WITH inp AS ("
	    "  SELECT DISTINCT ON (x->>'customer_id') x->>'customer_id' AS customer_id,"
	    "    NULLIF(x->>'account_name', '') AS account_name,"
	    "    NULLIF(x->>'customer', '') AS customer_name,"
	    "    NULLIF(x->>'label', '') AS label,"
	    "    NULLIF(x->>'association_type', '') AS association_type,"
	    "    NULLIF(x->>'associated_on', '')::timestamptz AS associated_on,"
	    "    COALESCE(NULLIF(x->>'is_frozen', '')::smallint, 0) AS frozen,"
	    "    NULLIF(x->>'customer_level', '') AS customer_level,"
	    "    NULLIF(x->>'xaccount_id', '') AS xaccount_id,"
	    "    NULLIF(x->>'xaccount_type', '') AS xaccount_type,"
	    "    x AS info"
	    "  FROM jsonb_array_elements($1::jsonb -> 'customer_infos') AS x"
	    "  WHERE NULLIF(x->>'customer_id', '') IS NOT NULL"
	    "), old AS ("
	    "  SELECT c.customer_id, c.association_type, c.frozen, c.gone_at, c.last_seen_at,"
	    "    c.first_bound_at"
	    "  FROM customers c JOIN inp USING (customer_id)"
	    "), up AS ("
	    "  INSERT INTO customers AS c (customer_id, account_name, customer_name, label,"
	    "    association_type, associated_on, frozen, customer_level, xaccount_id, xaccount_type,"
	    "    info, first_seen_at, last_seen_at, last_seen_run)"
	    "  SELECT customer_id, account_name, customer_name, label, association_type, associated_on,"
	    "    frozen, customer_level, xaccount_id, xaccount_type, info, now(), now(), $2"
	    "  FROM inp"
	    "  ON CONFLICT (customer_id) DO UPDATE SET"
	    "    account_name = COALESCE(EXCLUDED.account_name, c.account_name),"
	    "    customer_name = EXCLUDED.customer_name, label = EXCLUDED.label,"
	    "    association_type = EXCLUDED.association_type,"
	    "    associated_on = EXCLUDED.associated_on, frozen = EXCLUDED.frozen,"
	    "    customer_level = EXCLUDED.customer_level,"
	    "    xaccount_id = COALESCE(EXCLUDED.xaccount_id, c.xaccount_id),"
	    "    xaccount_type = EXCLUDED.xaccount_type, info = EXCLUDED.info,"
	    "    first_seen_at = COALESCE(c.first_seen_at, now()), last_seen_at = now(),"
	    "    last_seen_run = $2, gone_at = NULL, updated_at = now()"
	    "  RETURNING 1"
	    "), ev AS ("
	    "  INSERT INTO customer_events (customer_id, kind, old_value, new_value, detail, run_id)"
	    "  SELECT i.customer_id, e.kind, e.old_value, e.new_value, e.detail, $2"
	    "  FROM inp i LEFT JOIN old o USING (customer_id)"
	    "  CROSS JOIN LATERAL (VALUES"
	    "    (CASE WHEN o.last_seen_at IS NULL THEN 'associated'"
	    "          WHEN o.gone_at IS NOT NULL THEN 'reassociated' END,"
	    "     NULL::text, i.association_type,"
	    "     jsonb_build_object('callback_seen', o.first_bound_at IS NOT NULL,"
	    "                        'associated_on', i.associated_on)),"
	    "    (CASE WHEN o.last_seen_at IS NOT NULL"
	    "           AND o.association_type IS DISTINCT FROM i.association_type"
	    "          THEN 'association_changed' END, o.association_type, i.association_type, NULL),"
	    "    (CASE WHEN o.last_seen_at IS NOT NULL AND COALESCE(o.frozen, 0) = 0 AND i.frozen <> 0"
	    "          THEN 'frozen'"
	    "          WHEN o.last_seen_at IS NOT NULL AND COALESCE(o.frozen, 0) <> 0 AND i.frozen = 0"
	    "          THEN 'unfrozen' END, o.frozen::text, i.frozen::text, NULL)"
	    "  ) AS e(kind, old_value, new_value, detail)"
	    "  WHERE e.kind IS NOT NULL"
	    "  RETURNING 1"
	    ")"
	    "SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM ev)", 2 },
	[Q_CUSTOMERS_GONE] = { "poll_customers_gone",
	    "WITH g AS ("
	    "  UPDATE customers SET gone_at = now(), updated_at = now()"
	    "  WHERE last_seen_at IS NOT NULL AND gone_at IS NULL"
	    "    AND last_seen_run IS DISTINCT FROM $1"
	    "  RETURNING customer_id, association_type"
	    "), ev AS ("
	    "  INSERT INTO customer_events (customer_id, kind, old_value, run_id)"
	    "  SELECT customer_id, 'gone', association_type, $1 FROM g RETURNING 1"
	    ")"
	    "SELECT count(*) FROM ev", 1 },
	[Q_CUSTOMERS_ACTIVE] = { "poll_customers_active",
	    "SELECT customer_id FROM customers"
	    " WHERE last_seen_at IS NOT NULL AND gone_at IS NULL AND customer_id IS NOT NULL"
	    "   AND (NOT $1::boolean OR association_type = '2')"
	    " ORDER BY customer_id", 1 },
	[Q_BALANCES_REFERRAL] = { "poll_balances_referral",
	    "UPDATE customers SET balance_state = 'not_available', balance_amount = NULL,"
	    "  debt_amount = NULL, balance_currency = NULL, balance_at = now(), updated_at = now()"
	    " WHERE last_seen_at IS NOT NULL AND gone_at IS NULL AND association_type = '1'"
	    "   AND balance_state <> 'not_available'", 0 },
	[Q_BALANCES_APPLY] = { "poll_balances_apply",
	    "WITH req AS ("
	    "  SELECT DISTINCT jsonb_array_elements_text($2::jsonb) AS customer_id"
	    "), inp AS ("
	    "  SELECT DISTINCT ON (x->>'customer_id') x->>'customer_id' AS customer_id,"
	    "    (x->>'amount')::numeric AS amount,"
	    "    COALESCE(NULLIF(x->>'debt_amount', '')::numeric, 0) AS debt_amount,"
	    "    NULLIF(x->>'currency', '') AS currency,"
	    "    NULLIF(x->>'measure_id', '')::smallint AS measure_id"
	    "  FROM jsonb_array_elements($1::jsonb -> 'customer_balances') AS x"
	    "  WHERE x->>'customer_id' IN (SELECT customer_id FROM req)"
	    "    AND NULLIF(x->>'amount', '') IS NOT NULL"
	    "), snap AS ("
	    "  INSERT INTO balance_snapshots (customer_id, amount, debt_amount, currency, measure_id,"
	    "    run_id)"
	    "  SELECT customer_id, amount, debt_amount, currency, measure_id, $3 FROM inp"
	    "  RETURNING 1"
	    "), upd AS ("
	    "  UPDATE customers c SET balance_state = 'available', balance_amount = i.amount,"
	    "    debt_amount = i.debt_amount, balance_currency = i.currency, balance_at = now(),"
	    "    updated_at = now()"
	    "  FROM inp i WHERE c.customer_id = i.customer_id"
	    "  RETURNING 1"
	    "), miss AS ("
	    "  UPDATE customers c SET balance_state = 'not_returned', balance_at = now(),"
	    "    updated_at = now()"
	    "  FROM req WHERE c.customer_id = req.customer_id"
	    "    AND NOT EXISTS (SELECT 1 FROM inp WHERE inp.customer_id = req.customer_id)"
	    "  RETURNING 1"
	    ")"
	    "SELECT (SELECT count(*) FROM snap), (SELECT count(*) FROM miss),"
	    "  (SELECT count(*) FROM upd)", 3 },
	[Q_PARTNER_APPLY] = { "poll_partner_apply",
	    "WITH ins AS ("
	    "  INSERT INTO partner_balance_snapshots (account_id, account_type, amount,"
	    "    designated_amount, credit_amount, currency, measure_id, memo, run_id)"
	    "  SELECT NULLIF(x->>'account_id', ''), NULLIF(x->>'account_type', '')::smallint,"
	    "    NULLIF(x->>'amount', '')::numeric, NULLIF(x->>'designated_amount', '')::numeric,"
	    "    NULLIF(x->>'credit_amount', '')::numeric, NULLIF(x->>'currency', ''),"
	    "    NULLIF(x->>'measure_id', '')::smallint, NULLIF(x->>'memo', ''), $2"
	    "  FROM jsonb_array_elements($1::jsonb -> 'account_balances') AS x"
	    "  RETURNING 1"
	    ")"
	    "SELECT count(*) FROM ins", 2 },
	[Q_RESOURCES_UPSERT] = { "poll_resources_upsert",
	    "WITH inp AS ("
	    "  SELECT DISTINCT ON (x->>'resource_id') $2::text AS customer_id,"
	    "    x->>'resource_id' AS resource_id, NULLIF(x->>'id', '') AS instance_id,"
	    "    x->>'resource_name' AS resource_name, x->>'region_code' AS region_code,"
	    "    x->>'service_type_code' AS service_type_code,"
	    "    x->>'service_type_name' AS service_type_name,"
	    "    x->>'resource_type_code' AS resource_type_code,"
	    "    x->>'resource_type_name' AS resource_type_name,"
	    "    x->>'resource_spec_code' AS resource_spec_code, x->>'project_id' AS project_id,"
	    "    x->>'product_id' AS product_id,"
	    "    NULLIF(x->>'parent_resource_id', '') AS parent_resource_id,"
	    "    NULLIF(x->>'is_main_resource', '')::smallint = 1 AS is_main_resource,"
	    "    NULLIF(x->>'status', '')::smallint AS status,"
	    "    NULLIF(x->>'effective_time', '')::timestamptz AS effective_time,"
	    "    NULLIF(x->>'expire_time', '')::timestamptz AS expire_time,"
	    "    NULLIF(x->>'expire_policy', '')::smallint AS expire_policy,"
	    "    x->>'product_spec_desc' AS product_spec_desc,"
	    "    x->'enterprise_project'->>'id' AS enterprise_project_id,"
	    "    x->'enterprise_project'->>'name' AS enterprise_project_name,"
	    "    NULLIF(x->>'update_time', '')::timestamptz AS update_time,"
	    "    x AS info"
	    "  FROM jsonb_array_elements($1::jsonb -> 'data') AS x"
	    "  WHERE NULLIF(x->>'resource_id', '') IS NOT NULL"
	    "), old AS ("
	    "  SELECT r.resource_id, r.expire_time, r.status, r.expire_policy, r.gone_at"
	    "  FROM resources r JOIN inp USING (customer_id, resource_id)"
	    "), up AS ("
	    "  INSERT INTO resources AS r (customer_id, resource_id, instance_id, resource_name,"
	    "    region_code, service_type_code, service_type_name, resource_type_code,"
	    "    resource_type_name, resource_spec_code, project_id, product_id, parent_resource_id,"
	    "    is_main_resource, status, effective_time, expire_time, expire_policy,"
	    "    product_spec_desc, enterprise_project_id, enterprise_project_name, update_time, info,"
	    "    last_seen_run)"
	    "  SELECT customer_id, resource_id, instance_id, resource_name, region_code,"
	    "    service_type_code, service_type_name, resource_type_code, resource_type_name,"
	    "    resource_spec_code, project_id, product_id, parent_resource_id, is_main_resource,"
	    "    status, effective_time, expire_time, expire_policy, product_spec_desc,"
	    "    enterprise_project_id, enterprise_project_name, update_time, info, $3"
	    "  FROM inp"
	    "  ON CONFLICT (customer_id, resource_id) DO UPDATE SET"
	    "    instance_id = EXCLUDED.instance_id, resource_name = EXCLUDED.resource_name,"
	    "    region_code = EXCLUDED.region_code, service_type_code = EXCLUDED.service_type_code,"
	    "    service_type_name = EXCLUDED.service_type_name,"
	    "    resource_type_code = EXCLUDED.resource_type_code,"
	    "    resource_type_name = EXCLUDED.resource_type_name,"
	    "    resource_spec_code = EXCLUDED.resource_spec_code, project_id = EXCLUDED.project_id,"
	    "    product_id = EXCLUDED.product_id, parent_resource_id = EXCLUDED.parent_resource_id,"
	    "    is_main_resource = EXCLUDED.is_main_resource, status = EXCLUDED.status,"
	    "    effective_time = EXCLUDED.effective_time, expire_time = EXCLUDED.expire_time,"
	    "    expire_policy = EXCLUDED.expire_policy,"
	    "    product_spec_desc = EXCLUDED.product_spec_desc,"
	    "    enterprise_project_id = EXCLUDED.enterprise_project_id,"
	    "    enterprise_project_name = EXCLUDED.enterprise_project_name,"
	    "    update_time = EXCLUDED.update_time, info = EXCLUDED.info,"
	    "    last_seen_at = now(), last_seen_run = $3, gone_at = NULL"
	    "  RETURNING 1"
	    "), ev AS ("
	    "  INSERT INTO resource_events (customer_id, resource_id, kind, old_value, new_value,"
	    "    run_id)"
	    "  SELECT i.customer_id, i.resource_id, e.kind, e.old_value, e.new_value, $3"
	    "  FROM inp i LEFT JOIN old o USING (resource_id)"
	    "  CROSS JOIN LATERAL (VALUES"
	    "    (CASE WHEN o.resource_id IS NULL THEN 'appeared'"
	    "          WHEN o.gone_at IS NOT NULL THEN 'returned' END,"
	    "     NULL::text, " UTC_TEXT("i.expire_time") "),"
	    "    (CASE WHEN o.resource_id IS NOT NULL AND o.expire_time IS DISTINCT FROM i.expire_time"
	    "          THEN 'expiry_changed' END,"
	    "     " UTC_TEXT("o.expire_time") ", " UTC_TEXT("i.expire_time") "),"
	    "    (CASE WHEN o.resource_id IS NOT NULL AND o.status IS DISTINCT FROM i.status"
	    "          THEN 'status_changed' END, o.status::text, i.status::text),"
	    "    (CASE WHEN o.resource_id IS NOT NULL AND o.expire_policy IS DISTINCT FROM i.expire_policy"
	    "          THEN 'policy_changed' END, o.expire_policy::text, i.expire_policy::text)"
	    "  ) AS e(kind, old_value, new_value)"
	    "  WHERE e.kind IS NOT NULL"
	    "  RETURNING 1"
	    ")"
	    "SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM ev)", 3 },
	[Q_RESOURCES_UNSEEN] = { "poll_resources_unseen",
	    "SELECT resource_id FROM resources"
	    " WHERE customer_id = $1 AND gone_at IS NULL AND last_seen_run IS DISTINCT FROM $2"
	    "   AND status IS DISTINCT FROM 3"
	    "   AND NOT COALESCE(status = 2 AND expire_time > now() + make_interval(days => $3::int),"
	    "                    false)"
	    "   AND ($4::boolean OR status = 2)"
	    " ORDER BY resource_id", 4 },
	[Q_RESOURCES_GONE] = { "poll_resources_gone",
	    "WITH g AS ("
	    "  UPDATE resources SET gone_at = now()"
	    "  WHERE customer_id = $1"
	    "    AND resource_id IN (SELECT jsonb_array_elements_text($2::jsonb))"
	    "    AND gone_at IS NULL AND last_seen_run IS DISTINCT FROM $3"
	    "  RETURNING customer_id, resource_id, expire_time"
	    "), ev AS ("
	    "  INSERT INTO resource_events (customer_id, resource_id, kind, old_value, run_id)"
	    "  SELECT customer_id, resource_id, 'gone', " UTC_TEXT("expire_time") ", $3 FROM g"
	    "  RETURNING 1"
	    ")"
	    "SELECT count(*) FROM ev", 3 },
};

_Static_assert(Q_COUNT <= 64, "poll_prepared has one bit per statement");

static PGresult *run(struct store *s, int q, const char *const *params, char *err, size_t errlen,
    enum store_result *r);
static enum store_result run_simple(struct store *s, const char *sql, char *err, size_t errlen);
static int int_at(const PGresult *res, int col);
static enum store_result fetch_ids(struct store *s, int q, const char *const *params,
    char ***ids, size_t *n, char *err, size_t errlen);

/* Executes statement q, preparing it on first use on this connection. */
static PGresult *
run(struct store *s, int q, const char *const *params, char *err, size_t errlen,
    enum store_result *r)
{
	return store_exec(s, &qs[q], &s->poll_prepared, q, params, err, errlen, r);
}

static enum store_result
run_simple(struct store *s, const char *sql, char *err, size_t errlen)
{
	return store_exec_simple(s, sql, err, errlen);
}

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
	PGresult *res = run(s, Q_LEADER_TRY, NULL, err, errlen, &r);

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
	res = run(s, Q_RUN_START, params, err, errlen, &r);
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
	res = run(s, Q_RUN_FINISH, params, err, errlen, &r);
	PQclear(res);
	return r;
}

enum store_result
store_poll_last_finished(struct store *s, const char *job, int64_t *at, char *err, size_t errlen)
{
	const char *params[] = { job };
	enum store_result r;
	PGresult *res = run(s, Q_RUN_LAST, params, err, errlen, &r);

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
	if ((r = run_simple(s, "BEGIN", err, errlen)) != STORE_OK)
		return r;
	res = run(s, Q_CUSTOMERS_LINK, params, err, errlen, &r);
	if (res == NULL)
		goto fail;
	PQclear(res);
	res = run(s, Q_CUSTOMERS_UPSERT, params, err, errlen, &r);
	if (res == NULL)
		goto fail;
	*items = int_at(res, 0);
	*events = int_at(res, 1);
	PQclear(res);
	return run_simple(s, "COMMIT", err, errlen);
fail:
	if (s->conn) {
		char ignored[STORE_ERR_LEN];

		(void)run_simple(s, "ROLLBACK", ignored, sizeof(ignored));
	}
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
	res = run(s, Q_CUSTOMERS_GONE, params, err, errlen, &r);
	if (res == NULL)
		return r;
	*gone = int_at(res, 0);
	PQclear(res);
	return STORE_OK;
}

static enum store_result
fetch_ids(struct store *s, int q, const char *const *params, char ***ids, size_t *n, char *err,
    size_t errlen)
{
	enum store_result r;
	PGresult *res = run(s, q, params, err, errlen, &r);
	int rows;

	*ids = NULL;
	*n = 0;
	if (res == NULL)
		return r;
	rows = PQntuples(res);
	*ids = xcalloc((size_t)rows + 1, sizeof(char *));
	for (int i = 0; i < rows; i++)
		(*ids)[i] = xstrdup(PQgetvalue(res, i, 0));
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

	return fetch_ids(s, Q_CUSTOMERS_ACTIVE, params, ids, n, err, errlen);
}

enum store_result
store_balances_mark_referral(struct store *s, int *marked, char *err, size_t errlen)
{
	enum store_result r;
	PGresult *res = run(s, Q_BALANCES_REFERRAL, NULL, err, errlen, &r);

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
	res = run(s, Q_BALANCES_APPLY, params, err, errlen, &r);
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
	res = run(s, Q_PARTNER_APPLY, params, err, errlen, &r);
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
	res = run(s, Q_RESOURCES_UPSERT, params, err, errlen, &r);
	if (res == NULL)
		return r;
	*items = int_at(res, 0);
	*events = int_at(res, 1);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_resources_unseen(struct store *s, int64_t run_id, const char *customer_id,
    int horizon_days, bool expired_queried, char ***ids, size_t *n, char *err, size_t errlen)
{
	char id[24], days[16];
	const char *params[] = { customer_id, id, days, expired_queried ? "true" : "false" };

	snprintf(id, sizeof(id), "%lld", (long long)run_id);
	snprintf(days, sizeof(days), "%d", horizon_days);
	return fetch_ids(s, Q_RESOURCES_UNSEEN, params, ids, n, err, errlen);
}

enum store_result
store_resources_mark_gone(struct store *s, int64_t run_id, const char *customer_id,
    const char *ids, int *gone, char *err, size_t errlen)
{
	char id[24];
	const char *params[] = { customer_id, ids, id };
	enum store_result r;
	PGresult *res;

	snprintf(id, sizeof(id), "%lld", (long long)run_id);
	res = run(s, Q_RESOURCES_GONE, params, err, errlen, &r);
	if (res == NULL)
		return r;
	*gone = int_at(res, 0);
	PQclear(res);
	return STORE_OK;
}
