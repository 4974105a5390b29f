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

/** Appends s (outside text) to out, escaped for channel (enum config_channel). */
void escape_outside(int channel, struct buf *out, const char *s);

#endif
