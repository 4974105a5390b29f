/*
 * The notifier: workers that drain the outbox (store/q_outbox.c). Each
 * worker has its own database connection and its own HTTP handles, claims
 * one due delivery at a time, renders it at its first attempt, paces every
 * part against the destination's shared pace, and records the outcome:
 * delivered, retry later with backoff and jitter, or dead (then the
 * fallback destination, if any, gets it).
 */
#ifndef HCWATCH_NOTIFY_NOTIFIER_H
#define HCWATCH_NOTIFY_NOTIFIER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/config.h"

struct notifier;
struct templates;

/** Starts [notifier] workers threads, which word messages with t (they keep a reference). */
struct notifier *notifier_start(const struct config *cfg, struct templates *t);
/** Lets each worker finish the part it is sending, hands back what it holds, joins. */
void notifier_stop(struct notifier *n);

struct notifier_stats {
	long delivered, dead, parts;
	long retried; /* attempts that failed and were scheduled again */
	long waiting; /* deliveries of this run still waiting for a retry at its end */
};

/** In the foreground, worded with t: delivers until nothing is due, then returns (deliver --once).
 */
bool notifier_run_once(const struct config *cfg, const struct templates *t,
    struct notifier_stats *st, char *err, size_t errlen) __attribute__((warn_unused_result));

/**
 * Renders items for dest as the notifier would (send-test, alerts render);
 * caller decrefs. With [web] public_url set and delivery > 0, the message
 * links to its pages, for link_days from now.
 */
json_t *notifier_render(const struct config *cfg, const struct templates *t,
    const struct config_dest *dest, const char *key, long delivery, const json_t *items);

/**
 * Sends parts (from notifier_render) to dest now, unpaced and unrecorded:
 * send-test. False with err on the first part that fails.
 */
bool notifier_send_now(const struct config *cfg, const struct config_dest *dest, const char *key,
    const json_t *parts, char *err, size_t errlen) __attribute__((warn_unused_result));

#endif
