/* Signing certificates out of SAML metadata XML (the [bind] certificates file). */
#include <stdlib.h>

#include "fuzz.h"
#include "verify/keys.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char **certs = NULL, err[256];
	size_t n = 0;

	if (metadata_signing_certs((const char *)data, size, &certs, &n, err, sizeof(err)))
		metadata_certs_free(certs, n);
	return 0;
}
