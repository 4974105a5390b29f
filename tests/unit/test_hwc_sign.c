/* SDK-HMAC-SHA256: the three vectors of section 6.2 and canonicalisation edge cases. */
#include "test_util.h"

#include "hwc/hwc_sign.h"
#include "util/pct.h"
#include "util/sha256.h"

#define EMPTY_HASH "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static char *
canonical(const struct hwc_sign_request *r)
{
	struct buf b;
	char err[HWC_SIGN_ERR_LEN];

	buf_init(&b);
	if (!hwc_sign_canonical_request(&b, r, err, sizeof(err)))
		fail_msg("canonical request: %s", err);
	return buf_release(&b);
}

static void
test_vector1_guide_example(void **state)
{
	const struct hwc_sign_header h[] = {
		{ "Host", "service.region.example.com" },
		{ "Content-Type", "application/json" },
		{ "X-Sdk-Date", "20191115T033655Z" },
	};
	struct hwc_sign_request r = {
		"GET",
		"/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
		"limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
		h,
		3,
		"content-type;host;x-sdk-date",
		EMPTY_HASH,
	};
	char *c = canonical(&r);
	char hash[SHA256_HEX_LEN], sig[HWC_SIGN_HEX_LEN];

	(void)state;
	assert_string_equal(c,
	    "GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\n"
	    "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n"
	    "content-type:application/json\nhost:service.region.example.com\n"
	    "x-sdk-date:20191115T033655Z\n\ncontent-type;host;x-sdk-date\n" EMPTY_HASH);
	sha256_hex(c, strlen(c), hash);
	assert_string_equal(hash,
	    "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a");
	hwc_sign_signature("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", "20191115T033655Z", c, sig);
	assert_string_equal(sig,
	    "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe");
	free(c);
}

static void
test_vector2_go_sdk_get(void **state)
{
	const struct hwc_sign_header h[] = { { "X-Sdk-Date", "20060102T150405Z" } };
	struct hwc_sign_request r = { "GET", "/path", "limit=1", h, 1, "x-sdk-date", EMPTY_HASH };
	char *c = canonical(&r);
	char sig[HWC_SIGN_HEX_LEN];

	(void)state;
	assert_string_equal(c,
	    "GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\n" EMPTY_HASH);
	hwc_sign_signature("SecretKey", "20060102T150405Z", c, sig);
	assert_string_equal(sig,
	    "5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624");
	free(c);
}

static void
test_vector3_go_sdk_post_body(void **state)
{
	static const char body[] = "{\"Name\":\"test\",\"Id\":1}\n";
	const struct hwc_sign_header h[] = {
		{ "Content-Type", "application/json" },
		{ "X-Sdk-Date", "20060102T150405Z" },
	};
	char payload[SHA256_HEX_LEN], hash[SHA256_HEX_LEN], sig[HWC_SIGN_HEX_LEN];
	struct hwc_sign_request r = { "POST", "/path", "key=value", h, 2, "x-sdk-date", payload };
	char *c;

	(void)state;
	assert_int_equal(strlen(body), 23);
	sha256_hex(body, strlen(body), payload);
	assert_string_equal(payload,
	    "a29d7b4c5efd1a22011d69fd7b7aee76fe51e4083c609244228de258afd61289");
	c = canonical(&r);
	sha256_hex(c, strlen(c), hash);
	assert_string_equal(hash,
	    "13f75ff5f5216199f986c7e7f2f77834d5e160ad9e46f37319816dc72ba7eeab");
	hwc_sign_signature("SecretKey", "20060102T150405Z", c, sig);
	assert_string_equal(sig,
	    "cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59");
	free(c);
}

static void
check_query(const char *raw, const char *want)
{
	struct buf b;

	buf_init(&b);
	buf_append(&b, "", 0);
	assert_true(hwc_sign_canonical_query(&b, raw));
	assert_string_equal(b.data, want);
	buf_cleanup(&b);
}

static void
check_uri(const char *path, const char *want)
{
	struct buf b;

	buf_init(&b);
	hwc_sign_canonical_uri(&b, path);
	assert_string_equal(b.data, want);
	buf_cleanup(&b);
}

static void
test_query_sorting_and_reserved(void **state)
{
	(void)state;
	/* The Go SDK's test: repeated names sorted by value, reserved bytes and UTF-8 escaped. */
	check_query(
	    "test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29&path=%2Ftmp%2F123&multi=3&multi=1"
	    "&multi=2&enable=true&limit=1",
	    "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123"
	    "&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29");
	check_query(NULL, "");
	check_query("", "");
	check_query("flag", "flag=");
	check_query("a=1&&b=", "a=1&b=");
	check_query("q=a+b", "q=a%20b");
	check_query("b=2&a=%7e", "a=~&b=2");
}

static void
test_query_bad_escape(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_false(hwc_sign_canonical_query(&b, "a=%zz"));
	assert_false(hwc_sign_canonical_query(&b, "a=%4"));
	buf_cleanup(&b);
}

static void
test_uri_segments(void **state)
{
	(void)state;
	check_uri("/v2/partners/sub-customers/query", "/v2/partners/sub-customers/query/");
	check_uri("/already/", "/already/");
	check_uri("/", "/");
	check_uri("", "/");
	check_uri("/v1/\xe9\xa1\xb9\xe7\x9b\xae/a b", "/v1/%E9%A1%B9%E7%9B%AE/a%20b/");
	check_uri("/a:b@c/~x_y.z-", "/a%3Ab%40c/~x_y.z-/");
}

static void
test_missing_and_bad_signed_headers(void **state)
{
	const struct hwc_sign_header h[] = { { "X-Sdk-Date", "20060102T150405Z" } };
	struct hwc_sign_request r = { "GET", "/p", NULL, h, 1, "host;x-sdk-date", EMPTY_HASH };
	char err[HWC_SIGN_ERR_LEN];
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_false(hwc_sign_canonical_request(&b, &r, err, sizeof(err)));
	assert_non_null(strstr(err, "host"));
	r.signed_headers = "X-Sdk-Date";
	buf_reset(&b);
	assert_false(hwc_sign_canonical_request(&b, &r, err, sizeof(err)));
	r.signed_headers = "";
	buf_reset(&b);
	assert_false(hwc_sign_canonical_request(&b, &r, err, sizeof(err)));
	r.signed_headers = "x-sdk-date;";
	buf_reset(&b);
	assert_false(hwc_sign_canonical_request(&b, &r, err, sizeof(err)));
	buf_cleanup(&b);
}

static void
test_header_values_trimmed(void **state)
{
	const struct hwc_sign_header h[] = { { "x-sdk-date", "  20060102T150405Z \t" } };
	struct hwc_sign_request r = { "GET", "/path", "limit=1", h, 1, "x-sdk-date", EMPTY_HASH };
	char *c = canonical(&r);

	(void)state;
	assert_non_null(strstr(c, "\nx-sdk-date:20060102T150405Z\n"));
	free(c);
}

static void
test_dates(void **state)
{
	char d[HWC_SIGN_DATE_LEN];
	long long t;

	(void)state;
	hwc_sign_date(1573788815LL, d);
	assert_string_equal(d, "20191115T033335Z");
	assert_true(hwc_sign_parse_date("20191115T033335Z", &t));
	assert_int_equal(t, 1573788815LL);
	assert_false(hwc_sign_parse_date("2019-11-15T03:33:35Z", &t));
	assert_false(hwc_sign_parse_date("20191315T033335Z", &t));
	assert_false(hwc_sign_parse_date("20191115T033335", &t));
	assert_false(hwc_sign_parse_date("2019111XT033335Z", &t));
}

static void
test_authorization_header(void **state)
{
	struct hwc_sign_auth a;

	(void)state;
	assert_true(hwc_sign_parse_authorization(
	    "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, "
	    "SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f7",
	    &a));
	assert_string_equal(a.access, "QTWAOYTTINDUT2QVKYUC");
	assert_string_equal(a.signed_headers, "content-type;host;x-sdk-date");
	assert_string_equal(a.signature, "7be6668032f7");
	assert_false(hwc_sign_parse_authorization("Bearer abc", &a));
	assert_false(hwc_sign_parse_authorization("SDK-HMAC-SHA256 Access=A, Signature=s", &a));
	assert_false(hwc_sign_parse_authorization("SDK-HMAC-SHA256 Access=A, SignedHeaders=x, "
						  "Signature=s, Extra=1",
	    &a));
}

static void
test_encode_decode(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	pct_encode(&b, "a b/\xe4\xb8\x80~", 8);
	assert_string_equal(b.data, "a%20b%2F%E4%B8%80~");
	buf_reset(&b);
	assert_true(pct_decode(&b, "a%20b+c", 7, false));
	assert_string_equal(b.data, "a b+c");
	buf_reset(&b);
	assert_false(pct_decode(&b, "abc%2", 5, false));
	buf_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector1_guide_example),
		cmocka_unit_test(test_vector2_go_sdk_get),
		cmocka_unit_test(test_vector3_go_sdk_post_body),
		cmocka_unit_test(test_query_sorting_and_reserved),
		cmocka_unit_test(test_query_bad_escape),
		cmocka_unit_test(test_uri_segments),
		cmocka_unit_test(test_missing_and_bad_signed_headers),
		cmocka_unit_test(test_header_values_trimmed),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_authorization_header),
		cmocka_unit_test(test_encode_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
