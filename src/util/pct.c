#include "util/pct.h"

static int hexval(char c);

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
pct_encode(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	buf_append(out, "", 0);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			buf_append_char(out, (char)c);
		} else {
			char esc[3] = { '%', hex[c >> 4], hex[c & 15] };

			buf_append(out, esc, 3);
		}
	}
}

bool
pct_decode(struct buf *out, const char *s, size_t len, bool plus_is_space)
{
	buf_append(out, "", 0);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return false;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			buf_append_char(out, (char)(hi << 4 | lo));
			i += 2;
		} else if (s[i] == '+' && plus_is_space) {
			buf_append_char(out, ' ');
		} else {
			buf_append_char(out, s[i]);
		}
	}
	return true;
}
