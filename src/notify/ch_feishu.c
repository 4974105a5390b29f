/*
 * Feishu / Lark custom bot: text, a body of 20 KB, 100 a minute and 5 a
 * second; signed (签名校验) in the body; errors in an HTTP 200.
 */
#include "notify/channels_int.h"

#include <stdio.h>
#include <stdlib.h>

static const struct channel_code codes[] = {
	{ 11232, SEND_RETRY, 30 }, /* frequency limited */
};

/* sign = base64(HMAC-SHA256(key = ts "\n" secret, message = "")), seconds, in the body. */
static bool
build(const struct config_dest *d, const char *key, int part, int parts, const json_t *p,
    int64_t now_ms, struct channel_request *req, char *err, size_t errlen)
{
	char ts[32], *sig = NULL;
	struct buf sts;

	(void)key;
	(void)part;
	(void)parts;
	snprintf(ts, sizeof(ts), "%lld", (long long)(now_ms / 1000));
	buf_init(&sts);
	buf_appendf(&sts, "%s\n%s", ts, d->secret);
	if (!channel_hmac_b64(sts.data, sts.len, "", 0, &sig)) {
		buf_cleanup(&sts);
		snprintf(err, errlen, "cannot compute the Feishu signature");
		return false;
	}
	buf_cleanup(&sts);
	channel_dump_into(&req->body,
	    json_pack("{s:s, s:s, s:s, s:{s:s}}", "timestamp", ts, "sign", sig, "msg_type", "text",
		"content", "text", json_string_value(json_object_get(p, "text"))));
	free(sig);
	return true;
}

/* Feishu answers {"code", "msg"}; its older answer {"StatusCode", "StatusMessage"}. */
static void
classify(long status, const char *body, const char *retry_after, struct send_result *out)
{
	channel_classify_errcode("feishu", status, body, retry_after, "code", "StatusCode", "msg",
	    codes, sizeof(codes) / sizeof(codes[0]), out);
}

const struct channel_ops channel_feishu = {
	.name = "feishu",
	.dialect = ESCAPE_MARKDOWN,
	.title_open = "",
	.title_close = "",
	.strong_open = "",
	.strong_close = "",
	.bullet = "- ",
	.part = CHANNEL_PART_CHAT,
	.limit = 20000,
	.limit_on_body = true,
	.per_minute = 100, /* and so one each 0.6 s, under 5 a second too */
	.build = build,
	.classify = classify,
};
