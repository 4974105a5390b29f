/*
 * The machine's limit for bench/http: the smallest libevent HTTP server, one
 * thread, answering every request with "ok". hcwatch's /healthz does the same
 * work plus its own headers, routing and connection bookkeeping.
 *
 *   cc -O2 -o hello bench/hello.c $(pkg-config --cflags --libs libevent)
 *   ./hello PORT
 */
#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct evbuffer *out = evbuffer_new();

	(void)arg;
	evbuffer_add(out, "ok\n", 3);
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

int
main(int argc, char **argv)
{
	struct event_base *base = event_base_new();
	struct evhttp *http = evhttp_new(base);

	if (argc != 2 || evhttp_bind_socket(http, "127.0.0.1", (ev_uint16_t)atoi(argv[1])) != 0) {
		fprintf(stderr, "usage: hello PORT (a free one)\n");
		return 2;
	}
	evhttp_set_gencb(http, on_request, NULL);
	event_base_dispatch(base);
	return 0;
}
