/*
 * Answers: the headers every response carries, HTML pages and plain text,
 * HEAD done right, and the count of requests waiting for their commit.
 * Shared by the server and its handlers.
 */
#include "http/http_int.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/keyvalq_struct.h>

#include "util/buf.h"

void
http_request_id(struct http_server *srv, char out[HTTP_REQUEST_ID_LEN])
{
	snprintf(out, HTTP_REQUEST_ID_LEN, "%08x%08x", (unsigned)srv->rid_prefix,
	    (unsigned)++srv->rid_seq);
}

void
http_common_headers(struct http_server *srv, struct evhttp_request *req, const char *request_id)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (request_id)
		evhttp_add_header(h, "X-Request-Id", request_id);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (srv->draining)
		evhttp_add_header(h, "Connection", "close");
}

void
http_send(struct evhttp_request *req, int status, const char *reason, struct evbuffer *body)
{
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		/* evhttp 2.1 would send the body of a HEAD and no length: RFC 9110 9.3.2. */
		char len[32];

		snprintf(len, sizeof(len), "%zu", body ? evbuffer_get_length(body) : 0);
		evhttp_remove_header(evhttp_request_get_output_headers(req), "Content-Length");
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Length", len);
		evhttp_send_reply(req, status, reason, NULL);
		return;
	}
	evhttp_send_reply(req, status, reason, body);
}

void
http_reply_page(struct http_server *srv, struct evhttp_request *req, int status, const char *title,
    const char *text, const char *request_id)
{
	struct evbuffer *out = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct buf b;

	buf_init(&b);
	buf_append_str(&b,
	    "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\"><title>");
	buf_append_html(&b, title, strlen(title));
	buf_append_str(&b,
	    "</title></head>\n<body style=\"font-family:sans-serif;max-width:36em;"
	    "margin:3em auto\"><h1>");
	buf_append_html(&b, title, strlen(title));
	buf_append_str(&b, "</h1>\n<p>");
	buf_append_html(&b, text, strlen(text));
	buf_append_str(&b, "</p>\n");
	if (request_id) {
		buf_append_str(&b, "<p><small>请求编号 / Request ID: ");
		buf_append_html(&b, request_id, strlen(request_id));
		buf_append_str(&b, "</small></p>\n");
	}
	buf_append_str(&b, "</body></html>\n");
	evbuffer_add(out, b.data, b.len);
	buf_cleanup(&b);

	http_common_headers(srv, req, request_id);
	evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(h, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	http_send(req, status, NULL, out);
	evbuffer_free(out);
}

void
http_reply_text(struct http_server *srv, struct evhttp_request *req, int status, const char *text)
{
	struct evbuffer *out = evbuffer_new();

	evbuffer_add_printf(out, "%s\n", text);
	http_common_headers(srv, req, NULL);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; charset=utf-8");
	http_send(req, status, NULL, out);
	evbuffer_free(out);
}

void
http_job_finished(struct http_server *srv)
{
	srv->inflight--;
	if (srv->draining && srv->inflight == 0)
		event_active(srv->drained_ev, 0, 0);
}
