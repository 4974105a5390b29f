#define _GNU_SOURCE /* gettid */
#include "web/pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/log.h"
#include "store/store.h"
#include "util/thread.h"
#include "util/xalloc.h"

struct reader {
	struct web_pool *pool;
	pthread_t thread;
	bool started;
	struct store *store;
};

struct web_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct web_job *head, *tail; /* waiting for a reader */
	int queued, queue_max;
	bool stopping;
	struct handoff *built; /* pages back to the loop */
	struct reader *readers;
	int n;
};

static void
on_built(struct handoff_item *item)
{
	struct web_job *j = HANDOFF_OWNER(item, struct web_job, built);

	j->on_done(j);
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	struct web_pool *p = r->pool;

	/* Pages yield the CPU to the loop and the writer: a callback waits for no page. */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), 10) != 0)
		log_debug("pages: a reader thread keeps its priority");
	for (;;) {
		struct web_job *j;

		pthread_mutex_lock(&p->lock);
		while (p->head == NULL && !p->stopping)
			pthread_cond_wait(&p->cond, &p->lock);
		j = p->head;
		if (j == NULL) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->queued--;
		pthread_mutex_unlock(&p->lock);

		j->run(j, r->store);
		handoff_push(p->built, &j->built, &j->built);
	}
	return NULL;
}

struct web_pool *
web_pool_start(struct event_base *base, const char *conninfo, int connect_timeout,
    int statement_timeout, int readers, int queue_max)
{
	struct web_pool *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->queue_max = queue_max;
	p->built = handoff_new(base, on_built);
	p->readers = xcalloc((size_t)readers, sizeof(*p->readers));
	for (int i = 0; i < readers; i++) {
		struct reader *r = &p->readers[p->n];

		r->pool = p;
		r->store = store_open(conninfo, connect_timeout, statement_timeout);
		if (!thread_start(&r->thread, "hcw-pages", reader_main, r)) {
			log_error("pages: cannot start a reader thread");
			store_close(r->store);
			break;
		}
		r->started = true;
		p->n++;
	}
	return p;
}

bool
web_pool_submit(struct web_pool *p, struct web_job *job)
{
	bool ok = false;

	job->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (!p->stopping && p->n > 0 && p->queued < p->queue_max) {
		if (p->tail)
			p->tail->next = job;
		else
			p->head = job;
		p->tail = job;
		p->queued++;
		ok = true;
		pthread_cond_signal(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return ok;
}

void
web_pool_stop(struct web_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->n; i++) {
		pthread_join(p->readers[i].thread, NULL);
		store_close(p->readers[i].store);
	}
	handoff_free(p->built);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p->readers);
	free(p);
}
