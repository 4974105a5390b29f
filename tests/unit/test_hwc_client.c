/* Classification of Huawei answers, and the quota limiter. */
#include "test_util.h"

#include "core/config.h"
#include "hwc/hwc_client.h"
#include "hwc/hwc_quota.h"
#include "util/clock.h"

#include <pthread.h>

static enum hwc_status
classify(long status, const char *body, struct hwc_error *e, json_t **out)
{
	return hwc_classify(status, body, strlen(body), out, e);
}

static void
test_success_shapes(void **state)
{
	struct hwc_error e;
	json_t *out;

	(void)state;
	assert_int_equal(classify(200, "{\"customer_infos\":[],\"count\":0}", &e, &out), HWC_OK);
	assert_non_null(json_object_get(out, "count"));
	json_decref(out);
	assert_int_equal(classify(200, "", &e, &out), HWC_OK);
	assert_true(json_is_object(out));
	json_decref(out);
	assert_int_equal(classify(200, "{\"error_code\":\"CBC.0000\",\"error_msg\":\"success\"}",
			     &e, &out),
	    HWC_OK);
	json_decref(out);
	assert_int_equal(classify(201, "{\"token\":{}}", &e, &out), HWC_OK);
	json_decref(out);
}

static void
test_error_in_http_200(void **state)
{
	struct hwc_error e;
	json_t *out;

	(void)state;
	assert_int_equal(classify(200,
			     "{\"error_code\":\"CBC.5002\",\"error_msg\":\"The customer "
			     "does not exist.\"}",
			     &e, &out),
	    HWC_FAILED);
	assert_null(out);
	assert_string_equal(e.code, "CBC.5002");
	assert_string_equal(e.message, "The customer does not exist.");
	assert_int_equal(e.http_status, 200);
}

static void
test_throttling_shapes(void **state)
{
	struct hwc_error e;
	json_t *out;

	(void)state;
	assert_int_equal(
	    classify(429,
		"{\"status_code\":429,\"request_id\":\"7e6c\",\"error_code\":"
		"\"APIGW.0308\",\"error_message\":\"The throttling threshold has been reached\","
		"\"encoded_authorization_message\":\"\"}",
		&e, &out),
	    HWC_THROTTLED);
	assert_string_equal(e.code, "APIGW.0308");
	assert_string_equal(e.message, "The throttling threshold has been reached");
	assert_int_equal(classify(429,
			     "{\"error_code\":\"APIG.0308\",\"error_msg\":\"over ratelimit\"}", &e,
			     &out),
	    HWC_THROTTLED);
	assert_int_equal(classify(429,
			     "{\"error_code\":\"CBC.0250\",\"error_msg\":\"flow control\"}", &e,
			     &out),
	    HWC_THROTTLED);
	/* The code decides even when a proxy rewrote the status. */
	assert_int_equal(classify(400, "{\"error_code\":\"APIG.0308\"}", &e, &out), HWC_THROTTLED);
	assert_int_equal(classify(429, "Too Many Requests", &e, &out), HWC_THROTTLED);
}

static void
test_auth_shapes(void **state)
{
	struct hwc_error e;
	json_t *out;

	(void)state;
	assert_int_equal(classify(401,
			     "{\"error_msg\":\"Incorrect IAM authentication information\","
			     "\"error_code\":\"APIG.0301\",\"request_id\":\"x\"}",
			     &e, &out),
	    HWC_AUTH);
	assert_string_equal(e.code, "APIG.0301");
	assert_int_equal(classify(403,
			     "{\"error_code\":\"CBC.0155\",\"error_msg\":\"not allowed\"}", &e,
			     &out),
	    HWC_AUTH);
	assert_int_equal(classify(401,
			     "{\"error\":{\"code\":401,\"message\":\"The X-Auth-Token is "
			     "invalid!\",\"title\":\"Unauthorized\"}}",
			     &e, &out),
	    HWC_AUTH);
	assert_string_equal(e.message, "The X-Auth-Token is invalid!");
}

static void
test_server_and_garbled(void **state)
{
	struct hwc_error e;
	json_t *out;

	(void)state;
	assert_int_equal(classify(500, "{\"error_code\":\"CBC.0999\",\"error_msg\":\"other\"}", &e,
			     &out),
	    HWC_UNAVAILABLE);
	assert_int_equal(classify(503, "<html>busy</html>", &e, &out), HWC_UNAVAILABLE);
	assert_int_equal(classify(200, "{\"customer_infos\":[{\"customer_id\":", &e, &out),
	    HWC_UNAVAILABLE);
	assert_non_null(strstr(e.message, "unreadable JSON"));
	assert_null(out);
	assert_int_equal(classify(200, "[1,2]", &e, &out), HWC_UNAVAILABLE);
	assert_int_equal(classify(200, "{\"a\":1,\"a\":2}", &e, &out), HWC_UNAVAILABLE);
}

static void
test_other_client_errors(void **state)
{
	struct hwc_error e;
	json_t *out;

	(void)state;
	assert_int_equal(classify(400, "{\"error_code\":\"CBC.0100\",\"error_msg\":\"bad param\"}",
			     &e, &out),
	    HWC_FAILED);
	assert_string_equal(e.code, "CBC.0100");
	assert_int_equal(classify(404,
			     "{\"error_code\":\"APIGW.0101\",\"error_message\":\"API not "
			     "exist\"}",
			     &e, &out),
	    HWC_FAILED);
	assert_int_equal(classify(302, "", &e, &out), HWC_FAILED);
	assert_string_equal(e.message, "HTTP 302");
}

static bool
check_overrides(const char *s, char *err, size_t errlen)
{
	int rates[CONFIG_HW_API_COUNT];

	return config_parse_rate_overrides(s, rates, err, errlen);
}

static void
test_quota_overrides(void **state)
{
	char err[256];

	(void)state;
	assert_true(hwc_quota_configure(10, "", err, sizeof(err)));
	assert_true(
	    hwc_quota_rate(HWC_API_RESOURCES) > 9.99 && hwc_quota_rate(HWC_API_RESOURCES) < 10.01);
	assert_true(hwc_quota_configure(10,
	    "ListPayPerUseCustomerResources=200, ListSubCustomers = 5", err, sizeof(err)));
	assert_true(hwc_quota_rate(HWC_API_RESOURCES) > 199.9);
	assert_true(hwc_quota_rate(HWC_API_CUSTOMERS) < 5.01);
	assert_true(
	    hwc_quota_rate(HWC_API_BALANCES) > 9.99 && hwc_quota_rate(HWC_API_BALANCES) < 10.01);
	assert_false(check_overrides("NoSuchApi=3", err, sizeof(err)));
	assert_non_null(strstr(err, "NoSuchApi"));
	assert_false(check_overrides("ListSubCustomers=0", err, sizeof(err)));
	assert_false(check_overrides("ListSubCustomers=1x", err, sizeof(err)));
	assert_false(check_overrides("ListSubCustomers", err, sizeof(err)));
	assert_true(check_overrides(" , ", err, sizeof(err)));
}

/* U+0000 escapes inside strings become U+FFFD; nothing else changes, nor the length. */
static void
test_defuse_nul(void **state)
{
	static const struct {
		const char *in, *out;
		size_t n;
	} cases[] = {
		{ "{\"a\":\"x\\u0000y\"}", "{\"a\":\"x\\ufffdy\"}", 1 },
		/* An escaped backslash then "u0000" is text, not a NUL. */
		{ "{\"a\":\"x\\\\u0000\"}", "{\"a\":\"x\\\\u0000\"}", 0 },
		/* An escaped quote does not end the string. */
		{ "{\"a\":\"\\\"\\u0000\"}", "{\"a\":\"\\\"\\ufffd\"}", 1 },
		{ "{\"\\u0000\":1,\"b\":\"\\u0000\\u0000\"}",
		    "{\"\\ufffd\":1,\"b\":\"\\ufffd\\ufffd\"}", 3 },
		/* Cut short: nothing read past the end. */
		{ "{\"a\":\"\\u000", "{\"a\":\"\\u000", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[128];
		size_t len = strlen(cases[i].in);

		memcpy(buf, cases[i].in, len + 1);
		assert_int_equal(hwc_defuse_nul(buf, len), cases[i].n);
		assert_string_equal(buf, cases[i].out);
	}
}

/*
 * Threads that send late (a random delay between the grant and the request
 * leaving, as a slow wake-up or a new TLS connection would) must not bunch:
 * every call leaves more than a window plus the margin after the call rate
 * places before it. This is an ordering, not a timing: it cannot fail
 * because the machine is slow.
 */
#define Q_RATE 50
#define Q_THREADS 4
#define Q_CALLS 40

static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t q_sent[Q_THREADS * Q_CALLS];
static int q_n;

static void *
quota_caller(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	for (int i = 0; i < Q_CALLS; i++) {
		struct hwc_quota_slot slot;
		int64_t sent;

		assert_true(hwc_quota_acquire(HWC_API_BALANCES, NULL, &slot));
		/* Up to 30 ms late; one call in five never leaves (connect failure). */
		clock_sleep_us(rand_r(&seed) % 30000, NULL);
		sent = rand_r(&seed) % 5 == 0 ? 0 : clock_mono_us();
		if (sent == 0) {
			hwc_quota_release(&slot, 0);
			sent = clock_mono_us(); /* counted from its release */
		} else {
			hwc_quota_release(&slot, sent);
		}
		pthread_mutex_lock(&q_mu);
		q_sent[q_n++] = sent;
		pthread_mutex_unlock(&q_mu);
	}
	return NULL;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void
test_quota_sliding_window_counts_real_sends(void **state)
{
	pthread_t t[Q_THREADS];
	char err[256];

	(void)state;
	assert_true(hwc_quota_configure(10, "ListCustomersBalancesDetail=50", err, sizeof(err)));
	for (int i = 0; i < Q_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, quota_caller,
				     (void *)(uintptr_t)(i + 1)),
		    0);
	for (int i = 0; i < Q_THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(q_n, Q_THREADS * Q_CALLS);
	qsort(q_sent, (size_t)q_n, sizeof(q_sent[0]), cmp_i64);
	for (int i = 0; i + Q_RATE < q_n; i++) {
		if (q_sent[i + Q_RATE] - q_sent[i] <= 1000000 + HWC_QUOTA_MARGIN_US)
			fail_msg("calls %d and %d left %lld us apart: %d calls in one window", i,
			    i + Q_RATE, (long long)(q_sent[i + Q_RATE] - q_sent[i]), Q_RATE + 1);
	}
}

/* A stop flag ends a wait without granting a slot. */
static void
test_quota_acquire_stops(void **state)
{
	struct hwc_quota_slot slots[2], late;
	atomic_bool stop;
	char err[256];

	(void)state;
	atomic_init(&stop, true);
	assert_true(hwc_quota_configure(1, "", err, sizeof(err)));
	assert_true(hwc_quota_acquire(HWC_API_PARTNER_BALANCES, NULL, &slots[0]));
	/* The one call a second is still in flight: the next waits for it, and is stopped. */
	assert_false(hwc_quota_acquire(HWC_API_PARTNER_BALANCES, &stop, &late));
	hwc_quota_release(&slots[0], clock_mono_us());
	assert_false(hwc_quota_acquire(HWC_API_PARTNER_BALANCES, &stop, &slots[1]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success_shapes),
		cmocka_unit_test(test_error_in_http_200),
		cmocka_unit_test(test_throttling_shapes),
		cmocka_unit_test(test_auth_shapes),
		cmocka_unit_test(test_server_and_garbled),
		cmocka_unit_test(test_other_client_errors),
		cmocka_unit_test(test_quota_overrides),
		cmocka_unit_test(test_defuse_nul),
		cmocka_unit_test(test_quota_sliding_window_counts_real_sends),
		cmocka_unit_test(test_quota_acquire_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
