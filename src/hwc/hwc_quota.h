/*
 * Client-side quota: one limiter per Huawei API, shared by every thread of
 * the process, so that in normal operation the poller never draws a 429.
 *
 * Huawei counts calls per API per second (default 10), and a gateway may
 * count in any sliding second. Calls are spaced evenly at the configured
 * rate, and besides no call starts until the call rate places back left
 * more than a second (plus a margin for the network's jitter) ago. That
 * time is when the request really left, reported by hwc_quota_release(),
 * not when its slot was granted: a thread that woke late, or a connection
 * that took long to open, cannot bunch calls at the receiver. A call
 * granted but not yet released counts as leaving now.
 */
#ifndef HCWATCH_HWC_HWC_QUOTA_H
#define HCWATCH_HWC_HWC_QUOTA_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hwc_api {
	HWC_API_CUSTOMERS,	   /* ListSubCustomers */
	HWC_API_BALANCES,	   /* ListCustomersBalancesDetail */
	HWC_API_RESOURCES,	   /* ListPayPerUseCustomerResources */
	HWC_API_PARTNER_BALANCES,  /* ListPartnerBalances */
	HWC_API_IAM_TOKEN,	   /* KeystoneCreateUserTokenByPassword */
	HWC_API_COUPONS,	   /* ListIssuedPartnerCoupons */
	HWC_API_QUOTAS,		   /* ListQuotaCoupons */
	HWC_API_COUPON_RECORDS,	   /* ListPartnerCouponsRecord */
	HWC_API_BILL_RECORDS,	   /* ListSubCustomerBillDetail */
	HWC_API_CONSUME_CUSTOMERS, /* ListConsumeSubCustomers */
	HWC_API_RENEW_RATE,	   /* ListRenewRateOnPeriod */
	HWC_API_COUNT
};

/** Huawei's name for an API, as used in [huawei] rate_limit_overrides. */
const char *hwc_api_name(enum hwc_api api);

/** Sets every API's rate (calls per second), then the overrides "Name=N, Name=N". */
bool hwc_quota_configure(int default_rate, const char *overrides, char *err, size_t errlen)
    __attribute__((warn_unused_result));
double hwc_quota_rate(enum hwc_api api);
/** Added to the one-second window, for the network's and the receiver's jitter. */
#define HWC_QUOTA_MARGIN_US 50000

/** A granted call, to be released once it has been sent (or has failed to be). */
struct hwc_quota_slot {
	int api;
	int index;
	unsigned generation;
};

/**
 * Waits until the API may be called. False, without a slot, when *stop
 * became true while waiting (stop may be NULL). Every slot granted must be
 * released, or the limiter waits for it for ever.
 */
bool hwc_quota_acquire(enum hwc_api api, const atomic_bool *stop, struct hwc_quota_slot *slot)
    __attribute__((warn_unused_result));
/**
 * Records when the granted call left (monotonic microseconds); 0 when it
 * never got that far (it then counts as leaving now, which errs on the safe
 * side).
 */
void hwc_quota_release(const struct hwc_quota_slot *slot, int64_t sent_us);

#endif
