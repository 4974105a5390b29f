/*
 * The callback writer: one thread that owns a database connection and records
 * callbacks with group commit.
 *
 * DESIGN. The event loop verifies a callback, submits a job and goes on
 * serving. The writer takes every job queued at that moment (up to
 * batch_max) and records them with one statement, hence one commit and one
 * WAL flush. While that commit is in flight the next batch queues up, so
 * batches grow by themselves with load and no request waits for a timer.
 * Each job comes back to the event loop (through an event made active from
 * this thread) only after its commit, and only then is the browser answered.
 *
 * The writer also watches the database: reachable, and migrations current.
 * That is what /readyz reports.
 */
#ifndef HCWATCH_INGEST_WRITER_H
#define HCWATCH_INGEST_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"
#include "util/handoff.h"

struct event_base;
struct writer;

enum writer_status {
	WRITER_STORED,	    /* committed; see cb->outcome */
	WRITER_UNAVAILABLE, /* the database could not be reached: nothing was written */
	WRITER_FAILED,	    /* the database refused this callback: nothing was written */
};

struct writer_job {
	struct store_callback *cb; /* borrowed until on_done */
	enum writer_status status;
	/* Runs on the event loop thread once the job is settled. */
	void (*on_done)(struct writer_job *job);
	struct writer_job *next;     /* the writer's queue */
	struct handoff_item settled; /* the way back to the loop */
};

struct writer_config {
	const char *conninfo;
	int connect_timeout;
	int statement_timeout;
	int batch_max;
	int queue_max;
};

/** Starts the thread. base must have been created after evthread_use_pthreads(). */
struct writer *writer_start(struct event_base *base, const struct writer_config *cfg);
/** Queues a job; false when the queue is full or the writer is stopping. */
bool writer_submit(struct writer *w, struct writer_job *job) __attribute__((warn_unused_result));
/** True while the database is reachable and its migrations are current. */
bool writer_ready(const struct writer *w);

enum writer_health {
	WRITER_HEALTH_READY,
	WRITER_HEALTH_UNREACHABLE, /* also before the first check */
	WRITER_HEALTH_MIGRATIONS,  /* reachable, a migration pending */
};

/** Why the writer is or is not ready. */
enum writer_health writer_health(const struct writer *w);
/** Settles every queued job, stops the thread and runs the remaining on_done. */
void writer_stop(struct writer *w);

#endif
