/*
 * GET /metrics: this process's counters and histograms (core/metrics.c),
 * and the gauges read from the database (monitor/gauges.c).
 */
#include "http/http_int.h"

#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "ingest/writer.h"
#include "monitor/gauges.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/xalloc.h"

void
h_metrics(struct http_server *srv, struct evhttp_request *req)
{
	struct evbuffer *out = evbuffer_new();
	struct buf b;

	buf_init(&b);
	metrics_render(&b);
	buf_appendf(&b,
	    "# HELP hcwatch_inflight_callbacks Binding notifications waiting for their "
	    "commit.\n# TYPE hcwatch_inflight_callbacks gauge\nhcwatch_inflight_callbacks %zu\n",
	    srv->inflight);
	buf_appendf(&b,
	    "# HELP hcwatch_database_ready 1 when the database is reachable and "
	    "migrated.\n# TYPE hcwatch_database_ready gauge\nhcwatch_database_ready %d\n",
	    writer_ready(srv->writer) ? 1 : 0);
	gauges_append(srv->gauges, &b);
	evbuffer_add(out, b.data ? b.data : "", b.len);
	buf_cleanup(&b);
	http_common_headers(srv, req, NULL);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8");
	http_send(req, 200, "OK", out);
	evbuffer_free(out);
}
