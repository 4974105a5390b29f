#include "util/sha256.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/b64.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static EVP_MD *md;

static void fetch(void);

static void
fetch(void)
{
	md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (md == NULL) {
		fprintf(stderr, "fatal: OpenSSL provides no SHA256\n");
		abort();
	}
}

const EVP_MD *
sha256_md(void)
{
	pthread_once(&once, fetch);
	return md;
}

void
sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, sha256_md(), NULL) != 1 || n != 32) {
		fprintf(stderr, "fatal: SHA256 failed\n");
		abort();
	}
}

void
sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN])
{
	unsigned char d[32];

	sha256(data, len, d);
	hex_encode(d, sizeof(d), out);
}
