/*
 * UTF-8 as outside text arrives: decoded strictly (no overlong forms, no
 * surrogates, nothing past U+10FFFF), cut only on character boundaries, and
 * shown in a visible, escaped form where it is not what it claims to be.
 */
#ifndef HCWATCH_UTIL_UTF8_H
#define HCWATCH_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/**
 * Decodes the character at s (len bytes available): its length in bytes,
 * with *cp set, or 0 when the bytes there are not valid UTF-8.
 */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp);
/** Whether all len bytes of s are valid UTF-8. */
bool utf8_valid(const char *s, size_t len);
/** Appends cp as UTF-8. */
void utf8_append(struct buf *b, uint32_t cp);
/** The longest prefix of s (len bytes) no longer than max that ends on a character boundary. */
size_t utf8_prefix(const char *s, size_t len, size_t max);
/**
 * Whether cp changes the direction of the text around it (U+202A–U+202E,
 * U+2066–U+2069, U+200E, U+200F, U+061C): shown raw, it makes text read
 * other than it is stored.
 */
bool utf8_is_bidi_control(uint32_t cp);
/** Whether cp is a C0 or C1 control character or DEL. */
bool utf8_is_control(uint32_t cp);
/**
 * Appends s (len bytes) in a form that is valid UTF-8 and shows what it
 * holds: a byte that is not UTF-8 as \xNN, a control or bidi character as
 * \n, \r, \t or \u{XXXX}, a backslash as \\. Everything else as it is.
 */
void utf8_visible(struct buf *out, const char *s, size_t len);

/**
 * Terminal columns cp takes: 2 for East Asian wide and fullwidth characters,
 * 0 for combining marks, 1 otherwise.
 */
int utf8_columns_of(uint32_t cp);
/**
 * Appends s as a table cell of exactly columns terminal columns: cut on a
 * character boundary with "…" when it is wider, padded with spaces when
 * narrower. Controls, bidi characters and bytes that are not UTF-8 become
 * U+FFFD, so that a cell cannot move the cursor or reorder the line.
 */
void utf8_cell(struct buf *out, const char *s, int columns);

#endif
