/*
 * The retention thread of `serve`: once at start and every hour after,
 * deletes the callback_events older than [bind] retention_days (accepted
 * and duplicate) and rejected_retention_days (rejected), then what
 * [retention] keeps for a time (balance history, rolled up by day first;
 * consumption days; events; resolved alerts; runs), in batches of
 * [retention] batch rows. It owns its database connection. Several
 * instances may run it at once: a row is deleted once whoever gets there
 * first.
 */
#ifndef HCWATCH_INGEST_RETENTION_H
#define HCWATCH_INGEST_RETENTION_H

struct config;
struct retention;

/** Starts the thread; NULL (logged) if it cannot. */
struct retention *retention_start(const struct config *cfg);
/** The periods of a reloaded configuration; the next pass uses them. */
void retention_configure(struct retention *r, const struct config *cfg);
void retention_stop(struct retention *r);

#endif
