/* The consumption poll job's statements: which days to read, and each page and customer. */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum store_result
store_consumption_months(struct store *s, int backfill, const char *tz, char ***months, size_t *n,
    char *err, size_t errlen)
{
	char days[16];
	const char *params[] = { days, tz };

	snprintf(days, sizeof(days), "%d", backfill);
	return store_fetch_rows(s, SQL_POLL_CONSUMPTION_MONTHS, params, months, n, err, errlen);
}

enum store_result
store_consumption_plan(struct store *s, int64_t run_id, const char *ids, int backfill,
    const char *tz, char ***plan, size_t *n, char *err, size_t errlen)
{
	char days[16], run[24];
	const char *params[] = { ids, days, tz, run };

	snprintf(days, sizeof(days), "%d", backfill);
	snprintf(run, sizeof(run), "%lld", (long long)run_id);
	return store_fetch_rows(s, SQL_POLL_CONSUMPTION_PLAN, params, plan, n, err, errlen);
}

enum store_result
store_consumption_page(struct store *s, int64_t run_id, const char *customer_id, const char *answer,
    const char *tz, int *records, char *err, size_t errlen)
{
	char run[24];
	const char *params[] = { answer, customer_id, run, tz };
	enum store_result r;
	PGresult *res;

	snprintf(run, sizeof(run), "%lld", (long long)run_id);
	res = store_exec(s, SQL_POLL_CONSUMPTION_PAGE, params, err, errlen, &r);
	*records = 0;
	if (res == NULL)
		return r;
	if (PQntuples(res) == 1)
		*records = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_consumption_finish(struct store *s, int64_t run_id, const char *customer_id, const char *from,
    const char *to, bool complete, char *err, size_t errlen)
{
	char run[24];
	const char *params[] = { run, customer_id, from, to };

	snprintf(run, sizeof(run), "%lld", (long long)run_id);
	if (!complete)
		return store_exec_command(s, SQL_POLL_CONSUMPTION_DISCARD, params, err, errlen);
	return store_exec_command(s, SQL_POLL_CONSUMPTION_FINISH, params, err, errlen);
}
