/*
 * Rejected requests per client address: anyone who can reach the
 * notification URL can make hcwatch write a row, so each address may have
 * [bind] rejected_per_minute of its rejections recorded in a minute; the
 * rest are answered 429 and only counted. Verified notifications never
 * pass through here.
 *
 * The table has a fixed number of slots, so that no number of addresses
 * makes it grow: an address takes the slot its hash names once the slot's
 * minute is over, and addresses that meet in a busy slot share its count,
 * which only ever limits sooner. The event loop alone uses it.
 */
#include "http/http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "util/clock.h"
#include "util/xalloc.h"

#define SLOTS 4096
#define WINDOW_US (60 * 1000000LL)

struct rejection_slot {
	char addr[64];
	int64_t window_start; /* monotonic; 0: never used */
	int count;
	bool told; /* the log has said this address was limited in this window */
};

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Counts one from addr in its slot of *table; the slot, once it is the address's for this window.
 */
static struct rejection_slot *
count(struct rejection_slot **table, const char *addr)
{
	int64_t now = clock_mono_us();
	struct rejection_slot *slot;

	if (*table == NULL)
		*table = xcalloc(SLOTS, sizeof(**table));
	slot = &(*table)[hash(addr) % SLOTS];
	if (slot->window_start == 0 || now - slot->window_start >= WINDOW_US) {
		snprintf(slot->addr, sizeof(slot->addr), "%s", addr);
		slot->window_start = now;
		slot->count = 0;
		slot->told = false;
	}
	slot->count++;
	return slot;
}

bool
http_rejection_allowed(struct http_server *srv, const char *addr)
{
	int limit = srv->cfg->bind_rejected_per_minute;
	struct rejection_slot *slot;

	if (limit <= 0)
		return true;
	if (addr == NULL)
		addr = "";
	slot = count(&srv->rejections, addr);
	if (slot->count <= limit)
		return true;
	if (!slot->told) {
		log_warn("bind: more than %d rejected requests in a minute from %s; the rest of "
			 "this minute's are answered 429 and not recorded",
		    limit, addr[0] ? addr : "?");
		slot->told = true;
	}
	return false;
}

/* The pages face the internet: each address may load [web] per_minute of them a minute. */
bool
http_page_allowed(struct http_server *srv, const char *addr)
{
	struct rejection_slot *slot = count(&srv->page_hits, addr ? addr : "");

	if (slot->count <= srv->cfg->web_per_minute)
		return true;
	if (!slot->told) {
		log_warn("pages: more than %d requests in a minute from %s; the rest of this "
			 "minute's are answered 429",
		    srv->cfg->web_per_minute, addr && *addr ? addr : "?");
		slot->told = true;
	}
	return false;
}

void
http_rejections_free(struct http_server *srv)
{
	free(srv->rejections);
	srv->rejections = NULL;
	free(srv->page_hits);
	srv->page_hits = NULL;
}
