/* Page links: signing on fixed vectors, key rotation, expiry, and forms bound to their page. */
#include "test_util.h"

#include "util/link.h"

#define KEY_A "0123456789abcdef0123456789abcdef"
#define KEY_B "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"
/* Computed apart from this code: HMAC-SHA256(KEY_A, "hcwatch link\n" + body), base64url, 22. */
#define VECTOR "a1234~ops-dingtalk~1767225600~nvCuJx9Bx3Ib32VuHwHwkV"
#define FORM_VECTOR "1767000000~_LuLa2yZaLk2Am8RgzwyWQ"

static struct link
alert_link(void)
{
	struct link l = { LINK_ALERT, "1234", "ops-dingtalk", 1767225600 };

	return l;
}

static void
keys(const char *list, struct link_keys *k)
{
	char err[160];

	assert_true(link_keys_parse(list, k, err, sizeof(err)));
}

static void
test_signs_the_fixed_vector(void **state)
{
	struct link_keys k;
	struct link l = alert_link(), got;
	char token[LINK_TOKEN_LEN];

	(void)state;
	keys(KEY_A, &k);
	assert_true(link_sign(&k, &l, token));
	assert_string_equal(token, VECTOR);
	assert_true(link_verify(&k, VECTOR, 1767225599, &got));
	assert_int_equal(got.kind, 'a');
	assert_string_equal(got.id, "1234");
	assert_string_equal(got.dest, "ops-dingtalk");
	assert_int_equal(got.expires, 1767225600);
	link_keys_free(&k);
}

static void
test_refuses_expired_tampered_and_malformed(void **state)
{
	static const char *const bad[] = {
		"a1235~ops-dingtalk~1767225600~nvCuJx9Bx3Ib32VuHwHwkV", /* another alert */
		"a1234~ops-wecom~1767225600~nvCuJx9Bx3Ib32VuHwHwkV",	/* another destination */
		"d1234~ops-dingtalk~1767225600~nvCuJx9Bx3Ib32VuHwHwkV", /* another kind */
		"a1234~ops-dingtalk~1767225601~nvCuJx9Bx3Ib32VuHwHwkV", /* a later expiry */
		"a1234~ops-dingtalk~1767225600~nvCuJx9Bx3Ib32VuHwHwkW", /* the MAC */
		"a1234~ops-dingtalk~1767225600~nvCuJx9Bx3Ib32VuHwHwk",	/* a short MAC */
		"a1234~ops-dingtalk~1767225600~",
		"a1234~ops-dingtalk~1767225600",
		"",
		"~~~",
		"a1234~ops-dingtalk~1767225600~nvCuJx9Bx3Ib32VuHwHwkVnvCuJx9Bx3Ib32VuHwHwkV",
	};
	struct link_keys k;
	struct link got;

	(void)state;
	keys(KEY_A, &k);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (link_verify(&k, bad[i], 1767000000, &got))
			fail_msg("accepted %s", bad[i]);
	/* Expired at its second, not after. */
	assert_false(link_verify(&k, VECTOR, 1767225600, &got));
	assert_false(link_verify(&k, VECTOR, 1900000000, &got));
	link_keys_free(&k);
}

/* The first key signs; every key verifies; a key dropped verifies nothing more. */
static void
test_key_rotation(void **state)
{
	struct link_keys old, both, next;
	struct link l = alert_link(), got;
	char t_old[LINK_TOKEN_LEN], t_new[LINK_TOKEN_LEN];

	(void)state;
	keys(KEY_A, &old);
	keys(KEY_B ", " KEY_A, &both);
	keys(KEY_B, &next);
	assert_true(link_sign(&old, &l, t_old));
	assert_true(link_sign(&both, &l, t_new));
	assert_string_not_equal(t_old, t_new);
	assert_true(link_verify(&both, t_old, 1767000000, &got));
	assert_true(link_verify(&both, t_new, 1767000000, &got));
	assert_true(link_verify(&next, t_new, 1767000000, &got));
	assert_false(link_verify(&next, t_old, 1767000000, &got));
	link_keys_free(&old);
	link_keys_free(&both);
	link_keys_free(&next);
}

static void
test_keys_and_words_are_checked(void **state)
{
	struct link_keys k;
	struct link l = alert_link();
	char err[160], token[LINK_TOKEN_LEN];

	(void)state;
	assert_false(link_keys_parse("short", &k, err, sizeof(err)));
	assert_non_null(strstr(err, "key 1"));
	assert_null(strstr(err, "short"));
	assert_false(link_keys_parse(KEY_A ", " KEY_A "!", &k, err, sizeof(err)));
	assert_non_null(strstr(err, "key 2"));
	keys(KEY_A, &k);
	snprintf(l.dest, sizeof(l.dest), "%s", "a~b");
	assert_false(link_sign(&k, &l, token));
	snprintf(l.dest, sizeof(l.dest), "%s", "ops");
	snprintf(l.id, sizeof(l.id), "%s", "<script>");
	assert_false(link_sign(&k, &l, token));
	link_keys_free(&k);
	keys("", &k);
	l = alert_link();
	assert_false(link_sign(&k, &l, token));
}

/* A form's token works for its own page, within its age, and for no other page. */
static void
test_forms_are_bound_to_their_page(void **state)
{
	struct link_keys k;
	char form[LINK_TOKEN_LEN];
	const char *other = "a1235~ops-dingtalk~1767225600~xxxxxxxxxxxxxxxxxxxxxx";

	(void)state;
	keys(KEY_A, &k);
	link_form_token(&k, VECTOR, 1767000000, form);
	assert_string_equal(form, FORM_VECTOR);
	assert_true(link_form_ok(&k, VECTOR, form, 1767000100, 86400));
	assert_false(link_form_ok(&k, other, form, 1767000100, 86400));
	assert_false(link_form_ok(&k, VECTOR, form, 1767000000 + 86401, 86400));
	assert_false(link_form_ok(&k, VECTOR, "", 1767000100, 86400));
	assert_false(link_form_ok(&k, VECTOR, "1767000000~", 1767000100, 86400));
	assert_false(
	    link_form_ok(&k, VECTOR, "1767000001~_LuLa2yZaLk2Am8RgzwyWQ", 1767000100, 86400));
	link_keys_free(&k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signs_the_fixed_vector),
		cmocka_unit_test(test_refuses_expired_tampered_and_malformed),
		cmocka_unit_test(test_key_rotation),
		cmocka_unit_test(test_keys_and_words_are_checked),
		cmocka_unit_test(test_forms_are_bound_to_their_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
