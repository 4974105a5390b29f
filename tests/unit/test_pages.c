/* The pages' HTML: outside text is text, forms carry their token, charts are drawn. */
#include "test_util.h"

#include <jansson.h>

#include "core/config.h"
#include "util/buf.h"
#include "web/pages.h"

static const char *const hostile[] = {
	"<script>alert(1)</script>",
	"\"><img src=x onerror=alert(1)>",
	"' onmouseover='alert(1)",
	"</title><svg/onload=alert(1)>",
	"<a href=\"javascript:alert(1)\">x</a>",
	"&lt;script&gt;",
};

static char *
fake_link(const void *arg, char kind, const char *id)
{
	char url[160];

	(void)arg;
	snprintf(url, sizeof(url), "https://hcw.example.com/l/%c%s~ding~1~sig", kind, id);
	return strdup(url);
}

static struct page_ctx
ctx(int language)
{
	struct page_ctx c;

	memset(&c, 0, sizeof(c));
	c.language = language;
	c.form = "1767000000~FORMTOKENFORMTOKEN0000";
	c.link = fake_link;
	c.console_url = "https://console.example.com/c/{customer_id}";
	c.note_max = 500;
	c.critical_days = 3;
	return c;
}

/* No tag of the hostile text survives: every < it had is &lt; now. */
static void
assert_inert(const char *html)
{
	static const char *const tags[] = { "<script", "<img", "<svg/", "<a href=\"javascript",
		"onmouseover='", "</title><svg" };

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (strstr(html, tags[i]))
			fail_msg("\"%s\" in the page:\n%s", tags[i], html);
}

static json_t *
alert_doc(const char *evil)
{
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:{s:s, s:s, "
			 "s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:s}, s:{s:s, s:s, s:s, s:s}, "
			 "s:{s:s, s:s, s:s, s:b}, s:[{s:s, s:s, s:s, s:s, s:[{s:s, s:s, s:s}]}], "
			 "s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:s}]}",
	    "id", 7, "kind", "expiry", "severity", "critical", "state", "acknowledged", "stage",
	    "3d", "customer_id", "c1", "resource_id", "r1", "days_left", 3, "expire",
	    "2026-12-04 08:00 UTC+08:00", "acked_by", evil, "ack_note", evil, "facts",
	    "customer_id", "c1", "customer", evil, "resource", evil, "service", evil, "region",
	    "cn-north-4", "expire_local", "2026-12-04 08:00 UTC+08:00", "manager", evil,
	    "days_left", 3, "auto_renew", 0, "stage", "3d", "customer", "name", evil,
	    "account_name", evil, "amount", "12.50", "currency", "CNY", "resource", "name", evil,
	    "region", "cn-north-4", "service", evil, "auto_renew", 0, "told", "event", "firing",
	    "stage", "3d", "severity", "critical", "at", "2026-12-01 08:00 UTC+08:00", "deliveries",
	    "destination", "ding", "state", "delivered", "delivered", "2026-12-01 08:01 UTC+08:00",
	    "actions", "action", "acknowledge", "at", "2026-12-01 09:00 UTC+08:00", "name", evil,
	    "note", evil, "destination", "ding", "address", "127.0.0.1", "user_agent", evil);
}

static void
test_alert_page_holds_hostile_text_as_text(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		struct page_ctx c = ctx(i % 2 ? CONFIG_LANG_EN : CONFIG_LANG_ZH);
		json_t *doc = alert_doc(hostile[i]);
		struct buf b;

		assert_non_null(doc);
		buf_init(&b);
		page_alert(&c, doc, &b);
		assert_inert(b.data);
		/* The three forms, each with the page's token, none without. */
		assert_non_null(strstr(b.data, "<form method=\"post\" id=\"acknowledge\">"));
		assert_non_null(strstr(b.data, "id=\"silence\""));
		assert_non_null(strstr(b.data, "value=\"stage\""));
		assert_non_null(
		    strstr(b.data, "name=\"csrf\" value=\"1767000000~FORMTOKENFORMTOKEN0000\""));
		assert_non_null(strstr(b.data, "https://console.example.com/c/c1"));
		assert_null(strstr(b.data, "<script"));
		assert_null(strstr(b.data, " style=\""));
		buf_cleanup(&b);
		json_decref(doc);
	}
}

/* A resolved alert offers nothing to do. */
static void
test_resolved_alert_has_no_forms(void **state)
{
	struct page_ctx c = ctx(CONFIG_LANG_ZH);
	json_t *doc = alert_doc("x");
	struct buf b;

	(void)state;
	json_object_set_new(doc, "state", json_string("resolved"));
	json_object_set_new(doc, "resolved", json_string("2026-12-02 08:00 UTC+08:00"));
	json_object_set_new(doc, "resolution", json_string("renewed"));
	buf_init(&b);
	page_alert(&c, doc, &b);
	assert_null(strstr(b.data, "<form"));
	assert_non_null(strstr(b.data, "已恢复"));
	buf_cleanup(&b);
	json_decref(doc);
}

static void
test_customer_page_draws_its_charts(void **state)
{
	struct page_ctx c = ctx(CONFIG_LANG_EN);
	json_t *doc =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:[], s:[{s:s, s:s, s:s, s:s, s:i, s:b},"
		      " {s:s, s:s, s:s, s:s, s:i, s:b}], s:[{s:s, s:s}, {s:s, s:s}], s:[]}",
		"customer_id", "c1", "name", hostile[0], "account_name", hostile[1], "amount",
		"80.00", "currency", "CNY", "alerts", "resources", "name", hostile[3], "service",
		"ECS", "region", "cn-north-4", "expire", "2026-12-04", "days_left", 2, "auto_renew",
		0, "name", "r2", "service", "ECS", "region", "cn-north-4", "expire", "2027-01-04",
		"days_left", 34, "auto_renew", 1, "balances", "day", "11-30", "amount", "100.00",
		"day", "12-01", "amount", "80.00", "told");
	struct buf b;

	(void)state;
	assert_non_null(doc);
	buf_init(&b);
	page_customer(&c, doc, &b);
	assert_inert(b.data);
	assert_non_null(strstr(b.data, "<polyline"));
	assert_int_equal(2, (int)(strstr(strstr(b.data, "<circle") + 1, "<circle") ? 2 : 1));
	assert_non_null(strstr(b.data, "fill=\"#c62828\"")); /* within critical_days */
	assert_non_null(strstr(b.data, "fill=\"#9e9e9e\"")); /* renews itself */
	buf_cleanup(&b);
	json_decref(doc);
}

/* Every link that opens nothing gets this one page, whatever was wrong with it. */
static void
test_not_found_is_one_page(void **state)
{
	struct buf a, b;

	(void)state;
	buf_init(&a);
	buf_init(&b);
	page_not_found(&a);
	page_not_found(&b);
	assert_string_equal(a.data, b.data);
	assert_non_null(strstr(a.data, "Link not valid"));
	buf_cleanup(&a);
	buf_cleanup(&b);
	assert_true(strncmp(page_style_hash(), "'sha256-", 8) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alert_page_holds_hostile_text_as_text),
		cmocka_unit_test(test_resolved_alert_has_no_forms),
		cmocka_unit_test(test_customer_page_draws_its_charts),
		cmocka_unit_test(test_not_found_is_one_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
