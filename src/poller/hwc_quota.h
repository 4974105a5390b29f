/*
 * Client-side quota: one pacer per Huawei API, shared by every thread of the
 * process, so that in normal operation the poller never draws a 429.
 *
 * Huawei counts calls per API per second (default 10). The pacer spaces calls
 * evenly at the configured rate (GCRA with a burst of one): a gateway that
 * allows N calls in any second then never sees more than N, even when
 * several threads call at once.
 */
#ifndef HCWATCH_POLLER_HWC_QUOTA_H
#define HCWATCH_POLLER_HWC_QUOTA_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

enum hwc_api {
	HWC_API_CUSTOMERS,		/* ListSubCustomers */
	HWC_API_BALANCES,		/* ListCustomersBalancesDetail */
	HWC_API_RESOURCES,		/* ListPayPerUseCustomerResources */
	HWC_API_PARTNER_BALANCES,	/* ListPartnerBalances */
	HWC_API_IAM_TOKEN,		/* KeystoneCreateUserTokenByPassword */
	HWC_API_COUNT
};

/** Huawei's name for an API, as used in [huawei] rate_limit_overrides. */
const char *hwc_api_name(enum hwc_api api);
/** The API called name, or -1. */
int hwc_api_from_name(const char *name);

/** Sets every API's rate (calls per second), then the overrides "Name=N, Name=N". */
bool hwc_quota_configure(int default_rate, const char *overrides, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/** Validates an overrides string without applying it. */
bool hwc_quota_check_overrides(const char *overrides, char *err, size_t errlen)
	__attribute__((warn_unused_result));
double hwc_quota_rate(enum hwc_api api);
/**
 * Waits for the API's next slot. False, without a slot, when *stop became
 * true while waiting (stop may be NULL).
 */
bool hwc_quota_acquire(enum hwc_api api, const atomic_bool *stop);

#endif
