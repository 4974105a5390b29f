/*
 * The outbox. Workers of any instance claim due deliveries with FOR UPDATE
 * SKIP LOCKED; a claim is a lease (next_attempt_at moves past it), so a
 * delivery whose worker died is claimed again when the lease runs out, with
 * the same idempotency key and the same rendered bytes.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

enum {
	O_CLAIM,
	O_RENEW,
	O_SET_BODY,
	O_PART_SENT,
	O_RETRY,
	O_RELEASE,
	O_DEAD,
	O_REPLAY,
	O_TOKEN,
	O_SENT,
	O_BLOCK,
	O_NOTE,
	O_LIST,
	O_COUNT
};

static const struct store_stmt qs[O_COUNT] = {
	/*
	 * Up to $5 due deliveries at once, with the items of those not yet
	 * rendered: one round trip for what took four per delivery.
	 */
	[O_CLAIM] = { "outbox_claim",
	    "WITH c AS ("
	    "  SELECT d.id FROM deliveries d"
	    "  WHERE d.state IN ('pending', 'sending') AND d.next_attempt_at <= $1"
	    "    AND d.destination IN (SELECT jsonb_array_elements_text($4::jsonb))"
	    "    AND NOT EXISTS (SELECT 1 FROM destination_state s"
	    "      WHERE s.destination = d.destination AND s.blocked_until > clock_timestamp())"
	    "  ORDER BY d.next_attempt_at, d.id LIMIT $5 FOR UPDATE OF d SKIP LOCKED"
	    "), u AS ("
	    "  UPDATE deliveries d SET state = 'sending', attempts = d.attempts + 1,"
	    "    next_attempt_at = $1::timestamptz + $2::int * interval '1 second', leased_by = $3,"
	    "    last_attempt_at = $1, lease_token = d.lease_token + 1"
	    "  FROM c WHERE d.id = c.id"
	    "  RETURNING d.id, d.idempotency_key, d.destination, d.channel, d.attempts, d.parts_sent,"
	    "    d.body::text AS body, COALESCE(d.fallback_of, 0) AS fallback_of,"
	    "    extract(epoch FROM $1::timestamptz - d.retry_from) AS age, d.lease_token,"
	    "    d.notification_ids"
	    /* Items in the order a digest lists them: by customer, the most urgent first. */
	    ") SELECT u.id, u.idempotency_key, u.destination, u.channel, u.attempts, u.parts_sent,"
	    "  u.body, u.fallback_of, u.age, u.lease_token, CASE WHEN u.body IS NULL THEN ("
	    "  SELECT COALESCE(json_agg(json_build_object('kind', a.kind, 'event', n.event,"
	    "      'stage', n.stage, 'severity', n.severity, 'facts', n.facts)"
	    "    ORDER BY a.customer_id NULLS FIRST, n.facts->>'scope' NULLS LAST,"
	    "      CASE n.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,"
	    "      (n.facts->>'days_left')::int NULLS LAST, n.id), '[]')"
	    "  FROM unnest(u.notification_ids) AS i(id)"
	    "  JOIN notifications n ON n.id = i.id JOIN alerts a ON a.id = n.alert_id"
	    ") END,"
	    /* Whether the destination's last recorded outcome is a failure (or none): see note_ok. */
	    "  COALESCE((SELECT s.last_ok_at IS NULL OR s.last_error_at > s.last_ok_at"
	    "    FROM destination_state s WHERE s.destination = u.destination), true)"
	    " FROM u ORDER BY u.id", 5 },
	/* Before each send: still ours? Then the lease runs on from here. */
	[O_RENEW] = { "outbox_renew",
	    "UPDATE deliveries SET next_attempt_at = $3"
	    " WHERE id = $1 AND lease_token = $2 AND state = 'sending'", 3 },

	/* $1: [{id, token, parts, body}], the renderings of one claim's deliveries. */
	[O_SET_BODY] = { "outbox_set_bodies",
	    "UPDATE deliveries d SET body = x.body, parts_total = x.parts"
	    " FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, token bigint, parts int, body jsonb)"
	    " WHERE d.id = x.id AND d.lease_token = x.token RETURNING d.id", 1 },
	[O_PART_SENT] = { "outbox_part_sent",
	    "UPDATE deliveries SET parts_sent = $2,"
	    "  state = CASE WHEN $2 >= parts_total THEN 'delivered' ELSE state END,"
	    "  delivered_at = CASE WHEN $2 >= parts_total THEN clock_timestamp() END,"
	    "  last_error = CASE WHEN $2 >= parts_total THEN NULL ELSE last_error END,"
	    "  next_attempt_at = CASE WHEN $2 >= parts_total THEN next_attempt_at ELSE $3 END"
	    " WHERE id = $1 AND lease_token = $4", 4 },
	[O_RETRY] = { "outbox_retry",
	    "UPDATE deliveries SET state = 'pending', next_attempt_at = $2, last_error = $3,"
	    "  platform_code = NULLIF($4, '') WHERE id = $1 AND lease_token = $5", 5 },
	[O_RELEASE] = { "outbox_release",
	    "UPDATE deliveries SET state = 'pending', next_attempt_at = $2,"
	    "  attempts = greatest(attempts - 1, 0) WHERE id = $1 AND lease_token = $3", 3 },
	[O_DEAD] = { "outbox_dead",
	    "WITH d AS ("
	    "  UPDATE deliveries SET state = 'dead', last_error = $2, platform_code = NULLIF($3, ''),"
	    "    dead_at = clock_timestamp()"
	    "  WHERE id = $1 AND lease_token = $7 RETURNING id, notification_ids, items"
	    "), f AS ("
	    "  INSERT INTO deliveries (destination, channel, notification_ids, items, created_at,"
	    "    not_before, retry_from, next_attempt_at, fallback_of)"
	    "  SELECT $5, $6, d.notification_ids, d.items, $4, $4, $4, $4, d.id FROM d"
	    "  WHERE $5 <> '' RETURNING 1"
	    ") SELECT count(*) FROM d", 7 },
	[O_REPLAY] = { "outbox_replay",
	    "UPDATE deliveries SET state = 'pending', next_attempt_at = $2, retry_from = $2,"
	    "  replays = replays + 1, dead_at = NULL"
	    " WHERE state = 'dead' AND ($1 = 0 OR id = $1)", 2 },

	/*
	 * GCRA in one row per destination, so that every instance keeps the
	 * same pace: a send is allowed when the theoretical arrival time is
	 * within the tolerance of now, and moves it one interval on.
	 */
	[O_TOKEN] = { "outbox_token",
	    "WITH up AS ("
	    "  INSERT INTO destination_state AS s (destination, tat)"
	    "  VALUES ($1, clock_timestamp() + $2::double precision * interval '1 second')"
	    "  ON CONFLICT (destination) DO UPDATE"
	    "    SET tat = greatest(s.tat, clock_timestamp()) + $2::double precision * interval '1 second'"
	    "    WHERE greatest(s.tat, clock_timestamp())"
	    "      <= clock_timestamp() + $3::double precision * interval '1 second'"
	    "  RETURNING 1"
	    ") SELECT CASE WHEN EXISTS (SELECT 1 FROM up) THEN 0 ELSE"
	    "  (SELECT greatest(extract(epoch FROM s.tat - clock_timestamp()) - $3::double precision,"
	    "     0.001) FROM destination_state s WHERE s.destination = $1) END", 3 },
	/*
	 * A send left $2 seconds ago: the next may not start before one interval
	 * after it, however late it left after its token (a slow connect).
	 */
	[O_SENT] = { "outbox_sent",
	    "UPDATE destination_state SET tat = greatest(tat, clock_timestamp()"
	    "  + ($3::double precision - $2::double precision) * interval '1 second')"
	    " WHERE destination = $1", 3 },
	[O_BLOCK] = { "outbox_block",
	    "INSERT INTO destination_state AS s (destination, blocked_until, blocked_reason)"
	    " VALUES ($1, clock_timestamp() + $2::double precision * interval '1 second', $3)"
	    " ON CONFLICT (destination) DO UPDATE SET"
	    "  blocked_until = greatest(s.blocked_until, EXCLUDED.blocked_until),"
	    "  blocked_reason = EXCLUDED.blocked_reason", 3 },
	[O_NOTE] = { "outbox_note",
	    "INSERT INTO destination_state AS s (destination, last_ok_at, last_error_at, last_error)"
	    " VALUES ($1, CASE WHEN $2 THEN clock_timestamp() END,"
	    "  CASE WHEN NOT $2 THEN clock_timestamp() END, CASE WHEN NOT $2 THEN $3 END)"
	    " ON CONFLICT (destination) DO UPDATE SET"
	    "  last_ok_at = COALESCE(EXCLUDED.last_ok_at, s.last_ok_at),"
	    "  last_error_at = COALESCE(EXCLUDED.last_error_at, s.last_error_at),"
	    "  last_error = COALESCE(EXCLUDED.last_error, s.last_error)", 3 },
	[O_LIST] = { "outbox_list",
	    "SELECT COALESCE(json_agg(x ORDER BY x.id::bigint DESC), '[]') FROM ("
	    "  SELECT id::text AS id, destination, channel, state, items::text AS items,"
	    "    attempts::text AS attempts, parts_sent::text AS parts_sent,"
	    "    parts_total::text AS parts_total,"
	    "    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at,"
	    "    to_char(next_attempt_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	    "      AS next_attempt_at, last_error, platform_code, idempotency_key,"
	    "    fallback_of::text AS fallback_of"
	    "  FROM deliveries d WHERE NOT $1 OR state = 'dead' ORDER BY d.id DESC LIMIT $2) AS x", 2 },
};

static PGresult *
run(struct store *s, int q, const char *const *params, char *err, size_t errlen,
    enum store_result *r)
{
	return store_exec(s, &qs[q], &s->outbox_prepared, q, params, err, errlen, r);
}

static enum store_result
run_command(struct store *s, int q, const char *const *params, char *err, size_t errlen)
{
	enum store_result r;
	PGresult *res = run(s, q, params, err, errlen, &r);

	PQclear(res);
	return r;
}

enum store_result
store_delivery_claim(struct store *s, const char *now, int lease, const char *instance,
    const char *dests, int max, struct store_delivery *out, int *n, char *err, size_t errlen)
{
	char ls[16], mx[16];
	const char *params[] = { now, ls, instance, dests, mx };
	enum store_result r;
	PGresult *res;

	snprintf(ls, sizeof(ls), "%d", lease);
	snprintf(mx, sizeof(mx), "%d", max);
	*n = 0;
	res = run(s, O_CLAIM, params, err, errlen, &r);
	if (res == NULL)
		return r;
	for (int i = 0; i < PQntuples(res) && i < max; i++) {
		struct store_delivery *d = &out[(*n)++];

		memset(d, 0, sizeof(*d));
		d->id = strtol(PQgetvalue(res, i, 0), NULL, 10);
		snprintf(d->key, sizeof(d->key), "%s", PQgetvalue(res, i, 1));
		snprintf(d->destination, sizeof(d->destination), "%s", PQgetvalue(res, i, 2));
		snprintf(d->channel, sizeof(d->channel), "%s", PQgetvalue(res, i, 3));
		d->attempts = (int)strtol(PQgetvalue(res, i, 4), NULL, 10);
		d->parts_sent = (int)strtol(PQgetvalue(res, i, 5), NULL, 10);
		d->body = PQgetisnull(res, i, 6) ? NULL : xstrdup(PQgetvalue(res, i, 6));
		d->fallback_of = strtol(PQgetvalue(res, i, 7), NULL, 10);
		d->age = strtod(PQgetvalue(res, i, 8), NULL);
		snprintf(d->token, sizeof(d->token), "%s", PQgetvalue(res, i, 9));
		d->items = PQgetisnull(res, i, 10) ? NULL : xstrdup(PQgetvalue(res, i, 10));
		d->note_ok = strcmp(PQgetvalue(res, i, 11), "t") == 0;
	}
	PQclear(res);
	return STORE_OK;
}

void
store_delivery_cleanup(struct store_delivery *d)
{
	free(d->body);
	free(d->items);
	d->body = d->items = NULL;
}

/* A write by the claim holder; *held is false when the claim was lost to another worker. */
static enum store_result
held_write(struct store *s, int q, const char *const *params, bool *held, char *err,
    size_t errlen)
{
	enum store_result r;
	PGresult *res = run(s, q, params, err, errlen, &r);

	*held = false;
	if (res == NULL)
		return r;
	*held = strtol(PQcmdTuples(res), NULL, 10) > 0;
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_delivery_renew(struct store *s, const struct store_delivery *d, const char *lease_until,
    bool *held, char *err, size_t errlen)
{
	char ids[24];
	const char *params[] = { ids, d->token, lease_until };

	snprintf(ids, sizeof(ids), "%ld", d->id);
	return held_write(s, O_RENEW, params, held, err, errlen);
}

enum store_result
store_delivery_set_bodies(struct store *s, const char *bodies, long *held_ids, int max,
    int *nheld, char *err, size_t errlen)
{
	const char *params[] = { bodies };
	enum store_result r;
	PGresult *res = run(s, O_SET_BODY, params, err, errlen, &r);

	*nheld = 0;
	if (res == NULL)
		return r;
	for (int i = 0; i < PQntuples(res) && i < max; i++)
		held_ids[(*nheld)++] = strtol(PQgetvalue(res, i, 0), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_delivery_part_sent(struct store *s, const struct store_delivery *d, int parts_sent,
    const char *lease_until, bool *held, char *err, size_t errlen)
{
	char ids[24], ps[16];
	const char *params[] = { ids, ps, lease_until, d->token };

	snprintf(ids, sizeof(ids), "%ld", d->id);
	snprintf(ps, sizeof(ps), "%d", parts_sent);
	return held_write(s, O_PART_SENT, params, held, err, errlen);
}

enum store_result
store_delivery_retry(struct store *s, const struct store_delivery *d, const char *next,
    const char *error, const char *code, bool *held, char *err, size_t errlen)
{
	char ids[24];
	const char *params[] = { ids, next, error, code ? code : "", d->token };

	snprintf(ids, sizeof(ids), "%ld", d->id);
	return held_write(s, O_RETRY, params, held, err, errlen);
}

enum store_result
store_delivery_release(struct store *s, const struct store_delivery *d, const char *next,
    bool *held, char *err, size_t errlen)
{
	char ids[24];
	const char *params[] = { ids, next, d->token };

	snprintf(ids, sizeof(ids), "%ld", d->id);
	return held_write(s, O_RELEASE, params, held, err, errlen);
}

enum store_result
store_delivery_dead(struct store *s, const struct store_delivery *d, const char *error,
    const char *code, const char *now, const char *fallback, const char *fallback_channel,
    bool *held, char *err, size_t errlen)
{
	char ids[24];
	const char *params[] = { ids, error, code ? code : "", now, fallback ? fallback : "",
		fallback_channel ? fallback_channel : "", d->token };
	enum store_result r;
	PGresult *res;

	snprintf(ids, sizeof(ids), "%ld", d->id);
	*held = false;
	res = run(s, O_DEAD, params, err, errlen, &r);
	if (res == NULL)
		return r;
	*held = PQntuples(res) == 1 && strtol(PQgetvalue(res, 0, 0), NULL, 10) > 0;
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_delivery_replay(struct store *s, long id, const char *now, long *n, char *err,
    size_t errlen)
{
	char ids[24];
	const char *params[] = { ids, now };
	enum store_result r;
	PGresult *res;

	snprintf(ids, sizeof(ids), "%ld", id);
	*n = 0;
	res = run(s, O_REPLAY, params, err, errlen, &r);
	if (res == NULL)
		return r;
	*n = strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_destination_token(struct store *s, const char *destination, double interval,
    double tolerance, double *wait, char *err, size_t errlen)
{
	char iv[32], tol[32];
	const char *params[] = { destination, iv, tol };
	enum store_result r;
	PGresult *res;

	snprintf(iv, sizeof(iv), "%.6f", interval);
	snprintf(tol, sizeof(tol), "%.6f", tolerance);
	*wait = 0;
	res = run(s, O_TOKEN, params, err, errlen, &r);
	if (res == NULL)
		return r;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		*wait = strtod(PQgetvalue(res, 0, 0), NULL);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_destination_sent(struct store *s, const char *destination, double ago, double interval,
    char *err, size_t errlen)
{
	char a[32], iv[32];
	const char *params[] = { destination, a, iv };

	snprintf(a, sizeof(a), "%.6f", ago);
	snprintf(iv, sizeof(iv), "%.6f", interval);
	return run_command(s, O_SENT, params, err, errlen);
}

enum store_result
store_destination_block(struct store *s, const char *destination, double seconds,
    const char *reason, char *err, size_t errlen)
{
	char secs[32];
	const char *params[] = { destination, secs, reason };

	snprintf(secs, sizeof(secs), "%.3f", seconds);
	return run_command(s, O_BLOCK, params, err, errlen);
}

enum store_result
store_destination_note(struct store *s, const char *destination, bool ok, const char *error,
    char *err, size_t errlen)
{
	const char *params[] = { destination, ok ? "true" : "false", error ? error : "" };

	return run_command(s, O_NOTE, params, err, errlen);
}

enum store_result
store_deliveries_list(struct store *s, bool dead_only, int limit, char **json, char *err,
    size_t errlen)
{
	char lim[16];
	const char *params[] = { dead_only ? "true" : "false", lim };

	snprintf(lim, sizeof(lim), "%d", limit);
	return store_exec_text(s, &qs[O_LIST], &s->outbox_prepared, O_LIST, params, json, err,
	    errlen);
}
