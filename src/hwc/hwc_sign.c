#include "hwc/hwc_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/hmac.h>

#include "util/clock.h"
#include "util/pct.h"
#include "util/sha256.h"
#include "util/xalloc.h"

struct qpair {
	char *name;
	char *value;
};

static int qpair_cmp(const void *a, const void *b);
static const struct hwc_sign_header *find_header(const struct hwc_sign_request *r, const char *name,
    size_t nlen);
static void append_trimmed(struct buf *out, const char *s);

void
hwc_sign_canonical_uri(struct buf *out, const char *path)
{
	const char *p = path;

	if (*p != '/')
		buf_append_char(out, '/');
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		pct_encode(out, p, n);
		if (slash == NULL)
			break;
		buf_append_char(out, '/');
		p = slash + 1;
	}
	if (out->len == 0 || out->data[out->len - 1] != '/')
		buf_append_char(out, '/');
}

static int
qpair_cmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

bool
hwc_sign_canonical_query(struct buf *out, const char *query)
{
	struct qpair *pairs = NULL;
	size_t n = 0, cap = 0;
	const char *p = query;
	bool ok = false;

	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t nlen = eq ? (size_t)(eq - p) : len;
		struct buf name, value;

		if (len > 0) {
			buf_init(&name);
			buf_init(&value);
			buf_append(&name, "", 0);
			buf_append(&value, "", 0);
			if (!pct_decode(&name, p, nlen, true) ||
			    (eq && !pct_decode(&value, eq + 1, len - nlen - 1, true))) {
				buf_cleanup(&name);
				buf_cleanup(&value);
				goto out;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				pairs = xrealloc(pairs, cap * sizeof(*pairs));
			}
			pairs[n].name = buf_release(&name);
			pairs[n].value = buf_release(&value);
			n++;
		}
		p = amp ? amp + 1 : NULL;
	}
	if (n > 1)
		qsort(pairs, n, sizeof(*pairs), qpair_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_append_char(out, '&');
		pct_encode(out, pairs[i].name, strlen(pairs[i].name));
		buf_append_char(out, '=');
		pct_encode(out, pairs[i].value, strlen(pairs[i].value));
	}
	ok = true;
out:
	for (size_t i = 0; i < n; i++) {
		free(pairs[i].name);
		free(pairs[i].value);
	}
	free(pairs);
	return ok;
}

static const struct hwc_sign_header *
find_header(const struct hwc_sign_request *r, const char *name, size_t nlen)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		if (strlen(r->headers[i].name) == nlen &&
		    strncasecmp(r->headers[i].name, name, nlen) == 0)
			return &r->headers[i];
	}
	return NULL;
}

static void
append_trimmed(struct buf *out, const char *s)
{
	const char *end = s + strlen(s);

	while (*s == ' ' || *s == '\t')
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	buf_append(out, s, (size_t)(end - s));
}

bool
hwc_sign_canonical_request(struct buf *out, const struct hwc_sign_request *r, char *err,
    size_t errlen)
{
	const char *p = r->signed_headers;

	if (p == NULL || *p == '\0') {
		snprintf(err, errlen, "no signed headers");
		return false;
	}
	buf_append_str(out, r->method);
	buf_append_char(out, '\n');
	hwc_sign_canonical_uri(out, r->path);
	buf_append_char(out, '\n');
	if (!hwc_sign_canonical_query(out, r->query)) {
		snprintf(err, errlen, "bad percent escape in the query string");
		return false;
	}
	buf_append_char(out, '\n');
	/* In the order the client declared: the verifier must use exactly that list. */
	for (;;) {
		const char *semi = strchr(p, ';');
		size_t n = semi ? (size_t)(semi - p) : strlen(p);
		const struct hwc_sign_header *h;

		if (n == 0) {
			snprintf(err, errlen, "empty name in the signed headers");
			return false;
		}
		for (size_t i = 0; i < n; i++) {
			if (p[i] >= 'A' && p[i] <= 'Z') {
				snprintf(err, errlen, "signed header names must be lower case");
				return false;
			}
		}
		h = find_header(r, p, n);
		if (h == NULL) {
			snprintf(err, errlen, "signed header \"%.*s\" is not in the request",
			    (int)n, p);
			return false;
		}
		buf_append(out, p, n);
		buf_append_char(out, ':');
		append_trimmed(out, h->value);
		buf_append_char(out, '\n');
		if (semi == NULL)
			break;
		p = semi + 1;
	}
	buf_append_char(out, '\n');
	buf_append_str(out, r->signed_headers);
	buf_append_char(out, '\n');
	buf_append_str(out, r->payload_hash);
	return true;
}

void
hwc_sign_signature(const char *sk, const char *sdk_date, const char *canonical,
    char out[HWC_SIGN_HEX_LEN])
{
	char hash[SHA256_HEX_LEN];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct buf sts;

	sha256_hex(canonical, strlen(canonical), hash);
	buf_init(&sts);
	buf_appendf(&sts, "SDK-HMAC-SHA256\n%s\n%s", sdk_date, hash);
	if (HMAC(sha256_md(), sk, (int)strlen(sk), (const unsigned char *)sts.data, sts.len, mac,
		&maclen) == NULL)
		abort();
	for (unsigned int i = 0; i < maclen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	out[64] = '\0';
	buf_cleanup(&sts);
}

void
hwc_sign_date(long long epoch_s, char out[HWC_SIGN_DATE_LEN])
{
	char iso[CLOCK_UTC_S_LEN];

	/* 2019-11-15T03:36:55Z -> 20191115T033655Z */
	clock_format_utc_s(epoch_s, iso, sizeof(iso));
	snprintf(out, HWC_SIGN_DATE_LEN, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", iso, iso + 5, iso + 8,
	    iso + 11, iso + 14, iso + 17);
}

bool
hwc_sign_parse_date(const char *s, long long *epoch_s)
{
	int v[6];
	static const int width[6] = { 4, 2, 2, 2, 2, 2 };
	const char *p = s;

	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return false;
	for (int i = 0; i < 6; i++) {
		v[i] = 0;
		if (i == 3)
			p++; /* the T */
		for (int j = 0; j < width[i]; j++, p++) {
			if (*p < '0' || *p > '9')
				return false;
			v[i] = v[i] * 10 + (*p - '0');
		}
	}
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return false;
	*epoch_s = clock_from_utc(v[0], v[1], v[2], v[3], v[4], v[5]);
	return true;
}

bool
hwc_sign_parse_authorization(const char *value, struct hwc_sign_auth *out)
{
	static const char scheme[] = "SDK-HMAC-SHA256 ";
	char *p, *save = NULL;

	memset(out, 0, sizeof(*out));
	if (strncmp(value, scheme, sizeof(scheme) - 1) != 0)
		return false;
	if ((size_t)snprintf(out->buf, sizeof(out->buf), "%s", value + sizeof(scheme) - 1) >=
	    sizeof(out->buf))
		return false;
	for (p = strtok_r(out->buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		while (*p == ' ')
			p++;
		if (strncmp(p, "Access=", 7) == 0)
			out->access = p + 7;
		else if (strncmp(p, "SignedHeaders=", 14) == 0)
			out->signed_headers = p + 14;
		else if (strncmp(p, "Signature=", 10) == 0)
			out->signature = p + 10;
		else
			return false;
	}
	return out->access && *out->access && out->signed_headers && *out->signed_headers &&
	    out->signature && *out->signature;
}
