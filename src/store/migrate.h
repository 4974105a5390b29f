/*
 * Schema migrations: migrations/NNNN_name.sql, compiled into the binary.
 *
 * Applied in order under a PostgreSQL advisory lock, each file in its own
 * transaction, recorded in schema_migrations with its SHA-256 so that an
 * edited file is noticed rather than silently skipped.
 */
#ifndef HCWATCH_STORE_MIGRATE_H
#define HCWATCH_STORE_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

struct store;

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations_embedded[];
extern const size_t migrations_embedded_count;

struct migrate_status {
	int pending;	   /* embedded migrations not applied yet */
	int unknown;	   /* applied versions this binary does not know (a newer hcwatch) */
	int first_pending; /* version, or 0 */
};

/** Compares schema_migrations with the embedded list; a changed checksum is an error. */
bool migrate_status(struct store *s, struct migrate_status *st, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/**
 * Applies every pending migration; *applied counts them. Then grants each
 * role of roles (comma-separated, may be empty) read access to the
 * dashboard schema, again each time: a migration that recreates a view
 * drops the grants on it.
 */
bool migrate_apply(struct store *s, const char *roles, int *applied, char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
