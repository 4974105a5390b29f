/*
 * The store: every SQL statement and every libpq call of hcwatch lives under
 * src/store/ (house rule H20). Callers see domain functions only.
 *
 * A struct store is one connection, used by one thread at a time. Statements
 * are prepared once per connection, on first use, so that a store can be
 * opened before the schema exists (migrate) and survives reconnects.
 */
#ifndef HCWATCH_STORE_STORE_H
#define HCWATCH_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define STORE_ERR_LEN 512

struct store;

enum store_result {
	STORE_OK,
	STORE_CONN_FAILED,	/* no connection, or it broke: retry later, nothing is known written */
	STORE_QUERY_FAILED,	/* the server refused the statement: retrying the same data won't help */
};

enum store_outcome {
	STORE_OUTCOME_NONE,
	STORE_OUTCOME_ACCEPTED,
	STORE_OUTCOME_DUPLICATE,
	STORE_OUTCOME_REJECTED,
};

/* One inbound callback to record. Strings are borrowed; NULL means absent. */
struct store_callback {
	int64_t received_us;	/* wall clock, microseconds since the epoch */
	const char *channel;
	const char *request_id;
	const char *remote_addr;
	const char *content_type;
	bool verified;
	const char *reason;	/* set when !verified */
	const char *detail;
	char sig_rule;		/* 'A'..'C', or 0 */
	const char *idem_key;
	const char *customer_id;
	const char *account_name;
	const char *xaccount_id;
	const char *xuser_id;
	const char *bind_action;
	json_t *payload;	/* borrowed */
	const unsigned char *body;
	size_t body_len;

	enum store_outcome outcome;	/* set by store_callbacks_record */
};

/**
 * Connects. Never fails for a down server: the store is returned unconnected
 * and store_ensure_connected() tries again.
 */
struct store *store_open(const char *conninfo, int connect_timeout_s, int statement_timeout_ms);
void store_close(struct store *s);
/** Connects if not connected; true when the connection is usable. */
bool store_ensure_connected(struct store *s, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/** A round trip to the server. */
enum store_result store_ping(struct store *s, char *err, size_t errlen);
/**
 * Records n callbacks in one statement, and so one commit (group commit).
 * For verified ones, decides accepted or duplicate by idem_key and upserts
 * the customer. Each callback's outcome is set only when STORE_OK returns.
 */
enum store_result store_callbacks_record(struct store *s, struct store_callback *const *cbs,
    size_t n, char *err, size_t errlen);
/** Server and libpq versions, for the "process up" line. */
int store_libpq_version(void);

#endif
