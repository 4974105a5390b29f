/*
 * DingTalk (钉钉) custom robot: markdown with @-mentions by mobile, a body of
 * 20,000 bytes, 20 messages a minute or ten minutes of refusals; signed
 * (加签) in the query; errors in an HTTP 200.
 */
#include "notify/channels_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/pct.h"

static const struct channel_code codes[] = {
	{ 130101, SEND_RETRY, 600 }, /* over 20 a minute: ten minutes' penalty */
	{ -1, SEND_RETRY, 0 },
};

/* sign = urlencode(base64(HMAC-SHA256(secret, ts "\n" secret))), ms timestamp, in the query. */
static bool
build(const struct config_dest *d, const char *key, int part, int parts, const json_t *p,
    int64_t now_ms, struct channel_request *req, char *err, size_t errlen)
{
	const char *title = json_string_value(json_object_get(p, "title"));
	json_t *at = json_object_get(p, "at");
	char ts[32], *sig = NULL;
	struct buf sts;

	(void)key;
	(void)part;
	(void)parts;
	snprintf(ts, sizeof(ts), "%lld", (long long)now_ms);
	buf_init(&sts);
	buf_appendf(&sts, "%s\n%s", ts, d->secret);
	if (!channel_hmac_b64(d->secret, strlen(d->secret), sts.data, sts.len, &sig)) {
		buf_cleanup(&sts);
		snprintf(err, errlen, "cannot compute the DingTalk signature");
		return false;
	}
	buf_cleanup(&sts);
	buf_appendf(&req->url, "%ctimestamp=%s&sign=", strchr(d->url, '?') ? '&' : '?', ts);
	pct_encode(&req->url, sig, strlen(sig));
	free(sig);
	channel_dump_into(&req->body,
	    json_pack("{s:s, s:{s:s, s:s}, s:{s:o, s:b}}", "msgtype", "markdown", "markdown",
		"title", title ? title : "hcwatch", "text",
		json_string_value(json_object_get(p, "text")), "at", "atMobiles",
		at ? json_incref(at) : json_array(), "isAtAll", 0));
	return true;
}

static void
classify(long status, const char *body, const char *retry_after, struct send_result *out)
{
	channel_classify_errcode("dingtalk", status, body, retry_after, "errcode", NULL, "errmsg",
	    codes, sizeof(codes) / sizeof(codes[0]), out);
}

const struct channel_ops channel_dingtalk = {
	.name = "dingtalk",
	.dialect = ESCAPE_MARKDOWN,
	.title_open = "### ",
	.title_close = "",
	.strong_open = "**",
	.strong_close = "**",
	.bullet = "- ",
	.part = CHANNEL_PART_CHAT,
	.link = CHANNEL_LINK_MARKDOWN,
	.mentions = true,
	.limit = 20000,
	.limit_on_body = true,
	.per_minute = 18, /* 20 a minute, held at 18 */
	.build = build,
	.classify = classify,
};
