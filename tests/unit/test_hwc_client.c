/* Classification of Huawei answers (section 7.3), and the quota settings. */
#include "test_util.h"

#include "poller/hwc_client.h"
#include "poller/hwc_quota.h"

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
	    &e, &out), HWC_OK);
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
	assert_int_equal(classify(200, "{\"error_code\":\"CBC.5002\",\"error_msg\":\"The customer "
	    "does not exist.\"}", &e, &out), HWC_FAILED);
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
	assert_int_equal(classify(429, "{\"status_code\":429,\"request_id\":\"7e6c\",\"error_code\":"
	    "\"APIGW.0308\",\"error_message\":\"The throttling threshold has been reached\","
	    "\"encoded_authorization_message\":\"\"}", &e, &out), HWC_THROTTLED);
	assert_string_equal(e.code, "APIGW.0308");
	assert_string_equal(e.message, "The throttling threshold has been reached");
	assert_int_equal(classify(429, "{\"error_code\":\"APIG.0308\",\"error_msg\":\"over ratelimit\"}",
	    &e, &out), HWC_THROTTLED);
	assert_int_equal(classify(429, "{\"error_code\":\"CBC.0250\",\"error_msg\":\"flow control\"}",
	    &e, &out), HWC_THROTTLED);
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
	assert_int_equal(classify(401, "{\"error_msg\":\"Incorrect IAM authentication information\","
	    "\"error_code\":\"APIG.0301\",\"request_id\":\"x\"}", &e, &out), HWC_AUTH);
	assert_string_equal(e.code, "APIG.0301");
	assert_int_equal(classify(403, "{\"error_code\":\"CBC.0155\",\"error_msg\":\"not allowed\"}",
	    &e, &out), HWC_AUTH);
	assert_int_equal(classify(401, "{\"error\":{\"code\":401,\"message\":\"The X-Auth-Token is "
	    "invalid!\",\"title\":\"Unauthorized\"}}", &e, &out), HWC_AUTH);
	assert_string_equal(e.message, "The X-Auth-Token is invalid!");
}

static void
test_server_and_garbled(void **state)
{
	struct hwc_error e;
	json_t *out;

	(void)state;
	assert_int_equal(classify(500, "{\"error_code\":\"CBC.0999\",\"error_msg\":\"other\"}", &e,
	    &out), HWC_UNAVAILABLE);
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
	    &e, &out), HWC_FAILED);
	assert_string_equal(e.code, "CBC.0100");
	assert_int_equal(classify(404, "{\"error_code\":\"APIGW.0101\",\"error_message\":\"API not "
	    "exist\"}", &e, &out), HWC_FAILED);
	assert_int_equal(classify(302, "", &e, &out), HWC_FAILED);
	assert_string_equal(e.message, "HTTP 302");
}

static void
test_quota_overrides(void **state)
{
	char err[256];

	(void)state;
	assert_true(hwc_quota_configure(10, "", err, sizeof(err)));
	assert_true(hwc_quota_rate(HWC_API_RESOURCES) > 9.99 && hwc_quota_rate(HWC_API_RESOURCES) < 10.01);
	assert_true(hwc_quota_configure(10, "ListPayPerUseCustomerResources=200, ListSubCustomers = 5",
	    err, sizeof(err)));
	assert_true(hwc_quota_rate(HWC_API_RESOURCES) > 199.9);
	assert_true(hwc_quota_rate(HWC_API_CUSTOMERS) < 5.01);
	assert_true(hwc_quota_rate(HWC_API_BALANCES) > 9.99 && hwc_quota_rate(HWC_API_BALANCES) < 10.01);
	assert_false(hwc_quota_check_overrides("NoSuchApi=3", err, sizeof(err)));
	assert_non_null(strstr(err, "NoSuchApi"));
	assert_false(hwc_quota_check_overrides("ListSubCustomers=0", err, sizeof(err)));
	assert_false(hwc_quota_check_overrides("ListSubCustomers=1x", err, sizeof(err)));
	assert_false(hwc_quota_check_overrides("ListSubCustomers", err, sizeof(err)));
	assert_true(hwc_quota_check_overrides(" , ", err, sizeof(err)));
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
