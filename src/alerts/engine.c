#include "alerts/engine.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/instance.h"
#include "core/log.h"
#include "rules/rules.h"
#include "util/clock.h"
#include "util/words.h"
#include "util/thread.h"
#include "util/xalloc.h"

/* How often the evaluator looks for finished poll runs and new events. */
#define CHECK_US (2 * 1000000LL)
/* After a failed evaluation (database down), the next try. */
#define RETRY_US (10 * 1000000LL)

char *
alerts_settings_json(const struct config *cfg)
{
	return rules_settings_json(cfg);
}

char *
alerts_routing_json(const struct config *cfg)
{
	json_t *r = json_object(), *managers = json_object(), *dests = json_array();
	char *out;

	json_object_set_new(r, "default", words_json(cfg->rt_default));
	if (cfg->rt_operator[0])
		json_object_set_new(r, "operator", words_json(cfg->rt_operator));
	for (size_t i = 0; i < cfg->n_managers; i++)
		json_object_set_new(managers, cfg->managers[i].name,
		    words_json(cfg->managers[i].destinations));
	json_object_set_new(r, "managers", managers);
	for (size_t i = 0; i < cfg->n_dests; i++) {
		const struct config_dest *d = &cfg->dests[i];
		json_t *o = json_pack("{s:s, s:s, s:b, s:s}", "name", d->name, "channel",
		    config_channel_name(d->type), "digest", d->digest, "tz",
		    d->timezone[0] ? d->timezone : cfg->al_timezone);
		int a, b;

		if (d->quiet_hours[0] && config_quiet_hours(d->quiet_hours, &a, &b)) {
			char t[24];

			snprintf(t, sizeof(t), "%02d:%02d", a / 60, a % 60);
			json_object_set_new(o, "quiet_start", json_string(t));
			snprintf(t, sizeof(t), "%02d:%02d", b / 60, b % 60);
			json_object_set_new(o, "quiet_end", json_string(t));
		}
		json_array_append_new(dests, o);
	}
	json_object_set_new(r, "dests", dests);
	out = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	return out;
}

static double
seconds_since(int64_t t0)
{
	return (double)(clock_mono_us() - t0) / 1e6;
}

bool
alerts_evaluate(const struct config *cfg, struct store *s, int64_t now_us, bool full,
    struct store_eval_counts *out, char *err, size_t errlen)
{
	char now[CLOCK_RFC3339_LEN], instance[300];
	char *settings = alerts_settings_json(cfg), *routing = alerts_routing_json(cfg);
	struct store_eval e = { .now = now, .settings = settings, .full = full };
	struct rule_run x = { s, &e, err, errlen };
	int64_t t0 = clock_mono_us();
	enum store_result r;

	clock_format_rfc3339(now_us, now, sizeof(now));
	instance_name(instance, sizeof(instance));
	r = store_eval_begin(s, &e, err, errlen);
	if (r == STORE_OK && (r = rules_run(&x)) != STORE_OK)
		store_eval_abort(s);
	if (r == STORE_OK)
		r = store_eval_finish(s, &e, routing, instance, err, errlen);
	free(settings);
	free(routing);
	*out = e.counts;
	if (r != STORE_OK)
		return false;
	if (out->notifications || out->resolved || out->deliveries)
		log_info("alerts evaluated for %s in %.2f s: %ld fired, %ld resolved, %ld notices, "
			 "%ld deliveries (+%ld joined a waiting digest)%s",
		    now, seconds_since(t0), out->fired, out->resolved, out->notices,
		    out->deliveries, out->appended,
		    out->unrouted ? "; some notifications have no destination (see notifications."
				    "suppressed = 'no_route')" :
				    "");
	else
		log_debug("alerts evaluated for %s in %.2f s: nothing new (%ld rules not run: "
			  "nothing they read had moved)",
		    now, seconds_since(t0), out->gated);
	if (out->fallback)
		log_info("alerts: %ld customer(s) told about have no account manager in the "
			 "configuration and took the default route: %s%s (hcwatch customers list "
			 "says whose each customer is)",
		    out->fallback, out->fallback_names, out->fallback > 5 ? ", …" : "");
	return true;
}

struct evaluator {
	struct config *cfg;
	pthread_t thread;
	bool started;
	atomic_bool stop;
};

static void *
evaluator_main(void *arg)
{
	struct evaluator *e = arg;
	/* An evaluation over a million resources outlasts the callback path's statement limit. */
	int limit = e->cfg->statement_timeout == 0 ? 0 :
	    e->cfg->statement_timeout > 120000	   ? e->cfg->statement_timeout :
						     120000;
	struct store *s = store_open(e->cfg->database_url, e->cfg->connect_timeout, limit);
	int64_t next = 0;
	long seen_run = -1;
	bool failing = false, swept = !e->cfg->poll_enabled, waiting_told = false;

	while (!atomic_load(&e->stop)) {
		char err[STORE_ERR_LEN];
		long last_run = 0;
		bool events = false;
		int64_t now = clock_mono_us();

		if (!swept) {
			/* Day one told once: not from the first pages of a sweep, then again. */
			if (store_alerts_swept(s, e->cfg->poll_coupons, e->cfg->poll_consumption,
				&swept, err, sizeof(err)) != STORE_OK ||
			    !swept) {
				if (!waiting_told)
					log_info(
					    "alerts: the first evaluation waits until every poll "
					    "job has finished a run");
				waiting_told = true;
				clock_sleep_us(CHECK_US, &e->stop);
				continue;
			}
			next = now;
		}
		if (store_alerts_pending(s, &last_run, &events, err, sizeof(err)) == STORE_OK) {
			/* A poll run finished (here or on another instance), or events wait. */
			if ((seen_run >= 0 && last_run != seen_run) || events)
				next = now;
			seen_run = last_run;
		}
		if (now >= next) {
			struct store_eval_counts c;

			if (alerts_evaluate(e->cfg, s, instance_now_us(e->cfg), false, &c, err,
				sizeof(err))) {
				if (failing)
					log_info("alerts: evaluation works again");
				failing = false;
				next = now + (int64_t)e->cfg->al_evaluate_interval * 1000000LL;
			} else {
				if (!failing)
					log_error(
					    "alerts: evaluation failed, retrying every %lld s: %s",
					    RETRY_US / 1000000LL, err);
				failing = true;
				next = now + RETRY_US;
			}
		}
		clock_sleep_us(CHECK_US, &e->stop);
	}
	store_close(s);
	return NULL;
}

struct evaluator *
evaluator_start(const struct config *cfg)
{
	struct evaluator *e = xcalloc(1, sizeof(*e));

	e->cfg = config_copy(cfg);
	atomic_init(&e->stop, false);
	if (!thread_start(&e->thread, "hcw-evaluator", evaluator_main, e)) {
		log_error("alerts: cannot start the evaluator thread");
		config_free(e->cfg);
		free(e);
		return NULL;
	}
	e->started = true;
	return e;
}

void
evaluator_stop(struct evaluator *e)
{
	if (e == NULL)
		return;
	atomic_store(&e->stop, true);
	if (e->started)
		pthread_join(e->thread, NULL);
	config_free(e->cfg);
	free(e);
}
