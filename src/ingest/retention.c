#include "ingest/retention.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

#include "core/config.h"
#include "core/log.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/thread.h"
#include "util/xalloc.h"

#define PASS_EVERY_US (3600 * 1000000LL)
#define RETRY_US (60 * 1000000LL)

/* What is kept how long: a statement that deletes one batch, and its [section] key. */
static const struct kept {
	const char *what;
	enum store_sql sql;
	size_t days_off; /* of an int in struct config */
} kept[] = {
	{ "balance snapshots", SQL_RETENTION_BALANCE_SNAPSHOTS,
	    offsetof(struct config, rt_balance_snapshots_days) },
	{ "partner balance snapshots", SQL_RETENTION_PARTNER_SNAPSHOTS,
	    offsetof(struct config, rt_partner_snapshots_days) },
	{ "per-day balances", SQL_RETENTION_BALANCE_DAYS,
	    offsetof(struct config, rt_balance_days) },
	{ "partner per-day balances", SQL_RETENTION_PARTNER_DAYS,
	    offsetof(struct config, rt_balance_days) },
	{ "consumption days", SQL_RETENTION_CONSUMPTION,
	    offsetof(struct config, rt_consumption_days) },
	{ "renewal records", SQL_RETENTION_RENEWAL_CHARGES,
	    offsetof(struct config, rt_renewal_charges_days) },
	{ "customer, resource and coupon events", SQL_RETENTION_EVENTS,
	    offsetof(struct config, rt_events_days) },
	{ "resolved alerts", SQL_RETENTION_ALERTS, offsetof(struct config, rt_alerts_days) },
	/* After the alerts: a delivery goes once its notifications have. */
	{ "finished deliveries", SQL_RETENTION_DELIVERIES,
	    offsetof(struct config, rt_alerts_days) },
	{ "poll and evaluation runs", SQL_RETENTION_RUNS, offsetof(struct config, rt_runs_days) },
};
#define NKEPT (sizeof(kept) / sizeof(kept[0]))

struct retention {
	pthread_t thread;
	atomic_bool stop;
	atomic_int days, rejected_days, batch;
	atomic_int kept_days[NKEPT];
	char *conninfo;
	int connect_timeout;
};

/*
 * Deletes one kind in batches until a batch comes back short; false on a
 * database error (logged). Each batch is its own short statement, deleting
 * old rows that no writer touches, so nothing waits on it for long.
 */
static bool
expire(struct retention *r, struct store *s, int which, int days, long *total)
{
	char err[STORE_ERR_LEN];
	int batch = atomic_load(&r->batch);
	long n;

	*total = 0;
	if (days <= 0)
		return true;
	do {
		enum store_result res = which < 0 ?
		    store_callbacks_expire(s, which == -2, days, batch, &n, err, sizeof(err)) :
		    store_retention_expire(s, kept[which].sql, days, batch, &n, err, sizeof(err));

		if (res != STORE_OK) {
			log_warn("retention: cannot delete old %s: %s",
			    which < 0 ? "callback_events" : kept[which].what, err);
			return false;
		}
		*total += n;
	} while (n >= batch && !atomic_load(&r->stop));
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
		bool ok =
		    expire(r, s, -1, days, &kept_gone) && expire(r, s, -2, rdays, &rejected_gone);

		if (kept_gone || rejected_gone)
			log_info(
			    "retention: deleted %ld callback_events older than %d days and %ld "
			    "rejected ones older than %d days",
			    kept_gone, days, rejected_gone, rdays);
		for (size_t i = 0; ok && i < NKEPT && !atomic_load(&r->stop); i++) {
			long gone = 0;
			int d = atomic_load(&r->kept_days[i]);

			ok = expire(r, s, (int)i, d, &gone);
			if (gone)
				log_info("retention: deleted %ld rows of %s older than %d days",
				    gone, kept[i].what, d);
		}
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
	atomic_init(&r->days, 0);
	atomic_init(&r->rejected_days, 0);
	atomic_init(&r->batch, 1);
	for (size_t i = 0; i < NKEPT; i++)
		atomic_init(&r->kept_days[i], 0);
	retention_configure(r, cfg);
	r->conninfo = xstrdup(cfg->database_url);
	r->connect_timeout = cfg->connect_timeout;
	if (!thread_start(&r->thread, "hcw-retention", retention_main, r)) {
		log_error("retention: cannot start its thread; old rows are kept");
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
	atomic_store(&r->batch, cfg->rt_batch);
	for (size_t i = 0; i < NKEPT; i++)
		atomic_store(&r->kept_days[i],
		    *(const int *)((const char *)cfg + kept[i].days_off));
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
