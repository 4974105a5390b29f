/*
 * POST <bind path>: the account-binding result notification.
 *
 * Huawei delivers it through the customer's browser (an auto-submitted
 * form), so every answer is a page a person may see, and nothing retries it
 * for us: the notification is recorded, accepted or rejected, before the
 * browser gets any answer but 503.
 */
#include "core/metrics.h"
#include "http/http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/keyvalq_struct.h>

#include "core/config.h"
#include "core/log.h"
#include "ingest/writer.h"
#include "util/clock.h"
#include "util/sha256.h"
#include "util/xalloc.h"
#include "verify/bindreq.h"
#include "verify/form.h"

#define BIND_CHANNEL "bind"
/* What is kept of a rejected request's body: enough to see what it was. */
#define REJECTED_BODY_MAX 4096

struct bind_job {
	struct writer_job job; /* first: the writer hands this pointer back */
	struct store_callback cb;
	struct http_server *srv;
	struct evhttp_request *req;
	char request_id[HTTP_REQUEST_ID_LEN];
	char remote_addr[64];
	char *content_type;
	unsigned char *body;
	size_t body_len;
	struct bind_notice notice;
	enum bind_reason reason;
	char detail[BIND_DETAIL_LEN];
	char body_key[SHA256_HEX_LEN];
	int64_t started_us;
};

static void on_job_done(struct writer_job *wj);
static const char *result_name(const struct bind_job *bj);
static void reply_success(struct bind_job *bj);
static void job_free(struct bind_job *bj);
static void read_request(struct bind_job *bj, struct evhttp_request *req);
static enum bind_reason check_and_verify(struct bind_job *bj, enum evhttp_cmd_type cmd,
    size_t max_body);

/* hcwatch_callbacks_total's result label. */
static const char *
result_name(const struct bind_job *bj)
{
	if (bj->job.status == WRITER_UNAVAILABLE)
		return "unavailable";
	if (bj->job.status == WRITER_FAILED)
		return "failed";
	if (bj->cb.outcome == STORE_OUTCOME_ACCEPTED)
		return "accepted";
	return bj->cb.outcome == STORE_OUTCOME_DUPLICATE ? "duplicate" : "rejected";
}

static void
job_free(struct bind_job *bj)
{
	if (bj == NULL)
		return;
	bind_notice_cleanup(&bj->notice);
	free(bj->content_type);
	free(bj->body);
	free(bj);
}

static void
read_request(struct bind_job *bj, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
	size_t len = evbuffer_get_length(in);

	if (evcon) {
		char *host = NULL;
		ev_uint16_t port = 0;

		evhttp_connection_get_peer(evcon, &host, &port);
		if (host)
			snprintf(bj->remote_addr, sizeof(bj->remote_addr), "%s", host);
	}
	bj->content_type = ct ? xstrndup(ct, 256) : NULL;
	bj->body = xmalloc(len + 1);
	evbuffer_copyout(in, bj->body, len);
	bj->body[len] = '\0';
	bj->body_len = len;
	sha256_hex(bj->body, len, bj->body_key);
}

static enum bind_reason
check_and_verify(struct bind_job *bj, enum evhttp_cmd_type cmd, size_t max_body)
{
	const struct http_server *srv = bj->srv;
	char media[64];
	struct form form;
	char ferr[FORM_ERR_LEN];
	enum bind_reason r;
	bool parsed;

	if (cmd != EVHTTP_REQ_POST) {
		snprintf(bj->detail, sizeof(bj->detail), "only POST is accepted");
		return BIND_METHOD_NOT_ALLOWED;
	}
	if (bj->body_len > max_body) {
		snprintf(bj->detail, sizeof(bj->detail),
		    "body of %zu bytes exceeds max_body_size %zu", bj->body_len, max_body);
		return BIND_BODY_TOO_LARGE;
	}
	form_media_type(bj->content_type, media, sizeof(media));
	form_init(&form);
	if (strcmp(media, "application/x-www-form-urlencoded") == 0) {
		parsed = form_parse_urlencoded(&form, (const char *)bj->body, bj->body_len, ferr,
		    sizeof(ferr));
	} else if (strcmp(media, "multipart/form-data") == 0) {
		parsed = form_parse_multipart(&form, bj->content_type, (const char *)bj->body,
		    bj->body_len, ferr, sizeof(ferr));
	} else {
		snprintf(bj->detail, sizeof(bj->detail),
		    "Content-Type %s is not a form (expected "
		    "application/x-www-form-urlencoded or multipart/form-data)",
		    media[0] ? media : "(none)");
		return BIND_UNSUPPORTED_MEDIA_TYPE;
	}
	if (!parsed) {
		snprintf(bj->detail, sizeof(bj->detail), "%s", ferr);
		form_cleanup(&form);
		return BIND_MALFORMED_FORM;
	}
	r = bind_verify(srv->keys, srv->cfg->bind_signed_string, &form, &bj->notice, bj->detail,
	    sizeof(bj->detail));
	form_cleanup(&form);
	return r;
}

void
h_bind(struct http_server *srv, struct evhttp_request *req)
{
	struct bind_job *bj = xcalloc(1, sizeof(*bj));
	struct store_callback *cb = &bj->cb;

	bj->srv = srv;
	bj->req = req;
	bj->started_us = clock_mono_us();
	http_request_id(srv, bj->request_id);
	read_request(bj, req);
	bind_notice_init(&bj->notice);
	bj->reason =
	    check_and_verify(bj, evhttp_request_get_command(req), (size_t)srv->cfg->max_body_size);

	cb->received_us = clock_wall_us();
	cb->channel = BIND_CHANNEL;
	cb->request_id = bj->request_id;
	cb->remote_addr = bj->remote_addr[0] ? bj->remote_addr : NULL;
	cb->content_type = bj->content_type;
	cb->body = bj->body;
	cb->body_len = bj->body_len;
	cb->verified = bj->reason == BIND_OK;
	if (cb->verified) {
		cb->sig_rule = bj->notice.rule;
		cb->idem_key = bj->notice.idem_key;
		cb->customer_id = bj->notice.domain_id;
		cb->account_name = bj->notice.domain_name;
		cb->xaccount_id = bj->notice.x_account_id;
		cb->xuser_id = bj->notice.x_user_id;
		cb->bind_action = bj->notice.bind_action;
	} else {
		cb->reason = bind_reason_code(bj->reason);
		cb->detail = bj->detail;
		cb->idem_key = bj->body_key;
		/* Bounded evidence: the first bytes, the hash and the size of the whole. */
		cb->body_bytes = bj->body_len;
		if (cb->body_len > REJECTED_BODY_MAX)
			cb->body_len = REJECTED_BODY_MAX;
		if (!http_rejection_allowed(srv, bj->remote_addr)) {
			metrics_count(MC_CALLBACKS, "limited", "", 1);
			evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After",
			    "60");
			http_reply_page(srv, req, 429, "请求过多 / Too many requests",
			    "此地址的无效请求过多，暂不处理。"
			    "Too many invalid requests from this address; try again later.",
			    bj->request_id);
			job_free(bj);
			return;
		}
	}

	bj->job.cb = cb;
	bj->job.on_done = on_job_done;
	if (!writer_submit(srv->writer, &bj->job)) {
		rlog_error(bj->request_id, "bind: writer queue full or stopping; answered 503");
		metrics_count(MC_CALLBACKS, "busy", "", 1);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "5");
		http_reply_page(srv, req, 503, "服务繁忙 / Service busy",
		    "请稍后刷新页面重试。Please refresh this page in a moment.", bj->request_id);
		job_free(bj);
		return;
	}
	srv->inflight++;
}

static void
reply_success(struct bind_job *bj)
{
	const char *url = bj->srv->cfg->bind_success_url;

	if (url[0]) {
		struct evbuffer *out = evbuffer_new();

		http_common_headers(bj->srv, bj->req, bj->request_id);
		evhttp_add_header(evhttp_request_get_output_headers(bj->req), "Location", url);
		evhttp_add_header(evhttp_request_get_output_headers(bj->req), "Content-Type",
		    "text/plain; charset=utf-8");
		evbuffer_add_printf(out, "See %s\n", url);
		http_send(bj->req, 303, "See Other", out);
		evbuffer_free(out);
	} else {
		http_reply_page(bj->srv, bj->req, 200, "绑定成功 / Binding received",
		    "您的华为云账号绑定结果已收到，可以关闭此页面。"
		    "Your Huawei Cloud account binding has been received; you may close this page.",
		    bj->request_id);
	}
}

static void
on_job_done(struct writer_job *wj)
{
	struct bind_job *bj = (struct bind_job *)wj;
	struct http_server *srv = bj->srv;
	long ms = (long)((clock_mono_us() - bj->started_us) / 1000);
	int status = 0;

	if (wj->status == WRITER_STORED && bj->cb.outcome != STORE_OUTCOME_REJECTED) {
		rlog_info(bj->request_id,
		    "bind %s: customer_id=%s account_name=%s rule=%c (%ld ms)",
		    bj->cb.outcome == STORE_OUTCOME_ACCEPTED ? "accepted" : "duplicate",
		    bj->notice.domain_id ? bj->notice.domain_id : "-",
		    bj->notice.domain_name ? bj->notice.domain_name : "-", bj->notice.rule, ms);
	} else if (wj->status == WRITER_STORED) {
		status = bind_reason_status(bj->reason);
		rlog_warn(bj->request_id, "bind rejected (%d %s) from %s: %s", status,
		    bind_reason_code(bj->reason), bj->remote_addr[0] ? bj->remote_addr : "?",
		    bj->detail);
	}

	/*
	 * If the client has gone, evhttp frees the request when we reply. The
	 * reply is queued, not yet written: see the flush delay in main.c.
	 */
	metrics_count(MC_CALLBACKS, result_name(bj),
	    wj->status == WRITER_STORED && status != 0 ? bind_reason_code(bj->reason) : "", 1);
	metrics_observe(MH_CALLBACK_SECONDS, (double)(clock_mono_us() - bj->started_us) / 1e6);
	if (wj->status == WRITER_UNAVAILABLE) {
		evhttp_add_header(evhttp_request_get_output_headers(bj->req), "Retry-After", "5");
		http_reply_page(srv, bj->req, 503, "服务暂不可用 / Service unavailable",
		    "请稍后刷新页面重试。Please refresh this page in a moment.", bj->request_id);
	} else if (wj->status == WRITER_FAILED) {
		http_reply_page(srv, bj->req, 500, "内部错误 / Internal error",
		    "请联系您的客户经理。Please contact your account manager.", bj->request_id);
	} else if (status == 0) {
		reply_success(bj);
	} else {
		if (status == 405)
			evhttp_add_header(evhttp_request_get_output_headers(bj->req), "Allow",
			    "POST");
		http_reply_page(srv, bj->req, status,
		    status == 403 ? "验证失败 / Verification failed" : "请求无效 / Invalid request",
		    "此绑定通知未能通过校验，未被处理。"
		    "This binding notification could not be verified and was not processed.",
		    bj->request_id);
	}
	job_free(bj);
	http_job_finished(srv);
}
