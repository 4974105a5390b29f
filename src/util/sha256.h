/*
 * SHA-256 with the algorithm fetched once per process: OpenSSL 3 looks an
 * implicitly named algorithm up again on every call, which costs more than
 * hashing a short callback body.
 */
#ifndef HCWATCH_UTIL_SHA256_H
#define HCWATCH_UTIL_SHA256_H

#include <stddef.h>

#include <openssl/evp.h>

#define SHA256_HEX_LEN 65

/** The fetched SHA-256 (never NULL; aborts if OpenSSL has none). Borrowed. */
const EVP_MD *sha256_md(void);
/** out receives the 32-byte digest. */
void sha256(const void *data, size_t len, unsigned char out[32]);
/** out receives 64 lower-case hex digits and a NUL. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN]);

#endif
