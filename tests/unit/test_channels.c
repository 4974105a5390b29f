/*
 * Channels: request signing (vectors computed apart, the webhook one is the
 * Standard Webhooks reference vector), error classification, SMTP headers.
 */
#include "test_util.h"

#include <jansson.h>

#include "core/config.h"
#include "net/smtp_client.h"
#include "notify/channels.h"
#include "util/b64.h"

static struct config_dest
dest(int type, const char *url, const char *secret)
{
	struct config_dest d;

	memset(&d, 0, sizeof(d));
	d.name = (char *)"t";
	d.type = type;
	d.url = (char *)url;
	d.secret = (char *)secret;
	return d;
}

static void
test_dingtalk_signs_in_the_query(void **state)
{
	struct config_dest d = dest(CONFIG_CH_DINGTALK,
	    "https://oapi.dingtalk.com/robot/send?access_token=abc", "SECtest-secret");
	json_t *p =
	    json_pack("{s:s, s:s, s:[s]}", "title", "t", "text", "正文", "at", "13800000001");
	struct channel_request req;
	char err[256];
	json_t *body;

	(void)state;
	assert_true(channel_build(&d, "hcw_k", 1, 1, p, 1700000000000LL, &req, err, sizeof(err)));
	assert_string_equal(req.url.data,
	    "https://oapi.dingtalk.com/robot/send?access_token=abc"
	    "&timestamp=1700000000000&sign=LC7hxZ4wslL%2BP7j7gu1hoQ%2BwzByekL%2ByWgiUMekZs0g%3D");
	body = json_loads(req.body.data, 0, NULL);
	assert_string_equal(json_string_value(
				json_object_get(json_object_get(body, "markdown"), "text")),
	    "正文");
	assert_string_equal(json_string_value(
				json_array_get(json_object_get(json_object_get(body, "at"),
						   "atMobiles"),
				    0)),
	    "13800000001");
	json_decref(body);
	channel_request_cleanup(&req);
	json_decref(p);
}

static void
test_feishu_signs_in_the_body(void **state)
{
	struct config_dest d = dest(CONFIG_CH_FEISHU,
	    "https://open.feishu.cn/open-apis/bot/v2/hook/x", "SECtest-secret");
	json_t *p = json_pack("{s:s, s:s}", "title", "t", "text", "正文"), *body;
	struct channel_request req;
	char err[256];

	(void)state;
	assert_true(channel_build(&d, "hcw_k", 1, 1, p, 1700000000999LL, &req, err, sizeof(err)));
	body = json_loads(req.body.data, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(body, "timestamp")), "1700000000");
	assert_string_equal(json_string_value(json_object_get(body, "sign")),
	    "w45RjJ/JLSmtVNrVDMFrFhYJls6HgrtlxG/UFs43++0=");
	assert_string_equal(json_string_value(json_object_get(body, "msg_type")), "text");
	json_decref(body);
	channel_request_cleanup(&req);
	json_decref(p);
}

static void
test_webhook_signature_reference_vector(void **state)
{
	const char *body = "{\"test\": 2432232314}";
	struct buf sig;

	(void)state;
	buf_init(&sig);
	assert_true(channel_webhook_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	    "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body), &sig));
	assert_string_equal(sig.data, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* Two keys during a rotation: two signatures. */
	buf_reset(&sig);
	assert_true(channel_webhook_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_AAAA",
	    "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body), &sig));
	assert_non_null(strstr(sig.data, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,"));
	buf_reset(&sig);
	assert_false(channel_webhook_signature("whsec_!!notbase64", "m", 1, "x", 1, &sig));
	buf_cleanup(&sig);
}

static void
test_webhook_headers_carry_the_key(void **state)
{
	struct config_dest d = dest(CONFIG_CH_WEBHOOK, "https://erp.example/h",
	    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	json_t *p = json_pack("{s:s, s:s, s:[]}", "title", "t", "text", "x", "items");
	struct channel_request req;
	char err[256];

	(void)state;
	assert_true(channel_build(&d, "hcw_k", 2, 3, p, 1700000000000LL, &req, err, sizeof(err)));
	assert_string_equal(req.headers[1], "webhook-id: hcw_k_2");
	assert_string_equal(req.headers[2], "webhook-timestamp: 1700000000");
	assert_memory_equal(req.headers[3], "webhook-signature: v1,", 22);
	channel_request_cleanup(&req);
	json_decref(p);
}

static void
expect(int channel, long status, const char *body, const char *ra, enum send_outcome o,
    const char *code, double block)
{
	struct send_result r;

	channel_classify(channel, status, body, ra, &r);
	assert_int_equal(r.outcome, o);
	assert_string_equal(r.code, code);
	assert_true(r.block_s == block);
}

static void
test_errors_hidden_in_200(void **state)
{
	(void)state;
	expect(CONFIG_CH_WECOM, 200, "{\"errcode\":0,\"errmsg\":\"ok\"}", NULL, SEND_OK, "", 0);
	expect(CONFIG_CH_WECOM, 200, "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}",
	    NULL, SEND_RETRY, "45009", 60);
	expect(CONFIG_CH_WECOM, 200, "{\"errcode\":93000,\"errmsg\":\"invalid webhook url\"}", NULL,
	    SEND_PERMANENT, "93000", 0);
	expect(CONFIG_CH_DINGTALK, 200, "{\"errcode\":130101,\"errmsg\":\"send too fast\"}", NULL,
	    SEND_RETRY, "130101", 600);
	expect(CONFIG_CH_DINGTALK, 200, "{\"errcode\":310000,\"errmsg\":\"sign not match\"}", NULL,
	    SEND_PERMANENT, "310000", 0);
	expect(CONFIG_CH_DINGTALK, 200, "{\"errcode\":460101,\"errmsg\":\"too long\"}", NULL,
	    SEND_PERMANENT, "460101", 0);
	expect(CONFIG_CH_FEISHU, 200, "{\"code\":0,\"msg\":\"success\",\"data\":{}}", NULL, SEND_OK,
	    "", 0);
	expect(CONFIG_CH_FEISHU, 200, "{\"StatusCode\":0,\"StatusMessage\":\"success\"}", NULL,
	    SEND_OK, "", 0);
	expect(CONFIG_CH_FEISHU, 200, "{\"code\":11232,\"msg\":\"frequency limited\"}", NULL,
	    SEND_RETRY, "11232", 30);
	expect(CONFIG_CH_FEISHU, 200, "{\"code\":19021,\"msg\":\"sign match fail\"}", NULL,
	    SEND_PERMANENT, "19021", 0);
	expect(CONFIG_CH_FEISHU, 400, "{\"code\":9499,\"msg\":\"Bad Request\"}", NULL,
	    SEND_PERMANENT, "9499", 0);
	/* A 200 that says nothing readable: something in between; try again. */
	expect(CONFIG_CH_WECOM, 200, "<html>proxy</html>", NULL, SEND_RETRY, "200", 0);
	expect(CONFIG_CH_WECOM, 502, "bad gateway", NULL, SEND_RETRY, "502", 0);
}

static void
test_real_http_codes(void **state)
{
	(void)state;
	expect(CONFIG_CH_SLACK, 200, "ok", NULL, SEND_OK, "", 0);
	expect(CONFIG_CH_SLACK, 429, "rate_limited", "7", SEND_RETRY, "429", 7);
	expect(CONFIG_CH_SLACK, 429, "rate_limited", NULL, SEND_RETRY, "429", 1);
	expect(CONFIG_CH_SLACK, 404, "channel_not_found", NULL, SEND_PERMANENT, "channel_not_found",
	    0);
	expect(CONFIG_CH_SLACK, 410, "channel_is_archived", NULL, SEND_PERMANENT,
	    "channel_is_archived", 0);
	expect(CONFIG_CH_WEBHOOK, 204, "", NULL, SEND_OK, "", 0);
	expect(CONFIG_CH_WEBHOOK, 503, "", "30", SEND_RETRY, "503", 30);
	expect(CONFIG_CH_WEBHOOK, 401, "bad signature", NULL, SEND_PERMANENT, "401", 0);
}

static void
test_default_paces_stay_under_the_limits(void **state)
{
	struct config_dest d = dest(CONFIG_CH_WECOM, "", "");
	double iv;
	int burst;

	(void)state;
	channel_pace(&d, &iv, &burst);
	/* No 60-second window holds more than 20: one every 60/18 s, no burst. */
	assert_true(iv >= 60.0 / 19 && burst == 1);
	d.type = CONFIG_CH_FEISHU;
	channel_pace(&d, &iv, &burst);
	assert_true(iv >= 0.6 && 60.0 / iv <= 100);
	d.type = CONFIG_CH_WEBHOOK;
	channel_pace(&d, &iv, &burst);
	assert_true(iv == 0);
	/* Slack: at most one in any second at the receiver, with room for the network's jitter. */
	d.type = CONFIG_CH_SLACK;
	channel_pace(&d, &iv, &burst);
	assert_true(iv > 1.05 && burst == 1);
	/* An operator's rate_limit (per minute) gets the same margin: never 601 in a minute. */
	d.type = CONFIG_CH_WEBHOOK;
	d.rate_limit = 600;
	channel_pace(&d, &iv, &burst);
	assert_true(iv > 0.1 && iv <= 0.11);
}

static void
test_smtp_headers(void **state)
{
	struct buf b;
	char addr[64];
	unsigned char *dec;
	size_t n;
	char *p, *q;

	(void)state;
	buf_init(&b);
	smtp_encode_header(&b, "plain ascii");
	assert_string_equal(b.data, "plain ascii");
	buf_reset(&b);
	smtp_encode_header(&b, "hcwatch 告警：三十个资源将在七天内到期，请尽快续费以免服务中断");
	/* Encoded-words no longer than 75 characters, each whole UTF-8. */
	for (p = b.data; (q = strstr(p, "=?UTF-8?B?")) != NULL; p = strstr(q, "?=") + 2) {
		char *end = strstr(q + 10, "?=");

		assert_non_null(end);
		assert_true(end + 2 - q <= 75);
		assert_true(b64_decode(q + 10, (size_t)(end - q - 10), &dec, &n));
		assert_true((dec[0] & 0xC0) != 0x80);
		free(dec);
	}
	buf_cleanup(&b);
	assert_true(smtp_address("值班 <duty@partner.example>",
	    strlen("值班 <duty@partner.example>"), addr, sizeof(addr)));
	assert_string_equal(addr, "duty@partner.example");
	assert_true(smtp_address(" a@b.c ", 7, addr, sizeof(addr)));
	assert_string_equal(addr, "a@b.c");
	assert_false(smtp_address("no address", 10, addr, sizeof(addr)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dingtalk_signs_in_the_query),
		cmocka_unit_test(test_feishu_signs_in_the_body),
		cmocka_unit_test(test_webhook_signature_reference_vector),
		cmocka_unit_test(test_webhook_headers_carry_the_key),
		cmocka_unit_test(test_errors_hidden_in_200),
		cmocka_unit_test(test_real_http_codes),
		cmocka_unit_test(test_default_paces_stay_under_the_limits),
		cmocka_unit_test(test_smtp_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
