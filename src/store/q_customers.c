/* `hcwatch customers`: what it lists and shows, and the overrides it sets. */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum store_result
store_customers_list(struct store *s, int limit, char **json, char *err, size_t errlen)
{
	char n[16];
	const char *params[] = { n };

	snprintf(n, sizeof(n), "%d", limit);
	return store_exec_text(s, SQL_CUSTOMERS_LIST, params, json, err, errlen);
}

enum store_result
store_manager_counts(struct store *s, const char *logins, char **json, char *err, size_t errlen)
{
	const char *params[] = { logins };

	return store_exec_text(s, SQL_CUSTOMERS_COUNTS, params, json, err, errlen);
}

enum store_result
store_customer_show(struct store *s, const char *ref, char **json, char *err, size_t errlen)
{
	const char *params[] = { ref };
	enum store_result r;
	PGresult *res = store_exec(s, SQL_CUSTOMERS_SHOW, params, err, errlen, &r);

	*json = NULL;
	if (res == NULL)
		return r;
	if (PQntuples(res) == 1)
		*json = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_customer_set(struct store *s, const struct store_customer_set *x, bool *done, char *err,
    size_t errlen)
{
	const char *params[] = { x->customer_id, x->set_manager ? "t" : "f", x->manager,
		x->set_threshold ? "t" : "f", x->threshold, x->set_stages ? "t" : "f", x->stages,
		x->set_runway ? "t" : "f", x->runway_days, x->set_jump_factor ? "t" : "f",
		x->jump_factor, x->set_jump_min ? "t" : "f", x->jump_min };
	enum store_result r;
	PGresult *res = store_exec(s, SQL_CUSTOMERS_SET, params, err, errlen, &r);

	*done = false;
	if (res == NULL)
		return r;
	*done = PQntuples(res) == 1;
	PQclear(res);
	return STORE_OK;
}
