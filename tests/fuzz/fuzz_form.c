/*
 * The form parsers. Input: a Content-Type line, then the body. Both parsers
 * see every input; a field's value_len must lie inside what was allocated.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "verify/form.h"

/* Reads every byte of every field, so that ASan sees a length beyond its allocation. */
static void
check(const struct form *f)
{
	volatile unsigned char sink = 0;

	if (f->n > FORM_MAX_FIELDS)
		abort();
	for (size_t i = 0; i < f->n; i++) {
		for (const char *p = f->fields[i].name; *p; p++)
			sink ^= (unsigned char)*p;
		for (size_t k = 0; k < f->fields[i].value_len; k++)
			sink ^= (unsigned char)f->fields[i].value[k];
		/* A NUL follows every value: bind_verify tells embedded NULs by strlen. */
		if (f->fields[i].value[f->fields[i].value_len] != '\0')
			abort();
	}
	(void)sink;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ct_len = nl ? (size_t)(nl - data) : 0;
	const char *body = nl ? (const char *)nl + 1 : (const char *)data;
	size_t body_len = nl ? size - ct_len - 1 : size;
	char *ct = malloc(ct_len + 1), err[FORM_ERR_LEN], media[64];
	struct form f;

	memcpy(ct, data, ct_len);
	ct[ct_len] = '\0';

	form_init(&f);
	if (form_parse_urlencoded(&f, body, body_len, err, sizeof(err)))
		check(&f);
	form_cleanup(&f);

	form_init(&f);
	if (form_parse_multipart(&f, ct, body, body_len, err, sizeof(err)))
		check(&f);
	form_cleanup(&f);

	form_media_type(ct, media, sizeof(media));
	free(form_urlencode(body, body_len));
	free(ct);
	return 0;
}
