#include "notify/notifier.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/instance.h"
#include "core/log.h"
#include "core/metrics.h"
#include "notify/channels.h"
#include "notify/render.h"
#include "notify/templates.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/link.h"
#include "util/thread.h"
#include "util/xalloc.h"

/*
 * A pace wait longer than this hands the delivery back instead of holding a
 * worker; config.c keeps [notifier] lease above it plus the request timeout.
 */
#define MAX_PACE_WAIT_US (5 * 1000000LL)
#define NOTE_OK_EVERY_US (5 * 1000000LL)
/*
 * Deliveries claimed at once. Their leases start together; one whose turn
 * comes late renews before it sends, or finds another worker has it.
 */
#define CLAIM_BATCH 16

struct worker {
	const struct config *cfg;
	const atomic_bool *stop;
	struct store *store;
	struct http_client **clients; /* one per destination, made on first use */
	char instance[300];
	char *dests; /* JSON array of the destinations this instance serves */
	struct notifier_stats stats;
	unsigned int seed; /* jitter */
	int64_t leased_at; /* monotonic time the current delivery's lease was last set */
	int64_t *noted_ok; /* per destination: when last_ok_at was last written */
	const struct templates *templates;
	/*
	 * The current claim's deliveries whose last part arrived, not yet
	 * recorded (indexes into claim), and when the oldest of their leases
	 * was set.
	 */
	struct store_delivery *claim;
	int done[CLAIM_BATCH];
	int ndone;
	int64_t done_leased_at;
	bool track_waiting; /* deliver --once: remember what is left waiting */
	long *waiting;	    /* ids scheduled for a retry and not settled since */
	size_t n_waiting;
};

/* Deliveries this worker left waiting for a retry: deliver --once says how many remain. */
static void
waiting_set(struct worker *w, long id, bool waiting)
{
	if (!w->track_waiting)
		return;
	for (size_t i = 0; i < w->n_waiting; i++) {
		if (w->waiting[i] == id) {
			if (!waiting)
				w->waiting[i] = w->waiting[--w->n_waiting];
			return;
		}
	}
	if (waiting) {
		w->waiting = xrealloc(w->waiting, (w->n_waiting + 1) * sizeof(*w->waiting));
		w->waiting[w->n_waiting++] = id;
	}
}

struct notifier {
	struct config *cfg;
	struct templates *templates;
	pthread_t *threads;
	struct worker *workers;
	int n;
	atomic_bool stop;
};

static char *
dest_names(const struct config *cfg)
{
	json_t *a = json_array();
	char *s;

	for (size_t i = 0; i < cfg->n_dests; i++)
		json_array_append_new(a, json_string(cfg->dests[i].name));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

/* Mobiles to @ in a DingTalk message: the destination's, and the managers' in the items. */
static char *
mentions(const struct config *cfg, const struct config_dest *d, const json_t *items)
{
	struct buf b;
	size_t i;
	json_t *item;

	buf_init(&b);
	buf_append_str(&b, d->mention_mobiles);
	json_array_foreach(items, i, item) {
		const char *m =
		    json_string_value(json_object_get(json_object_get(item, "facts"), "manager"));

		for (size_t k = 0; m && k < cfg->n_managers; k++) {
			if (strcmp(cfg->managers[k].name, m) == 0 && cfg->managers[k].mobile[0] &&
			    (b.data == NULL || strstr(b.data, cfg->managers[k].mobile) == NULL))
				buf_appendf(&b, ",%s", cfg->managers[k].mobile);
		}
	}
	return buf_release(&b);
}

/* The items with each account manager's display name beside its [manager] name. */
static json_t *
with_manager_names(const struct config *cfg, const json_t *items)
{
	json_t *copy = json_deep_copy(items), *item;
	size_t i;

	json_array_foreach(copy, i, item) {
		json_t *f = json_object_get(item, "facts");
		const char *m = json_string_value(json_object_get(f, "manager"));

		for (size_t k = 0; m && k < cfg->n_managers; k++)
			if (strcmp(cfg->managers[k].name, m) == 0 &&
			    cfg->managers[k].display_name[0])
				json_object_set_new(f, "manager_name",
				    json_string(cfg->managers[k].display_name));
	}
	return copy;
}

/* What the links of one message are signed with. */
struct link_ctx {
	const struct config *cfg;
	struct link_keys keys;
	const char *dest;
	int64_t expires;
};

static char *
make_link(const void *arg, char kind, const char *id)
{
	const struct link_ctx *c = arg;
	struct link l;

	memset(&l, 0, sizeof(l));
	l.kind = kind;
	l.expires = c->expires;
	if (!link_word_ok(id) || !link_word_ok(c->dest))
		return NULL;
	snprintf(l.id, sizeof(l.id), "%s", id);
	snprintf(l.dest, sizeof(l.dest), "%s", c->dest);
	return link_url(c->cfg->web_public_url, &c->keys, &l);
}

json_t *
notifier_render(const struct config *cfg, const struct templates *t, const struct config_dest *dest,
    const char *key, long delivery, const json_t *items)
{
	struct render_opts o;
	char *m = mentions(cfg, dest, items), err[160], *digest = NULL;
	json_t *parts, *named = with_manager_names(cfg, items);
	struct link_ctx lc = { cfg, { 0 }, dest->name, 0 };
	struct render_links links = { NULL, cfg->web_console_url, make_link, &lc };

	memset(&o, 0, sizeof(o));
	o.channel = dest->type;
	o.language = dest->language[0] ?
	    (strcmp(dest->language, "en") == 0 ? CONFIG_LANG_EN : CONFIG_LANG_ZH) :
	    cfg->al_language;
	o.max_bytes = (size_t)dest->max_bytes;
	o.max_parts = dest->max_parts;
	o.key = key;
	o.mentions = m;
	o.templates = t;
	if (cfg->web_public_url[0] && delivery > 0 &&
	    link_keys_parse(cfg->web_keys, &lc.keys, err, sizeof(err))) {
		char id[32];

		lc.expires = (int64_t)time(NULL) + (int64_t)cfg->web_link_days * 86400;
		snprintf(id, sizeof(id), "%ld", delivery);
		digest = make_link(&lc, LINK_DIGEST, id);
		links.digest = digest;
		o.links = &links;
	} else if (cfg->web_console_url[0]) {
		links.make = NULL;
		o.links = &links;
	}
	parts = render_delivery(&o, named);
	link_keys_free(&lc.keys);
	free(digest);
	json_decref(named);
	free(m);
	return parts;
}

static struct http_client *
client_for(struct worker *w, const struct config_dest *d)
{
	size_t i = (size_t)(d - w->cfg->dests);

	if (w->clients[i] == NULL) {
		struct http_client_opts o = {
			.connect_timeout_ms = w->cfg->nt_connect_timeout * 1000L,
			.timeout_ms = w->cfg->nt_timeout * 1000L,
			.max_response = 64 * 1024,
			.ca_file = d->ca_file[0] ? d->ca_file : NULL,
		};

		w->clients[i] = http_client_new(&o);
	}
	return w->clients[i];
}

/*
 * How long a lease may have run before a send renews it: half of what it
 * holds beyond one request's timeout, so that a send started without a
 * renewal still ends inside the lease.
 */
static int64_t
renew_after_us(const struct config *cfg)
{
	return (int64_t)(cfg->nt_lease - cfg->nt_timeout) * 1000000LL / 2;
}

/* Every worker of every notifier: an outage is told once, and its end. */
static struct log_outage db_outage = LOG_OUTAGE_INIT("notifier");

static void
log_store_error(const char *what, const char *err)
{
	log_outage_failed(&db_outage, what, err);
}

/* After a claim holder's write: false, with a line, when the claim was lost. */
static bool
still_held(const struct store_delivery *del, enum store_result r, const bool *held,
    const char *what, const char *err)
{
	/* held is read here, after the call that set it has returned. */
	if (r != STORE_OK) {
		log_store_error(what, err);
		return false;
	}
	if (!*held)
		log_warn("delivery %ld: another worker took it over (the lease ran out) before %s; "
			 "leaving it to that one",
		    del->id, what);
	return *held;
}

/* Hands the delivery back to wait until us from now, without counting an attempt. */
static void
hand_back(struct worker *w, const struct store_delivery *del, int64_t us)
{
	char next[CLOCK_RFC3339_LEN], err[STORE_ERR_LEN];
	bool held = false;

	clock_format_rfc3339(instance_now_us(w->cfg) + us, next, sizeof(next));
	(void)still_held(del, store_delivery_release(w->store, del, next, &held, err, sizeof(err)),
	    &held, "handing it back", err);
}

static void record_delivered(struct worker *w);

/*
 * Takes the destination's pace for one part. Waits at most MAX_PACE_WAIT_US
 * in all (other workers may take the slot it waited for); beyond that the
 * delivery goes back to wait, and false returns.
 */
static bool
pace(struct worker *w, const struct config_dest *d, const struct store_delivery *del)
{
	double interval, wait;
	int burst;
	int64_t waited = 0;
	char err[STORE_ERR_LEN];

	channel_pace(d, &interval, &burst);
	if (interval <= 0)
		return true;
	for (;;) {
		if (store_destination_token(w->store, d->name, interval, (burst - 1) * interval,
			&wait, err, sizeof(err)) != STORE_OK) {
			log_store_error("pacing", err);
			wait = 1;
		} else if (wait <= 0) {
			return true;
		}
		if (waited + (int64_t)(wait * 1e6) > MAX_PACE_WAIT_US || atomic_load(w->stop))
			break;
		/* Nothing sent waits unrecorded behind a pace: its lease runs meanwhile. */
		record_delivered(w);
		if (!clock_sleep_us((int64_t)(wait * 1e6), w->stop))
			break;
		waited += (int64_t)(wait * 1e6);
	}
	hand_back(w, del, atomic_load(w->stop) ? 0 : (int64_t)(wait * 1e6));
	return false;
}

static void failed(struct worker *w, const struct config_dest *d, struct store_delivery *del,
    const struct send_result *res);

/*
 * The pace counts from when the request really left, not from when its
 * token was taken: a send that connected slowly must not bring the next
 * one closer than an interval at the receiver.
 */
static void
paced_from_send(struct worker *w, const struct config_dest *d, const struct send_result *res)
{
	double interval;
	int burst;
	char err[STORE_ERR_LEN];

	channel_pace(d, &interval, &burst);
	if (interval <= 0 || res->sent_us == 0)
		return;
	if (store_destination_sent(w->store, d->name,
		(double)(clock_mono_us() - res->sent_us) / 1e6, interval, err,
		sizeof(err)) != STORE_OK)
		log_store_error("pacing", err);
}

/*
 * Renders the claimed deliveries that have no body yet. The rendering is
 * stored with the first write about the delivery after its send, not
 * before it: a message delivered at its first attempt costs one write.
 */
static void
render(struct worker *w, struct store_delivery *del, int n)
{
	for (int i = 0; i < n; i++) {
		const struct config_dest *d = config_dest_find(w->cfg, del[i].destination);
		json_t *items, *parts;

		if (del[i].body || d == NULL)
			continue;
		items = del[i].items ? json_loads(del[i].items, 0, NULL) : NULL;
		if (!json_is_array(items)) {
			/* Claimed again at every lease it would never render: a dead letter now. */
			struct send_result res = { .outcome = SEND_PERMANENT, .code = "render" };

			json_decref(items);
			snprintf(res.error, sizeof(res.error), "its notifications cannot be read");
			failed(w, d, &del[i], &res);
			continue;
		}
		parts = notifier_render(w->cfg, w->templates, d, del[i].key, del[i].id, items);
		json_decref(items);
		del[i].body = json_dumps(parts, JSON_COMPACT);
		del[i].parts_total = (int)json_array_size(parts);
		del[i].unstored = del[i].body != NULL;
		json_decref(parts);
	}
}

/* A failed part: the delivery waits for a retry, or is dead and goes to the fallback. */
static void
failed(struct worker *w, const struct config_dest *d, struct store_delivery *del,
    const struct send_result *res)
{
	char err[STORE_ERR_LEN], next[CLOCK_RFC3339_LEN], now[CLOCK_RFC3339_LEN];
	int64_t now_us = instance_now_us(w->cfg),
		delay = clock_backoff_us(w->cfg->nt_retry_base_ms, w->cfg->nt_retry_max_ms,
		    del->attempts, &w->seed);
	bool held = false;

	if (res->block_s > 0) {
		if (store_destination_block(w->store, d->name, res->block_s, res->code, err,
			sizeof(err)) != STORE_OK)
			log_store_error("block", err);
		if (delay < (int64_t)(res->block_s * 1e6))
			delay = (int64_t)(res->block_s * 1e6);
	}
	(void)store_destination_note(w->store, d->name, false, res->error, err, sizeof(err));
	/* This worker's next success is written at once, even within the claim it has. */
	w->noted_ok[d - w->cfg->dests] = 0;
	clock_format_rfc3339(now_us, now, sizeof(now));
	if (res->outcome == SEND_RETRY && del->age + (double)delay / 1e6 < w->cfg->nt_retry_for) {
		clock_format_rfc3339(now_us + delay, next, sizeof(next));
		log_warn("delivery %ld to %s (%s): attempt %d failed (%s); next attempt at %s",
		    del->id, d->name, del->channel, del->attempts, res->error, next);
		if (still_held(del,
			store_delivery_retry(w->store, del, next, res->error, res->code, &held, err,
			    sizeof(err)),
			&held, "scheduling its retry", err)) {
			w->stats.retried++;
			waiting_set(w, del->id, true);
			metrics_count(MC_DELIVERIES, del->channel, "retry", 1);
		}
		return;
	}
	{
		const struct config_dest *fb = del->fallback_of == 0 && d->fallback[0] ?
		    config_dest_find(w->cfg, d->fallback) :
		    NULL;

		log_error("delivery %ld to %s (%s) is dead after %d attempt(s): %s%s%s", del->id,
		    d->name, del->channel, del->attempts, res->error, fb ? "; handing it to " : "",
		    fb ? fb->name : "");
		if (still_held(del,
			store_delivery_dead(w->store, del, res->error, res->code, now,
			    fb ? fb->name : NULL, fb ? config_channel_name(fb->type) : NULL, &held,
			    err, sizeof(err)),
			&held, "recording it dead", err)) {
			w->stats.dead++;
			waiting_set(w, del->id, false);
			metrics_count(MC_DELIVERIES, del->channel, "dead", 1);
		}
	}
}

/*
 * Sends what is left of one delivery. True when its last part arrived: the
 * claim's deliveries are then recorded delivered together (record_delivered).
 */
static bool
process(struct worker *w, struct store_delivery *del)
{
	const struct config_dest *d = config_dest_find(w->cfg, del->destination);
	char err[STORE_ERR_LEN];
	const char *body = del->body;
	json_t *parts;
	size_t n;
	bool done = false;

	if (d == NULL)
		return false; /* not claimed: the claim names only our destinations */
	if (body == NULL)
		return false; /* not rendered: the lease runs out, it is tried again */
	parts = json_loads(body, 0, NULL);
	n = json_array_size(parts);
	del->parts_total = (int)n;
	if (n == 0) {
		/* Nothing sendable: say so once rather than claim it again at every lease. */
		struct send_result res = { .outcome = SEND_PERMANENT, .code = "render" };

		snprintf(res.error, sizeof(res.error), "the stored message has no parts");
		failed(w, d, del, &res);
		json_decref(parts);
		return false;
	}
	for (size_t i = (size_t)del->parts_sent; i < n; i++) {
		struct send_result res;
		char lease[CLOCK_RFC3339_LEN];
		bool held = false;

		if (atomic_load(w->stop)) {
			hand_back(w, del, 0);
			break;
		}
		/*
		 * Still ours, and for long enough to send: else someone else sends
		 * it. A lease set moments ago (by the claim) covers the send already.
		 * Renewed before the pace is taken, so that nothing but the send
		 * itself comes between the two.
		 */
		if (clock_mono_us() - w->leased_at > renew_after_us(w->cfg)) {
			clock_format_rfc3339(instance_now_us(w->cfg) +
				(int64_t)w->cfg->nt_lease * 1000000LL,
			    lease, sizeof(lease));
			if (!still_held(del,
				store_delivery_renew(w->store, del, lease, &held, err, sizeof(err)),
				&held, "sending", err))
				break;
			w->leased_at = clock_mono_us();
		}
		if (!pace(w, d, del))
			break;
		channel_send(client_for(w, d), d, w->cfg->nt_timeout, del->key, (int)i + 1, (int)n,
		    json_array_get(parts, i), &res);
		paced_from_send(w, d, &res);
		if (res.outcome != SEND_OK) {
			failed(w, d, del, &res);
			break;
		}
		w->stats.parts++;
		if (i + 1 == n) {
			done = true;
			break;
		}
		clock_format_rfc3339(instance_now_us(w->cfg) +
			(int64_t)w->cfg->nt_lease * 1000000LL,
		    lease, sizeof(lease));
		/* Sent but not recorded: the lease runs out and the part goes again, same key. */
		if (!still_held(del,
			store_delivery_part_sent(w->store, del, (int)i + 1, lease, &held, err,
			    sizeof(err)),
			&held, "recording a sent part", err))
			break;
		del->unstored = false;
		w->leased_at = clock_mono_us();
	}
	json_decref(parts);
	return done;
}

/* What a delivery whose last part arrived was recorded with. */
static void
delivered(struct worker *w, const struct store_delivery *del)
{
	const struct config_dest *d = config_dest_find(w->cfg, del->destination);
	int64_t *noted = &w->noted_ok[d - w->cfg->dests];
	char err[STORE_ERR_LEN];

	w->stats.delivered++;
	waiting_set(w, del->id, false);
	metrics_count(MC_DELIVERIES, del->channel, "delivered", 1);
	/*
	 * last_ok_at: once a few seconds is enough while all goes well; after a
	 * failure, at once (channel_failing reads it).
	 */
	if (del->note_ok || clock_mono_us() - *noted > NOTE_OK_EVERY_US) {
		(void)store_destination_note(w->store, d->name, true, NULL, err, sizeof(err));
		*noted = clock_mono_us();
	}
	log_info("delivery %ld to %s (%s) delivered: %d part(s), attempt %d, key %s", del->id,
	    d->name, del->channel, del->parts_total, del->attempts, del->key);
}

/*
 * Records the claim's deliveries whose last part arrived, in one statement.
 * Until it commits they are sent but not recorded: after a crash their
 * leases run out and they go again, with the same keys.
 */
static void
record_delivered(struct worker *w)
{
	const struct store_delivery *del = w->claim;
	const int *done = w->done;
	int ndone = w->ndone;
	struct buf b;
	long held[CLAIM_BATCH];
	int nheld = 0;
	char err[STORE_ERR_LEN];

	if (ndone == 0)
		return;
	w->ndone = 0;
	buf_init(&b);
	buf_append_char(&b, '[');
	for (int k = 0; k < ndone; k++) {
		const struct store_delivery *x = &del[done[k]];

		/* body is JSON made by json_dumps (or read back from jsonb), token digits. */
		buf_appendf(&b, "%s{\"id\":%ld,\"token\":%s,\"parts\":%d,\"body\":%s}",
		    k ? "," : "", x->id, x->token, x->parts_total, x->unstored ? x->body : "null");
	}
	buf_append_char(&b, ']');
	if (store_delivery_delivered(w->store, b.data, held, CLAIM_BATCH, &nheld, err,
		sizeof(err)) != STORE_OK) {
		log_store_error("recording deliveries", err);
		buf_cleanup(&b);
		return;
	}
	buf_cleanup(&b);
	for (int k = 0; k < ndone; k++) {
		const struct store_delivery *x = &del[done[k]];
		bool kept = false;

		for (int j = 0; j < nheld; j++)
			kept = kept || held[j] == x->id;
		if (kept)
			delivered(w, x);
		else
			log_warn("delivery %ld: another worker took it over (the lease ran out) "
				 "before it was recorded delivered; leaving it to that one",
			    x->id);
	}
}

/* One claim of up to CLAIM_BATCH deliveries, each sent; false when nothing was due. */
static bool
step(struct worker *w)
{
	struct store_delivery del[CLAIM_BATCH];
	char now[CLOCK_RFC3339_LEN], err[STORE_ERR_LEN];
	int n = 0;
	int64_t claimed_at;

	clock_format_rfc3339(instance_now_us(w->cfg), now, sizeof(now));
	if (store_delivery_claim(w->store, now, w->cfg->nt_lease, w->instance, w->dests,
		CLAIM_BATCH, del, &n, err, sizeof(err)) != STORE_OK) {
		log_store_error("claim", err);
		return false;
	}
	log_outage_ok(&db_outage);
	claimed_at = clock_mono_us();
	render(w, del, n);
	w->claim = del;
	w->ndone = 0;
	for (int i = 0; i < n; i++) {
		w->leased_at = claimed_at;
		/*
		 * What arrived is recorded before the leases it holds could run
		 * out: the next send may take up to a request timeout.
		 */
		if (w->ndone && clock_mono_us() - w->done_leased_at > renew_after_us(w->cfg))
			record_delivered(w);
		/* Stopping: the rest go back now rather than when their leases run out. */
		if (atomic_load(w->stop)) {
			hand_back(w, &del[i], 0);
		} else if (process(w, &del[i])) {
			if (w->ndone == 0)
				w->done_leased_at = w->leased_at;
			w->done[w->ndone++] = i;
		}
	}
	record_delivered(w);
	w->claim = NULL;
	for (int i = 0; i < n; i++)
		store_delivery_cleanup(&del[i]);
	return n > 0;
}

static void
worker_init(struct worker *w, const struct config *cfg, const struct templates *t,
    const atomic_bool *stop)
{
	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->templates = t;
	w->stop = stop;
	w->store = store_open(cfg->database_url, cfg->connect_timeout, cfg->statement_timeout);
	/*
	 * The outbox rows were committed durably by the evaluation. What a
	 * worker writes (claims, sent parts, outcomes) may be forgotten by a
	 * database crash; then a message goes again, with its key, and nothing
	 * is lost. In exchange a delivery costs no disk flush.
	 */
	store_set_async_commit(w->store);
	w->clients = xcalloc(cfg->n_dests ? cfg->n_dests : 1, sizeof(*w->clients));
	w->noted_ok = xcalloc(cfg->n_dests ? cfg->n_dests : 1, sizeof(*w->noted_ok));
	w->dests = dest_names(cfg);
	w->seed = (unsigned int)(clock_wall_us() ^ (int64_t)(uintptr_t)w);
	instance_name(w->instance, sizeof(w->instance));
}

static void
worker_cleanup(struct worker *w)
{
	for (size_t i = 0; i < w->cfg->n_dests; i++)
		http_client_free(w->clients[i]);
	free(w->clients);
	free(w->noted_ok);
	free(w->dests);
	free(w->waiting);
	store_close(w->store);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load(w->stop)) {
		if (!step(w))
			clock_sleep_us((int64_t)w->cfg->nt_poll_interval_ms * 1000, w->stop);
	}
	return NULL;
}

struct notifier *
notifier_start(const struct config *cfg, struct templates *t)
{
	struct notifier *n = xcalloc(1, sizeof(*n));

	n->cfg = config_copy(cfg);
	n->templates = templates_ref(t);
	atomic_init(&n->stop, false);
	n->n = cfg->nt_workers;
	n->threads = xcalloc((size_t)n->n, sizeof(*n->threads));
	n->workers = xcalloc((size_t)n->n, sizeof(*n->workers));
	for (int i = 0; i < n->n; i++) {
		worker_init(&n->workers[i], n->cfg, n->templates, &n->stop);
		if (!thread_start(&n->threads[i], "hcw-notifier", worker_main, &n->workers[i])) {
			log_error("notifier: cannot start worker %d", i);
			worker_cleanup(&n->workers[i]);
			n->n = i;
			break;
		}
	}
	return n;
}

void
notifier_stop(struct notifier *n)
{
	if (n == NULL)
		return;
	atomic_store(&n->stop, true);
	for (int i = 0; i < n->n; i++) {
		pthread_join(n->threads[i], NULL);
		worker_cleanup(&n->workers[i]);
	}
	free(n->threads);
	free(n->workers);
	config_free(n->cfg);
	templates_unref(n->templates);
	free(n);
}

bool
notifier_run_once(const struct config *cfg, const struct templates *t, struct notifier_stats *st,
    char *err, size_t errlen)
{
	struct worker w;
	atomic_bool stop;
	char probe[STORE_ERR_LEN];

	atomic_init(&stop, false);
	worker_init(&w, cfg, t, &stop);
	w.track_waiting = true;
	if (store_ping(w.store, probe, sizeof(probe)) != STORE_OK) {
		snprintf(err, errlen, "%s", probe);
		worker_cleanup(&w);
		return false;
	}
	while (step(&w))
		;
	w.stats.waiting = (long)w.n_waiting;
	*st = w.stats;
	worker_cleanup(&w);
	return true;
}

bool
notifier_send_now(const struct config *cfg, const struct config_dest *dest, const char *key,
    const json_t *parts, char *err, size_t errlen)
{
	struct http_client_opts o = {
		.connect_timeout_ms = cfg->nt_connect_timeout * 1000L,
		.timeout_ms = cfg->nt_timeout * 1000L,
		.max_response = 64 * 1024,
		.ca_file = dest->ca_file[0] ? dest->ca_file : NULL,
	};
	struct http_client *hc = http_client_new(&o);
	size_t n = json_array_size(parts);
	bool ok = true;

	for (size_t i = 0; i < n && ok; i++) {
		struct send_result res;

		channel_send(hc, dest, cfg->nt_timeout, key, (int)i + 1, (int)n,
		    json_array_get(parts, i), &res);
		if (res.outcome != SEND_OK) {
			snprintf(err, errlen, "part %zu of %zu: %s (%s)", i + 1, n, res.error,
			    res.outcome == SEND_RETRY ? "temporary" : "permanent");
			ok = false;
		}
	}
	http_client_free(hc);
	return ok;
}
