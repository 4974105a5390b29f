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
	uint64_t poll_prepared;	/* q_poll.c: one bit per statement */
	uint64_t alert_prepared;	/* q_alerts.c */
	uint64_t outbox_prepared;	/* q_outbox.c */
	uint64_t retention_prepared;	/* q_retention.c */
	bool async_commit;
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
/**
 * Executes stmt, preparing it first if bit is not yet set in *prepared.
 * NULL on failure, with err and *r set.
 */
PGresult *store_exec(struct store *s, const struct store_stmt *stmt, uint64_t *prepared, int bit,
    const char *const *params, char *err, size_t errlen, enum store_result *r);
/** Executes stmt and copies the first column of its first row ("[]" if none) into *text. */
enum store_result store_exec_text(struct store *s, const struct store_stmt *stmt,
    uint64_t *prepared, int bit, const char *const *params, char **text, char *err,
    size_t errlen);
/** A statement without parameters or rows (BEGIN, COMMIT). */
enum store_result store_exec_simple(struct store *s, const char *sql, char *err, size_t errlen);
/** Rolls back, if there is still a connection to do it on. */
void store_rollback(struct store *s);
/** After a failed call: was it the connection? Drops a broken one. */
enum store_result store_classify_failure(struct store *s);

#endif
