/*
 * The commands that set hcwatch up and look at it: check-config, migrate,
 * version, and one poll in the foreground.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>
#include <libxml/xmlversion.h>
#include <openssl/crypto.h>

#include "core/config.h"
#include "core/instance.h"
#include "core/log.h"
#include "hwc/hwc_client.h"
#include "notify/templates.h"
#include "poller/poller.h"
#include "store/migrate.h"
#include "store/store.h"
#include "util/xalloc.h"
#include "verify/keys.h"

void
cli_print_versions(FILE *out)
{
	int pq = store_libpq_version();

	fprintf(out, "hcwatch %s\n", HCWATCH_VERSION);
	fprintf(out, "libevent %s\n", event_get_version());
	fprintf(out, "%s\n", OpenSSL_version(OPENSSL_VERSION));
	fprintf(out, "libpq %d.%d\n", pq / 10000, pq % 10000);
	fprintf(out, "jansson %s\n", jansson_version_str());
	fprintf(out, "libcurl %s\n", curl_version_info(CURLVERSION_NOW)->version);
	fprintf(out, "libxml2 %s\n", LIBXML_DOTTED_VERSION);
}

int
cmd_check_config(const char *path)
{
	char err[CONFIG_ERR_LEN];
	struct config *cfg = config_load(path, err, sizeof(err));
	struct keyring *keys;
	struct templates *t;

	if (cfg == NULL) {
		cli_config_errors(err);
		return 1;
	}
	keys = cli_load_keys(cfg, path, err, sizeof(err));
	if (cfg->bind_enabled && keys == NULL) {
		fprintf(stderr, "hcwatch: [bind] certificates: %s\n", err);
		config_free(cfg);
		return 1;
	}
	if ((t = cli_load_templates(cfg, path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "hcwatch: %s\n", err);
		keyring_free(keys);
		config_free(cfg);
		return 1;
	}
	templates_unref(t);
	config_dump(cfg, stdout);
	printf("\n# configuration ok");
	if (keys) {
		printf("; %zu signing key(s):", keyring_count(keys));
		for (size_t i = 0; i < keyring_count(keys); i++)
			printf("\n#   %s", keyring_label(keys, i));
	}
	printf("\n");
	/* Where customers' alerts go under this file, if the database can say (nothing fails
	 * without it: the file may be checked before the database exists). */
	if (cfg->database_url[0]) {
		struct store *s = store_open(cfg->database_url, cfg->connect_timeout, 0);

		printf("# customers per manager, under this file:\n");
		cli_print_manager_counts(cfg, s, "#   ");
		store_close(s);
	}
	keyring_free(keys);
	config_free(cfg);
	return 0;
}

int
cmd_migrate(const char *path)
{
	char err[CONFIG_ERR_LEN];
	struct config *cfg = config_load(path, err, sizeof(err));
	struct store *st;
	int applied = 0, rc = 1;

	if (cfg == NULL) {
		cli_config_errors(err);
		return 1;
	}
	if (!cli_setup_logging(cfg))
		goto out;
	st = store_open(cfg->database_url, cfg->connect_timeout, 0);
	if (!migrate_apply(st, cfg->dashboard_roles, &applied, err, sizeof(err))) {
		log_error("migrate: %s", err);
	} else {
		log_info("migrate: %d migration(s) applied; schema has all %zu", applied,
		    migrations_embedded_count);
		rc = 0;
	}
	store_close(st);
out:
	config_free(cfg);
	return rc;
}

/*
 * One cycle, in the foreground. It takes the poller lock like serve does, so
 * that it never doubles the calls of a running instance against the quota.
 */
int
cmd_poll(const char *path, bool once, const char *job)
{
	char err[CONFIG_ERR_LEN], instance[300];
	struct config *cfg = NULL;
	struct hwc_client *hw = NULL;
	struct store *lock = NULL;
	struct poll_crew *crew = NULL;
	bool leader = false, all_ok = true;
	int only = -1, rc = 1;

	if (!once) {
		fprintf(stderr,
		    "hcwatch: poll needs --once (the schedule runs inside serve, with "
		    "[poller] enabled = true)\n");
		return 2;
	}
	if (job && (only = poll_job_from_name(job)) < 0) {
		fprintf(stderr,
		    "hcwatch: --job: expected customers, balances, resources or partner, "
		    "got \"%s\"\n",
		    job);
		return 2;
	}
	cfg = config_load(path, err, sizeof(err));
	if (cfg == NULL) {
		cli_config_errors(err);
		return 1;
	}
	if (!cli_setup_logging(cfg))
		goto out;
	if (!config_huawei_credentials(cfg, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	if (!cli_check_migrations(cfg))
		goto out;
	hw = hwc_client_new(cfg, err, sizeof(err));
	if (hw == NULL) {
		log_error("%s", err);
		goto out;
	}
	lock = store_open(cfg->database_url, cfg->connect_timeout, 0);
	if (store_leader_try(lock, &leader, err, sizeof(err)) != STORE_OK) {
		log_error("%s", err);
		goto out;
	}
	if (!leader) {
		log_error("another hcwatch instance holds the poller lock and polls on its own "
			  "schedule; its results are in poll_runs");
		goto out;
	}
	instance_name(instance, sizeof(instance));
	crew = poll_crew_new(cfg, hw, NULL);
	printf("%-10s %-8s %8s %8s %8s %10s %8s %8s %8s\n", "job", "status", "seconds", "calls",
	    "retries", "throttled", "items", "events", "errors");
	for (int j = 0; j < POLL_JOB_COUNT; j++) {
		struct poll_summary sum;

		if (only >= 0 ? j != only : !poll_job_enabled(cfg, (enum poll_job)j))
			continue;
		poll_run_job(crew, instance, (enum poll_job)j, 0, &sum);
		printf("%-10s %-8s %8.1f %8ld %8ld %10ld %8ld %8d %8ld\n", poll_job_name(j),
		    sum.status, sum.seconds, sum.counts.calls, sum.counts.retries,
		    sum.counts.throttled, sum.counts.items, sum.events, sum.counts.errors);
		if (sum.detail[0])
			printf("           first error: %s\n", sum.detail);
		fflush(stdout);
		if (strcmp(sum.status, "ok") != 0)
			all_ok = false;
	}
	rc = all_ok ? 0 : 1;
out:
	poll_crew_free(crew);
	store_close(lock);
	hwc_client_free(hw);
	config_free(cfg);
	log_shutdown();
	return rc;
}
