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
			assert_non_null(strstr(text, "**客户 华东测试客户（续）**"));
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

/* An item of customer c, with severity and days left, as the outbox hands them over. */
static json_t *
customer_item(const char *c, const char *severity, int days, int alert_id)
{
	char res[32];

	snprintf(res, sizeof(res), "%s-host-%d", c, alert_id);
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
			 "s:i, s:b}}",
	    "kind", "expiry", "event", "firing", "stage", "7d", "severity", severity, "alert_id",
	    alert_id, "facts", "customer_id", c, "customer", c, "resource_id", res, "resource", res,
	    "service", "弹性云服务器", "service_code", "hws.service.type.ec2", "region",
	    "cn-north-4", "expire_local", "2026-12-08 10:00 UTC+08:00", "days_left", days,
	    "auto_renew", 0);
}

static int
count_in_parts(const json_t *parts, const char *needle)
{
	int seen = 0;

	for (size_t i = 0; i < json_array_size(parts); i++) {
		const char *t =
		    json_string_value(json_object_get(json_array_get(parts, i), "text"));

		for (const char *p = strstr(t, needle); p; p = strstr(p + 1, needle))
			seen++;
	}
	return seen;
}

/*
 * Past max_parts, what is not critical is cut and the customers it was about
 * are named; critical items are never cut, however many parts they take.
 */
static void
test_critical_items_are_never_cut(void **state)
{
	struct render_opts o = opts(CONFIG_CH_WECOM);
	json_t *items = json_array(), *parts;
	const char *last;
	int id = 0;

	(void)state;
	/* Warnings of one customer first, criticals of forty others after them. */
	for (int i = 0; i < 60; i++)
		json_array_append_new(items, customer_item("warm", "warning", 20, ++id));
	for (int c = 0; c < 40; c++) {
		char name[16];

		snprintf(name, sizeof(name), "hot%02d", c);
		for (int i = 0; i < 3; i++)
			json_array_append_new(items, customer_item(name, "critical", 2, ++id));
	}
	for (int c = 0; c < 30; c++) {
		char name[16];

		snprintf(name, sizeof(name), "cold%02d", c);
		json_array_append_new(items, customer_item(name, "warning", 25, ++id));
	}
	o.max_parts = 1;
	parts = render_delivery(&o, items);
	assert_true(json_array_size(parts) > 1);
	for (int c = 0; c < 40; c++) {
		char needle[32];

		for (int i = 0; i < 3; i++) {
			snprintf(needle, sizeof(needle), "hot%02d-host-%d", c, 61 + c * 3 + i);
			if (count_in_parts(parts, needle) != 1)
				fail_msg("critical item %s told %d times", needle,
				    count_in_parts(parts, needle));
		}
	}
	last = json_string_value(
	    json_object_get(json_array_get(parts, json_array_size(parts) - 1), "text"));
	assert_non_null(strstr(last, "项未列出（客户 cold"));
	assert_non_null(strstr(last, " 等 "));
	assert_true(strlen(last) <= 4096);
	json_decref(parts);
	json_decref(items);
}

/* Whose it is, what to do, and one line where a customer is both in arrears and low. */
static void
test_header_names_account_and_manager_and_says_what_to_do(void **state)
{
	struct render_opts o = opts(CONFIG_CH_DINGTALK);
	json_t *items = json_pack("[o, {s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}},"
				  " {s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}}]",
	    customer_item("c9", "critical", 1, 7), "kind", "arrears", "event", "firing", "stage",
	    "arrears", "severity", "critical", "facts", "customer_id", "c9", "customer", "c9",
	    "debt", "35.5", "currency", "CNY", "account_name", "c9", "kind", "low_balance", "event",
	    "firing", "stage", "low", "severity", "warning", "facts", "customer_id", "c9", "amount",
	    "-35.5", "threshold", "100", "currency", "CNY");
	json_t *f = json_object_get(json_array_get(items, 0), "facts");
	json_t *parts;
	const char *t;

	(void)state;
	json_object_set_new(f, "customer", json_string("华北示例科技"));
	json_object_set_new(f, "account_name", json_string("hb_example"));
	json_object_set_new(f, "manager_name", json_string("王经理"));
	parts = render_delivery(&o, items);
	t = json_string_value(json_object_get(json_array_get(parts, 0), "text"));
	assert_non_null(strstr(t, "**客户 华北示例科技**（账号 hb_example） · 客户经理 王经理"));
	assert_non_null(strstr(t, "→ 处理：续费 1 项资源；充值"));
	/* Arrears and low balance: one line. */
	assert_non_null(strstr(t, "欠费 35.50 元；余额不足：可用 -35.50 元，低于阈值 100.00 元"));
	assert_int_equal(count_in_parts(parts, "余额不足"), 1);
	json_decref(parts);

	/* English: the service in English, never Huawei's Chinese name. */
	o.language = CONFIG_LANG_EN;
	parts = render_delivery(&o, items);
	t = json_string_value(json_object_get(json_array_get(parts, 0), "text"));
	assert_non_null(strstr(t, "Elastic Cloud Server c9-host-7"));
	assert_null(strstr(t, "弹性云服务器"));
	assert_non_null(strstr(t, "→ To do: renew 1 resource(s); top up"));
	assert_non_null(strstr(t, "2026-12-08 10:00 UTC+08:00"));
	json_decref(parts);
	json_decref(items);
}

static char *
fake_link(const void *arg, char kind, const char *id)
{
	char url[128];

	snprintf(url, sizeof(url), "%s/l/%c%s.sig", (const char *)arg, kind, id);
	return strdup(url);
}

/* With pages, every item and customer links to its page, and a cut ends with the digest's. */
static void
test_links_to_pages_never_to_a_command(void **state)
{
	struct render_links links = { "https://hcw.example.com/l/d42.sig",
		"https://console.example.com/customers/{customer_id}", fake_link,
		"https://hcw.example.com" };
	struct render_opts o = opts(CONFIG_CH_WECOM);
	json_t *items = json_array(), *parts;
	const char *t;

	(void)state;
	for (int i = 0; i < 300; i++)
		json_array_append_new(items, customer_item("c1", "warning", 20, i + 1));
	o.links = &links;
	o.max_parts = 1;
	parts = render_delivery(&o, items);
	t = json_string_value(json_object_get(json_array_get(parts, 0), "text"));
	assert_int_equal(json_array_size(parts), 1);
	assert_non_null(strstr(t, "c1-host-1（cn-north-4）"));
	assert_non_null(strstr(t, "[详情](https://hcw.example.com/l/a1.sig)"));
	assert_non_null(strstr(t, "[客户详情](https://hcw.example.com/l/cc1.sig)"));
	assert_non_null(strstr(t, "[伙伴中心](https://console.example.com/customers/c1)"));
	assert_non_null(
	    strstr(t, "项未列出（客户 c1）：[全部告警](https://hcw.example.com/l/d42.sig)"));
	assert_null(strstr(t, "hcwatch alerts list"));
	assert_true(strlen(t) <= 4096);
	json_decref(parts);

	/* Email: links are links in the HTML, and the text carries them bare. */
	o.channel = CONFIG_CH_EMAIL;
	parts = render_delivery(&o, items);
	t = json_string_value(json_object_get(json_array_get(parts, 0), "html"));
	assert_non_null(strstr(t, "<a href=\"https://hcw.example.com/l/a1.sig\">详情</a>"));
	assert_non_null(strstr(t, "<a href=\"https://hcw.example.com/l/d42.sig\">全部告警</a>"));
	t = json_string_value(json_object_get(json_array_get(parts, 0), "text"));
	assert_non_null(strstr(t, "详情: https://hcw.example.com/l/a1.sig"));
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
		cmocka_unit_test(test_critical_items_are_never_cut),
		cmocka_unit_test(test_header_names_account_and_manager_and_says_what_to_do),
		cmocka_unit_test(test_links_to_pages_never_to_a_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
