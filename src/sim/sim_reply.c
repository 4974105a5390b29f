/*
 * hcwatch-sim serve's answers, as the gateway gives them (its own error
 * shapes included), after any latency the faults ask for, from a timer so
 * that the loop never blocks.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "sim/sim_huawei.h"
#include "util/xalloc.h"

struct reply {
	struct evhttp_request *req;
	int status;
	char *body;
	char *token; /* X-Subject-Token, for IAM */
};

static void reply_now(struct evhttp_request *req, int status, const char *text, const char *token);
static void on_delayed(evutil_socket_t fd, short what, void *arg);

static void
reply_now(struct evhttp_request *req, int status, const char *text, const char *token)
{
	struct evbuffer *out = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/json;charset=UTF-8");
	if (token)
		evhttp_add_header(evhttp_request_get_output_headers(req), "X-Subject-Token", token);
	evbuffer_add(out, text, strlen(text));
	evhttp_send_reply(req, status,
	    status == 200     ? "OK" :
		status == 201 ? "Created" :
				"Error",
	    out);
	evbuffer_free(out);
}

void
sim_send_raw(struct sim *s, struct evhttp_request *req, int status, const char *text,
    const char *token)
{
	struct reply *r;
	struct timeval tv;

	if (s->faults.latency_ms <= 0) {
		reply_now(req, status, text, token);
		return;
	}
	/* Latency without blocking the loop: answer from a timer. */
	r = xcalloc(1, sizeof(*r));
	r->req = req;
	r->status = status;
	r->body = xstrdup(text);
	r->token = token ? xstrdup(token) : NULL;
	tv.tv_sec = s->faults.latency_ms / 1000;
	tv.tv_usec = (s->faults.latency_ms % 1000) * 1000;
	event_base_once(s->base, -1, EV_TIMEOUT, on_delayed, r, &tv);
}

static void
on_delayed(evutil_socket_t fd, short what, void *arg)
{
	struct reply *r = arg;

	(void)fd;
	(void)what;
	reply_now(r->req, r->status, r->body, r->token);
	free(r->body);
	free(r->token);
	free(r);
}

void
sim_send_reply(struct sim *s, struct evhttp_request *req, int status, json_t *body,
    const char *token)
{
	/* Fifteen digits: amounts read back exactly ("123.45", not "123.4500000000000028"). */
	char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));

	sim_send_raw(s, req, status, text ? text : "{}", token);
	free(text);
}

void
sim_send_error(struct sim *s, struct evhttp_request *req, int status, const char *code,
    const char *msg)
{
	json_t *b = json_pack("{s:s,s:s}", "error_code", code, "error_msg", msg);

	sim_send_reply(s, req, status, b, NULL);
	json_decref(b);
}

/* The API gateway's own errors, in the shape chosen by --error-shape. */
void
sim_send_gateway_error(struct sim *s, struct evhttp_request *req, int status, const char *code,
    const char *msg)
{
	char full[32];
	json_t *b;

	snprintf(full, sizeof(full), "%s.%s", s->apig_shape ? "APIG" : "APIGW", code);
	if (s->apig_shape)
		b = json_pack("{s:s,s:s,s:s}", "error_msg", msg, "error_code", full, "request_id",
		    "0000000000000000sim");
	else
		b = json_pack("{s:i,s:s,s:s,s:s,s:s}", "status_code", status, "request_id",
		    "0000000000000000sim", "error_code", full, "error_message", msg,
		    "encoded_authorization_message", "");
	sim_send_reply(s, req, status, b, NULL);
	json_decref(b);
}
