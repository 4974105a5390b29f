/*
 * A deadline for the whole of a request.
 *
 * libevent 2.1's timeout restarts with every read, so a client that drips a
 * byte now and then (slowloris) would keep its connection for as long as it
 * liked. hcwatch makes the bufferevent of every connection itself, watches
 * its input buffer for the first byte of a request, and hears from the
 * request handler when the request is complete. A sweep once a second shuts
 * down the socket of any connection still reading one request after
 * [server] request_timeout; evhttp then sees the end of the stream and frees
 * the connection as it does when a client goes away.
 *
 * Each watched bufferevent holds one extra reference, so that the sweep
 * never touches freed memory. It is given back from evhttp's close callback,
 * just before evhttp frees the connection, so that the socket closes at once
 * (a bufferevent closes its socket only when the last reference goes). The
 * callback is set at the first byte, or by the next sweep; a connection that
 * evhttp frees before either, or without calling it, is noticed by the
 * sweep and let go then, at most a second late. Freed means every callback
 * and the argument cleared: evhttp itself clears only the read callback
 * while it writes.
 */
#include "http/http_int.h"

#include <stdlib.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "util/clock.h"
#include "util/xalloc.h"

struct conn {
	struct conn *next;
	struct http_server *srv;
	struct bufferevent *bev;
	struct evbuffer_cb_entry *watch;
	int64_t started_us; /* first byte of the request being read; 0 between requests */
	int fd;		    /* its slot in srv->conn_by_fd, -1 until the first byte */
	bool cut;
	bool closecb; /* evhttp will tell us when it frees the connection */
};

static void on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg);
static void on_sweep(evutil_socket_t fd, short what, void *arg);
static void conn_release(struct conn *c);
static void watch_close(struct conn *c);
static void *evhttp_conn_of(struct bufferevent *bev);
static void on_close(struct evhttp_connection *evcon, void *arg);

struct bufferevent *
conns_new(struct http_server *srv, SSL *ssl)
{
	struct bufferevent *bev;
	struct conn *c;

	if (ssl != NULL)
		bev = bufferevent_openssl_socket_new(srv->base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
		    BEV_OPT_CLOSE_ON_FREE);
	else
		bev = bufferevent_socket_new(srv->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	c->bev = bev;
	c->fd = -1;
	/* The clock runs from the accept: a TLS handshake or a first line counts too. */
	c->started_us = clock_mono_us();
	c->watch = evbuffer_add_cb(bufferevent_get_input(bev), on_input, c);
	bufferevent_incref(bev);
	c->next = srv->conns;
	srv->conns = c;
	return bev;
}

static void
on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *c = arg;
	struct http_server *srv = c->srv;

	(void)buf;
	if (info->n_added == 0)
		return;
	if (c->started_us == 0)
		c->started_us = clock_mono_us();
	watch_close(c);
	if (c->fd < 0) {
		int fd = bufferevent_getfd(c->bev);

		if (fd < 0)
			return;
		if ((size_t)fd >= srv->conn_by_fd_len) {
			size_t n = (size_t)fd * 2 + 64;

			srv->conn_by_fd = xrealloc(srv->conn_by_fd, n * sizeof(*srv->conn_by_fd));
			for (size_t i = srv->conn_by_fd_len; i < n; i++)
				srv->conn_by_fd[i] = NULL;
			srv->conn_by_fd_len = n;
		}
		/* A stale entry for a closed socket whose number came back is replaced. */
		srv->conn_by_fd[fd] = c;
		c->fd = fd;
	}
}

/* evhttp's connection (the bufferevent's callback argument), or NULL once freed. */
static void *
evhttp_conn_of(struct bufferevent *bev)
{
	bufferevent_event_cb eventcb = NULL;
	void *evcon = NULL;

	bufferevent_getcb(bev, NULL, NULL, &eventcb, &evcon);
	return eventcb != NULL ? evcon : NULL;
}

static void
watch_close(struct conn *c)
{
	void *evcon;

	if (c->closecb || c->bev == NULL || (evcon = evhttp_conn_of(c->bev)) == NULL)
		return;
	evhttp_connection_set_closecb(evcon, on_close, c);
	c->closecb = true;
}

static void
on_close(struct evhttp_connection *evcon, void *arg)
{
	struct conn *c = arg;
	struct http_server *srv = c->srv;

	(void)evcon;
	if (c->bev == NULL)
		return;
	if (c->fd >= 0 && (size_t)c->fd < srv->conn_by_fd_len && srv->conn_by_fd[c->fd] == c)
		srv->conn_by_fd[c->fd] = NULL;
	evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->watch);
	/* evhttp still holds its own reference and frees the bufferevent next. */
	bufferevent_decref(c->bev);
	c->bev = NULL;
}

void
conns_request_read(struct http_server *srv, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev;
	int fd;

	if (evcon == NULL || (bev = evhttp_connection_get_bufferevent(evcon)) == NULL)
		return;
	fd = bufferevent_getfd(bev);
	if (fd >= 0 && (size_t)fd < srv->conn_by_fd_len && srv->conn_by_fd[fd] != NULL &&
	    srv->conn_by_fd[fd]->bev == bev)
		srv->conn_by_fd[fd]->started_us = 0;
}

static void
conn_release(struct conn *c)
{
	on_close(NULL, c);
	free(c);
}

static void
on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *srv = arg;
	int64_t now = clock_mono_us();
	int64_t limit = (int64_t)srv->cfg->request_timeout * 1000000;
	struct conn **pp = &srv->conns;

	(void)fd;
	(void)what;
	while (*pp != NULL) {
		struct conn *c = *pp;

		if (c->bev == NULL || evhttp_conn_of(c->bev) == NULL) {
			/* evhttp has freed the connection; ours is the last reference, if any. */
			*pp = c->next;
			conn_release(c);
			continue;
		}
		watch_close(c);
		if (c->started_us != 0 && !c->cut && now - c->started_us > limit) {
			int sock = bufferevent_getfd(c->bev);

			if (sock >= 0) {
				log_info(
				    "closing a connection that took over %d s to send one request",
				    srv->cfg->request_timeout);
				metrics_count(MC_HTTP_CUT, "request_timeout", NULL, 1);
				shutdown(sock, SHUT_RDWR);
				c->cut = true;
			}
		}
		pp = &c->next;
	}
}

void
conns_start(struct http_server *srv)
{
	struct timeval second = { 1, 0 };

	srv->sweep_ev = event_new(srv->base, -1, EV_PERSIST, on_sweep, srv);
	event_add(srv->sweep_ev, &second);
}

void
conns_free(struct http_server *srv)
{
	while (srv->conns != NULL) {
		struct conn *c = srv->conns;

		srv->conns = c->next;
		conn_release(c);
	}
	free(srv->conn_by_fd);
	srv->conn_by_fd = NULL;
	srv->conn_by_fd_len = 0;
	if (srv->sweep_ev)
		event_free(srv->sweep_ev);
	srv->sweep_ev = NULL;
}
