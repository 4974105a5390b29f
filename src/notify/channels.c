#include "notify/channels_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/clock.h"
#include "util/b64.h"
#include "util/pct.h"
#include "util/xalloc.h"

/*
 * The registry: one row per channel type. Adding a channel is a file of its
 * own and a row here.
 */
static const struct channel_ops *const channel_table[CONFIG_CH_COUNT] = {
	[CONFIG_CH_WECOM] = &channel_wecom,
	[CONFIG_CH_DINGTALK] = &channel_dingtalk,
	[CONFIG_CH_FEISHU] = &channel_feishu,
	[CONFIG_CH_SLACK] = &channel_slack,
	[CONFIG_CH_WEBHOOK] = &channel_webhook,
	[CONFIG_CH_EMAIL] = &channel_email,
};

const struct channel_ops *
channel_ops(int type)
{
	return type >= 0 && type < CONFIG_CH_COUNT ? channel_table[type] : &channel_webhook;
}

/*
 * Paces keep under each platform's limit in any sliding window (each
 * channel's file says its own). Every interval gets a tenth more, at most
 * PACE_MARGIN_S: the notifier spaces sends by when they really left
 * (store_destination_sent), and the margin is for what happens after that,
 * on the network and at the receiver.
 */
#define PACE_MARGIN_S 0.1

static double
with_margin(double interval)
{
	return interval + (interval / 10 < PACE_MARGIN_S ? interval / 10 : PACE_MARGIN_S);
}

void
channel_pace(const struct config_dest *d, double *interval, int *burst)
{
	double per_min = d->rate_limit > 0 ? d->rate_limit : channel_ops(d->type)->per_minute;

	*burst = 1;
	*interval = per_min > 0 ? with_margin(60.0 / per_min) : 0;
}

void
channel_message_id(const char *key, int part, int parts, char *out, size_t outlen)
{
	if (parts > 1)
		snprintf(out, outlen, "%s_%d", key, part);
	else
		snprintf(out, outlen, "%s", key);
}

bool
channel_hmac_b64(const void *key, size_t keylen, const void *msg, size_t msglen, char **out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	if (HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, mac, &maclen) == NULL)
		return false;
	*out = b64_encode(mac, maclen);
	return true;
}

bool
channel_webhook_signature(const char *secrets, const char *msg_id, int64_t ts, const char *body,
    size_t body_len, struct buf *out)
{
	const char *p = secrets;
	struct buf msg;
	bool ok = true;

	buf_init(&msg);
	buf_appendf(&msg, "%s.%lld.", msg_id, (long long)ts);
	buf_append(&msg, body, body_len);
	while (*p && ok) {
		size_t n;
		unsigned char *key = NULL;
		size_t keylen = 0;
		char *sig = NULL;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n == 0)
			break;
		/* Standard Webhooks keys are "whsec_" and Base64; anything else is used as bytes.
		 */
		if (n > 6 && strncmp(p, "whsec_", 6) == 0) {
			if (!b64_decode(p + 6, n - 6, &key, &keylen)) {
				ok = false;
				break;
			}
		} else {
			key = xmalloc(n + 1);
			memcpy(key, p, n);
			keylen = n;
		}
		ok = channel_hmac_b64(key, keylen, msg.data, msg.len, &sig);
		if (ok)
			buf_appendf(out, "%sv1,%s", out->len ? " " : "", sig);
		OPENSSL_cleanse(key, keylen);
		free(key);
		free(sig);
		p += n;
	}
	buf_cleanup(&msg);
	return ok && out->len > 0;
}

void
channel_add_header(struct channel_request *req, const char *name, const char *value)
{
	if (req->n_headers < CHANNEL_MAX_HEADERS) {
		snprintf(req->headers[req->n_headers], sizeof(req->headers[0]), "%s: %s", name,
		    value);
		req->n_headers++;
	}
}

void
channel_dump_into(struct buf *b, json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT);

	if (s)
		buf_append_str(b, s);
	free(s);
	json_decref(doc);
}

bool
channel_build(const struct config_dest *d, const char *key, int part, int parts, const json_t *p,
    int64_t now_ms, struct channel_request *req, char *err, size_t errlen)
{
	const struct channel_ops *ops = channel_ops(d->type);

	memset(req, 0, sizeof(*req));
	buf_init(&req->url);
	buf_init(&req->body);
	if (json_string_value(json_object_get(p, "text")) == NULL) {
		snprintf(err, errlen, "the rendered message has no text");
		return false;
	}
	if (ops->build == NULL) {
		snprintf(err, errlen, "channel %s is not sent over HTTP", ops->name);
		return false;
	}
	buf_append_str(&req->url, d->url);
	channel_add_header(req, "Content-Type", "application/json; charset=utf-8");
	return ops->build(d, key, part, parts, p, now_ms, req, err, errlen);
}

void
channel_request_cleanup(struct channel_request *req)
{
	buf_cleanup(&req->url);
	buf_cleanup(&req->body);
}

void
channel_result(struct send_result *out, enum send_outcome o, const char *code, double block,
    const char *msg)
{
	out->outcome = o;
	snprintf(out->code, sizeof(out->code), "%s", code ? code : "");
	out->block_s = block;
	snprintf(out->error, sizeof(out->error), "%s", msg ? msg : "");
}

/* Retry-After in seconds, within a day; 0 when absent or odd. */
static double
retry_after_s(const char *retry_after)
{
	double ra = retry_after ? strtod(retry_after, NULL) : 0;

	return ra < 0 || ra > 86400 ? 0 : ra;
}

/* 429, 408 and 5xx are retried whatever the platform; true when status was one. */
static bool
classify_busy(long status, const char *body, const char *retry_after, struct send_result *out)
{
	char code[32], msg[256];
	double ra = retry_after_s(retry_after);

	snprintf(code, sizeof(code), "%ld", status);
	snprintf(msg, sizeof(msg), "HTTP %ld: %.200s", status, body ? body : "");
	if (status == 429) {
		channel_result(out, SEND_RETRY, code, ra > 0 ? ra : 1, msg);
		return true;
	}
	if (status >= 500 || status == 408) {
		channel_result(out, SEND_RETRY, code, ra, msg);
		return true;
	}
	return false;
}

void
channel_classify_http(long status, const char *body, const char *retry_after, const char *code,
    struct send_result *out)
{
	char status_code[32], msg[256];

	memset(out, 0, sizeof(*out));
	if (classify_busy(status, body, retry_after, out))
		return;
	snprintf(status_code, sizeof(status_code), "%ld", status);
	snprintf(msg, sizeof(msg), "HTTP %ld: %.200s", status, body ? body : "");
	if (status >= 200 && status < 300)
		channel_result(out, SEND_OK, "", 0, "");
	else
		channel_result(out, SEND_PERMANENT, code ? code : status_code, 0, msg);
}

void
channel_classify_errcode(const char *platform, long status, const char *body,
    const char *retry_after, const char *code_key, const char *alt_code_key, const char *msg_key,
    const struct channel_code *codes, size_t ncodes, struct send_result *out)
{
	char code[32], msg[256];
	json_t *doc = NULL;
	json_t *c, *m;

	memset(out, 0, sizeof(*out));
	if (classify_busy(status, body, retry_after, out))
		return;
	snprintf(code, sizeof(code), "%ld", status);
	snprintf(msg, sizeof(msg), "HTTP %ld: %.200s", status, body ? body : "");
	if (body)
		doc = json_loads(body, 0, NULL);
	c = doc ? json_object_get(doc, code_key) : NULL;
	if (c == NULL && doc && alt_code_key)
		c = json_object_get(doc, alt_code_key);
	m = doc ? json_object_get(doc, msg_key) : NULL;
	if (m == NULL && doc)
		m = json_object_get(doc, "StatusMessage");
	if (!json_is_integer(c)) {
		json_decref(doc);
		if (status >= 400)
			channel_result(out, SEND_PERMANENT, code, 0, msg);
		else
			channel_result(out, SEND_RETRY, code, 0, "an answer without an error code");
		return;
	}
	snprintf(code, sizeof(code), "%lld", (long long)json_integer_value(c));
	snprintf(msg, sizeof(msg), "%s %s: %.200s", platform, code,
	    json_is_string(m) ? json_string_value(m) : "");
	if (json_integer_value(c) == 0) {
		channel_result(out, SEND_OK, "", 0, "");
		json_decref(doc);
		return;
	}
	for (size_t i = 0; i < ncodes; i++) {
		if (codes[i].code == json_integer_value(c)) {
			channel_result(out, codes[i].outcome, code, codes[i].block_s, msg);
			json_decref(doc);
			return;
		}
	}
	/* Signature, keyword, IP, removed robot, too large: sending again will not help. */
	channel_result(out, SEND_PERMANENT, code, 0, msg);
	json_decref(doc);
}

void
channel_classify(int channel, long status, const char *body, const char *retry_after,
    struct send_result *out)
{
	const struct channel_ops *ops = channel_ops(channel);

	if (ops->classify)
		ops->classify(status, body, retry_after, out);
	else
		channel_classify_http(status, body, retry_after, NULL, out);
}

/*
 * A platform's answer may echo the request: neither the destination's URL
 * (its key or token), the URL as signed nor its secret leaves in an error.
 */
static void
redact(struct send_result *out, const struct config_dest *d, const char *sent_url)
{
	http_redact(out->error, d->url, d->secret);
	http_redact(out->error, sent_url, d->password);
	http_redact(out->code, d->url, d->secret);
}

void
channel_send(struct http_client *hc, const struct config_dest *d, int timeout_s, const char *key,
    int part, int parts, const json_t *p, struct send_result *out)
{
	struct channel_request req;
	struct http_response resp;
	const char *hdrs[CHANNEL_MAX_HEADERS + 1];
	char err[HTTP_CLIENT_ERR_LEN], ra[32];

	memset(out, 0, sizeof(*out));
	if (channel_ops(d->type)->send) {
		channel_ops(d->type)->send(d, timeout_s, key, part, parts, p, out);
		redact(out, d, NULL);
		return;
	}
	if (!channel_build(d, key, part, parts, p, clock_wall_us() / 1000, &req, err,
		sizeof(err))) {
		channel_result(out, SEND_PERMANENT, "build", 0, err);
		channel_request_cleanup(&req);
		return;
	}
	for (int i = 0; i < req.n_headers; i++)
		hdrs[i] = req.headers[i];
	hdrs[req.n_headers] = NULL;
	http_response_init(&resp);
	if (!http_client_request(hc, "POST", req.url.data, hdrs, req.body.data, req.body.len, &resp,
		err, sizeof(err))) {
		/* No answer: connect, TLS, timeout. The platform may or may not have it. */
		channel_result(out, SEND_RETRY, "transport", 0, err);
	} else {
		channel_classify(d->type, resp.status, http_response_as_string(&resp),
		    http_response_header(&resp, "Retry-After", ra, sizeof(ra)) ? ra : NULL, out);
	}
	out->sent_us = resp.sent_us;
	redact(out, d, req.url.data);
	http_response_cleanup(&resp);
	channel_request_cleanup(&req);
}
