/*
 * Retention: rows older than the operator keeps them, deleted in bounded
 * batches so that no single statement holds its locks for long.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>

enum store_result
store_retention_expire(struct store *s, enum store_sql q, int days, int batch, long *deleted,
    char *err, size_t errlen)
{
	char d[16], b[16];
	const char *params[] = { d, b };
	enum store_result r;
	PGresult *res;

	*deleted = 0;
	snprintf(d, sizeof(d), "%d", days);
	snprintf(b, sizeof(b), "%d", batch);
	res = store_exec(s, q, params, err, errlen, &r);
	if (res == NULL)
		return r;
	/* A statement with a roll-up counts its deletions in its row; a plain DELETE, in its tag.
	 */
	*deleted = PQntuples(res) == 1 ? strtol(PQgetvalue(res, 0, 0), NULL, 10) :
					 strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_callbacks_expire(struct store *s, bool rejected, int days, int batch, long *deleted,
    char *err, size_t errlen)
{
	char d[16], b[16];
	const char *params[] = { rejected ? "true" : "false", d, b };
	enum store_result r;
	PGresult *res;

	*deleted = 0;
	snprintf(d, sizeof(d), "%d", days);
	snprintf(b, sizeof(b), "%d", batch);
	res = store_exec(s, SQL_RETENTION_CALLBACKS, params, err, errlen, &r);
	if (res == NULL)
		return r;
	*deleted = strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return STORE_OK;
}
