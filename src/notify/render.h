/*
 * Rendering: a delivery's notifications become the messages of one channel,
 * in Chinese or English, split by UTF-8 bytes under the platform's limit.
 *
 * Pure functions of their input (no clock, no database), so that a message
 * can be rendered again identically and tested on its own. The notifier
 * stores the result with the delivery at its first attempt.
 */
#ifndef HCWATCH_NOTIFY_RENDER_H
#define HCWATCH_NOTIFY_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct templates;
struct buf;

/*
 * The links of a message, when [web] public_url is set. make returns a new
 * URL to the page of an alert ('a', id its number) or a customer ('c', id
 * its account id), signed for the destination; NULL if none can be made.
 */
struct render_links {
	const char *digest;  /* the delivery's page */
	const char *console; /* the partner console's customer page, {customer_id} in it; or NULL */
	char *(*make)(const void *arg, char kind, const char *id);
	const void *arg;
};

struct render_opts {
	int channel;			   /* enum config_channel */
	int language;			   /* enum config_language */
	size_t max_bytes;		   /* 0: the channel's own limit */
	int max_parts;			   /* more is cut, saying how many items were left out */
	const char *key;		   /* the delivery's idempotency key, in every footer */
	const char *mentions;		   /* comma-separated mobiles to @ (DingTalk), or NULL */
	const struct templates *templates; /* the wording; NULL: the built-in one */
	const struct render_links *links;  /* NULL: a message without links */
};

/** What a message of the channel may hold, in bytes (see render.c for what is counted). */
size_t render_channel_limit(int channel);

/**
 * Renders items (a JSON array of {kind, event, stage, severity, facts,
 * alert_id}, the most urgent customer first) into a new JSON array of parts.
 * Critical items are never cut: they take more than max_parts if they must. A chat part is
 * {"title", "text"} (DingTalk adds "at": [mobiles]); an email part {"subject", "text", "html"}; a
 * webhook part {"title", "text", "items"}. Never fails for well-formed items; unknown kinds render
 * from their facts.
 */
json_t *render_delivery(const struct render_opts *o, const json_t *items);

/**
 * One item's sentence as plain text, in the messages' wording (t, NULL: the
 * built-in one): what a page shows, HTML-escaped there.
 */
void render_item_sentence(int language, const struct templates *t, const json_t *item,
    struct buf *out);

/** Bytes s takes inside a JSON string (escapes counted), without the quotes. */
size_t json_escaped_len(const char *s, size_t len);

#endif
