/* The renewals poll job's statements: which resources to price, and their prices. */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum store_result
store_renewals_todo(struct store *s, int days, int max_age_hours, char ***rows, size_t *n,
    char *err, size_t errlen)
{
	char d[16], h[16];
	const char *params[] = { d, h };

	snprintf(d, sizeof(d), "%d", days);
	snprintf(h, sizeof(h), "%d", max_age_hours);
	return store_fetch_rows(s, SQL_POLL_RENEWALS_TODO, params, rows, n, err, errlen);
}

enum store_result
store_renewal_prices_apply(struct store *s, int64_t run_id, const char *customer_id,
    const char *answer, const char *asked, const char *error_code, int *priced, char *err,
    size_t errlen)
{
	char run[24];
	const char *params[] = { answer, customer_id, run, asked, error_code };
	enum store_result r;
	PGresult *res;

	snprintf(run, sizeof(run), "%lld", (long long)run_id);
	res = store_exec(s, SQL_POLL_RENEWAL_PRICES_APPLY, params, err, errlen, &r);
	*priced = 0;
	if (res == NULL)
		return r;
	if (PQntuples(res) == 1)
		*priced = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return STORE_OK;
}
