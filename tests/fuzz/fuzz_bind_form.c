/*
 * A whole binding notification body (urlencoded form) through bind_verify.
 * Without Huawei's key no signature verifies, so this reaches the form,
 * Base64 and signed-string code; fuzz_bind_payload reaches the JSON.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "verify/bindreq.h"
#include "verify/form.h"
#include "verify/keys.h"

static struct keyring *keys;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	keys = keyring_load(HCWATCH_FIXTURES "/test-sp.crt", NULL, err, sizeof(err));
	if (keys == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form f;
	struct bind_notice n;
	char err[FORM_ERR_LEN], detail[BIND_DETAIL_LEN];

	form_init(&f);
	if (form_parse_urlencoded(&f, (const char *)data, size, err, sizeof(err))) {
		enum bind_reason r = bind_verify(keys, "A,B,C", &f, &n, detail, sizeof(detail));

		if (r == BIND_OK) /* nobody can sign with the fixture's key here */
			abort();
		(void)bind_reason_code(r);
		bind_notice_cleanup(&n);
	}
	form_cleanup(&f);
	return 0;
}
