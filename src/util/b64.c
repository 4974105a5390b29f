#include "util/b64.h"

#include <stdlib.h>

#include "util/xalloc.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of each byte in the alphabet, or -1. */
static const signed char b64_values[256] = {
	['A'] = 0, ['B'] = 1, ['C'] = 2, ['D'] = 3, ['E'] = 4, ['F'] = 5, ['G'] = 6, ['H'] = 7,
	['I'] = 8, ['J'] = 9, ['K'] = 10, ['L'] = 11, ['M'] = 12, ['N'] = 13, ['O'] = 14,
	['P'] = 15, ['Q'] = 16, ['R'] = 17, ['S'] = 18, ['T'] = 19, ['U'] = 20, ['V'] = 21,
	['W'] = 22, ['X'] = 23, ['Y'] = 24, ['Z'] = 25, ['a'] = 26, ['b'] = 27, ['c'] = 28,
	['d'] = 29, ['e'] = 30, ['f'] = 31, ['g'] = 32, ['h'] = 33, ['i'] = 34, ['j'] = 35,
	['k'] = 36, ['l'] = 37, ['m'] = 38, ['n'] = 39, ['o'] = 40, ['p'] = 41, ['q'] = 42,
	['r'] = 43, ['s'] = 44, ['t'] = 45, ['u'] = 46, ['v'] = 47, ['w'] = 48, ['x'] = 49,
	['y'] = 50, ['z'] = 51, ['0'] = 52, ['1'] = 53, ['2'] = 54, ['3'] = 55, ['4'] = 56,
	['5'] = 57, ['6'] = 58, ['7'] = 59, ['8'] = 60, ['9'] = 61, ['+'] = 62, ['/'] = 63,
};

/* Zero-initialised entries are ambiguous with 'A'; this tells them apart. */
#define b64_value(c) ((c) == 'A' || b64_values[(c)] != 0 ? b64_values[(c)] : -1)

bool
b64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *p = NULL;
	size_t pad = 0, n = 0;
	bool ok = false;

	*out = NULL;
	*outlen = 0;
	if (len % 4 != 0)
		goto out;
	if (len >= 1 && in[len - 1] == '=')
		pad++;
	if (len >= 2 && in[len - 2] == '=')
		pad++;
	p = xmalloc(len / 4 * 3 + 1);
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		size_t used = (i + 4 == len) ? 4 - pad : 4;

		for (size_t j = 0; j < 4; j++) {
			v[j] = j < used ? b64_value((unsigned char)in[i + j]) : 0;
			if (v[j] < 0)
				goto out;
		}
		/* Padding must hide only zero bits, so that every input has one encoding. */
		if (used == 3 && (v[2] & 0x3))
			goto out;
		if (used == 2 && (v[1] & 0xf))
			goto out;
		p[n++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (used > 2)
			p[n++] = (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (used > 3)
			p[n++] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
	}
	p[n] = '\0';
	ok = true;
out:
	if (!ok) {
		free(p);
		return false;
	}
	*out = p;
	*outlen = n;
	return true;
}

char *
b64_encode(const unsigned char *in, size_t len)
{
	char *out = xmalloc((len + 2) / 3 * 4 + 1);
	size_t n = 0;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[n++] = b64_alphabet[v >> 18 & 0x3f];
		out[n++] = b64_alphabet[v >> 12 & 0x3f];
		out[n++] = i + 1 < len ? b64_alphabet[v >> 6 & 0x3f] : '=';
		out[n++] = i + 2 < len ? b64_alphabet[v & 0x3f] : '=';
	}
	out[n] = '\0';
	return out;
}

void
hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}
