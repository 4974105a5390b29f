#include "notify/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "notify/channels.h"
#include "notify/escape.h"
#include "util/buf.h"
#include "util/utf8.h"
#include "util/words.h"
#include "util/xalloc.h"

/* Room left in a body-counted limit for the request's envelope (the JSON around the text). */
#define ENVELOPE_RESERVE 512

static const struct channel_ops *
ch(const struct render_opts *o)
{
	return channel_ops(o->channel);
}

size_t
render_channel_limit(int channel)
{
	return channel_ops(channel)->limit;
}

size_t
json_escaped_len(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' ||
		    c == '\f')
			n += 2;
		else if (c < 0x20)
			n += 6;
		else
			n++;
	}
	return n;
}

/* ---- words ---- */

enum word {
	W_CRITICAL,
	W_WARNING,
	W_INFO,
	W_RESOLVED,
	W_CUSTOMER,
	W_PARTNER,
	W_SELF,
	W_CONT,
	W_TITLE,
	W_COUNT
};

static const char *const words[2][W_COUNT] = {
	{ "紧急", "警告", "提示", "已恢复", "客户", "伙伴账户", "hcwatch 自身", "（续）",
	    "hcwatch 告警" },
	{ "critical", "warning", "info", "resolved", "Customer", "Partner account",
	    "hcwatch itself", " (cont.)", "hcwatch alerts" },
};

/* The header of hcwatch's own alerts (facts.scope = "hcwatch"), told from the partner's. */
static const char self_id[] = "\x02hcwatch";

static const char *
w(const struct render_opts *o, enum word which)
{
	return words[o->language == CONFIG_LANG_EN][which];
}

static void
more_line(const struct render_opts *o, int n, struct buf *b)
{
	if (o->language == CONFIG_LANG_EN)
		buf_appendf(b,
		    "%d more item(s) not shown; see hcwatch alerts list or the dashboards", n);
	else
		buf_appendf(b, "另有 %d 项未列出，请用 hcwatch alerts list 或看板查看", n);
}

static const char *
fact(const json_t *facts, const char *key)
{
	const json_t *v = json_object_get(facts, key);

	if (json_is_string(v))
		return json_string_value(v);
	return "";
}

/*
 * The text facts of one item that come from outside (names, ids, Huawei's
 * and the platforms' error texts), escaped for the channel. Times, amounts
 * and hcwatch's own words are inserted as they are.
 */
struct outside {
	const struct render_opts *o;
	char **v;
	size_t n;
};

static const char *
outside(struct outside *x, const char *raw)
{
	struct buf b;

	buf_init(&b);
	escape_outside(ch(x->o)->dialect, &b, raw);
	x->v = xrealloc(x->v, (x->n + 1) * sizeof(*x->v));
	x->v[x->n] = buf_release(&b);
	return x->v[x->n++];
}

static const char *
ofact(struct outside *x, const json_t *facts, const char *key)
{
	return outside(x, fact(facts, key));
}

static void
outside_free(struct outside *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->v[i]);
	free(x->v);
}

/* Exact decimal text as PostgreSQL writes a numeric: nothing else is printed as a number. */
static bool
is_number(const char *s)
{
	size_t digits = 0;

	if (*s == '-')
		s++;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digits++;
		else if (*s != '.')
			return false;
	}
	return digits > 0;
}

static void
fact_num(const json_t *facts, const char *key, char *out, size_t outlen)
{
	const json_t *v = json_object_get(facts, key);

	if (json_is_integer(v))
		snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(out, outlen, "%.2f", json_real_value(v));
	else if (json_is_string(v) && is_number(json_string_value(v)))
		snprintf(out, outlen, "%s", json_string_value(v));
	else
		snprintf(out, outlen, "?");
}

/* "80.10 元" / "80.10 CNY": amounts arrive as exact decimal text. Kept with the item's values. */
static const char *
money(struct outside *x, const json_t *facts, const char *key)
{
	const char *cur = ofact(x, facts, "currency");
	char amount[64];
	struct buf b;

	fact_num(facts, key, amount, sizeof(amount));
	buf_init(&b);
	if (x->o->language != CONFIG_LANG_EN && (*cur == '\0' || strcmp(cur, "CNY") == 0))
		buf_appendf(&b, "%s 元", amount);
	else
		buf_appendf(&b, "%s %s", amount, *cur ? cur : "CNY");
	x->v = xrealloc(x->v, (x->n + 1) * sizeof(*x->v));
	x->v[x->n] = buf_release(&b);
	return x->v[x->n++];
}

static void
resource_name(struct outside *x, const json_t *f, struct buf *b)
{
	const char *svc = ofact(x, f, "service"), *region = ofact(x, f, "region");

	if (*svc)
		buf_appendf(b, "%s ", svc);
	buf_append_str(b, ofact(x, f, "resource"));
	if (*region)
		buf_appendf(b, x->o->language == CONFIG_LANG_EN ? " (%s)" : "（%s）", region);
}

static void
expiry_text(struct outside *x, const char *event, const char *stage, const json_t *f, struct buf *b)
{
	bool en = x->o->language == CONFIG_LANG_EN;
	const char *when = fact(f, "expire_local");
	char days[32];

	resource_name(x, f, b);
	fact_num(f, "days_left", days, sizeof(days));
	if (strcmp(event, "resolved") == 0) {
		const char *nw = fact(f, "new_expire_local");

		if (strcmp(stage, "renewed") == 0)
			buf_appendf(b,
			    en ? " was renewed; it now expires on %s" : " 已续费，新到期时间 %s",
			    nw);
		else if (strcmp(stage, "expiry_changed") == 0)
			buf_appendf(b, en ? ": expiry moved to %s" : " 到期时间已变更为 %s", nw);
		else if (strcmp(stage, "gone") == 0)
			buf_append_str(b,
			    en ? " is no longer listed by Huawei Cloud (released or deleted)" :
				 " 已不在华为云资源列表中（已释放或删除）");
		else
			buf_append_str(b, en ? " was closed" : " 已关闭");
		return;
	}
	if (strcmp(stage, "expired") == 0)
		buf_appendf(b, en ? " expired on %s" : " 已于 %s 到期", when);
	else if (strcmp(stage, "frozen") == 0)
		buf_appendf(b, en ? " is frozen (expiry %s)" : " 已冻结（到期时间 %s）", when);
	else if (strcmp(stage, "notice") == 0)
		buf_appendf(b,
		    en ? " renews automatically on %s" : " 已开启自动续费，将于 %s 自动续费", when);
	else {
		buf_appendf(b, en ? " expires on %s, in %s day(s)" : " 将于 %s 到期，剩 %s 天",
		    when, days);
		if (json_is_true(json_object_get(f, "auto_renew")))
			buf_append_str(b,
			    en ? " (auto-renew is on but it has not renewed yet)" :
				 "（已开启自动续费，但尚未续费）");
	}
}

/* One item's sentence, without its severity tag, outside values escaped for the channel. */
static void
item_text(const struct render_opts *o, const json_t *item, struct buf *b)
{
	struct outside x = { o, NULL, 0 };
	bool en = o->language == CONFIG_LANG_EN;
	const char *kind = json_string_value(json_object_get(item, "kind"));
	const char *event = json_string_value(json_object_get(item, "event"));
	const char *stage = json_string_value(json_object_get(item, "stage"));
	const json_t *f = json_object_get(item, "facts");
	bool resolved = event && strcmp(event, "resolved") == 0;
	const char *m1, *m2;
	char n[32];

	kind = kind ? kind : "";
	event = event ? event : "";
	stage = stage ? stage : "";
	if (strcmp(kind, "expiry") == 0) {
		expiry_text(&x, event, stage, f, b);
	} else if (strcmp(kind, "low_balance") == 0) {
		m1 = money(&x, f, "amount");
		m2 = money(&x, f, "threshold");
		if (resolved)
			buf_appendf(b,
			    en ? "Balance recovered: %s available" : "余额已恢复：可用 %s", m1);
		else
			buf_appendf(b,
			    en ? "Low balance: %s available, below %s" :
				 "余额不足：可用 %s，低于阈值 %s",
			    m1, m2);
	} else if (strcmp(kind, "arrears") == 0) {
		m1 = money(&x, f, "debt");
		if (resolved)
			buf_append_str(b, en ? "Arrears paid" : "欠费已结清");
		else
			buf_appendf(b, en ? "In arrears: %s owed" : "欠费 %s", m1);
	} else if (strcmp(kind, "runway") == 0) {
		m1 = money(&x, f, "daily_spend");
		m2 = money(&x, f, "amount");
		fact_num(f, "days_left", n, sizeof(n));
		if (resolved)
			buf_appendf(b,
			    en ? "Runway recovered (%s available)" :
				 "余额可用天数已恢复（可用 %s）",
			    m2);
		else
			buf_appendf(b,
			    en ? "At %s a day the balance lasts about %s more day(s) (%s "
				 "available)" :
				 "按日均消费 %s 计，余额约可用 %s 天（可用 %s）",
			    m1, n, m2);
	} else if (strcmp(kind, "partner_low_balance") == 0) {
		m1 = money(&x, f, "amount");
		m2 = money(&x, f, "threshold");
		if (resolved)
			buf_appendf(b,
			    en ? "Partner account %s balance recovered: %s" :
				 "伙伴账户 %s 余额已恢复：%s",
			    ofact(&x, f, "account_id"), m1);
		else
			buf_appendf(b,
			    en ? "Partner account %s balance is low: %s, below %s" :
				 "伙伴账户 %s 余额不足：%s，低于阈值 %s",
			    ofact(&x, f, "account_id"), m1, m2);
	} else if (strcmp(kind, "customer_new") == 0) {
		bool again = strcmp(fact(f, "event"), "reassociated") == 0;

		buf_appendf(b,
		    en ? (again ? "Associated again: account %s" :
				  "Newly associated customer: account %s") :
			 (again ? "客户重新关联：账号 %s" : "新关联客户：账号 %s"),
		    ofact(&x, f, "account_name"));
	} else if (strcmp(kind, "customer_bound") == 0) {
		buf_appendf(b,
		    en ? "Bound or registered through the partner: account %s" :
			 "客户完成绑定/注册：账号 %s",
		    ofact(&x, f, "account_name"));
		if (*ofact(&x, f, "xaccount_id"))
			buf_appendf(b, ", xAccountId %s", ofact(&x, f, "xaccount_id"));
	} else if (strcmp(kind, "test") == 0) {
		buf_append_str(b,
		    en ? "This is a test message from hcwatch send-test: the items below "
			 "are samples, not real alerts" :
			 "这是 hcwatch send-test 发出的测试消息：以下各项均为"
			 "示例，并非真实告警");
	} else if (strcmp(kind, "customer_frozen") == 0) {
		buf_append_str(b, en ? "Customer account frozen" : "客户账号已冻结");
	} else if (strcmp(kind, "customer_gone") == 0) {
		buf_append_str(b,
		    en ? "No longer associated with the partner" : "客户已不再与伙伴关联");
	} else if (strcmp(kind, "credentials_rejected") == 0) {
		if (resolved)
			buf_appendf(b,
			    en ? "Huawei Cloud accepts hcwatch's credentials again (%s job)" :
				 "华为云已重新接受 hcwatch 的凭证（%s 任务）",
			    fact(f, "job"));
		else
			buf_appendf(b,
			    en ?
				"Huawei Cloud refused hcwatch's credentials (%s job, %s): %s; "
				"check [huawei] access_key and secret_key and the account's permissions" :
				"华为云拒绝了 hcwatch 的凭证（%s 任务，%s）：%s；请检查 [huawei] access_key、"
				"secret_key 及账号权限",
			    fact(f, "job"), fact(f, "at_local"), ofact(&x, f, "error"));
	} else if (strcmp(kind, "poller_behind") == 0) {
		if (resolved)
			buf_appendf(b,
			    en ? "The poller's %s job is on schedule again" :
				 "轮询任务 %s 已恢复按计划运行",
			    fact(f, "job"));
		else
			buf_appendf(b,
			    en ? "The poller's %s job is behind schedule: its last good run "
				 "ended %s, the next was due by %s" :
				 "轮询任务 %s 落后于计划：上次成功运行结束于 "
				 "%s，下次应在 %s 前完成",
			    fact(f, "job"),
			    *fact(f, "last_ok_local") ? fact(f, "last_ok_local") :
							(en ? "never" : "无"),
			    fact(f, "due_local"));
	} else if (strcmp(kind, "channel_failing") == 0) {
		fact_num(f, "dead", n, sizeof(n));
		if (resolved)
			buf_appendf(b,
			    en ? "Destination %s delivers again" : "通知渠道 %s 已恢复投递",
			    fact(f, "destination"));
		else
			buf_appendf(b,
			    en ? "Destination %s (%s) fails: %s; %s message(s) are dead "
				 "letters (hcwatch alerts deliveries --dead)" :
				 "通知渠道 %s（%s）投递失败：%s；"
				 "%s 条消息成为死信（hcwatch alerts deliveries --dead）",
			    fact(f, "destination"), fact(f, "channel"), ofact(&x, f, "error"), n);
	} else if (strcmp(kind, "dead_letters") == 0) {
		fact_num(f, "dead", n, sizeof(n));
		if (resolved)
			buf_appendf(b, en ? "Dead letters are down to %s" : "死信已降至 %s 条", n);
		else
			buf_appendf(b,
			    en ? "%s deliveries are dead letters; see hcwatch alerts deliveries "
				 "--dead, then hcwatch alerts replay --dead" :
				 "%s 条投递成为死信；请用 hcwatch "
				 "alerts deliveries --dead 查看，hcwatch alerts replay --dead 重投",
			    n);
	} else {
		char *dump = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);

		buf_appendf(b, "%s %s %s", outside(&x, kind), outside(&x, stage),
		    outside(&x, dump ? dump : ""));
		free(dump);
	}
	outside_free(&x);
}

/* W_CRITICAL, W_WARNING, W_INFO or W_RESOLVED: the item's tag, in that order. */
static enum word
tag_word(const json_t *item)
{
	const char *event = json_string_value(json_object_get(item, "event"));
	const char *sev = json_string_value(json_object_get(item, "severity"));

	if (event && strcmp(event, "resolved") == 0)
		return W_RESOLVED;
	if (sev && strcmp(sev, "critical") == 0)
		return W_CRITICAL;
	if (sev && strcmp(sev, "warning") == 0)
		return W_WARNING;
	return W_INFO;
}

static const char *
tag(const struct render_opts *o, const json_t *item)
{
	return w(o, tag_word(item));
}

/* ---- channel formatting ---- */

static void
format_header(const struct render_opts *o, const char *name, const char *id, bool cont,
    struct buf *b)
{
	const char *open = ch(o)->strong_open, *close = ch(o)->strong_close;

	buf_append_str(b, open);
	if (id == NULL) {
		buf_append_str(b, w(o, W_PARTNER));
	} else if (id == self_id) {
		buf_append_str(b, w(o, W_SELF));
	} else {
		buf_appendf(b, "%s ", w(o, W_CUSTOMER));
		escape_outside(ch(o)->dialect, b, name);
		if (*id && strcmp(id, name) != 0) {
			buf_append_str(b, o->language == CONFIG_LANG_EN ? " (" : "（");
			escape_outside(ch(o)->dialect, b, id);
			buf_append_str(b, o->language == CONFIG_LANG_EN ? ")" : "）");
		}
	}
	if (cont)
		buf_append_str(b, w(o, W_CONT));
	buf_append_str(b, close);
}

static void
format_item(const struct render_opts *o, const json_t *item, struct buf *b)
{
	struct buf t;

	buf_init(&t);
	item_text(o, item, &t);
	buf_append_str(b, ch(o)->bullet);
	buf_appendf(b, "[%s] ", tag(o, item));
	buf_append_str(b, t.data ? t.data : "");
	buf_cleanup(&t);
}

static void
format_title(const struct render_opts *o, const char *title, int part, int parts, struct buf *b)
{
	buf_append_str(b, ch(o)->title_open);
	buf_append_str(b, title);
	if (parts > 1)
		buf_appendf(b, " (%d/%d)", part, parts);
	buf_append_str(b, ch(o)->title_close);
}

static size_t
cost(const struct render_opts *o, const char *s, size_t len)
{
	/* Some limits are on the content; most on the escaped JSON body. */
	return ch(o)->limit_on_body ? json_escaped_len(s, len) : len;
}

/* ---- the digest ---- */

struct line {
	char *text;		 /* formatted for the channel */
	const char *customer_id; /* NULL: the partner's own */
	const char *customer;
	bool header;
	const json_t *item; /* NULL for a header */
};

struct model {
	struct line *lines;
	size_t n;
	char title[256];
};

static void
build_title(const struct render_opts *o, const json_t *items, char *out, size_t outlen)
{
	static const char *const zh_names[] = { "紧急", "警告", "提示", "恢复" };
	static const char *const en_names[] = { "critical", "warning", "info", "resolved" };
	int counts[4] = { 0, 0, 0, 0 }, total = (int)json_array_size(items);
	bool en = o->language == CONFIG_LANG_EN;
	size_t i;
	json_t *item;
	struct buf b;

	json_array_foreach(items, i, item)
		counts[tag_word(item)]++;
	buf_init(&b);
	buf_appendf(&b, en ? "%s: %d item(s)" : "%s：%d 项", w(o, W_TITLE), total);
	{
		bool first = true;

		for (int k = 0; k < 4; k++) {
			if (!counts[k])
				continue;
			buf_appendf(&b, "%s%s %d", first ? (en ? " (" : "（") : (en ? ", " : "，"),
			    en ? en_names[k] : zh_names[k], counts[k]);
			first = false;
		}
		if (!first)
			buf_append_str(&b, en ? ")" : "）");
	}
	snprintf(out, outlen, "%s", b.data);
	buf_cleanup(&b);
}

static void
model_add(struct model *m, struct line l)
{
	m->lines = xrealloc(m->lines, (m->n + 1) * sizeof(*m->lines));
	m->lines[m->n++] = l;
}

/* hcwatch's own group is told by its pointer: no customer id can be it. */
static bool
same_group(const char *a, const char *b)
{
	if (a == b)
		return true;
	if (a == NULL || b == NULL || a == self_id || b == self_id)
		return false;
	return strcmp(a, b) == 0;
}

static void
build_model(const struct render_opts *o, const json_t *items, struct model *m)
{
	const char *cur = NULL;
	bool first = true;
	size_t i;
	json_t *item;

	memset(m, 0, sizeof(*m));
	build_title(o, items, m->title, sizeof(m->title));
	json_array_foreach(items, i, item) {
		const json_t *f = json_object_get(item, "facts");
		const char *id = json_string_value(json_object_get(f, "customer_id"));
		const char *name = fact(f, "customer");
		struct buf b;

		if (strcmp(fact(f, "scope"), "hcwatch") == 0)
			id = self_id;
		else if (*fact(f, "customer") == '\0' && id)
			name = id;
		if (first || !same_group(id, cur)) {
			buf_init(&b);
			format_header(o, name, id, false, &b);
			model_add(m, (struct line){ buf_release(&b), id, name, true, NULL });
			cur = id;
			first = false;
		}
		buf_init(&b);
		format_item(o, item, &b);
		model_add(m, (struct line){ buf_release(&b), id, name, false, item });
	}
}

static void
model_free(struct model *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->lines[i].text);
	free(m->lines);
}

static void
footer(const struct render_opts *o, int part, int parts, struct buf *b)
{
	buf_appendf(b, "hcwatch · %s", o->key ? o->key : "");
	if (parts > 1)
		buf_appendf(b, " · %d/%d", part, parts);
}

/* A part in the making: its lines' text joined by newlines. */
struct part {
	struct buf body;
	size_t cost;
	int items;
};

/*
 * Packs the lines into parts of at most budget bytes of body. A customer
 * cut across parts gets its header again, marked as continued; a line
 * longer than a whole part is cut at a character boundary.
 */
static size_t
pack(const struct render_opts *o, const struct model *m, size_t budget, struct part **out)
{
	struct part *parts = NULL, *last = NULL;
	size_t np = 0;
	const struct line *header = NULL;

	for (size_t i = 0; i < m->n; i++) {
		const struct line *l = &m->lines[i];
		size_t len = strlen(l->text), c = cost(o, l->text, len) + 1;
		/* A line no part can hold is cut where it is, unless the part is already half full.
		 */
		bool fresh = last == NULL ||
		    (last->cost + c > budget && !(c > budget && last->cost < budget / 2));

		if (l->header) {
			header = l;
			/* Keep a header with its first item rather than leave it alone at the end.
			 */
			if (!fresh && i + 1 < m->n) {
				size_t both = c +
				    cost(o, m->lines[i + 1].text, strlen(m->lines[i + 1].text)) + 1;

				fresh = last->cost + both > budget && both <= budget;
			}
		}
		if (fresh) {
			parts = xrealloc(parts, (np + 1) * sizeof(*parts));
			last = &parts[np++];
			buf_init(&last->body);
			last->cost = 0;
			last->items = 0;
			if (!l->header && header) {
				struct buf h;

				buf_init(&h);
				format_header(o, header->customer, header->customer_id, true, &h);
				buf_append(&last->body, h.data, h.len);
				buf_append_char(&last->body, '\n');
				last->cost += cost(o, h.data, h.len) + 1;
				buf_cleanup(&h);
			}
		}
		if (last->cost + c > budget) {
			/* One line bigger than a part: cut it, never mid-character. */
			size_t room = budget > last->cost + 4 ? budget - last->cost - 4 : 0;
			size_t keep = utf8_prefix(l->text, len, room);

			while (keep > 0 && cost(o, l->text, keep) > room)
				keep = utf8_prefix(l->text, keep, keep - 1);
			buf_append(&last->body, l->text, keep);
			buf_append_str(&last->body, "…\n");
			last->cost += cost(o, l->text, keep) + 4;
		} else {
			buf_append(&last->body, l->text, len);
			buf_append_char(&last->body, '\n');
			last->cost += c;
		}
		if (!l->header)
			last->items++;
	}
	*out = parts;
	return np;
}

static char *
html_escape(const char *s)
{
	struct buf b;

	buf_init(&b);
	for (; *s; s++) {
		switch (*s) {
		case '&': buf_append_str(&b, "&amp;"); break;
		case '<': buf_append_str(&b, "&lt;"); break;
		case '>': buf_append_str(&b, "&gt;"); break;
		case '"': buf_append_str(&b, "&quot;"); break;
		default: buf_append_char(&b, *s); break;
		}
	}
	return buf_release(&b);
}

/* Email's HTML alternative: the same lines, as a heading, headers and lists. */
static char *
email_html(const struct render_opts *o, const struct model *m, const char *title)
{
	struct buf b;
	bool open = false;
	char *t = html_escape(title);

	buf_init(&b);
	buf_appendf(&b,
	    "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
	    "<title>%s</title></head>\n<body>\n<h2>%s</h2>\n",
	    o->language == CONFIG_LANG_EN ? "en" : "zh-CN", t, t);
	free(t);
	for (size_t i = 0; i < m->n; i++) {
		const struct line *l = &m->lines[i];
		char *e = html_escape(l->header ? l->text : l->text + 2);

		if (l->header) {
			if (open)
				buf_append_str(&b, "</ul>\n");
			buf_appendf(&b, "<h3>%s</h3>\n<ul>\n", e);
			open = true;
		} else {
			if (!open)
				buf_append_str(&b, "<ul>\n");
			open = true;
			buf_appendf(&b, "<li>%s</li>\n", e);
		}
		free(e);
	}
	if (open)
		buf_append_str(&b, "</ul>\n");
	buf_appendf(&b, "<p style=\"color:#888\">hcwatch · %s</p>\n</body></html>\n",
	    o->key ? o->key : "");
	return buf_release(&b);
}

json_t *
render_delivery(const struct render_opts *o, const json_t *items)
{
	size_t limit = o->max_bytes ? o->max_bytes : render_channel_limit(o->channel);
	int max_parts = o->max_parts > 0 ? o->max_parts : 10;
	struct model m;
	struct part *parts = NULL;
	size_t np, budget, fixed;
	json_t *out = json_array(), *at = NULL;
	struct buf probe, more;
	char *html = NULL;
	int shown = 0, total = 0;

	build_model(o, items, &m);
	if (ch(o)->mentions)
		at = words_json(o->mentions);

	/* What every part carries besides its lines: title, marker, footer, mentions. */
	buf_init(&probe);
	format_title(o, m.title, 99, 99, &probe);
	buf_append_str(&probe, "\n\n\n");
	footer(o, 99, 99, &probe);
	if (at && json_array_size(at)) {
		buf_append_char(&probe, '\n');
		for (size_t i = 0; i < json_array_size(at); i++)
			buf_appendf(&probe, "@%s ", json_string_value(json_array_get(at, i)));
	}
	buf_init(&more);
	more_line(o, 999999, &more);
	fixed = cost(o, probe.data, probe.len) + cost(o, more.data, more.len) + 2;
	if (ch(o)->limit_on_body)
		fixed += ENVELOPE_RESERVE + cost(o, m.title, strlen(m.title));
	budget = limit > fixed + 64 ? limit - fixed : 64;
	buf_cleanup(&probe);
	buf_cleanup(&more);

	if (ch(o)->one_message) {
		/* One message: the limit only guards against a runaway digest. */
		np = pack(o, &m, budget, &parts);
		if (np > 1) {
			for (size_t i = 1; i < np; i++)
				buf_cleanup(&parts[i].body);
			np = 1;
		}
	} else {
		np = pack(o, &m, budget, &parts);
	}
	for (size_t i = 0; i < m.n; i++)
		total += m.lines[i].header ? 0 : 1;
	if (np > (size_t)max_parts) {
		for (size_t i = (size_t)max_parts; i < np; i++)
			buf_cleanup(&parts[i].body);
		np = (size_t)max_parts;
	}
	for (size_t i = 0; i < np; i++)
		shown += parts[i].items;
	if (ch(o)->part == CHANNEL_PART_EMAIL)
		html = email_html(o, &m, m.title);

	for (size_t i = 0; i < np; i++) {
		struct buf text, title;
		json_t *part = json_object();

		buf_init(&text);
		buf_init(&title);
		format_title(o, m.title, (int)i + 1, (int)np, &text);
		buf_append_str(&text, "\n\n");
		buf_append(&text, parts[i].body.data ? parts[i].body.data : "", parts[i].body.len);
		if (i + 1 == np && shown < total) {
			more_line(o, total - shown, &text);
			buf_append_char(&text, '\n');
		}
		if (i == 0 && at && json_array_size(at)) {
			/* DingTalk shows an @ only if the text names the mobile too. */
			for (size_t k = 0; k < json_array_size(at); k++)
				buf_appendf(&text, "@%s ",
				    json_string_value(json_array_get(at, k)));
			buf_append_char(&text, '\n');
		}
		buf_append_char(&text, '\n');
		footer(o, (int)i + 1, (int)np, &text);
		buf_append_str(&title, m.title);
		if (np > 1)
			buf_appendf(&title, " (%zu/%zu)", i + 1, np);
		if (ch(o)->part == CHANNEL_PART_EMAIL) {
			json_object_set_new(part, "subject", json_string(title.data));
			json_object_set_new(part, "text", json_string(text.data));
			json_object_set_new(part, "html", json_string(html));
		} else {
			json_object_set_new(part, "title", json_string(title.data));
			json_object_set_new(part, "text", json_string(text.data));
			if (ch(o)->part == CHANNEL_PART_WEBHOOK)
				json_object_set_new(part, "items", json_deep_copy(items));
			if (i == 0 && at && json_array_size(at))
				json_object_set(part, "at", at);
		}
		json_array_append_new(out, part);
		buf_cleanup(&text);
		buf_cleanup(&title);
		buf_cleanup(&parts[i].body);
	}
	free(parts);
	free(html);
	json_decref(at);
	model_free(&m);
	return out;
}
