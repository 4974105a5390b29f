#include "notify/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "notify/channels.h"
#include "notify/escape.h"
#include "notify/templates.h"
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
	W_ACCOUNT,
	W_MANAGER,
	W_DETAILS,
	W_CONSOLE,
	W_TODO,
	W_RENEW,
	W_TOP_UP,
	W_TOP_UP_PARTNER,
	W_CONTACT,
	W_ALL,
	W_CUSTOMER_PAGE,
	W_COUNT
};

static const char *const words[2][W_COUNT] = {
	{ "紧急", "警告", "提示", "已恢复", "客户", "伙伴账户", "hcwatch 自身", "（续）",
	    "hcwatch 告警", "账号", "客户经理", "详情", "伙伴中心", "处理", "续费", "充值",
	    "为伙伴账户充值", "联系客户", "全部告警", "客户详情" },
	{ "critical", "warning", "info", "resolved", "Customer", "Partner account",
	    "hcwatch itself", " (cont.)", "hcwatch alerts", "account", "manager", "details",
	    "partner console", "To do", "renew", "top up", "top up the partner account",
	    "contact the customer", "all alerts", "customer page" },
};

/* The header of hcwatch's own alerts (facts.scope = "hcwatch"), told from the partner's. */
static const char self_id[] = "\x02hcwatch";

static const char *
w(const struct render_opts *o, enum word which)
{
	return words[o->language == CONFIG_LANG_EN][which];
}

static const char *
fact(const json_t *facts, const char *key)
{
	const json_t *v = json_object_get(facts, key);

	if (json_is_string(v))
		return json_string_value(v);
	return "";
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
fact_num(const json_t *facts, const char *key, struct buf *out)
{
	const json_t *v = json_object_get(facts, key);

	if (json_is_integer(v))
		buf_appendf(out, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		buf_appendf(out, "%.2f", json_real_value(v));
	else if (json_is_string(v) && is_number(json_string_value(v)))
		buf_append_str(out, json_string_value(v));
	else
		buf_append_char(out, '?');
}

/* A fact as text: a string as it is, a number written out, anything else empty. */
static void
fact_text(const json_t *facts, const char *key, struct buf *out)
{
	const json_t *v = json_object_get(facts, key);

	if (json_is_string(v))
		buf_append_str(out, json_string_value(v));
	else if (json_is_integer(v) || json_is_real(v))
		fact_num(facts, key, out);
}

/*
 * What a template of one item reads: its facts, whether it resolves, its
 * stage. Every value is written escaped for the channel here, whatever the
 * template says around it: a template chooses the words, never whether a
 * customer's name is markup.
 */
struct item_ctx {
	const struct render_opts *o;
	const struct rule_kind *kind;
	const json_t *facts;
	const char *event, *stage;
};

static bool
item_set(const char *name, void *arg)
{
	const struct item_ctx *c = arg;
	struct template_name tn;
	const json_t *v;

	if (!templates_name(c->kind, name, &tn))
		return false;
	switch (tn.kind) {
	case TEMPLATE_NAME_RESOLVED: return strcmp(c->event, "resolved") == 0;
	case TEMPLATE_NAME_STAGE: return strcmp(c->stage, tn.value) == 0;
	case TEMPLATE_NAME_CHOICE: return strcmp(fact(c->facts, tn.fact->name), tn.value) == 0;
	case TEMPLATE_NAME_FACT: break;
	}
	v = json_object_get(c->facts, name);
	if (tn.fact->type == FACT_FLAG)
		return json_is_true(v);
	if (json_is_string(v))
		return json_string_length(v) > 0;
	return json_is_number(v) || json_is_true(v);
}

/*
 * Exact decimal text ("1045.1", "-0.004") with two decimals, rounded half
 * away from zero on the digits themselves, so that no amount passes through
 * a double; false, writing nothing, if s is not -?digits[.digits].
 */
static bool
write_cents(const char *s, struct buf *out)
{
	char d[48];
	size_t ni, nf = 0, n;
	bool neg = *s == '-', nonzero = false;

	if (neg)
		s++;
	ni = strspn(s, "0123456789");
	if (ni == 0 || ni > 40)
		return false;
	if (s[ni] == '.') {
		nf = strspn(s + ni + 1, "0123456789");
		if (nf == 0 || s[ni + 1 + nf] != '\0')
			return false;
	} else if (s[ni] != '\0') {
		return false;
	}
	memcpy(d, s, ni);
	d[ni] = nf > 0 ? s[ni + 1] : '0';
	d[ni + 1] = nf > 1 ? s[ni + 2] : '0';
	n = ni + 2;
	if (nf > 2 && s[ni + 3] >= '5') {
		size_t k = n;

		while (k > 0 && d[k - 1] == '9')
			d[--k] = '0';
		if (k > 0) {
			d[k - 1]++;
		} else {
			memmove(d + 1, d, n++);
			d[0] = '1';
		}
	}
	for (size_t k = 0; k < n; k++)
		nonzero |= d[k] != '0';
	if (neg && nonzero)
		buf_append_char(out, '-');
	buf_append(out, d, n - 2);
	buf_append_char(out, '.');
	buf_append(out, d + n - 2, 2);
	return true;
}

/* "80.10 元" / "80.10 CNY": two decimals, whatever the amount's own text has. */
static void
write_money(const struct item_ctx *c, const char *key, struct buf *out)
{
	const char *cur = fact(c->facts, "currency");
	const json_t *v = json_object_get(c->facts, key);

	if (json_is_integer(v))
		buf_appendf(out, "%lld.00", (long long)json_integer_value(v));
	else if (!json_is_string(v) || !write_cents(json_string_value(v), out))
		fact_num(c->facts, key, out);
	if (c->o->language != CONFIG_LANG_EN && (*cur == '\0' || strcmp(cur, "CNY") == 0)) {
		buf_append_str(out, " 元");
	} else {
		buf_append_char(out, ' ');
		escape_outside(ch(c->o)->dialect, out, *cur ? cur : "CNY");
	}
}

/*
 * Huawei names its services in Chinese whatever the language asked: an
 * English message names the common ones in English, and the rest by their
 * code, never in Chinese.
 */
static const struct {
	const char *code, *zh, *en;
} services[] = {
	{ "ec2", "弹性云服务器", "Elastic Cloud Server" },
	{ "ebs", "云硬盘", "Elastic Volume Service" },
	{ "obs", "对象存储服务", "Object Storage Service" },
	{ "rds", "云数据库", "Relational Database Service" },
	{ "vpc", "虚拟私有云", "Virtual Private Cloud" },
	{ "eip", "弹性公网IP", "Elastic IP" },
	{ "elb", "弹性负载均衡", "Elastic Load Balance" },
	{ "cce", "云容器引擎", "Cloud Container Engine" },
	{ "dcs", "分布式缓存服务", "Distributed Cache Service" },
	{ "dds", "文档数据库服务", "Document Database Service" },
	{ "sfs", "弹性文件服务", "Scalable File Service" },
	{ "cbr", "云备份", "Cloud Backup and Recovery" },
	{ "bms", "裸金属服务器", "Bare Metal Server" },
	{ "nat", "NAT网关", "NAT Gateway" },
	{ "waf", "Web应用防火墙", "Web Application Firewall" },
	{ "hss", "主机安全服务", "Host Security Service" },
	{ "dms", "分布式消息服务", "Distributed Message Service" },
	{ "cdn", "内容分发网络", "Content Delivery Network" },
};

static bool
ascii_only(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* The service's English name, else its code's last word, else what Huawei called it. */
static const char *
service_en(const json_t *facts)
{
	static const char prefix[] = "hws.service.type.";
	const char *code = fact(facts, "service_code"), *name = fact(facts, "service");
	const char *tail =
	    strncmp(code, prefix, sizeof(prefix) - 1) == 0 ? code + sizeof(prefix) - 1 : code;

	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		if ((*tail && strcmp(tail, services[i].code) == 0) ||
		    strcmp(name, services[i].zh) == 0)
			return services[i].en;
	if (ascii_only(name))
		return name;
	return *tail ? tail : name;
}

static void
item_write(struct buf *out, const char *name, void *arg)
{
	const struct item_ctx *c = arg;
	struct template_name tn;
	struct buf v;

	if (!templates_name(c->kind, name, &tn))
		return;
	if (tn.kind != TEMPLATE_NAME_FACT) {
		buf_append_str(out, item_set(name, arg) ? "true" : "false");
		return;
	}
	switch (tn.fact->type) {
	case FACT_NUMBER: fact_num(c->facts, name, out); return;
	case FACT_MONEY: write_money(c, name, out); return;
	case FACT_FLAG:
		buf_append_str(out,
		    json_is_true(json_object_get(c->facts, name)) ? "true" : "false");
		return;
	case FACT_TEXT:
	case FACT_OWN:
	case FACT_CHOICE: break;
	}
	buf_init(&v);
	if (c->o->language == CONFIG_LANG_EN && strcmp(name, "service") == 0)
		buf_append_str(&v, service_en(c->facts));
	else
		fact_text(c->facts, name, &v);
	/* hcwatch's own words are kept on one line; outside text is made plain text for the
	 * channel. */
	escape_outside(tn.fact->type == FACT_TEXT ? ch(c->o)->dialect : ESCAPE_PLAIN, out,
	    v.data ? v.data : "");
	buf_cleanup(&v);
}

/* One item's sentence, without its severity tag: its kind's template, else its facts. */
static void
item_text(const struct render_opts *o, const json_t *item, struct buf *b)
{
	const char *kind = json_string_value(json_object_get(item, "kind"));
	const char *event = json_string_value(json_object_get(item, "event"));
	const char *stage = json_string_value(json_object_get(item, "stage"));
	const json_t *f = json_object_get(item, "facts");
	const struct templates *set = o->templates ? o->templates : templates_builtin();
	struct item_ctx c = { o, NULL, f, event ? event : "", stage ? stage : "" };
	const struct tmpl *t;

	kind = kind ? kind : "";
	c.kind = rules_kind(kind);
	t = c.kind ? templates_find(set, kind, o->language) : NULL;
	if (t) {
		struct tmpl_values v = { item_set, item_write, &c };

		tmpl_render(t, &v, b);
	} else {
		/* A kind this version has no words for: what it is, and its facts. */
		char *dump = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);

		escape_outside(ch(o)->dialect, b, kind);
		buf_append_char(b, ' ');
		escape_outside(ch(o)->dialect, b, c.stage);
		buf_append_char(b, ' ');
		escape_outside(ch(o)->dialect, b, dump ? dump : "");
		free(dump);
	}
}

void
render_item_sentence(int language, const struct templates *t, const json_t *item, struct buf *out)
{
	struct render_opts o;

	memset(&o, 0, sizeof(o));
	o.channel = CONFIG_CH_EMAIL; /* plain text: no markup, no look-alikes */
	o.language = language;
	o.templates = t;
	item_text(&o, item, out);
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

enum line_type { LINE_HEADER, LINE_ITEM, LINE_TODO };

struct line {
	char *text;		 /* formatted for the channel */
	size_t core;		 /* the bytes of text before its link */
	const char *customer_id; /* NULL: the partner's own */
	const json_t *facts;	 /* the group's first item's: its header */
	enum line_type type;
	int items;     /* the items it tells: 2 where arrears and low balance are merged */
	bool critical; /* never left out */
	char *url;     /* an item's or a customer's page, or NULL */
	char *url2;    /* a customer's page in the console, or NULL */
};

/* ---- channel formatting ---- */

/* A link to one of hcwatch's pages (or the console), written as the channel writes links. */
static void
format_link(const struct render_opts *o, const char *label, const char *url, struct buf *b)
{
	switch (ch(o)->link) {
	case CHANNEL_LINK_MARKDOWN: buf_appendf(b, "[%s](%s)", label, url); break;
	case CHANNEL_LINK_SLACK: buf_appendf(b, "<%s|%s>", url, label); break;
	case CHANNEL_LINK_BARE: buf_appendf(b, "%s: %s", label, url); break;
	}
}

/* The partner console's page of a customer: [web] console_url with the id put in. */
static char *
console_link(const struct render_opts *o, const char *id)
{
	const char *t = o->links ? o->links->console : NULL, *at;
	struct buf b;

	if (t == NULL || *t == '\0' || id == NULL || *id == '\0' ||
	    strspn(id, "0123456789abcdefABCDEF-_") != strlen(id) ||
	    (at = strstr(t, "{customer_id}")) == NULL)
		return NULL;
	buf_init(&b);
	buf_append(&b, t, (size_t)(at - t));
	buf_append_str(&b, id);
	buf_append_str(&b, at + strlen("{customer_id}"));
	return buf_release(&b);
}

static char *
page_link(const struct render_opts *o, char kind, const char *id)
{
	if (o->links == NULL || o->links->make == NULL || id == NULL || *id == '\0')
		return NULL;
	return o->links->make(o->links->arg, kind, id);
}

/*
 * A customer's header: its name, its account name, its account manager and
 * links to its page and the console. A continued header names it alone.
 */
static void
format_header(const struct render_opts *o, const json_t *facts, const char *id, bool cont,
    struct buf *b, struct line *l)
{
	const char *open = ch(o)->strong_open, *close = ch(o)->strong_close;
	bool en = o->language == CONFIG_LANG_EN;
	const char *name = fact(facts, "customer"), *account = fact(facts, "account_name");
	const char *manager = fact(facts, "manager_name");

	if (*manager == '\0')
		manager = fact(facts, "manager");
	if (*name == '\0')
		name = *account ? account : (id ? id : "");
	buf_append_str(b, open);
	if (id == NULL) {
		buf_append_str(b, w(o, W_PARTNER));
	} else if (id == self_id) {
		buf_append_str(b, w(o, W_SELF));
	} else {
		buf_appendf(b, "%s ", w(o, W_CUSTOMER));
		escape_outside(ch(o)->dialect, b, name);
	}
	if (cont)
		buf_append_str(b, w(o, W_CONT));
	buf_append_str(b, close);
	if (l)
		l->core = b->len;
	if (cont || id == NULL || id == self_id)
		return;
	if (*account && strcmp(account, name) != 0) {
		buf_appendf(b, en ? " (%s " : "（%s ", w(o, W_ACCOUNT));
		escape_outside(ch(o)->dialect, b, account);
		buf_append_str(b, en ? ")" : "）");
	} else if (*account == '\0' && *id && strcmp(id, name) != 0) {
		buf_append_str(b, en ? " (" : "（");
		escape_outside(ch(o)->dialect, b, id);
		buf_append_str(b, en ? ")" : "）");
	}
	if (*manager) {
		buf_appendf(b, " · %s ", w(o, W_MANAGER));
		escape_outside(ch(o)->dialect, b, manager);
	}
	if (l)
		l->core = b->len;
	{
		char *page = page_link(o, 'c', id), *console = console_link(o, id);

		if (page) {
			buf_append_str(b, " · ");
			format_link(o, w(o, W_CUSTOMER_PAGE), page, b);
		}
		if (console) {
			buf_append_str(b, " · ");
			format_link(o, w(o, W_CONSOLE), console, b);
		}
		if (l) {
			l->url = page;
			l->url2 = console;
		} else {
			free(page);
			free(console);
		}
	}
}

/* What an item asks of its reader; W_COUNT: nothing. */
static enum word
item_todo(const json_t *item)
{
	const char *kind = json_string_value(json_object_get(item, "kind"));
	const char *event = json_string_value(json_object_get(item, "event"));
	const char *stage = json_string_value(json_object_get(item, "stage"));

	if (kind == NULL || (event && strcmp(event, "resolved") == 0))
		return W_COUNT;
	if (strcmp(kind, "expiry") == 0)
		return stage && strcmp(stage, "notice") == 0 ? W_COUNT : W_RENEW;
	if (strcmp(kind, "low_balance") == 0 || strcmp(kind, "arrears") == 0 ||
	    strcmp(kind, "runway") == 0 || strcmp(kind, "renewal_short") == 0)
		return W_TOP_UP;
	if (strcmp(kind, "partner_low_balance") == 0)
		return W_TOP_UP_PARTNER;
	/* A customer's coupons about to expire: remind it to use them. */
	if (strcmp(kind, "customer_frozen") == 0 || strcmp(kind, "customer_gone") == 0 ||
	    strcmp(kind, "coupon_expiry") == 0)
		return W_CONTACT;
	return W_COUNT;
}

/* "处理：续费 3 项；充值": one line for a customer's items, or nothing. */
static bool
format_todo(const struct render_opts *o, const json_t *const *items, size_t n, struct buf *b)
{
	static const enum word order[] = { W_RENEW, W_TOP_UP, W_TOP_UP_PARTNER, W_CONTACT };
	bool en = o->language == CONFIG_LANG_EN, any = false;

	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		int count = 0;

		for (size_t i = 0; i < n; i++)
			count += item_todo(items[i]) == order[k];
		if (count == 0)
			continue;
		if (!any)
			buf_appendf(b, en ? "→ %s: " : "→ %s：", w(o, W_TODO));
		else
			buf_append_str(b, en ? "; " : "；");
		buf_append_str(b, w(o, order[k]));
		if (order[k] == W_RENEW)
			buf_appendf(b, en ? " %d resource(s)" : " %d 项资源", count);
		any = true;
	}
	return any;
}

static void
format_item(const struct render_opts *o, const json_t *item, const json_t *merged, struct buf *b,
    struct line *l)
{
	struct buf t;
	json_t *id = json_object_get(item, "alert_id");

	buf_init(&t);
	item_text(o, item, &t);
	buf_append_str(b, ch(o)->bullet);
	buf_appendf(b, "[%s] ", tag(o, item));
	buf_append_str(b, t.data ? t.data : "");
	buf_cleanup(&t);
	if (merged) {
		/* The same customer's low balance, told with its arrears. */
		buf_init(&t);
		item_text(o, merged, &t);
		buf_append_str(b, o->language == CONFIG_LANG_EN ? "; " : "；");
		buf_append_str(b, t.data ? t.data : "");
		buf_cleanup(&t);
	}
	l->core = b->len;
	if (json_is_integer(id)) {
		char num[32];

		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(id));
		l->url = page_link(o, 'a', num);
		if (l->url) {
			buf_append_char(b, ' ');
			format_link(o, w(o, W_DETAILS), l->url, b);
		}
	}
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

static const char *
group_of(const json_t *item)
{
	const json_t *f = json_object_get(item, "facts");

	if (strcmp(fact(f, "scope"), "hcwatch") == 0)
		return self_id;
	return json_string_value(json_object_get(f, "customer_id"));
}

static bool
is_firing(const json_t *item, const char *kind)
{
	const char *k = json_string_value(json_object_get(item, "kind"));
	const char *e = json_string_value(json_object_get(item, "event"));

	return k && e && strcmp(k, kind) == 0 && strcmp(e, "firing") == 0;
}

/* One customer's items, from items[from] to items[to - 1]: a header, its items, what to do. */
static void
build_group(const struct render_opts *o, const json_t *items, size_t from, size_t to,
    struct model *m)
{
	const json_t *first = json_array_get(items, from);
	const char *id = group_of(first);
	const json_t *f = json_object_get(first, "facts");
	const json_t *arrears = NULL, *low = NULL;
	const json_t **told = xcalloc(to - from, sizeof(*told));
	size_t ntold = 0;
	struct buf b;

	for (size_t i = from; i < to; i++) {
		const json_t *item = json_array_get(items, i);

		if (!arrears && is_firing(item, "arrears"))
			arrears = item;
		if (!low && is_firing(item, "low_balance"))
			low = item;
	}
	{
		struct line h = { NULL, 0, id, f, LINE_HEADER, 0, false, NULL, NULL };

		buf_init(&b);
		format_header(o, f, id, false, &b, &h);
		h.text = buf_release(&b);
		model_add(m, h);
	}
	for (size_t i = from; i < to; i++) {
		const json_t *item = json_array_get(items, i);
		const json_t *merged = NULL;
		struct line l = { NULL, 0, id, f, LINE_ITEM, 1, false, NULL, NULL };

		if (arrears && low && item == low)
			continue;
		if (arrears && low && item == arrears)
			merged = low;
		buf_init(&b);
		format_item(o, item, merged, &b, &l);
		l.text = buf_release(&b);
		l.items = merged ? 2 : 1;
		l.critical =
		    tag_word(item) == W_CRITICAL || (merged && tag_word(merged) == W_CRITICAL);
		told[ntold++] = item;
		model_add(m, l);
	}
	buf_init(&b);
	if (format_todo(o, told, ntold, &b)) {
		char *text = buf_release(&b);

		model_add(m,
		    (struct line){ text, strlen(text), id, f, LINE_TODO, 0, false, NULL, NULL });
	} else {
		buf_cleanup(&b);
	}
	free(told);
}

static void
build_model(const struct render_opts *o, const json_t *items, struct model *m)
{
	size_t n = json_array_size(items), from = 0;

	memset(m, 0, sizeof(*m));
	build_title(o, items, m->title, sizeof(m->title));
	for (size_t i = 1; i <= n; i++) {
		if (i < n &&
		    same_group(group_of(json_array_get(items, i)),
			group_of(json_array_get(items, from))))
			continue;
		build_group(o, items, from, i, m);
		from = i;
	}
}

static void
model_free(struct model *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->lines[i].text);
		free(m->lines[i].url);
		free(m->lines[i].url2);
	}
	free(m->lines);
}

static void
footer(const struct render_opts *o, int part, int parts, struct buf *b)
{
	if (o->links && o->links->digest) {
		format_link(o, w(o, W_ALL), o->links->digest, b);
		buf_append_char(b, '\n');
	}
	buf_appendf(b, "hcwatch · %s", o->key ? o->key : "");
	if (parts > 1)
		buf_appendf(b, " · %d/%d", part, parts);
}

/* Names told in the line saying what was left out, and the bytes each may take. */
#define MORE_NAMES 4
#define MORE_NAME_BYTES 40

/*
 * "另有 N 项未列出（客户 A、B 等 K 位）": the count and the customers the cut
 * parts held, then where to read them all: the digest page, else the
 * command and the dashboards.
 */
static void
more_line(const struct render_opts *o, const struct model *m, size_t from_line, int n,
    struct buf *b)
{
	bool en = o->language == CONFIG_LANG_EN;
	const char *last = NULL;
	int named = 0, customers = 0;
	struct buf names;

	buf_init(&names);
	for (size_t i = from_line; i < m->n; i++) {
		const struct line *l = &m->lines[i];
		const char *name;
		struct buf e;

		/* Groups are contiguous; the first may have begun before the cut. */
		if (l->type != LINE_ITEM || l->customer_id == NULL || l->customer_id == self_id ||
		    (last && same_group(last, l->customer_id)))
			continue;
		last = l->customer_id;
		customers++;
		if (named == MORE_NAMES)
			continue;
		name = fact(l->facts, "customer");
		if (*name == '\0')
			name = l->customer_id;
		if (named++)
			buf_append_str(&names, en ? ", " : "、");
		/* Cut once escaped: an escape is whole characters, so a cut cannot open markup. */
		buf_init(&e);
		escape_outside(ch(o)->dialect, &e, name);
		buf_append(&names, e.data, utf8_prefix(e.data, e.len, MORE_NAME_BYTES));
		buf_cleanup(&e);
	}
	if (en)
		buf_appendf(b, "%d more item(s) not shown", n);
	else
		buf_appendf(b, "另有 %d 项未列出", n);
	if (customers > 0) {
		buf_append_str(b, en ? " (customers " : "（客户 ");
		buf_append(b, names.data, names.len);
		if (customers > named)
			buf_appendf(b, en ? " and %d more" : " 等 %d 位", customers - named);
		buf_append_str(b, en ? ")" : "）");
	}
	buf_cleanup(&names);
	if (o->links && o->links->digest) {
		buf_append_str(b, en ? ": " : "：");
		format_link(o, w(o, W_ALL), o->links->digest, b);
	} else if (en) {
		buf_append_str(b, "; see hcwatch alerts list or the dashboards");
	} else {
		buf_append_str(b, "，请用 hcwatch alerts list 或看板查看");
	}
}

/* A part in the making: its lines' text joined by newlines. */
struct part {
	struct buf body;
	size_t cost;
	int items;
	bool critical;	   /* it holds a critical item */
	size_t line_after; /* the first line it does not hold */
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

		if (l->type == LINE_HEADER) {
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
			last->critical = false;
			if (l->type != LINE_HEADER && header) {
				struct buf h;

				buf_init(&h);
				format_header(o, header->facts, header->customer_id, true, &h,
				    NULL);
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
		last->items += l->items;
		last->critical |= l->critical;
		last->line_after = i + 1;
	}
	*out = parts;
	return np;
}

static char *
html_escape(const char *s, size_t len)
{
	struct buf b;

	buf_init(&b);
	buf_append_html(&b, s, len);
	return buf_release(&b);
}

/* Email's HTML alternative: the same lines, as a heading, headers and lists, links as links. */
static char *
email_html(const struct render_opts *o, const struct model *m, const char *title)
{
	struct buf b;
	bool open = false;
	char *t = html_escape(title, strlen(title));

	buf_init(&b);
	buf_appendf(&b,
	    "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
	    "<title>%s</title></head>\n<body>\n<h2>%s</h2>\n",
	    o->language == CONFIG_LANG_EN ? "en" : "zh-CN", t, t);
	free(t);
	for (size_t i = 0; i < m->n; i++) {
		const struct line *l = &m->lines[i];
		size_t skip = l->type == LINE_ITEM ? strlen(ch(o)->bullet) : 0;
		char *e = html_escape(l->text + skip, l->core > skip ? l->core - skip : 0);

		if (l->type == LINE_HEADER) {
			if (open)
				buf_append_str(&b, "</ul>\n");
			buf_appendf(&b, "<h3>%s", e);
			if (l->url)
				buf_appendf(&b, " · <a href=\"%s\">%s</a>", l->url,
				    w(o, W_CUSTOMER_PAGE));
			if (l->url2)
				buf_appendf(&b, " · <a href=\"%s\">%s</a>", l->url2,
				    w(o, W_CONSOLE));
			buf_append_str(&b, "</h3>\n<ul>\n");
			open = true;
		} else if (l->type == LINE_TODO) {
			if (open)
				buf_append_str(&b, "</ul>\n");
			open = false;
			buf_appendf(&b, "<p><b>%s</b></p>\n", e);
		} else {
			if (!open)
				buf_append_str(&b, "<ul>\n");
			open = true;
			buf_appendf(&b, "<li>%s", e);
			if (l->url)
				buf_appendf(&b, " <a href=\"%s\">%s</a>", l->url, w(o, W_DETAILS));
			buf_append_str(&b, "</li>\n");
		}
		free(e);
	}
	if (open)
		buf_append_str(&b, "</ul>\n");
	if (o->links && o->links->digest)
		buf_appendf(&b, "<p><a href=\"%s\">%s</a></p>\n", o->links->digest, w(o, W_ALL));
	buf_appendf(&b, "<p style=\"color:#888\">hcwatch · %s</p>\n</body></html>\n",
	    o->key ? o->key : "");
	return buf_release(&b);
}

/*
 * The items a signed webhook carries: as stored, without the alert's row
 * id, and with the pages' links where there are pages.
 */
static json_t *
webhook_items(const struct render_opts *o, const json_t *items)
{
	json_t *copy = json_deep_copy(items), *item;
	size_t i;

	json_array_foreach(copy, i, item) {
		json_t *id = json_object_get(item, "alert_id");
		const char *customer = json_string_value(
		    json_object_get(json_object_get(item, "facts"), "customer_id"));

		if (json_is_integer(id)) {
			char num[32], *url;

			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(id));
			if ((url = page_link(o, 'a', num)) != NULL) {
				json_object_set_new(item, "alert_url", json_string(url));
				free(url);
			}
		}
		if (customer) {
			char *url = page_link(o, 'c', customer);

			if (url) {
				json_object_set_new(item, "customer_url", json_string(url));
				free(url);
			}
		}
		json_object_del(item, "alert_id");
	}
	return copy;
}

json_t *
render_delivery(const struct render_opts *o, const json_t *items)
{
	size_t limit = o->max_bytes ? o->max_bytes : render_channel_limit(o->channel);
	size_t max_parts = o->max_parts > 0 ? (size_t)o->max_parts : 10;
	struct model m;
	struct part *parts = NULL;
	size_t np, keep, budget, fixed;
	json_t *out = json_array(), *at = NULL;
	struct buf probe;
	char *html = NULL;
	int shown = 0, total = 0;

	build_model(o, items, &m);
	if (ch(o)->mentions)
		at = words_json(o->mentions);

	/* What every part carries besides its lines: title, marker, footer, mentions, and the
	 * line that says what was left out, at its longest. */
	buf_init(&probe);
	format_title(o, m.title, 99, 99, &probe);
	buf_append_str(&probe, "\n\n\n");
	footer(o, 99, 99, &probe);
	if (at && json_array_size(at)) {
		buf_append_char(&probe, '\n');
		for (size_t i = 0; i < json_array_size(at); i++)
			buf_appendf(&probe, "@%s ", json_string_value(json_array_get(at, i)));
	}
	fixed = cost(o, probe.data, probe.len) + 2 + 120 + MORE_NAMES * (MORE_NAME_BYTES + 4) * 2 +
	    (o->links && o->links->digest ? strlen(o->links->digest) + 32 : 0);
	if (ch(o)->limit_on_body)
		fixed += ENVELOPE_RESERVE + cost(o, m.title, strlen(m.title));
	budget = limit > fixed + 64 ? limit - fixed : 64;
	buf_cleanup(&probe);

	np = pack(o, &m, budget, &parts);
	for (size_t i = 0; i < m.n; i++)
		total += m.lines[i].items;
	/* The cap applies to what is not critical: a critical item takes the parts it needs. */
	keep = np;
	if (ch(o)->one_message) {
		/* One message: the limit only guards against a runaway digest. */
		keep = np > 0 ? 1 : 0;
	} else if (np > max_parts) {
		keep = max_parts;
		for (size_t i = max_parts; i < np; i++)
			if (parts[i].critical)
				keep = i + 1;
	}
	for (size_t i = keep; i < np; i++)
		buf_cleanup(&parts[i].body);
	np = keep;
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
			more_line(o, &m, parts[i].line_after, total - shown, &text);
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
				json_object_set_new(part, "items", webhook_items(o, items));
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
