/* The binding notification: every path through bind_verify, on fixed vectors. */
#include "test_util.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "util/b64.h"
#include "verify/bindreq.h"
#include "verify/form.h"

#define ALG BIND_SIG_ALG_RSA_SHA256

struct fx {
	struct keyring *keys;
	char *vec_request;
	char *vec_signature;
	EVP_PKEY *priv;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char err[KEYS_ERR_LEN];
	FILE *fp;

	fx->keys = keyring_load("metadata.xml", FIXTURES, err, sizeof(err));
	fx->vec_request = read_fixture("vector-bindrequest.txt");
	fx->vec_signature = read_fixture("vector-signature.txt");
	fp = fopen(fixture_path("test-sp.key"), "r");
	fx->priv = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	*state = fx;
	if (fx->keys == NULL || fx->priv == NULL)
		return -1; /* teardown frees what was loaded */
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	keyring_free(fx->keys);
	EVP_PKEY_free(fx->priv);
	free(fx->vec_request);
	free(fx->vec_signature);
	free(fx);
	return 0;
}

/* Base64 RSA-SHA256 signature of msg with the test key. */
static char *
sign_b64(struct fx *fx, const void *msg, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[512];
	size_t siglen = sizeof(sig);

	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, fx->priv), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, msg, len), 1);
	EVP_MD_CTX_free(ctx);
	return b64_encode(sig, siglen);
}

static void
add(struct form *f, const char *name, const char *value)
{
	char err[FORM_ERR_LEN];
	char *n = form_urlencode(name, strlen(name));
	char *v = form_urlencode(value, strlen(value));
	struct buf b;

	buf_init(&b);
	buf_appendf(&b, "%s=%s", n, v);
	assert_true(form_parse_urlencoded(f, b.data, b.len, err, sizeof(err)));
	buf_cleanup(&b);
	free(n);
	free(v);
}

static enum bind_reason
run(struct fx *fx, const char *rules, const char *req, const char *alg, const char *sig,
    struct bind_notice *out, char *detail)
{
	struct form f;
	enum bind_reason r;

	form_init(&f);
	if (req)
		add(&f, "bindRequest", req);
	if (alg)
		add(&f, "SigAlg", alg);
	if (sig)
		add(&f, "Signature", sig);
	r = bind_verify(fx->keys, rules, &f, out, detail, BIND_DETAIL_LEN);
	form_cleanup(&f);
	return r;
}

/* Signs json (rule A) and verifies it. */
static enum bind_reason
run_json(struct fx *fx, const char *json, struct bind_notice *out, char *detail)
{
	char *req = b64_encode((const unsigned char *)json, strlen(json));
	char *sig = sign_b64(fx, req, strlen(req));
	enum bind_reason r = run(fx, "A", req, ALG, sig, out, detail);

	free(req);
	free(sig);
	return r;
}

static void
test_vector_accepted(void **state)
{
	struct fx *fx = *state;
	struct bind_notice n;
	char detail[BIND_DETAIL_LEN];

	assert_int_equal(run(fx, "A", fx->vec_request, ALG, fx->vec_signature, &n, detail),
	    BIND_OK);
	assert_int_equal(n.rule, 'A');
	assert_int_equal(n.key_index, 0);
	assert_string_equal(n.domain_id, "yongzhiid");
	assert_string_equal(n.domain_name, "yongzhi");
	assert_string_equal(n.x_user_id, "yongzhix");
	assert_null(n.x_account_id);
	assert_string_equal(n.bind_action, "1");
	assert_string_equal(n.bind_request, fx->vec_request);
	/* sha256 of the Base64 text: printf %s TEXT | sha256sum */
	assert_string_equal(n.idem_key,
	    "e1c04ca9e74610828be3e2cb1126cf59ebb2cad1794aa23052285ebd16bcad70");
	bind_notice_cleanup(&n);
}

static void
test_sigalg_case_and_plus_repair(void **state)
{
	struct fx *fx = *state;
	struct bind_notice n;
	char detail[BIND_DETAIL_LEN];
	char *sig = strdup(fx->vec_signature);

	/* The doc renders the URI in upper case; a '+' sent raw arrives as a space. */
	for (char *p = sig; *p; p++) {
		if (*p == '+')
			*p = ' ';
	}
	assert_non_null(strchr(fx->vec_signature, '+'));
	assert_int_equal(run(fx, "A", fx->vec_request,
			     "HTTP://WWW.W3.ORG/2001/04/XMLDSIG-MORE#RSA-SHA256", sig, &n, detail),
	    BIND_OK);
	bind_notice_cleanup(&n);
	free(sig);
}

static void
test_rejections(void **state)
{
	struct fx *fx = *state;
	struct bind_notice n;
	char detail[BIND_DETAIL_LEN];
	char *sig = strdup(fx->vec_signature);
	char *tampered = strdup(fx->vec_request);

	assert_int_equal(run(fx, "A", NULL, ALG, sig, &n, detail), BIND_MISSING_FIELD);
	assert_non_null(strstr(detail, "bindRequest"));
	assert_int_equal(run(fx, "A", fx->vec_request, ALG, NULL, &n, detail), BIND_MISSING_FIELD);
	assert_int_equal(run(fx, "A", fx->vec_request, NULL, sig, &n, detail), BIND_MISSING_FIELD);
	assert_int_equal(run(fx, "A", fx->vec_request, "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
			     sig, &n, detail),
	    BIND_UNKNOWN_SIG_ALG);

	tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
	assert_int_equal(run(fx, "A", tampered, ALG, sig, &n, detail), BIND_BAD_SIGNATURE);
	assert_non_null(strstr(detail, "does not verify"));

	sig[10] = sig[10] == 'A' ? 'B' : 'A';
	assert_int_equal(run(fx, "A", fx->vec_request, ALG, sig, &n, detail), BIND_BAD_SIGNATURE);
	sig[strlen(sig) - 8] = '\0'; /* truncated: valid Base64 of a shorter signature */
	assert_int_equal(run(fx, "A", fx->vec_request, ALG, sig, &n, detail), BIND_BAD_SIGNATURE);
	assert_non_null(strstr(detail, "does not verify"));
	sig[strlen(sig) - 1] = '\0'; /* and no longer a multiple of 4 */
	assert_int_equal(run(fx, "A", fx->vec_request, ALG, sig, &n, detail), BIND_BAD_SIGNATURE);
	assert_non_null(strstr(detail, "Base64"));
	assert_int_equal(run(fx, "A", fx->vec_request, ALG, "", &n, detail), BIND_BAD_SIGNATURE);
	/* Rule B alone does not accept a rule-A signature. */
	assert_int_equal(run(fx, "B", fx->vec_request, ALG, fx->vec_signature, &n, detail),
	    BIND_BAD_SIGNATURE);
	free(sig);
	free(tampered);
}

static void
test_duplicate_fields(void **state)
{
	struct fx *fx = *state;
	struct bind_notice n;
	char detail[BIND_DETAIL_LEN];
	struct form f;

	form_init(&f);
	add(&f, "bindRequest", fx->vec_request);
	add(&f, "SigAlg", ALG);
	add(&f, "Signature", fx->vec_signature);
	add(&f, "Signature", "AAAA");
	add(&f, "somethingElse", "ignored");
	assert_int_equal(bind_verify(fx->keys, "A", &f, &n, detail, sizeof(detail)),
	    BIND_DUPLICATE_FIELD);
	form_cleanup(&f);
}

static void
test_signed_but_malformed(void **state)
{
	struct fx *fx = *state;
	struct bind_notice n;
	char detail[BIND_DETAIL_LEN];
	const char *bad64 = "eyJkb21haW5JZCI6!!notbase64";
	char *sig = sign_b64(fx, bad64, strlen(bad64));

	assert_int_equal(run(fx, "A", bad64, ALG, sig, &n, detail), BIND_BAD_BASE64);
	free(sig);
	assert_int_equal(run_json(fx, "{\"domainId\": \"x\"", &n, detail), BIND_BAD_JSON);
	assert_non_null(strstr(detail, "not JSON"));
	assert_int_equal(run_json(fx, "[1,2]", &n, detail), BIND_BAD_JSON);
	assert_int_equal(run_json(fx, "{\"domainId\":\"a\",\"domainId\":\"b\"}", &n, detail),
	    BIND_BAD_JSON);
	assert_int_equal(run_json(fx, "{\"domainId\":42}", &n, detail), BIND_BAD_JSON);
	assert_non_null(strstr(detail, "domainId"));
	assert_int_equal(run_json(fx, "{\"xUserId\":\"u\",\"domainId\":\"\"}", &n, detail),
	    BIND_MISSING_CUSTOMER);
	assert_int_equal(run_json(fx, "{\"domainName\":\"a\\u0000b\"}", &n, detail), BIND_BAD_JSON);
}

static void
test_fields_optional_unknown_kept(void **state)
{
	struct fx *fx = *state;
	struct bind_notice n;
	char detail[BIND_DETAIL_LEN];

	assert_int_equal(run_json(fx,
			     "{\"domainName\":\"名字\",\"bindAction\":\"rebind\","
			     "\"future\":{\"x\":[1]}}",
			     &n, detail),
	    BIND_OK);
	assert_null(n.domain_id);
	assert_string_equal(n.domain_name, "名字");
	assert_string_equal(n.bind_action, "rebind");
	assert_non_null(json_object_get(n.payload, "future"));
	bind_notice_cleanup(&n);

	assert_int_equal(run_json(fx,
			     "{\"domainId\":\"d\",\"xAccountId\":\"xa\",\"bindAction\":null}", &n,
			     detail),
	    BIND_OK);
	assert_string_equal(n.x_account_id, "xa");
	assert_null(n.bind_action);
	bind_notice_cleanup(&n);
}

static void
test_rules_b_and_c(void **state)
{
	struct fx *fx = *state;
	struct bind_notice n;
	char detail[BIND_DETAIL_LEN];
	const char *json = "{\"domainId\":\"rules\"}";
	char *req = b64_encode((const unsigned char *)json, strlen(json));
	char *enc_req = form_urlencode(req, strlen(req));
	char *enc_alg = form_urlencode(ALG, strlen(ALG));
	struct buf b;
	char *sig_b, *sig_c;

	buf_init(&b);
	buf_appendf(&b, "bindRequest=%s&SigAlg=%s", enc_req, enc_alg);
	sig_b = sign_b64(fx, b.data, b.len);
	sig_c = sign_b64(fx, json, strlen(json));

	assert_int_equal(run(fx, "A", req, ALG, sig_b, &n, detail), BIND_BAD_SIGNATURE);
	assert_int_equal(run(fx, "A,B,C", req, ALG, sig_b, &n, detail), BIND_OK);
	assert_int_equal(n.rule, 'B');
	bind_notice_cleanup(&n);
	assert_int_equal(run(fx, "C", req, ALG, sig_c, &n, detail), BIND_OK);
	assert_int_equal(n.rule, 'C');
	bind_notice_cleanup(&n);

	buf_cleanup(&b);
	free(sig_b);
	free(sig_c);
	free(req);
	free(enc_req);
	free(enc_alg);
}

static void
test_reason_codes_and_status(void **state)
{
	(void)state;
	assert_string_equal(bind_reason_code(BIND_BAD_SIGNATURE), "bad_signature");
	assert_string_equal(bind_reason_code(BIND_BODY_TOO_LARGE), "body_too_large");
	assert_int_equal(bind_reason_status(BIND_BAD_SIGNATURE), 403);
	assert_int_equal(bind_reason_status(BIND_BAD_JSON), 400);
	assert_int_equal(bind_reason_status(BIND_METHOD_NOT_ALLOWED), 405);
	assert_int_equal(bind_reason_status(BIND_UNSUPPORTED_MEDIA_TYPE), 415);
	assert_int_equal(bind_reason_status(BIND_BODY_TOO_LARGE), 413);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector_accepted),
		cmocka_unit_test(test_sigalg_case_and_plus_repair),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_duplicate_fields),
		cmocka_unit_test(test_signed_but_malformed),
		cmocka_unit_test(test_fields_optional_unknown_kept),
		cmocka_unit_test(test_rules_b_and_c),
		cmocka_unit_test(test_reason_codes_and_status),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
