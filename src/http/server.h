/*
 * The HTTP server: evhttp listeners (plain, and TLS when configured) on the
 * main event loop, request ids, limits, /healthz and /readyz, and the
 * callback endpoints.
 *
 * Shutdown has two stages: server_drain() stops accepting connections and
 * answers every further request with Connection: close; once the callbacks
 * still waiting for their commit have been answered, the drained callback
 * runs and the caller stops the loop.
 */
#ifndef HCWATCH_HTTP_SERVER_H
#define HCWATCH_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct event_base;
struct keyring;
struct writer;
struct http_server;

/** Binds the listeners of cfg. cfg and keys stay the caller's; see server_reload. */
struct http_server *server_start(struct event_base *base, const struct config *cfg,
    const struct keyring *keys, struct writer *writer, char *err, size_t errlen);
/** Switches to a new configuration and keyring; the caller frees the old ones after. */
void server_reload(struct http_server *srv, const struct config *cfg, const struct keyring *keys);
/** Stops accepting; on_drained runs (from the loop) once nothing is in flight. */
void server_drain(struct http_server *srv, void (*on_drained)(void *arg), void *arg);
/** Requests waiting for the database. */
size_t server_inflight(const struct http_server *srv);
void server_free(struct http_server *srv);

#endif
