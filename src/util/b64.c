#include "util/b64.h"

#include <stdlib.h>

#include "util/xalloc.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Each byte's value in the alphabet plus one; 0 means not in the alphabet. */
static const unsigned char b64_values[256] = {
	['A'] = 1,
	['B'] = 2,
	['C'] = 3,
	['D'] = 4,
	['E'] = 5,
	['F'] = 6,
	['G'] = 7,
	['H'] = 8,
	['I'] = 9,
	['J'] = 10,
	['K'] = 11,
	['L'] = 12,
	['M'] = 13,
	['N'] = 14,
	['O'] = 15,
	['P'] = 16,
	['Q'] = 17,
	['R'] = 18,
	['S'] = 19,
	['T'] = 20,
	['U'] = 21,
	['V'] = 22,
	['W'] = 23,
	['X'] = 24,
	['Y'] = 25,
	['Z'] = 26,
	['a'] = 27,
	['b'] = 28,
	['c'] = 29,
	['d'] = 30,
	['e'] = 31,
	['f'] = 32,
	['g'] = 33,
	['h'] = 34,
	['i'] = 35,
	['j'] = 36,
	['k'] = 37,
	['l'] = 38,
	['m'] = 39,
	['n'] = 40,
	['o'] = 41,
	['p'] = 42,
	['q'] = 43,
	['r'] = 44,
	['s'] = 45,
	['t'] = 46,
	['u'] = 47,
	['v'] = 48,
	['w'] = 49,
	['x'] = 50,
	['y'] = 51,
	['z'] = 52,
	['0'] = 53,
	['1'] = 54,
	['2'] = 55,
	['3'] = 56,
	['4'] = 57,
	['5'] = 58,
	['6'] = 59,
	['7'] = 60,
	['8'] = 61,
	['9'] = 62,
	['+'] = 63,
	['/'] = 64,
};

#define b64_value(c) ((int)b64_values[(c)] - 1)

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
