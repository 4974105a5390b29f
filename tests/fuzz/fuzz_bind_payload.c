/*
 * The decoded side of a binding notification. The input is the JSON payload;
 * the target signs it with the test key, as Huawei signs with its own, so
 * every input gets past the signature and into the decoder. A correctly
 * signed notice must never be called badly signed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fuzz.h"
#include "util/b64.h"
#include "util/buf.h"
#include "verify/bindreq.h"
#include "verify/form.h"
#include "verify/keys.h"

static struct keyring *keys;
static EVP_PKEY *pkey;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];
	FILE *f;

	(void)argc;
	(void)argv;
	keys = keyring_load(HCWATCH_FIXTURES "/test-sp.crt", NULL, err, sizeof(err));
	f = fopen(HCWATCH_FIXTURES "/test-sp.key", "r");
	if (keys == NULL || f == NULL || (pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
		abort();
	fclose(f);
	return 0;
}

static char *
sign(const char *text)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);

	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)text, strlen(text)) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
	return b64_encode(sig, siglen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *request, *signature, *a, *s, *alg, err[FORM_ERR_LEN], detail[BIND_DETAIL_LEN];
	struct buf body;
	struct form f;
	struct bind_notice n;
	enum bind_reason r;

	if (size == 0)
		return 0;
	request = b64_encode(data, size);
	signature = sign(request);
	a = form_urlencode(request, strlen(request));
	s = form_urlencode(signature, strlen(signature));
	alg = form_urlencode(BIND_SIG_ALG_RSA_SHA256, strlen(BIND_SIG_ALG_RSA_SHA256));
	buf_init(&body);
	buf_appendf(&body, "bindRequest=%s&SigAlg=%s&Signature=%s", a, alg, s);

	form_init(&f);
	if (!form_parse_urlencoded(&f, body.data, body.len, err, sizeof(err)))
		abort();
	r = bind_verify(keys, "A", &f, &n, detail, sizeof(detail));
	if (r == BIND_BAD_SIGNATURE || r == BIND_BAD_BASE64)
		abort();
	if (r == BIND_OK &&
	    (!json_is_object(n.payload) || (n.domain_id == NULL && n.domain_name == NULL)))
		abort();
	bind_notice_cleanup(&n);
	form_cleanup(&f);
	buf_cleanup(&body);
	free(request);
	free(signature);
	free(a);
	free(s);
	free(alg);
	return 0;
}
