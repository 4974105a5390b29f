/*
 * Inside the poller: a run of a job (struct job_run), and the crew that works
 * on it (crew.c), which poller.c's jobs hand their items to.
 */
#ifndef HCWATCH_POLLER_CREW_H
#define HCWATCH_POLLER_CREW_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "hwc/hwc_client.h"
#include "poller/poller.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"

struct worker;
typedef void (*item_fn)(struct worker *w, size_t i);

/* One run of one job. */
struct job_run {
	const struct config *cfg;
	struct poll_crew *crew;
	enum poll_job job;
	int64_t run_id;
	const atomic_bool *stop;
	char now_utc[CLOCK_UTC_S_LEN], horizon_utc[CLOCK_UTC_S_LEN];
	/* The consumption job's listing of one billing cycle: the cycle, and the IDs (under mu). */
	const char *cycle;
	json_t *found;

	/* The work that crew_fan_out() hands out. */
	atomic_size_t next;
	size_t n;
	item_fn fn;
	char **ids;
	size_t nids;

	atomic_long items, events, errors, calls, retries, throttled;
	atomic_bool fatal;	 /* stop handing out work: credentials, or the database */
	atomic_bool auth_failed; /* Huawei refused the credentials (alerts read it) */
	pthread_mutex_t mu;
	char detail[POLL_DETAIL_LEN];
};

/* A libcurl handle and a database connection, kept from run to run. */
struct worker {
	struct poll_crew *crew;
	struct job_run *run; /* the run being worked on */
	struct hwc_session *hs;
	struct store *st;
	struct buf raw;
	int64_t checked_run;		/* the run whose start checked st */
	long calls, retries, throttled; /* hs's counters already counted in a run */
	unsigned long batch;		/* the last batch taken part in */
	pthread_t th;
};

/* Keeps the first error for the run's detail; counts every one. fatal: hand out no more work. */
void run_error(struct job_run *r, bool fatal, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The run failed for good, or was asked to stop. */
bool run_stopping(struct job_run *r);

/*
 * Readies run r on crew c (its configuration and stop flag) and returns the
 * worker that runs the job itself, on the caller's thread, its connection
 * checked as it may have died while idle.
 */
struct worker *crew_begin(struct poll_crew *c, struct job_run *r);
/* Runs fn for items 0..n-1 of run r on the crew's call threads, and waits for them. */
void crew_fan_out(struct job_run *r, size_t n, item_fn fn);
/* Adds to r what every worker's libcurl session counted since the last settle. */
void crew_settle(struct poll_crew *c, struct job_run *r);

#endif
