/*
 * Outside text is data on every channel: the hostile names seen in the
 * field, a property over random hostile strings, and what a few of them
 * look like once escaped.
 */
#include "test_util.h"

#include "../fuzz/markup.h"
#include "notify/channels.h"
#include "notify/escape.h"

static char *
escaped(int channel, const char *s)
{
	struct buf b;

	buf_init(&b);
	escape_outside(channel_ops(channel)->dialect, &b, s);
	return buf_release(&b);
}

/* What customers put into their resource and account names, and what reached a group. */
static const char *const field_cases[] = {
	"[续费点此](http://evil.example/pay)",
	"<font color=\"warning\">紧急：请立即转账</font>",
	"<@zhangsan>",
	"<at user_id=\"all\">所有人</at>",
	"![x](http://evil.example/a.png)",
	"abc\u202Efdp.exe",
	"名称\n### [紧急] 伪造标题",
	"x\r\n> 引用\n- 列表\n1. 编号",
	"@all @13800000000",
	"<!channel> <!here|here>",
	":rotating_light: *bold* _it_ ~strike~ `code`",
	"&lt;font color=red&gt;",
	"www.evil.com evil.example/path user@evil.example",
	"https://evil.example:8443/x?y=1#z",
	"\\*not bold\\*",
	"a\u2028b\u2029c\xc2\x85"
	"d",
	"| a | b |\n|---|---|",
	"\xff\xfe\xc0\xaf\xed\xa0\x80 bytes that are not UTF-8",
	"#标题",
	"- 开头是横线",
	"10.0.0.1 web-01.prod db_prod_01",
	"\u200Bevil\u2060.example",
};

static void
test_field_cases_stay_data(void **state)
{
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(field_cases) / sizeof(field_cases[0]); i++) {
		if (!markup_kept_out(field_cases[i], why, sizeof(why)))
			fail_msg("%s: %s", field_cases[i], why);
	}
}

static void
test_random_hostile_strings_stay_data(void **state)
{
	static const char *const pieces[] = {
		"[",
		"]",
		"(",
		")",
		"!",
		"<",
		">",
		"/",
		"@",
		"#",
		"*",
		"_",
		"~",
		"`",
		"|",
		"\\",
		"&",
		":",
		".",
		"-",
		"+",
		"=",
		"1",
		"a",
		"Z",
		" ",
		"\n",
		"\r",
		"\t",
		"http",
		"://",
		"www",
		"com",
		"all",
		"at",
		"font",
		"lt;",
		"amp;",
		"\u202E",
		"\u2066",
		"\u200F",
		"\u2028",
		"\x01",
		"\x7f",
		"\xc2\x85",
		"\xff",
		"\xe4\xb8",
		"中",
		"客户",
		"\xf0\x9f\x98\x80",
	};
	unsigned seed = 20261201;
	char why[256];

	(void)state;
	for (int round = 0; round < 400; round++) {
		struct buf b;
		int n = 1 + rand_r(&seed) % 24;

		buf_init(&b);
		for (int i = 0; i < n; i++)
			buf_append_str(&b,
			    pieces[rand_r(&seed) % (sizeof(pieces) / sizeof(pieces[0]))]);
		if (!markup_kept_out(b.data, why, sizeof(why))) {
			struct buf v;

			buf_init(&v);
			utf8_visible(&v, b.data, b.len);
			fail_msg("round %d, \"%s\": %s", round, v.data, why);
		}
		buf_cleanup(&b);
	}
}

static void
test_what_escaped_text_looks_like(void **state)
{
	static const struct {
		int channel;
		const char *in, *out;
	} cases[] = {
		{ CONFIG_CH_WECOM, "[续费点此](http://evil.example/pay)",
		    "［续费点此］(http∶//evil․example/pay)" },
		{ CONFIG_CH_FEISHU, "<at user_id=\"all\">", "＜at user_id=\"all\"＞" },
		{ CONFIG_CH_DINGTALK, "名称\n### 伪造", "名称 ＃＃＃ 伪造" },
		{ CONFIG_CH_SLACK, "<!channel> a&b :fire:", "＜!channel＞ a&amp;b ∶fire∶" },
		/* Names people copy into the console stay as they are where nothing opens markup.
		 */
		{ CONFIG_CH_WECOM, "db_prod_01 10.0.0.1 主机-01", "db_prod_01 10.0.0.1 主机-01" },
		/* Bidi controls are shown, not obeyed; bytes that are not UTF-8 become U+FFFD. */
		{ CONFIG_CH_EMAIL, "abc\u202Efdp\xff", "abc⟨U+202E⟩fdp\uFFFD" },
		/* Plain channels keep markup characters: they mean nothing there. */
		{ CONFIG_CH_WEBHOOK, "[a](b) <c> line\nbreak", "[a](b) <c> line break" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = escaped(cases[i].channel, cases[i].in);

		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

/* The visible form for logs and records. */
static void
test_utf8_visible(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	utf8_visible(&b, "ok 中\n\x1b[31m\xff\u202E\\", strlen("ok 中\n\x1b[31m\xff\u202E\\"));
	assert_string_equal(b.data, "ok 中\\n\\u{001B}[31m\\xFF\\u{202E}\\\\");
	assert_true(utf8_valid(b.data, b.len));
	buf_cleanup(&b);
	assert_false(utf8_valid("\xc0\xaf", 2));	 /* overlong '/' */
	assert_false(utf8_valid("\xed\xa0\x80", 3));	 /* a surrogate */
	assert_false(utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
	assert_true(utf8_valid("\xf4\x8f\xbf\xbf", 4));
}

/* An empty buffer handed over is an empty string, not uninitialised memory. */
static void
test_buf_release_empty(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b);
	s = buf_release(&b);
	assert_string_equal(s, "");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_cases_stay_data),
		cmocka_unit_test(test_random_hostile_strings_stay_data),
		cmocka_unit_test(test_what_escaped_text_looks_like),
		cmocka_unit_test(test_utf8_visible),
		cmocka_unit_test(test_buf_release_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
