#include "util/utf8.h"

#include <string.h>

size_t
utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c, min;
	size_t n;

	if (len == 0)
		return 0;
	c = u[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		c &= 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		c &= 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0; /* a continuation byte, an overlong lead (C0, C1) or F5–FF */
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (u[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

bool
utf8_valid(const char *s, size_t len)
{
	size_t i = 0;
	uint32_t cp;

	while (i < len) {
		size_t n = utf8_decode(s + i, len - i, &cp);

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

void
utf8_append(struct buf *b, uint32_t cp)
{
	char out[4];
	size_t n;

	if (cp < 0x80) {
		out[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		out[0] = (char)(0xF0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	buf_append(b, out, n);
}

size_t
utf8_prefix(const char *s, size_t len, size_t max)
{
	size_t n;

	if (len <= max)
		return len;
	n = max;
	/* Back off continuation bytes (10xxxxxx) to the start of the cut character. */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

bool
utf8_is_bidi_control(uint32_t cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
	    cp == 0x200F || cp == 0x061C;
}

bool
utf8_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

void
utf8_visible(struct buf *out, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);

		if (n == 0) {
			buf_appendf(out, "\\x%02X", (unsigned char)s[i]);
			i++;
			continue;
		}
		if (cp == '\\')
			buf_append_str(out, "\\\\");
		else if (cp == '\n')
			buf_append_str(out, "\\n");
		else if (cp == '\r')
			buf_append_str(out, "\\r");
		else if (cp == '\t')
			buf_append_str(out, "\\t");
		else if (utf8_is_control(cp) || utf8_is_bidi_control(cp) || cp == 0x2028 ||
		    cp == 0x2029)
			buf_appendf(out, "\\u{%04X}", (unsigned)cp);
		else
			buf_append(out, s + i, n);
		i += n;
	}
}

int
utf8_columns_of(uint32_t cp)
{
	if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) ||
	    (cp >= 0xFE00 && cp <= 0xFE0F))
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
	    (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
	    (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
	    (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
	    (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
	    (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
	    (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD))
		return 2;
	return 1;
}

void
utf8_cell(struct buf *out, const char *s, int columns)
{
	size_t len = strlen(s), i = 0;
	int used = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		int w;
		bool plain = n > 0 && !utf8_is_control(cp) && !utf8_is_bidi_control(cp);

		if (!plain)
			cp = 0xFFFD;
		w = utf8_columns_of(cp);
		/* The rest fits only if this is the last character; else keep a column for "…". */
		if (used + w > columns || (used + w == columns && i + (n ? n : 1) < len)) {
			if (used < columns) {
				buf_append_str(out, "\u2026");
				used++;
			}
			break;
		}
		if (plain)
			buf_append(out, s + i, n);
		else
			utf8_append(out, 0xFFFD);
		used += w;
		i += n ? n : 1;
	}
	for (; used < columns; used++)
		buf_append_char(out, ' ');
}
