/*
 * Links to hcwatch's pages are capabilities: whoever holds one may read the
 * page and act on it, until it expires. A token names what it opens (the
 * kind and id), the destination whose message carried it, and its expiry,
 * and ends with an HMAC-SHA256 of all of that:
 *
 *     a1234~ops-dingtalk~1767225600~<22 base64url characters>
 *
 * Several keys may be configured: the first signs, every one verifies, so a
 * key is rotated by adding the new one first and dropping the old one once
 * the links it signed have expired. Forms on a page carry an anti-forgery
 * token bound to that page's token.
 */
#ifndef HCWATCH_UTIL_LINK_H
#define HCWATCH_UTIL_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINK_MAX_KEYS 8
#define LINK_ID_LEN 65
#define LINK_TOKEN_LEN 256

enum link_kind { LINK_DIGEST = 'd', LINK_ALERT = 'a', LINK_CUSTOMER = 'c' };

struct link {
	char kind;		/* enum link_kind */
	char id[LINK_ID_LEN];	/* a delivery or alert number, or a customer id */
	char dest[LINK_ID_LEN]; /* the destination whose message carried it */
	int64_t expires;	/* seconds since the epoch */
};

struct link_keys {
	size_t n;
	struct {
		unsigned char *data;
		size_t len;
	} k[LINK_MAX_KEYS];
};

/**
 * Reads "key1, key2": each at least 32 characters of letters, digits and
 * + / = - _ (as `openssl rand -base64 32` writes). False with err, naming
 * the key by its position only.
 */
bool link_keys_parse(const char *list, struct link_keys *out, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void link_keys_free(struct link_keys *k);

/** Whether s may be a token's id or destination: 1 to 64 of [A-Za-z0-9._-]. */
bool link_word_ok(const char *s);

/** Writes l's token into out; false if l cannot be a token (see link_word_ok) or no key. */
bool link_sign(const struct link_keys *k, const struct link *l, char out[LINK_TOKEN_LEN]);

/**
 * Whether token is well formed, signed by any key, and not expired at now.
 * Every failure is the same false: the caller answers them alike.
 */
bool link_verify(const struct link_keys *k, const char *token, int64_t now, struct link *out);

/** base + "/l/" + l's token as a new string; NULL if l cannot be signed. */
char *link_url(const char *base, const struct link_keys *k, const struct link *l);

/** A form's anti-forgery token for the page of token, issued at now. */
void link_form_token(const struct link_keys *k, const char *token, int64_t now,
    char out[LINK_TOKEN_LEN]);
/** Whether form was issued for token's page, by any key, within max_age seconds of now. */
bool link_form_ok(const struct link_keys *k, const char *token, const char *form, int64_t now,
    int64_t max_age);

#endif
