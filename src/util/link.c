#include "util/link.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/sha256.h"
#include "util/xalloc.h"

/* 22 base64url characters: 132 bits of the HMAC, enough against forgery, short in a message. */
#define MAC_CHARS 22
#define SEP '~'

bool
link_word_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < LINK_ID_LEN &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

bool
link_keys_parse(const char *list, struct link_keys *out, char *err, size_t errlen)
{
	const char *p = list;

	memset(out, 0, sizeof(*out));
	while (*p) {
		size_t n;

		p += strspn(p, " ,");
		n = strcspn(p, " ,");
		if (n == 0)
			break;
		if (out->n == LINK_MAX_KEYS) {
			snprintf(err, errlen, "at most %d keys", LINK_MAX_KEYS);
			link_keys_free(out);
			return false;
		}
		if (n < 32 ||
		    strspn(p,
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_") <
			n) {
			snprintf(err, errlen,
			    "key %zu is not at least 32 characters of letters, digits and + / = - _ "
			    "(make one with: openssl rand -base64 32)",
			    out->n + 1);
			link_keys_free(out);
			return false;
		}
		out->k[out->n].data = xmalloc(n);
		memcpy(out->k[out->n].data, p, n);
		out->k[out->n].len = n;
		out->n++;
		p += n;
	}
	return true;
}

void
link_keys_free(struct link_keys *k)
{
	for (size_t i = 0; i < k->n; i++) {
		OPENSSL_cleanse(k->k[i].data, k->k[i].len);
		free(k->k[i].data);
	}
	k->n = 0;
}

static void
b64url(const unsigned char *in, size_t len, char *out, size_t chars)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;

	for (size_t i = 0; i < len && o < chars; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) |
		    (i + 2 < len ? in[i + 2] : 0);

		for (int k = 3; k >= 0 && o < chars; k--)
			out[o++] = a[(v >> (6 * k)) & 63];
	}
	out[o] = '\0';
}

/* The MAC of msg under key i, as MAC_CHARS characters. */
static void
mac(const struct link_keys *k, size_t i, const char *domain, const char *msg,
    char out[MAC_CHARS + 1])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	size_t dl = strlen(domain), ml = strlen(msg);
	char *both = xmalloc(dl + ml + 2);

	/* Domain-separated: a link's MAC is never a form's, nor the other way round. */
	memcpy(both, domain, dl);
	both[dl] = '\n';
	memcpy(both + dl + 1, msg, ml + 1);
	HMAC(sha256_md(), k->k[i].data, (int)k->k[i].len, (const unsigned char *)both, dl + ml + 1,
	    md, &mdlen);
	free(both);
	b64url(md, sizeof(md), out, MAC_CHARS);
}

static bool
mac_matches(const struct link_keys *k, const char *domain, const char *msg, const char *given)
{
	bool ok = false;

	if (strlen(given) != MAC_CHARS)
		return false;
	/* Every key is tried, whichever matches: the time taken says nothing of which. */
	for (size_t i = 0; i < k->n; i++) {
		char want[MAC_CHARS + 1];

		mac(k, i, domain, msg, want);
		ok |= CRYPTO_memcmp(want, given, MAC_CHARS) == 0;
	}
	return ok;
}

bool
link_sign(const struct link_keys *k, const struct link *l, char out[LINK_TOKEN_LEN])
{
	char body[LINK_TOKEN_LEN - MAC_CHARS - 1], m[MAC_CHARS + 1];

	if (k->n == 0 || !link_word_ok(l->id) || !link_word_ok(l->dest) ||
	    (l->kind != LINK_DIGEST && l->kind != LINK_ALERT && l->kind != LINK_CUSTOMER))
		return false;
	/* Both words are under 65 bytes: the body fits. */
	snprintf(body, sizeof(body), "%c%s%c%s%c%" PRId64, l->kind, l->id, SEP, l->dest, SEP,
	    l->expires);
	mac(k, 0, "hcwatch link", body, m);
	snprintf(out, LINK_TOKEN_LEN, "%s%c%s", body, SEP, m);
	return true;
}

char *
link_url(const char *base, const struct link_keys *k, const struct link *l)
{
	char token[LINK_TOKEN_LEN];
	size_t n;
	char *url;

	if (!link_sign(k, l, token))
		return NULL;
	n = strlen(base) + strlen(token) + 4;
	url = xmalloc(n);
	snprintf(url, n, "%s/l/%s", base, token);
	return url;
}

bool
link_verify(const struct link_keys *k, const char *token, int64_t now, struct link *out)
{
	char body[LINK_TOKEN_LEN], *p, *f[3];
	const char *m = strrchr(token, SEP);
	size_t bl;
	char *end;
	long long exp;

	memset(out, 0, sizeof(*out));
	if (m == NULL || (bl = (size_t)(m - token)) >= sizeof(body) || k->n == 0)
		return false;
	memcpy(body, token, bl);
	body[bl] = '\0';
	if (!mac_matches(k, "hcwatch link", body, m + 1))
		return false;
	/* Signed, so ours: its fields are still read with care. */
	p = body;
	for (int i = 0; i < 3; i++) {
		f[i] = p;
		p = strchr(p, SEP);
		if ((p == NULL) != (i == 2))
			return false;
		if (p)
			*p++ = '\0';
	}
	exp = strtoll(f[2], &end, 10);
	if (*end != '\0' || end == f[2] || exp <= now || !link_word_ok(f[0] + 1) ||
	    !link_word_ok(f[1]))
		return false;
	out->kind = f[0][0];
	if (out->kind != LINK_DIGEST && out->kind != LINK_ALERT && out->kind != LINK_CUSTOMER)
		return false;
	snprintf(out->id, sizeof(out->id), "%s", f[0] + 1);
	snprintf(out->dest, sizeof(out->dest), "%s", f[1]);
	out->expires = exp;
	return true;
}

void
link_form_token(const struct link_keys *k, const char *token, int64_t now, char out[LINK_TOKEN_LEN])
{
	char msg[LINK_TOKEN_LEN * 2], m[MAC_CHARS + 1] = "";

	snprintf(msg, sizeof(msg), "%" PRId64 "%c%s", now, SEP, token);
	if (k->n > 0)
		mac(k, 0, "hcwatch form", msg, m);
	snprintf(out, LINK_TOKEN_LEN, "%" PRId64 "%c%s", now, SEP, m);
}

bool
link_form_ok(const struct link_keys *k, const char *token, const char *form, int64_t now,
    int64_t max_age)
{
	char msg[LINK_TOKEN_LEN * 2], *end;
	const char *sep = strchr(form, SEP);
	long long issued = strtoll(form, &end, 10);

	if (sep == NULL || end != sep || end == form || issued > now + 60 || issued < now - max_age)
		return false;
	snprintf(msg, sizeof(msg), "%lld%c%s", issued, SEP, token);
	return mac_matches(k, "hcwatch form", msg, sep + 1);
}
