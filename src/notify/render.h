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

struct render_opts {
	int channel;			   /* enum config_channel */
	int language;			   /* enum config_language */
	size_t max_bytes;		   /* 0: the channel's own limit */
	int max_parts;			   /* more is cut, saying how many items were left out */
	const char *key;		   /* the delivery's idempotency key, in every footer */
	const char *mentions;		   /* comma-separated mobiles to @ (DingTalk), or NULL */
	const struct templates *templates; /* the wording; NULL: the built-in one */
};

/** What a message of the channel may hold, in bytes (see render.c for what is counted). */
size_t render_channel_limit(int channel);

/**
 * Renders items (a JSON array of {kind, event, stage, severity, facts}) into
 * a new JSON array of parts. A chat part is {"title", "text"} (DingTalk adds
 * "at": [mobiles]); an email part {"subject", "text", "html"}; a webhook
 * part {"title", "text", "items"}. Never fails for well-formed items;
 * unknown kinds render from their facts.
 */
json_t *render_delivery(const struct render_opts *o, const json_t *items);

/** Bytes s takes inside a JSON string (escapes counted), without the quotes. */
size_t json_escaped_len(const char *s, size_t len);

#endif
