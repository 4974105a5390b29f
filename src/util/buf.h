/*
 * A growable byte buffer, always NUL-terminated so that text can be used as
 * a C string; binary data may contain NULs and is measured by len.
 */
#ifndef HCWATCH_UTIL_BUF_H
#define HCWATCH_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

/** Empties b without allocating. */
void buf_init(struct buf *b);
/** Frees the storage; b may be NULL, and is reusable after buf_init. */
void buf_cleanup(struct buf *b);
/** Keeps the storage, forgets the contents. */
void buf_reset(struct buf *b);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_append_str(struct buf *b, const char *s);
/** Appends len bytes of s (stopping at a NUL) as HTML text: & < > " ' as entities. */
void buf_append_html(struct buf *b, const char *s, size_t len);
void buf_append_char(struct buf *b, char c);
void buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vappendf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/** Hands the storage to the caller (never NULL) and empties b. */
char *buf_release(struct buf *b);

#endif
