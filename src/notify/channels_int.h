/* Shared by channels.c and the channels' own files (ch_*.c) only. */
#ifndef HCWATCH_NOTIFY_CHANNELS_INT_H
#define HCWATCH_NOTIFY_CHANNELS_INT_H

#include "notify/channels.h"

/* A platform's error code, and what it means for the message. */
struct channel_code {
	long code;
	enum send_outcome outcome;
	double block_s; /* the destination takes nothing for this long */
};

/** base64(HMAC-SHA256(key, msg)) into a new string; false if OpenSSL fails. */
bool channel_hmac_b64(const void *key, size_t keylen, const void *msg, size_t msglen, char **out)
    __attribute__((warn_unused_result));
/** Adds "name: value" to the request's headers (at most CHANNEL_MAX_HEADERS). */
void channel_add_header(struct channel_request *req, const char *name, const char *value);
/** Writes doc (stolen) into b as compact JSON. */
void channel_dump_into(struct buf *b, json_t *doc);
/** Sets out's outcome, code, penalty and error text. */
void channel_result(struct send_result *out, enum send_outcome o, const char *code, double block,
    const char *msg);
/**
 * Judges an answer by its HTTP status alone: 2xx is success, 429, 408 and
 * 5xx are retried (429 resting for Retry-After), anything else is permanent
 * with code (NULL: the status) and the body quoted.
 */
void channel_classify_http(long status, const char *body, const char *retry_after, const char *code,
    struct send_result *out);
/**
 * Judges the answer of a platform that answers 200 and puts the outcome in
 * the body's code_key (0 is success; alt_code_key is tried when it is
 * absent) and msg_key. codes lists the codes that are retried, and with
 * what penalty; any other is permanent.
 */
void channel_classify_errcode(const char *platform, long status, const char *body,
    const char *retry_after, const char *code_key, const char *alt_code_key, const char *msg_key,
    const struct channel_code *codes, size_t ncodes, struct send_result *out);

extern const struct channel_ops channel_wecom, channel_dingtalk, channel_feishu, channel_slack,
    channel_webhook, channel_email;

#endif
