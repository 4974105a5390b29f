#include "ingest/retention.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/config.h"
#include "core/log.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/thread.h"
#include "util/xalloc.h"

#define PASS_EVERY_US (3600 * 1000000LL)
#define RETRY_US (60 * 1000000LL)
#define BATCH 5000

struct retention {
	pthread_t thread;
	atomic_bool stop;
	atomic_int days, rejected_days;
	char *conninfo;
	int connect_timeout;
};

/* Deletes one kind in batches; false on a database error (logged). */
static bool
expire(struct retention *r, struct store *s, bool rejected, int days, long *total)
{
	char err[STORE_ERR_LEN];
	long n;

	*total = 0;
	if (days <= 0)
		return true;
	do {
		if (store_callbacks_expire(s, rejected, days, BATCH, &n, err, sizeof(err)) !=
		    STORE_OK) {
			log_warn("retention: cannot delete old callback_events: %s", err);
			return false;
		}
		*total += n;
	} while (n == BATCH && !atomic_load(&r->stop));
	return true;
}

static void *
retention_main(void *arg)
{
	struct retention *r = arg;
	struct store *s = store_open(r->conninfo, r->connect_timeout, 0);

	while (!atomic_load(&r->stop)) {
		int days = atomic_load(&r->days), rdays = atomic_load(&r->rejected_days);
		long kept_gone = 0, rejected_gone = 0;
		bool ok = expire(r, s, false, days, &kept_gone) &&
		    expire(r, s, true, rdays, &rejected_gone);

		if (kept_gone || rejected_gone)
			log_info(
			    "retention: deleted %ld callback_events older than %d days and %ld "
			    "rejected ones older than %d days",
			    kept_gone, days, rejected_gone, rdays);
		clock_sleep_us(ok ? PASS_EVERY_US : RETRY_US, &r->stop);
	}
	store_close(s);
	return NULL;
}

struct retention *
retention_start(const struct config *cfg)
{
	struct retention *r = xcalloc(1, sizeof(*r));

	atomic_init(&r->stop, false);
	atomic_init(&r->days, cfg->bind_retention_days);
	atomic_init(&r->rejected_days, cfg->bind_rejected_retention_days);
	r->conninfo = xstrdup(cfg->database_url);
	r->connect_timeout = cfg->connect_timeout;
	if (!thread_start(&r->thread, "hcw-retention", retention_main, r)) {
		log_error("retention: cannot start its thread; old callback_events are kept");
		free(r->conninfo);
		free(r);
		return NULL;
	}
	return r;
}

void
retention_configure(struct retention *r, const struct config *cfg)
{
	if (r == NULL)
		return;
	atomic_store(&r->days, cfg->bind_retention_days);
	atomic_store(&r->rejected_days, cfg->bind_rejected_retention_days);
}

void
retention_stop(struct retention *r)
{
	if (r == NULL)
		return;
	atomic_store(&r->stop, true);
	pthread_join(r->thread, NULL);
	free(r->conninfo);
	free(r);
}
