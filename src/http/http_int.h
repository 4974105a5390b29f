/* Shared by the files of src/http/ only. */
#ifndef HCWATCH_HTTP_HTTP_INT_H
#define HCWATCH_HTTP_HTTP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/http.h>
#include <openssl/ssl.h>

#include "http/server.h"

#define HTTP_REQUEST_ID_LEN 17

/* What a request arrived on: its listener tells which endpoints it may reach. */
struct http_listener {
	struct http_server *srv;
	bool tls;
	bool pages_only; /* [web] listen: the pages and nothing else */
};

struct http_server {
	struct event_base *base;
	struct http_listener plain, secure, web;
	struct evhttp *http;
	struct evhttp *https;
	struct evhttp *web_http; /* [web] listen */
	struct evhttp_bound_socket *bound;
	struct evhttp_bound_socket *bound_tls;
	struct evhttp_bound_socket *bound_web;
	struct web_pool *pages; /* the pages' readers; NULL without [web] public_url */
	SSL_CTX *ssl_ctx;
	const struct config *cfg;
	const struct keyring *keys;
	struct writer *writer;

	uint32_t rid_prefix;
	uint32_t rid_seq;
	size_t inflight;
	bool draining;
	void (*on_drained)(void *arg);
	void *on_drained_arg;
	struct event *drained_ev;
	struct gauges *gauges; /* monitor/gauges.c: what /metrics reads from the database */

	/* limits.c: rejected requests, and page requests, per address */
	struct rejection_slot *rejections;
	struct rejection_slot *page_hits;

	/* conns.c: the whole-request deadline */
	struct conn *conns;
	struct conn **conn_by_fd;
	size_t conn_by_fd_len;
	struct event *sweep_ev;
};

/** A new id for a request: 16 hex digits, unique per process start. */
void http_request_id(struct http_server *srv, char out[HTTP_REQUEST_ID_LEN]);
/**
 * Sends the reply with body (may be NULL). A HEAD request gets the headers
 * a GET would, Content-Length included, and no body.
 */
void http_send(struct evhttp_request *req, int status, const char *reason, struct evbuffer *body);
/** Sends a small HTML page: title and text are trusted text, escaped anyway. */
void http_reply_page(struct http_server *srv, struct evhttp_request *req, int status,
    const char *title, const char *text, const char *request_id);
/** A small plain-text answer. */
void http_reply_text(struct http_server *srv, struct evhttp_request *req, int status,
    const char *text);
/** Headers every response carries (request id, no caching, no sniffing; close while draining). */
void http_common_headers(struct http_server *srv, struct evhttp_request *req,
    const char *request_id);
/** A request that waited for the database has been answered (or its client left). */
void http_job_finished(struct http_server *srv);

/** evhttp's bevcb: a watched bufferevent for a new connection (TLS when ssl is set). */
struct bufferevent *conns_new(struct http_server *srv, SSL *ssl);
/** The handler has req in full: its connection's request clock stops. */
void conns_request_read(struct http_server *srv, struct evhttp_request *req);
void conns_start(struct http_server *srv);
/** After evhttp_free: drops what is still watched. */
void conns_free(struct http_server *srv);

/**
 * Counts a rejected request from addr against [bind] rejected_per_minute;
 * false when it is over the limit, and should be answered 429 unrecorded.
 */
bool http_rejection_allowed(struct http_server *srv, const char *addr);
void http_rejections_free(struct http_server *srv);
/** Counts a page request from addr against [web] per_minute; false when over it (429). */
bool http_page_allowed(struct http_server *srv, const char *addr);

void h_bind(struct http_server *srv, struct evhttp_request *req);
void h_metrics(struct http_server *srv, struct evhttp_request *req);
/** path is "/l/TOKEN". */
void h_page(struct http_server *srv, struct evhttp_request *req, const char *path);

#endif
