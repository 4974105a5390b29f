/*
 * The alert commands: evaluate, list, ack, silence, unsilence, silences,
 * deliveries, replay, render; deliver --once; send-test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "alerts/engine.h"
#include "cli.h"
#include "core/instance.h"
#include "core/log.h"
#include "notify/notifier.h"
#include "notify/templates.h"
#include "rules/rules.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/link.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* "2026-12-01T09:00:00Z", or now. */
static bool
parse_time(const char *s, int64_t *us)
{
	int64_t epoch;

	if (!clock_parse_utc_s(s, &epoch))
		return false;
	*us = epoch * 1000000LL;
	return true;
}

/* "90m", "2h", "3d", "1w". */
static bool
parse_duration(const char *s, int64_t *us)
{
	char *end;
	long n = strtol(s, &end, 10);
	int64_t unit;

	if (end == s || n <= 0 || end[0] == '\0' || end[1] != '\0')
		return false;
	switch (*end) {
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: return false;
	}
	*us = (int64_t)n * unit * 1000000LL;
	return true;
}

static const struct cli_column alert_columns[] = {
	{ "id", "id", 8 },
	{ "kind", "kind", 20 },
	{ "severity", "severity", 9 },
	{ "state", "state", 13 },
	{ "stage", "stage", 8 },
	{ "days", "days_left", 5 },
	{ "customer", "customer", 24 },
	{ "resource", "resource", 28 },
	{ "started", "started_at", 20 },
};

static const struct cli_column delivery_columns[] = {
	{ "id", "id", 8 },
	{ "destination", "destination", 16 },
	{ "channel", "channel", 9 },
	{ "state", "state", 10 },
	{ "items", "items", 6 },
	{ "attempts", "attempts", 8 },
	{ "next attempt", "next_attempt_at", 21 },
	{ "last error", "last_error", 40 },
};

static const struct cli_column silence_columns[] = {
	{ "id", "id", 6 },
	{ "customer", "customer_id", 20 },
	{ "resource", "resource_id", 20 },
	{ "kind", "kind", 14 },
	{ "from", "starts_at", 21 },
	{ "until", "ends_at", 21 },
	{ "comment", "comment", 40 },
};

static void
print_parts(const json_t *parts)
{
	size_t i;
	json_t *p;

	json_array_foreach(parts, i, p) {
		const char *subject = json_string_value(json_object_get(p, "subject"));

		printf("--- part %zu of %zu (%zu bytes) ---\n", i + 1, json_array_size(parts),
		    strlen(json_string_value(json_object_get(p, "text")) ?: ""));
		if (subject)
			printf("Subject: %s\n\n", subject);
		printf("%s\n", json_string_value(json_object_get(p, "text")) ?: "");
	}
}

/* The destination to render for: --dest, else the first default one, else a plain webhook. */
static const struct config_dest *
render_dest(const struct config *cfg, const char *name, struct config_dest *plain)
{
	if (name)
		return config_dest_find(cfg, name);
	if (cfg->rt_default[0]) {
		char first[80];

		snprintf(first, sizeof(first), "%.*s", (int)strcspn(cfg->rt_default, " ,"),
		    cfg->rt_default);
		return config_dest_find(cfg, first);
	}
	memset(plain, 0, sizeof(*plain));
	plain->name = (char *)"(plain)";
	plain->type = CONFIG_CH_WEBHOOK;
	plain->mention_mobiles = (char *)"";
	plain->language = (char *)"";
	plain->max_parts = 10;
	return plain;
}

static int
alerts_render(const struct config *cfg, const char *path, struct store *s, const char *ref,
    const char *dest_name)
{
	char err[STORE_ERR_LEN], *json = NULL;
	struct config_dest plain;
	const struct config_dest *d = render_dest(cfg, dest_name, &plain);
	struct templates *t;
	json_t *items, *parts;

	if (d == NULL) {
		fprintf(stderr, "hcwatch: no [destination %s]\n", dest_name);
		return 2;
	}
	if ((t = cli_load_templates(cfg, path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "hcwatch: %s\n", err);
		return 1;
	}
	if (store_alert_items(s, ref, &json, err, sizeof(err)) != STORE_OK) {
		log_error("%s", err);
		templates_unref(t);
		return 1;
	}
	items = json_loads(json, 0, NULL);
	free(json);
	if (json_array_size(items) == 0) {
		fprintf(stderr,
		    "hcwatch: alert %s has no notifications (or there is no such alert)\n", ref);
		json_decref(items);
		templates_unref(t);
		return 1;
	}
	parts = notifier_render(cfg, t, d, "hcw_render", 0, items);
	printf("as %s (%s) would get it:\n", d->name, config_channel_name(d->type));
	print_parts(parts);
	json_decref(parts);
	json_decref(items);
	templates_unref(t);
	return 0;
}

/*
 * An alert's page link, for an operator to share. It is signed for the
 * destination --dest names, else "shared": the alert page's audit trail then
 * tells actions taken through it apart from those through a message.
 */
static int
alerts_link(const struct config *cfg, struct store *s, const char *ref, const char *dest)
{
	char err[STORE_ERR_LEN];
	struct link_keys k;
	struct link l;
	long id = 0;
	char *url;

	if (ref == NULL) {
		fprintf(stderr, "hcwatch: alerts link needs an alert id or fingerprint\n");
		return 2;
	}
	if (!cfg->web_public_url[0]) {
		fprintf(stderr, "hcwatch: alerts link needs [web] public_url and keys\n");
		return 2;
	}
	if (store_web_alert_id(s, ref, &id, err, sizeof(err)) != STORE_OK) {
		log_error("%s", err);
		return 1;
	}
	if (id == 0) {
		fprintf(stderr, "hcwatch: no alert %s\n", ref);
		return 1;
	}
	memset(&l, 0, sizeof(l));
	l.kind = LINK_ALERT;
	snprintf(l.id, sizeof(l.id), "%ld", id);
	snprintf(l.dest, sizeof(l.dest), "%s", dest ? dest : "shared");
	l.expires = clock_wall_us() / 1000000 + (int64_t)cfg->web_link_days * 86400;
	if (!link_keys_parse(cfg->web_keys, &k, err, sizeof(err))) {
		fprintf(stderr, "hcwatch: [web] keys: %s\n", err);
		return 2;
	}
	url = link_url(cfg->web_public_url, &k, &l);
	link_keys_free(&k);
	if (url == NULL) {
		fprintf(stderr, "hcwatch: --dest: 1 to 64 letters, digits, '.', '-' or '_'\n");
		return 2;
	}
	printf("%s\n", url);
	free(url);
	return 0;
}

int
cmd_alerts(const char *path, const struct cli_opts *o, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : NULL;
	const char *arg = argc > 1 ? argv[1] : NULL;
	char err[STORE_ERR_LEN], now[CLOCK_RFC3339_LEN];
	struct config *cfg;
	struct store *s;
	int64_t now_us;
	int rc = 1;

	if (sub == NULL || argc > 2) {
		fprintf(stderr,
		    "hcwatch: alerts needs one of evaluate, list, ack, silence, unsilence, "
		    "silences, deliveries, replay, render, link (see hcwatch --help)\n");
		return 2;
	}
	if ((cfg = cli_load(path)) == NULL)
		return 1;
	now_us = instance_now_us(cfg);
	if (o->now && !parse_time(o->now, &now_us)) {
		fprintf(stderr, "hcwatch: --now: expected YYYY-MM-DDTHH:MM:SSZ, got \"%s\"\n",
		    o->now);
		config_free(cfg);
		return 2;
	}
	clock_format_rfc3339(now_us, now, sizeof(now));
	s = store_open(cfg->database_url, cfg->connect_timeout, 0);

	if (strcmp(sub, "evaluate") == 0) {
		struct store_eval_counts c;

		if (alerts_evaluate(cfg, s, now_us, o->full, &c, err, sizeof(err))) {
			printf("evaluated for %s (%s): %ld fired, %ld resolved, %ld notices, "
			       "%ld notifications, %ld deliveries, %ld joined a waiting digest, "
			       "%ld without a destination, %ld rules not run (nothing they read "
			       "had moved)\n",
			    now, c.full_pass ? "every resource" : "changed resources", c.fired,
			    c.resolved, c.notices, c.notifications, c.deliveries, c.appended,
			    c.unrouted, c.gated);
			rc = 0;
		} else {
			log_error("alerts evaluate: %s", err);
		}
	} else if (strcmp(sub, "list") == 0) {
		char *json = NULL;

		int limit = o->limit > 0 ? o->limit : 100;

		/* One more than shown, to know whether to say that there are more. */
		if (store_alerts_list(s, o->all, o->kind, o->customer, limit + 1, now, &json, err,
			sizeof(err)) == STORE_OK) {
			cli_print_table(json, CLI_COLUMNS(alert_columns), limit, "newest",
			    "alerts");
			rc = 0;
		} else {
			log_error("%s", err);
		}
		free(json);
	} else if (strcmp(sub, "ack") == 0) {
		long n = 0;

		if (arg == NULL) {
			fprintf(stderr, "hcwatch: alerts ack needs an alert id or fingerprint\n");
			rc = 2;
		} else if (store_alert_ack(s, arg, o->by ? o->by : "cli", o->note, now, &n, err,
			       sizeof(err)) != STORE_OK) {
			log_error("%s", err);
		} else if (n == 0) {
			fprintf(stderr, "hcwatch: no open alert %s\n", arg);
		} else {
			printf(
			    "acknowledged alert %s: its reminders stop; expiry and freezing are still "
			    "told\n",
			    arg);
			rc = 0;
		}
	} else if (strcmp(sub, "silence") == 0) {
		int64_t span = 0, end_us = 0;
		char ends[CLOCK_RFC3339_LEN];
		long id = 0, covered = 0;

		if (!o->customer && !o->resource && !o->kind) {
			fprintf(stderr,
			    "hcwatch: alerts silence needs --customer, --resource or --kind\n");
			rc = 2;
		} else if (o->for_ ? !parse_duration(o->for_, &span) :
				     (!o->until || !parse_time(o->until, &end_us))) {
			fprintf(stderr,
			    "hcwatch: alerts silence needs --for 90m|2h|3d|1w or --until "
			    "YYYY-MM-DDTHH:MM:SSZ\n");
			rc = 2;
		} else if (o->kind && !rules_kind_known(o->kind)) {
			const char *sep = " ";

			fprintf(stderr,
			    "hcwatch: --kind %s is not a kind of alert; the kinds are:", o->kind);
			for (size_t i = 0; rules[i]; i++) {
				for (const struct rule_kind *k = rules[i]->kinds; k->kind; k++) {
					fprintf(stderr, "%s%s", sep, k->kind);
					sep = ", ";
				}
			}
			fprintf(stderr, "\n");
			rc = 2;
		} else {
			bool cust_ok, res_ok;
			char names_of[512];

			if (o->for_)
				end_us = now_us + span;
			clock_format_rfc3339(end_us, ends, sizeof(ends));
			if (end_us <= now_us) {
				fprintf(stderr,
				    "hcwatch: the silence would end before it starts\n");
				rc = 2;
			} else if (store_silence_check(s, o->customer, o->resource, &cust_ok,
				       names_of, sizeof(names_of), &res_ok, err,
				       sizeof(err)) != STORE_OK) {
				log_error("%s", err);
			} else if (!cust_ok) {
				if (names_of[0])
					fprintf(stderr,
					    "hcwatch: --customer %s is a name, not a customer id; "
					    "the customer with that name: %s\n",
					    o->customer, names_of);
				else
					fprintf(stderr,
					    "hcwatch: --customer %s: no customer has that id (hcwatch "
					    "knows the customers the poller or a notification brought)\n",
					    o->customer);
				rc = 2;
			} else if (!res_ok) {
				fprintf(stderr, "hcwatch: --resource %s: no resource has that id\n",
				    o->resource);
				rc = 2;
			} else if (store_silence_add(s, o->customer, o->resource, o->kind, now,
				       ends, o->by ? o->by : "cli", o->note, &id, &covered, err,
				       sizeof(err)) != STORE_OK) {
				log_error("%s", err);
			} else {
				printf(
				    "silence %ld until %s: it covers %ld open alert(s) now, silenced at "
				    "once\n",
				    id, ends, covered);
				rc = 0;
			}
		}
	} else if (strcmp(sub, "unsilence") == 0) {
		long n = 0;

		if (arg == NULL || atol(arg) <= 0) {
			fprintf(stderr, "hcwatch: alerts unsilence needs a silence id\n");
			rc = 2;
		} else if (store_silence_end(s, atol(arg), now, &n, err, sizeof(err)) != STORE_OK) {
			log_error("%s", err);
		} else if (n == 0) {
			fprintf(stderr, "hcwatch: no silence %s in force\n", arg);
		} else {
			printf("silence %s ended\n", arg);
			rc = 0;
		}
	} else if (strcmp(sub, "silences") == 0) {
		char *json = NULL;

		if (store_silences_list(s, now, &json, err, sizeof(err)) == STORE_OK) {
			cli_print_table(json, CLI_COLUMNS(silence_columns), 0, "newest",
			    "silences");
			rc = 0;
		} else {
			log_error("%s", err);
		}
		free(json);
	} else if (strcmp(sub, "deliveries") == 0) {
		char *json = NULL;

		int limit = o->limit > 0 ? o->limit : 50;

		if (store_deliveries_list(s, o->dead, limit + 1, &json, err, sizeof(err)) ==
		    STORE_OK) {
			cli_print_table(json, CLI_COLUMNS(delivery_columns), limit, "newest",
			    "deliveries");
			rc = 0;
		} else {
			log_error("%s", err);
		}
		free(json);
	} else if (strcmp(sub, "replay") == 0) {
		long n = 0, id = arg ? atol(arg) : 0;

		if ((arg == NULL) == !o->dead || (arg && id <= 0)) {
			fprintf(stderr,
			    "hcwatch: alerts replay needs a delivery id, or --dead for all "
			    "dead letters\n");
			rc = 2;
		} else if (store_delivery_replay(s, id, now, &n, err, sizeof(err)) != STORE_OK) {
			log_error("%s", err);
		} else {
			printf(
			    "%ld dead letter(s) back in the outbox, with their idempotency keys\n",
			    n);
			rc = n > 0 || o->dead ? 0 : 1;
		}
	} else if (strcmp(sub, "link") == 0) {
		rc = alerts_link(cfg, s, arg, o->dest);
	} else if (strcmp(sub, "render") == 0) {
		if (arg == NULL) {
			fprintf(stderr,
			    "hcwatch: alerts render needs an alert id or fingerprint\n");
			rc = 2;
		} else {
			rc = alerts_render(cfg, path, s, arg, o->dest);
		}
	} else {
		fprintf(stderr, "hcwatch: unknown alerts command \"%s\"\n", sub);
		rc = 2;
	}
	store_close(s);
	config_free(cfg);
	log_shutdown();
	return rc;
}

int
cmd_deliver(const char *path, const struct cli_opts *o)
{
	struct config *cfg;
	struct notifier_stats st;
	struct templates *t;
	char err[STORE_ERR_LEN];
	int rc = 1;

	if (!o->once) {
		fprintf(stderr, "hcwatch: deliver needs --once (serve delivers continuously)\n");
		return 2;
	}
	if ((cfg = cli_load(path)) == NULL)
		return 1;
	if (o->now) {
		int64_t now_us;

		if (!parse_time(o->now, &now_us)) {
			fprintf(stderr,
			    "hcwatch: --now: expected YYYY-MM-DDTHH:MM:SSZ, got \"%s\"\n", o->now);
			config_free(cfg);
			return 2;
		}
		/* The outbox's clock, as if [alerts] clock_offset put it there; rounded up so that
		 * what falls due at --now is due. */
		cfg->al_clock_offset = (int)((now_us - clock_wall_us() + 999999) / 1000000LL);
	}
	if ((t = cli_load_templates(cfg, path, err, sizeof(err))) == NULL) {
		log_error("deliver: %s", err);
	} else if (notifier_run_once(cfg, t, &st, err, sizeof(err))) {
		printf("delivered %ld, dead %ld, waiting for a retry %ld (%ld part(s) sent",
		    st.delivered, st.dead, st.waiting, st.parts);
		if (st.retried)
			printf("; %ld failed attempt(s) tried again", st.retried);
		printf(")\n");
		/* 0 only when everything this run tried went through. */
		rc = st.dead || st.waiting ? 1 : 0;
	} else {
		log_error("deliver: %s", err);
	}
	templates_unref(t);
	config_free(cfg);
	log_shutdown();
	return rc;
}

/*
 * A sample digest: what a manager would see for one customer, under a first
 * item that says it is a test. The expiry is a week from now, in the
 * configured time zone.
 */
static json_t *
sample_items(const struct config *cfg)
{
	char when[32];
	time_t t = (time_t)(clock_wall_us() / 1000000) + 7 * 86400;
	struct tm tm;
	const char *old_tz = getenv("TZ");
	char *saved = old_tz ? xstrdup(old_tz) : NULL;

	setenv("TZ", cfg->al_timezone, 1);
	tzset();
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
	return json_pack("[{s:s, s:s, s:s, s:s, s:{s:s}},"
			 " {s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b}},"
			 " {s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}}]",
	    "kind", "test", "event", "firing", "stage", "test", "severity", "info", "facts",
	    "scope", "hcwatch", "kind", "expiry", "event", "firing", "stage", "7d", "severity",
	    "warning", "facts", "customer_id", "sample-customer-id", "customer",
	    "示例客户 Sample Co.", "resource", "web-01", "service", "ECS", "region", "cn-north-4",
	    "expire_local", when, "stage", "7d", "days_left", 7, "auto_renew", 0, "kind",
	    "low_balance", "event", "firing", "stage", "low", "severity", "warning", "facts",
	    "customer_id", "sample-customer-id", "customer", "示例客户 Sample Co.", "amount",
	    "80.00", "threshold", "100", "currency", "CNY");
}

int
cmd_send_test(const char *path, const struct cli_opts *o)
{
	struct config *cfg;
	const struct config_dest *d;
	struct templates *t = NULL;
	char err[512], key[64];
	json_t *items, *parts;
	int rc = 1;

	if (o->dest == NULL) {
		fprintf(stderr, "hcwatch: send-test needs --dest NAME\n");
		return 2;
	}
	{
		char cerr[CONFIG_ERR_LEN];

		cfg = config_load(path, cerr, sizeof(cerr));
		if (cfg == NULL) {
			cli_config_errors(cerr);
			return 1;
		}
	}
	if (!cli_setup_logging(cfg))
		goto out;
	d = config_dest_find(cfg, o->dest);
	if (d == NULL) {
		fprintf(stderr, "hcwatch: no [destination %s] in the configuration\n", o->dest);
		rc = 2;
		goto out;
	}
	if ((t = cli_load_templates(cfg, path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "hcwatch: %s\n", err);
		goto out;
	}
	snprintf(key, sizeof(key), "hcw_test_%lld", (long long)(clock_wall_us() / 1000));
	items = sample_items(cfg);
	parts = notifier_render(cfg, t, d, key, 0, items);
	if (notifier_send_now(cfg, d, key, parts, err, sizeof(err))) {
		printf("sent a sample to %s (%s), %zu part(s), key %s\n", d->name,
		    config_channel_name(d->type), json_array_size(parts), key);
		rc = 0;
	} else {
		fprintf(stderr, "hcwatch: send-test to %s failed: %s\n", d->name, err);
	}
	json_decref(parts);
	json_decref(items);
out:
	templates_unref(t);
	config_free(cfg);
	log_shutdown();
	return rc;
}
