/*
 * Outside text (customer and resource names, account names, a platform's
 * error text: anything hcwatch did not write itself) as data in a message,
 * never markup, whatever the channel makes of its text.
 *
 * No chat platform documents a way to escape its markdown, so the
 * characters that could open markup are replaced by look-alikes that
 * cannot (＜ for <, ［ for [, ∗ for *, ＠ for @ …), and so are the dots and
 * "://" that would let a platform see a link. Line breaks become spaces,
 * so a value cannot start a line of its own (a heading, a quote, a list),
 * and bidi controls are shown, not obeyed. Email and the signed webhook
 * carry plain text: there only line breaks, controls, bidi controls and
 * bytes that are not UTF-8 are neutralised, and email's HTML is escaped on
 * top.
 */
#ifndef HCWATCH_NOTIFY_ESCAPE_H
#define HCWATCH_NOTIFY_ESCAPE_H

#include "util/buf.h"

/** The syntaxes outside text is escaped for; each channel names its own. */
enum escape_dialect {
	ESCAPE_PLAIN,	 /* email, webhook: text, no markup */
	ESCAPE_MARKDOWN, /* WeCom and DingTalk markdown, Feishu text (<at>, links, styles) */
	ESCAPE_SLACK,	 /* Slack mrkdwn: & < > entities, *_~` styles, :emoji:, autolinks */
};

/** Appends s (outside text) to out, escaped for dialect d. */
void escape_outside(enum escape_dialect d, struct buf *out, const char *s);

#endif
