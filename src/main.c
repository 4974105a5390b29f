/*
 * hcwatch: command line, start-up order, the event loop, and shutdown in
 * reverse order.
 *
 * Threads: the main thread runs the libevent loop (HTTP, signals, timers);
 * the writer thread owns the database connection that records callbacks.
 */
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xmlversion.h>
#include <openssl/crypto.h>

#include "alerts/engine.h"
#include "cli.h"
#include "core/config.h"
#include "core/log.h"
#include "http/server.h"
#include "ingest/retention.h"
#include "ingest/writer.h"
#include "notify/notifier.h"
#include "poller/poller.h"
#include "store/migrate.h"
#include "store/store.h"
#include "util/xalloc.h"
#include "verify/keys.h"

/* After the last answer is queued, how long the loop keeps running to write it out. */
#define FLUSH_DELAY_MS 200

struct app {
	const char *config_path;
	struct config *cfg;
	struct keyring *keys;
	struct event_base *base;
	struct writer *writer;
	struct http_server *srv;
	struct poller *poller;
	struct evaluator *evaluator;
	struct notifier *notifier;
	struct retention *retention;
	struct event *sig_hup, *sig_term, *sig_int, *shutdown_timer;
	bool stopping;
	pthread_t retiring;		/* stops the alerting a reload replaced */
	bool retiring_started;
};

/* An evaluator and a notifier a reload replaced, stopped off the event loop. */
struct retired {
	struct evaluator *evaluator;
	struct notifier *notifier;
	pthread_t previous;		/* the retirement before this one, joined first */
	bool has_previous;
};

static void usage(FILE *out);
static void print_versions(FILE *out);
static const char *config_dir(const char *path, char *out, size_t outlen);
static struct keyring *load_keys(const struct config *cfg, const char *path, char *err,
    size_t errlen);
static int cmd_check_config(const char *path);
static int cmd_migrate(const char *path);
static int cmd_serve(const char *path);
static int cmd_poll(const char *path, bool once, const char *job);
static void on_sighup(evutil_socket_t sig, short what, void *arg);
static void on_sigterm(evutil_socket_t sig, short what, void *arg);
static void on_drained(void *arg);
static void on_shutdown_timeout(evutil_socket_t fd, short what, void *arg);

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: hcwatch [-c FILE] COMMAND\n"
	    "\n"
	    "commands:\n"
	    "  serve          receive Huawei Cloud callbacks (the service)\n"
	    "  migrate        apply pending database migrations, then exit\n"
	    "  poll --once [--job NAME]\n"
	    "                 run the poller's jobs once (customers, balances, resources,\n"
	    "                 partner; all of them in that order without --job), then exit\n"
	    "  alerts evaluate [--now TIME] [--full]\n"
	    "                 evaluate every rule once (at TIME, e.g. 2026-12-01T09:00:00Z);\n"
	    "                 --full reads every resource, not only those that changed\n"
	    "  alerts list [--all] [--kind K] [--customer ID] [--limit N]\n"
	    "  alerts ack ID|FINGERPRINT [--by NAME] [--note TEXT]\n"
	    "  alerts silence [--customer ID] [--resource ID] [--kind K] --for 2h|3d|1w\n"
	    "                 [--until TIME] [--by NAME] [--comment TEXT]\n"
	    "  alerts unsilence ID | alerts silences\n"
	    "  alerts deliveries [--dead] [--limit N]\n"
	    "  alerts replay DELIVERY_ID | alerts replay --dead\n"
	    "                 send dead letters again, with their idempotency keys\n"
	    "  alerts render ID|FINGERPRINT [--dest NAME]\n"
	    "                 show an alert's messages as a destination would get them\n"
	    "  deliver --once deliver what the outbox holds that is due, then exit\n"
	    "  send-test --dest NAME\n"
	    "                 send a sample message to one destination now\n"
	    "  check-config   load and validate the configuration, print it (secrets masked)\n"
	    "  version        print the versions of hcwatch and its libraries\n"
	    "\n"
	    "options:\n"
	    "  -c, --config FILE   configuration file (default: $HCWATCH_CONFIG, else built-in\n"
	    "                      defaults); HCWATCH_<SECTION>_<KEY> variables override it\n"
	    "  -t, --test          same as check-config\n"
	    "      --once          with poll: one cycle, then exit\n"
	    "      --job NAME      with poll: only this job\n"
	    "  -V, --version       same as version\n"
	    "  -h, --help          this text\n");
}

static void
print_versions(FILE *out)
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

static const char *
config_dir(const char *path, char *out, size_t outlen)
{
	char tmp[4096];

	if (path == NULL)
		return NULL;
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(out, outlen, "%s", dirname(tmp));
	return out;
}

static struct keyring *
load_keys(const struct config *cfg, const char *path, char *err, size_t errlen)
{
	char dir[4096];

	if (!cfg->bind_enabled)
		return NULL;
	return keyring_load(cfg->bind_certificates, config_dir(path, dir, sizeof(dir)), err, errlen);
}

void
cli_config_errors(const char *err)
{
	for (const char *p = err; *p;) {
		size_t n = strcspn(p, "\n");

		fprintf(stderr, "hcwatch: %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

bool
cli_setup_logging(const struct config *cfg)
{
	char err[CONFIG_ERR_LEN];

	if (!log_setup((enum log_level)cfg->log_level, (enum log_format)cfg->log_format,
	    cfg->log_file, err, sizeof(err))) {
		log_error("[log] file: %s", err);
		return false;
	}
	return true;
}

static int
cmd_check_config(const char *path)
{
	char err[CONFIG_ERR_LEN];
	struct config *cfg = config_load(path, err, sizeof(err));
	struct keyring *keys;

	if (cfg == NULL) {
		cli_config_errors(err);
		return 1;
	}
	keys = load_keys(cfg, path, err, sizeof(err));
	if (cfg->bind_enabled && keys == NULL) {
		fprintf(stderr, "hcwatch: [bind] certificates: %s\n", err);
		config_free(cfg);
		return 1;
	}
	config_dump(cfg, stdout);
	printf("\n# configuration ok");
	if (keys) {
		printf("; %zu signing key(s):", keyring_count(keys));
		for (size_t i = 0; i < keyring_count(keys); i++)
			printf("\n#   %s", keyring_label(keys, i));
	}
	printf("\n");
	keyring_free(keys);
	config_free(cfg);
	return 0;
}

static int
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
 * serve refuses to start on a database whose migrations are pending, unless
 * told to apply them. An unreachable database does not stop it: /readyz says
 * so until the database is there.
 */
bool
cli_check_migrations(const struct config *cfg)
{
	char err[STORE_ERR_LEN];
	struct store *st = store_open(cfg->database_url, cfg->connect_timeout, 0);
	struct migrate_status ms;
	bool ok = false;

	if (!store_ensure_connected(st, err, sizeof(err))) {
		log_warn("%s; starting anyway, /readyz answers 503 until it is reachable", err);
		ok = true;
		goto out;
	}
	if (!migrate_status(st, &ms, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	if (ms.unknown > 0)
		log_warn("the database has %d migration(s) newer than this hcwatch; is an older "
		    "binary running against a newer schema?", ms.unknown);
	if (ms.pending > 0 && !cfg->auto_migrate) {
		log_error("%d database migration(s) pending, first %04d: run `hcwatch migrate`, or "
		    "set [database] auto_migrate = true", ms.pending, ms.first_pending);
		goto out;
	}
	if (ms.pending > 0) {
		int applied;

		if (!migrate_apply(st, cfg->dashboard_roles, &applied, err, sizeof(err))) {
			log_error("auto_migrate: %s", err);
			goto out;
		}
	}
	ok = true;
out:
	store_close(st);
	return ok;
}

/*
 * Stopping waits for an evaluation or a send in progress, which may take
 * seconds: a thread does it, while the new ones already run. Two notifiers
 * at once is safe (claims skip locked rows); evaluations take turns.
 */
static void *
retire_main(void *arg)
{
	struct retired *r = arg;

	if (r->has_previous)
		pthread_join(r->previous, NULL);
	notifier_stop(r->notifier);
	evaluator_stop(r->evaluator);
	free(r);
	return NULL;
}

static void
wait_retired(struct app *app)
{
	if (app->retiring_started)
		pthread_join(app->retiring, NULL);
	app->retiring_started = false;
}

static void
start_alerting(struct app *app)
{
	const struct config *cfg = app->cfg;

	if (cfg->al_enabled)
		app->evaluator = evaluator_start(cfg);
	if (cfg->nt_enabled && cfg->n_dests > 0)
		app->notifier = notifier_start(cfg);
	if (cfg->al_enabled && cfg->n_dests > 0 && !cfg->rt_default[0])
		log_warn("[routing] default is empty: alerts of customers without an account manager "
		    "reach nobody (notifications.suppressed = 'no_route')");
}

/* After a reload that changed the alerting: new evaluator and notifier, the old ones retired. */
static void
restart_alerting(struct app *app)
{
	struct retired *r = xcalloc(1, sizeof(*r));

	r->evaluator = app->evaluator;
	r->notifier = app->notifier;
	app->evaluator = NULL;
	app->notifier = NULL;
	start_alerting(app);
	/* Each retirement joins the one before it, so the loop never waits and shutdown joins one. */
	r->previous = app->retiring;
	r->has_previous = app->retiring_started;
	if (pthread_create(&app->retiring, NULL, retire_main, r) == 0) {
		app->retiring_started = true;
	} else {
		log_warn("reload: cannot start a thread to stop the old alerting; stopping it here");
		app->retiring_started = false;
		retire_main(r);
	}
}

static void
on_sighup(evutil_socket_t sig, short what, void *arg)
{
	struct app *app = arg;
	char err[CONFIG_ERR_LEN];
	struct config *next;
	struct keyring *keys;
	bool alerting_changed;

	(void)sig;
	(void)what;
	log_reopen();
	next = config_load(app->config_path, err, sizeof(err));
	if (next == NULL) {
		log_error("reload failed, keeping the running configuration: %s", err);
		return;
	}
	config_keep_fixed(app->cfg, next);
	keys = load_keys(next, app->config_path, err, sizeof(err));
	if (next->bind_enabled && keys == NULL) {
		log_error("reload failed, keeping the running configuration: [bind] certificates: %s",
		    err);
		config_free(next);
		return;
	}
	if (!cli_setup_logging(next)) {
		config_free(next);
		keyring_free(keys);
		return;
	}
	server_reload(app->srv, next, keys);
	retention_configure(app->retention, next);
	keyring_free(app->keys);
	alerting_changed = !config_alerting_equal(app->cfg, next);
	config_free(app->cfg);
	app->cfg = next;
	app->keys = keys;
	if (alerting_changed && !app->stopping)
		restart_alerting(app);
	log_info("configuration reloaded from %s (%zu signing key(s)%s)",
	    app->config_path ? app->config_path : "the environment", keys ? keyring_count(keys) : 0,
	    alerting_changed ? "; alert rules, routes and destinations now as configured" : "");
}

static void
on_drained(void *arg)
{
	struct app *app = arg;
	struct timeval flush = { 0, FLUSH_DELAY_MS * 1000 };

	log_info("drained: every accepted request answered; exiting");
	event_base_loopexit(app->base, &flush);
}

static void
on_shutdown_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct app *app = arg;

	(void)fd;
	(void)what;
	log_warn("shutdown_timeout reached with %zu request(s) still waiting for the database",
	    server_inflight(app->srv));
	event_base_loopexit(app->base, NULL);
}

static void
on_sigterm(evutil_socket_t sig, short what, void *arg)
{
	struct app *app = arg;
	struct timeval tv = { app->cfg->shutdown_timeout, 0 };

	(void)what;
	if (app->stopping) {
		log_warn("second %s: exiting now", sig == SIGINT ? "SIGINT" : "SIGTERM");
		event_base_loopexit(app->base, NULL);
		return;
	}
	app->stopping = true;
	log_info("%s: no longer accepting connections; draining %zu request(s)",
	    sig == SIGINT ? "SIGINT" : "SIGTERM", server_inflight(app->srv));
	app->shutdown_timer = evtimer_new(app->base, on_shutdown_timeout, app);
	evtimer_add(app->shutdown_timer, &tv);
	server_drain(app->srv, on_drained, app);
}

static int
cmd_serve(const char *path)
{
	struct app app;
	char err[CONFIG_ERR_LEN];
	struct writer_config wc;
	int rc = 1;

	memset(&app, 0, sizeof(app));
	app.config_path = path;
	app.cfg = config_load(path, err, sizeof(err));
	if (app.cfg == NULL) {
		cli_config_errors(err);
		return 1;
	}
	/* Initialise subsystems; the order matters, and teardown below is its reverse. */
	if (!cli_setup_logging(app.cfg))
		goto out;
	app.keys = load_keys(app.cfg, path, err, sizeof(err));
	if (app.cfg->bind_enabled && app.keys == NULL) {
		log_error("[bind] certificates: %s", err);
		goto out;
	}
	if (!cli_check_migrations(app.cfg))
		goto out;

	signal(SIGPIPE, SIG_IGN);
	/* The writer thread wakes the loop with event_active(): libevent must lock. */
	if (evthread_use_pthreads() != 0) {
		log_error("libevent has no pthreads support");
		goto out;
	}
	{
		struct event_config *ec = event_config_new();

		/* Fewer epoll_ctl calls: evhttp toggles read and write interest per request. */
		if (ec)
			event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
		app.base = ec ? event_base_new_with_config(ec) : NULL;
		event_config_free(ec);
	}
	if (app.base == NULL) {
		log_error("cannot create the libevent event loop");
		goto out;
	}
	wc.conninfo = app.cfg->database_url;
	wc.connect_timeout = app.cfg->connect_timeout;
	wc.statement_timeout = app.cfg->statement_timeout;
	wc.batch_max = app.cfg->batch_max;
	wc.queue_max = app.cfg->queue_max;
	app.writer = writer_start(app.base, &wc);
	app.srv = server_start(app.base, app.cfg, app.keys, app.writer, err, sizeof(err));
	if (app.srv == NULL) {
		log_error("%s", err);
		goto out;
	}
	if (app.cfg->poll_enabled) {
		app.poller = poller_start(app.cfg, err, sizeof(err));
		if (app.poller == NULL) {
			log_error("poller: %s", err);
			goto out;
		}
	}
	start_alerting(&app);
	if (app.cfg->bind_enabled)
		app.retention = retention_start(app.cfg);
	app.sig_hup = evsignal_new(app.base, SIGHUP, on_sighup, &app);
	app.sig_term = evsignal_new(app.base, SIGTERM, on_sigterm, &app);
	app.sig_int = evsignal_new(app.base, SIGINT, on_sigterm, &app);
	event_add(app.sig_hup, NULL);
	event_add(app.sig_term, NULL);
	event_add(app.sig_int, NULL);

	{
		int pq = store_libpq_version();

		log_info("process up: hcwatch %s listening on %s%s%s, bind endpoint %s; libevent %s, "
		    "%s, libpq %d.%d, jansson %s, libcurl %s, libxml2 %s; poller %s; alerts %s; "
		    "notifier %s (%zu destination(s))", HCWATCH_VERSION,
		    app.cfg->listen, app.cfg->tls_listen[0] ? " and TLS on " : "", app.cfg->tls_listen,
		    app.cfg->bind_enabled ? app.cfg->bind_path : "disabled", event_get_version(),
		    OpenSSL_version(OPENSSL_VERSION), pq / 10000, pq % 10000, jansson_version_str(),
		    curl_version_info(CURLVERSION_NOW)->version, LIBXML_DOTTED_VERSION,
		    app.cfg->poll_enabled ? "enabled" : "disabled",
		    app.cfg->al_enabled ? "enabled" : "disabled",
		    app.notifier ? "enabled" : "disabled", app.cfg->n_dests);
	}
	event_base_dispatch(app.base);
	rc = 0;
out:
	/*
	 * Reverse order: the notifier and the rules, the poller, the writer
	 * (answers what is left), HTTP, the loop.
	 */
	retention_stop(app.retention);
	notifier_stop(app.notifier);
	evaluator_stop(app.evaluator);
	wait_retired(&app);
	poller_stop(app.poller);
	writer_stop(app.writer);
	server_free(app.srv);
	if (app.shutdown_timer)
		event_free(app.shutdown_timer);
	if (app.sig_hup)
		event_free(app.sig_hup);
	if (app.sig_term)
		event_free(app.sig_term);
	if (app.sig_int)
		event_free(app.sig_int);
	if (app.base)
		event_base_free(app.base);
	keyring_free(app.keys);
	config_free(app.cfg);
	if (rc == 0)
		log_info("stopped");
	log_shutdown();
	return rc;
}

/*
 * One cycle, in the foreground. It takes the poller lock like serve does, so
 * that it never doubles the calls of a running instance against the quota.
 */
static int
cmd_poll(const char *path, bool once, const char *job)
{
	char err[CONFIG_ERR_LEN], instance[300];
	struct config *cfg = NULL;
	struct hwc_client *hw = NULL;
	struct store *lock = NULL;
	bool leader = false, all_ok = true;
	int only = -1, rc = 1;

	if (!once) {
		fprintf(stderr, "hcwatch: poll needs --once (the schedule runs inside serve, with "
		    "[poller] enabled = true)\n");
		return 2;
	}
	if (job && (only = poll_job_from_name(job)) < 0) {
		fprintf(stderr, "hcwatch: --job: expected customers, balances, resources or partner, "
		    "got \"%s\"\n", job);
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
	poll_instance_name(instance, sizeof(instance));
	printf("%-10s %-8s %8s %8s %8s %10s %8s %8s %8s\n", "job", "status", "seconds", "calls",
	    "retries", "throttled", "items", "events", "errors");
	for (int j = 0; j < POLL_JOB_COUNT; j++) {
		struct poll_summary sum;

		if (only >= 0 && j != only)
			continue;
		poll_run_job(cfg, hw, instance, (enum poll_job)j, 0, NULL, &sum);
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
	store_close(lock);
	hwc_client_free(hw);
	config_free(cfg);
	log_shutdown();
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "once", no_argument, NULL, 'O' },
		{ "job", required_argument, NULL, 'J' },
		{ "now", required_argument, NULL, 1 },
		{ "kind", required_argument, NULL, 2 },
		{ "customer", required_argument, NULL, 3 },
		{ "resource", required_argument, NULL, 4 },
		{ "by", required_argument, NULL, 5 },
		{ "note", required_argument, NULL, 6 },
		{ "comment", required_argument, NULL, 6 },
		{ "for", required_argument, NULL, 7 },
		{ "until", required_argument, NULL, 8 },
		{ "dest", required_argument, NULL, 9 },
		{ "limit", required_argument, NULL, 10 },
		{ "all", no_argument, NULL, 11 },
		{ "dead", no_argument, NULL, 12 },
		{ "full", no_argument, NULL, 13 },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts o;
	const char *job = NULL;
	bool once = false;
	const char *path = getenv("HCWATCH_CONFIG");
	const char *cmd = NULL;
	int c, rc;

	memset(&o, 0, sizeof(o));
	if (path && !*path)
		path = NULL;
	/* GNU getopt permutes, so "hcwatch serve -c FILE" works as well. */
	while ((c = getopt_long(argc, argv, "c:tVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 't':
			cmd = "check-config";
			break;
		case 'V':
			cmd = "version";
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'O':
			once = true;
			break;
		case 'J':
			job = optarg;
			break;
		case 1: o.now = optarg; break;
		case 2: o.kind = optarg; break;
		case 3: o.customer = optarg; break;
		case 4: o.resource = optarg; break;
		case 5: o.by = optarg; break;
		case 6: o.note = optarg; break;
		case 7: o.for_ = optarg; break;
		case 8: o.until = optarg; break;
		case 9: o.dest = optarg; break;
		case 10: o.limit = atoi(optarg); break;
		case 11: o.all = true; break;
		case 12: o.dead = true; break;
		case 13: o.full = true; break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (cmd == NULL && optind < argc)
		cmd = argv[optind++];
	o.once = once;
	/* Only alerts takes words after the command (its subcommand and a reference). */
	if (cmd == NULL || (optind < argc && strcmp(cmd, "alerts") != 0)) {
		usage(stderr);
		return 2;
	}

	xmlInitParser();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(cmd, "serve") == 0) {
		rc = cmd_serve(path);
	} else if (strcmp(cmd, "poll") == 0) {
		rc = cmd_poll(path, once, job);
	} else if (strcmp(cmd, "alerts") == 0) {
		rc = cmd_alerts(path, &o, argc - optind, argv + optind);
	} else if (strcmp(cmd, "deliver") == 0) {
		rc = cmd_deliver(path, &o);
	} else if (strcmp(cmd, "send-test") == 0) {
		rc = cmd_send_test(path, &o);
	} else if (strcmp(cmd, "migrate") == 0) {
		rc = cmd_migrate(path);
	} else if (strcmp(cmd, "check-config") == 0) {
		rc = cmd_check_config(path);
	} else if (strcmp(cmd, "version") == 0) {
		print_versions(stdout);
		rc = 0;
	} else {
		fprintf(stderr, "hcwatch: unknown command \"%s\"\n\n", cmd);
		usage(stderr);
		rc = 2;
	}
	curl_global_cleanup();
	xmlCleanupParser();
	return rc;
}
