/*
 * The poller in serve: the scheduler thread holds the poller lock and tells
 * each job's thread when the job is due.
 */
#include "poller/poller.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/instance.h"
#include "core/log.h"
#include "util/clock.h"
#include "util/thread.h"
#include "util/xalloc.h"

/*
 * A job's thread and crew live from the job's first run to poller_stop();
 * between runs the thread waits for the scheduler's go.
 */
struct sched_job {
	struct poller *p;
	enum poll_job job;
	int interval;
	struct poll_crew *crew;
	pthread_t th;
	bool started; /* th runs */
	bool running; /* the scheduler asked for a run and has not reaped it */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool go, quit; /* under mu */
	atomic_bool done;
	atomic_bool stop;
	int64_t due; /* monotonic microseconds */
	struct poll_summary sum;
};

struct poller {
	struct config *cfg; /* the poller's own copy: reloads never touch it */
	struct hwc_client *hw;
	char instance[300];
	pthread_t th;
	atomic_bool stop;
	struct sched_job jobs[POLL_JOB_COUNT];
};

static void *job_main(void *arg);
static void *sched_main(void *arg);
static void sched_become_leader(struct poller *p, struct store *st);
static bool sched_start_run(struct sched_job *j);
static void sched_stop_jobs(struct poller *p, bool wait);

static void *
job_main(void *arg)
{
	struct sched_job *j = arg;

	pthread_mutex_lock(&j->mu);
	for (;;) {
		while (!j->go && !j->quit)
			pthread_cond_wait(&j->cv, &j->mu);
		if (j->quit)
			break;
		j->go = false;
		pthread_mutex_unlock(&j->mu);
		poll_run_job(j->crew, j->p->instance, j->job, j->interval, &j->sum);
		atomic_store(&j->done, true);
		pthread_mutex_lock(&j->mu);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

/* Due times continue from the last run recorded by any instance. */
static void
sched_become_leader(struct poller *p, struct store *st)
{
	int64_t now_wall = clock_wall_us() / 1000000, now = clock_mono_us();

	log_info("poller: %s holds the poller lock and polls Huawei at %s", p->instance,
	    p->cfg->hw_endpoint);
	for (int i = 0; i < POLL_JOB_COUNT; i++) {
		struct sched_job *j = &p->jobs[i];
		char err[STORE_ERR_LEN];
		int64_t last = 0, wait;

		if (store_poll_last_finished(st, poll_job_name(j->job), &last, err, sizeof(err)) !=
		    STORE_OK)
			last = 0;
		wait = last ? last + j->interval - now_wall : 0;
		if (wait < 0)
			wait = 0;
		j->due = now + wait * 1000000;
	}
}

static bool
sched_start_run(struct sched_job *j)
{
	if (!j->started) {
		j->crew = poll_crew_new(j->p->cfg, j->p->hw, &j->stop);
		if (!thread_start(&j->th, "hcw-poll-job", job_main, j)) {
			poll_crew_free(j->crew);
			j->crew = NULL;
			return false;
		}
		j->started = true;
	}
	atomic_store(&j->done, false);
	atomic_store(&j->stop, false);
	pthread_mutex_lock(&j->mu);
	j->go = true;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	j->running = true;
	return true;
}

/* Asks the running jobs to stop; wait: and ends every job's thread and crew. */
static void
sched_stop_jobs(struct poller *p, bool wait)
{
	for (int i = 0; i < POLL_JOB_COUNT; i++) {
		struct sched_job *j = &p->jobs[i];

		if (j->running)
			atomic_store(&j->stop, true);
		if (!wait || !j->started)
			continue;
		pthread_mutex_lock(&j->mu);
		j->quit = true;
		pthread_cond_signal(&j->cv);
		pthread_mutex_unlock(&j->mu);
		pthread_join(j->th, NULL);
		poll_crew_free(j->crew);
		j->crew = NULL;
		j->started = j->running = false;
	}
}

static void *
sched_main(void *arg)
{
	struct poller *p = arg;
	struct store *st = store_open(p->cfg->database_url, p->cfg->connect_timeout, 0);
	bool leader = false, customers_known = false;
	int64_t next_check = 0;

	while (!atomic_load(&p->stop)) {
		int64_t now = clock_mono_us();
		char err[STORE_ERR_LEN];

		/* Reap finished runs; the next is one interval after this one ended. */
		for (int i = 0; i < POLL_JOB_COUNT; i++) {
			struct sched_job *j = &p->jobs[i];

			if (j->running && atomic_load(&j->done)) {
				j->running = false;
				j->due = now + (int64_t)j->interval * 1000000;
				if (j->job == POLL_CUSTOMERS &&
				    strcmp(j->sum.status, "failed") != 0)
					customers_known = true;
			}
		}
		if (now >= next_check) {
			next_check = now + (int64_t)p->cfg->poll_leader_check * 1000000;
			if (!leader) {
				if (store_leader_try(st, &leader, err, sizeof(err)) == STORE_OK &&
				    leader) {
					int64_t last = 0;

					sched_become_leader(p, st);
					customers_known =
					    store_poll_last_finished(st, "customers", &last, err,
						sizeof(err)) == STORE_OK &&
					    last > 0;
				}
			} else if (store_ping(st, err, sizeof(err)) != STORE_OK) {
				/* The lock went with the connection: another instance may lead now.
				 */
				log_warn(
				    "poller: lost the poller lock (%s); stopping the running jobs",
				    err);
				leader = false;
				sched_stop_jobs(p, false);
			}
		}
		if (leader) {
			for (int i = 0; i < POLL_JOB_COUNT; i++) {
				struct sched_job *j = &p->jobs[i];

				if (j->running || now < j->due || !poll_job_enabled(p->cfg, j->job))
					continue;
				/* Balances, resources and consumption start from the customer list.
				 */
				if (j->job != POLL_CUSTOMERS && j->job != POLL_PARTNER &&
				    j->job != POLL_COUPONS && !customers_known)
					continue;
				if (!sched_start_run(j))
					log_error("poller: cannot start a thread for the %s job",
					    poll_job_name(j->job));
			}
		}
		(void)clock_sleep_us(leader ? 200000 : 1000000, &p->stop);
	}
	sched_stop_jobs(p, true);
	/* Closing the connection releases the lock at once for the next instance. */
	store_close(st);
	return NULL;
}

struct poller *
poller_start(const struct config *cfg, char *err, size_t errlen)
{
	struct poller *p = xcalloc(1, sizeof(*p));

	p->cfg = config_copy(cfg);
	instance_name(p->instance, sizeof(p->instance));
	for (int i = 0; i < POLL_JOB_COUNT; i++) {
		static const size_t interval_off[POLL_JOB_COUNT] = {
			offsetof(struct config, poll_customers_interval),
			offsetof(struct config, poll_balances_interval),
			offsetof(struct config, poll_resources_interval),
			offsetof(struct config, poll_partner_interval),
			offsetof(struct config, poll_coupons_interval),
			offsetof(struct config, poll_consumption_interval),
			offsetof(struct config, poll_renewals_interval),
		};
		struct sched_job *j = &p->jobs[i];

		j->p = p;
		j->job = (enum poll_job)i;
		j->interval = *(const int *)((const char *)p->cfg + interval_off[i]);
		pthread_mutex_init(&j->mu, NULL);
		pthread_cond_init(&j->cv, NULL);
	}
	p->hw = hwc_client_new(p->cfg, err, errlen);
	if (p->hw == NULL)
		goto fail;
	if (!thread_start(&p->th, "hcw-poller", sched_main, p)) {
		snprintf(err, errlen, "cannot start the poller thread");
		goto fail;
	}
	return p;
fail:
	for (int i = 0; i < POLL_JOB_COUNT; i++) {
		pthread_cond_destroy(&p->jobs[i].cv);
		pthread_mutex_destroy(&p->jobs[i].mu);
	}
	hwc_client_free(p->hw);
	config_free(p->cfg);
	free(p);
	return NULL;
}

void
poller_stop(struct poller *p)
{
	if (p == NULL)
		return;
	atomic_store(&p->stop, true);
	pthread_join(p->th, NULL);
	for (int i = 0; i < POLL_JOB_COUNT; i++) {
		pthread_cond_destroy(&p->jobs[i].cv);
		pthread_mutex_destroy(&p->jobs[i].mu);
	}
	hwc_client_free(p->hw);
	config_free(p->cfg);
	free(p);
}
