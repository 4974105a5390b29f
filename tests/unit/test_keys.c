/* Huawei's keys: PEM files, SP metadata.xml, rotation lists, and what must be refused. */
#include "test_util.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util/b64.h"
#include "verify/keys.h"

static char *
der_base64_of(const char *fixture)
{
	FILE *fp = fopen(fixture_path(fixture), "r");
	X509 *cert;
	unsigned char *der = NULL;
	char *b64;
	int n;

	assert_non_null(fp);
	cert = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(cert);
	n = i2d_X509(cert, &der);
	b64 = b64_encode(der, (size_t)n);
	OPENSSL_free(der);
	X509_free(cert);
	return b64;
}

static void
test_metadata_takes_signing_cert_only(void **state)
{
	char *xml = read_fixture("metadata.xml");
	char *want = der_base64_of("test-sp.crt");
	char **certs;
	size_t n;
	char err[KEYS_ERR_LEN];

	(void)state;
	assert_true(metadata_signing_certs(xml, strlen(xml), &certs, &n, err, sizeof(err)));
	assert_int_equal(n, 1);
	assert_string_equal(certs[0], want);
	metadata_certs_free(certs, n);
	free(want);
	free(xml);
}

static void
test_metadata_shapes(void **state)
{
	/* Default namespace, no use attribute, wrapped Base64; a signature block is not a key. */
	const char *xml =
	    "<EntityDescriptor xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\">"
	    "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><KeyInfo><X509Data>"
	    "<X509Certificate>SIGNER</X509Certificate></X509Data></KeyInfo></Signature>"
	    "<SPSSODescriptor><KeyDescriptor><KeyInfo xmlns=\"http://www.w3.org/2000/09/xmldsig#\">"
	    "<X509Data><X509Certificate>\n  QUJD\n  REVG\n</X509Certificate></X509Data></KeyInfo>"
	    "</KeyDescriptor>"
	    "<KeyDescriptor use=\"encryption\"><KeyInfo xmlns=\"http://www.w3.org/2000/09/xmldsig#\">"
	    "<X509Data><X509Certificate>ENC</X509Certificate></X509Data></KeyInfo></KeyDescriptor>"
	    "</SPSSODescriptor></EntityDescriptor>";
	char **certs;
	size_t n;
	char err[KEYS_ERR_LEN];

	(void)state;
	assert_true(metadata_signing_certs(xml, strlen(xml), &certs, &n, err, sizeof(err)));
	assert_int_equal(n, 1);
	assert_string_equal(certs[0], "QUJDREVG");
	metadata_certs_free(certs, n);
}

static void
test_metadata_errors(void **state)
{
	const char *broken =
	    "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\">";
	const char *none = "<a xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:X509Certificate>"
			   "QUJD</ds:X509Certificate></a>";
	/* An external entity must not be fetched or expanded. */
	const char *xxe =
	    "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
	    "<md:KeyDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
	    "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:X509Certificate>&e;"
	    "</ds:X509Certificate></md:KeyDescriptor>";
	char **certs = NULL;
	size_t n = 0;
	char err[KEYS_ERR_LEN];

	(void)state;
	assert_false(metadata_signing_certs(broken, strlen(broken), &certs, &n, err, sizeof(err)));
	assert_non_null(strstr(err, "not well-formed"));
	assert_false(metadata_signing_certs(none, strlen(none), &certs, &n, err, sizeof(err)));
	assert_non_null(strstr(err, "KeyDescriptor"));
	assert_false(metadata_signing_certs(xxe, strlen(xxe), &certs, &n, err, sizeof(err)));
	assert_non_null(strstr(err, "DTD"));
}

/*
 * Entities that expand into entities: refused before anything is expanded,
 * so the answer comes at once and costs nothing (before, 110 KB of this took
 * 2.3 s and 405 MB). A DTD hidden past the start is found too.
 */
static void
test_metadata_refuses_entity_expansion(void **state)
{
	struct buf b;
	char **certs = NULL;
	size_t n = 0;
	char err[KEYS_ERR_LEN];

	(void)state;
	buf_init(&b);
	buf_append_str(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE m [\n<!ENTITY a \"");
	for (int i = 0; i < 4000; i++)
		buf_append_str(&b, "AAAAAAAAAA");
	buf_append_str(&b, "\">\n<!ENTITY b \"");
	for (int i = 0; i < 2000; i++)
		buf_append_str(&b, "&a;");
	buf_append_str(&b,
	    "\">]>\n<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:"
	    "metadata\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><md:KeyDescriptor>"
	    "<ds:X509Certificate>&b;</ds:X509Certificate></md:KeyDescriptor></md:EntityDescriptor>");
	assert_false(metadata_signing_certs(b.data, b.len, &certs, &n, err, sizeof(err)));
	assert_non_null(strstr(err, "DTD"));
	assert_int_equal(n, 0);
	buf_cleanup(&b);
}

static void
test_keyring_sources(void **state)
{
	char err[KEYS_ERR_LEN];
	struct keyring *kr;

	(void)state;
	kr = keyring_load("test-sp.crt", FIXTURES, err, sizeof(err));
	assert_non_null(kr);
	assert_int_equal(keyring_count(kr), 1);
	assert_non_null(strstr(keyring_label(kr, 0), "tests only"));
	keyring_free(kr);

	kr = keyring_load(" metadata.xml , other.crt ", FIXTURES, err, sizeof(err));
	assert_non_null(kr);
	assert_int_equal(keyring_count(kr), 2);
	keyring_free(kr);

	kr = keyring_load(fixture_path("other.crt"), "/nonexistent", err, sizeof(err));
	assert_non_null(kr); /* absolute paths ignore base_dir */
	keyring_free(kr);
}

static void
test_keyring_refuses(void **state)
{
	char err[KEYS_ERR_LEN];

	(void)state;
	assert_null(keyring_load("ec.crt", FIXTURES, err, sizeof(err)));
	assert_non_null(strstr(err, "not an RSA key"));
	assert_null(keyring_load("missing.pem", FIXTURES, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open"));
	assert_null(keyring_load("README.md", FIXTURES, err, sizeof(err)));
	assert_null(keyring_load("", FIXTURES, err, sizeof(err)));
	assert_non_null(strstr(err, "no certificate"));
}

static void
test_verify_vector_and_rotation(void **state)
{
	char *msg = read_fixture("vector-bindrequest.txt");
	char *sig_b64 = read_fixture("vector-signature.txt");
	unsigned char *sig;
	size_t siglen;
	char err[KEYS_ERR_LEN];
	struct keyring *right, *wrong, *both;

	(void)state;
	assert_true(b64_decode(sig_b64, strlen(sig_b64), &sig, &siglen));
	right = keyring_load("metadata.xml", FIXTURES, err, sizeof(err));
	wrong = keyring_load("other.crt", FIXTURES, err, sizeof(err));
	both = keyring_load("other.crt,test-sp.crt", FIXTURES, err, sizeof(err));
	assert_non_null(right);
	assert_non_null(wrong);
	assert_non_null(both);

	assert_int_equal(keyring_verify_rsa_sha256(right, (unsigned char *)msg, strlen(msg), sig,
			     siglen),
	    0);
	assert_int_equal(keyring_verify_rsa_sha256(wrong, (unsigned char *)msg, strlen(msg), sig,
			     siglen),
	    -1);
	assert_int_equal(keyring_verify_rsa_sha256(both, (unsigned char *)msg, strlen(msg), sig,
			     siglen),
	    1);
	/* One changed byte of message or signature fails. */
	msg[3] ^= 1;
	assert_int_equal(keyring_verify_rsa_sha256(right, (unsigned char *)msg, strlen(msg), sig,
			     siglen),
	    -1);
	msg[3] ^= 1;
	sig[0] ^= 1;
	assert_int_equal(keyring_verify_rsa_sha256(right, (unsigned char *)msg, strlen(msg), sig,
			     siglen),
	    -1);
	assert_int_equal(keyring_verify_rsa_sha256(right, (unsigned char *)msg, strlen(msg), sig,
			     siglen - 1),
	    -1);

	keyring_free(right);
	keyring_free(wrong);
	keyring_free(both);
	free(sig);
	free(msg);
	free(sig_b64);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metadata_takes_signing_cert_only),
		cmocka_unit_test(test_metadata_shapes),
		cmocka_unit_test(test_metadata_errors),
		cmocka_unit_test(test_keyring_sources),
		cmocka_unit_test(test_metadata_refuses_entity_expansion),
		cmocka_unit_test(test_keyring_refuses),
		cmocka_unit_test(test_verify_vector_and_rotation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
