/*
 * hcwatch serve: the start-up order, the event loop, reloads, and shutdown
 * in reverse order. docs/architecture.md has the threads it starts.
 */
#include "cli.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <jansson.h>
#include <libxml/xmlversion.h>
#include <openssl/crypto.h>

#include "alerts/engine.h"
#include "core/config.h"
#include "core/log.h"
#include "http/server.h"
#include "ingest/retention.h"
#include "ingest/writer.h"
#include "notify/notifier.h"
#include "notify/templates.h"
#include "poller/poller.h"
#include "store/store.h"
#include "util/thread.h"
#include "util/xalloc.h"
#include "verify/keys.h"

/* After the last answer is queued, how long the loop keeps running to write it out. */
#define FLUSH_DELAY_MS 200

struct app {
	const char *config_path;
	struct config *cfg;
	struct keyring *keys;
	struct templates *templates; /* the wording the notifier was started with */
	struct event_base *base;
	struct writer *writer;
	struct http_server *srv;
	struct poller *poller;
	struct evaluator *evaluator;
	struct notifier *notifier;
	struct retention *retention;
	struct event *sig_hup, *sig_term, *sig_int, *shutdown_timer;
	bool stopping;
	pthread_t retiring; /* stops the alerting a reload replaced */
	bool retiring_started;
};

/* An evaluator and a notifier a reload replaced, stopped off the event loop. */
struct retired {
	struct evaluator *evaluator;
	struct notifier *notifier;
	pthread_t previous; /* the retirement before this one, joined first */
	bool has_previous;
};

static void on_sighup(evutil_socket_t sig, short what, void *arg);
static void on_sigterm(evutil_socket_t sig, short what, void *arg);
static void on_drained(void *arg);
static void on_shutdown_timeout(evutil_socket_t fd, short what, void *arg);

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
		app->notifier = notifier_start(cfg, app->templates);
	if (cfg->al_enabled && cfg->n_dests > 0 && !cfg->rt_default[0])
		log_warn(
		    "[routing] default is empty: alerts of customers without an account manager "
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
	/* Each retirement joins the one before it, so the loop never waits and shutdown joins one.
	 */
	r->previous = app->retiring;
	r->has_previous = app->retiring_started;
	if (thread_start(&app->retiring, "hcw-retire", retire_main, r)) {
		app->retiring_started = true;
	} else {
		log_warn(
		    "reload: cannot start a thread to stop the old alerting; stopping it here");
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
	struct templates *templates;
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
	keys = cli_load_keys(next, app->config_path, err, sizeof(err));
	if (next->bind_enabled && keys == NULL) {
		log_error(
		    "reload failed, keeping the running configuration: [bind] certificates: %s",
		    err);
		config_free(next);
		return;
	}
	/* A template with a mistake must never reach a message: the running wording stays. */
	templates = cli_load_templates(next, app->config_path, err, sizeof(err));
	if (templates == NULL) {
		log_error("reload failed, keeping the running configuration: %s", err);
		config_free(next);
		keyring_free(keys);
		return;
	}
	if (!cli_setup_logging(next)) {
		config_free(next);
		keyring_free(keys);
		templates_unref(templates);
		return;
	}
	server_reload(app->srv, next, keys);
	retention_configure(app->retention, next);
	keyring_free(app->keys);
	alerting_changed =
	    !config_alerting_equal(app->cfg, next) || !templates_same(app->templates, templates);
	config_free(app->cfg);
	templates_unref(app->templates);
	app->cfg = next;
	app->keys = keys;
	app->templates = templates;
	if (alerting_changed && !app->stopping)
		restart_alerting(app);
	log_info("configuration reloaded from %s (%zu signing key(s)%s)",
	    app->config_path ? app->config_path : "the environment", keys ? keyring_count(keys) : 0,
	    alerting_changed ? "; alert rules, wording, routes and destinations now as configured" :
			       "");
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

int
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
	app.keys = cli_load_keys(app.cfg, path, err, sizeof(err));
	if (app.cfg->bind_enabled && app.keys == NULL) {
		log_error("[bind] certificates: %s", err);
		goto out;
	}
	app.templates = cli_load_templates(app.cfg, path, err, sizeof(err));
	if (app.templates == NULL) {
		log_error("%s", err);
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

		log_info(
		    "process up: hcwatch %s listening on %s%s%s, bind endpoint %s; libevent %s, "
		    "%s, libpq %d.%d, jansson %s, libcurl %s, libxml2 %s; poller %s; alerts %s; "
		    "notifier %s (%zu destination(s))",
		    HCWATCH_VERSION, app.cfg->listen, app.cfg->tls_listen[0] ? " and TLS on " : "",
		    app.cfg->tls_listen, app.cfg->bind_enabled ? app.cfg->bind_path : "disabled",
		    event_get_version(), OpenSSL_version(OPENSSL_VERSION), pq / 10000, pq % 10000,
		    jansson_version_str(), curl_version_info(CURLVERSION_NOW)->version,
		    LIBXML_DOTTED_VERSION, app.cfg->poll_enabled ? "enabled" : "disabled",
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
	templates_unref(app.templates);
	config_free(app.cfg);
	if (rc == 0)
		log_info("stopped");
	log_shutdown();
	return rc;
}
