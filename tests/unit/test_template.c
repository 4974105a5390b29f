/*
 * Templates: the mustache subset (util/template.c), and the sets of
 * templates an operator gives (notify/templates.c): what is refused, with
 * which line, and that an operator's template cannot turn a customer's name
 * into markup.
 */
#include "test_util.h"

#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/config.h"
#include "notify/channels.h"
#include "notify/render.h"
#include "notify/templates.h"
#include "util/template.h"

/* ---- the engine, with names a..z known and "on"/"off" as sections ---- */

static bool
known(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "name") == 0 || strcmp(name, "on") == 0 || strcmp(name, "off") == 0 ||
	    strcmp(name, "empty") == 0;
}

static bool
set(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "on") == 0 || strcmp(name, "name") == 0;
}

/* Every value as <name>, so that a test sees which value went where, and that it went through. */
static void
write_value(struct buf *out, const char *name, void *arg)
{
	(void)arg;
	buf_appendf(out, "<%s>", name);
}

static char *
render(const char *text)
{
	char err[256];
	struct tmpl *t = tmpl_parse(text, strlen(text), known, NULL, err, sizeof(err));
	struct tmpl_values v = { set, write_value, NULL };
	struct buf b;

	if (t == NULL)
		fail_msg("\"%s\" refused: %s", text, err);
	buf_init(&b);
	buf_append(&b, "", 0);
	tmpl_render(t, &v, &b);
	tmpl_free(t);
	return buf_release(&b);
}

static void
expect(const char *text, const char *want)
{
	char *got = render(text);

	assert_string_equal(got, want);
	free(got);
}

static void
refused(const char *text, const char *why)
{
	char err[256];
	struct tmpl *t = tmpl_parse(text, strlen(text), known, NULL, err, sizeof(err));

	if (t != NULL) {
		tmpl_free(t);
		fail_msg("\"%s\" was accepted", text);
	}
	if (strstr(err, why) == NULL)
		fail_msg("\"%s\": \"%s\" does not say \"%s\"", text, err, why);
}

static void
test_values_and_sections(void **state)
{
	(void)state;
	expect("", "");
	expect("plain text", "plain text");
	expect("a {{name}} b", "a <name> b");
	expect("{{ name }}", "<name>");
	expect("{{#on}}yes{{/on}}{{#off}}no{{/off}}", "yes");
	expect("{{^on}}no{{/on}}{{^off}}yes{{/off}}", "yes");
	expect("{{#on}}{{^off}}{{#name}}deep {{name}}{{/name}}{{/off}}{{/on}}", "deep <name>");
	expect("{{#off}}{{#on}}hidden{{/on}}{{/off}}after", "after");
	expect("x{{! a comment, {{ even with braces }}y", "xy");
	expect("单 {{name}} 字", "单 <name> 字");
	expect("a } b { c }} d", "a } b { c }} d");
}

static void
test_line_breaks_and_indentation_are_dropped(void **state)
{
	(void)state;
	expect("one\n\ttwo\n    three\n", "onetwothree");
	expect("kept \nspace", "kept space");
	expect("dropped\n space", "droppedspace");
	expect("{{#on}}\n\t{{! }} anchored{{/on}}\n", " anchored");
	expect("crlf\r\n\tline", "crlfline");
	expect("{{! a comment\nover lines }}end", "end");
}

static void
test_what_is_refused_and_where(void **state)
{
	(void)state;
	refused("{{{name}}}", "unescaped");
	refused("{{&name}}", "unescaped");
	refused("{{> partial}}", "partials");
	refused("{{=<% %>=}}", "delimiters");
	refused("a {{nobody}}", "there is no \"nobody\"");
	refused("{{#nobody}}x{{/nobody}}", "there is no \"nobody\"");
	refused("{{#on}}x", "never closed");
	refused("a\n{{^on}}\nb\n", "line 2: {{^on}} is never closed");
	refused("{{/on}}", "closes no section");
	refused("{{#on}}{{#off}}x{{/on}}{{/off}}", "where {{/off}} was expected");
	refused("{{name", "never closed by");
	refused("{{}}", "names nothing");
	refused("{{na-me}}", "a name is letters");
	refused("ok\n\nline three {{bad!}}", "line 3:");
	refused("bad \xff byte", "not UTF-8");
	refused("bell \a", "control character");
	refused("bidi \xe2\x80\xae", "control character");
	{
		char deep[512] = "";

		for (int i = 0; i <= TMPL_MAX_DEPTH; i++)
			strcat(deep, "{{#on}}");
		refused(deep, "nested deeper");
	}
	{
		size_t n = TMPL_MAX_BYTES + 1;
		char *big = malloc(n + 1);

		memset(big, 'x', n);
		big[n] = '\0';
		refused(big, "longer than");
		free(big);
	}
}

/* ---- sets of templates, from an operator's folder ---- */

static char dir[256];

static void
put(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
empty_dir(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", dir, dir);
	assert_int_equal(system(cmd), 0);
}

static struct templates *
load_ok(void)
{
	char err[512];
	struct templates *t = templates_load(dir, err, sizeof(err));

	if (t == NULL)
		fail_msg("refused: %s", err);
	return t;
}

static void
load_refused(const char *why)
{
	char err[512];
	struct templates *t = templates_load(dir, err, sizeof(err));

	if (t != NULL) {
		templates_unref(t);
		fail_msg("accepted; wanted \"%s\"", why);
	}
	if (strstr(err, why) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", err, why);
}

static json_t *
hostile_items(void)
{
	return json_pack("[{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:i}}]", "kind",
	    "expiry", "event", "firing", "stage", "7d", "severity", "warning", "facts",
	    "customer_id", "c1", "customer", "Acme", "resource", "[x](http://evil.example) @all",
	    "region", "<at user_id=\"all\">", "service", "**ECS**", "expire_local",
	    "2026-12-08 10:00", "days_left", 7);
}

static char *
render_with(const struct templates *t, int channel, int language)
{
	struct render_opts o = { .channel = channel,
		.language = language,
		.key = "k",
		.max_parts = 10,
		.templates = t };
	json_t *items = hostile_items(), *parts = render_delivery(&o, items);
	char *text = strdup(json_string_value(json_object_get(json_array_get(parts, 0), "text")));

	json_decref(parts);
	json_decref(items);
	return text;
}

static void
test_builtin_set_is_whole(void **state)
{
	struct templates *t;

	(void)state;
	empty_dir();
	t = load_ok();
	/* Every kind of every rule, in both languages, built in when the folder is empty. */
	for (size_t i = 0; rules[i]; i++) {
		for (const struct rule_kind *k = rules[i]->kinds; k->kind; k++) {
			for (int lang = 0; lang < 2; lang++) {
				assert_non_null(templates_find(t, k->kind, lang));
				assert_string_equal(templates_source(t, k->kind, lang), "built in");
			}
		}
	}
	assert_non_null(templates_find(t, "test", CONFIG_LANG_EN));
	assert_null(templates_find(t, "no_such_kind", CONFIG_LANG_EN));
	assert_true(templates_same(t, templates_builtin()));
	templates_unref(t);
}

static void
test_an_operator_template_replaces_one_kind_and_one_language(void **state)
{
	struct templates *t;
	char *zh, *en, path[512];

	(void)state;
	empty_dir();
	put("expiry.en.mustache",
	    "**{{resource}}** ({{region}}) {{service}}: {{days_left}} days\n");
	t = load_ok();
	snprintf(path, sizeof(path), "%s/expiry.en.mustache", dir);
	assert_string_equal(templates_source(t, "expiry", CONFIG_LANG_EN), path);
	assert_string_equal(templates_source(t, "expiry", CONFIG_LANG_ZH), "built in");
	assert_false(templates_same(t, templates_builtin()));
	en = render_with(t, CONFIG_CH_WECOM, CONFIG_LANG_EN);
	zh = render_with(t, CONFIG_CH_WECOM, CONFIG_LANG_ZH);
	/* The operator's words and markup, around values that stay text. */
	assert_non_null(strstr(en,
	    "- [warning] **［x］(http∶//evil․example) ＠all** "
	    "(＜at user_id=\"all\"＞) ∗∗ECS∗∗: 7 days\n"));
	assert_null(strstr(en, "](http"));
	assert_null(strstr(en, "@all"));
	assert_null(strstr(en, "<at"));
	assert_non_null(strstr(zh, " 将于 2026-12-08 10:00 到期，剩 7 天"));
	free(en);
	free(zh);
	templates_unref(t);
}

static void
test_every_channel_escapes_an_operator_template_s_values(void **state)
{
	struct templates *t;

	(void)state;
	empty_dir();
	put("expiry.en.mustache", "<{{resource}}> [{{region}}]({{service}})");
	t = load_ok();
	for (int ch = 0; ch < CONFIG_CH_COUNT; ch++) {
		char *text = render_with(t, ch, CONFIG_LANG_EN);

		if (ch != CONFIG_CH_WEBHOOK && ch != CONFIG_CH_EMAIL) {
			assert_null(strstr(text, "[x]"));
			assert_null(strstr(text, "<at"));
			assert_null(strstr(text, "http://"));
		}
		/* Everywhere, a value cannot break the item's line. */
		assert_null(strstr(text, "\n\n\n"));
		free(text);
	}
	templates_unref(t);
}

static void
test_a_folder_with_a_mistake_is_refused_whole(void **state)
{
	(void)state;
	empty_dir();
	put("expiry.en.mustache", "{{resource}}\n{{#resolved}}\n{{/resolved}}\n{{customer_nmae}}");
	load_refused(
	    "expiry.en.mustache: line 4: {{customer_nmae}}: there is no \"customer_nmae\"");
	empty_dir();
	put("expiry.en.mustache", "{{{resource}}}");
	load_refused("unescaped");
	empty_dir();
	put("expiri.en.mustache", "x");
	load_refused("expiri.en.mustache: not <kind>.<zh|en>.mustache of a kind of alert");
	empty_dir();
	put("expiry.fr.mustache", "x");
	load_refused("expiry.fr.mustache: not <kind>.<zh|en>.mustache");
	empty_dir();
	put("notes.txt", "x");
	load_refused("notes.txt: not <kind>.<zh|en>.mustache");
	empty_dir();
	/* Names of one kind are not names of another. */
	put("arrears.zh.mustache", "{{resource}}");
	load_refused("there is no \"resource\"");
	empty_dir();
	put("customer_new.en.mustache", "{{#event_frozen}}x{{/event_frozen}}");
	load_refused("there is no \"event_frozen\"");
	{
		char path[512], err[512];

		empty_dir();
		snprintf(path, sizeof(path), "%s/expiry.zh.mustache", dir);
		assert_int_equal(mkdir(path, 0755), 0);
		assert_null(templates_load(dir, err, sizeof(err)));
		assert_non_null(strstr(err, "not a regular file"));
		snprintf(path, sizeof(path), "%s/nowhere", dir);
		assert_null(templates_load(path, err, sizeof(err)));
		assert_non_null(strstr(err, "No such file"));
	}
	/* Dot files (an editor's, a checkout's) are not templates and not mistakes. */
	empty_dir();
	put(".expiry.en.mustache.swp", "{{{");
	templates_unref(load_ok());
}

static void
test_choices_and_stages_are_sections(void **state)
{
	struct templates *t;
	struct render_opts o = { .channel = CONFIG_CH_WEBHOOK,
		.language = CONFIG_LANG_EN,
		.key = "k",
		.max_parts = 10 };
	json_t *items, *parts;
	const char *text;

	(void)state;
	empty_dir();
	put("customer_new.en.mustache",
	    "{{#event_reassociated}}back: {{account_name}}{{/event_reassociated}}"
	    "{{^event_reassociated}}new: {{account_name}}{{/event_reassociated}}");
	put("arrears.en.mustache",
	    "{{#stage_paid}}paid{{/stage_paid}}{{^resolved}}owes "
	    "{{debt}}{{/resolved}}");
	t = load_ok();
	o.templates = t;
	items = json_pack("[{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}},"
			  " {s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}},"
			  " {s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}}]",
	    "kind", "customer_new", "event", "notice", "stage", "", "severity", "info", "facts",
	    "customer_id", "c1", "account_name", "acct-1", "event", "reassociated", "kind",
	    "arrears", "event", "resolved", "stage", "paid", "severity", "info", "facts",
	    "customer_id", "c2", "debt", "0", "currency", "CNY", "kind", "arrears", "event",
	    "firing", "stage", "arrears", "severity", "critical", "facts", "customer_id", "c3",
	    "debt", "12.50", "currency", "USD");
	parts = render_delivery(&o, items);
	text = json_string_value(json_object_get(json_array_get(parts, 0), "text"));
	assert_non_null(strstr(text, "back: acct-1\n"));
	assert_non_null(strstr(text, "[resolved] paid\n"));
	assert_non_null(strstr(text, "[critical] owes 12.50 USD\n"));
	json_decref(parts);
	json_decref(items);
	templates_unref(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_and_sections),
		cmocka_unit_test(test_line_breaks_and_indentation_are_dropped),
		cmocka_unit_test(test_what_is_refused_and_where),
		cmocka_unit_test(test_builtin_set_is_whole),
		cmocka_unit_test(test_an_operator_template_replaces_one_kind_and_one_language),
		cmocka_unit_test(test_every_channel_escapes_an_operator_template_s_values),
		cmocka_unit_test(test_a_folder_with_a_mistake_is_refused_whole),
		cmocka_unit_test(test_choices_and_stages_are_sections),
	};
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/hcwatch-test-templates-%d", (int)getpid());
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			rc = 1;
	}
	return rc;
}
