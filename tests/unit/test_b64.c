/* Base64 and hex: RFC 4648 vectors and the strictness the signature checks rely on. */
#include "test_util.h"

#include "util/b64.h"

static void
check_decode(const char *in, const char *want)
{
	unsigned char *out;
	size_t n;

	assert_true(b64_decode(in, strlen(in), &out, &n));
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
	free(out);
}

static void
check_rejects(const char *in)
{
	unsigned char *out = (unsigned char *)"sentinel";
	size_t n = 99;

	assert_false(b64_decode(in, strlen(in), &out, &n));
	assert_null(out);
	assert_int_equal(n, 0);
}

static void
test_rfc4648_vectors(void **state)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v",
		"Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };

	(void)state;
	for (size_t i = 0; i < 7; i++) {
		char *e = b64_encode((const unsigned char *)plain[i], strlen(plain[i]));

		assert_string_equal(e, enc[i]);
		free(e);
		check_decode(enc[i], plain[i]);
	}
}

static void
test_decode_rejects(void **state)
{
	(void)state;
	check_rejects("Zg=");	    /* length not a multiple of 4 */
	check_rejects("Zm9v YmFy"); /* space: the caller repairs '+' first */
	check_rejects("Zm9v\nYmFy");
	check_rejects("Z===");	   /* too much padding */
	check_rejects("Zg==Zg=="); /* padding in the middle */
	check_rejects("Zh==");	   /* non-zero bits under the padding */
	check_rejects("Zm9=");
	check_rejects("Zm9v-_=="); /* URL-safe alphabet is not Huawei's */
}

static void
test_binary_roundtrip(void **state)
{
	unsigned char all[256], *out;
	size_t n;
	char *e;

	(void)state;
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	e = b64_encode(all, sizeof(all));
	assert_true(b64_decode(e, strlen(e), &out, &n));
	assert_int_equal(n, 256);
	assert_memory_equal(out, all, 256);
	free(out);
	free(e);
}

static void
test_hex(void **state)
{
	char out[9];

	(void)state;
	hex_encode((const unsigned char *)"\x00\x9f\xff\x10", 4, out);
	assert_string_equal(out, "009fff10");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_decode_rejects),
		cmocka_unit_test(test_binary_roundtrip),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
