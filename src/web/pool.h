/*
 * The pages' readers: a few threads, each with its own database connection,
 * that build the pages and take the actions, so that the event loop, which
 * also answers Huawei's callbacks, never waits for PostgreSQL on a page's
 * account. A job comes back to the loop through an event made active from
 * the reader's thread, as the callback writer's do.
 */
#ifndef HCWATCH_WEB_POOL_H
#define HCWATCH_WEB_POOL_H

#include <stdbool.h>

#include "util/handoff.h"

struct event_base;
struct store;
struct web_pool;

struct web_job {
	void (*run)(struct web_job *job, struct store *s); /* on a reader */
	void (*on_done)(struct web_job *job);		   /* then on the loop */
	struct web_job *next;				   /* the pool's queue */
	struct handoff_item built;			   /* the way back to the loop */
};

/** Starts readers threads; base must have been created after evthread_use_pthreads(). */
struct web_pool *web_pool_start(struct event_base *base, const char *conninfo, int connect_timeout,
    int statement_timeout, int readers, int queue_max);
/** Queues job; false when the queue is full or the pool is stopping. */
bool web_pool_submit(struct web_pool *p, struct web_job *job) __attribute__((warn_unused_result));
/** Runs what is queued, joins the readers, then runs every on_done left. */
void web_pool_stop(struct web_pool *p);

#endif
