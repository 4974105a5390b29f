/*
 * The outbox. Workers of any instance claim due deliveries with FOR UPDATE
 * SKIP LOCKED; a claim is a lease (next_attempt_at moves past it), so a
 * delivery whose worker died is claimed again when the lease runs out, with
 * the same idempotency key. The rendering is stored with the first write
 * after a send (a part sent, a retry, dead, delivered), so a retry sends
 * the same bytes; a send whose outcome was never written (a crash) goes
 * again, rendered anew, with the same key.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

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
	res = store_exec(s, SQL_OUTBOX_CLAIM, params, err, errlen, &r);
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

/* The rendering and its part count for the write that stores them; NULL once stored. */
static const char *
unstored_body(const struct store_delivery *d)
{
	return d->unstored ? d->body : NULL;
}

static const char *
unstored_parts(const struct store_delivery *d, char *buf, size_t len)
{
	if (!d->unstored)
		return NULL;
	snprintf(buf, len, "%d", d->parts_total);
	return buf;
}

/* A write by the claim holder; *held is false when the claim was lost to another worker. */
static enum store_result
held_write(struct store *s, int q, const char *const *params, bool *held, char *err, size_t errlen)
{
	enum store_result r;
	PGresult *res = store_exec(s, q, params, err, errlen, &r);

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
	return held_write(s, SQL_OUTBOX_RENEW, params, held, err, errlen);
}

enum store_result
store_delivery_delivered(struct store *s, const char *batch, long *held_ids, int max, int *nheld,
    char *err, size_t errlen)
{
	const char *params[] = { batch };
	enum store_result r;
	PGresult *res = store_exec(s, SQL_OUTBOX_DELIVERED, params, err, errlen, &r);

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
	char ids[24], ps[16], pt[16];
	const char *params[] = { ids, ps, lease_until, d->token, unstored_body(d),
		unstored_parts(d, pt, sizeof(pt)) };

	snprintf(ids, sizeof(ids), "%ld", d->id);
	snprintf(ps, sizeof(ps), "%d", parts_sent);
	return held_write(s, SQL_OUTBOX_PART_SENT, params, held, err, errlen);
}

enum store_result
store_delivery_retry(struct store *s, const struct store_delivery *d, const char *next,
    const char *error, const char *code, bool *held, char *err, size_t errlen)
{
	char ids[24], pt[16];
	const char *params[] = { ids, next, error, code ? code : "", d->token, unstored_body(d),
		unstored_parts(d, pt, sizeof(pt)) };

	snprintf(ids, sizeof(ids), "%ld", d->id);
	return held_write(s, SQL_OUTBOX_RETRY, params, held, err, errlen);
}

enum store_result
store_delivery_release(struct store *s, const struct store_delivery *d, const char *next,
    bool *held, char *err, size_t errlen)
{
	char ids[24];
	const char *params[] = { ids, next, d->token };

	snprintf(ids, sizeof(ids), "%ld", d->id);
	return held_write(s, SQL_OUTBOX_RELEASE, params, held, err, errlen);
}

enum store_result
store_delivery_dead(struct store *s, const struct store_delivery *d, const char *error,
    const char *code, const char *now, const char *fallback, const char *fallback_channel,
    bool *held, char *err, size_t errlen)
{
	char ids[24];
	char pt[16];
	const char *params[] = { ids, error, code ? code : "", now, fallback ? fallback : "",
		fallback_channel ? fallback_channel : "", d->token, unstored_body(d),
		unstored_parts(d, pt, sizeof(pt)) };
	enum store_result r;
	PGresult *res;

	snprintf(ids, sizeof(ids), "%ld", d->id);
	*held = false;
	res = store_exec(s, SQL_OUTBOX_DEAD, params, err, errlen, &r);
	if (res == NULL)
		return r;
	*held = PQntuples(res) == 1 && strtol(PQgetvalue(res, 0, 0), NULL, 10) > 0;
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_delivery_replay(struct store *s, long id, const char *now, long *n, char *err, size_t errlen)
{
	char ids[24];
	const char *params[] = { ids, now };
	enum store_result r;
	PGresult *res;

	snprintf(ids, sizeof(ids), "%ld", id);
	*n = 0;
	res = store_exec(s, SQL_OUTBOX_REPLAY, params, err, errlen, &r);
	if (res == NULL)
		return r;
	*n = strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_destination_token(struct store *s, const char *destination, double interval, double tolerance,
    double *wait, char *err, size_t errlen)
{
	char iv[32], tol[32];
	const char *params[] = { destination, iv, tol };
	enum store_result r;
	PGresult *res;

	snprintf(iv, sizeof(iv), "%.6f", interval);
	snprintf(tol, sizeof(tol), "%.6f", tolerance);
	*wait = 0;
	res = store_exec(s, SQL_OUTBOX_TOKEN, params, err, errlen, &r);
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
	return store_exec_command(s, SQL_OUTBOX_SENT, params, err, errlen);
}

enum store_result
store_destination_block(struct store *s, const char *destination, double seconds,
    const char *reason, char *err, size_t errlen)
{
	char secs[32];
	const char *params[] = { destination, secs, reason };

	snprintf(secs, sizeof(secs), "%.3f", seconds);
	return store_exec_command(s, SQL_OUTBOX_BLOCK, params, err, errlen);
}

enum store_result
store_destination_note(struct store *s, const char *destination, bool ok, const char *error,
    char *err, size_t errlen)
{
	const char *params[] = { destination, ok ? "true" : "false", error ? error : "" };

	return store_exec_command(s, SQL_OUTBOX_NOTE, params, err, errlen);
}

enum store_result
store_deliveries_list(struct store *s, bool dead_only, int limit, char **json, char *err,
    size_t errlen)
{
	char lim[16];
	const char *params[] = { dead_only ? "true" : "false", lim };

	snprintf(lim, sizeof(lim), "%d", limit);
	return store_exec_text(s, SQL_OUTBOX_LIST, params, json, err, errlen);
}
