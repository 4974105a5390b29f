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
