/* The coupons poll job's statements: quotas, usable coupons, reclaims. */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum store_result
count_of(struct store *s, enum store_sql q, const char *const *params, int *n, char *err,
    size_t errlen)
{
	enum store_result r;
	PGresult *res = store_exec(s, q, params, err, errlen, &r);

	*n = 0;
	if (res == NULL)
		return r;
	if (PQntuples(res) == 1)
		*n = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_coupons_apply(struct store *s, enum store_coupons_page what, int64_t run_id,
    const char *answer, int *items, char *err, size_t errlen)
{
	static const enum store_sql q[] = { SQL_POLL_QUOTAS_APPLY, SQL_POLL_COUPONS_APPLY,
		SQL_POLL_COUPON_RECORDS_APPLY };
	char id[24];
	const char *params[] = { answer, id };

	snprintf(id, sizeof(id), "%lld", (long long)run_id);
	return count_of(s, q[what], params, items, err, errlen);
}

enum store_result
store_coupons_unlisted(struct store *s, int64_t run_id, int *n, char *err, size_t errlen)
{
	char id[24];
	const char *params[] = { id };

	snprintf(id, sizeof(id), "%lld", (long long)run_id);
	return count_of(s, SQL_POLL_COUPONS_UNLISTED, params, n, err, errlen);
}

enum store_result
store_coupon_records_since(struct store *s, char *since, size_t len, char *err, size_t errlen)
{
	enum store_result r;
	PGresult *res = store_exec(s, SQL_POLL_COUPON_RECORDS_SINCE, NULL, err, errlen, &r);

	if (res == NULL)
		return r;
	snprintf(since, len, "%s", PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	return STORE_OK;
}
