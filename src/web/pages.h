/*
 * The pages behind the messages, written as HTML from what the database
 * returned (store_web_page): a delivery's items, an alert with its history
 * and its actions, a customer with its charts. Pure functions of their
 * input, so that they can be tested alone.
 *
 * Everything that comes from outside (names, notes, user agents) is
 * HTML-escaped; no page has a script, a style attribute or an outside
 * resource, and its one stylesheet is allowed by its hash (page_style_hash).
 */
#ifndef HCWATCH_WEB_PAGES_H
#define HCWATCH_WEB_PAGES_H

#include <jansson.h>

#include "util/buf.h"

struct templates;

struct page_ctx {
	int language;	   /* enum config_language */
	const char *form;  /* the anti-forgery token of the page's forms */
	const char *done;  /* after an action: "acknowledge", "silence", "unsilence"; else NULL */
	const char *error; /* why an action was refused, in the page's language; else NULL */
	/* A new URL to another page ('a' alert, 'c' customer, 'd' delivery), or NULL. */
	char *(*link)(const void *arg, char kind, const char *id);
	const void *link_arg;
	const char *console_url; /* [web] console_url, or "" */
	int note_max;		 /* bytes */
	int critical_days;
	const struct templates *templates;
	const json_t *managers; /* [manager] names to display names, or NULL */
};

void page_digest(const struct page_ctx *c, const json_t *d, struct buf *out);
void page_alert(const struct page_ctx *c, const json_t *a, struct buf *out);
void page_customer(const struct page_ctx *c, const json_t *cu, struct buf *out);
/** The one answer to every link that opens nothing: unknown, expired, tampered, foreign. */
void page_not_found(struct buf *out);
/** A short page with a title and a sentence (refusals, busy), in both languages. */
void page_message(const char *title, const char *text, struct buf *out);

/** "'sha256-…'": the Content-Security-Policy source that allows the pages' stylesheet. */
const char *page_style_hash(void);

#endif
