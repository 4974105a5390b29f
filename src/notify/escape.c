#include "notify/escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "util/utf8.h"

static bool is_line_break(uint32_t cp);

/* A character that reaches the message as part of a word (a line break becomes a space). */
static bool
is_alnum(uint32_t cp)
{
	return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
	    (cp >= 0x80 && !is_line_break(cp));
}

static bool
is_letter(uint32_t cp)
{
	return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp >= 0x80;
}

static bool
is_line_break(uint32_t cp)
{
	return cp == '\n' || cp == '\r' || cp == '\t' || cp == '\v' || cp == '\f' || cp == 0x85 ||
	    cp == 0x2028 || cp == 0x2029;
}

/* Invisible characters that could hide text or split a token for a platform but not for us. */
static bool
is_invisible(uint32_t cp)
{
	return cp == 0x200B || (cp >= 0x2060 && cp <= 0x2064) || cp == 0xFEFF || cp == 0x180E;
}

/* The character after position i, or 0 at the end or before a byte that is not UTF-8. */
static uint32_t
peek(const char *s, size_t len, size_t i)
{
	uint32_t cp = 0;

	if (i >= len || utf8_decode(s + i, len - i, &cp) == 0)
		return 0;
	return cp;
}

/*
 * What a markup character becomes, or 0 to keep it. prev and next are the
 * characters around it in the outside text (0 at either end); digits_only
 * says whether everything before it was a digit (a list number, "1.").
 */
static uint32_t
lookalike(enum escape_dialect d, uint32_t cp, uint32_t prev, uint32_t next, uint32_t next2,
    bool digits_only)
{
	switch (cp) {
	case '<': return 0xFF1C; /* tags: <font>, <@user>, <at user_id="all">, <url|text> */
	case '>': return 0xFF1E; /* and quotes */
	case '[': return 0xFF3B; /* links and images: [text](url), ![](url) */
	case ']': return 0xFF3D;
	case '*': return 0x2217;  /* bold, italic, list items */
	case '`': return 0x02CB;  /* code */
	case '~': return 0xFF5E;  /* strike-through */
	case '@': return 0xFF20;  /* mentions: @all, @mobile */
	case '#': return 0xFF03;  /* headings */
	case '|': return 0xFF5C;  /* tables, Slack's link text */
	case '\\': return 0xFF3C; /* would escape the markup that follows the value */
	case '_':
		/* Emphasis, but not inside a word (db_prod_01 stays as it is). */
		return is_alnum(prev) && is_alnum(next) ? 0 : 0xFF3F;
	case ':':
		/* Slack's :emoji:; everywhere, the "://" of a link. */
		return d == ESCAPE_SLACK || (next == '/' && next2 == '/') ? 0x2236 : 0;
	case ')': return digits_only && prev != 0 && (next == ' ' || next == 0) ? 0xFF09 : 0;
	case '-': return prev == 0 ? 0x2010 : 0; /* a list item, were the value to start a line */
	case '+': return prev == 0 ? 0xFF0B : 0;
	default: return 0;
	}
}

/*
 * A dot a platform could take for part of a host name (evil.example,
 * 例子.中国), or that ends a list number at the start of a value (1.). Read
 * on the escaped text, whose neighbours are what the platform will see; a
 * value's edges count as not a space, since the text around it is unknown.
 */
static void
defuse_dots(struct buf *out, const char *s, size_t len)
{
	bool digits_only = true;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			unsigned char prev = i > 0 ? (unsigned char)s[i - 1] : 'x';
			unsigned char next = i + 1 < len ? (unsigned char)s[i + 1] : 0;
			bool host = prev != ' ' && (next == 0 || next == '.' || is_letter(next));
			bool list = digits_only && i > 0 && (next == ' ' || next == 0);

			if (host || list) {
				utf8_append(out, 0x2024); /* one dot leader */
				digits_only = false;
				continue;
			}
		}
		digits_only = digits_only && c >= '0' && c <= '9';
		buf_append_char(out, (char)c);
	}
}

void
escape_outside(enum escape_dialect d, struct buf *out, const char *s)
{
	size_t len = s ? strlen(s) : 0, i = 0;
	uint32_t prev = 0;
	bool digits_only = true;
	struct buf tmp;

	buf_init(&tmp);
	while (i < len) {
		uint32_t cp, alike;
		size_t n = utf8_decode(s + i, len - i, &cp);

		if (n == 0) {
			utf8_append(&tmp, 0xFFFD);
			i++;
			prev = 0xFFFD;
			digits_only = false;
			continue;
		}
		if (is_line_break(cp)) {
			buf_append_char(&tmp, ' ');
			cp = ' ';
		} else if (utf8_is_control(cp)) {
			utf8_append(&tmp, 0xFFFD);
		} else if (utf8_is_bidi_control(cp) || is_invisible(cp)) {
			/* Shown, not obeyed: U+27E8 and U+27E9 around the code point. */
			buf_appendf(&tmp, "\u27e8U+%04X\u27e9", (unsigned)cp);
		} else if (d == ESCAPE_SLACK && cp == '&') {
			buf_append_str(&tmp, "&amp;");
		} else if (d == ESCAPE_MARKDOWN && cp == '&') {
			utf8_append(&tmp, 0xFF06); /* &lt; and its kind would become tags */
		} else if (d != ESCAPE_PLAIN &&
		    (alike = lookalike(d, cp, prev, peek(s, len, i + n), peek(s, len, i + n + 1),
			 digits_only)) != 0) {
			utf8_append(&tmp, alike);
		} else {
			buf_append(&tmp, s + i, n);
		}
		digits_only = digits_only && cp >= '0' && cp <= '9';
		prev = cp;
		i += n;
	}
	if (d == ESCAPE_PLAIN)
		buf_append(out, tmp.data ? tmp.data : "", tmp.len);
	else
		defuse_dots(out, tmp.data ? tmp.data : "", tmp.len);
	buf_cleanup(&tmp);
}
