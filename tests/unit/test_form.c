/* Form bodies: both encodings, percent escapes, '+', duplicates, and broken input. */
#include "test_util.h"

#include "verify/form.h"

static void
test_urlencoded(void **state)
{
	const char *body =
	    "bindRequest=eyJh%3D%3D&SigAlg=http%3A%2F%2Fx%23rsa&a+b=c+d%2B&empty=&flag";
	struct form f;
	char err[FORM_ERR_LEN];

	(void)state;
	form_init(&f);
	assert_true(form_parse_urlencoded(&f, body, strlen(body), err, sizeof(err)));
	assert_int_equal(f.n, 5);
	assert_string_equal(form_get(&f, "bindRequest")->value, "eyJh==");
	assert_string_equal(form_get(&f, "SigAlg")->value, "http://x#rsa");
	assert_string_equal(form_get(&f, "a b")->value, "c d+");
	assert_string_equal(form_get(&f, "empty")->value, "");
	assert_string_equal(form_get(&f, "flag")->value, "");
	assert_null(form_get(&f, "missing"));
	form_cleanup(&f);
}

static void
test_urlencoded_nul_and_duplicates(void **state)
{
	const char *body = "x=a%00b&x=2&&y=%e4%b8%ad";
	struct form f;
	char err[FORM_ERR_LEN];

	(void)state;
	form_init(&f);
	assert_true(form_parse_urlencoded(&f, body, strlen(body), err, sizeof(err)));
	assert_int_equal(form_count(&f, "x"), 2);
	assert_int_equal(form_get(&f, "x")->value_len, 3);
	assert_memory_equal(form_get(&f, "x")->value, "a\0b", 3);
	assert_string_equal(form_get(&f, "y")->value, "\xe4\xb8\xad");
	form_cleanup(&f);
}

static void
test_urlencoded_bad_escapes(void **state)
{
	static const char *const bad[] = { "a=%", "a=%4", "a=%zz", "a=ok&b=%G0", "%=1" };
	struct form f;
	char err[FORM_ERR_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		form_init(&f);
		err[0] = '\0';
		assert_false(form_parse_urlencoded(&f, bad[i], strlen(bad[i]), err, sizeof(err)));
		assert_non_null(strstr(err, "percent"));
		form_cleanup(&f);
	}
}

static void
test_too_many_fields(void **state)
{
	struct buf b;
	struct form f;
	char err[FORM_ERR_LEN];

	(void)state;
	buf_init(&b);
	for (int i = 0; i <= FORM_MAX_FIELDS; i++)
		buf_appendf(&b, "f%d=1&", i);
	form_init(&f);
	assert_false(form_parse_urlencoded(&f, b.data, b.len, err, sizeof(err)));
	assert_non_null(strstr(err, "more than"));
	form_cleanup(&f);
	buf_cleanup(&b);
}

static void
test_multipart(void **state)
{
	const char *ct = "multipart/form-data; boundary=\"XyZ\"";
	const char *body = "preamble\r\n"
			   "--XyZ\r\n"
			   "Content-Disposition: form-data; name=\"bindRequest\"\r\n"
			   "\r\n"
			   "eyJh+/==\r\n"
			   "--XyZ\r\n"
			   "content-disposition: form-data; name=SigAlg\r\n"
			   "Content-Type: text/plain\r\n"
			   "\r\n"
			   "line1\r\nline2\r\n"
			   "--XyZ--\r\n";
	struct form f;
	char err[FORM_ERR_LEN];

	(void)state;
	form_init(&f);
	assert_true(form_parse_multipart(&f, ct, body, strlen(body), err, sizeof(err)));
	assert_int_equal(f.n, 2);
	/* multipart carries '+' as is: nothing to decode */
	assert_string_equal(form_get(&f, "bindRequest")->value, "eyJh+/==");
	assert_string_equal(form_get(&f, "SigAlg")->value, "line1\r\nline2");
	form_cleanup(&f);
}

static void
test_multipart_broken(void **state)
{
	static const struct {
		const char *ct, *body, *why;
	} cases[] = {
		{ "multipart/form-data", "--a\r\n\r\nx\r\n--a--", "boundary" },
		{ "multipart/form-data; boundary=a", "no delimiter here", "boundary" },
		{ "multipart/form-data; boundary=a",
		    "--a\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nvalue", "closed" },
		{ "multipart/form-data; boundary=a",
		    "--a\r\nContent-Disposition: form-data; name=\"x\"", "blank line" },
		{ "multipart/form-data; boundary=a", "--a\r\nX-Other: 1\r\n\r\nv\r\n--a--",
		    "Content-Disposition" },
		{ "multipart/form-data; boundary=a", "--aXX", "CRLF" },
	};
	struct form f;
	char err[FORM_ERR_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		form_init(&f);
		err[0] = '\0';
		assert_false(form_parse_multipart(&f, cases[i].ct, cases[i].body,
		    strlen(cases[i].body), err, sizeof(err)));
		if (strstr(err, cases[i].why) == NULL)
			fail_msg("case %zu: \"%s\" does not mention %s", i, err, cases[i].why);
		form_cleanup(&f);
	}
}

static void
test_media_type_and_urlencode(void **state)
{
	char m[64];
	char *e;

	(void)state;
	form_media_type(" Application/X-WWW-Form-Urlencoded ; charset=UTF-8", m, sizeof(m));
	assert_string_equal(m, "application/x-www-form-urlencoded");
	form_media_type(NULL, m, sizeof(m));
	assert_string_equal(m, "");
	e = form_urlencode("a+b/c=d e~\xe4", 11);
	assert_string_equal(e, "a%2Bb%2Fc%3Dd%20e~%E4");
	free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urlencoded),
		cmocka_unit_test(test_urlencoded_nul_and_duplicates),
		cmocka_unit_test(test_urlencoded_bad_escapes),
		cmocka_unit_test(test_too_many_fields),
		cmocka_unit_test(test_multipart),
		cmocka_unit_test(test_multipart_broken),
		cmocka_unit_test(test_media_type_and_urlencode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
