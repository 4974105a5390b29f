/*
 * Slack incoming webhook: mrkdwn text, about one message a second; the URL
 * is the secret; real HTTP statuses, the reason in the body.
 */
#include "notify/channels_int.h"

#include <string.h>

static bool
build(const struct config_dest *d, const char *key, int part, int parts, const json_t *p,
    int64_t now_ms, struct channel_request *req, char *err, size_t errlen)
{
	(void)d;
	(void)key;
	(void)part;
	(void)parts;
	(void)now_ms;
	(void)err;
	(void)errlen;
	channel_dump_into(&req->body,
	    json_pack("{s:s}", "text", json_string_value(json_object_get(p, "text"))));
	return true;
}

/* Slack names the reason in the body: invalid_payload, channel_not_found, … */
static void
classify(long status, const char *body, const char *retry_after, struct send_result *out)
{
	channel_classify_http(status, body, retry_after,
	    body && *body && strlen(body) < 32 ? body : NULL, out);
}

const struct channel_ops channel_slack = {
	.name = "slack",
	.dialect = ESCAPE_SLACK,
	.title_open = "*",
	.title_close = "*",
	.strong_open = "*",
	.strong_close = "*",
	.bullet = "• ",
	.part = CHANNEL_PART_CHAT,
	.link = CHANNEL_LINK_SLACK,
	.limit = 40000,
	.limit_on_body = true, /* the text field's 40,000 characters */
	.per_minute = 60,
	.build = build,
	.classify = classify,
};
