#include "notify/channels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "net/smtp_client.h"
#include "util/clock.h"
#include "util/b64.h"
#include "util/pct.h"
#include "util/xalloc.h"

/*
 * Default paces keep under each platform's limit in any sliding window:
 * 20 a minute for WeCom and DingTalk is held at 18 (one every 3.33 s, no
 * burst), Feishu's 100 a minute and 5 a second at one every 0.6 s, Slack's
 * "about one a second" at one a second. Webhooks and email are not paced
 * unless rate_limit says so. Every interval gets a tenth more, at most
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
	int per_min = d->rate_limit;

	*burst = 1;
	if (per_min == 0) {
		switch (d->type) {
		case CONFIG_CH_WECOM:
		case CONFIG_CH_DINGTALK:
			per_min = 18;
			break;
		case CONFIG_CH_FEISHU:
			*interval = with_margin(0.6);
			return;
		case CONFIG_CH_SLACK:
			per_min = 60;
			break;
		default:
			*interval = 0;
			return;
		}
	}
	*interval = with_margin(60.0 / per_min);
}

void
channel_message_id(const char *key, int part, int parts, char *out, size_t outlen)
{
	if (parts > 1)
		snprintf(out, outlen, "%s_%d", key, part);
	else
		snprintf(out, outlen, "%s", key);
}

static bool
hmac_b64(const void *key, size_t keylen, const void *msg, size_t msglen, char **out)
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
		/* Standard Webhooks keys are "whsec_" and Base64; anything else is used as bytes. */
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
		ok = hmac_b64(key, keylen, msg.data, msg.len, &sig);
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

static void
add_header(struct channel_request *req, const char *name, const char *value)
{
	if (req->n_headers < CHANNEL_MAX_HEADERS) {
		snprintf(req->headers[req->n_headers], sizeof(req->headers[0]), "%s: %s", name, value);
		req->n_headers++;
	}
}

static void
dump_into(struct buf *b, json_t *doc)
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
	const char *text = json_string_value(json_object_get(p, "text"));
	const char *title = json_string_value(json_object_get(p, "title"));

	memset(req, 0, sizeof(*req));
	buf_init(&req->url);
	buf_init(&req->body);
	if (text == NULL) {
		snprintf(err, errlen, "the rendered message has no text");
		return false;
	}
	buf_append_str(&req->url, d->url);
	add_header(req, "Content-Type", "application/json; charset=utf-8");

	switch (d->type) {
	case CONFIG_CH_WECOM:
		dump_into(&req->body, json_pack("{s:s, s:{s:s}}", "msgtype", "markdown", "markdown",
		    "content", text));
		return true;
	case CONFIG_CH_DINGTALK: {
		/* sign = urlencode(base64(HMAC-SHA256(secret, ts "\n" secret))), ms timestamp, in the query. */
		char ts[32], *sig = NULL;
		struct buf sts;
		json_t *doc, *at = json_object_get(p, "at");

		snprintf(ts, sizeof(ts), "%lld", (long long)now_ms);
		buf_init(&sts);
		buf_appendf(&sts, "%s\n%s", ts, d->secret);
		if (!hmac_b64(d->secret, strlen(d->secret), sts.data, sts.len, &sig)) {
			buf_cleanup(&sts);
			snprintf(err, errlen, "cannot compute the DingTalk signature");
			return false;
		}
		buf_cleanup(&sts);
		buf_appendf(&req->url, "%ctimestamp=%s&sign=", strchr(d->url, '?') ? '&' : '?', ts);
		pct_encode(&req->url, sig, strlen(sig));
		free(sig);
		doc = json_pack("{s:s, s:{s:s, s:s}, s:{s:o, s:b}}", "msgtype", "markdown",
		    "markdown", "title", title ? title : "hcwatch", "text", text, "at", "atMobiles",
		    at ? json_incref(at) : json_array(), "isAtAll", 0);
		dump_into(&req->body, doc);
		return true;
	}
	case CONFIG_CH_FEISHU: {
		/* sign = base64(HMAC-SHA256(key = ts "\n" secret, message = "")), seconds, in the body. */
		char ts[32], *sig = NULL;
		struct buf sts;

		snprintf(ts, sizeof(ts), "%lld", (long long)(now_ms / 1000));
		buf_init(&sts);
		buf_appendf(&sts, "%s\n%s", ts, d->secret);
		if (!hmac_b64(sts.data, sts.len, "", 0, &sig)) {
			buf_cleanup(&sts);
			snprintf(err, errlen, "cannot compute the Feishu signature");
			return false;
		}
		buf_cleanup(&sts);
		dump_into(&req->body, json_pack("{s:s, s:s, s:s, s:{s:s}}", "timestamp", ts, "sign",
		    sig, "msg_type", "text", "content", "text", text));
		free(sig);
		return true;
	}
	case CONFIG_CH_SLACK:
		dump_into(&req->body, json_pack("{s:s}", "text", text));
		return true;
	case CONFIG_CH_WEBHOOK: {
		char id[96], ts[32];
		struct buf sig;
		json_t *doc = json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:O}", "type", "hcwatch.alerts",
		    "id", key, "part", part, "parts", parts, "title", title ? title : "", "text", text,
		    "items", json_object_get(p, "items") ? json_object_get(p, "items") : json_null());

		channel_message_id(key, part, parts, id, sizeof(id));
		dump_into(&req->body, doc);
		snprintf(ts, sizeof(ts), "%lld", (long long)(now_ms / 1000));
		buf_init(&sig);
		if (!channel_webhook_signature(d->secret, id, now_ms / 1000, req->body.data,
		    req->body.len, &sig)) {
			buf_cleanup(&sig);
			snprintf(err, errlen, "[destination %s] secret: not a usable signing key",
			    d->name);
			return false;
		}
		add_header(req, "webhook-id", id);
		add_header(req, "webhook-timestamp", ts);
		add_header(req, "webhook-signature", sig.data);
		buf_cleanup(&sig);
		return true;
	}
	default:
		snprintf(err, errlen, "channel %s is not sent over HTTP", config_channel_name(d->type));
		return false;
	}
}

void
channel_request_cleanup(struct channel_request *req)
{
	buf_cleanup(&req->url);
	buf_cleanup(&req->body);
}

static void
result(struct send_result *out, enum send_outcome o, const char *code, double block,
    const char *msg)
{
	out->outcome = o;
	snprintf(out->code, sizeof(out->code), "%s", code ? code : "");
	out->block_s = block;
	snprintf(out->error, sizeof(out->error), "%s", msg ? msg : "");
}

/* The platforms' codes, from channels.md. */
struct platform_code {
	int channel;
	long code;
	enum send_outcome outcome;
	double block_s;
};

static const struct platform_code codes[] = {
	{ CONFIG_CH_WECOM, 45009, SEND_RETRY, 60 },	/* over 20 a minute */
	{ CONFIG_CH_WECOM, -1, SEND_RETRY, 0 },		/* system busy */
	{ CONFIG_CH_DINGTALK, 130101, SEND_RETRY, 600 },	/* over 20 a minute: 10 minutes' penalty */
	{ CONFIG_CH_DINGTALK, -1, SEND_RETRY, 0 },
	{ CONFIG_CH_FEISHU, 11232, SEND_RETRY, 30 },	/* frequency limited */
};

void
channel_classify(int channel, long status, const char *body, const char *retry_after,
    struct send_result *out)
{
	char code[32], msg[256];
	double ra = retry_after ? strtod(retry_after, NULL) : 0;
	json_t *doc = NULL;
	json_t *c, *m;

	memset(out, 0, sizeof(*out));
	snprintf(code, sizeof(code), "%ld", status);
	snprintf(msg, sizeof(msg), "HTTP %ld: %.200s", status, body ? body : "");
	if (ra < 0 || ra > 86400)
		ra = 0;
	if (status == 429) {
		result(out, SEND_RETRY, code, ra > 0 ? ra : 1, msg);
		return;
	}
	if (status >= 500 || status == 408) {
		result(out, SEND_RETRY, code, ra, msg);
		return;
	}
	if (channel == CONFIG_CH_SLACK || channel == CONFIG_CH_WEBHOOK) {
		if (status >= 200 && status < 300)
			result(out, SEND_OK, "", 0, "");
		else
			/* Slack names the reason in the body: invalid_payload, channel_not_found, … */
			result(out, SEND_PERMANENT, channel == CONFIG_CH_SLACK && body && *body &&
			    strlen(body) < 32 ? body : code, 0, msg);
		return;
	}
	/* WeCom, DingTalk and Feishu answer 200 and put the outcome in the body. */
	if (body)
		doc = json_loads(body, 0, NULL);
	c = doc ? json_object_get(doc, channel == CONFIG_CH_FEISHU ? "code" : "errcode") : NULL;
	if (c == NULL && doc && channel == CONFIG_CH_FEISHU)
		c = json_object_get(doc, "StatusCode");	/* the older answer */
	m = doc ? json_object_get(doc, channel == CONFIG_CH_FEISHU ? "msg" : "errmsg") : NULL;
	if (m == NULL && doc)
		m = json_object_get(doc, "StatusMessage");
	if (!json_is_integer(c)) {
		json_decref(doc);
		if (status >= 400)
			result(out, SEND_PERMANENT, code, 0, msg);
		else
			result(out, SEND_RETRY, code, 0, "an answer without an error code");
		return;
	}
	snprintf(code, sizeof(code), "%lld", (long long)json_integer_value(c));
	snprintf(msg, sizeof(msg), "%s %s: %.200s", config_channel_name(channel), code,
	    json_is_string(m) ? json_string_value(m) : "");
	if (json_integer_value(c) == 0) {
		result(out, SEND_OK, "", 0, "");
		json_decref(doc);
		return;
	}
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		if (codes[i].channel == channel && codes[i].code == json_integer_value(c)) {
			result(out, codes[i].outcome, code, codes[i].block_s, msg);
			json_decref(doc);
			return;
		}
	}
	/* Signature, keyword, IP, removed robot, too large: sending again will not help. */
	result(out, SEND_PERMANENT, code, 0, msg);
	json_decref(doc);
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

static void
send_email(const struct config_dest *d, int timeout_s, const char *key, int part, int parts,
    const json_t *p, struct send_result *out)
{
	struct smtp_message msg;
	struct smtp_outcome so;
	char id[96];

	channel_message_id(key, part, parts, id, sizeof(id));
	memset(&msg, 0, sizeof(msg));
	msg.url = d->url;
	msg.tls = d->tls;
	msg.username = d->username;
	msg.password = d->password;
	msg.ca_file = d->ca_file;
	msg.from = d->mail_from;
	msg.to = d->mail_to;
	msg.subject = json_string_value(json_object_get(p, "subject"));
	msg.text = json_string_value(json_object_get(p, "text"));
	msg.html = json_string_value(json_object_get(p, "html"));
	msg.message_id = id;
	msg.timeout_s = timeout_s;
	smtp_send(&msg, &so);
	snprintf(out->code, sizeof(out->code), "%s", so.code);
	snprintf(out->error, sizeof(out->error), "%s", so.error);
	out->block_s = 0;
	out->outcome = so.outcome == SMTP_OK ? SEND_OK :
	    so.outcome == SMTP_TRANSIENT ? SEND_RETRY : SEND_PERMANENT;
	redact(out, d, NULL);
}

void
channel_send(struct http_client *hc, const struct config_dest *d, int timeout_s,
    const char *key, int part, int parts, const json_t *p, struct send_result *out)
{
	struct channel_request req;
	struct http_response resp;
	const char *hdrs[CHANNEL_MAX_HEADERS + 1];
	char err[HTTP_CLIENT_ERR_LEN], ra[32];

	memset(out, 0, sizeof(*out));
	if (d->type == CONFIG_CH_EMAIL) {
		send_email(d, timeout_s, key, part, parts, p, out);
		return;
	}
	if (!channel_build(d, key, part, parts, p, clock_wall_us() / 1000, &req, err, sizeof(err))) {
		result(out, SEND_PERMANENT, "build", 0, err);
		channel_request_cleanup(&req);
		return;
	}
	for (int i = 0; i < req.n_headers; i++)
		hdrs[i] = req.headers[i];
	hdrs[req.n_headers] = NULL;
	http_response_init(&resp);
	if (!http_client_request(hc, "POST", req.url.data, hdrs, req.body.data, req.body.len,
	    &resp, err, sizeof(err))) {
		/* No answer: connect, TLS, timeout. The platform may or may not have it. */
		result(out, SEND_RETRY, "transport", 0, err);
	} else {
		channel_classify(d->type, resp.status, http_response_as_string(&resp),
		    http_response_header(&resp, "Retry-After", ra, sizeof(ra)) ? ra : NULL, out);
	}
	out->sent_us = resp.sent_us;
	redact(out, d, req.url.data);
	http_response_cleanup(&resp);
	channel_request_cleanup(&req);
}
