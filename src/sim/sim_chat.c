/*
 * hcwatch-sim's chat and mail side: WeCom, DingTalk, Feishu and Slack
 * robots, a Standard Webhooks receiver, and an SMTP server. Each checks
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

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include "core/config.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/pct.h"
#include "util/xalloc.h"

#define MAX_TARGETS 512
#define WINDOW_MAX 256

struct target {
	char channel[16];
	char name[128];
	double sent[WINDOW_MAX]; /* monotonic times of accepted messages, oldest first */
	int nsent;
	double penalty_until; /* DingTalk's 10 minutes */
	/* faults set through /_sim/chat-faults */
	char fault_mode[16]; /* "", "down" (HTTP 503), "code" (the platform's error) */
	long fault_code;
	long fault_count; /* requests left to fail; -1: until fault_until */
	double fault_until;
};

struct sim_chat {
	struct event_base *base;
	char *secret;	      /* DingTalk and Feishu signing secret */
	char *webhook_secret; /* Standard Webhooks key, whsec_… */
	double dingtalk_penalty;
	struct target targets[MAX_TARGETS];
	int ntargets;
	json_t *messages; /* accepted, in order */
	json_t *rejected;
	json_t *seen_ids; /* webhook-id -> count */
	json_t *mail;
	long seq;
	/* SMTP */
	struct evconnlistener *smtp;
	char *smtp_user, *smtp_password;
	SSL_CTX *smtp_tls;     /* STARTTLS offered when set */
	bool smtp_require_tls; /* nothing but EHLO, STARTTLS, NOOP, QUIT before it */
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
wall(void)
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

static struct target *
target(struct sim_chat *c, const char *channel, const char *name)
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
static const char *
fault(struct target *t)
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

static void
reject(struct sim_chat *c, struct target *t, const char *code, const char *why)
{
	json_array_append_new(c->rejected,
	    json_pack("{s:s, s:s, s:s, s:s, s:f}", "channel", t->channel, "target", t->name, "code",
		code, "why", why, "at", wall()));
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
	    title ? title : "", "text", text ? text : "", "bytes", (json_int_t)bytes, "at", wall());
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

static bool
same(const char *a, const char *b)
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
	const char *f = fault(t);

	if (f == NULL)
		return false;
	if (strcmp(f, "down") == 0)
		reply(req, 503, "text/html", "Service Unavailable");
	else
		reply_json(req, 200,
		    json_pack("{s:I, s:s}", code_field, (json_int_t)t->fault_code, msg_field,
			"injected by hcwatch-sim"));
	reject(c, t, f, "fault");
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
	t = target(c, "wecom", key.data);
	buf_cleanup(&key);
	if (injected(c, t, req, "errcode", "errmsg"))
		return;
	if (strncmp(t->name, "removed", 7) == 0) {
		reject(c, t, "93000", "removed robot");
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 93000, "errmsg",
			"invalid webhook url, hint: [sim]"));
		return;
	}
	if (in_window(t, 60) >= 20) {
		reject(c, t, "45009", "over 20 a minute");
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 45009, "errmsg", "api freq out of limit"));
		return;
	}
	in = json_loadb(body, len, 0, NULL);
	type = json_string_value(json_object_get(in, "msgtype"));
	if (type == NULL || (strcmp(type, "markdown") != 0 && strcmp(type, "text") != 0)) {
		reject(c, t, "40008", "message type");
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 40008, "errmsg", "invalid message type"));
		json_decref(in);
		return;
	}
	content = json_object_get(json_object_get(in, type), "content");
	limit = strcmp(type, "markdown") == 0 ? 4096 : 2048;
	if (!json_is_string(content) || json_string_length(content) == 0) {
		reject(c, t, "44004", "empty content");
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 44004, "errmsg", "empty content"));
	} else if (json_string_length(content) > limit) {
		char msg[96];

		snprintf(msg, sizeof(msg), "%s.content exceed max length %zu", type, limit);
		reject(c, t, "40058", msg);
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
	t = target(c, "dingtalk", token.data);
	if (injected(c, t, req, "errcode", "errmsg"))
		goto out;
	/* sign = urlencode(base64(HMAC-SHA256(secret, timestamp "\n" secret))), within an hour. */
	if (!query_param(req, "timestamp", &ts) || !query_param(req, "sign", &sign)) {
		reject(c, t, "310000", "no sign");
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 310000, "errmsg",
			"sign not match, more: [no timestamp or sign]"));
		goto out;
	}
	stamp = strtod(ts.data, NULL) / 1000.0;
	sts = joined(ts.data, c->secret);
	if (!hmac_b64(c->secret, strlen(c->secret), sts, strlen(sts), expect, sizeof(expect)) ||
	    !same(expect, sign.data) || stamp < wall() - 3600 || stamp > wall() + 3600) {
		reject(c, t, "310000", "sign not match");
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 310000, "errmsg",
			"sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"));
		goto out;
	}
	if (mono() < t->penalty_until || in_window(t, 60) >= 20) {
		/* Over 20 a minute: refused, and the robot stays refused for ten minutes. */
		if (mono() >= t->penalty_until)
			t->penalty_until = mono() + c->dingtalk_penalty;
		reject(c, t, "130101", "send too fast");
		reply_json(req, 200,
		    json_pack("{s:i, s:s}", "errcode", 130101, "errmsg",
			"send too fast, exceed 20 times per minute"));
		goto out;
	}
	if (len > 20000) {
		reject(c, t, "460101", "message too long");
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
		reject(c, t, "40035", "bad markdown");
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
	struct target *t = target(c, "feishu", token);
	json_t *in = NULL;
	const char *ts, *sign, *text;
	char expect[128], *key = NULL;
	double stamp;

	if (injected(c, t, req, "code", "msg"))
		return;
	if (len > 20 * 1024) {
		reject(c, t, "9499", "too large");
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
	    !same(expect, sign) || stamp < wall() - 3600 || stamp > wall() + 3600) {
		reject(c, t, "19021", "sign");
		reply_json(req, 200,
		    json_pack("{s:i, s:s, s:{}}", "code", 19021, "msg",
			"sign match fail or timestamp is not within one hour from current time",
			"data"));
		goto out;
	}
	if (in_window(t, 1) >= 5 || in_window(t, 60) >= 100) {
		reject(c, t, "11232", "frequency limited");
		reply_json(req, 200,
		    json_pack("{s:i, s:s, s:{}}", "code", 11232, "msg",
			"frequency limited psm[lark.oapi.app_platform_runtime]appID[1]", "data"));
		goto out;
	}
	text = json_string_value(json_object_get(json_object_get(in, "content"), "text"));
	if (!json_is_string(json_object_get(in, "msg_type")) || text == NULL) {
		reject(c, t, "9499", "bad message");
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
	struct target *t = target(c, "slack", path);
	json_t *in;
	const char *f, *text;

	if ((f = fault(t)) != NULL) {
		if (strcmp(f, "down") == 0)
			reply(req, 503, "text/html", "Service Unavailable");
		else
			reply(req, (int)t->fault_code, "text/html", "injected_by_hcwatch_sim");
		reject(c, t, f, "fault");
		return;
	}
	if (strncmp(path, "archived", 8) == 0) {
		reject(c, t, "410", "channel_is_archived");
		reply(req, 410, "text/html", "channel_is_archived");
		return;
	}
	/*
	 * "About one a second, short bursts allowed": held to the stricter
	 * reading, at most one message in any sliding second.
	 */
	if (in_window(t, 1) >= 1) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
		reject(c, t, "429", "rate_limited");
		reply(req, 429, "text/html", "rate_limited");
		return;
	}
	in = json_loadb(body, len, 0, NULL);
	text = json_string_value(json_object_get(in, "text"));
	if (in == NULL) {
		reject(c, t, "400", "invalid_payload");
		reply(req, 400, "text/html", "invalid_payload");
	} else if (text == NULL || *text == '\0') {
		reject(c, t, "400", "no_text");
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
	struct target *t = target(c, "webhook", name);
	unsigned char *key = NULL;
	size_t keylen = 0;
	char expect[128];
	bool ok = false;
	const char *f;
	json_t *in;
	json_int_t dup;

	if ((f = fault(t)) != NULL) {
		reply(req, strcmp(f, "down") == 0 ? 503 : (int)t->fault_code, "text/plain",
		    "fault");
		reject(c, t, f, "fault");
		return;
	}
	if (id == NULL || ts == NULL || sig == NULL) {
		reject(c, t, "400", "missing webhook headers");
		reply(req, 400, "text/plain",
		    "missing webhook-id, webhook-timestamp or webhook-signature");
		return;
	}
	if (strtod(ts, NULL) - wall() > 300 || wall() - strtod(ts, NULL) > 300) {
		reject(c, t, "400", "timestamp");
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
				ok = strncmp(one, "v1,", 3) == 0 && same(one + 3, expect);
				p += n;
			}
		}
		buf_cleanup(&msg);
		free(key);
	}
	if (!ok) {
		reject(c, t, "401", "signature");
		reply(req, 401, "text/plain", "signature mismatch");
		return;
	}
	in = json_loadb(body, len, 0, NULL);
	if (!json_is_object(in)) {
		reject(c, t, "400", "not JSON");
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
	t = target(c, ch, tg);
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

/* ---- SMTP ---- */

struct smtp_conn {
	struct sim_chat *chat;
	struct bufferevent *bev;
	bool ehlo, authed, in_data, tls;
	bool broken;   /* STARTTLS could not start: closed after this read */
	int auth_step; /* AUTH LOGIN: 1 waiting for the user, 2 for the password */
	char user[128];
	char *from;
	json_t *rcpt;
	struct buf data;
};

static void
smtp_say(struct smtp_conn *s, const char *line)
{
	bufferevent_write(s->bev, line, strlen(line));
	bufferevent_write(s->bev, "\r\n", 2);
}

static void
smtp_close(struct smtp_conn *s)
{
	bufferevent_free(s->bev);
	free(s->from);
	json_decref(s->rcpt);
	buf_cleanup(&s->data);
	free(s);
}

static bool
smtp_check(struct smtp_conn *s, const char *user, const char *pass)
{
	struct sim_chat *c = s->chat;

	return c->smtp_user && strcmp(user, c->smtp_user) == 0 && c->smtp_password &&
	    same(pass, c->smtp_password);
}

static void
smtp_reset(struct smtp_conn *s)
{
	free(s->from);
	s->from = NULL;
	json_array_clear(s->rcpt);
	buf_reset(&s->data);
}

/* The address in "MAIL FROM:<a>" or "RCPT TO:<a>". */
static bool
angle(const char *arg, char *out, size_t outlen)
{
	const char *lt = strchr(arg, '<'), *gt = lt ? strchr(lt, '>') : NULL;

	if (lt == NULL || gt == NULL || (size_t)(gt - lt - 1) >= outlen)
		return false;
	snprintf(out, outlen, "%.*s", (int)(gt - lt - 1), lt + 1);
	return true;
}

/* authzid NUL authcid NUL password, in Base64. */
static void
smtp_auth_plain(struct smtp_conn *s, const char *arg)
{
	unsigned char *dec = NULL;
	size_t n = 0;

	if (b64_decode(arg, strlen(arg), &dec, &n) && memchr(dec, 0, n)) {
		const char *user = memchr(dec, 0, n);
		const char *pass = memchr(user + 1, 0, n - (size_t)(user + 1 - (char *)dec));

		s->authed = pass && smtp_check(s, user + 1, pass + 1);
		smtp_say(s,
		    s->authed ? "235 2.7.0 Authentication successful" :
				"535 5.7.8 Authentication credentials invalid");
	} else {
		smtp_say(s, "501 5.5.2 Cannot decode AUTH PLAIN");
	}
	free(dec);
}

static void smtp_read(struct bufferevent *bev, void *arg);
static void smtp_event(struct bufferevent *bev, short what, void *arg);

/*
 * STARTTLS (RFC 3207): answer 220 in the clear, then speak TLS on the same
 * connection, forgetting everything said before it, including anything the
 * client sent after the command without waiting (a command injection).
 */
static void
smtp_starttls(struct smtp_conn *s)
{
	struct sim_chat *c = s->chat;
	struct bufferevent *tls = NULL;
	SSL *ssl;

	if (c->smtp_tls == NULL) {
		smtp_say(s, "502 5.5.1 STARTTLS not offered");
		return;
	}
	if (s->tls) {
		smtp_say(s, "503 5.5.1 TLS already active");
		return;
	}
	smtp_say(s, "220 2.0.0 Ready to start TLS");
	evbuffer_drain(bufferevent_get_input(s->bev),
	    evbuffer_get_length(bufferevent_get_input(s->bev)));
	if ((ssl = SSL_new(c->smtp_tls)) == NULL ||
	    (tls = bufferevent_openssl_filter_new(c->base, s->bev, ssl, BUFFEREVENT_SSL_ACCEPTING,
		 BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		if (ssl && tls == NULL)
			SSL_free(ssl);
		s->broken = true;
		return;
	}
	s->bev = tls;
	s->tls = true;
	s->ehlo = s->authed = false;
	s->auth_step = 0;
	smtp_reset(s);
	bufferevent_setcb(tls, smtp_read, NULL, smtp_event, s);
	bufferevent_enable(tls, EV_READ | EV_WRITE);
}

static void
smtp_line(struct smtp_conn *s, char *line)
{
	struct sim_chat *c = s->chat;
	char addr[256];

	if (s->in_data) {
		if (strcmp(line, ".") == 0) {
			struct target *t = target(c, "smtp", "smtp");
			const char *f = fault(t);

			s->in_data = false;
			if (f) {
				char msg[64];

				snprintf(msg, sizeof(msg), "%ld injected by hcwatch-sim",
				    t->fault_code ? t->fault_code : 451);
				reject(c, t, msg, "fault");
				smtp_say(s, msg);
			} else {
				json_array_append_new(c->mail,
				    json_pack("{s:s, s:o, s:s, s:f, s:b}", "from", s->from, "rcpt",
					json_copy(s->rcpt), "data",
					s->data.data ? s->data.data : "", "at", wall(), "tls",
					s->tls));
				smtp_say(s, "250 2.0.0 Ok: queued");
			}
			smtp_reset(s);
			return;
		}
		/* Dot-stuffing: a leading dot was doubled by the sender. */
		buf_append_str(&s->data, line[0] == '.' ? line + 1 : line);
		buf_append_str(&s->data, "\r\n");
		return;
	}
	if (s->auth_step == 3) {
		s->auth_step = 0;
		smtp_auth_plain(s, line);
		return;
	}
	if (s->auth_step == 1 || s->auth_step == 2) {
		unsigned char *dec = NULL;
		size_t n = 0;

		if (!b64_decode(line, strlen(line), &dec, &n)) {
			s->auth_step = 0;
			smtp_say(s, "501 5.5.2 Cannot decode response");
			return;
		}
		if (s->auth_step == 1) {
			snprintf(s->user, sizeof(s->user), "%s", (char *)dec);
			s->auth_step = 2;
			smtp_say(s, "334 UGFzc3dvcmQ6");
		} else {
			s->auth_step = 0;
			s->authed = smtp_check(s, s->user, (char *)dec);
			smtp_say(s,
			    s->authed ? "235 2.7.0 Authentication successful" :
					"535 5.7.8 Authentication credentials invalid");
		}
		free(dec);
		return;
	}
	if (strncasecmp(line, "EHLO ", 5) == 0 || strncasecmp(line, "HELO ", 5) == 0) {
		s->ehlo = true;
		smtp_say(s, "250-hcwatch-sim");
		smtp_say(s, "250-8BITMIME");
		if (c->smtp_tls && !s->tls)
			smtp_say(s, "250-STARTTLS");
		/* As a server that requires TLS does, AUTH only once it is on. */
		smtp_say(s,
		    c->smtp_require_tls && !s->tls ? "250 SIZE 10485760" : "250-SIZE 10485760");
		if (!c->smtp_require_tls || s->tls)
			smtp_say(s, "250 AUTH PLAIN LOGIN");
	} else if (strncasecmp(line, "STARTTLS", 8) == 0) {
		smtp_starttls(s);
	} else if (c->smtp_require_tls && !s->tls && strcasecmp(line, "NOOP") != 0 &&
	    strcasecmp(line, "QUIT") != 0 && strcasecmp(line, "RSET") != 0) {
		smtp_say(s, "530 5.7.0 Must issue a STARTTLS command first");
	} else if (strncasecmp(line, "AUTH PLAIN", 10) == 0) {
		const char *arg = line + 10;

		while (*arg == ' ')
			arg++;
		if (*arg) {
			smtp_auth_plain(s, arg);
		} else {
			s->auth_step = 3; /* the response comes on the next line */
			smtp_say(s, "334 ");
		}
	} else if (strncasecmp(line, "AUTH LOGIN", 10) == 0) {
		const char *arg = line + 10;
		unsigned char *dec = NULL;
		size_t n = 0;

		while (*arg == ' ')
			arg++;
		if (*arg && b64_decode(arg, strlen(arg), &dec, &n)) {
			/* The user name as an initial response. */
			snprintf(s->user, sizeof(s->user), "%s", (char *)dec);
			s->auth_step = 2;
			smtp_say(s, "334 UGFzc3dvcmQ6");
		} else {
			s->auth_step = 1;
			smtp_say(s, "334 VXNlcm5hbWU6");
		}
		free(dec);
	} else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
		if (c->smtp_user && !s->authed)
			smtp_say(s, "530 5.7.0 Authentication required");
		else if (!angle(line + 10, addr, sizeof(addr)))
			smtp_say(s, "501 5.1.7 Bad sender address syntax");
		else {
			smtp_reset(s);
			s->from = xstrdup(addr);
			smtp_say(s, "250 2.1.0 Ok");
		}
	} else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
		if (s->from == NULL)
			smtp_say(s, "503 5.5.1 Need MAIL command");
		else if (!angle(line + 8, addr, sizeof(addr)))
			smtp_say(s, "501 5.1.3 Bad recipient address syntax");
		else if (strncmp(addr, "reject", 6) == 0)
			smtp_say(s, "550 5.1.1 Recipient address rejected: User unknown");
		else {
			json_array_append_new(s->rcpt, json_string(addr));
			smtp_say(s, "250 2.1.5 Ok");
		}
	} else if (strcasecmp(line, "DATA") == 0) {
		if (json_array_size(s->rcpt) == 0)
			smtp_say(s, "554 5.5.1 No valid recipients");
		else {
			s->in_data = true;
			smtp_say(s, "354 End data with <CR><LF>.<CR><LF>");
		}
	} else if (strcasecmp(line, "RSET") == 0) {
		smtp_reset(s);
		smtp_say(s, "250 2.0.0 Ok");
	} else if (strcasecmp(line, "NOOP") == 0) {
		smtp_say(s, "250 2.0.0 Ok");
	} else if (strcasecmp(line, "QUIT") == 0) {
		smtp_say(s, "221 2.0.0 Bye");
		bufferevent_flush(s->bev, EV_WRITE, BEV_FINISHED);
		s->ehlo = false;
	} else {
		smtp_say(s, "502 5.5.2 Error: command not recognized");
	}
}

static void
smtp_read(struct bufferevent *bev, void *arg)
{
	struct smtp_conn *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t n;

	/* Stops when STARTTLS put a new bufferevent in place of this one. */
	while (s->bev == bev && !s->broken &&
	    (line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) != NULL) {
		smtp_line(s, line);
		free(line);
	}
	if (s->broken)
		smtp_close(s);
}

static void
smtp_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		smtp_close(arg);
}

static void
smtp_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct sim_chat *c = arg;
	struct smtp_conn *s = xcalloc(1, sizeof(*s));

	(void)l;
	(void)sa;
	(void)salen;
	s->chat = c;
	s->rcpt = json_array();
	buf_init(&s->data);
	s->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(s->bev, smtp_read, NULL, smtp_event, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	smtp_say(s, "220 hcwatch-sim ESMTP");
}

bool
sim_chat_smtp_tls(struct sim_chat *c, const char *cert, const char *key, bool require)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		SSL_CTX_free(ctx);
		return false;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_free(c->smtp_tls);
	c->smtp_tls = ctx;
	c->smtp_require_tls = require;
	return true;
}

bool
sim_chat_smtp_listen(struct sim_chat *c, const char *host, int port, const char *user,
    const char *password)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (evutil_inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return false;
	c->smtp_user = user ? xstrdup(user) : NULL;
	c->smtp_password = password ? xstrdup(password) : NULL;
	c->smtp = evconnlistener_new_bind(c->base, smtp_accept, c,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1, (struct sockaddr *)&sin, sizeof(sin));
	return c->smtp != NULL;
}
