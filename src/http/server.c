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
#include "monitor/gauges.h"
#include "util/buf.h"
#include "util/xalloc.h"
#include "web/pool.h"

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
	case CONFIG_INTERNAL_LISTEN: return !l->tls;
	case CONFIG_INTERNAL_TLS_LISTEN: return l->tls;
	case CONFIG_INTERNAL_BOTH: return true;
	default: return false;
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
		/* Refused before any handler, and the connection closed: nothing after it is read.
		 */
		char text[128];

		log_warn("http: refused a request with %s; connection closed", framing);
		metrics_count(MC_HTTP_CUT, "bad_framing", NULL, 1);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
		snprintf(text, sizeof(text), "bad request: %s", framing);
		http_reply_text(srv, req, 400, text);
		return;
	}
	if (path == NULL)
		path = "/";
	if (l->pages_only ||
	    (srv->pages && srv->web_http == NULL && strncmp(path, "/l/", 3) == 0)) {
		if (srv->pages && strncmp(path, "/l/", 3) == 0)
			h_page(srv, req, path);
		else
			http_reply_text(srv, req, 404, "not found");
	} else if (srv->cfg->bind_enabled && strcmp(path, srv->cfg->bind_path) == 0) {
		h_bind(srv, req);
	} else if (internal && srv->cfg->metrics && strcmp(path, "/metrics") == 0) {
		if (get) {
			h_metrics(srv, req);
		} else {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
			    "GET, HEAD");
			http_reply_text(srv, req, 405, "method not allowed");
		}
	} else if (internal && (strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0)) {
		if (!get) {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
			    "GET, HEAD");
			http_reply_text(srv, req, 405, "method not allowed");
		} else if (path[1] == 'h') {
			/* Alive: the loop answered. */
			http_reply_text(srv, req, 200, "ok");
		} else if (srv->draining) {
			http_reply_text(srv, req, 503, "shutting down");
		} else if (writer_health(srv->writer) == WRITER_HEALTH_MIGRATIONS) {
			http_reply_text(srv, req, 503, "migrations pending: run hcwatch migrate");
		} else if (!writer_ready(srv->writer)) {
			http_reply_text(srv, req, 503, "database unavailable");
		} else {
			http_reply_text(srv, req, 200, "ready");
		}
	} else {
		http_reply_text(srv, req, 404, "not found");
	}
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

	evhttp_set_allowed_methods(http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
		EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
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
		snprintf(err, errlen,
		    "cannot listen on %s (in use, or not an address of this host)", hostport);
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
	srv->plain = (struct http_listener){ srv, false, false };
	srv->secure = (struct http_listener){ srv, true, false };
	srv->web = (struct http_listener){ srv, false, true };
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
	if (cfg->web_listen[0]) {
		srv->web_http = new_evhttp(srv);
		evhttp_set_gencb(srv->web_http, on_request, &srv->web);
		if (!bind_listener(srv->web_http, cfg->web_listen, &srv->bound_web, err, errlen))
			goto fail;
	}
	if (cfg->web_public_url[0])
		srv->pages = web_pool_start(base, cfg->database_url, cfg->connect_timeout,
		    cfg->statement_timeout, cfg->web_readers, 256);
	srv->gauges = gauges_start(cfg);
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
	apply_limits(srv, srv->web_http);
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
		if (srv->bound_web)
			evhttp_del_accept_socket(srv->web_http, srv->bound_web);
		srv->bound = srv->bound_tls = srv->bound_web = NULL;
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
	gauges_stop(srv->gauges);
	/* Before the listeners: a page still being built is answered, or dropped with them. */
	web_pool_stop(srv->pages);
	if (srv->http)
		evhttp_free(srv->http);
	if (srv->web_http)
		evhttp_free(srv->web_http);
	if (srv->https)
		evhttp_free(srv->https);
	conns_free(srv);
	http_rejections_free(srv);
	if (srv->drained_ev)
		event_free(srv->drained_ev);
	SSL_CTX_free(srv->ssl_ctx);
	free(srv);
}
