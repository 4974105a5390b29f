/* Shared between the files of src/store/ only. */
#ifndef HCWATCH_STORE_STORE_INT_H
#define HCWATCH_STORE_STORE_INT_H

#include <stdint.h>

#include <libpq-fe.h>

#include "store/store.h"
#include "store_sql.h"

struct store {
	char *conninfo;
	int connect_timeout_s;
	int statement_timeout_ms;
	PGconn *conn;
	/* Which statements of the registry this connection has prepared: on first use. */
	uint64_t prepared[(SQL_COUNT + 63) / 64];
	bool async_commit;
};

/** Copies the server's message into err, without its trailing newline. */
void store_set_error(struct store *s, const PGresult *res, const char *what, char *err,
    size_t errlen);
/**
 * Executes statement id of the registry (src/store/sql/), connecting first
 * if need be and preparing it on this connection's first use of it. NULL on
 * failure, with err and *r set.
 */
PGresult *store_exec(struct store *s, enum store_sql id, const char *const *params, char *err,
    size_t errlen, enum store_result *r);
/** Executes id and copies the first column of its first row ("[]" if none) into *text. */
enum store_result store_exec_text(struct store *s, enum store_sql id, const char *const *params,
    char **text, char *err, size_t errlen);
/** Executes id for its effect alone (BEGIN, an UPDATE without RETURNING). */
enum store_result store_exec_command(struct store *s, enum store_sql id, const char *const *params,
    char *err, size_t errlen);
/**
 * Executes q and returns its rows as text, a row's columns joined by single
 * spaces (the caller frees with store_free_ids).
 */
enum store_result store_fetch_rows(struct store *s, enum store_sql q, const char *const *params,
    char ***rows, size_t *n, char *err, size_t errlen);
/** Rolls back, if there is still a connection to do it on. */
void store_rollback(struct store *s);
/** After a failed call: was it the connection? Drops a broken one. */
enum store_result store_classify_failure(struct store *s);

#endif
