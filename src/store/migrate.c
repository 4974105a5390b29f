#include "store/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_int.h"
#include "util/sha256.h"
#include "util/words.h"

/* pg_advisory_lock key shared by every hcwatch that migrates this database ("hcwm"). */
#define MIGRATE_LOCK_KEY "1751349101"

static void checksum(const char *sql, char out[SHA256_HEX_LEN]);
static bool exec_simple(struct store *s, const char *sql, int nparams, const char *const *params,
    const char *what, char *err, size_t errlen);
static const struct migration *find_embedded(int version);

static void
checksum(const char *sql, char out[SHA256_HEX_LEN])
{
	sha256_hex(sql, strlen(sql), out);
}

static bool
exec_simple(struct store *s, const char *sql, int nparams, const char *const *params,
    const char *what, char *err, size_t errlen)
{
	PGresult *res = PQexecParams(s->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok) {
		store_set_error(s, res, what, err, errlen);
		(void)store_classify_failure(s);
	}
	PQclear(res);
	return ok;
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
	bool ok = false;
	bool *applied = calloc(migrations_embedded_count + 1, sizeof(bool));

	memset(st, 0, sizeof(*st));
	if (applied == NULL) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	if (!store_ensure_connected(s, err, errlen))
		goto out;
	res = PQexecParams(s->conn, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL,
	    NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		store_set_error(s, res, "reading schema_migrations", err, errlen);
		(void)store_classify_failure(s);
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		PQclear(res);
		res = PQexecParams(s->conn, "SELECT version, checksum FROM schema_migrations "
		    "ORDER BY version", 0, NULL, NULL, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			store_set_error(s, res, "reading schema_migrations", err, errlen);
			(void)store_classify_failure(s);
			goto out;
		}
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
				snprintf(err, errlen, "migration %s was changed after it was applied "
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

		snprintf(role, sizeof(role), "%.*s", (int)n, w);
		res = PQexecParams(s->conn, "SELECT format('GRANT USAGE ON SCHEMA dashboard "
		    "TO %1$I; GRANT SELECT ON ALL TABLES IN SCHEMA dashboard TO %1$I', $1::text)", 1,
		    NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			store_set_error(s, res, "granting the dashboard views", err, errlen);
			PQclear(res);
			return false;
		}
		g = PQexec(s->conn, PQgetvalue(res, 0, 0));
		PQclear(res);
		if (PQresultStatus(g) != PGRES_COMMAND_OK) {
			char what[192];

			snprintf(what, sizeof(what), "granting the dashboard views to \"%s\" "
			    "([database] dashboard_roles)", role);
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
	const char *lock_params[1] = { MIGRATE_LOCK_KEY };
	struct migrate_status st;
	bool locked = false, in_tx = false, ok = false;

	*applied = 0;
	if (!store_ensure_connected(s, err, errlen))
		return false;
	/* One migrator at a time; the others wait here, then find nothing to do. */
	if (!exec_simple(s, "SELECT pg_advisory_lock($1::bigint)", 1, lock_params,
	    "taking the migration lock", err, errlen))
		goto out;
	locked = true;
	if (!exec_simple(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now())", 0, NULL,
	    "creating schema_migrations", err, errlen))
		goto out;
	if (!migrate_status(s, &st, err, errlen))
		goto out;

	for (size_t i = 0; i < migrations_embedded_count && st.pending > 0; i++) {
		const struct migration *m = &migrations_embedded[i];
		char sum[SHA256_HEX_LEN], version[16];
		const char *params[3] = { version, m->name, sum };
		PGresult *res;
		bool done;

		/* Is it applied? Asking again is cheaper than keeping the list. */
		snprintf(version, sizeof(version), "%d", m->version);
		res = PQexecParams(s->conn, "SELECT 1 FROM schema_migrations WHERE version = $1", 1,
		    NULL, params, NULL, NULL, 0);
		done = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			store_set_error(s, res, "reading schema_migrations", err, errlen);
			PQclear(res);
			(void)store_classify_failure(s);
			goto out;
		}
		PQclear(res);
		if (done)
			continue;

		checksum(m->sql, sum);
		if (!exec_simple(s, "BEGIN", 0, NULL, "BEGIN", err, errlen))
			goto out;
		in_tx = true;
		/* A migration file holds several statements: the simple protocol runs them all. */
		res = PQexec(s->conn, m->sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
			char what[128];

			snprintf(what, sizeof(what), "applying %s", m->name);
			store_set_error(s, res, what, err, errlen);
			PQclear(res);
			(void)store_classify_failure(s);
			goto out;
		}
		PQclear(res);
		if (!exec_simple(s, "INSERT INTO schema_migrations (version, name, checksum) "
		    "VALUES ($1::integer, $2, $3)", 3, params, "recording the migration", err, errlen) ||
		    !exec_simple(s, "COMMIT", 0, NULL, "COMMIT", err, errlen))
			goto out;
		in_tx = false;
		log_info("migration %s applied", m->name);
		(*applied)++;
	}
	ok = grant_dashboards(s, roles ? roles : "", err, errlen);
out:
	if (in_tx && s->conn) {
		char ignored[STORE_ERR_LEN];

		(void)exec_simple(s, "ROLLBACK", 0, NULL, "ROLLBACK", ignored, sizeof(ignored));
	}
	if (locked && s->conn) {
		char ignored[STORE_ERR_LEN];

		(void)exec_simple(s, "SELECT pg_advisory_unlock($1::bigint)", 1, lock_params,
		    "releasing the migration lock", ignored, sizeof(ignored));
	}
	return ok;
}
