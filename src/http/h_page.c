/*
 * /l/TOKEN: the pages behind the messages, and the actions taken there.
 *
 * The token is checked on the loop (an HMAC: microseconds); everything that
 * reads or writes the database runs on a reader of the web pool, and the
 * answer is sent when it comes back. GET and HEAD never change anything:
 * link previews fetch them. An action is a POST from the page's own form,
 * carrying an anti-forgery token bound to the page; it is answered with a
 * redirect to the page (so that reloading does not repeat it).
 */
#include "http/http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "core/config.h"
#include "core/instance.h"
#include "core/log.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/link.h"
#include "util/utf8.h"
#include "util/xalloc.h"
#include "web/pages.h"
#include "web/pool.h"

/* A form older than this is refused: the page is to be loaded again. */
#define FORM_MAX_AGE (24 * 3600)
#define FORM_BODY_MAX 16384
#define NAME_MAX_BYTES 100

struct page_job {
	struct web_job job;
	struct http_server *srv;
	struct evhttp_request *req;
	char request_id[HTTP_REQUEST_ID_LEN];
	struct link link;
	char token[LINK_TOKEN_LEN];
	int language;
	const char *done; /* static */
	/* a POST */
	bool post;
	enum store_web_action action;
	char *name, *note, span[8];
	char addr[160];
	char *user_agent;
	/* what the reader needs of the configuration, copied: a reload may free it meanwhile */
	char *public_url, *console_url, *keys, *tz, *stages;
	char *managers; /* {"alice": "Alice Wang", …} */
	int note_max, critical_days;
	int64_t now_us;
	/* the answer */
	int status;
	struct buf body;
	char *location;
};

static void
job_free(struct page_job *j)
{
	free(j->name);
	free(j->note);
	free(j->user_agent);
	free(j->public_url);
	free(j->console_url);
	free(j->keys);
	free(j->tz);
	free(j->stages);
	free(j->managers);
	free(j->location);
	buf_cleanup(&j->body);
	free(j);
}

/* Headers of every page: no script, no outside origin, no framing, no referrer, no cache. */
static void
page_headers(struct http_server *srv, struct evhttp_request *req, const char *request_id)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char csp[256];

	http_common_headers(srv, req, request_id);
	snprintf(csp, sizeof(csp),
	    "default-src 'none'; style-src %s; form-action 'self'; frame-ancestors 'none'; "
	    "base-uri 'none'",
	    page_style_hash());
	evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(h, "Content-Security-Policy", csp);
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "X-Robots-Tag", "noindex, nofollow");
}

static void
send_page(struct http_server *srv, struct evhttp_request *req, int status, const char *request_id,
    const struct buf *body)
{
	struct evbuffer *out = evbuffer_new();

	page_headers(srv, req, request_id);
	if (body->data)
		evbuffer_add(out, body->data, body->len);
	http_send(req, status, NULL, out);
	evbuffer_free(out);
}

/* The same answer for every link that opens nothing, so that it tells nothing. */
static void
not_found(struct http_server *srv, struct evhttp_request *req, const char *request_id)
{
	struct buf b;

	buf_init(&b);
	page_not_found(&b);
	send_page(srv, req, 404, request_id, &b);
	buf_cleanup(&b);
}

static void
message(struct http_server *srv, struct evhttp_request *req, int status, const char *request_id,
    const char *title, const char *text)
{
	struct buf b;

	buf_init(&b);
	page_message(title, text, &b);
	send_page(srv, req, status, request_id, &b);
	buf_cleanup(&b);
}

/* Links from one page to another: the same destination, the same expiry as this one's. */
static char *
page_link(const void *arg, char kind, const char *id)
{
	const struct page_job *j = arg;
	struct link_keys k;
	struct link l = j->link;
	char err[160], *url;

	l.kind = kind;
	if (!link_word_ok(id) || !link_keys_parse(j->keys, &k, err, sizeof(err)))
		return NULL;
	snprintf(l.id, sizeof(l.id), "%s", id);
	url = link_url(j->public_url, &k, &l);
	link_keys_free(&k);
	return url;
}

static void
run(struct web_job *wj, struct store *s)
{
	struct page_job *j = (struct page_job *)wj;
	char now[40], err[STORE_ERR_LEN], *json = NULL;
	enum store_result r;
	json_t *doc;
	struct link_keys k;
	char form[LINK_TOKEN_LEN];
	struct page_ctx c;

	clock_format_rfc3339(j->now_us, now, sizeof(now));
	if (j->post) {
		struct store_web_act a = { j->link.id, j->name, j->note ? j->note : "",
			j->link.dest, j->addr, j->user_agent ? j->user_agent : "", j->span,
			j->stages, now };
		bool done = false;

		r = store_web_act(s, j->action, &a, &done, err, sizeof(err));
		if (r != STORE_OK) {
			log_error("pages: %s on alert %s failed: %s", "an action", j->link.id, err);
			j->status = 503;
			page_message("服务暂不可用 / Service unavailable",
			    "操作未完成，请稍后重试。The action was not taken; try again in a moment.",
			    &j->body);
			return;
		}
		/* Done or not (resolved meanwhile, nothing to unsilence), the page tells the state.
		 */
		j->status = 303;
		{
			size_t n = strlen(j->token) + 40;

			j->location = xmalloc(n);
			snprintf(j->location, n, "%s?done=%s%s", j->token,
			    done ? (j->action == STORE_WEB_ACK		  ? "acknowledge" :
					   j->action == STORE_WEB_SILENCE ? "silence" :
									    "unsilence") :
				   "none",
			    j->language == CONFIG_LANG_EN ? "&lang=en" : "");
		}
		if (done)
			log_info("pages: alert %s: %s by \"%.100s\" through the link of %s",
			    j->link.id,
			    j->action == STORE_WEB_ACK	       ? "acknowledged" :
				j->action == STORE_WEB_SILENCE ? "silenced" :
								 "unsilenced",
			    j->name, j->link.dest);
		return;
	}
	r = store_web_page(s,
	    j->link.kind == LINK_DIGEST	   ? STORE_WEB_DIGEST :
		j->link.kind == LINK_ALERT ? STORE_WEB_ALERT :
					     STORE_WEB_CUSTOMER,
	    j->link.id, j->link.dest, j->tz, now, &json, err, sizeof(err));
	if (r != STORE_OK) {
		log_error("pages: reading a page failed: %s", err);
		j->status = 503;
		page_message("服务暂不可用 / Service unavailable",
		    "请稍后刷新页面重试。Please refresh this page in a moment.", &j->body);
		return;
	}
	doc = json ? json_loads(json, 0, NULL) : NULL;
	free(json);
	if (doc == NULL) {
		j->status = 404;
		page_not_found(&j->body);
		return;
	}
	memset(&c, 0, sizeof(c));
	if (!link_keys_parse(j->keys, &k, err, sizeof(err)))
		memset(&k, 0, sizeof(k));
	link_form_token(&k, j->token, j->now_us / 1000000, form);
	link_keys_free(&k);
	c.language = j->language;
	c.form = form;
	c.done = j->done;
	c.link = page_link;
	c.link_arg = j;
	c.console_url = j->console_url;
	c.note_max = j->note_max;
	c.critical_days = j->critical_days;
	c.managers = json_loads(j->managers, 0, NULL);
	j->status = 200;
	if (j->link.kind == LINK_DIGEST)
		page_digest(&c, doc, &j->body);
	else if (j->link.kind == LINK_ALERT)
		page_alert(&c, doc, &j->body);
	else
		page_customer(&c, doc, &j->body);
	json_decref((json_t *)c.managers);
	json_decref(doc);
}

static void
on_done(struct web_job *wj)
{
	struct page_job *j = (struct page_job *)wj;
	struct http_server *srv = j->srv;

	if (j->status == 303) {
		struct evbuffer *out = evbuffer_new();

		page_headers(j->srv, j->req, j->request_id);
		evhttp_add_header(evhttp_request_get_output_headers(j->req), "Location",
		    j->location);
		http_send(j->req, 303, "See Other", out);
		evbuffer_free(out);
	} else {
		send_page(j->srv, j->req, j->status, j->request_id, &j->body);
	}
	job_free(j);
	http_job_finished(srv);
}

/* Text a reader typed: UTF-8, no control characters but line breaks in a note. */
static bool
typed_ok(const char *s, bool lines)
{
	if (!utf8_valid(s, strlen(s)))
		return false;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch < 0x20 && !(lines && (ch == '\n' || ch == '\r'))) || ch == 0x7f)
			return false;
	}
	return true;
}

static const char *
trimmed(const char *s)
{
	while (s && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* Reads the form of a POST into j; an error's text (zh / en) when it is not one of ours. */
static const char *
read_form(struct http_server *srv, struct evhttp_request *req, struct page_job *j, int *status)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct evkeyvalq q;
	char *body;
	const char *csrf, *action, *name, *note, *span;
	const char *why = NULL;

	*status = 400;
	if (j->link.kind != LINK_ALERT)
		return "此页面没有操作。There is nothing to do on this page.";
	if (len > FORM_BODY_MAX) {
		*status = 413;
		return "提交的内容过长。What was sent is too long.";
	}
	body = xmalloc(len + 1);
	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(body, &q) != 0) {
		free(body);
		return "表单无效。The form is not valid.";
	}
	free(body);
	csrf = evhttp_find_header(&q, "csrf");
	action = evhttp_find_header(&q, "action");
	name = trimmed(evhttp_find_header(&q, "name"));
	note = evhttp_find_header(&q, "note");
	span = evhttp_find_header(&q, "span");
	{
		struct link_keys k;
		char err[160];
		bool ok = false;

		if (csrf && link_keys_parse(srv->cfg->web_keys, &k, err, sizeof(err))) {
			ok = link_form_ok(&k, j->token, csrf, j->now_us / 1000000, FORM_MAX_AGE);
			link_keys_free(&k);
		}
		if (!ok) {
			*status = 403;
			why = "表单已过期或不属于此页面，请刷新页面后重试。"
			      "The form has expired or is not this page's; reload the page and try "
			      "again.";
			goto out;
		}
	}
	if (action && strcmp(action, "acknowledge") == 0)
		j->action = STORE_WEB_ACK;
	else if (action && strcmp(action, "silence") == 0)
		j->action = STORE_WEB_SILENCE;
	else if (action && strcmp(action, "unsilence") == 0)
		j->action = STORE_WEB_UNSILENCE;
	else {
		why = "未知操作。Unknown action.";
		goto out;
	}
	if (name == NULL || *name == '\0' || strlen(name) > NAME_MAX_BYTES ||
	    !typed_ok(name, false)) {
		why = "请填写姓名（最多 100 字节）。Give your name (at most 100 bytes).";
		goto out;
	}
	if (note && (strlen(note) > (size_t)srv->cfg->web_note_max || !typed_ok(note, true))) {
		*status = 413;
		why = "备注过长或含有控制字符。The note is too long or holds control characters.";
		goto out;
	}
	if (j->action == STORE_WEB_SILENCE) {
		if (span == NULL ||
		    (strcmp(span, "1d") != 0 && strcmp(span, "7d") != 0 &&
			strcmp(span, "stage") != 0)) {
			why = "请选择静默时长。Choose how long to silence.";
			goto out;
		}
		snprintf(j->span, sizeof(j->span), "%s", span);
	}
	j->name = xstrdup(name);
	j->note = note ? xstrdup(note) : NULL;
out:
	evhttp_clear_headers(&q);
	return why;
}

/* Each [manager]'s display name by its section name, for the pages. */
static char *
managers_json(const struct config *cfg)
{
	json_t *m = json_object();
	char *s;

	for (size_t i = 0; i < cfg->n_managers; i++)
		json_object_set_new(m, cfg->managers[i].name,
		    json_string(cfg->managers[i].display_name));
	s = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	return s;
}

/* The expiry stages of [alerts] as a JSON array: "until the next stage" reads them. */
static char *
stages_json(const struct config *cfg)
{
	int st[CONFIG_MAX_STAGES], n = 0;
	struct buf b;

	buf_init(&b);
	buf_append_char(&b, '[');
	if (config_stages(cfg->al_expiry_stages, st, &n))
		for (int i = 0; i < n; i++)
			buf_appendf(&b, "%s%d", i ? "," : "", st[i]);
	buf_append_char(&b, ']');
	return buf_release(&b);
}

void
h_page(struct http_server *srv, struct evhttp_request *req, const char *path)
{
	const struct config *cfg = srv->cfg;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query = evhttp_uri_get_query(uri), *token = path + 3;
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	char request_id[HTTP_REQUEST_ID_LEN], peer[64] = "";
	struct page_job *j;
	struct link_keys k;
	char err[160];
	bool valid = false;

	http_request_id(srv, request_id);
	if (evcon) {
		char *host = NULL;
		ev_uint16_t port = 0;

		evhttp_connection_get_peer(evcon, &host, &port);
		if (host)
			snprintf(peer, sizeof(peer), "%s", host);
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD && cmd != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
		    "GET, HEAD, POST");
		message(srv, req, 405, request_id, "不支持的请求 / Method not allowed",
		    "请用浏览器打开此链接。Open this link in a browser.");
		return;
	}
	if (!http_page_allowed(srv, peer)) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "60");
		message(srv, req, 429, request_id, "请求过多 / Too many requests",
		    "请稍后再试。Try again in a minute.");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->now_us = instance_now_us(cfg);
	if (strlen(token) < LINK_TOKEN_LEN &&
	    link_keys_parse(cfg->web_keys, &k, err, sizeof(err))) {
		/* Links expire by the wall clock, whatever the rules' clock is shifted by. */
		valid = link_verify(&k, token, clock_wall_us() / 1000000, &j->link);
		link_keys_free(&k);
	}
	if (!valid) {
		free(j);
		not_found(srv, req, request_id);
		return;
	}
	snprintf(j->token, sizeof(j->token), "%s", token);
	snprintf(j->request_id, sizeof(j->request_id), "%s", request_id);
	j->srv = srv;
	j->req = req;
	{
		/* In the language of the destination whose message carried the link. */
		const struct config_dest *d = config_dest_find(cfg, j->link.dest);

		j->language = d && d->language[0] ?
		    (strcmp(d->language, "en") == 0 ? CONFIG_LANG_EN : CONFIG_LANG_ZH) :
		    cfg->al_language;
	}
	buf_init(&j->body);
	if (query) {
		struct evkeyvalq q;
		const char *lang, *done;

		TAILQ_INIT(&q);
		if (evhttp_parse_query_str(query, &q) == 0) {
			lang = evhttp_find_header(&q, "lang");
			done = evhttp_find_header(&q, "done");
			if (lang && strcmp(lang, "en") == 0)
				j->language = CONFIG_LANG_EN;
			else if (lang && strcmp(lang, "zh") == 0)
				j->language = CONFIG_LANG_ZH;
			if (done && strcmp(done, "acknowledge") == 0)
				j->done = "acknowledge";
			else if (done && strcmp(done, "silence") == 0)
				j->done = "silence";
			else if (done && strcmp(done, "unsilence") == 0)
				j->done = "unsilence";
		}
		evhttp_clear_headers(&q);
	}
	{
		const char *fwd = evhttp_find_header(in, "X-Forwarded-For");
		const char *ua = evhttp_find_header(in, "User-Agent");

		/* The peer is certain; what a proxy says it forwarded for is recorded as said. */
		if (fwd && *fwd)
			snprintf(j->addr, sizeof(j->addr), "%s (for %.64s)", peer, fwd);
		else
			snprintf(j->addr, sizeof(j->addr), "%s", peer);
		j->user_agent = ua ? xstrndup(ua, 300) : NULL;
		if (j->user_agent && !typed_ok(j->user_agent, false)) {
			free(j->user_agent);
			j->user_agent = xstrdup("?");
		}
	}
	if (cmd == EVHTTP_REQ_POST) {
		int status;
		const char *why = read_form(srv, req, j, &status);

		if (why) {
			message(srv, req, status, request_id, "操作未完成 / Not done", why);
			job_free(j);
			return;
		}
		j->post = true;
	}
	j->public_url = xstrdup(cfg->web_public_url);
	j->console_url = xstrdup(cfg->web_console_url);
	j->keys = xstrdup(cfg->web_keys);
	j->tz = xstrdup(cfg->al_timezone);
	j->stages = stages_json(cfg);
	j->managers = managers_json(cfg);
	j->note_max = cfg->web_note_max;
	j->critical_days = cfg->al_critical_days;
	j->job.run = run;
	j->job.on_done = on_done;
	if (srv->pages == NULL || !web_pool_submit(srv->pages, &j->job)) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "5");
		message(srv, req, 503, request_id, "服务繁忙 / Service busy",
		    "请稍后刷新页面重试。Please refresh this page in a moment.");
		job_free(j);
		return;
	}
	srv->inflight++;
}
