/*
 * The threads and connections of a job, kept across its runs so that a run
 * neither reconnects to PostgreSQL nor shakes hands with Huawei again: the
 * lead runs the job on the caller's thread, and up to [poller] concurrency
 * call threads, started when a run first needs them, take the items of each
 * batch that crew_fan_out() posts.
 */
#include "poller/crew.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/thread.h"
#include "util/xalloc.h"

struct poll_crew {
	const struct config *cfg;
	struct hwc_client *hw;
	const atomic_bool *stop;
	struct worker lead;
	struct worker *ws;
	size_t nw, started;

	pthread_mutex_t mu;
	pthread_cond_t go, idle;
	unsigned long batch; /* bumped for each batch posted */
	size_t busy;	     /* call threads still on the batch */
	bool quit;
	struct job_run *run; /* the batch's run, while one is out */
};

static void worker_init(struct worker *w, struct poll_crew *c);
static void worker_cleanup(struct worker *w);
static void worker_join_run(struct worker *w, struct job_run *r);
static void worker_settle(struct worker *w, struct job_run *r);
static void *worker_main(void *arg);

/* Keeps the first error for the run's detail; counts every one. */
void
run_error(struct job_run *r, bool fatal, const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&r->errors, 1);
	if (fatal)
		atomic_store(&r->fatal, true);
	pthread_mutex_lock(&r->mu);
	if (r->detail[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&r->mu);
}

bool
run_stopping(struct job_run *r)
{
	return atomic_load(&r->fatal) || (r->stop && atomic_load(r->stop));
}

static void
worker_init(struct worker *w, struct poll_crew *c)
{
	memset(w, 0, sizeof(*w));
	w->crew = c;
	w->hs = hwc_session_new(c->hw, c->stop);
	w->st =
	    store_open(c->cfg->database_url, c->cfg->connect_timeout, c->cfg->statement_timeout);
	w->checked_run = -1;
	buf_init(&w->raw);
}

static void
worker_cleanup(struct worker *w)
{
	hwc_session_free(w->hs);
	store_close(w->st);
	buf_cleanup(&w->raw);
}

/*
 * A connection that sat idle since the last run may have been closed by the
 * server or a firewall, which libpq learns only from a failed statement: a
 * ping at a run's start drops such a one, and the next statement reconnects.
 */
static void
worker_join_run(struct worker *w, struct job_run *r)
{
	char err[STORE_ERR_LEN];

	w->run = r;
	if (w->checked_run != r->run_id) {
		w->checked_run = r->run_id;
		(void)store_ping(w->st, err, sizeof(err));
	}
}

/* Adds what the session counted since the last time to run r. */
static void
worker_settle(struct worker *w, struct job_run *r)
{
	const struct hwc_stats *hs = hwc_session_stats(w->hs);
	long calls = atomic_load(&hs->calls), retries = atomic_load(&hs->retries),
	     throttled = atomic_load(&hs->throttled);

	atomic_fetch_add(&r->calls, calls - w->calls);
	atomic_fetch_add(&r->retries, retries - w->retries);
	atomic_fetch_add(&r->throttled, throttled - w->throttled);
	w->calls = calls;
	w->retries = retries;
	w->throttled = throttled;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct poll_crew *c = w->crew;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		struct job_run *r;

		while (!c->quit && c->batch == w->batch)
			pthread_cond_wait(&c->go, &c->mu);
		if (c->quit)
			break;
		w->batch = c->batch;
		r = c->run;
		pthread_mutex_unlock(&c->mu);
		worker_join_run(w, r);
		for (;;) {
			size_t i = atomic_fetch_add(&r->next, 1);

			if (i >= r->n || run_stopping(r))
				break;
			r->fn(w, i);
		}
		pthread_mutex_lock(&c->mu);
		if (--c->busy == 0)
			pthread_cond_signal(&c->idle);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

struct poll_crew *
poll_crew_new(const struct config *cfg, struct hwc_client *hw, const atomic_bool *stop)
{
	struct poll_crew *c = xcalloc(1, sizeof(*c));

	c->cfg = cfg;
	c->hw = hw;
	c->stop = stop;
	c->nw = (size_t)cfg->poll_concurrency;
	c->ws = xcalloc(c->nw, sizeof(*c->ws));
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->go, NULL);
	pthread_cond_init(&c->idle, NULL);
	worker_init(&c->lead, c);
	return c;
}

void
poll_crew_free(struct poll_crew *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->quit = true;
	pthread_cond_broadcast(&c->go);
	pthread_mutex_unlock(&c->mu);
	for (size_t i = 0; i < c->started; i++) {
		pthread_join(c->ws[i].th, NULL);
		worker_cleanup(&c->ws[i]);
	}
	worker_cleanup(&c->lead);
	pthread_cond_destroy(&c->idle);
	pthread_cond_destroy(&c->go);
	pthread_mutex_destroy(&c->mu);
	free(c->ws);
	free(c);
}

/*
 * Runs fn for items 0..n-1 on the crew's call threads, starting more (up to
 * [poller] concurrency) when n asks for them. Only the lead posts batches,
 * one at a time, so no batch is out while threads are started.
 */
void
crew_fan_out(struct job_run *r, size_t n, item_fn fn)
{
	struct poll_crew *c = r->crew;
	size_t want = n < c->nw ? n : c->nw;

	if (n == 0)
		return;
	while (c->started < want) {
		struct worker *w = &c->ws[c->started];

		worker_init(w, c);
		w->batch = c->batch;
		if (!thread_start(&w->th, "hcw-poll-call", worker_main, w)) {
			worker_cleanup(w);
			break;
		}
		c->started++;
	}
	if (c->started == 0) {
		run_error(r, true, "cannot start a worker thread");
		return;
	}
	atomic_store(&r->next, 0);
	r->n = n;
	r->fn = fn;
	pthread_mutex_lock(&c->mu);
	c->run = r;
	c->batch++;
	c->busy = c->started;
	pthread_cond_broadcast(&c->go);
	while (c->busy > 0)
		pthread_cond_wait(&c->idle, &c->mu);
	c->run = NULL;
	pthread_mutex_unlock(&c->mu);
}

struct worker *
crew_begin(struct poll_crew *c, struct job_run *r)
{
	char err[STORE_ERR_LEN];

	r->cfg = c->cfg;
	r->crew = c;
	r->stop = c->stop;
	c->lead.run = r;
	/* As in worker_join_run(), before the run has an id. */
	(void)store_ping(c->lead.st, err, sizeof(err));
	return &c->lead;
}

void
crew_settle(struct poll_crew *c, struct job_run *r)
{
	worker_settle(&c->lead, r);
	for (size_t i = 0; i < c->started; i++)
		worker_settle(&c->ws[i], r);
}
