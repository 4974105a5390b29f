/* Shared between the files of src/store/ only. */
#ifndef HCWATCH_STORE_STORE_INT_H
#define HCWATCH_STORE_STORE_INT_H

#include <stdint.h>

#include <libpq-fe.h>

#include "store/store.h"

struct store {
	char *conninfo;
	int connect_timeout_s;
	int statement_timeout_ms;
	PGconn *conn;
	bool prepared;
	uint32_t poll_prepared;	/* q_poll.c: one bit per statement */
};

/** Copies the server's message into err, without its trailing newline. */
void store_set_error(struct store *s, const PGresult *res, const char *what, char *err,
    size_t errlen);
/* A named statement, prepared once per connection on first use. */
struct store_stmt {
	const char *name;
	const char *sql;
	int nparams;
};

/** PQprepare with the server's message in err on failure. */
bool store_prepare(struct store *s, const char *name, const char *sql, int nparams, char *err,
    size_t errlen) __attribute__((warn_unused_result));
/** After a failed call: was it the connection? Drops a broken one. */
enum store_result store_classify_failure(struct store *s);

#endif
