#include "verify/bindreq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/b64.h"
#include "util/buf.h"
#include "util/sha256.h"
#include "util/xalloc.h"

static const char *const reason_codes[] = {
	[BIND_OK] = "ok",
	[BIND_MALFORMED_FORM] = "malformed_form",
	[BIND_DUPLICATE_FIELD] = "duplicate_field",
	[BIND_MISSING_FIELD] = "missing_field",
	[BIND_UNKNOWN_SIG_ALG] = "unknown_sig_alg",
	[BIND_BAD_SIGNATURE] = "bad_signature",
	[BIND_BAD_BASE64] = "bad_base64",
	[BIND_BAD_JSON] = "bad_json",
	[BIND_MISSING_CUSTOMER] = "missing_customer",
	[BIND_METHOD_NOT_ALLOWED] = "method_not_allowed",
	[BIND_UNSUPPORTED_MEDIA_TYPE] = "unsupported_media_type",
	[BIND_BODY_TOO_LARGE] = "body_too_large",
};

static char *repaired_base64(const struct form_field *fld);
static bool optional_string(json_t *obj, const char *key, const char **out, char *detail,
    size_t detaillen);

const char *
bind_reason_code(enum bind_reason r)
{
	return (unsigned)r < sizeof(reason_codes) / sizeof(reason_codes[0]) ? reason_codes[r] : "?";
}

int
bind_reason_status(enum bind_reason r)
{
	switch (r) {
	case BIND_OK: return 200;
	case BIND_BAD_SIGNATURE: return 403;
	case BIND_METHOD_NOT_ALLOWED: return 405;
	case BIND_BODY_TOO_LARGE: return 413;
	case BIND_UNSUPPORTED_MEDIA_TYPE: return 415;
	default: return 400;
	}
}

void
bind_notice_init(struct bind_notice *n)
{
	memset(n, 0, sizeof(*n));
	n->key_index = -1;
}

void
bind_notice_cleanup(struct bind_notice *n)
{
	if (n == NULL)
		return;
	free(n->bind_request);
	free(n->bind_action);
	json_decref(n->payload);
	bind_notice_init(n);
}

/*
 * Base64 never contains a space, so a space in a Base64 field is a '+' that
 * was sent unescaped and turned into a space by form decoding.
 */
static char *
repaired_base64(const struct form_field *fld)
{
	char *s = xstrndup(fld->value, fld->value_len);

	for (char *p = s; *p; p++) {
		if (*p == ' ')
			*p = '+';
	}
	return s;
}

static bool
optional_string(json_t *obj, const char *key, const char **out, char *detail, size_t detaillen)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_string(v)) {
		snprintf(detail, detaillen, "field %s is not a string", key);
		return false;
	}
	if (json_string_length(v) > 0)
		*out = json_string_value(v);
	return true;
}

enum bind_reason
bind_verify(const struct keyring *keys, const char *rules, const struct form *f,
    struct bind_notice *out, char *detail, size_t detaillen)
{
	static const char *const required[] = { "bindRequest", "SigAlg", "Signature" };
	const struct form_field *req_f, *alg_f, *sig_f;
	unsigned char *sig = NULL, *json_bytes = NULL;
	size_t siglen = 0, json_len = 0;
	bool json_decoded = false;
	char *request = NULL;
	enum bind_reason r;
	json_error_t jerr;
	json_t *payload = NULL, *action;

	bind_notice_init(out);
	detail[0] = '\0';
	for (size_t i = 0; i < 3; i++) {
		size_t c = form_count(f, required[i]);

		if (c == 0) {
			snprintf(detail, detaillen, "form field %s is missing", required[i]);
			r = BIND_MISSING_FIELD;
			goto out;
		}
		if (c > 1) {
			/* Two values of a signed field leave it unclear which one was verified. */
			snprintf(detail, detaillen, "form field %s is given %zu times", required[i],
			    c);
			r = BIND_DUPLICATE_FIELD;
			goto out;
		}
	}
	req_f = form_get(f, "bindRequest");
	alg_f = form_get(f, "SigAlg");
	sig_f = form_get(f, "Signature");

	if (strlen(alg_f->value) != alg_f->value_len ||
	    strcasecmp(alg_f->value, BIND_SIG_ALG_RSA_SHA256) != 0) {
		snprintf(detail, detaillen, "SigAlg is not %s", BIND_SIG_ALG_RSA_SHA256);
		r = BIND_UNKNOWN_SIG_ALG;
		goto out;
	}
	if (req_f->value_len == 0 || strlen(req_f->value) != req_f->value_len) {
		snprintf(detail, detaillen, "bindRequest is empty or contains a NUL byte");
		r = BIND_BAD_BASE64;
		goto out;
	}
	{
		char *sig_text = repaired_base64(sig_f);
		bool ok = strlen(sig_text) == sig_f->value_len &&
		    b64_decode(sig_text, sig_f->value_len, &sig, &siglen) && siglen > 0;

		free(sig_text);
		if (!ok) {
			snprintf(detail, detaillen, "Signature is not valid Base64");
			r = BIND_BAD_SIGNATURE;
			goto out;
		}
	}
	request = repaired_base64(req_f);
	json_decoded = b64_decode(request, strlen(request), &json_bytes, &json_len);

	r = BIND_BAD_SIGNATURE;
	snprintf(detail, detaillen,
	    "signature does not verify under rule%s %s with any of %zu key%s",
	    strchr(rules, ',') ? "s" : "", rules, keyring_count(keys),
	    keyring_count(keys) == 1 ? "" : "s");
	for (const char *rule = rules; *rule; rule++) {
		struct buf msg;
		int k = -1;

		if (*rule != 'A' && *rule != 'B' && *rule != 'C')
			continue;
		buf_init(&msg);
		if (*rule == 'A') {
			buf_append_str(&msg, request);
		} else if (*rule == 'B') {
			char *a = form_urlencode(request, strlen(request));
			char *b = form_urlencode(alg_f->value, alg_f->value_len);

			buf_appendf(&msg, "bindRequest=%s&SigAlg=%s", a, b);
			free(a);
			free(b);
		} else if (json_decoded) {
			buf_append(&msg, json_bytes, json_len);
		} else {
			buf_cleanup(&msg);
			continue;
		}
		k = keyring_verify_rsa_sha256(keys,
		    (const unsigned char *)(msg.data ? msg.data : ""), msg.len, sig, siglen);
		buf_cleanup(&msg);
		if (k >= 0) {
			out->rule = *rule;
			out->key_index = k;
			r = BIND_OK;
			break;
		}
	}
	if (r != BIND_OK)
		goto out;

	/* From here on the message is Huawei's; what is wrong with it is still an error. */
	if (!json_decoded) {
		snprintf(detail, detaillen, "bindRequest is not valid Base64");
		r = BIND_BAD_BASE64;
		goto out;
	}
	payload = json_loadb((const char *)json_bytes, json_len, JSON_REJECT_DUPLICATES, &jerr);
	if (payload == NULL || !json_is_object(payload)) {
		if (payload == NULL)
			snprintf(detail, detaillen, "bindRequest is not JSON: %s at position %d",
			    jerr.text, jerr.position);
		else
			snprintf(detail, detaillen, "bindRequest is JSON but not an object");
		r = BIND_BAD_JSON;
		goto out;
	}
	if (!optional_string(payload, "domainId", &out->domain_id, detail, detaillen) ||
	    !optional_string(payload, "domainName", &out->domain_name, detail, detaillen) ||
	    !optional_string(payload, "xAccountId", &out->x_account_id, detail, detaillen) ||
	    !optional_string(payload, "xUserId", &out->x_user_id, detail, detaillen)) {
		r = BIND_BAD_JSON;
		goto out;
	}
	if (out->domain_id == NULL && out->domain_name == NULL) {
		snprintf(detail, detaillen,
		    "bindRequest names no customer: domainId and domainName "
		    "are both missing or empty");
		r = BIND_MISSING_CUSTOMER;
		goto out;
	}
	action = json_object_get(payload, "bindAction");
	if (action && !json_is_null(action)) {
		out->bind_action = json_is_string(action) ?
		    xstrdup(json_string_value(action)) :
		    json_dumps(action, JSON_ENCODE_ANY | JSON_COMPACT);
	}
	sha256_hex(request, strlen(request), out->idem_key);
	out->payload = payload;
	payload = NULL;
	out->bind_request = request;
	request = NULL;
	detail[0] = '\0';
	r = BIND_OK;
out:
	if (r != BIND_OK)
		bind_notice_cleanup(out);
	json_decref(payload);
	free(request);
	free(sig);
	free(json_bytes);
	return r;
}
