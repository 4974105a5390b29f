/*
 * Process-wide counters and histograms for /metrics, in the Prometheus text
 * format. Cheap enough for every request: a series is found by comparing a
 * few short label strings, then counted with an atomic add.
 */
#ifndef HCWATCH_CORE_METRICS_H
#define HCWATCH_CORE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

enum metrics_counter {
	MC_CALLBACKS,  /* result, reason */
	MC_POLL_CALLS, /* api, outcome */
	MC_QUOTA_WAIT, /* api; counted in microseconds, shown in seconds */
	MC_DELIVERIES, /* channel, outcome */
	MC_HTTP_CUT,   /* reason */
	MC_COUNT
};

enum metrics_histogram {
	MH_CALLBACK_SECONDS, /* from request read to answer */
	MH_COMMIT_BATCH,     /* callbacks per commit */
	MH_COUNT
};

/** Adds v to the series of counter c with these two label values. */
void metrics_count(enum metrics_counter c, const char *label1, const char *label2, uint64_t v);
/** Records one observation. */
void metrics_observe(enum metrics_histogram h, double v);
/** Appends every counter and histogram to out. */
void metrics_render(struct buf *out);
/** Forgets everything (tests). */
void metrics_reset(void);

#endif
