/*
 * Templates: any bytes as an operator's expiry.en.mustache, read as hcwatch
 * reads the folder. A refusal says which line; what is accepted renders, for
 * every channel, a value that holds a control character and a line break
 * as text that keeps neither: an operator's template cannot let a value
 * break the item's line or reach the message raw.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/config.h"
#include "fuzz.h"
#include "notify/render.h"
#include "notify/templates.h"
#include "util/utf8.h"

static char dir[64], file[128];
static json_t *items;

static void
cleanup(void)
{
	unlink(file);
	rmdir(dir);
	json_decref(items);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "/tmp/hcwatch-fuzz-template-%d", (int)getpid());
	snprintf(file, sizeof(file), "%s/expiry.en.mustache", dir);
	if (mkdir(dir, 0700) != 0)
		abort();
	items = json_pack("[{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:i, s:b}}]", "kind",
	    "expiry", "event", "firing", "stage", "7d", "severity", "warning", "facts",
	    "customer_id", "c1", "resource", "a\a[b](http://c) @all\n- x", "region",
	    "\xe2\x80\xae"
	    "evil",
	    "service", "**s**", "expire_local", "2026-12-08 10:00", "days_left", 7, "auto_renew",
	    1);
	atexit(cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(file, "wb");
	char err[512];
	struct templates *t;

	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	t = templates_load(dir, err, sizeof(err));
	if (t == NULL) {
		if (strstr(err, "expiry.en.mustache: ") == NULL)
			abort();
		return 0;
	}
	for (int ch = 0; ch < CONFIG_CH_COUNT; ch++) {
		struct render_opts o = { .channel = ch,
			.language = CONFIG_LANG_EN,
			.key = "k",
			.max_parts = 10,
			.templates = t };
		json_t *parts = render_delivery(&o, items);

		for (size_t i = 0; i < json_array_size(parts); i++) {
			const char *text =
			    json_string_value(json_object_get(json_array_get(parts, i), "text"));

			if (text == NULL || !utf8_valid(text, strlen(text)) || strchr(text, '\a') ||
			    strstr(text, "\n- x") || strstr(text, "\xe2\x80\xae"))
				abort();
		}
		json_decref(parts);
	}
	templates_unref(t);
	return 0;
}
