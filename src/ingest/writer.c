#include "ingest/writer.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/metrics.h"
#include "store/migrate.h"
#include "util/clock.h"
#include "util/thread.h"
#include "util/xalloc.h"

#define WRITER_HEALTH_INTERVAL_S 1
/* While the database is down, try it at most this often; answer 503 meanwhile. */
#define WRITER_RETRY_US 250000

struct writer {
	struct writer_config cfg;
	char *conninfo;
	struct store *store;
	pthread_t thread;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct writer_job *head, *tail; /* queued */
	size_t queued;
	bool stopping;
	bool waiting;		 /* the thread sleeps on cond: only then is a wake-up needed */
	struct handoff *settled; /* jobs back to the loop */
	atomic_bool ready;
	atomic_int health; /* enum writer_health */
	bool reported_down;
	int64_t conn_failed_at; /* monotonic us of the last failed attempt, or 0 */
};

static void *writer_main(void *arg);
static void settle(struct writer *w, struct writer_job *batch);
static void record_batch(struct writer *w, struct writer_job *batch, size_t n);
static void check_health(struct writer *w);
static void on_settled(struct handoff_item *item);

struct writer *
writer_start(struct event_base *base, const struct writer_config *cfg)
{
	struct writer *w = xcalloc(1, sizeof(*w));

	w->cfg = *cfg;
	w->conninfo = xstrdup(cfg->conninfo);
	w->cfg.conninfo = w->conninfo;
	w->store = store_open(w->conninfo, cfg->connect_timeout, cfg->statement_timeout);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->settled = handoff_new(base, on_settled);
	atomic_init(&w->ready, false);
	atomic_init(&w->health, WRITER_HEALTH_UNREACHABLE);
	if (!thread_start(&w->thread, "hcw-writer", writer_main, w)) {
		log_error("cannot start the database writer thread");
		abort();
	}
	return w;
}

bool
writer_submit(struct writer *w, struct writer_job *job)
{
	bool ok = false;

	job->next = NULL;
	pthread_mutex_lock(&w->lock);
	if (!w->stopping && w->queued < (size_t)w->cfg.queue_max) {
		if (w->tail)
			w->tail->next = job;
		else
			w->head = job;
		w->tail = job;
		w->queued++;
		ok = true;
		if (w->waiting)
			pthread_cond_signal(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return ok;
}

bool
writer_ready(const struct writer *w)
{
	return atomic_load(&((struct writer *)w)->ready);
}

enum writer_health
writer_health(const struct writer *w)
{
	return (enum writer_health)atomic_load(&((struct writer *)w)->health);
}

/* Hands settled jobs to the event loop, the batch at once. */
static void
settle(struct writer *w, struct writer_job *batch)
{
	struct writer_job *j;

	if (batch == NULL)
		return;
	for (j = batch; j->next; j = j->next)
		j->settled.next = &j->next->settled;
	handoff_push(w->settled, &batch->settled, &j->settled);
}

static void
on_settled(struct handoff_item *item)
{
	struct writer_job *j = HANDOFF_OWNER(item, struct writer_job, settled);

	j->on_done(j);
}

static void
record_batch(struct writer *w, struct writer_job *batch, size_t n)
{
	struct store_callback **cbs = xmalloc(n * sizeof(*cbs));
	char err[STORE_ERR_LEN];
	struct writer_job *j;
	enum store_result r;
	int64_t took_us = 0;
	size_t i = 0;

	for (j = batch; j; j = j->next)
		cbs[i++] = j->cb;
	if (w->conn_failed_at && clock_mono_us() - w->conn_failed_at < WRITER_RETRY_US) {
		r = STORE_CONN_FAILED;
		snprintf(err, sizeof(err), "still unreachable");
	} else {
		int64_t t0 = clock_mono_us();

		r = store_callbacks_record(w->store, cbs, n, err, sizeof(err));
		w->conn_failed_at = r == STORE_CONN_FAILED ? clock_mono_us() : 0;
		took_us = clock_mono_us() - t0;
	}
	if (r == STORE_OK) {
		for (j = batch; j; j = j->next)
			j->status = WRITER_STORED;
		log_debug("recorded %zu callbacks in one commit (%.1f ms)", n, took_us / 1000.0);
		metrics_observe(MH_COMMIT_BATCH, (double)n);
		if (w->reported_down) {
			log_info("database reachable again");
			w->reported_down = false;
		}
	} else if (r == STORE_CONN_FAILED) {
		for (j = batch; j; j = j->next)
			j->status = WRITER_UNAVAILABLE;
		atomic_store(&w->ready, false);
		atomic_store(&w->health, WRITER_HEALTH_UNREACHABLE);
		if (!w->reported_down)
			log_error("database unavailable, answering 503 until it returns: %s", err);
		w->reported_down = true;
	} else if (n > 1) {
		/*
		 * The server refused the batch: a concurrent writer took one of its
		 * keys, or one callback holds data it will not take. Record them one by
		 * one so that a single bad callback fails alone.
		 */
		log_warn("batch of %zu callbacks refused (%s); recording them one by one", n, err);
		for (j = batch; j; j = j->next) {
			struct writer_job *next = j->next;

			j->next = NULL;
			record_batch(w, j, 1);
			j->next = next;
		}
	} else {
		batch->status = WRITER_FAILED;
		rlog_error(batch->cb->request_id, "database refused the callback: %s", err);
	}
	free(cbs);
}

static void
check_health(struct writer *w)
{
	char err[STORE_ERR_LEN];
	struct migrate_status st;
	bool ok = store_ping(w->store, err, sizeof(err)) == STORE_OK &&
	    migrate_status(w->store, &st, err, sizeof(err));

	enum writer_health h = ok ? WRITER_HEALTH_READY : WRITER_HEALTH_UNREACHABLE;

	if (ok && st.pending > 0) {
		snprintf(err, sizeof(err),
		    "%d migration(s) pending, first %04d; run hcwatch migrate", st.pending,
		    st.first_pending);
		ok = false;
		h = WRITER_HEALTH_MIGRATIONS;
	}
	if (!ok && !w->reported_down)
		log_error("database not ready: %s", err);
	if (ok && w->reported_down)
		log_info("database reachable again");
	w->reported_down = !ok;
	atomic_store(&w->health, h);
	atomic_store(&w->ready, ok);
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;

	check_health(w);

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct writer_job *batch, *j;
		size_t n = 0;

		if (w->head == NULL) {
			struct timespec until;
			int rc;

			if (w->stopping)
				break;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += WRITER_HEALTH_INTERVAL_S;
			w->waiting = true;
			rc = pthread_cond_timedwait(&w->cond, &w->lock, &until);
			w->waiting = false;
			if (rc != 0 && w->head == NULL && !w->stopping) {
				pthread_mutex_unlock(&w->lock);
				check_health(w);
				pthread_mutex_lock(&w->lock);
			}
			continue;
		}
		/* Take what is queued now, up to batch_max: this is the group. */
		batch = j = w->head;
		n = 1;
		while (j->next && n < (size_t)w->cfg.batch_max) {
			j = j->next;
			n++;
		}
		w->head = j->next;
		if (w->head == NULL)
			w->tail = NULL;
		j->next = NULL;
		w->queued -= n;
		pthread_mutex_unlock(&w->lock);

		record_batch(w, batch, n);
		settle(w, batch);

		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

void
writer_stop(struct writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	handoff_free(w->settled);
	store_close(w->store);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w->conninfo);
	free(w);
}
