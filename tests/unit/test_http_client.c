/* What error texts may say about a URL: its host, never its credentials. */
#include "test_util.h"

#include "net/http_client.h"

static void
test_url_host(void **state)
{
	char host[128];

	(void)state;
	http_url_host("https://oapi.dingtalk.com/robot/send?access_token=abc", host, sizeof(host));
	assert_string_equal(host, "oapi.dingtalk.com");
	http_url_host("http://user:pw@127.0.0.1:8080/x", host, sizeof(host));
	assert_string_equal(host, "127.0.0.1:8080");
	http_url_host("smtps://[::1]:465", host, sizeof(host));
	assert_string_equal(host, "[::1]:465");
	http_url_host("not a url", host, sizeof(host));
	assert_string_equal(host, "(a URL that does not parse)");
}

static void
test_redact(void **state)
{
	static const struct {
		const char *url, *secret, *in, *out;
	} cases[] = {
		/* Query values of any length from four characters, the whole query, the URL. */
		{ "https://h/robot/send?access_token=tok1&timestamp=1", NULL,
		    "refused https://h/robot/send?access_token=tok1&timestamp=1 and tok1",
		    "refused … and …" },
		/* Path segments long enough to be a token; short ones are words. */
		{ "https://hooks.slack.com/services/T0/B0/aaaabbbbccccdddd", NULL,
		    "Cannot POST /services/T0/B0/aaaabbbbccccdddd: send failed",
		    "Cannot POST …: send failed" },
		{ "https://hooks.slack.com/services/T0/B0/aaaabbbbccccdddd", NULL,
		    "token aaaabbbbccccdddd was revoked", "token … was revoked" },
		/* A user and a password in the URL, and the secret given apart. */
		{ "smtp://mailer:hunter22@mail.example", "SECabcdef",
		    "login mailer:hunter22, SECabcdef", "login …, …" },
		{ "smtp://mail.example", NULL, "nothing to hide", "nothing to hide" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256];

		snprintf(text, sizeof(text), "%s", cases[i].in);
		http_redact(text, cases[i].url, cases[i].secret);
		assert_string_equal(text, cases[i].out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_host),
		cmocka_unit_test(test_redact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
