/*
 * The signed generic webhook: JSON with every item's facts, signed as
 * Standard Webhooks sign (webhook-id, webhook-timestamp, webhook-signature);
 * real HTTP statuses. One message: no platform limit but ours.
 */
#include "notify/channels_int.h"

#include <stdio.h>

static bool
build(const struct config_dest *d, const char *key, int part, int parts, const json_t *p,
    int64_t now_ms, struct channel_request *req, char *err, size_t errlen)
{
	const char *title = json_string_value(json_object_get(p, "title"));
	char id[96], ts[32];
	struct buf sig;
	json_t *items = json_object_get(p, "items");

	channel_message_id(key, part, parts, id, sizeof(id));
	channel_dump_into(&req->body,
	    json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:O}", "type", "hcwatch.alerts", "id", key,
		"part", part, "parts", parts, "title", title ? title : "", "text",
		json_string_value(json_object_get(p, "text")), "items",
		items ? items : json_null()));
	snprintf(ts, sizeof(ts), "%lld", (long long)(now_ms / 1000));
	buf_init(&sig);
	if (!channel_webhook_signature(d->secret, id, now_ms / 1000, req->body.data, req->body.len,
		&sig)) {
		buf_cleanup(&sig);
		snprintf(err, errlen, "[destination %s] secret: not a usable signing key", d->name);
		return false;
	}
	channel_add_header(req, "webhook-id", id);
	channel_add_header(req, "webhook-timestamp", ts);
	channel_add_header(req, "webhook-signature", sig.data);
	buf_cleanup(&sig);
	return true;
}

static void
classify(long status, const char *body, const char *retry_after, struct send_result *out)
{
	channel_classify_http(status, body, retry_after, NULL, out);
}

const struct channel_ops channel_webhook = {
	.name = "webhook",
	.dialect = ESCAPE_PLAIN,
	.title_open = "",
	.title_close = "",
	.strong_open = "",
	.strong_close = "",
	.bullet = "- ",
	.part = CHANNEL_PART_WEBHOOK,
	.limit = 256 * 1024,
	.limit_on_body = true,
	.one_message = true,
	.per_minute = 0,
	.build = build,
	.classify = classify,
};
