#include "store/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_int.h"
#include "util/sha256.h"
#include "util/words.h"

static void checksum(const char *sql, char out[SHA256_HEX_LEN]);
static bool exec_command(struct store *s, enum store_sql id, const char *const *params,
    const char *what, char *err, size_t errlen);
static const struct migration *find_embedded(int version);

static void
checksum(const char *sql, char out[SHA256_HEX_LEN])
{
	sha256_hex(sql, strlen(sql), out);
}

/* Runs id; false, with err saying what failed ("taking the migration lock: …"). */
static bool
exec_command(struct store *s, enum store_sql id, const char *const *params, const char *what,
    char *err, size_t errlen)
{
	char e[STORE_ERR_LEN];

	if (store_exec_command(s, id, params, e, sizeof(e)) == STORE_OK)
		return true;
	snprintf(err, errlen, "%.80s: %.400s", what, e);
	return false;
}

static const struct migration *
find_embedded(int version)
{
	for (size_t i = 0; i < migrations_embedded_count; i++) {
		if (migrations_embedded[i].version == version)
			return &migrations_embedded[i];
	}
	return NULL;
}

bool
migrate_status(struct store *s, struct migrate_status *st, char *err, size_t errlen)
{
	PGresult *res = NULL;
	enum store_result r;
	bool ok = false;
	bool *applied = calloc(migrations_embedded_count + 1, sizeof(bool));

	memset(st, 0, sizeof(*st));
	if (applied == NULL) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	if (!store_ensure_connected(s, err, errlen))
		goto out;
	if ((res = store_exec(s, SQL_MIGRATE_TABLE_EXISTS, NULL, err, errlen, &r)) == NULL)
		goto out;
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		PQclear(res);
		if ((res = store_exec(s, SQL_MIGRATE_APPLIED, NULL, err, errlen, &r)) == NULL)
			goto out;
		for (int i = 0; i < PQntuples(res); i++) {
			int v = atoi(PQgetvalue(res, i, 0));
			const struct migration *m = find_embedded(v);
			char sum[SHA256_HEX_LEN];

			if (m == NULL) {
				st->unknown++;
				continue;
			}
			checksum(m->sql, sum);
			if (strcmp(sum, PQgetvalue(res, i, 1)) != 0) {
				snprintf(err, errlen,
				    "migration %s was changed after it was applied "
				    "(checksum differs); restore the original file and add a new migration",
				    m->name);
				goto out;
			}
			applied[m - migrations_embedded] = true;
		}
	}
	for (size_t i = 0; i < migrations_embedded_count; i++) {
		if (!applied[i]) {
			if (st->pending == 0)
				st->first_pending = migrations_embedded[i].version;
			st->pending++;
		}
	}
	ok = true;
out:
	PQclear(res);
	free(applied);
	return ok;
}

static bool
grant_dashboards(struct store *s, const char *roles, char *err, size_t errlen)
{
	const char *p = roles, *w;
	size_t n;

	while (words_next(&p, &w, &n)) {
		char role[128];
		const char *params[1] = { role };
		/* The server quotes the role (%I); the statement it makes is then run as text. */
		PGresult *res, *g;
		enum store_result r;

		snprintf(role, sizeof(role), "%.*s", (int)n, w);
		if ((res = store_exec(s, SQL_MIGRATE_GRANTS, params, err, errlen, &r)) == NULL)
			return false;
		g = PQexec(s->conn, PQgetvalue(res, 0, 0));
		PQclear(res);
		if (PQresultStatus(g) != PGRES_COMMAND_OK) {
			char what[192];

			snprintf(what, sizeof(what),
			    "granting the dashboard views to \"%s\" "
			    "([database] dashboard_roles)",
			    role);
			store_set_error(s, g, what, err, errlen);
			PQclear(g);
			return false;
		}
		PQclear(g);
		log_info("migrate: role \"%s\" may read the dashboard views", role);
	}
	return true;
}

bool
migrate_apply(struct store *s, const char *roles, int *applied, char *err, size_t errlen)
{
	struct migrate_status st;
	bool locked = false, in_tx = false, ok = false;

	*applied = 0;
	if (!store_ensure_connected(s, err, errlen))
		return false;
	/* One migrator at a time; the others wait here, then find nothing to do. */
	if (!exec_command(s, SQL_MIGRATE_LOCK, NULL, "taking the migration lock", err, errlen))
		goto out;
	locked = true;
	if (!exec_command(s, SQL_MIGRATE_CREATE_TABLE, NULL, "creating schema_migrations", err,
		errlen))
		goto out;
	if (!migrate_status(s, &st, err, errlen))
		goto out;

	for (size_t i = 0; i < migrations_embedded_count && st.pending > 0; i++) {
		const struct migration *m = &migrations_embedded[i];
		char sum[SHA256_HEX_LEN], version[16];
		const char *params[3] = { version, m->name, sum };
		PGresult *res;
		enum store_result r;
		bool done;

		/* Is it applied? Asking again is cheaper than keeping the list. */
		snprintf(version, sizeof(version), "%d", m->version);
		if ((res = store_exec(s, SQL_MIGRATE_IS_APPLIED, params, err, errlen, &r)) == NULL)
			goto out;
		done = PQntuples(res) == 1;
		PQclear(res);
		if (done)
			continue;

		checksum(m->sql, sum);
		if (!exec_command(s, SQL_TX_BEGIN, NULL, "starting its transaction", err, errlen))
			goto out;
		in_tx = true;
		/* A migration file holds several statements: the simple protocol runs them all. */
		res = PQexec(s->conn, m->sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK) {
			char what[128];

			snprintf(what, sizeof(what), "applying %s", m->name);
			store_set_error(s, res, what, err, errlen);
			PQclear(res);
			(void)store_classify_failure(s);
			goto out;
		}
		PQclear(res);
		if (!exec_command(s, SQL_MIGRATE_RECORD, params, "recording the migration", err,
			errlen) ||
		    !exec_command(s, SQL_TX_COMMIT, NULL, "committing it", err, errlen))
			goto out;
		in_tx = false;
		log_info("migration %s applied", m->name);
		(*applied)++;
	}
	ok = grant_dashboards(s, roles ? roles : "", err, errlen);
out:
	if (in_tx)
		store_rollback(s);
	if (locked && s->conn) {
		char ignored[STORE_ERR_LEN];

		(void)exec_command(s, SQL_MIGRATE_UNLOCK, NULL, "releasing the migration lock",
		    ignored, sizeof(ignored));
	}
	return ok;
}
