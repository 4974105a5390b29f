/* The /metrics text: series per label pair, escaping, cumulative histogram buckets. */
#include "test_util.h"

#include <pthread.h>

#include "core/metrics.h"

static char *
rendered(void)
{
	struct buf b;

	buf_init(&b);
	metrics_render(&b);
	return buf_release(&b);
}

static void
test_counters_by_labels(void **state)
{
	char *text;

	(void)state;
	metrics_reset();
	metrics_count(MC_CALLBACKS, "accepted", "", 1);
	metrics_count(MC_CALLBACKS, "accepted", "", 2);
	metrics_count(MC_CALLBACKS, "rejected", "bad_signature", 1);
	metrics_count(MC_CALLBACKS, "rejected", "we\"ird\\\n", 1);
	metrics_count(MC_QUOTA_WAIT, "ListSubCustomers", NULL, 1500000);
	text = rendered();
	assert_non_null(strstr(text, "# TYPE hcwatch_callbacks_total counter\n"));
	assert_non_null(
	    strstr(text, "hcwatch_callbacks_total{result=\"accepted\",reason=\"\"} 3\n"));
	assert_non_null(strstr(text,
	    "hcwatch_callbacks_total{result=\"rejected\",reason=\"bad_signature\"} 1\n"));
	assert_non_null(strstr(text,
	    "hcwatch_callbacks_total{result=\"rejected\",reason=\"we\\\"ird\\\\\\n\"} 1\n"));
	/* Microseconds in, seconds out; one label only. */
	assert_non_null(strstr(text,
	    "hcwatch_poll_quota_wait_seconds_total{api=\"ListSubCustomers\"} 1.500000\n"));
	free(text);
}

static void
test_histogram_buckets_are_cumulative(void **state)
{
	char *text;

	(void)state;
	metrics_reset();
	metrics_observe(MH_COMMIT_BATCH, 1);
	metrics_observe(MH_COMMIT_BATCH, 7);
	metrics_observe(MH_COMMIT_BATCH, 7);
	metrics_observe(MH_COMMIT_BATCH, 1000);
	text = rendered();
	assert_non_null(strstr(text, "hcwatch_commit_batch_size_bucket{le=\"1\"} 1\n"));
	assert_non_null(strstr(text, "hcwatch_commit_batch_size_bucket{le=\"5\"} 1\n"));
	assert_non_null(strstr(text, "hcwatch_commit_batch_size_bucket{le=\"10\"} 3\n"));
	assert_non_null(strstr(text, "hcwatch_commit_batch_size_bucket{le=\"500\"} 3\n"));
	assert_non_null(strstr(text, "hcwatch_commit_batch_size_bucket{le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(text, "hcwatch_commit_batch_size_sum 1015.000000\n"));
	assert_non_null(strstr(text, "hcwatch_commit_batch_size_count 4\n"));
	free(text);
}

static void *
count_many(void *arg)
{
	char label[16];

	snprintf(label, sizeof(label), "t%d", (int)(long)arg % 4);
	for (int i = 0; i < 10000; i++)
		metrics_count(MC_DELIVERIES, label, "delivered", 1);
	return NULL;
}

/* Threads creating and counting the same series lose nothing and make no duplicates. */
static void
test_concurrent_counting(void **state)
{
	pthread_t t[8];
	char *text;

	(void)state;
	metrics_reset();
	for (long i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&t[i], NULL, count_many, (void *)i), 0);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	text = rendered();
	for (int k = 0; k < 4; k++) {
		char line[128];
		const char *first;

		snprintf(line, sizeof(line),
		    "hcwatch_deliveries_total{channel=\"t%d\",outcome=\"delivered\"} 20000\n", k);
		first = strstr(text, line);
		assert_non_null(first);
		assert_null(strstr(first + 1, line));
	}
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_by_labels),
		cmocka_unit_test(test_histogram_buckets_are_cumulative),
		cmocka_unit_test(test_concurrent_counting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
