/*
 * The poller: five sync jobs that keep PostgreSQL in step with Huawei's
 * partner APIs (customers, their balances, their yearly/monthly resources,
 * the partner's own balance), and the schedule that runs them.
 *
 * Threads: in `serve`, one scheduler thread holds the poller lock (a
 * PostgreSQL advisory lock, so one poller across all instances) and tells
 * each job's thread when the job is due. A job's thread fans its calls out
 * over [poller] concurrency call threads; it and they each keep a libcurl
 * handle and a database connection from run to run (struct poll_crew).
 * Answers are applied page by page, so memory does not grow with the
 * number of customers.
 */
#ifndef HCWATCH_POLLER_POLLER_H
#define HCWATCH_POLLER_POLLER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "hwc/hwc_client.h"
#include "store/store.h"

enum poll_job {
	POLL_CUSTOMERS,
	POLL_BALANCES,
	POLL_RESOURCES,
	POLL_PARTNER,
	POLL_COUPONS,
	POLL_CONSUMPTION,
	POLL_RENEWALS,
	POLL_JOB_COUNT
};

#define POLL_DETAIL_LEN 640

struct poll_summary {
	const char *status; /* "ok", "partial", "failed" or "stopped" */
	struct store_run_counts counts;
	int events;
	double seconds;
	char detail[POLL_DETAIL_LEN]; /* the first error, or "" */
};

const char *poll_job_name(enum poll_job job);
/** The job called name, or -1. */
int poll_job_from_name(const char *name);
/** Whether the configuration runs the job ([poller] coupons turns that one off). */
bool poll_job_enabled(const struct config *cfg, enum poll_job job);

struct poll_crew;

/**
 * The threads and connections that run jobs, one job at a time; they stay
 * from run to run. stop ends a run early (status "stopped"); it must outlive
 * the crew.
 */
struct poll_crew *poll_crew_new(const struct config *cfg, struct hwc_client *hw,
    const atomic_bool *stop);
void poll_crew_free(struct poll_crew *c);

/**
 * Runs one job to the end on crew c, recorded in poll_runs. The caller
 * holds the poller lock. interval: seconds until the schedule runs the job
 * again after this run, 0 when none does (the poller_behind alert reads it).
 */
void poll_run_job(struct poll_crew *c, const char *instance, enum poll_job job, int interval,
    struct poll_summary *out);

struct poller;

/** Starts the scheduler thread; it polls only while it holds the poller lock. */
struct poller *poller_start(const struct config *cfg, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/** Stops the jobs at their next wait, joins every thread, releases the lock. */
void poller_stop(struct poller *p);

#endif
