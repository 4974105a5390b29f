#include "store/store_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/utf8.h"
#include "util/xalloc.h"

static PGresult *exec_prepared(struct store *s, enum store_sql id, const char *const *params,
    const int *lengths, const int *formats, char *err, size_t errlen);
static void prepare_all_begin(struct store *s);
static void one_line(char *err, size_t errlen);
static json_t *callback_json(const struct store_callback *cb, size_t ord, size_t body_off);
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
		memset(s->prepared, 0, sizeof(s->prepared));
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
	memset(s->prepared, 0, sizeof(s->prepared));
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
	res = exec_prepared(s, SQL_STORE_STATEMENT_TIMEOUT, params, NULL, NULL, err, errlen);
	if (res != NULL && s->async_commit) {
		PQclear(res);
		res = exec_prepared(s, SQL_STORE_ASYNC_COMMIT, NULL, NULL, NULL, err, errlen);
	}
	if (res == NULL) {
		PQfinish(s->conn);
		s->conn = NULL;
		return false;
	}
	PQclear(res);
	return true;
}

void
store_set_async_commit(struct store *s)
{
	char err[STORE_ERR_LEN];

	s->async_commit = true;
	if (s->conn)
		PQclear(
		    exec_prepared(s, SQL_STORE_ASYNC_COMMIT, NULL, NULL, NULL, err, sizeof(err)));
}

/* Prepares id on this connection unless it has been, then executes it; NULL on failure. */
static PGresult *
exec_prepared(struct store *s, enum store_sql id, const char *const *params, const int *lengths,
    const int *formats, char *err, size_t errlen)
{
	const struct store_sql_stmt *stmt = &store_sql[id];
	uint64_t bit = (uint64_t)1 << (id % 64);
	PGresult *res;
	ExecStatusType st;

	if (!(s->prepared[id / 64] & bit)) {
		res = PQprepare(s->conn, stmt->name, stmt->sql, stmt->nparams, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			char what[96];

			snprintf(what, sizeof(what), "cannot prepare %s", stmt->name);
			store_set_error(s, res, what, err, errlen);
			PQclear(res);
			return NULL;
		}
		PQclear(res);
		s->prepared[id / 64] |= bit;
	}
	res = PQexecPrepared(s->conn, stmt->name, stmt->nparams, params, lengths, formats, 0);
	st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		store_set_error(s, res, stmt->name, err, errlen);
		PQclear(res);
		return NULL;
	}
	return res;
}

/*
 * store_exec, with some parameters in binary where lengths and formats say
 * so (as PQexecParams takes them; both NULL: every parameter text).
 */
static PGresult *
store_exec_binary(struct store *s, enum store_sql id, const char *const *params, const int *lengths,
    const int *formats, char *err, size_t errlen, enum store_result *r)
{
	PGresult *res;

	*r = STORE_OK;
	if (!store_ensure_connected(s, err, errlen)) {
		*r = STORE_CONN_FAILED;
		return NULL;
	}
	res = exec_prepared(s, id, params, lengths, formats, err, errlen);
	if (res == NULL)
		*r = store_classify_failure(s);
	return res;
}

PGresult *
store_exec(struct store *s, enum store_sql id, const char *const *params, char *err, size_t errlen,
    enum store_result *r)
{
	return store_exec_binary(s, id, params, NULL, NULL, err, errlen, r);
}

enum store_result
store_exec_command(struct store *s, enum store_sql id, const char *const *params, char *err,
    size_t errlen)
{
	enum store_result r;

	PQclear(store_exec(s, id, params, err, errlen, &r));
	return r;
}

enum store_result
store_exec_text(struct store *s, enum store_sql id, const char *const *params, char **text,
    char *err, size_t errlen)
{
	enum store_result r;
	PGresult *res = store_exec(s, id, params, err, errlen, &r);

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
	char err[STORE_ERR_LEN];

	if (s->conn)
		PQclear(exec_prepared(s, SQL_TX_ROLLBACK, NULL, NULL, NULL, err, sizeof(err)));
}

/*
 * The transaction store_prepare_all prepares in, with the temporary tables
 * that some statements read: a rule's statement named <name>_table creates
 * one for the others of its folder.
 */
static void
prepare_all_begin(struct store *s)
{
	char ignored[STORE_ERR_LEN];

	PQclear(exec_prepared(s, SQL_TX_BEGIN, NULL, NULL, NULL, ignored, sizeof(ignored)));
	for (int id = 0; id < SQL_COUNT; id++) {
		const char *name = store_sql[id].name;
		size_t len = strlen(name);

		if (strncmp(name, "rules/", 6) == 0 && strcmp(name + len - 6, "_table") == 0)
			PQclear(exec_prepared(s, (enum store_sql)id, NULL, NULL, NULL, ignored,
			    sizeof(ignored)));
	}
}

bool
store_prepare_all(struct store *s, char *err, size_t errlen)
{
	char one[STORE_ERR_LEN];
	bool ok = true;

	if (!store_ensure_connected(s, err, errlen))
		return false;
	err[0] = '\0';
	prepare_all_begin(s);
	for (int id = 0; id < SQL_COUNT; id++) {
		const struct store_sql_stmt *stmt = &store_sql[id];
		PGresult *res;

		if (s->prepared[id / 64] & ((uint64_t)1 << (id % 64)))
			continue;
		res = PQprepare(s->conn, stmt->name, stmt->sql, stmt->nparams, NULL);
		if (PQresultStatus(res) == PGRES_COMMAND_OK) {
			s->prepared[id / 64] |= (uint64_t)1 << (id % 64);
		} else {
			char what[96];

			snprintf(what, sizeof(what), "cannot prepare %s", stmt->name);
			store_set_error(s, res, what, one, sizeof(one));
			snprintf(err + strlen(err), errlen - strlen(err), "%s%s", ok ? "" : "\n",
			    one);
			ok = false;
			/* The failure ended the transaction: the next statements get a new one. */
			store_rollback(s);
			prepare_all_begin(s);
		}
		PQclear(res);
	}
	store_rollback(s);
	return ok;
}

enum store_result
store_ping(struct store *s, char *err, size_t errlen)
{
	enum store_result r;

	PQclear(store_exec(s, SQL_STORE_PING, NULL, err, errlen, &r));
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

/*
 * One callback's fields. Its body is not in the JSON: the bodies travel end
 * to end as one binary parameter, and body_off/body_len locate each, so
 * that PostgreSQL neither parses them as JSON strings nor decodes Base64.
 */
static json_t *
callback_json(const struct store_callback *cb, size_t ord, size_t body_off)
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
	if (cb->body) {
		json_object_set_new(o, "body_off", json_integer((json_int_t)body_off));
		json_object_set_new(o, "body_len", json_integer((json_int_t)cb->body_len));
		json_object_set_new(o, "body_bytes",
		    json_integer((json_int_t)(cb->body_bytes ? cb->body_bytes : cb->body_len)));
	}
	return o;
}

enum store_result
store_callbacks_record(struct store *s, struct store_callback *const *cbs, size_t n, char *err,
    size_t errlen)
{
	json_t *arr = json_array();
	char *doc = NULL;
	const char *params[2];
	int lengths[2] = { 0, 0 }, formats[2] = { 0, 1 };
	struct buf bodies;
	PGresult *res = NULL;
	enum store_result r = STORE_QUERY_FAILED;

	buf_init(&bodies);
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(arr, callback_json(cbs[i], i, bodies.len));
		if (cbs[i]->body)
			buf_append(&bodies, cbs[i]->body, cbs[i]->body_len);
	}
	doc = json_dumps(arr, JSON_COMPACT);
	if (doc == NULL || bodies.len > INT_MAX) {
		snprintf(err, errlen, "cannot encode the batch");
		goto out;
	}
	params[0] = doc;
	params[1] = bodies.data ? bodies.data : "";
	lengths[1] = (int)bodies.len;
	res = store_exec_binary(s, SQL_CALLBACKS_RECORD, params, lengths, formats, err, errlen, &r);
	if (res == NULL)
		goto out;
	r = STORE_QUERY_FAILED;
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
		    strcmp(st, "duplicate") == 0		? STORE_OUTCOME_DUPLICATE :
								  STORE_OUTCOME_REJECTED;
	}
	r = STORE_OK;
out:
	PQclear(res);
	free(doc);
	buf_cleanup(&bodies);
	json_decref(arr);
	return r;
}
