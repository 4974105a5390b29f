/* Rendering: templates, and splitting by UTF-8 bytes under each platform's limit. */
#include "test_util.h"

#include <jansson.h>

#include "core/config.h"
#include "notify/render.h"
#include "util/utf8.h"

/* Well-formed UTF-8, no overlongs or cut sequences. */
static bool
valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80	? 0 :
		    (*p & 0xE0) == 0xC0 ? 1 :
		    (*p & 0xF0) == 0xE0 ? 2 :
		    (*p & 0xF8) == 0xF0 ? 3 :
					  -1;

		if (n < 0)
			return false;
		p++;
		while (n--) {
			if ((*p & 0xC0) != 0x80)
				return false;
			p++;
		}
	}
	return true;
}

static json_t *
expiry_item(int n, const char *name)
{
	char rid[32], res[16384];

	snprintf(rid, sizeof(rid), "r%03d", n);
	snprintf(res, sizeof(res), "%s-%03d", name, n);
	return json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b}}",
	    "kind", "expiry", "event", "firing", "stage", "7d", "severity", "warning", "facts",
	    "customer_id", "c1", "customer", "华东测试客户", "resource_id", rid, "resource", res,
	    "service", "云服务器", "region", "cn-north-4", "expire_local", "2026-12-08 10:00",
	    "days_left", 6, "auto_renew", 0);
}

static json_t *
many(int n, const char *name)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(a, expiry_item(i, name));
	return a;
}

static struct render_opts
opts(int channel)
{
	struct render_opts o;

	memset(&o, 0, sizeof(o));
	o.channel = channel;
	o.language = CONFIG_LANG_ZH;
	o.max_parts = 100;
	o.key = "hcw_test";
	return o;
}

static void
test_utf8_prefix(void **state)
{
	const char *s = "中文"; /* two characters of three bytes */

	(void)state;
	assert_int_equal(utf8_prefix(s, 6, 6), 6);
	assert_int_equal(utf8_prefix(s, 6, 5), 3);
	assert_int_equal(utf8_prefix(s, 6, 4), 3);
	assert_int_equal(utf8_prefix(s, 6, 2), 0);
	assert_int_equal(utf8_prefix("abc", 3, 2), 2);
	assert_int_equal(json_escaped_len("a\"b\n\x01", 5), 1 + 2 + 1 + 2 + 6);
}

static void
test_wecom_digest_splits_under_4096_bytes(void **state)
{
	struct render_opts o = opts(CONFIG_CH_WECOM);
	json_t *items = many(60, "生产环境数据库主机"), *parts = render_delivery(&o, items);
	size_t np = json_array_size(parts);
	char marker[64];

	(void)state;
	assert_true(np > 1);
	for (size_t i = 0; i < np; i++) {
		const char *text =
		    json_string_value(json_object_get(json_array_get(parts, i), "text"));

		assert_true(strlen(text) <= 4096);
		assert_true(valid_utf8(text));
		snprintf(marker, sizeof(marker), "(%zu/%zu)", i + 1, np);
		assert_non_null(strstr(text, marker));
		assert_non_null(strstr(text, "hcw_test"));
		/* A part that starts inside a customer repeats its header, marked continued. */
		if (i > 0)
			assert_non_null(strstr(text, "华东测试客户（c1）（续）"));
	}
	/* Every item exactly once. */
	for (int n = 0; n < 60; n++) {
		char needle[64];
		int seen = 0;

		snprintf(needle, sizeof(needle), "生产环境数据库主机-%03d", n);
		for (size_t i = 0; i < np; i++) {
			const char *t =
			    json_string_value(json_object_get(json_array_get(parts, i), "text"));

			for (const char *p = strstr(t, needle); p; p = strstr(p + 1, needle))
				seen++;
		}
		assert_int_equal(seen, 1);
	}
	json_decref(parts);
	json_decref(items);
}

static void
test_a_line_longer_than_a_part_is_cut_on_a_character(void **state)
{
	struct render_opts o = opts(CONFIG_CH_WECOM);
	char name[12001] = "";
	json_t *items, *parts;

	(void)state;
	for (int i = 0; i < 4000; i++)
		strcat(name, "长");
	items = json_pack("[o]", expiry_item(1, name));
	parts = render_delivery(&o, items);
	for (size_t i = 0; i < json_array_size(parts); i++) {
		const char *t =
		    json_string_value(json_object_get(json_array_get(parts, i), "text"));

		assert_true(strlen(t) <= 4096);
		assert_true(valid_utf8(t));
	}
	assert_non_null(
	    strstr(json_string_value(json_object_get(json_array_get(parts, 0), "text")), "…"));
	json_decref(parts);
	json_decref(items);
}

static void
test_too_many_parts_says_how_many_were_left_out(void **state)
{
	struct render_opts o = opts(CONFIG_CH_WECOM);
	json_t *items = many(200, "主机"), *parts;
	const char *last;

	(void)state;
	o.max_parts = 2;
	parts = render_delivery(&o, items);
	assert_int_equal(json_array_size(parts), 2);
	last = json_string_value(json_object_get(json_array_get(parts, 1), "text"));
	assert_non_null(strstr(last, "项未列出"));
	assert_true(strlen(last) <= 4096);
	json_decref(parts);
	json_decref(items);
}

static void
test_dingtalk_counts_the_escaped_body(void **state)
{
	struct render_opts o = opts(CONFIG_CH_DINGTALK);
	json_t *items = many(400, "db\"quoted\"\\name"), *parts;

	(void)state;
	o.mentions = "13800000001";
	parts = render_delivery(&o, items);
	assert_true(json_array_size(parts) > 1);
	for (size_t i = 0; i < json_array_size(parts); i++) {
		json_t *p = json_array_get(parts, i);
		char *body = json_dumps(p, JSON_COMPACT);

		assert_true(strlen(body) < 20000);
		free(body);
		/* The @ goes with the first part only. */
		assert_true((json_object_get(p, "at") != NULL) == (i == 0));
	}
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(parts, 0), "text")),
	    "@13800000001"));
	json_decref(parts);
	json_decref(items);
}

static void
test_templates_english_slack_and_email(void **state)
{
	struct render_opts o = opts(CONFIG_CH_SLACK);
	json_t *items = json_pack("[o, {s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}}]",
	    expiry_item(1, "<web&db>"), "kind", "low_balance", "event", "resolved", "stage",
	    "recovered", "severity", "info", "facts", "customer_id", "c1", "customer",
	    "华东测试客户", "amount", "120.50", "threshold", "100", "currency", "CNY");
	json_t *parts;
	const char *t;

	(void)state;
	o.language = CONFIG_LANG_EN;
	parts = render_delivery(&o, items);
	t = json_string_value(json_object_get(json_array_get(parts, 0), "text"));
	assert_non_null(strstr(t, "\uff1cweb&amp;db\uff1e-001"));
	assert_non_null(strstr(t, "expires on 2026-12-08 10:00, in 6 day(s)"));
	assert_non_null(strstr(t, "Balance recovered: 120.50 CNY available"));
	assert_non_null(strstr(t, "*hcwatch alerts: 2 item(s) (warning 1, resolved 1)*"));
	json_decref(parts);

	o.channel = CONFIG_CH_EMAIL;
	o.language = CONFIG_LANG_ZH;
	parts = render_delivery(&o, items);
	t = json_string_value(json_object_get(json_array_get(parts, 0), "html"));
	assert_non_null(strstr(t, "&lt;web&amp;db&gt;-001"));
	assert_null(strstr(t, "<web&db>"));
	assert_non_null(strstr(t, "余额已恢复：可用 120.50 元"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(parts, 0), "subject")),
	    "hcwatch 告警：2 项（警告 1，恢复 1）");
	json_decref(parts);
	json_decref(items);
}

/* Amounts read with two decimals whatever their text: exact, rounded half away from zero. */
static void
test_amounts_have_two_decimals(void **state)
{
	static const char *const amounts[][2] = {
		{ "0.0", "0.00 CNY" },
		{ "1045.1", "1045.10 CNY" },
		{ "12.345", "12.35 CNY" },
		{ "99.995", "100.00 CNY" },
		{ "-0.004", "0.00 CNY" }, /* and no "-0.00" (below) */
		{ "-7.5", "-7.50 CNY" },
		{ "1.2.3", "1.2.3 CNY" },
	};
	struct render_opts o = opts(CONFIG_CH_SLACK);
	json_t *items = json_array(), *parts;
	const char *t;

	(void)state;
	o.language = CONFIG_LANG_EN;
	for (size_t i = 0; i < sizeof(amounts) / sizeof(amounts[0]); i++) {
		char id[8];

		snprintf(id, sizeof(id), "c%zu", i);
		json_array_append_new(items,
		    json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:i, s:s}}", "kind",
			"low_balance", "event", "firing", "stage", "low", "severity", "warning",
			"facts", "customer_id", id, "customer", id, "amount", amounts[i][0],
			"threshold", 100, "currency", "CNY"));
	}
	parts = render_delivery(&o, items);
	t = json_string_value(json_object_get(json_array_get(parts, 0), "text"));
	for (size_t i = 0; i < sizeof(amounts) / sizeof(amounts[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "%s available, below 100.00 CNY", amounts[i][1]);
		if (strstr(t, want) == NULL)
			fail_msg("no \"%s\" in:\n%s", want, t);
	}
	assert_null(strstr(t, "-0.00"));
	json_decref(parts);
	json_decref(items);
}

/* hcwatch's own alerts have a header of their own, apart from the partner's balance. */
static void
test_own_alerts_under_their_own_header(void **state)
{
	struct render_opts o = opts(CONFIG_CH_WECOM);
	json_t *items = json_pack("[{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}},"
				  " {s:s, s:s, s:s, s:s, s:{s:s, s:i}},"
				  " {s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}}]",
	    "kind", "channel_failing", "event", "firing", "stage", "failing", "severity",
	    "critical", "facts", "scope", "hcwatch", "destination", "ding", "channel", "dingtalk",
	    "error", "errcode 310000", "kind", "dead_letters", "event", "firing", "stage",
	    "piling_up", "severity", "warning", "facts", "scope", "hcwatch", "dead", 12, "kind",
	    "partner_low_balance", "event", "firing", "stage", "low", "severity", "critical",
	    "facts", "account_id", "p1", "amount", "10.00", "threshold", "100");
	json_t *parts = render_delivery(&o, items);
	const char *t = json_string_value(json_object_get(json_array_get(parts, 0), "text"));
	const char *self, *partner;

	(void)state;
	self = strstr(t, "**hcwatch 自身**");
	partner = strstr(t, "**伙伴账户**");
	assert_non_null(self);
	assert_non_null(partner);
	assert_true(self < partner);
	assert_null(strstr(self + 1, "**hcwatch 自身**"));
	assert_non_null(strstr(t, "通知渠道 ding（dingtalk）投递失败：errcode 310000"));
	assert_non_null(strstr(t, "12 条投递成为死信"));
	json_decref(parts);

	o.language = CONFIG_LANG_EN;
	parts = render_delivery(&o, items);
	t = json_string_value(json_object_get(json_array_get(parts, 0), "text"));
	assert_non_null(strstr(t, "**hcwatch itself**"));
	assert_non_null(strstr(t, "Destination ding (dingtalk) fails: errcode 310000"));
	json_decref(parts);
	json_decref(items);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_prefix),
		cmocka_unit_test(test_wecom_digest_splits_under_4096_bytes),
		cmocka_unit_test(test_a_line_longer_than_a_part_is_cut_on_a_character),
		cmocka_unit_test(test_too_many_parts_says_how_many_were_left_out),
		cmocka_unit_test(test_dingtalk_counts_the_escaped_body),
		cmocka_unit_test(test_templates_english_slack_and_email),
		cmocka_unit_test(test_amounts_have_two_decimals),
		cmocka_unit_test(test_own_alerts_under_their_own_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
