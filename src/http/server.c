#include "http/http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "ingest/writer.h"
#include "util/buf.h"
#include "util/xalloc.h"

static void on_request(struct evhttp_request *req, void *arg);
static const char *framing_error(struct evhttp_request *req);
static bool internal_here(const struct http_listener *l);
static void on_drained_ev(evutil_socket_t fd, short what, void *arg);
static struct bufferevent *on_conn(struct event_base *base, void *arg);
static struct bufferevent *on_tls_conn(struct event_base *base, void *arg);
static void apply_limits(struct http_server *srv, struct evhttp *http);
static struct evhttp *new_evhttp(struct http_server *srv);
static bool bind_listener(struct evhttp *http, const char *hostport,
    struct evhttp_bound_socket **out, char *err, size_t errlen);
static bool setup_tls(struct http_server *srv, char *err, size_t errlen);
static void html_escape(struct buf *b, const char *s);
static void reply_text(struct http_server *srv, struct evhttp_request *req, int status,
    const char *text);

void
http_request_id(struct http_server *srv, char out[HTTP_REQUEST_ID_LEN])
{
	snprintf(out, HTTP_REQUEST_ID_LEN, "%08x%08x", (unsigned)srv->rid_prefix,
	    (unsigned)++srv->rid_seq);
}

static void
html_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': buf_append_str(b, "&lt;"); break;
		case '>': buf_append_str(b, "&gt;"); break;
		case '&': buf_append_str(b, "&amp;"); break;
		case '"': buf_append_str(b, "&quot;"); break;
		case '\'': buf_append_str(b, "&#39;"); break;
		default: buf_append_char(b, *s); break;
		}
	}
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
http_reply_page(struct http_server *srv, struct evhttp_request *req, int status,
    const char *title, const char *text, const char *request_id)
{
	struct evbuffer *out = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct buf b;

	buf_init(&b);
	buf_append_str(&b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\"><title>");
	html_escape(&b, title);
	buf_append_str(&b, "</title></head>\n<body style=\"font-family:sans-serif;max-width:36em;"
	    "margin:3em auto\"><h1>");
	html_escape(&b, title);
	buf_append_str(&b, "</h1>\n<p>");
	html_escape(&b, text);
	buf_append_str(&b, "</p>\n");
	if (request_id) {
		buf_append_str(&b, "<p><small>请求编号 / Request ID: ");
		html_escape(&b, request_id);
		buf_append_str(&b, "</small></p>\n");
	}
	buf_append_str(&b, "</body></html>\n");
	evbuffer_add(out, b.data, b.len);
	buf_cleanup(&b);

	http_common_headers(srv, req, request_id);
	evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	http_send(req, status, NULL, out);
	evbuffer_free(out);
}

static void
reply_text(struct http_server *srv, struct evhttp_request *req, int status, const char *text)
{
	struct evbuffer *out = evbuffer_new();

	evbuffer_add_printf(out, "%s\n", text);
	http_common_headers(srv, req, NULL);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; charset=utf-8");
	http_send(req, status, NULL, out);
	evbuffer_free(out);
}

/*
 * Framing that a proxy in front may read differently from evhttp, which
 * takes the first Content-Length and lets strtoll read a sign: the rest of
 * the body would become a request of its own (request smuggling).
 */
static const char *
framing_error(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	struct evkeyval *kv;
	int lengths = 0;
	bool chunked = false;

	for (kv = h->tqh_first; kv; kv = kv->next.tqe_next) {
		if (evutil_ascii_strcasecmp(kv->key, "Content-Length") == 0) {
			const char *v = kv->value;

			if (++lengths > 1)
				return "more than one Content-Length";
			if (*v == '\0' || strspn(v, "0123456789") != strlen(v))
				return "a Content-Length that is not digits alone";
		} else if (evutil_ascii_strcasecmp(kv->key, "Transfer-Encoding") == 0) {
			chunked = true;
		}
	}
	if (lengths > 0 && chunked)
		return "both Content-Length and Transfer-Encoding";
	return NULL;
}

/* /metrics, /healthz and /readyz: on the listeners [server] internal_endpoints names. */
static bool
internal_here(const struct http_listener *l)
{
	switch (l->srv->cfg->internal_on) {
	case CONFIG_INTERNAL_LISTEN:
		return !l->tls;
	case CONFIG_INTERNAL_TLS_LISTEN:
		return l->tls;
	case CONFIG_INTERNAL_BOTH:
		return true;
	default:
		return false;
	}
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	const struct http_listener *l = arg;
	struct http_server *srv = l->srv;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	bool get = cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD;
	bool internal = internal_here(l);
	const char *framing;

	conns_request_read(srv, req);
	if ((framing = framing_error(req)) != NULL) {
		/* Refused before any handler, and the connection closed: nothing after it is read. */
		char text[128];

		log_warn("http: refused a request with %s; connection closed", framing);
		metrics_count(MC_HTTP_CUT, "bad_framing", NULL, 1);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
		snprintf(text, sizeof(text), "bad request: %s", framing);
		reply_text(srv, req, 400, text);
		return;
	}
	if (path == NULL)
		path = "/";
	if (srv->cfg->bind_enabled && strcmp(path, srv->cfg->bind_path) == 0) {
		h_bind(srv, req);
	} else if (internal && srv->cfg->metrics && strcmp(path, "/metrics") == 0) {
		if (get) {
			h_metrics(srv, req);
		} else {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
			reply_text(srv, req, 405, "method not allowed");
		}
	} else if (internal && (strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0)) {
		if (!get) {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
			reply_text(srv, req, 405, "method not allowed");
		} else if (path[1] == 'h') {
			/* Alive: the loop answered. */
			reply_text(srv, req, 200, "ok");
		} else if (srv->draining) {
			reply_text(srv, req, 503, "shutting down");
		} else if (writer_health(srv->writer) == WRITER_HEALTH_MIGRATIONS) {
			reply_text(srv, req, 503, "migrations pending: run hcwatch migrate");
		} else if (!writer_ready(srv->writer)) {
			reply_text(srv, req, 503, "database unavailable");
		} else {
			reply_text(srv, req, 200, "ready");
		}
	} else {
		reply_text(srv, req, 404, "not found");
	}
}

void
http_job_finished(struct http_server *srv)
{
	srv->inflight--;
	if (srv->draining && srv->inflight == 0)
		event_active(srv->drained_ev, 0, 0);
}

static void
on_drained_ev(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *srv = arg;

	(void)fd;
	(void)what;
	if (srv->on_drained)
		srv->on_drained(srv->on_drained_arg);
}

static struct bufferevent *
on_conn(struct event_base *base, void *arg)
{
	(void)base;
	return conns_new(arg, NULL);
}

static struct bufferevent *
on_tls_conn(struct event_base *base, void *arg)
{
	struct http_server *srv = arg;
	SSL *ssl = SSL_new(srv->ssl_ctx);
	struct bufferevent *bev;

	(void)base;
	if (ssl == NULL)
		return NULL;
	bev = conns_new(srv, ssl);
	if (bev == NULL)
		SSL_free(ssl);
	return bev;
}

static void
apply_limits(struct http_server *srv, struct evhttp *http)
{
	const struct config *cfg = srv->cfg;

	if (http == NULL)
		return;
	/*
	 * Above max_body_size the handler still sees the request, so that the
	 * rejection is recorded; evhttp's own cap, beyond which it answers 413
	 * alone and nothing is recorded, only bounds memory.
	 */
	evhttp_set_max_body_size(http, (ev_ssize_t)cfg->max_body_size * 4 + 4096);
	evhttp_set_max_headers_size(http, cfg->max_header_size);
	evhttp_set_timeout(http, cfg->timeout);
}

static struct evhttp *
new_evhttp(struct http_server *srv)
{
	struct evhttp *http = evhttp_new(srv->base);

	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(http, on_request, &srv->plain);
	evhttp_set_bevcb(http, on_conn, srv);
	evhttp_set_default_content_type(http, "text/plain; charset=utf-8");
	apply_limits(srv, http);
	return http;
}

static bool
bind_listener(struct evhttp *http, const char *hostport, struct evhttp_bound_socket **out,
    char *err, size_t errlen)
{
	char host[256];
	int port;

	if (!config_split_hostport(hostport, host, sizeof(host), &port)) {
		snprintf(err, errlen, "bad listen address %s", hostport);
		return false;
	}
	*out = evhttp_bind_socket_with_handle(http, host, (ev_uint16_t)port);
	if (*out == NULL) {
		snprintf(err, errlen, "cannot listen on %s (in use, or not an address of this host)",
		    hostport);
		return false;
	}
	return true;
}

static bool
setup_tls(struct http_server *srv, char *err, size_t errlen)
{
	const struct config *cfg = srv->cfg;

	srv->ssl_ctx = SSL_CTX_new(TLS_server_method());
	if (srv->ssl_ctx == NULL) {
		snprintf(err, errlen, "cannot create a TLS context");
		return false;
	}
	SSL_CTX_set_min_proto_version(srv->ssl_ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(srv->ssl_ctx, cfg->tls_cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(srv->ssl_ctx, cfg->tls_key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(srv->ssl_ctx) != 1) {
		char e[256];

		ERR_error_string_n(ERR_get_error(), e, sizeof(e));
		snprintf(err, errlen, "[server] tls_cert_file %s / tls_key_file %s: %s",
		    cfg->tls_cert_file, cfg->tls_key_file, e);
		return false;
	}
	srv->https = new_evhttp(srv);
	evhttp_set_gencb(srv->https, on_request, &srv->secure);
	evhttp_set_bevcb(srv->https, on_tls_conn, srv);
	return bind_listener(srv->https, cfg->tls_listen, &srv->bound_tls, err, errlen);
}

struct http_server *
server_start(struct event_base *base, const struct config *cfg, const struct keyring *keys,
    struct writer *writer, char *err, size_t errlen)
{
	struct http_server *srv = xcalloc(1, sizeof(*srv));

	srv->base = base;
	srv->plain = (struct http_listener){ srv, false };
	srv->secure = (struct http_listener){ srv, true };
	srv->cfg = cfg;
	srv->keys = keys;
	srv->writer = writer;
	if (RAND_bytes((unsigned char *)&srv->rid_prefix, sizeof(srv->rid_prefix)) != 1)
		srv->rid_prefix = (uint32_t)getpid();
	srv->drained_ev = event_new(base, -1, 0, on_drained_ev, srv);
	conns_start(srv);
	srv->http = new_evhttp(srv);
	if (!bind_listener(srv->http, cfg->listen, &srv->bound, err, errlen))
		goto fail;
	if (cfg->tls_listen[0] && !setup_tls(srv, err, errlen))
		goto fail;
	srv->metrics_db = metrics_db_start(cfg);
	return srv;
fail:
	server_free(srv);
	return NULL;
}

void
server_reload(struct http_server *srv, const struct config *cfg, const struct keyring *keys)
{
	srv->cfg = cfg;
	srv->keys = keys;
	apply_limits(srv, srv->http);
	apply_limits(srv, srv->https);
}

void
server_drain(struct http_server *srv, void (*on_drained)(void *arg), void *arg)
{
	srv->on_drained = on_drained;
	srv->on_drained_arg = arg;
	if (!srv->draining) {
		srv->draining = true;
		if (srv->bound)
			evhttp_del_accept_socket(srv->http, srv->bound);
		if (srv->bound_tls)
			evhttp_del_accept_socket(srv->https, srv->bound_tls);
		srv->bound = srv->bound_tls = NULL;
	}
	if (srv->inflight == 0)
		event_active(srv->drained_ev, 0, 0);
}

size_t
server_inflight(const struct http_server *srv)
{
	return srv->inflight;
}

void
server_free(struct http_server *srv)
{
	if (srv == NULL)
		return;
	metrics_db_stop(srv->metrics_db);
	if (srv->http)
		evhttp_free(srv->http);
	if (srv->https)
		evhttp_free(srv->https);
	conns_free(srv);
	http_rejections_free(srv);
	if (srv->drained_ev)
		event_free(srv->drained_ev);
	SSL_CTX_free(srv->ssl_ctx);
	free(srv);
}
