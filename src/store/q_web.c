/*
 * The pages behind the messages: what each shows, as one JSON document read
 * in one statement, and the actions taken there, each with its audit row in
 * the same statement.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum store_result
store_web_page(struct store *s, enum store_web_page page, const char *id, const char *dest,
    const char *tz, const char *now, char **json, char *err, size_t errlen)
{
	const char *digest[] = { id, dest, tz }, *other[] = { id, tz, now };
	enum store_sql q = page == STORE_WEB_DIGEST ? SQL_WEB_DIGEST :
	    page == STORE_WEB_ALERT		    ? SQL_WEB_ALERT :
						      SQL_WEB_CUSTOMER;
	enum store_result r;
	PGresult *res;

	*json = NULL;
	/* An id that is not a number is no alert and no delivery: not an error of the database.
	 */
	if (page != STORE_WEB_CUSTOMER &&
	    (*id == '\0' || strspn(id, "0123456789") != strlen(id) || strlen(id) > 18))
		return STORE_OK;
	res = store_exec(s, q, page == STORE_WEB_DIGEST ? digest : other, err, errlen, &r);
	if (res == NULL)
		return r;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		*json = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_web_act(struct store *s, enum store_web_action action, const struct store_web_act *a,
    bool *done, char *err, size_t errlen)
{
	const char *ack[] = { a->alert_id, a->name, a->note, a->dest, a->addr, a->user_agent,
		a->now };
	const char *silence[] = { a->alert_id, a->name, a->note, a->dest, a->addr, a->user_agent,
		a->span, a->stages, a->now };
	enum store_sql q = action == STORE_WEB_ACK ? SQL_WEB_ACK :
	    action == STORE_WEB_SILENCE		   ? SQL_WEB_SILENCE :
						     SQL_WEB_UNSILENCE;
	enum store_result r;
	PGresult *res;

	*done = false;
	if (*a->alert_id == '\0' || strspn(a->alert_id, "0123456789") != strlen(a->alert_id) ||
	    strlen(a->alert_id) > 18)
		return STORE_OK;
	res = store_exec(s, q, action == STORE_WEB_SILENCE ? silence : ack, err, errlen, &r);
	if (res == NULL)
		return r;
	*done = PQntuples(res) > 0;
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_web_alert_id(struct store *s, const char *ref, long *id, char *err, size_t errlen)
{
	const char *params[] = { ref };
	enum store_result r;
	PGresult *res = store_exec(s, SQL_WEB_ALERT_ID, params, err, errlen, &r);

	*id = 0;
	if (res == NULL)
		return r;
	if (PQntuples(res) == 1)
		*id = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return STORE_OK;
}
