/*
 * The alert engine: turns the configuration into the settings and routing
 * the rules' statements take (src/rules), runs an evaluation, and in
 * `serve` an evaluator thread that runs one every [alerts] evaluate_interval
 * and soon after any poll run or new event, whichever instance caused it.
 */
#ifndef HCWATCH_ALERTS_ENGINE_H
#define HCWATCH_ALERTS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "store/store.h"

/** The [alerts] settings as the rule statements read them (caller frees). */
char *alerts_settings_json(const struct config *cfg);
/** Destinations, managers and routes as the routing statement reads them (caller frees). */
char *alerts_routing_json(const struct config *cfg);

/** One evaluation at now_us, logged and recorded in alert_runs. */
bool alerts_evaluate(const struct config *cfg, struct store *s, int64_t now_us, bool full,
    struct store_eval_counts *out, char *err, size_t errlen) __attribute__((warn_unused_result));

struct evaluator;

struct evaluator *evaluator_start(const struct config *cfg);
void evaluator_stop(struct evaluator *e);

#endif
