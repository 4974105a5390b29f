/* Configuration: defaults, the file, the environment, and errors that name key and line. */
#include "test_util.h"

#include <unistd.h>

#include "core/config.h"

static char conf_path[256];

static const char *
write_conf(const char *text)
{
	FILE *fp;

	snprintf(conf_path, sizeof(conf_path), "/tmp/hcwatch-test-config-%d.conf", (int)getpid());
	fp = fopen(conf_path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return conf_path;
}

/* Loads text, expects failure, and checks that err contains every needle. */
static void
expect_error(const char *text, const char *n1, const char *n2)
{
	char err[CONFIG_ERR_LEN] = "";
	struct config *cfg = config_load(write_conf(text), err, sizeof(err));

	if (cfg != NULL)
		fail_msg("accepted: %s", text);
	if (strstr(err, n1) == NULL || (n2 && strstr(err, n2) == NULL))
		fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", err, n1, n2 ? n2 : "");
}

static int
setup(void **state)
{
	(void)state;
	setenv("HCWATCH_BIND_CERTIFICATES", "/dev/null", 1);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(conf_path);
	return 0;
}

static void
test_defaults(void **state)
{
	char err[CONFIG_ERR_LEN];
	struct config *cfg = config_load(NULL, err, sizeof(err));

	(void)state;
	assert_non_null(cfg);
	assert_string_equal(cfg->listen, "127.0.0.1:8080");
	assert_string_equal(cfg->bind_path, "/huawei/bind");
	assert_string_equal(cfg->bind_signed_string, "A");
	assert_int_equal(cfg->max_body_size, 65536);
	assert_false(cfg->auto_migrate);
	assert_int_equal(cfg->log_level, LOG_INFO);
	config_free(cfg);
}

static void
test_file_and_env(void **state)
{
	char err[CONFIG_ERR_LEN];
	struct config *cfg;
	char longval[600];

	(void)state;
	/* Values longer than inih's default 200-byte line must survive. */
	memset(longval, 'x', sizeof(longval) - 1);
	longval[sizeof(longval) - 1] = '\0';
	{
		char text[2048];

		snprintf(text, sizeof(text),
		    "; comment\n# another\n[server]\nlisten = :9000\ntimeout = 5\n\n"
		    "[database]\nurl = host=/tmp dbname=%s\nauto_migrate = yes\n"
		    "[log]\nlevel = debug\nformat = json\n"
		    "[bind]\nsigned_string = A, B\nsuccess_url = https://partner.example/ok?x=1\n",
		    longval);
		setenv("HCWATCH_SERVER_TIMEOUT", "7", 1);
		cfg = config_load(write_conf(text), err, sizeof(err));
		unsetenv("HCWATCH_SERVER_TIMEOUT");
	}
	assert_non_null(cfg);
	assert_string_equal(cfg->listen, ":9000");
	assert_int_equal(cfg->timeout, 7); /* the environment wins */
	assert_true(cfg->auto_migrate);
	assert_int_equal(cfg->log_level, LOG_DEBUG);
	assert_int_equal(cfg->log_format, LOG_FORMAT_JSON);
	assert_non_null(strstr(cfg->database_url, longval));
	assert_string_equal(cfg->bind_success_url, "https://partner.example/ok?x=1");
	config_free(cfg);
}

static void
test_errors_name_key_and_line(void **state)
{
	(void)state;
	expect_error("[server]\n\nnope = 1\n", ":3: [server] nope", "unknown key");
	expect_error("[nosuch]\nlisten = 1\n", ":2: [nosuch]: unknown section", NULL);
	expect_error("[server]\ntimeout = 5\ntimeout = 6\n", ":3: [server] timeout",
	    "more than once");
	expect_error("[server]\ntimeout = five\n", ":2: [server] timeout", "whole number");
	expect_error("[server]\ntimeout = 0\n", ":2:", "out of range (1 to 3600)");
	expect_error("[server]\nlisten = nohostport\n", ":2: [server] listen", "host:port");
	expect_error("[server]\nlisten = :99999\n", ":2:", "host:port");
	expect_error("[database]\nauto_migrate = maybe\n", ":2:", "true or false");
	expect_error("[log]\nlevel = loud\n", ":2: [log] level", "error, warn, info, debug");
	expect_error("[bind]\nsigned_string = A,A\n", ":2: [bind] signed_string", "each once");
	expect_error("[bind]\nsigned_string = D\n", ":2:", "A, B or C");
	expect_error("[bind]\nsuccess_url = javascript:alert(1)\n", ":2: [bind] success_url",
	    "http");
	expect_error("[bind]\npath = relative\n", ":2: [bind] path", "absolute");
	expect_error("[server]\nthis line has no equals sign\n", ":2:", "syntax");
	expect_error("[server]\ntls_listen = :8443\n", "tls_cert_file", NULL);
}

/* Every error at once, and what would only fail at run time, found now. */
static void
test_every_error_and_run_time_failures(void **state)
{
	char err[CONFIG_ERR_LEN] = "";

	(void)state;
	assert_null(config_load(
	    write_conf("[server]\nnope = 1\ntimeout = five\n"
		       "[destinaton sales-ding]\ntype = dingtalk\nurl = x\n[log]\nlevel = loud\n"),
	    err, sizeof(err)));
	assert_non_null(strstr(err, ":2: [server] nope: unknown key"));
	assert_non_null(strstr(err, ":3: [server] timeout"));
	/* The misspelt section is blamed once, not each of its keys. */
	assert_non_null(strstr(err,
	    ":5: [destinaton sales-ding]: unknown section; did you mean "
	    "[destination sales-ding]?"));
	assert_null(strstr(err, "type: unknown key"));
	assert_non_null(strstr(err, ":8: [log] level"));

	expect_error("[database]\nurl = postgresql://u:hunter22@h:5432/db?nosuch=1\n",
	    "[database] url: not a connection string", NULL);
	assert_null(strstr(err, "hunter22"));
	expect_error("[database]\nurl = host=h port\n", "[database] url", NULL);
	expect_error("[server]\ntls_listen = 127.0.0.1:8443\ntls_cert_file = /nonexistent/c.pem\n"
		     "tls_key_file = /nonexistent/k.pem\n",
	    "[server] tls_cert_file /nonexistent/c.pem",
	    "[server] tls_key_file /nonexistent/k.pem");
	expect_error("[destination d]\ntype = slack\nurl = https://hooks.example/x\n"
		     "ca_file = /nonexistent/ca.pem\n",
	    "[destination d] ca_file /nonexistent/ca.pem", NULL);

	/* A misspelt variable is an error, with the name it was meant to be. */
	setenv("HCWATCH_DATABSE_URL", "dbname=x", 1);
	expect_error("",
	    "environment HCWATCH_DATABSE_URL: not a setting of hcwatch; did you mean "
	    "HCWATCH_DATABASE_URL?",
	    NULL);
	unsetenv("HCWATCH_DATABSE_URL");
	setenv("HCWATCH_DESTINATION_NOSUCH_SECRET", "x", 1);
	expect_error("", "HCWATCH_DESTINATION_NOSUCH_SECRET", "does not declare");
	unsetenv("HCWATCH_DESTINATION_NOSUCH_SECRET");
	/* The scripts' own variables are not settings, and are left alone. */
	setenv("HCWATCH_PORT", "8081", 1);
	{
		struct config *cfg = config_load(NULL, err, sizeof(err));

		assert_non_null(cfg);
		config_free(cfg);
	}
	unsetenv("HCWATCH_PORT");
}

static void
test_cross_checks_and_env_errors(void **state)
{
	char err[CONFIG_ERR_LEN];

	(void)state;
	unsetenv("HCWATCH_BIND_CERTIFICATES");
	assert_null(config_load(NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "[bind] certificates"));
	setenv("HCWATCH_BIND_ENABLED", "false", 1);
	{
		struct config *cfg = config_load(NULL, err, sizeof(err));

		assert_non_null(cfg);
		config_free(cfg);
	}
	unsetenv("HCWATCH_BIND_ENABLED");
	setenv("HCWATCH_BIND_CERTIFICATES", "/dev/null", 1);
	setenv("HCWATCH_DATABASE_BATCH_MAX", "0", 1);
	assert_null(config_load(NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "HCWATCH_DATABASE_BATCH_MAX"));
	unsetenv("HCWATCH_DATABASE_BATCH_MAX");
	assert_null(config_load("/nonexistent/hcwatch.conf", err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open"));
}

static void
test_huawei_and_poller_keys(void **state)
{
	char err[CONFIG_ERR_LEN];
	struct config *cfg, *copy;

	(void)state;
	expect_error("[poller]\nenabled = true\n", "access_key and secret_key", NULL);
	expect_error("[poller]\nenabled = true\n[huawei]\nauth = token\n", "iam_user", NULL);
	expect_error("[huawei]\nauth = magic\n", ".conf:2: [huawei] auth", "aksk, token");
	expect_error("[huawei]\nrate_limit_overrides = ListEverything=5\n", "ListEverything", NULL);
	expect_error("[huawei]\nendpoint = ftp://bss\n", "[huawei] endpoint", NULL);
	expect_error("[poller]\nresources_page_size = 501\n", "out of range", NULL);
	cfg = config_load(
	    write_conf("[huawei]\naccess_key = AK\nsecret_key = SK-secret\n"
		       "rate_limit_overrides = ListSubCustomers=3\n[poller]\nenabled = true\n"),
	    err, sizeof(err));
	assert_non_null(cfg);
	assert_true(cfg->poll_enabled);
	assert_int_equal(cfg->hw_rate_limit, 10);
	assert_int_equal(cfg->poll_resources_horizon_days, 60);
	copy = config_copy(cfg);
	config_free(cfg);
	assert_string_equal(copy->hw_secret_key, "SK-secret");
	assert_string_equal(copy->hw_endpoint, "https://bss.myhuaweicloud.com");
	{
		char *text = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&text, &len);

		config_dump(copy, out);
		fclose(out);
		assert_null(strstr(text, "SK-secret"));
		assert_non_null(strstr(text, "secret_key = ****"));
		free(text);
	}
	config_free(copy);
}

static void
test_reload_keeps_fixed_keys(void **state)
{
	char err[CONFIG_ERR_LEN];
	struct config *cur, *next;

	(void)state;
	cur = config_load(write_conf("[server]\nlisten = :1000\n[log]\nlevel = info\n"), err,
	    sizeof(err));
	next = config_load(write_conf("[server]\nlisten = :2000\n[log]\nlevel = debug\n"
				      "[database]\nurl = dbname=other password=hunter2\n"),
	    err, sizeof(err));
	assert_non_null(cur);
	assert_non_null(next);
	assert_int_equal(config_keep_fixed(cur, next), 2);
	assert_string_equal(next->listen, ":1000");
	assert_string_equal(next->database_url, "dbname=hcwatch");
	assert_int_equal(next->log_level, LOG_DEBUG); /* reloadable: taken */
	config_free(cur);
	config_free(next);
}

static void
test_secrets_masked(void **state)
{
	char out[512];
	char err[CONFIG_ERR_LEN];
	struct config *cfg;
	char *dump = NULL;
	size_t len = 0;
	FILE *mem;

	(void)state;
	config_mask_conninfo("postgresql://hc:s3cret@db.example:5432/hcwatch", out, sizeof(out));
	assert_null(strstr(out, "s3cret"));
	assert_non_null(strstr(out, "password=****"));
	config_mask_conninfo("host=db password='a b' dbname=x", out, sizeof(out));
	assert_null(strstr(out, "a b"));
	config_mask_conninfo("host='unterminated", out, sizeof(out));
	assert_non_null(strstr(out, "unparseable"));

	cfg = config_load(write_conf("[database]\nurl = dbname=x password=topsecret\n"), err,
	    sizeof(err));
	assert_non_null(cfg);
	mem = open_memstream(&dump, &len);
	config_dump(cfg, mem);
	fclose(mem);
	assert_null(strstr(dump, "topsecret"));
	assert_non_null(strstr(dump, "password=****"));
	assert_non_null(strstr(dump, "dbname=x"));
	free(dump);
	config_free(cfg);
}

static void
test_destinations_managers_and_routing(void **state)
{
	char err[CONFIG_ERR_LEN];
	struct config *cfg, *copy;
	const struct config_dest *d;
	char *dump = NULL;
	size_t len = 0;
	FILE *mem;
	int a, b;

	(void)state;
	setenv("HCWATCH_DESTINATION_SALES_DING_SECRET", "SECfromenv", 1);
	cfg = config_load(
	    write_conf(
		"[routing]\ndefault = ops, sales-ding\n"
		"[destination ops]\ntype = wecom\nurl = https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k\n"
		"quiet_hours = 22:00-08:00\ndigest = false\n"
		"[destination sales-ding]\ntype = dingtalk\nurl = https://oapi.dingtalk.com/robot/send?access_token=t\n"
		"fallback = ops\n"
		"[manager alice]\ndestinations = sales-ding\nmobile = 13800000001\n"
		"[alerts]\nexpiry_stages = 14, 3\nexpiry_stages_by_service = a.b: 5,1; c: 9\n"
		"low_balance_threshold = 99.50\n"),
	    err, sizeof(err));
	unsetenv("HCWATCH_DESTINATION_SALES_DING_SECRET");
	if (cfg == NULL)
		fail_msg("%s", err);
	assert_int_equal(cfg->n_dests, 2);
	d = config_dest_find(cfg, "sales-ding");
	assert_non_null(d);
	assert_int_equal(d->type, CONFIG_CH_DINGTALK);
	assert_string_equal(d->secret, "SECfromenv");
	assert_string_equal(d->fallback, "ops");
	assert_false(config_dest_find(cfg, "ops")->digest);
	assert_true(config_quiet_hours(config_dest_find(cfg, "ops")->quiet_hours, &a, &b));
	assert_int_equal(a, 22 * 60);
	assert_int_equal(b, 8 * 60);
	assert_int_equal(cfg->n_managers, 1);
	assert_string_equal(cfg->managers[0].mobile, "13800000001");

	/* A copy is deep and equal; a dump masks the secret. */
	copy = config_copy(cfg);
	assert_true(config_routes_equal(cfg, copy));
	mem = open_memstream(&dump, &len);
	config_dump(copy, mem);
	fclose(mem);
	assert_non_null(strstr(dump, "[destination sales-ding]"));
	assert_null(strstr(dump, "SECfromenv"));
	free(dump);

	/* Destinations and alert settings reload; serve restarts its alerting when they differ. */
	assert_true(config_alerting_equal(cfg, copy));
	free(copy->dests[0].url);
	copy->dests[0].url = strdup("https://other.example/");
	assert_false(config_routes_equal(cfg, copy));
	assert_int_equal(config_keep_fixed(cfg, copy), 0);
	assert_string_equal(copy->dests[0].url, "https://other.example/");
	assert_false(config_alerting_equal(cfg, copy));
	config_free(copy);
	copy = config_copy(cfg);
	copy->al_critical_days++;
	assert_true(config_routes_equal(cfg, copy));
	assert_false(config_alerting_equal(cfg, copy));
	copy->al_critical_days--;
	copy->log_level = LOG_ERROR;
	assert_true(config_alerting_equal(cfg, copy));
	config_free(copy);
	config_free(cfg);
}

static void
test_destination_errors(void **state)
{
	(void)state;
	expect_error("[destination x]\nurl = https://a.example/\n",
	    "[destination x] type is required", NULL);
	expect_error("[destination x]\ntype = carrier-pigeon\n", ":2: [destination x] type",
	    "expected one of wecom, dingtalk");
	expect_error("[destination x]\ntype = dingtalk\nurl = https://a.example/\n",
	    "[destination x] secret is required", NULL);
	expect_error("[destination x]\ntype = slack\nurl = https://a.example/\nfallback = y\n",
	    "fallback names destination \"y\"", NULL);
	expect_error(
	    "[destination x]\ntype = slack\nurl = https://a.example/\nquiet_hours = 8-22\n",
	    ":4: [destination x] quiet_hours", "HH:MM-HH:MM");
	expect_error(
	    "[destination x]\ntype = slack\nurl = https://a.example/\ntimezone = Mars/Base\n",
	    "unknown time zone", NULL);
	expect_error("[destination x]\ntype = email\nurl = smtp://m.example:587\nto = a@b.c\n",
	    "from and to are required", NULL);
	expect_error("[destination x]\ntype = email\nurl = smtp://m.example:25\nfrom = a@b.c\n"
		     "to = a@b.c\ntls = implicit\n",
	    "needs an smtps:// url", NULL);
	expect_error("[destination x]\ntype = slack\nurl = https://a.example/\nbogus = 1\n",
	    ":4: [destination x] bogus: unknown key", NULL);
	expect_error("[destination bad name!]\ntype = slack\n", "letters, digits", NULL);
	expect_error("[manager m]\ndestinations = nowhere\n",
	    "[manager m] destinations names destination \"nowhere\"", NULL);
	expect_error("[routing]\ndefault = nowhere\n", "[routing] default names", NULL);
	expect_error("[alerts]\nexpiry_stages = 30,abc\n", "[alerts] expiry_stages",
	    "expected days");
	expect_error("[alerts]\nexpiry_stages = 7,7\n", "7 is given twice", NULL);
	expect_error("[alerts]\nlow_balance_threshold = -5\n", "expected an amount", NULL);
	expect_error("[notifier]\nlease = 10\ntimeout = 15\n",
	    "[notifier] lease (10 s) must exceed", NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_file_and_env),
		cmocka_unit_test(test_errors_name_key_and_line),
		cmocka_unit_test(test_every_error_and_run_time_failures),
		cmocka_unit_test(test_cross_checks_and_env_errors),
		cmocka_unit_test(test_huawei_and_poller_keys),
		cmocka_unit_test(test_reload_keeps_fixed_keys),
		cmocka_unit_test(test_secrets_masked),
		cmocka_unit_test(test_destinations_managers_and_routing),
		cmocka_unit_test(test_destination_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
