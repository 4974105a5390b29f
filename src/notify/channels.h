/*
 * The channels: how one rendered part becomes a request to WeCom, DingTalk,
 * Feishu, Slack, a signed webhook or an SMTP server, and how the answer is
 * judged (docs/channels.md): many platforms hide their errors in an HTTP 200.
 *
 * A channel is one row of operations (struct channel_ops) in a file of its
 * own (ch_<name>.c): how text is escaped and laid out for it, how large a
 * message may be, its pace, how a request is built and signed, and how an
 * answer is judged. Adding a channel is one file and one row of
 * channel_table in channels.c.
 *
 * channel_build() and channel_classify() are pure, for tests; channel_send()
 * does the I/O.
 */
#ifndef HCWATCH_NOTIFY_CHANNELS_H
#define HCWATCH_NOTIFY_CHANNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/config.h"
#include "net/http_client.h"
#include "notify/escape.h"
#include "util/buf.h"

enum send_outcome { SEND_OK, SEND_RETRY, SEND_PERMANENT };

struct send_result {
	enum send_outcome outcome;
	char code[32]; /* the platform's errcode, HTTP or SMTP status; "" if none */
	char error[320];
	double block_s;	 /* the destination takes nothing for this long (penalty, Retry-After) */
	int64_t sent_us; /* monotonic time the request left; 0 if it never did */
};

#define CHANNEL_MAX_HEADERS 8

struct channel_request {
	struct buf url;
	struct buf body;
	char headers[CHANNEL_MAX_HEADERS][256];
	int n_headers;
};

/* What a rendered part holds besides its title and text. */
enum channel_part {
	CHANNEL_PART_CHAT,    /* title, text ("at": the mobiles, where the channel mentions) */
	CHANNEL_PART_WEBHOOK, /* title, text, items: the structured facts */
	CHANNEL_PART_EMAIL,   /* subject, text, html */
};

/* How a message writes a link to a page of hcwatch. */
enum channel_link {
	CHANNEL_LINK_BARE,     /* "label: URL", which the client makes a link (text, email) */
	CHANNEL_LINK_MARKDOWN, /* [label](URL) */
	CHANNEL_LINK_SLACK,    /* <URL|label> */
};

struct channel_ops {
	const char *name; /* as [destination] type says it */
	/* How a message is written for it. */
	enum escape_dialect dialect;		/* outside text in a message */
	const char *title_open, *title_close;	/* around the title */
	const char *strong_open, *strong_close; /* around a customer's header */
	const char *bullet;			/* before each item */
	enum channel_part part;
	enum channel_link link;
	bool mentions; /* @-mentions mobiles: in the text, and in "at" */
	/* How large. */
	size_t limit;	    /* bytes a message may hold */
	bool limit_on_body; /* counted JSON-escaped, with room for the envelope */
	bool one_message;   /* never split: the limit only guards against a runaway digest */
	/* How fast, unless [destination] rate_limit says: messages a minute, 0 unpaced. */
	double per_minute;
	/* How it is sent: an HTTP request built by build and judged by classify, or send. */
	bool (*build)(const struct config_dest *d, const char *key, int part, int parts,
	    const json_t *p, int64_t now_ms, struct channel_request *req, char *err, size_t errlen);
	void (*classify)(long status, const char *body, const char *retry_after,
	    struct send_result *out);
	void (*send)(const struct config_dest *d, int timeout_s, const char *key, int part,
	    int parts, const json_t *p, struct send_result *out);
};

/** The operations of channel type (enum config_channel). */
const struct channel_ops *channel_ops(int type);

/**
 * The pace a destination is held to: one send per interval seconds, with
 * burst sends at once. The interval carries a margin over the platform's
 * limit, so that network jitter cannot put one message too many into any
 * sliding window at the receiver.
 */
void channel_pace(const struct config_dest *d, double *interval, int *burst);

/**
 * Builds the request for part (JSON from render_delivery) of a message
 * with idempotency key key. now_ms signs it. Not for email.
 */
bool channel_build(const struct config_dest *d, const char *key, int part, int parts,
    const json_t *p, int64_t now_ms, struct channel_request *req, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void channel_request_cleanup(struct channel_request *req);

/** Judges an HTTP answer; retry_after is the Retry-After header or NULL. */
void channel_classify(int channel, long status, const char *body, const char *retry_after,
    struct send_result *out);

/** The message id a webhook part carries (webhook-id): the key, with the part if several. */
void channel_message_id(const char *key, int part, int parts, char *out, size_t outlen);

/** Standard Webhooks signature header value for secrets (space-separated whsec_… keys). */
bool channel_webhook_signature(const char *secrets, const char *msg_id, int64_t ts,
    const char *body, size_t body_len, struct buf *out) __attribute__((warn_unused_result));

/** Sends one part and judges the answer. hc serves HTTP channels; email opens its own. */
void channel_send(struct http_client *hc, const struct config_dest *d, int timeout_s,
    const char *key, int part, int parts, const json_t *p, struct send_result *out);

#endif
