#include "core/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Label values are short codes (APIs, channels, reasons); a longer one is cut. */
#define LABEL_LEN 64
#define MAX_SERIES 96

struct series {
	char l1[LABEL_LEN], l2[LABEL_LEN];
	atomic_uint_least64_t v;
};

struct counter {
	const char *name, *help, *label1, *label2;
	double scale;	     /* shown value = count * scale */
	pthread_mutex_t add; /* serialises the creation of series only */
	atomic_int n;	     /* published series: their labels no longer change */
	struct series s[MAX_SERIES];
};

static struct counter counters[MC_COUNT] = {
	[MC_CALLBACKS] = { "hcwatch_callbacks_total",
	    "Binding notifications answered, by result (accepted, duplicate, rejected, busy, "
	    "unavailable, failed) and rejection reason.",
	    "result", "reason", 1, PTHREAD_MUTEX_INITIALIZER, 0, { { "", "", 0 } } },
	[MC_POLL_CALLS] = { "hcwatch_poll_calls_total",
	    "Calls to Huawei's APIs, retries included, by API and outcome.", "api", "outcome", 1,
	    PTHREAD_MUTEX_INITIALIZER, 0, { { "", "", 0 } } },
	[MC_QUOTA_WAIT] = { "hcwatch_poll_quota_wait_seconds_total",
	    "Time spent waiting for an API's call quota.", "api", NULL, 1e-6,
	    PTHREAD_MUTEX_INITIALIZER, 0, { { "", "", 0 } } },
	[MC_DELIVERIES] = { "hcwatch_deliveries_total",
	    "Delivery attempts by channel and outcome (delivered, retry, dead).", "channel",
	    "outcome", 1, PTHREAD_MUTEX_INITIALIZER, 0, { { "", "", 0 } } },
	[MC_HTTP_CUT] = { "hcwatch_http_connections_cut_total",
	    "Connections hcwatch closed itself, by reason (request_timeout: one request took "
	    "longer than [server] request_timeout to arrive; bad_framing: a duplicate or "
	    "malformed Content-Length).",
	    "reason", NULL, 1, PTHREAD_MUTEX_INITIALIZER, 0, { { "", "", 0 } } },
};

#define HIST_MAX_BUCKETS 16

struct histogram {
	const char *name, *help;
	int n;
	double le[HIST_MAX_BUCKETS];
	atomic_uint_least64_t count[HIST_MAX_BUCKETS + 1]; /* the last is +Inf */
	atomic_uint_least64_t sum_micro;		   /* sum of observations, x 1e6 */
};

static struct histogram histograms[MH_COUNT] = {
	[MH_CALLBACK_SECONDS] = { "hcwatch_callback_duration_seconds",
	    "From reading a binding notification to answering it (its commit included).", 12,
	    { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10 }, { 0 }, 0 },
	[MH_COMMIT_BATCH] = { "hcwatch_commit_batch_size",
	    "Binding notifications recorded per database commit.", 9,
	    { 1, 2, 5, 10, 20, 50, 100, 200, 500 }, { 0 }, 0 },
};

static bool
same(const char *stored, const char *label)
{
	return strncmp(stored, label ? label : "", LABEL_LEN - 1) == 0;
}

void
metrics_count(enum metrics_counter which, const char *label1, const char *label2, uint64_t v)
{
	struct counter *c = &counters[which];
	int n = atomic_load_explicit(&c->n, memory_order_acquire);

	for (int i = 0; i < n; i++) {
		if (same(c->s[i].l1, label1) && same(c->s[i].l2, label2)) {
			atomic_fetch_add_explicit(&c->s[i].v, v, memory_order_relaxed);
			return;
		}
	}
	pthread_mutex_lock(&c->add);
	n = atomic_load_explicit(&c->n, memory_order_relaxed);
	for (int i = 0; i < n; i++) {
		if (same(c->s[i].l1, label1) && same(c->s[i].l2, label2)) {
			atomic_fetch_add_explicit(&c->s[i].v, v, memory_order_relaxed);
			pthread_mutex_unlock(&c->add);
			return;
		}
	}
	/* Beyond MAX_SERIES label pairs (there are far fewer), the rest go uncounted. */
	if (n < MAX_SERIES) {
		snprintf(c->s[n].l1, LABEL_LEN, "%s", label1 ? label1 : "");
		snprintf(c->s[n].l2, LABEL_LEN, "%s", label2 ? label2 : "");
		atomic_store_explicit(&c->s[n].v, v, memory_order_relaxed);
		atomic_store_explicit(&c->n, n + 1, memory_order_release);
	}
	pthread_mutex_unlock(&c->add);
}

void
metrics_observe(enum metrics_histogram which, double v)
{
	struct histogram *h = &histograms[which];
	int i = 0;

	while (i < h->n && v > h->le[i])
		i++;
	atomic_fetch_add_explicit(&h->count[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_micro, (uint64_t)(v * 1e6 + 0.5), memory_order_relaxed);
}

/* A label value as the text format wants it: backslash, quote and newline escaped. */
static void
append_label(struct buf *out, const char *name, const char *value)
{
	buf_appendf(out, "%s=\"", name);
	for (const char *p = value; *p; p++) {
		if (*p == '\\' || *p == '"')
			buf_append_char(out, '\\');
		if (*p == '\n')
			buf_append_str(out, "\\n");
		else
			buf_append_char(out, *p);
	}
	buf_append_char(out, '"');
}

void
metrics_render(struct buf *out)
{
	for (int k = 0; k < MC_COUNT; k++) {
		struct counter *c = &counters[k];
		int n = atomic_load_explicit(&c->n, memory_order_acquire);

		buf_appendf(out, "# HELP %s %s\n# TYPE %s counter\n", c->name, c->help, c->name);
		for (int i = 0; i < n; i++) {
			uint64_t v = atomic_load_explicit(&c->s[i].v, memory_order_relaxed);

			buf_appendf(out, "%s{", c->name);
			append_label(out, c->label1, c->s[i].l1);
			if (c->label2) {
				buf_append_char(out, ',');
				append_label(out, c->label2, c->s[i].l2);
			}
			if (c->scale == 1)
				buf_appendf(out, "} %llu\n", (unsigned long long)v);
			else
				buf_appendf(out, "} %.6f\n", (double)v * c->scale);
		}
	}
	for (int k = 0; k < MH_COUNT; k++) {
		struct histogram *h = &histograms[k];
		uint64_t cum = 0;

		buf_appendf(out, "# HELP %s %s\n# TYPE %s histogram\n", h->name, h->help, h->name);
		for (int i = 0; i <= h->n; i++) {
			cum += atomic_load_explicit(&h->count[i], memory_order_relaxed);
			if (i < h->n)
				buf_appendf(out, "%s_bucket{le=\"%g\"} %llu\n", h->name, h->le[i],
				    (unsigned long long)cum);
			else
				buf_appendf(out, "%s_bucket{le=\"+Inf\"} %llu\n", h->name,
				    (unsigned long long)cum);
		}
		buf_appendf(out, "%s_sum %.6f\n%s_count %llu\n", h->name,
		    (double)atomic_load_explicit(&h->sum_micro, memory_order_relaxed) / 1e6,
		    h->name, (unsigned long long)cum);
	}
}

void
metrics_reset(void)
{
	for (int k = 0; k < MC_COUNT; k++) {
		pthread_mutex_lock(&counters[k].add);
		atomic_store(&counters[k].n, 0);
		pthread_mutex_unlock(&counters[k].add);
	}
	for (int k = 0; k < MH_COUNT; k++) {
		for (int i = 0; i <= HIST_MAX_BUCKETS; i++)
			atomic_store(&histograms[k].count[i], 0);
		atomic_store(&histograms[k].sum_micro, 0);
	}
}
