/*
 * The gauges /metrics shows from the database, which every instance shares:
 * open alerts, outbox depth, dead letters. A thread of its own refreshes
 * them every few seconds, so that a scrape never waits for the database,
 * and only while something scrapes: without Prometheus it reads nothing.
 */
#include "monitor/gauges.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/thread.h"
#include "util/xalloc.h"

#define REFRESH_US (10 * 1000000LL)
/* Scrapes further apart than this stop the reads until the next one. */
#define IDLE_AFTER_US (5 * 60 * 1000000LL)

struct gauges {
	pthread_t thread;
	atomic_bool stop;
	char *conninfo;
	int connect_timeout;
	pthread_mutex_t mu;
	char *gauges;		    /* the last good read, or NULL */
	int64_t read_at_us;	    /* wall clock of that read */
	atomic_llong scraped_at_us; /* monotonic time of the last scrape, 0 before any */
};

static void *
refresh_main(void *arg)
{
	struct gauges *m = arg;
	struct store *s = store_open(m->conninfo, m->connect_timeout, 5000);
	bool failing = false;

	while (!atomic_load(&m->stop)) {
		char err[STORE_ERR_LEN], *text = NULL;
		int64_t scraped = atomic_load(&m->scraped_at_us);

		if (scraped == 0 || clock_mono_us() - scraped > IDLE_AFTER_US) {
			clock_sleep_us(REFRESH_US / 10, &m->stop);
			continue;
		}
		if (store_gauges(s, &text, err, sizeof(err)) == STORE_OK) {
			pthread_mutex_lock(&m->mu);
			free(m->gauges);
			m->gauges = text;
			m->read_at_us = clock_wall_us();
			pthread_mutex_unlock(&m->mu);
			failing = false;
		} else {
			free(text);
			if (!failing)
				log_warn("metrics: cannot read the gauges from the database: %s",
				    err);
			failing = true;
		}
		clock_sleep_us(REFRESH_US, &m->stop);
	}
	store_close(s);
	return NULL;
}

struct gauges *
gauges_start(const struct config *cfg)
{
	struct gauges *m = xcalloc(1, sizeof(*m));

	atomic_init(&m->stop, false);
	atomic_init(&m->scraped_at_us, 0);
	m->conninfo = xstrdup(cfg->database_url);
	m->connect_timeout = cfg->connect_timeout;
	pthread_mutex_init(&m->mu, NULL);
	if (!thread_start(&m->thread, "hcw-gauges", refresh_main, m)) {
		log_error("metrics: cannot start the gauge thread; /metrics has counters only");
		pthread_mutex_destroy(&m->mu);
		free(m->conninfo);
		free(m);
		return NULL;
	}
	return m;
}

void
gauges_stop(struct gauges *m)
{
	if (m == NULL)
		return;
	atomic_store(&m->stop, true);
	pthread_join(m->thread, NULL);
	free(m->gauges);
	free(m->conninfo);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

void
gauges_append(struct gauges *m, struct buf *out)
{
	if (m == NULL)
		return;
	atomic_store(&m->scraped_at_us, clock_mono_us());
	pthread_mutex_lock(&m->mu);
	if (m->gauges) {
		buf_append_str(out, m->gauges);
		buf_appendf(out,
		    "# HELP hcwatch_gauges_age_seconds Age of the database gauges above.\n"
		    "# TYPE hcwatch_gauges_age_seconds gauge\nhcwatch_gauges_age_seconds %.3f\n",
		    (double)(clock_wall_us() - m->read_at_us) / 1e6);
	}
	pthread_mutex_unlock(&m->mu);
}
