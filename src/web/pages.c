#include "web/pages.h"

#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "notify/render.h"
#include "util/sha256.h"

/* The one stylesheet: small, readable on a phone, no outside font or image. */
static const char style[] =
    "body{font-family:system-ui,-apple-system,\"PingFang SC\",\"Microsoft YaHei\",sans-serif;"
    "max-width:48em;margin:0 auto;padding:.8em;line-height:1.5;color:#222}"
    "h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.4em}"
    "table{border-collapse:collapse;width:100%;font-size:.9em}"
    "td,th{border-bottom:1px solid #ddd;padding:.3em;text-align:left;vertical-align:top}"
    ".tag{display:inline-block;padding:0 .4em;border-radius:.3em;color:#fff;font-size:.85em}"
    ".critical{background:#c62828}.warning{background:#ef6c00}.info{background:#1565c0}"
    ".resolved{background:#2e7d32}.state{color:#555;font-size:.9em}"
    ".ok{background:#e8f5e9;padding:.5em}.err{background:#ffebee;padding:.5em}"
    "form{border:1px solid #ddd;padding:.6em;margin:.6em 0}"
    "input[type=text],textarea{width:100%;box-sizing:border-box;font-size:1em}"
    "button{font-size:1em;padding:.4em 1em;margin-top:.4em}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}dd{margin:0}"
    "svg{width:100%;height:auto;max-width:40em}.muted{color:#777;font-size:.85em}"
    "ul{padding-left:1.2em}li{margin:.3em 0}";

enum pw {
	P_TITLE_DIGEST,
	P_TITLE_CUSTOMER,
	P_ITEMS,
	P_SENT_TO,
	P_CREATED,
	P_DELIVERED,
	P_DETAILS,
	P_CUSTOMER,
	P_ACCOUNT,
	P_MANAGER,
	P_RESOURCE,
	P_REGION,
	P_SERVICE,
	P_EXPIRES,
	P_DAYS_LEFT,
	P_AUTO_RENEW,
	P_BALANCE,
	P_DEBT,
	P_YES,
	P_NO,
	P_STATE,
	P_FIRING,
	P_ACKED,
	P_SILENCED,
	P_RESOLVED,
	P_HISTORY,
	P_TOLD,
	P_AT,
	P_TO,
	P_SUPPRESSED,
	P_ACTIONS_DONE,
	P_ACTION,
	P_NAME,
	P_NOTE,
	P_FROM_LINK,
	P_ADDRESS,
	P_AGENT,
	P_UNTIL,
	P_ACK,
	P_SILENCE,
	P_UNSILENCE,
	P_1D,
	P_7D,
	P_STAGE,
	P_DONE_ACK,
	P_DONE_SILENCE,
	P_DONE_UNSILENCE,
	P_OPEN_ALERTS,
	P_NONE,
	P_RESOURCES,
	P_BALANCE_HISTORY,
	P_EXPIRY_TIMELINE,
	P_TODAY,
	P_DAYS,
	P_CONSOLE,
	P_OTHER_LANG,
	P_PARTNER,
	P_SELF,
	P_NOTE_MAX,
	P_PENDING,
	P_DEAD,
	P_BY,
	P_COUNT
};

static const char *const pwords[2][P_COUNT] = {
	{ "hcwatch 告警", "客户", "项", "发往", "生成于", "送达于", "详情", "客户", "账号",
	    "客户经理", "资源", "区域", "服务", "到期时间", "剩余天数", "自动续费", "余额", "欠费",
	    "是", "否", "状态", "告警中", "已确认", "已静默", "已恢复", "历史", "通知记录", "时间",
	    "发往", "未发送", "页面操作", "操作", "姓名", "备注", "所用链接", "地址", "浏览器",
	    "截止", "确认", "静默", "取消静默", "1 天", "7 天", "直到下一阶段",
	    "已确认，之后的提醒不再发送。", "已静默。", "已取消静默。", "未恢复的告警", "无",
	    "资源（按到期时间）", "余额走势（近 60 天）", "到期时间线（未来 90 天）", "今天", "天",
	    "伙伴中心", "English", "伙伴账户", "hcwatch 自身", "最多", "待发送", "发送失败",
	    "确认人" },
	{ "hcwatch alerts", "Customer", "item(s)", "sent to", "created", "delivered", "details",
	    "Customer", "account", "manager", "Resource", "Region", "Service", "Expires",
	    "Days left", "Auto-renew", "Balance", "Arrears", "yes", "no", "State", "firing",
	    "acknowledged", "silenced", "resolved", "History", "Told", "At", "To", "not sent",
	    "Actions on this page", "Action", "Name", "Note", "Link of", "Address", "Browser",
	    "Until", "Acknowledge", "Silence", "Unsilence", "1 day", "7 days",
	    "until the next stage", "Acknowledged: its reminders will not be sent.", "Silenced.",
	    "Unsilenced.", "Open alerts", "none", "Resources, by expiry", "Balance, last 60 days",
	    "Expiry, next 90 days", "today", "days", "partner console", "中文", "Partner account",
	    "hcwatch itself", "at most", "pending", "failed", "by" },
};

static const char *
pw(const struct page_ctx *c, enum pw w)
{
	return pwords[c->language == CONFIG_LANG_EN][w];
}

/* Outside text as HTML text. */
static void
he(struct buf *b, const char *s)
{
	if (s)
		buf_append_html(b, s, strlen(s));
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* A number or numeric text from the database, as text; "" for none. */
static void
num(const json_t *o, const char *key, struct buf *b)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		buf_appendf(b, "%lld", (long long)json_integer_value(v));
	else if (json_is_string(v))
		he(b, json_string_value(v));
}

/* An account manager by the name its [manager] section gives it, else by the section's. */
static const char *
manager(const struct page_ctx *c, const char *key)
{
	const char *name = json_string_value(json_object_get(c->managers, key));

	return name && *name ? name : key;
}

/* ---- the frame ---- */

static pthread_once_t hash_once = PTHREAD_ONCE_INIT;
static char hash_src[80];

static void
compute_hash(void)
{
	unsigned char md[32], b64[64];

	sha256(style, strlen(style), md);
	EVP_EncodeBlock(b64, md, 32);
	snprintf(hash_src, sizeof(hash_src), "'sha256-%s'", (const char *)b64);
}

const char *
page_style_hash(void)
{
	pthread_once(&hash_once, compute_hash);
	return hash_src;
}

static void
begin(const struct page_ctx *c, struct buf *b, const char *title)
{
	bool en = c && c->language == CONFIG_LANG_EN;

	buf_appendf(b,
	    "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	    "<meta name=\"robots\" content=\"noindex, nofollow\">"
	    "<meta name=\"referrer\" content=\"no-referrer\"><title>",
	    en ? "en" : "zh-CN");
	he(b, title);
	buf_appendf(b, "</title><style>%s</style></head>\n<body>\n", style);
	if (c) {
		/* The other language: the same page, asked again. */
		buf_appendf(b, "<p class=\"muted\"><a href=\"?lang=%s\">%s</a></p>\n",
		    en ? "zh" : "en", pw(c, P_OTHER_LANG));
		if (c->done) {
			enum pw w = strcmp(c->done, "acknowledge") == 0 ? P_DONE_ACK :
			    strcmp(c->done, "silence") == 0		? P_DONE_SILENCE :
									  P_DONE_UNSILENCE;

			buf_appendf(b, "<p class=\"ok\">%s</p>\n", pw(c, w));
		}
		if (c->error) {
			buf_append_str(b, "<p class=\"err\">");
			he(b, c->error);
			buf_append_str(b, "</p>\n");
		}
	}
}

static void
end(struct buf *b)
{
	buf_append_str(b, "<p class=\"muted\">hcwatch</p>\n</body></html>\n");
}

/* <a href="URL?lang=en">label</a> to another page, or the label alone if there is no link. */
static void
link_to(const struct page_ctx *c, char kind, const char *id, const char *label, struct buf *b)
{
	char *url = c->link ? c->link(c->link_arg, kind, id) : NULL;

	if (url) {
		buf_append_str(b, "<a href=\"");
		he(b, url);
		if (c->language == CONFIG_LANG_EN)
			buf_append_str(b, "?lang=en");
		buf_append_str(b, "\">");
	}
	he(b, label);
	if (url)
		buf_append_str(b, "</a>");
	free(url);
}

static void
console_link(const struct page_ctx *c, const char *id, struct buf *b)
{
	const char *at = c->console_url ? strstr(c->console_url, "{customer_id}") : NULL;

	if (at == NULL || *id == '\0' || strspn(id, "0123456789abcdefABCDEF-_") != strlen(id))
		return;
	buf_append_str(b, " · <a href=\"");
	buf_append(b, c->console_url, (size_t)(at - c->console_url));
	he(b, id);
	he(b, at + strlen("{customer_id}"));
	buf_appendf(b, "\">%s</a>", pw(c, P_CONSOLE));
}

static const char *
severity_class(const char *event, const char *severity)
{
	if (strcmp(event, "resolved") == 0)
		return "resolved";
	if (strcmp(severity, "critical") == 0 || strcmp(severity, "warning") == 0)
		return severity;
	return "info";
}

static void
tag(const struct page_ctx *c, const char *event, const char *severity, struct buf *b)
{
	static const char *const zh[] = { "紧急", "警告", "提示", "已恢复" };
	static const char *const en[] = { "critical", "warning", "info", "resolved" };
	const char *cls = severity_class(event, severity);
	int i = strcmp(cls, "critical") == 0 ? 0 :
	    strcmp(cls, "warning") == 0	     ? 1 :
	    strcmp(cls, "info") == 0	     ? 2 :
					       3;

	buf_appendf(b, "<span class=\"tag %s\">%s</span> ", cls,
	    c->language == CONFIG_LANG_EN ? en[i] : zh[i]);
}

static void
state_text(const struct page_ctx *c, const char *state, const char *acked_by, struct buf *b)
{
	enum pw w = strcmp(state, "acknowledged") == 0 ? P_ACKED :
	    strcmp(state, "silenced") == 0	       ? P_SILENCED :
	    strcmp(state, "resolved") == 0	       ? P_RESOLVED :
							 P_FIRING;

	buf_appendf(b, "<span class=\"state\">%s", pw(c, w));
	if (w == P_ACKED && acked_by && *acked_by) {
		buf_appendf(b, " (%s ", pw(c, P_BY));
		he(b, acked_by);
		buf_append_char(b, ')');
	}
	buf_append_str(b, "</span>");
}

/* The item's sentence, as the messages word it. */
static void
sentence(const struct page_ctx *c, const json_t *item, struct buf *b)
{
	struct buf t;

	buf_init(&t);
	render_item_sentence(c->language, c->templates, item, &t);
	he(b, t.data ? t.data : "");
	buf_cleanup(&t);
}

static void
money(const json_t *o, const char *key, const char *currency, struct buf *b)
{
	const char *v = str(o, key);

	if (*v == '\0') {
		buf_append_str(b, "—");
		return;
	}
	he(b, v);
	buf_append_char(b, ' ');
	he(b, *currency ? currency : "CNY");
}

/* ---- a delivery ---- */

static const char *
group_key(const json_t *item)
{
	const json_t *f = json_object_get(item, "facts");

	if (strcmp(str(f, "scope"), "hcwatch") == 0)
		return "\x02";
	return str(f, "customer_id");
}

void
page_digest(const struct page_ctx *c, const json_t *d, struct buf *b)
{
	const json_t *items = json_object_get(d, "items"), *item;
	const char *group = NULL;
	size_t i;

	begin(c, b, pw(c, P_TITLE_DIGEST));
	buf_appendf(b, "<h1>%s%s%zu %s</h1>\n<p class=\"muted\">%s ", pw(c, P_TITLE_DIGEST),
	    c->language == CONFIG_LANG_EN ? ": " : "：", json_array_size(items), pw(c, P_ITEMS),
	    pw(c, P_SENT_TO));
	he(b, str(d, "destination"));
	buf_appendf(b, " · %s ", pw(c, P_CREATED));
	he(b, str(d, "created"));
	if (*str(d, "delivered")) {
		buf_appendf(b, " · %s ", pw(c, P_DELIVERED));
		he(b, str(d, "delivered"));
	}
	buf_append_str(b, "</p>\n");
	json_array_foreach(items, i, item) {
		const json_t *f = json_object_get(item, "facts");
		const char *g = group_key(item);
		char id[32];

		if (group == NULL || strcmp(g, group) != 0) {
			if (group)
				buf_append_str(b, "</ul>\n");
			group = g;
			buf_append_str(b, "<h2>");
			if (*g == '\x02') {
				buf_append_str(b, pw(c, P_SELF));
			} else if (*g == '\0') {
				buf_append_str(b, pw(c, P_PARTNER));
			} else {
				const char *name = str(f, "customer");

				buf_appendf(b, "%s ", pw(c, P_CUSTOMER));
				link_to(c, 'c', g, *name ? name : g, b);
				if (*str(f, "account_name")) {
					buf_appendf(b, " <span class=\"muted\">%s ",
					    pw(c, P_ACCOUNT));
					he(b, str(f, "account_name"));
					buf_append_str(b, "</span>");
				}
				if (*str(f, "manager")) {
					buf_appendf(b, " <span class=\"muted\">· %s ",
					    pw(c, P_MANAGER));
					he(b, manager(c, str(f, "manager")));
					buf_append_str(b, "</span>");
				}
			}
			buf_append_str(b, "</h2>\n<ul>\n");
		}
		buf_append_str(b, "<li>");
		tag(c, str(item, "event"), str(item, "severity"), b);
		sentence(c, item, b);
		buf_append_str(b, " ");
		state_text(c, str(item, "state"), str(item, "acked_by"), b);
		snprintf(id, sizeof(id), "%lld",
		    (long long)json_integer_value(json_object_get(item, "alert_id")));
		buf_append_str(b, " · ");
		link_to(c, 'a', id, pw(c, P_DETAILS), b);
		buf_append_str(b, "</li>\n");
	}
	if (group)
		buf_append_str(b, "</ul>\n");
	end(b);
}

/* ---- an alert ---- */

static void
fact_row(struct buf *b, const char *label, const char *value)
{
	if (*value == '\0')
		return;
	buf_appendf(b, "<dt>%s</dt><dd>", label);
	he(b, value);
	buf_append_str(b, "</dd>\n");
}

static void
form_open(const struct page_ctx *c, const char *action, struct buf *b)
{
	/* No action attribute: the form posts to the page's own address. */
	buf_appendf(b,
	    "<form method=\"post\" id=\"%s\"><input type=\"hidden\" name=\"csrf\" value=\"",
	    action);
	he(b, c->form);
	buf_appendf(b, "\"><input type=\"hidden\" name=\"action\" value=\"%s\">\n", action);
}

static void
name_fields(const struct page_ctx *c, bool note, struct buf *b)
{
	buf_appendf(b,
	    "<label>%s<br><input type=\"text\" name=\"name\" required maxlength=\"100\" "
	    "autocomplete=\"name\"></label><br>\n",
	    pw(c, P_NAME));
	if (note) {
		buf_appendf(b, "<label>%s (%s %d %s", pw(c, P_NOTE), pw(c, P_NOTE_MAX), c->note_max,
		    c->language == CONFIG_LANG_EN ? "bytes" : "字节");
		buf_appendf(b,
		    ")<br><textarea name=\"note\" rows=\"2\" maxlength=\"%d\"></textarea></label>"
		    "<br>\n",
		    c->note_max);
	}
}

static void
actions(const struct page_ctx *c, const json_t *a, struct buf *b)
{
	const char *state = str(a, "state");
	bool expiry = strcmp(str(a, "kind"), "expiry") == 0;
	const json_t *days = json_object_get(a, "days_left");

	if (strcmp(state, "resolved") == 0 || *str(a, "resolved"))
		return;
	form_open(c, "acknowledge", b);
	name_fields(c, true, b);
	buf_appendf(b, "<button type=\"submit\">%s</button></form>\n", pw(c, P_ACK));

	form_open(c, "silence", b);
	name_fields(c, true, b);
	buf_appendf(b,
	    "<label><input type=\"radio\" name=\"span\" value=\"1d\" checked> %s</label> "
	    "<label><input type=\"radio\" name=\"span\" value=\"7d\"> %s</label> ",
	    pw(c, P_1D), pw(c, P_7D));
	if (expiry && json_is_integer(days) && json_integer_value(days) > 0)
		buf_appendf(b,
		    "<label><input type=\"radio\" name=\"span\" value=\"stage\"> %s</label>",
		    pw(c, P_STAGE));
	buf_appendf(b, "<br><button type=\"submit\">%s</button></form>\n", pw(c, P_SILENCE));

	if (strcmp(state, "silenced") == 0 || *str(a, "silenced_until")) {
		form_open(c, "unsilence", b);
		name_fields(c, false, b);
		buf_appendf(b, "<button type=\"submit\">%s</button></form>\n", pw(c, P_UNSILENCE));
	}
}

static void
history(const struct page_ctx *c, const json_t *told, bool with_what, struct buf *b)
{
	const json_t *n;
	size_t i;

	buf_appendf(b, "<table><tr><th>%s</th><th>%s</th><th>%s</th></tr>\n", pw(c, P_AT),
	    with_what ? pw(c, P_TOLD) : pw(c, P_STATE), pw(c, P_TO));
	json_array_foreach(told, i, n) {
		const json_t *ds = json_object_get(n, "deliveries"), *d;
		size_t k;

		buf_append_str(b, "<tr><td>");
		he(b, str(n, "at"));
		buf_append_str(b, "</td><td>");
		tag(c, str(n, "event"), str(n, "severity"), b);
		if (with_what)
			sentence(c, n, b);
		else
			he(b, str(n, "stage"));
		buf_append_str(b, "</td><td>");
		if (*str(n, "suppressed")) {
			buf_appendf(b, "%s (", pw(c, P_SUPPRESSED));
			he(b, str(n, "suppressed"));
			buf_append_char(b, ')');
		}
		json_array_foreach(ds, k, d) {
			const char *st = str(d, "state");

			if (k)
				buf_append_str(b, "<br>");
			he(b, str(d, "destination"));
			buf_append_str(b, ": ");
			if (strcmp(st, "delivered") == 0) {
				buf_appendf(b, "%s ", pw(c, P_DELIVERED));
				he(b, str(d, "delivered"));
			} else {
				buf_append_str(b,
				    pw(c, strcmp(st, "dead") == 0 ? P_DEAD : P_PENDING));
			}
		}
		buf_append_str(b, "</td></tr>\n");
	}
	buf_append_str(b, "</table>\n");
}

void
page_alert(const struct page_ctx *c, const json_t *a, struct buf *b)
{
	const json_t *f = json_object_get(a, "facts"), *cu = json_object_get(a, "customer");
	const json_t *r = json_object_get(a, "resource"), *acts = json_object_get(a, "actions");
	const char *cid = str(a, "customer_id");
	json_t *item = json_pack("{s:s, s:s, s:s, s:s, s:O}", "kind", str(a, "kind"), "event",
	    *str(a, "resolved") ? "resolved" : "firing", "stage",
	    *str(a, "resolved") ? str(a, "resolution") : str(a, "stage"), "severity",
	    str(a, "severity"), "facts", f ? f : json_null());
	const json_t *x;
	struct buf t;
	size_t i;

	buf_init(&t);
	render_item_sentence(c->language, c->templates, item, &t);
	begin(c, b, t.data ? t.data : "hcwatch");
	buf_cleanup(&t);
	buf_append_str(b, "<h1>");
	tag(c, str(item, "event"), str(a, "severity"), b);
	sentence(c, item, b);
	buf_append_str(b, "</h1>\n<p>");
	state_text(c, str(a, "state"), str(a, "acked_by"), b);
	if (*str(a, "ack_note")) {
		buf_append_str(b, " <span class=\"muted\">“");
		he(b, str(a, "ack_note"));
		buf_append_str(b, "”</span>");
	}
	if (*str(a, "silenced_until")) {
		buf_appendf(b, " · %s %s ", pw(c, P_SILENCED), pw(c, P_UNTIL));
		he(b, str(a, "silenced_until"));
	}
	buf_append_str(b, "</p>\n<dl>\n");
	if (*cid) {
		buf_appendf(b, "<dt>%s</dt><dd>", pw(c, P_CUSTOMER));
		link_to(c, 'c', cid, *str(cu, "name") ? str(cu, "name") : cid, b);
		console_link(c, cid, b);
		buf_append_str(b, "</dd>\n");
		fact_row(b, pw(c, P_ACCOUNT), str(cu, "account_name"));
		fact_row(b, pw(c, P_MANAGER), manager(c, str(f, "manager")));
	}
	if (r && !json_is_null(r)) {
		fact_row(b, pw(c, P_RESOURCE),
		    *str(r, "name") ? str(r, "name") : str(a, "resource_id"));
		fact_row(b, pw(c, P_SERVICE), str(r, "service"));
		fact_row(b, pw(c, P_REGION), str(r, "region"));
		fact_row(b, pw(c, P_EXPIRES), str(r, "expire"));
		buf_appendf(b, "<dt>%s</dt><dd>%s</dd>\n", pw(c, P_AUTO_RENEW),
		    pw(c, json_is_true(json_object_get(r, "auto_renew")) ? P_YES : P_NO));
	} else if (*str(a, "expire")) {
		fact_row(b, pw(c, P_EXPIRES), str(a, "expire"));
	}
	if (json_is_integer(json_object_get(a, "days_left"))) {
		buf_appendf(b, "<dt>%s</dt><dd>", pw(c, P_DAYS_LEFT));
		num(a, "days_left", b);
		buf_append_str(b, "</dd>\n");
	}
	if (cu && !json_is_null(cu)) {
		buf_appendf(b, "<dt>%s</dt><dd>", pw(c, P_BALANCE));
		money(cu, "amount", str(cu, "currency"), b);
		if (*str(cu, "debt") && strcmp(str(cu, "debt"), "0") != 0) {
			buf_appendf(b, " · %s ", pw(c, P_DEBT));
			money(cu, "debt", str(cu, "currency"), b);
		}
		if (*str(cu, "at")) {
			buf_append_str(b, " <span class=\"muted\">(");
			he(b, str(cu, "at"));
			buf_append_str(b, ")</span>");
		}
		buf_append_str(b, "</dd>\n");
	}
	buf_append_str(b, "</dl>\n");
	actions(c, a, b);
	buf_appendf(b, "<h2>%s</h2>\n", pw(c, P_HISTORY));
	history(c, json_object_get(a, "told"), false, b);
	if (json_array_size(acts) > 0) {
		buf_appendf(b,
		    "<h2>%s</h2>\n<table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
		    "<th>%s</th></tr>\n",
		    pw(c, P_ACTIONS_DONE), pw(c, P_AT), pw(c, P_ACTION), pw(c, P_NAME),
		    pw(c, P_FROM_LINK), pw(c, P_ADDRESS));
		json_array_foreach(acts, i, x) {
			const char *act = str(x, "action");

			buf_append_str(b, "<tr><td>");
			he(b, str(x, "at"));
			buf_appendf(b, "</td><td>%s",
			    pw(c,
				strcmp(act, "acknowledge") == 0 ? P_ACK :
				    strcmp(act, "silence") == 0 ? P_SILENCE :
								  P_UNSILENCE));
			if (*str(x, "until")) {
				buf_appendf(b, " %s ", pw(c, P_UNTIL));
				he(b, str(x, "until"));
			}
			if (*str(x, "note")) {
				buf_append_str(b, "<br><span class=\"muted\">“");
				he(b, str(x, "note"));
				buf_append_str(b, "”</span>");
			}
			buf_append_str(b, "</td><td>");
			he(b, str(x, "name"));
			buf_append_str(b, "</td><td>");
			he(b, str(x, "destination"));
			buf_append_str(b, "</td><td>");
			he(b, str(x, "address"));
			buf_appendf(b, "<br><span class=\"muted\" title=\"%s\">", pw(c, P_AGENT));
			he(b, str(x, "user_agent"));
			buf_append_str(b, "</span></td></tr>\n");
		}
		buf_append_str(b, "</table>\n");
	}
	json_decref(item);
	end(b);
}

/* ---- a customer ---- */

/* The balance at the end of each day, as a line; min and max labelled. */
static void
balance_chart(const struct page_ctx *c, const json_t *days, struct buf *b)
{
	size_t n = json_array_size(days), i;
	double lo = 0, hi = 0;
	const json_t *d;

	buf_appendf(b, "<h2>%s</h2>\n", pw(c, P_BALANCE_HISTORY));
	if (n == 0) {
		buf_appendf(b, "<p class=\"muted\">%s</p>\n", pw(c, P_NONE));
		return;
	}
	json_array_foreach(days, i, d) {
		double v = atof(str(d, "amount"));

		if (i == 0 || v < lo)
			lo = v;
		if (i == 0 || v > hi)
			hi = v;
	}
	if (hi - lo < 1e-9)
		hi = lo + 1;
	buf_append_str(b,
	    "<svg viewBox=\"0 0 400 130\" role=\"img\" "
	    "xmlns=\"http://www.w3.org/2000/svg\">"
	    "<line x1=\"40\" y1=\"110\" x2=\"395\" y2=\"110\" stroke=\"#999\"/>"
	    "<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\" points=\"");
	json_array_foreach(days, i, d) {
		double x = 40 + (n > 1 ? 355.0 * (double)i / (double)(n - 1) : 177);
		double y = 110 - 95.0 * (atof(str(d, "amount")) - lo) / (hi - lo);

		buf_appendf(b, "%.1f,%.1f ", x, y);
	}
	buf_appendf(b,
	    "\"/><text x=\"0\" y=\"19\" font-size=\"10\">%.0f</text>"
	    "<text x=\"0\" y=\"110\" font-size=\"10\">%.0f</text>"
	    "<text x=\"40\" y=\"125\" font-size=\"10\">",
	    hi, lo);
	he(b, str(json_array_get(days, 0), "day"));
	buf_append_str(b,
	    "</text><text x=\"395\" y=\"125\" font-size=\"10\" "
	    "text-anchor=\"end\">");
	he(b, str(json_array_get(days, n - 1), "day"));
	buf_append_str(b, "</text></svg>\n");
}

/* Each resource as a dot at its days left, up to 90; red within critical_days. */
static void
expiry_chart(const struct page_ctx *c, const json_t *res, struct buf *b)
{
	const json_t *r;
	size_t i;
	int shown = 0;

	buf_appendf(b, "<h2>%s</h2>\n", pw(c, P_EXPIRY_TIMELINE));
	buf_appendf(b,
	    "<svg viewBox=\"0 0 400 70\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">"
	    "<line x1=\"10\" y1=\"40\" x2=\"390\" y2=\"40\" stroke=\"#999\"/>"
	    "<text x=\"10\" y=\"62\" font-size=\"10\">%s</text>"
	    "<text x=\"136\" y=\"62\" font-size=\"10\">30 %s</text>"
	    "<text x=\"263\" y=\"62\" font-size=\"10\">60 %s</text>"
	    "<text x=\"390\" y=\"62\" font-size=\"10\" text-anchor=\"end\">90 %s</text>",
	    pw(c, P_TODAY), pw(c, P_DAYS), pw(c, P_DAYS), pw(c, P_DAYS));
	json_array_foreach(res, i, r) {
		const json_t *d = json_object_get(r, "days_left");
		long long days;
		const char *colour;

		if (!json_is_integer(d) || (days = json_integer_value(d)) > 90)
			continue;
		if (days < 0)
			days = 0;
		colour = json_is_true(json_object_get(r, "auto_renew")) ? "#9e9e9e" :
		    days <= c->critical_days				? "#c62828" :
									  "#ef6c00";
		/* Dots on the same day stack upwards. */
		buf_appendf(b, "<circle cx=\"%.1f\" cy=\"%d\" r=\"4\" fill=\"%s\"><title>",
		    10 + 380.0 * (double)days / 90.0, 40 - 9 * (shown % 4), colour);
		he(b, str(r, "name"));
		buf_append_str(b, " · ");
		he(b, str(r, "expire"));
		buf_append_str(b, "</title></circle>");
		shown++;
	}
	buf_append_str(b, "</svg>\n");
}

void
page_customer(const struct page_ctx *c, const json_t *cu, struct buf *b)
{
	const json_t *alerts = json_object_get(cu, "alerts"),
		     *res = json_object_get(cu, "resources");
	const json_t *x;
	const char *id = str(cu, "customer_id");
	size_t i;

	begin(c, b, str(cu, "name"));
	buf_appendf(b, "<h1>%s ", pw(c, P_TITLE_CUSTOMER));
	he(b, str(cu, "name"));
	buf_append_str(b, "</h1>\n<dl>\n");
	fact_row(b, pw(c, P_ACCOUNT), str(cu, "account_name"));
	buf_append_str(b, "<dt>ID</dt><dd>");
	he(b, id);
	console_link(c, id, b);
	buf_append_str(b, "</dd>\n");
	fact_row(b, pw(c, P_MANAGER), manager(c, str(cu, "manager")));
	buf_appendf(b, "<dt>%s</dt><dd>", pw(c, P_BALANCE));
	money(cu, "amount", str(cu, "currency"), b);
	if (*str(cu, "debt") && strcmp(str(cu, "debt"), "0") != 0) {
		buf_appendf(b, " · %s ", pw(c, P_DEBT));
		money(cu, "debt", str(cu, "currency"), b);
	}
	if (*str(cu, "balance_at")) {
		buf_append_str(b, " <span class=\"muted\">(");
		he(b, str(cu, "balance_at"));
		buf_append_str(b, ")</span>");
	}
	buf_append_str(b, "</dd>\n</dl>\n");

	buf_appendf(b, "<h2>%s</h2>\n", pw(c, P_OPEN_ALERTS));
	if (json_array_size(alerts) == 0)
		buf_appendf(b, "<p class=\"muted\">%s</p>\n", pw(c, P_NONE));
	else
		buf_append_str(b, "<ul>\n");
	json_array_foreach(alerts, i, x) {
		char aid[32];

		buf_append_str(b, "<li>");
		tag(c, "firing", str(x, "severity"), b);
		sentence(c, x, b);
		buf_append_str(b, " ");
		state_text(c, str(x, "state"), NULL, b);
		snprintf(aid, sizeof(aid), "%lld",
		    (long long)json_integer_value(json_object_get(x, "id")));
		buf_append_str(b, " · ");
		link_to(c, 'a', aid, pw(c, P_DETAILS), b);
		buf_append_str(b, "</li>\n");
	}
	if (json_array_size(alerts) > 0)
		buf_append_str(b, "</ul>\n");

	balance_chart(c, json_object_get(cu, "balances"), b);
	expiry_chart(c, res, b);

	buf_appendf(b,
	    "<h2>%s</h2>\n<table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
	    pw(c, P_RESOURCES), pw(c, P_RESOURCE), pw(c, P_SERVICE), pw(c, P_REGION),
	    pw(c, P_EXPIRES), pw(c, P_DAYS_LEFT));
	json_array_foreach(res, i, x) {
		buf_append_str(b, "<tr><td>");
		he(b, str(x, "name"));
		buf_append_str(b, "</td><td>");
		he(b, str(x, "service"));
		buf_append_str(b, "</td><td>");
		he(b, str(x, "region"));
		buf_append_str(b, "</td><td>");
		he(b, str(x, "expire"));
		if (json_is_true(json_object_get(x, "auto_renew")))
			buf_appendf(b, " <span class=\"muted\">(%s)</span>", pw(c, P_AUTO_RENEW));
		buf_append_str(b, "</td><td>");
		num(x, "days_left", b);
		buf_append_str(b, "</td></tr>\n");
	}
	buf_append_str(b, "</table>\n");

	buf_appendf(b, "<h2>%s</h2>\n", pw(c, P_TOLD));
	history(c, json_object_get(cu, "told"), true, b);
	end(b);
}

void
page_not_found(struct buf *b)
{
	page_message("链接无效或已过期 / Link not valid",
	    "此链接无效或已过期。请打开最新的通知消息中的链接。"
	    "This link is not valid or has expired; open the link in the latest message.",
	    b);
}

void
page_message(const char *title, const char *text, struct buf *b)
{
	begin(NULL, b, title);
	buf_append_str(b, "<h1>");
	he(b, title);
	buf_append_str(b, "</h1>\n<p>");
	he(b, text);
	buf_append_str(b, "</p>\n");
	end(b);
}
