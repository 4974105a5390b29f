/*
 * The gauges /metrics shows from the database, read by a thread of their
 * own while something scrapes.
 */
#ifndef HCWATCH_MONITOR_GAUGES_H
#define HCWATCH_MONITOR_GAUGES_H

#include "util/buf.h"

struct config;
struct gauges;

/** Starts the reading thread; NULL (logged) if it cannot: /metrics then has counters only. */
struct gauges *gauges_start(const struct config *cfg);
void gauges_stop(struct gauges *g);
/** Appends the last good read, and its age, in the Prometheus text format; g may be NULL. */
void gauges_append(struct gauges *g, struct buf *out);

#endif
