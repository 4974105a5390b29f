#include "hwc/hwc_quota.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/metrics.h"
#include "util/clock.h"
#include "util/xalloc.h"

#define WINDOW_US 1000000
/* A ring entry of a call granted but not yet released. */
#define PENDING INT64_MAX
#define NEVER INT64_MIN
/* How often a call waiting behind one in flight looks again. */
#define PENDING_POLL_US 2000

struct pacer {
	pthread_mutex_t mu;
	int64_t interval_us;
	int64_t next_us; /* earliest start of the next call (monotonic) */
	/* When each of the last n calls left, oldest at head; n = calls per second. */
	int64_t *sent;
	int n, head;
	unsigned generation; /* changes when the ring does; stale releases are ignored */
};

/* Huawei's default until configured: 10 calls per second. */
#define PACER_DEFAULT \
	{ \
		PTHREAD_MUTEX_INITIALIZER, 100000, 0, NULL, 0, 0, 0 \
	}

static struct pacer pacers[HWC_API_COUNT] = {
	PACER_DEFAULT,
	PACER_DEFAULT,
	PACER_DEFAULT,
	PACER_DEFAULT,
	PACER_DEFAULT,
	PACER_DEFAULT,
	PACER_DEFAULT,
	PACER_DEFAULT,
	PACER_DEFAULT,
	PACER_DEFAULT,
	PACER_DEFAULT,
};

_Static_assert(HWC_API_COUNT == 11, "one PACER_DEFAULT per API");
_Static_assert(HWC_API_COUNT == CONFIG_HW_API_COUNT, "config_hw_apis names hwc's APIs in order");

static void ring_reset(struct pacer *p, int n);

const char *
hwc_api_name(enum hwc_api api)
{
	return (unsigned)api < HWC_API_COUNT ? config_hw_apis[api] : "?";
}

static void
ring_reset(struct pacer *p, int n)
{
	free(p->sent);
	p->sent = xmalloc((size_t)n * sizeof(*p->sent));
	for (int i = 0; i < n; i++)
		p->sent[i] = NEVER;
	p->n = n;
	p->head = 0;
	p->generation++;
}

bool
hwc_quota_configure(int default_rate, const char *overrides, char *err, size_t errlen)
{
	int rates[HWC_API_COUNT];

	for (int i = 0; i < HWC_API_COUNT; i++)
		rates[i] = default_rate > 0 ? default_rate : 1;
	if (!config_parse_rate_overrides(overrides, rates, err, errlen))
		return false;
	for (int i = 0; i < HWC_API_COUNT; i++) {
		pthread_mutex_lock(&pacers[i].mu);
		pacers[i].interval_us = 1000000 / rates[i];
		if (pacers[i].n != rates[i])
			ring_reset(&pacers[i], rates[i]);
		pthread_mutex_unlock(&pacers[i].mu);
	}
	return true;
}

double
hwc_quota_rate(enum hwc_api api)
{
	int64_t iv;

	pthread_mutex_lock(&pacers[api].mu);
	iv = pacers[api].interval_us;
	pthread_mutex_unlock(&pacers[api].mu);
	return 1e6 / (double)iv;
}

bool
hwc_quota_acquire(enum hwc_api api, const atomic_bool *stop, struct hwc_quota_slot *slot)
{
	struct pacer *p = &pacers[api];
	int64_t start = clock_mono_us();

	pthread_mutex_lock(&p->mu);
	if (p->sent == NULL)
		ring_reset(p, (int)(1000000 / p->interval_us));
	for (;;) {
		int64_t now = clock_mono_us(), oldest = p->sent[p->head], at, wait;

		at = p->next_us;
		if (oldest == PENDING)
			at = now + PENDING_POLL_US;
		else if (oldest != NEVER && oldest + WINDOW_US + HWC_QUOTA_MARGIN_US > at)
			at = oldest + WINDOW_US + HWC_QUOTA_MARGIN_US;
		if (at <= now) {
			p->sent[p->head] = PENDING;
			slot->api = api;
			slot->index = p->head;
			slot->generation = p->generation;
			p->head = (p->head + 1) % p->n;
			p->next_us = now + p->interval_us;
			break;
		}
		wait = at - now;
		pthread_mutex_unlock(&p->mu);
		/* Sleep outside the lock; another thread may take the slot first. */
		if (!clock_sleep_us(wait, stop))
			return false;
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	metrics_count(MC_QUOTA_WAIT, hwc_api_name(api), NULL, (uint64_t)(clock_mono_us() - start));
	return true;
}

void
hwc_quota_release(const struct hwc_quota_slot *slot, int64_t sent_us)
{
	struct pacer *p = &pacers[slot->api];

	pthread_mutex_lock(&p->mu);
	if (slot->generation == p->generation && slot->index < p->n &&
	    p->sent[slot->index] == PENDING)
		p->sent[slot->index] = sent_us > 0 ? sent_us : clock_mono_us();
	pthread_mutex_unlock(&p->mu);
}
