#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* What a later notification changes on an existing customer row (alias c). */
#define CUSTOMER_UPDATE \
	"    xaccount_id = COALESCE(EXCLUDED.xaccount_id, c.xaccount_id)," \
	"    xuser_id = COALESCE(EXCLUDED.xuser_id, c.xuser_id)," \
	"    bind_action = COALESCE(EXCLUDED.bind_action, c.bind_action)," \
	"    first_bound_at = LEAST(c.first_bound_at, EXCLUDED.first_bound_at)," \
	"    last_callback_at = GREATEST(c.last_callback_at, EXCLUDED.last_callback_at)," \
	"    updated_at = now()"

/*
 * Records a batch of callbacks in one statement. Data-modifying CTEs share one
 * snapshot and commit together, so the batch is one transaction and one WAL
 * flush however many callbacks it holds. A verified callback is 'accepted' the
 * first time its key is seen (in the table or earlier in the batch) and
 * 'duplicate' after. That test is a scalar subquery with LIMIT 1 rather than
 * EXISTS because the generic plan of a prepared statement would otherwise hash
 * every accepted row of the table for each batch. The unique index
 * callback_events_accepted_once makes a concurrent writer's batch fail rather
 * than accept twice, and the caller retries it.
 *
 * Identical rejections (same channel, body hash and reason) in the same hour
 * are one row: a batch's own are grouped, and a group whose hour already has
 * a row adds to its repeats instead of inserting.
 */
static const char sql_callbacks_record[] =
	"WITH inp AS ("
	"  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x("
	"    ord int, received_at timestamptz, channel text, request_id text, remote_addr text,"
	"    content_type text, verified boolean, reason text, detail text, sig_rule text,"
	"    idem_key text, customer_id text, account_name text, xaccount_id text, xuser_id text,"
	"    bind_action text, payload jsonb, body text, body_bytes int)"
	"), classified AS ("
	"  SELECT inp.*, CASE"
	"    WHEN NOT inp.verified THEN 'rejected'"
	"    WHEN (SELECT true FROM callback_events e WHERE e.channel = inp.channel"
	"          AND e.idempotency_key = inp.idem_key AND e.status = 'accepted' LIMIT 1) THEN 'duplicate'"
	"    WHEN inp.ord = min(inp.ord) FILTER (WHERE inp.verified)"
	"                   OVER (PARTITION BY inp.channel, inp.idem_key) THEN 'accepted'"
	"    ELSE 'duplicate' END AS status"
	"  FROM inp"
	"), rej AS ("
	"  SELECT channel, idem_key, reason, date_trunc('hour', received_at) AS hour,"
	"    count(*)::int AS n, max(received_at) AS last, min(ord) AS first_ord"
	"  FROM classified WHERE status = 'rejected'"
	"  GROUP BY channel, idem_key, reason, date_trunc('hour', received_at)"
	"), bumped AS ("
	"  UPDATE callback_events e SET repeats = e.repeats + rej.n,"
	"    last_received_at = greatest(COALESCE(e.last_received_at, e.received_at), rej.last)"
	"  FROM rej"
	"  WHERE e.id = (SELECT min(x.id) FROM callback_events x WHERE x.status = 'rejected'"
	"    AND x.channel = rej.channel AND x.idempotency_key = rej.idem_key"
	"    AND x.reason = rej.reason AND x.received_at >= rej.hour"
	"    AND x.received_at < rej.hour + interval '1 hour')"
	"  RETURNING rej.first_ord"
	"), events AS ("
	"  INSERT INTO callback_events (received_at, channel, request_id, remote_addr, content_type,"
	"    status, reason, detail, sig_rule, idempotency_key, customer_id, account_name, payload, body,"
	"    body_bytes, repeats, last_received_at)"
	"  SELECT c.received_at, c.channel, c.request_id, c.remote_addr, c.content_type, c.status,"
	"    CASE WHEN c.status = 'rejected' THEN c.reason END, c.detail, c.sig_rule, c.idem_key,"
	"    c.customer_id, c.account_name, c.payload, decode(c.body, 'base64'), c.body_bytes,"
	"    COALESCE(r.n, 1), CASE WHEN r.n > 1 THEN r.last END"
	"  FROM classified c LEFT JOIN rej r ON c.status = 'rejected' AND r.first_ord = c.ord"
	"  WHERE c.status <> 'rejected'"
	"    OR (r.first_ord IS NOT NULL AND r.first_ord NOT IN (SELECT first_ord FROM bumped))"
	"  ORDER BY c.ord"
	"  RETURNING 1"
	"), by_id AS ("
	"  INSERT INTO customers AS c (customer_id, account_name, xaccount_id, xuser_id, bind_action,"
	"    first_bound_at, last_callback_at)"
	"  SELECT DISTINCT ON (customer_id) customer_id, account_name, xaccount_id, xuser_id,"
	"    bind_action, received_at, received_at"
	"  FROM classified WHERE status = 'accepted' AND customer_id IS NOT NULL"
	"  ORDER BY customer_id, ord DESC"
	"  ON CONFLICT (customer_id) DO UPDATE SET"
	"    account_name = COALESCE(EXCLUDED.account_name, c.account_name),"
	CUSTOMER_UPDATE
	"  RETURNING 1"
	"), by_name AS ("
	"  INSERT INTO customers AS c (account_name, xaccount_id, xuser_id, bind_action,"
	"    first_bound_at, last_callback_at)"
	"  SELECT DISTINCT ON (account_name) account_name, xaccount_id, xuser_id, bind_action,"
	"    received_at, received_at"
	"  FROM classified WHERE status = 'accepted' AND customer_id IS NULL"
	"  ORDER BY account_name, ord DESC"
	"  ON CONFLICT (account_name) WHERE customer_id IS NULL DO UPDATE SET"
	CUSTOMER_UPDATE
	"  RETURNING 1"
	")"
	"SELECT ord, status FROM classified ORDER BY ord";

enum { STMT_CALLBACKS_RECORD };

static const struct store_stmt stmts[] = {
	[STMT_CALLBACKS_RECORD] = { "callbacks_record", sql_callbacks_record, 1 },
};

static bool prepare_all(struct store *s, char *err, size_t errlen);
static void one_line(char *err, size_t errlen);
static json_t *callback_json(const struct store_callback *cb, size_t ord);
static void set_opt_string(json_t *o, const char *key, const char *v);
static void set_visible_string(json_t *o, const char *key, const char *v);

int
store_libpq_version(void)
{
	return PQlibVersion();
}

/*
 * libpq's messages run over several lines ("…refused\n\tIs the server
 * running…"): one line, the parts joined by "; ", for logs and tables.
 */
static void
one_line(char *err, size_t errlen)
{
	char *copy = xstrdup(err);
	size_t o = 0;

	for (const char *p = copy; *p && o + 1 < errlen;) {
		if (*p != '\n') {
			err[o++] = *p++;
			continue;
		}
		p += 1 + strspn(p + 1, "\t ");
		if (*p == '\0')
			break;
		if (o > 0 && err[o - 1] != ';' && o + 1 < errlen)
			err[o++] = ';';
		if (o + 1 < errlen)
			err[o++] = ' ';
	}
	err[o] = '\0';
	free(copy);
}

void
store_set_error(struct store *s, const PGresult *res, const char *what, char *err, size_t errlen)
{
	const char *msg = res ? PQresultErrorMessage(res) : NULL;
	size_t n;

	if (msg == NULL || *msg == '\0')
		msg = s->conn ? PQerrorMessage(s->conn) : "not connected";
	snprintf(err, errlen, "%s: %s", what, msg);
	n = strlen(err);
	while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
		err[--n] = '\0';
	one_line(err, errlen);
}

enum store_result
store_classify_failure(struct store *s)
{
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK) {
		PQfinish(s->conn);
		s->conn = NULL;
		s->prepared = false;
		s->poll_prepared = 0;
		s->alert_prepared = 0;
		s->outbox_prepared = 0;
		return STORE_CONN_FAILED;
	}
	return STORE_QUERY_FAILED;
}

struct store *
store_open(const char *conninfo, int connect_timeout_s, int statement_timeout_ms)
{
	struct store *s = xcalloc(1, sizeof(*s));

	s->conninfo = xstrdup(conninfo);
	s->connect_timeout_s = connect_timeout_s;
	s->statement_timeout_ms = statement_timeout_ms;
	return s;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	PQfinish(s->conn);
	free(s->conninfo);
	free(s);
}

/* Server notices ("already exists, skipping") go to the log at debug, not to stderr. */
static void
notice(void *arg, const char *message)
{
	size_t n = strlen(message);

	(void)arg;
	log_debug("postgresql: %.*s", (int)(n && message[n - 1] == '\n' ? n - 1 : n), message);
}

bool
store_ensure_connected(struct store *s, char *err, size_t errlen)
{
	char timeout[16], stmt_timeout[16];
	const char *keys[] = { "dbname", "connect_timeout", "application_name", NULL };
	const char *vals[] = { s->conninfo, timeout, "hcwatch", NULL };
	const char *params[1];
	PGresult *res;

	if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
		return true;
	PQfinish(s->conn);
	s->prepared = false;
	s->poll_prepared = 0;
	s->alert_prepared = 0;
	s->outbox_prepared = 0;
	snprintf(timeout, sizeof(timeout), "%d", s->connect_timeout_s);
	/* expand_dbname: the configured URL or conninfo string, then our settings. */
	s->conn = PQconnectdbParams(keys, vals, 1);
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK) {
		store_set_error(s, NULL, "cannot connect to PostgreSQL", err, errlen);
		PQfinish(s->conn);
		s->conn = NULL;
		return false;
	}
	PQsetNoticeProcessor(s->conn, notice, NULL);
	snprintf(stmt_timeout, sizeof(stmt_timeout), "%d", s->statement_timeout_ms);
	params[0] = stmt_timeout;
	res = PQexecParams(s->conn, "SELECT set_config('statement_timeout', $1, false)", 1, NULL,
	    params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		store_set_error(s, res, "cannot set statement_timeout", err, errlen);
		PQclear(res);
		PQfinish(s->conn);
		s->conn = NULL;
		return false;
	}
	PQclear(res);
	if (s->async_commit) {
		res = PQexec(s->conn, "SET synchronous_commit = off");
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			store_set_error(s, res, "cannot set synchronous_commit", err, errlen);
			PQclear(res);
			PQfinish(s->conn);
			s->conn = NULL;
			return false;
		}
		PQclear(res);
	}
	return true;
}

void
store_set_async_commit(struct store *s)
{
	s->async_commit = true;
	if (s->conn)
		PQclear(PQexec(s->conn, "SET synchronous_commit = off"));
}

bool
store_prepare(struct store *s, const char *name, const char *sql, int nparams, char *err,
    size_t errlen)
{
	PGresult *res = PQprepare(s->conn, name, sql, nparams, NULL);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok) {
		char what[96];

		snprintf(what, sizeof(what), "cannot prepare %s", name);
		store_set_error(s, res, what, err, errlen);
	}
	PQclear(res);
	return ok;
}

PGresult *
store_exec(struct store *s, const struct store_stmt *stmt, uint64_t *prepared, int bit,
    const char *const *params, char *err, size_t errlen, enum store_result *r)
{
	PGresult *res;
	ExecStatusType st;

	*r = STORE_OK;
	if (!store_ensure_connected(s, err, errlen)) {
		*r = STORE_CONN_FAILED;
		return NULL;
	}
	if (!(*prepared & ((uint64_t)1 << bit))) {
		if (!store_prepare(s, stmt->name, stmt->sql, stmt->nparams, err, errlen)) {
			*r = store_classify_failure(s);
			return NULL;
		}
		*prepared |= (uint64_t)1 << bit;
	}
	res = PQexecPrepared(s->conn, stmt->name, stmt->nparams, params, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		store_set_error(s, res, stmt->name, err, errlen);
		PQclear(res);
		*r = store_classify_failure(s);
		return NULL;
	}
	return res;
}

enum store_result
store_exec_simple(struct store *s, const char *sql, char *err, size_t errlen)
{
	PGresult *res;
	enum store_result r = STORE_OK;

	if (!store_ensure_connected(s, err, errlen))
		return STORE_CONN_FAILED;
	res = PQexec(s->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		store_set_error(s, res, sql, err, errlen);
		r = store_classify_failure(s);
	}
	PQclear(res);
	return r;
}

enum store_result
store_exec_text(struct store *s, const struct store_stmt *stmt, uint64_t *prepared, int bit,
    const char *const *params, char **text, char *err, size_t errlen)
{
	enum store_result r;
	PGresult *res = store_exec(s, stmt, prepared, bit, params, err, errlen, &r);

	*text = NULL;
	if (res == NULL)
		return r;
	*text = xstrdup(PQntuples(res) ? PQgetvalue(res, 0, 0) : "[]");
	PQclear(res);
	return STORE_OK;
}

void
store_rollback(struct store *s)
{
	if (s->conn) {
		PGresult *res = PQexec(s->conn, "ROLLBACK");

		PQclear(res);
	}
}

static bool
prepare_all(struct store *s, char *err, size_t errlen)
{
	if (s->prepared)
		return true;
	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
		if (!store_prepare(s, stmts[i].name, stmts[i].sql, stmts[i].nparams, err, errlen))
			return false;
	}
	s->prepared = true;
	return true;
}

enum store_result
store_ping(struct store *s, char *err, size_t errlen)
{
	PGresult *res;
	enum store_result r = STORE_OK;

	if (!store_ensure_connected(s, err, errlen))
		return STORE_CONN_FAILED;
	res = PQexecParams(s->conn, "SELECT 1", 0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		store_set_error(s, res, "ping", err, errlen);
		r = store_classify_failure(s);
	}
	PQclear(res);
	return r;
}

static void
set_opt_string(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, json_string(v));
}

/*
 * Text that may quote the wire (a rejection's detail, a header): stored in
 * its visible form, so that bytes that are not UTF-8 are kept as \xNN
 * rather than dropped with the field, and bidi controls cannot reorder it.
 */
static void
set_visible_string(json_t *o, const char *key, const char *v)
{
	struct buf b;

	if (v == NULL)
		return;
	buf_init(&b);
	utf8_visible(&b, v, strlen(v));
	json_object_set_new(o, key, json_string(b.data ? b.data : ""));
	buf_cleanup(&b);
}

static json_t *
callback_json(const struct store_callback *cb, size_t ord)
{
	char ts[CLOCK_RFC3339_LEN];
	char rule[2] = { cb->sig_rule, '\0' };
	json_t *o = json_object();

	clock_format_rfc3339(cb->received_us, ts, sizeof(ts));
	json_object_set_new(o, "ord", json_integer((json_int_t)ord));
	json_object_set_new(o, "received_at", json_string(ts));
	json_object_set_new(o, "verified", json_boolean(cb->verified));
	set_opt_string(o, "channel", cb->channel);
	set_opt_string(o, "request_id", cb->request_id);
	set_opt_string(o, "remote_addr", cb->remote_addr);
	set_opt_string(o, "reason", cb->reason);
	set_visible_string(o, "detail", cb->detail);
	set_opt_string(o, "sig_rule", cb->sig_rule ? rule : NULL);
	set_opt_string(o, "idem_key", cb->idem_key);
	set_opt_string(o, "customer_id", cb->customer_id);
	set_opt_string(o, "account_name", cb->account_name);
	set_opt_string(o, "xaccount_id", cb->xaccount_id);
	set_opt_string(o, "xuser_id", cb->xuser_id);
	set_opt_string(o, "bind_action", cb->bind_action);
	set_visible_string(o, "content_type", cb->content_type);
	if (cb->payload)
		json_object_set(o, "payload", cb->payload);
	if (cb->body) {
		char *b64 = b64_encode(cb->body, cb->body_len);

		json_object_set_new(o, "body", json_string(b64));
		json_object_set_new(o, "body_bytes", json_integer((json_int_t)(cb->body_bytes ?
		    cb->body_bytes : cb->body_len)));
		free(b64);
	}
	return o;
}

enum store_result
store_callbacks_record(struct store *s, struct store_callback *const *cbs, size_t n, char *err,
    size_t errlen)
{
	json_t *arr = json_array();
	char *doc = NULL;
	const char *params[1];
	PGresult *res = NULL;
	enum store_result r = STORE_QUERY_FAILED;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, callback_json(cbs[i], i));
	doc = json_dumps(arr, JSON_COMPACT);
	if (doc == NULL) {
		snprintf(err, errlen, "cannot encode the batch as JSON");
		goto out;
	}
	if (!store_ensure_connected(s, err, errlen)) {
		r = STORE_CONN_FAILED;
		goto out;
	}
	if (!prepare_all(s, err, errlen)) {
		r = store_classify_failure(s);
		goto out;
	}
	params[0] = doc;
	res = PQexecPrepared(s->conn, stmts[STMT_CALLBACKS_RECORD].name, 1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		store_set_error(s, res, "recording callbacks", err, errlen);
		r = store_classify_failure(s);
		goto out;
	}
	if ((size_t)PQntuples(res) != n) {
		snprintf(err, errlen, "recording callbacks: %d rows back for %zu callbacks",
		    PQntuples(res), n);
		goto out;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		long ord = strtol(PQgetvalue(res, i, 0), NULL, 10);
		const char *st = PQgetvalue(res, i, 1);

		if (ord < 0 || (size_t)ord >= n)
			continue;
		cbs[ord]->outcome = strcmp(st, "accepted") == 0 ? STORE_OUTCOME_ACCEPTED :
		    strcmp(st, "duplicate") == 0 ? STORE_OUTCOME_DUPLICATE : STORE_OUTCOME_REJECTED;
	}
	r = STORE_OK;
out:
	PQclear(res);
	free(doc);
	json_decref(arr);
	return r;
}
