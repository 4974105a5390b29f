/*
 * WeCom (企业微信) group robot: markdown, 4096 bytes of content, 20 messages
 * a minute; the key in the URL is the only secret; errors in an HTTP 200.
 */
#include "notify/channels_int.h"

static const struct channel_code codes[] = {
	{ 45009, SEND_RETRY, 60 }, /* over 20 a minute */
	{ -1, SEND_RETRY, 0 },	   /* system busy */
};

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
	    json_pack("{s:s, s:{s:s}}", "msgtype", "markdown", "markdown", "content",
		json_string_value(json_object_get(p, "text"))));
	return true;
}

static void
classify(long status, const char *body, const char *retry_after, struct send_result *out)
{
	channel_classify_errcode("wecom", status, body, retry_after, "errcode", NULL, "errmsg",
	    codes, sizeof(codes) / sizeof(codes[0]), out);
}

const struct channel_ops channel_wecom = {
	.name = "wecom",
	.dialect = ESCAPE_MARKDOWN,
	.title_open = "### ",
	.title_close = "",
	.strong_open = "**",
	.strong_close = "**",
	.bullet = "- ",
	.part = CHANNEL_PART_CHAT,
	.link = CHANNEL_LINK_MARKDOWN,
	/* The limit is on the markdown content, not on the request. */
	.limit = 4096,
	.limit_on_body = false,
	.per_minute = 18, /* 20 a minute, held at 18 */
	.build = build,
	.classify = classify,
};
