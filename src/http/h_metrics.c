/*
 * GET /metrics: this process's counters and histograms (core/metrics.c),
 * and gauges read from the database, which every instance shares: open
 * alerts, outbox depth, dead letters. A thread refreshes the gauges every
 * few seconds so that a scrape never waits for the database, and only
 * while something scrapes: without Prometheus it reads nothing.
 */
#include "http/http_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "ingest/writer.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/xalloc.h"

#define REFRESH_US (10 * 1000000LL)
/* Scrapes further apart than this stop the reads until the next one. */
#define IDLE_AFTER_US (5 * 60 * 1000000LL)

struct metrics_db {
	pthread_t thread;
	atomic_bool stop;
	char *conninfo;
	int connect_timeout;
	pthread_mutex_t mu;
	char *gauges;		/* the last good read, or NULL */
	int64_t read_at_us;	/* wall clock of that read */
	atomic_llong scraped_at_us;	/* monotonic time of the last scrape, 0 before any */
};

static void *
refresh_main(void *arg)
{
	struct metrics_db *m = arg;
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
				log_warn("metrics: cannot read the gauges from the database: %s", err);
			failing = true;
		}
		clock_sleep_us(REFRESH_US, &m->stop);
	}
	store_close(s);
	return NULL;
}

struct metrics_db *
metrics_db_start(const struct config *cfg)
{
	struct metrics_db *m = xcalloc(1, sizeof(*m));

	atomic_init(&m->stop, false);
	atomic_init(&m->scraped_at_us, 0);
	m->conninfo = xstrdup(cfg->database_url);
	m->connect_timeout = cfg->connect_timeout;
	pthread_mutex_init(&m->mu, NULL);
	if (pthread_create(&m->thread, NULL, refresh_main, m) != 0) {
		log_error("metrics: cannot start the gauge thread; /metrics has counters only");
		pthread_mutex_destroy(&m->mu);
		free(m->conninfo);
		free(m);
		return NULL;
	}
	return m;
}

void
metrics_db_stop(struct metrics_db *m)
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
h_metrics(struct http_server *srv, struct evhttp_request *req)
{
	struct metrics_db *m = srv->metrics_db;
	struct evbuffer *out = evbuffer_new();
	struct buf b;

	buf_init(&b);
	metrics_render(&b);
	buf_appendf(&b, "# HELP hcwatch_inflight_callbacks Binding notifications waiting for their "
	    "commit.\n# TYPE hcwatch_inflight_callbacks gauge\nhcwatch_inflight_callbacks %zu\n",
	    srv->inflight);
	buf_appendf(&b, "# HELP hcwatch_database_ready 1 when the database is reachable and "
	    "migrated.\n# TYPE hcwatch_database_ready gauge\nhcwatch_database_ready %d\n",
	    writer_ready(srv->writer) ? 1 : 0);
	if (m) {
		atomic_store(&m->scraped_at_us, clock_mono_us());
		pthread_mutex_lock(&m->mu);
		if (m->gauges) {
			buf_append_str(&b, m->gauges);
			buf_appendf(&b, "# HELP hcwatch_gauges_age_seconds Age of the database gauges "
			    "above.\n# TYPE hcwatch_gauges_age_seconds gauge\n"
			    "hcwatch_gauges_age_seconds %.3f\n",
			    (double)(clock_wall_us() - m->read_at_us) / 1e6);
		}
		pthread_mutex_unlock(&m->mu);
	}
	evbuffer_add(out, b.data ? b.data : "", b.len);
	buf_cleanup(&b);
	http_common_headers(srv, req, NULL);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8");
	http_send(req, 200, "OK", out);
	evbuffer_free(out);
}
