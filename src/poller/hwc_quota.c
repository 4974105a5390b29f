#include "poller/hwc_quota.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "util/clock.h"

struct pacer {
	pthread_mutex_t mu;
	int64_t interval_us;
	int64_t next_us;	/* earliest start of the next call (monotonic) */
};

/* Huawei's default until configured: 10 calls per second. */
#define PACER_DEFAULT { PTHREAD_MUTEX_INITIALIZER, 100000, 0 }

static struct pacer pacers[HWC_API_COUNT] = {
	PACER_DEFAULT, PACER_DEFAULT, PACER_DEFAULT, PACER_DEFAULT, PACER_DEFAULT,
};

static const char *const api_names[HWC_API_COUNT] = {
	[HWC_API_CUSTOMERS] = "ListSubCustomers",
	[HWC_API_BALANCES] = "ListCustomersBalancesDetail",
	[HWC_API_RESOURCES] = "ListPayPerUseCustomerResources",
	[HWC_API_PARTNER_BALANCES] = "ListPartnerBalances",
	[HWC_API_IAM_TOKEN] = "KeystoneCreateUserTokenByPassword",
};

_Static_assert(HWC_API_COUNT == 5, "one PACER_DEFAULT per API");

static bool parse_overrides(const char *s, int rates[HWC_API_COUNT], char *err, size_t errlen);

const char *
hwc_api_name(enum hwc_api api)
{
	return (unsigned)api < HWC_API_COUNT ? api_names[api] : "?";
}

int
hwc_api_from_name(const char *name)
{
	for (int i = 0; i < HWC_API_COUNT; i++) {
		if (strcmp(api_names[i], name) == 0)
			return i;
	}
	return -1;
}

static bool
parse_overrides(const char *s, int rates[HWC_API_COUNT], char *err, size_t errlen)
{
	const char *p = s ? s : "";

	while (*p) {
		char name[64];
		const char *eq, *end;
		size_t n;
		char *num_end;
		long v;
		int api;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		eq = strchr(p, '=');
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		if (eq == NULL || eq > end) {
			snprintf(err, errlen, "expected Name=calls-per-second, got \"%.*s\"",
			    (int)(end - p), p);
			return false;
		}
		n = (size_t)(eq - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, p, n);
		name[n] = '\0';
		api = hwc_api_from_name(name);
		if (api < 0) {
			snprintf(err, errlen, "unknown API \"%s\" (known: ListSubCustomers, "
			    "ListCustomersBalancesDetail, ListPayPerUseCustomerResources, "
			    "ListPartnerBalances, KeystoneCreateUserTokenByPassword)", name);
			return false;
		}
		v = strtol(eq + 1, &num_end, 10);
		while (*num_end == ' ')
			num_end++;
		if (num_end == eq + 1 || num_end != end || v < 1 || v > 100000) {
			snprintf(err, errlen, "%s: expected calls per second from 1 to 100000", name);
			return false;
		}
		rates[api] = (int)v;
		p = end;
	}
	return true;
}

bool
hwc_quota_check_overrides(const char *overrides, char *err, size_t errlen)
{
	int rates[HWC_API_COUNT];

	return parse_overrides(overrides, rates, err, errlen);
}

bool
hwc_quota_configure(int default_rate, const char *overrides, char *err, size_t errlen)
{
	int rates[HWC_API_COUNT];

	for (int i = 0; i < HWC_API_COUNT; i++)
		rates[i] = default_rate;
	if (!parse_overrides(overrides, rates, err, errlen))
		return false;
	for (int i = 0; i < HWC_API_COUNT; i++) {
		pthread_mutex_lock(&pacers[i].mu);
		pacers[i].interval_us = 1000000 / (rates[i] > 0 ? rates[i] : 1);
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
hwc_quota_acquire(enum hwc_api api, const atomic_bool *stop)
{
	struct pacer *p = &pacers[api];
	int64_t now = clock_mono_us(), slot;

	/* Reserve a slot under the lock, then sleep outside it. */
	pthread_mutex_lock(&p->mu);
	slot = p->next_us > now ? p->next_us : now;
	p->next_us = slot + p->interval_us;
	pthread_mutex_unlock(&p->mu);
	if (slot <= now)
		return true;
	metrics_count(MC_QUOTA_WAIT, hwc_api_name(api), NULL, (uint64_t)(slot - now));
	return clock_sleep_us(slot - now, stop);
}
