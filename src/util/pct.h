/*
 * Percent-encoding (RFC 3986): the form parser, the binding-notification
 * signed string and the SDK-HMAC-SHA256 canonical request all use it.
 */
#ifndef HCWATCH_UTIL_PCT_H
#define HCWATCH_UTIL_PCT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/** Appends s with every byte but A-Z a-z 0-9 - _ . ~ written as %XY (upper-case hex). */
void pct_encode(struct buf *out, const char *s, size_t len);
/** Appends s decoded; '+' becomes a space when plus_is_space. False on a bad or cut escape. */
bool pct_decode(struct buf *out, const char *s, size_t len, bool plus_is_space)
    __attribute__((warn_unused_result));

#endif
