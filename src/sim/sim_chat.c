/*
 * hcwatch-sim's chat and mail side: WeCom, DingTalk, Feishu and Slack
 * robots, a Standard Webhooks receiver, and (sim_smtp.c) an SMTP server. Each checks
 * what the platform checks (signatures, timestamps, sizes, formats),
 * enforces the platform's rate limit with its real error code, answers
 * errors the way the platform does (mostly HTTP 200 with a code), and
 * records what it accepted for tests to read at /_sim/messages and
 * /_sim/mail.
 *
 * The verification here is written apart from hcwatch's channel code, so
 * that a mistake in one is not repeated in the other.
 */
#include "sim/sim_chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include "sim/sim_chat_parts.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/pct.h"
#include "util/xalloc.h"

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
chat_wall(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

struct sim_chat *
sim_chat_new(struct event_base *base, const char *secret, const char *webhook_secret,
    double dingtalk_penalty)
{
	struct sim_chat *c = xcalloc(1, sizeof(*c));

	c->base = base;
	c->secret = xstrdup(secret);
	c->webhook_secret = xstrdup(webhook_secret);
	c->dingtalk_penalty = dingtalk_penalty;
	c->messages = json_array();
	c->rejected = json_array();
	c->seen_ids = json_object();
	c->mail = json_array();
	return c;
}

void
sim_chat_free(struct sim_chat *c)
{
	if (c == NULL)
		return;
	if (c->smtp)
		evconnlistener_free(c->smtp);
	json_decref(c->messages);
	json_decref(c->rejected);
	json_decref(c->seen_ids);
	json_decref(c->mail);
	free(c->secret);
	free(c->webhook_secret);
	free(c->smtp_user);
	free(c->smtp_password);
	SSL_CTX_free(c->smtp_tls);
	free(c);
}

struct target *
chat_target(struct sim_chat *c, const char *channel, const char *name)
{
	struct target *t;

	for (int i = 0; i < c->ntargets; i++) {
		if (strcmp(c->targets[i].channel, channel) == 0 &&
		    strcmp(c->targets[i].name, name) == 0)
			return &c->targets[i];
	}
	if (c->ntargets == MAX_TARGETS)
		return &c->targets[MAX_TARGETS - 1];
	t = &c->targets[c->ntargets++];
	memset(t, 0, sizeof(*t));
	snprintf(t->channel, sizeof(t->channel), "%s", channel);
	snprintf(t->name, sizeof(t->name), "%s", name);
	return t;
}

/* Accepted messages in the last window seconds; drops older ones. */
static int
in_window(struct target *t, double window)
{
	double now = mono();
	int drop = 0;

	while (drop < t->nsent && t->sent[drop] <= now - window)
		drop++;
	memmove(t->sent, t->sent + drop, (size_t)(t->nsent - drop) * sizeof(t->sent[0]));
	t->nsent -= drop;
	return t->nsent;
}

static void
note_sent(struct target *t)
{
	if (t->nsent == WINDOW_MAX) {
		memmove(t->sent, t->sent + 1, (WINDOW_MAX - 1) * sizeof(t->sent[0]));
		t->nsent--;
	}
	t->sent[t->nsent++] = mono();
}

/* The active fault of t ("down" or "code"), consuming one use; NULL if none. */
const char *
chat_fault(struct target *t)
{
	const char *mode;

	if (!t->fault_mode[0])
		return NULL;
	mode = strcmp(t->fault_mode, "down") == 0 ? "down" : "code";
	if (t->fault_count > 0) {
		if (--t->fault_count == 0)
			t->fault_mode[0] = '\0';
		return mode;
	}
	if (t->fault_count < 0 && mono() < t->fault_until)
		return mode;
	t->fault_mode[0] = '\0';
	return NULL;
}

static void
reply(struct evhttp_request *req, int status, const char *ctype, const char *text)
{
	struct evbuffer *out = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
	evbuffer_add(out, text, strlen(text));
	evhttp_send_reply(req, status, status == 200 ? "OK" : "Error", out);
	evbuffer_free(out);
}

static void
reply_json(struct evhttp_request *req, int status, json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT);

	reply(req, status, "application/json;charset=UTF-8", s ? s : "{}");
	free(s);
	json_decref(doc);
}

void
chat_reject(struct sim_chat *c, struct target *t, const char *code, const char *why)
{
	json_array_append_new(c->rejected,
	    json_pack("{s:s, s:s, s:s, s:s, s:f}", "channel", t->channel, "target", t->name, "code",
		code, "why", why, "at", chat_wall()));
}

/* The hcwatch key in a message's footer ("hcw_…"), or "". */
static void
find_key(const char *text, char *out, size_t outlen)
{
	const char *p = text ? strstr(text, "hcw_") : NULL;
	size_t n = 0;

	if (p)
		n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	snprintf(out, outlen, "%.*s", (int)n, p ? p : "");
}

static void
record(struct sim_chat *c, struct target *t, const char *id, const char *title, const char *text,
    size_t bytes, json_t *extra)
{
	char key[96];
	json_t *m;

	find_key(text, key, sizeof(key));
	m = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:f}", "seq", (json_int_t)++c->seq,
	    "channel", t->channel, "target", t->name, "id", id ? id : key, "key", key, "title",
	    title ? title : "", "text", text ? text : "", "bytes", (json_int_t)bytes, "at",
	    chat_wall());
	if (extra)
		json_object_update(m, extra);
	json_decref(extra);
	json_array_append_new(c->messages, m);
}

static bool
hmac_b64(const void *key, size_t keylen, const void *msg, size_t msglen, char *out, size_t outlen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *b;

	if (HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, mac, &n) == NULL)
		return false;
	b = b64_encode(mac, n);
	snprintf(out, outlen, "%s", b);
	free(b);
	return true;
}

/* a "\n" b, which both robots sign. */
static char *
joined(const char *a, const char *b)
{
	struct buf out;

	buf_init(&out);
	buf_appendf(&out, "%s\n%s", a, b);
	return buf_release(&out);
}

bool
chat_same(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

/* A query parameter, percent-decoded the way a web server does ('+' is a space). */
static bool
query_param(struct evhttp_request *req, const char *name, struct buf *out)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	size_t nl = strlen(name);

	while (q && *q) {
		size_t n = strcspn(q, "&");

		if (n > nl && strncmp(q, name, nl) == 0 && q[nl] == '=')
			return pct_decode(out, q + nl + 1, n - nl - 1, true);
		q += n;
		if (*q == '&')
			q++;
	}
	return false;
}

/*
 * An injected fault, answered as a robot that reports errors in a 200 body
 * (field names code_field and msg_field); true if one was.
 */
static bool
injected(struct sim_chat *c, struct target *t, struct evhttp_request *req, const char *code_field,
    const char *msg_field)
{
	const char *f = chat_fault(t);

	if (f == NULL)
		return false;
	if (strcmp(f, "down") == 0)
		reply(req, 503, "text/html", "Service Unavailable");
	else
		reply_json(req, 200,
		    json_pack("{s:I, s:s}", code_field, (json_int_t)t->fault_code, msg_field,
			"injected by hcwatch-sim"));
	chat_reject(c, t, f, "fault");
	return true;
}

static void
h_wecom(struct sim_chat *c, struct evhttp_request *req, const char *body, size_t len)
{
	struct buf key;
	struct target *t;
	json_t *in, *content;
	const char *type;
	size_t limit;

	buf_init(&key);
	if (!query_param(req, "key", &key) || key.len == 0) {
		buf_cleanup(&key);
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 93000, "errmsg", "invalid webhook url"));
		return;
	}
	t = chat_target(c, "wecom", key.data);
	buf_cleanup(&key);
	if (injected(c, t, req, "errcode", "errmsg"))
		return;
	if (strncmp(t->name, "removed", 7) == 0) {
		chat_reject(c, t, "93000", "removed robot");
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 93000, "errmsg",
			"invalid webhook url, hint: [sim]"));
		return;
	}
	if (in_window(t, 60) >= 20) {
		chat_reject(c, t, "45009", "over 20 a minute");
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 45009, "errmsg", "api freq out of limit"));
		return;
	}
	in = json_loadb(body, len, 0, NULL);
	type = json_string_value(json_object_get(in, "msgtype"));
	if (type == NULL || (strcmp(type, "markdown") != 0 && strcmp(type, "text") != 0)) {
		chat_reject(c, t, "40008", "message type");
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 40008, "errmsg", "invalid message type"));
		json_decref(in);
		return;
	}
	content = json_object_get(json_object_get(in, type), "content");
	limit = strcmp(type, "markdown") == 0 ? 4096 : 2048;
	if (!json_is_string(content) || json_string_length(content) == 0) {
		chat_reject(c, t, "44004", "empty content");
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 44004, "errmsg", "empty content"));
	} else if (json_string_length(content) > limit) {
		char msg[96];

		snprintf(msg, sizeof(msg), "%s.content exceed max length %zu", type, limit);
		chat_reject(c, t, "40058", msg);
		reply_json(req, 200, json_pack("{s:i, s:s}", "errcode", 40058, "errmsg", msg));
	} else {
		note_sent(t);
		record(c, t, NULL, NULL, json_string_value(content), len,
		    json_pack("{s:s}", "msgtype", type));
		reply_json(req, 200, json_pack("{s:i, s:s}", "errcode", 0, "errmsg", "ok"));
	}
	json_decref(in);
}

static void
h_dingtalk(struct sim_chat *c, struct evhttp_request *req, const char *body, size_t len)
{
	struct buf token, ts, sign;
	struct target *t;
	json_t *in = NULL;
	char expect[128], *sts = NULL;
	const char *type;
	double stamp;

	buf_init(&token);
	buf_init(&ts);
	buf_init(&sign);
	if (!query_param(req, "access_token", &token) || token.len == 0) {
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 300001, "errmsg", "token is not exist"));
		goto out;
	}
	t = chat_target(c, "dingtalk", token.data);
	if (injected(c, t, req, "errcode", "errmsg"))
		goto out;
	/* sign = urlencode(base64(HMAC-SHA256(secret, timestamp "\n" secret))), within an hour. */
	if (!query_param(req, "timestamp", &ts) || !query_param(req, "sign", &sign)) {
		chat_reject(c, t, "310000", "no sign");
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 310000, "errmsg",
			"sign not match, more: [no timestamp or sign]"));
		goto out;
	}
	stamp = strtod(ts.data, NULL) / 1000.0;
	sts = joined(ts.data, c->secret);
	if (!hmac_b64(c->secret, strlen(c->secret), sts, strlen(sts), expect, sizeof(expect)) ||
	    !chat_same(expect, sign.data) || stamp < chat_wall() - 3600 ||
	    stamp > chat_wall() + 3600) {
		chat_reject(c, t, "310000", "sign not match");
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 310000, "errmsg",
			"sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"));
		goto out;
	}
	if (mono() < t->penalty_until || in_window(t, 60) >= 20) {
		/* Over 20 a minute: refused, and the robot stays refused for ten minutes. */
		if (mono() >= t->penalty_until)
			t->penalty_until = mono() + c->dingtalk_penalty;
		chat_reject(c, t, "130101", "send too fast");
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 130101, "errmsg",
			"send too fast, exceed 20 times per minute"));
		goto out;
	}
	if (len > 20000) {
		chat_reject(c, t, "460101", "message too long");
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 460101, "errmsg",
			"message too long, exceed 20000 bytes"));
		goto out;
	}
	in = json_loadb(body, len, 0, NULL);
	type = json_string_value(json_object_get(in, "msgtype"));
	if (type == NULL || strcmp(type, "markdown") != 0 ||
	    !json_is_string(json_object_get(json_object_get(in, "markdown"), "title")) ||
	    !json_is_string(json_object_get(json_object_get(in, "markdown"), "text"))) {
		chat_reject(c, t, "40035", "bad markdown");
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 40035, "errmsg",
			"缺少参数 markdown.title or markdown.text"));
		goto out;
	}
	note_sent(t);
	record(c, t, NULL,
	    json_string_value(json_object_get(json_object_get(in, "markdown"), "title")),
	    json_string_value(json_object_get(json_object_get(in, "markdown"), "text")), len,
	    json_pack("{s:O}", "at_mobiles",
		json_object_get(json_object_get(in, "at"), "atMobiles") ?
		    json_object_get(json_object_get(in, "at"), "atMobiles") :
		    json_null()));
	reply_json(req, 200, json_pack("{s:i, s:s}", "errcode", 0, "errmsg", "ok"));
out:
	free(sts);
	json_decref(in);
	buf_cleanup(&token);
	buf_cleanup(&ts);
	buf_cleanup(&sign);
}

static void
h_feishu(struct sim_chat *c, struct evhttp_request *req, const char *token, const char *body,
    size_t len)
{
	struct target *t = chat_target(c, "feishu", token);
	json_t *in = NULL;
	const char *ts, *sign, *text;
	char expect[128], *key = NULL;
	double stamp;

	if (injected(c, t, req, "code", "msg"))
		return;
	if (len > 20 * 1024) {
		chat_reject(c, t, "9499", "too large");
		reply_json(req, 400, json_pack("{s:i, s:s}", "code", 9499, "msg", "Bad Request"));
		return;
	}
	in = json_loadb(body, len, 0, NULL);
	ts = json_string_value(json_object_get(in, "timestamp"));
	sign = json_string_value(json_object_get(in, "sign"));
	stamp = ts ? strtod(ts, NULL) : 0;
	/* sign = base64(HMAC-SHA256(key = timestamp "\n" secret, message = "")), within an hour. */
	if (ts && sign)
		key = joined(ts, c->secret);
	if (key == NULL || !hmac_b64(key, strlen(key), "", 0, expect, sizeof(expect)) ||
	    !chat_same(expect, sign) || stamp < chat_wall() - 3600 || stamp > chat_wall() + 3600) {
		chat_reject(c, t, "19021", "sign");
		reply_json(req, 200,
		    json_pack("{s:i, s:s, s:{}}", "code", 19021, "msg",
			"sign match fail or timestamp is not within one hour from current time",
			"data"));
		goto out;
	}
	if (in_window(t, 1) >= 5 || in_window(t, 60) >= 100) {
		chat_reject(c, t, "11232", "frequency limited");
		reply_json(req, 200,
		    json_pack("{s:i, s:s, s:{}}", "code", 11232, "msg",
			"frequency limited psm[lark.oapi.app_platform_runtime]appID[1]", "data"));
		goto out;
	}
	text = json_string_value(json_object_get(json_object_get(in, "content"), "text"));
	if (!json_is_string(json_object_get(in, "msg_type")) || text == NULL) {
		chat_reject(c, t, "9499", "bad message");
		reply_json(req, 400, json_pack("{s:i, s:s}", "code", 9499, "msg", "Bad Request"));
		goto out;
	}
	note_sent(t);
	record(c, t, NULL, NULL, text, len, NULL);
	reply_json(req, 200, json_pack("{s:i, s:{}, s:s}", "code", 0, "data", "msg", "success"));
out:
	free(key);
	json_decref(in);
}

static void
h_slack(struct sim_chat *c, struct evhttp_request *req, const char *path, const char *body,
    size_t len)
{
	struct target *t = chat_target(c, "slack", path);
	json_t *in;
	const char *f, *text;

	if ((f = chat_fault(t)) != NULL) {
		if (strcmp(f, "down") == 0)
			reply(req, 503, "text/html", "Service Unavailable");
		else
			reply(req, (int)t->fault_code, "text/html", "injected_by_hcwatch_sim");
		chat_reject(c, t, f, "fault");
		return;
	}
	if (strncmp(path, "archived", 8) == 0) {
		chat_reject(c, t, "410", "channel_is_archived");
		reply(req, 410, "text/html", "channel_is_archived");
		return;
	}
	/*
	 * "About one a second, short bursts allowed": held to the stricter
	 * reading, at most one message in any sliding second.
	 */
	if (in_window(t, 1) >= 1) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
		chat_reject(c, t, "429", "rate_limited");
		reply(req, 429, "text/html", "rate_limited");
		return;
	}
	in = json_loadb(body, len, 0, NULL);
	text = json_string_value(json_object_get(in, "text"));
	if (in == NULL) {
		chat_reject(c, t, "400", "invalid_payload");
		reply(req, 400, "text/html", "invalid_payload");
	} else if (text == NULL || *text == '\0') {
		chat_reject(c, t, "400", "no_text");
		reply(req, 400, "text/html", "no_text");
	} else {
		note_sent(t);
		record(c, t, NULL, NULL, text, len, NULL);
		reply(req, 200, "text/html", "ok");
	}
	json_decref(in);
}

/* Standard Webhooks: v1 = base64(HMAC-SHA256(key, id "." ts "." body)), 5 minutes' tolerance. */
static void
h_webhook(struct sim_chat *c, struct evhttp_request *req, const char *name, const char *body,
    size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *id = evhttp_find_header(h, "webhook-id");
	const char *ts = evhttp_find_header(h, "webhook-timestamp");
	const char *sig = evhttp_find_header(h, "webhook-signature");
	struct target *t = chat_target(c, "webhook", name);
	unsigned char *key = NULL;
	size_t keylen = 0;
	char expect[128];
	bool ok = false;
	const char *f;
	json_t *in;
	json_int_t dup;

	if ((f = chat_fault(t)) != NULL) {
		reply(req, strcmp(f, "down") == 0 ? 503 : (int)t->fault_code, "text/plain",
		    "fault");
		chat_reject(c, t, f, "fault");
		return;
	}
	if (id == NULL || ts == NULL || sig == NULL) {
		chat_reject(c, t, "400", "missing webhook headers");
		reply(req, 400, "text/plain",
		    "missing webhook-id, webhook-timestamp or webhook-signature");
		return;
	}
	if (strtod(ts, NULL) - chat_wall() > 300 || chat_wall() - strtod(ts, NULL) > 300) {
		chat_reject(c, t, "400", "timestamp");
		reply(req, 400, "text/plain", "timestamp outside the tolerance");
		return;
	}
	if (strncmp(c->webhook_secret, "whsec_", 6) == 0 &&
	    b64_decode(c->webhook_secret + 6, strlen(c->webhook_secret + 6), &key, &keylen)) {
		struct buf msg;

		buf_init(&msg);
		buf_appendf(&msg, "%s.%s.", id, ts);
		buf_append(&msg, body, len);
		if (hmac_b64(key, keylen, msg.data, msg.len, expect, sizeof(expect))) {
			/* Any of the space-separated "v1,…" signatures may match (key rotation). */
			const char *p = sig;

			while (*p && !ok) {
				size_t n;
				char one[160];

				p += strspn(p, " ");
				n = strcspn(p, " ");
				snprintf(one, sizeof(one), "%.*s", (int)n, p);
				ok = strncmp(one, "v1,", 3) == 0 && chat_same(one + 3, expect);
				p += n;
			}
		}
		buf_cleanup(&msg);
		free(key);
	}
	if (!ok) {
		chat_reject(c, t, "401", "signature");
		reply(req, 401, "text/plain", "signature mismatch");
		return;
	}
	in = json_loadb(body, len, 0, NULL);
	if (!json_is_object(in)) {
		chat_reject(c, t, "400", "not JSON");
		reply(req, 400, "text/plain", "body is not a JSON object");
		json_decref(in);
		return;
	}
	dup = json_integer_value(json_object_get(c->seen_ids, id));
	json_object_set_new(c->seen_ids, id, json_integer(dup + 1));
	record(c, t, id, json_string_value(json_object_get(in, "title")),
	    json_string_value(json_object_get(in, "text")), len,
	    json_pack("{s:b, s:O}", "duplicate", dup > 0, "items",
		json_object_get(in, "items") ? json_object_get(in, "items") : json_null()));
	json_decref(in);
	reply(req, 200, "text/plain", "ok");
}

static void
h_messages(struct sim_chat *c, struct evhttp_request *req)
{
	struct buf ch, tg;
	json_t *out = json_array(), *rej = json_array(), *m;
	size_t i;

	buf_init(&ch);
	buf_init(&tg);
	(void)query_param(req, "channel", &ch);
	(void)query_param(req, "target", &tg);
	json_array_foreach(c->messages, i, m) {
		if ((ch.len == 0 ||
			strcmp(ch.data, json_string_value(json_object_get(m, "channel"))) == 0) &&
		    (tg.len == 0 ||
			strcmp(tg.data, json_string_value(json_object_get(m, "target"))) == 0))
			json_array_append(out, m);
	}
	json_array_foreach(c->rejected, i, m) {
		if ((ch.len == 0 ||
			strcmp(ch.data, json_string_value(json_object_get(m, "channel"))) == 0) &&
		    (tg.len == 0 ||
			strcmp(tg.data, json_string_value(json_object_get(m, "target"))) == 0))
			json_array_append(rej, m);
	}
	buf_cleanup(&ch);
	buf_cleanup(&tg);
	reply_json(req, 200, json_pack("{s:o, s:o}", "messages", out, "rejected", rej));
}

/* {"channel": "wecom", "target": KEY, "mode": "down"|"code", "code": N, "count": N | "seconds": S}
 */
static void
h_faults(struct sim_chat *c, struct evhttp_request *req, const char *body, size_t len)
{
	json_t *in = json_loadb(body, len, 0, NULL);
	const char *ch = json_string_value(json_object_get(in, "channel"));
	const char *tg = json_string_value(json_object_get(in, "target"));
	const char *mode = json_string_value(json_object_get(in, "mode"));
	struct target *t;

	if (ch == NULL || tg == NULL || mode == NULL ||
	    (strcmp(mode, "down") != 0 && strcmp(mode, "code") != 0 && strcmp(mode, "none") != 0)) {
		reply_json(req, 400,
		    json_pack("{s:s}", "error",
			"expected channel, target and mode "
			"(down, code or none)"));
		json_decref(in);
		return;
	}
	t = chat_target(c, ch, tg);
	snprintf(t->fault_mode, sizeof(t->fault_mode), "%s", strcmp(mode, "none") == 0 ? "" : mode);
	t->fault_code = (long)json_integer_value(json_object_get(in, "code"));
	if (json_is_integer(json_object_get(in, "count"))) {
		t->fault_count = (long)json_integer_value(json_object_get(in, "count"));
	} else {
		t->fault_count = -1;
		t->fault_until = mono() + json_number_value(json_object_get(in, "seconds"));
	}
	json_decref(in);
	reply_json(req, 200, json_pack("{s:b}", "ok", 1));
}

bool
sim_chat_handle(struct sim_chat *c, struct evhttp_request *req, const char *path, const char *body,
    size_t len)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (strcmp(path, "/_sim/messages") == 0) {
		h_messages(c, req);
	} else if (strcmp(path, "/_sim/mail") == 0) {
		reply_json(req, 200, json_pack("{s:O}", "mail", c->mail));
	} else if (strcmp(path, "/_sim/chat-faults") == 0 && cmd == EVHTTP_REQ_POST) {
		h_faults(c, req, body, len);
	} else if (strcmp(path, "/_sim/chat-reset") == 0 && cmd == EVHTTP_REQ_POST) {
		json_array_clear(c->messages);
		json_array_clear(c->rejected);
		json_object_clear(c->seen_ids);
		json_array_clear(c->mail);
		c->ntargets = 0;
		reply_json(req, 200, json_pack("{s:b}", "ok", 1));
	} else if (strcmp(path, "/wecom/cgi-bin/webhook/send") == 0 && cmd == EVHTTP_REQ_POST) {
		h_wecom(c, req, body, len);
	} else if (strcmp(path, "/dingtalk/robot/send") == 0 && cmd == EVHTTP_REQ_POST) {
		h_dingtalk(c, req, body, len);
	} else if (strncmp(path, "/feishu/open-apis/bot/v2/hook/", 30) == 0 && path[30] &&
	    cmd == EVHTTP_REQ_POST) {
		h_feishu(c, req, path + 30, body, len);
	} else if (strncmp(path, "/slack/services/", 16) == 0 && path[16] &&
	    cmd == EVHTTP_REQ_POST) {
		h_slack(c, req, path + 16, body, len);
	} else if (strncmp(path, "/webhook/", 9) == 0 && path[9] && cmd == EVHTTP_REQ_POST) {
		h_webhook(c, req, path + 9, body, len);
	} else {
		return false;
	}
	return true;
}
