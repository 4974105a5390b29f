/*
 * The property that outside text stays data: a message rendered with a
 * hostile value X in every text fact that comes from outside holds exactly
 * the markup it holds with a harmless value in its place, on every channel
 * and in both languages. "Markup" is counted per channel as that channel's
 * renderer would see it: tags, links, mentions, emphasis, line breaks,
 * host names a platform would link, bidi and control characters, and bytes
 * that are not UTF-8.
 *
 * Used by tests/unit/test_escape.c (random hostile strings) and the
 * fuzz_render target (whatever libFuzzer makes).
 */
#ifndef HCWATCH_TESTS_MARKUP_H
#define HCWATCH_TESTS_MARKUP_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/config.h"
#include "notify/render.h"
#include "util/utf8.h"

enum markup_token {
	MK_LT,
	MK_GT,
	MK_LBRACKET,
	MK_RBRACKET,
	MK_STAR,
	MK_BACKTICK,
	MK_TILDE,
	MK_AT,
	MK_HASH,
	MK_PIPE,
	MK_BACKSLASH,
	MK_AMP,
	MK_UNDERSCORE,
	MK_COLON,
	MK_SCHEME,
	MK_HOST_DOT,
	MK_LINE_BREAK,
	MK_CONTROL,
	MK_BIDI,
	MK_INVALID,
	MK_COUNT
};

static const char *const markup_names[MK_COUNT] = {
	"<",
	">",
	"[",
	"]",
	"*",
	"`",
	"~",
	"@",
	"#",
	"|",
	"\\",
	"&",
	"_ at a word's edge",
	":",
	"://",
	"a host name's dot",
	"line break",
	"control",
	"bidi control",
	"invalid UTF-8",
};

struct markup_count {
	int n[MK_COUNT];
};

static bool
markup_word(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    c >= 0x80;
}

/* HTML's own escapes, which are text, not markup. */
static bool
markup_entity(const char *s)
{
	return strncmp(s, "&amp;", 5) == 0 || strncmp(s, "&lt;", 4) == 0 ||
	    strncmp(s, "&gt;", 4) == 0 || strncmp(s, "&quot;", 6) == 0 ||
	    strncmp(s, "&#39;", 5) == 0;
}

/* Counts the markup in text as channel reads it (html: email's HTML part). */
static void
markup_scan(int channel, bool html, const char *text, struct markup_count *out)
{
	bool plain = channel == CONFIG_CH_EMAIL || channel == CONFIG_CH_WEBHOOK;
	bool slack = channel == CONFIG_CH_SLACK;
	size_t len = strlen(text), i = 0;

	memset(out, 0, sizeof(*out));
	while (i < len) {
		unsigned char c = (unsigned char)text[i];
		unsigned char prev = i > 0 ? (unsigned char)text[i - 1] : 0;
		unsigned char next = i + 1 < len ? (unsigned char)text[i + 1] : 0;
		uint32_t cp;
		size_t n = utf8_decode(text + i, len - i, &cp);

		if (n == 0) {
			out->n[MK_INVALID]++;
			i++;
			continue;
		}
		if (cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029 || cp == 0x85)
			out->n[MK_LINE_BREAK]++;
		else if (utf8_is_control(cp))
			out->n[MK_CONTROL]++;
		else if (utf8_is_bidi_control(cp))
			out->n[MK_BIDI]++;
		if (html && n == 1) {
			if (c == '<')
				out->n[MK_LT]++;
			else if (c == '>')
				out->n[MK_GT]++;
			else if (c == '&' && !markup_entity(text + i))
				out->n[MK_AMP]++;
		} else if (!plain && n == 1) {
			switch (c) {
			case '<': out->n[MK_LT]++; break;
			case '>': out->n[MK_GT]++; break;
			case '[':
				if (!slack)
					out->n[MK_LBRACKET]++;
				break;
			case ']':
				if (!slack)
					out->n[MK_RBRACKET]++;
				break;
			case '*': out->n[MK_STAR]++; break;
			case '`': out->n[MK_BACKTICK]++; break;
			case '~': out->n[MK_TILDE]++; break;
			case '@': out->n[MK_AT]++; break;
			case '#': out->n[MK_HASH]++; break;
			case '|': out->n[MK_PIPE]++; break;
			case '\\':
				if (!slack)
					out->n[MK_BACKSLASH]++;
				break;
			case '&':
				if (!slack || strncmp(text + i, "&amp;", 5) != 0)
					out->n[MK_AMP]++;
				break;
			case '_':
				if (!markup_word(prev) || !markup_word(next))
					out->n[MK_UNDERSCORE]++;
				break;
			case ':':
				if (slack)
					out->n[MK_COLON]++;
				if (strncmp(text + i, "://", 3) == 0)
					out->n[MK_SCHEME]++;
				break;
			case '.':
				if (prev != 0 && prev != ' ' && prev != '\n' &&
				    ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
					next >= 0x80))
					out->n[MK_HOST_DOT]++;
				break;
			default: break;
			}
		}
		i += n;
	}
}

/* Items of several kinds whose outside text facts are all x. New reference. */
static json_t *
markup_items(const char *x)
{
	json_t *items = json_array();
	const char *outside[] = { "customer", "customer_id", "resource", "service", "region",
		"account_name", "account_id", "xaccount_id", "error", "currency" };
	const char *kinds[][4] = {
		{ "expiry", "firing", "7d", "warning" },
		{ "expiry", "resolved", "renewed", "info" },
		{ "customer_bound", "firing", "notice", "info" },
		{ "low_balance", "firing", "low", "warning" },
		{ "partner_low_balance", "firing", "low", "critical" },
		{ "credentials_rejected", "firing", "rejected", "critical" },
		{ "channel_failing", "firing", "failing", "critical" },
		{ "something_new", "firing", "x", "info" },
	};

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:s, s:s}",
		    "expire_local", "2026-12-08 10:00", "new_expire_local", "2027-12-08 10:00",
		    "at_local", "2026-12-01 09:00", "job", "resources", "destination", "ding",
		    "channel", "dingtalk", "days_left", 6, "auto_renew", 1, "amount", "80.10",
		    "threshold", "100");

		for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
			json_object_set_new(f, outside[i], json_string_nocheck(x));
		if (strcmp(kinds[k][0], "partner_low_balance") == 0)
			json_object_del(f, "customer_id");
		json_array_append_new(items,
		    json_pack("{s:s, s:s, s:s, s:s, s:o}", "kind", kinds[k][0], "event",
			kinds[k][1], "stage", kinds[k][2], "severity", kinds[k][3], "facts", f));
	}
	return items;
}

/* The field of every part that has it, joined; *parts counts those parts. */
static char *
markup_text(const json_t *parts, const char *field, size_t *with)
{
	size_t i;
	const json_t *p;
	struct buf b;

	buf_init(&b);
	*with = 0;
	json_array_foreach(parts, i, p) {
		const char *s = json_string_value(json_object_get(p, field));

		if (s == NULL)
			continue; /* jansson refuses a string that is not UTF-8: counted below */
		(*with)++;
		buf_append_str(&b, s);
		buf_append_char(&b, '\n');
	}
	return buf_release(&b);
}

/*
 * Renders the items for every channel and language with x and with a
 * harmless value; false, with why, when x brought markup of its own.
 */
static bool
markup_kept_out(const char *x, char *why, size_t whylen)
{
	json_t *hostile = markup_items(x), *harmless = markup_items("x");
	bool ok = true;

	for (int ch = 0; ch <= CONFIG_CH_EMAIL && ok; ch++) {
		for (int lang = 0; lang < 2 && ok; lang++) {
			struct render_opts o;
			json_t *a, *b;
			const char *fields[] = { "text", "title", "subject", "html" };

			memset(&o, 0, sizeof(o));
			o.channel = ch;
			o.language = lang == 0 ? CONFIG_LANG_ZH : CONFIG_LANG_EN;
			o.max_parts = 1000;
			o.max_bytes = 1000000; /* one part each, so that both have the same frame */
			o.key = "hcw_test";
			o.mentions = "13800000001";
			a = render_delivery(&o, hostile);
			b = render_delivery(&o, harmless);
			for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]) && ok; f++) {
				size_t wa, wb;
				char *ta = markup_text(a, fields[f], &wa);
				char *tb = markup_text(b, fields[f], &wb);
				struct markup_count ca, cb;
				bool html = strcmp(fields[f], "html") == 0;

				markup_scan(ch, html, ta, &ca);
				markup_scan(ch, html, tb, &cb);
				if (wa != wb || json_array_size(a) != json_array_size(b) ||
				    !utf8_valid(ta, strlen(ta))) {
					snprintf(why, whylen,
					    "channel %d %s: a part lost, or not UTF-8", ch,
					    fields[f]);
					ok = false;
				}
				for (int k = 0; k < MK_COUNT && ok; k++) {
					if (ca.n[k] != cb.n[k]) {
						snprintf(why, whylen,
						    "channel %d (%s) %s: %d × %s, %d expected", ch,
						    lang ? "en" : "zh", fields[f], ca.n[k],
						    markup_names[k], cb.n[k]);
						ok = false;
					}
				}
				free(ta);
				free(tb);
			}
			json_decref(a);
			json_decref(b);
		}
	}
	json_decref(hostile);
	json_decref(harmless);
	return ok;
}

#endif
