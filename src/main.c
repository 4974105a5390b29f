/*
 * hcwatch: the command line. Each command lives in a file of its own:
 * serve in cli_serve.c, check-config, migrate, poll and version in
 * cli_admin.c, alerts, deliver and send-test in cli_alerts.c, rules in
 * cli_rules.c, customers in cli_customers.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "cli.h"

static void usage(FILE *out);

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
	    "  alerts link ID|FINGERPRINT [--dest NAME]\n"
	    "                 print its page's link ([web]) to share, signed for NAME\n"
	    "  deliver --once deliver what the outbox holds that is due, then exit\n"
	    "  send-test --dest NAME\n"
	    "                 send a sample message to one destination now\n"
	    "  customers [list [--limit N] | show ID | set ID [--manager NAME] [--threshold AMOUNT]\n"
	    "            [--stages 60,30,7] [--runway DAYS] [--jump-factor N]\n"
	    "            [--jump-min AMOUNT]]\n"
	    "                 customers, whose they are, and their overrides (none clears one)\n"
	    "  rules [--write-templates DIR]\n"
	    "                 list the alert rules, their settings, the kinds of alert and what\n"
	    "                 their templates can use; or write the built-in templates to DIR\n"
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
		{ "write-templates", required_argument, NULL, 14 },
		{ "manager", required_argument, NULL, 15 },
		{ "threshold", required_argument, NULL, 16 },
		{ "stages", required_argument, NULL, 17 },
		{ "runway", required_argument, NULL, 18 },
		{ "jump-factor", required_argument, NULL, 19 },
		{ "jump-min", required_argument, NULL, 20 },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts o;
	const char *job = NULL, *write_templates = NULL;
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
		case 'c': path = optarg; break;
		case 't': cmd = "check-config"; break;
		case 'V': cmd = "version"; break;
		case 'h': usage(stdout); return 0;
		case 'O': once = true; break;
		case 'J': job = optarg; break;
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
		case 14: write_templates = optarg; break;
		case 15: o.manager = optarg; break;
		case 16: o.threshold = optarg; break;
		case 17: o.stages = optarg; break;
		case 18: o.runway = optarg; break;
		case 19: o.jump_factor = optarg; break;
		case 20: o.jump_min = optarg; break;
		default: usage(stderr); return 2;
		}
	}
	if (cmd == NULL && optind < argc)
		cmd = argv[optind++];
	o.once = once;
	/* Only alerts and customers take words after the command (a subcommand and a reference). */
	if (cmd == NULL ||
	    (optind < argc && strcmp(cmd, "alerts") != 0 && strcmp(cmd, "customers") != 0)) {
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
	} else if (strcmp(cmd, "customers") == 0) {
		rc = cmd_customers(path, &o, argc - optind, argv + optind);
	} else if (strcmp(cmd, "rules") == 0) {
		rc = cmd_rules(path, write_templates);
	} else if (strcmp(cmd, "check-config") == 0) {
		rc = cmd_check_config(path);
	} else if (strcmp(cmd, "version") == 0) {
		cli_print_versions(stdout);
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
