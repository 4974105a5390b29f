/*
 * Base64 (RFC 4648, standard alphabet, padded) and hex.
 *
 * We decode by hand rather than with EVP_DecodeBlock because that one skips
 * whitespace, pads its output with zero bytes and cannot say which input was
 * wrong; a signature checker wants a strict decoder that can.
 */
#ifndef HCWATCH_UTIL_B64_H
#define HCWATCH_UTIL_B64_H

#include <stdbool.h>
#include <stddef.h>

/**
 * Decodes len bytes of padded standard Base64 into a new NUL-terminated
 * buffer (*out, *outlen). Fails on any character outside the alphabet, a
 * length that is not a multiple of four, or misplaced padding.
 */
bool b64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen)
    __attribute__((warn_unused_result));
/** Encodes into a new NUL-terminated string. */
char *b64_encode(const unsigned char *in, size_t len);
/** Writes 2*len lower-case hex digits and a NUL into out. */
void hex_encode(const unsigned char *in, size_t len, char *out);

#endif
