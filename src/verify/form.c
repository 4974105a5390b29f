#include "verify/form.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/pct.h"
#include "util/xalloc.h"

static bool url_decode(const char *s, size_t len, struct buf *out);
static bool add_field(struct form *f, const char *name, size_t nlen, const char *value, size_t vlen,
    char *err, size_t errlen);
static bool header_param(const char *header, const char *param, char *out, size_t outlen);
static const char *memfind(const char *hay, size_t haylen, const char *needle, size_t nlen);

void
form_init(struct form *f)
{
	f->fields = NULL;
	f->n = 0;
}

void
form_cleanup(struct form *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->fields[i].name);
		free(f->fields[i].value);
	}
	free(f->fields);
	form_init(f);
}

/* Form decoding: "+" is a space, "%XY" a byte; a stray "%" is an error. */
static bool
url_decode(const char *s, size_t len, struct buf *out)
{
	buf_reset(out);
	return pct_decode(out, s, len, true);
}

static bool
add_field(struct form *f, const char *name, size_t nlen, const char *value, size_t vlen, char *err,
    size_t errlen)
{
	struct form_field *fld;

	if (f->n >= FORM_MAX_FIELDS) {
		snprintf(err, errlen, "more than %d form fields", FORM_MAX_FIELDS);
		return false;
	}
	if (memchr(name, '\0', nlen) != NULL) {
		snprintf(err, errlen, "a form field name contains a NUL byte");
		return false;
	}
	f->fields = xrealloc(f->fields, (f->n + 1) * sizeof(*f->fields));
	fld = &f->fields[f->n++];
	fld->name = xstrndup(name, nlen);
	fld->value = xmalloc(vlen + 1);
	memcpy(fld->value, value, vlen);
	fld->value[vlen] = '\0';
	fld->value_len = vlen;
	return true;
}

bool
form_parse_urlencoded(struct form *f, const char *body, size_t len, char *err, size_t errlen)
{
	struct buf name, value;
	size_t pos = 0;
	bool ok = false;

	buf_init(&name);
	buf_init(&value);
	while (pos < len) {
		const char *amp = memchr(body + pos, '&', len - pos);
		size_t end = amp ? (size_t)(amp - body) : len;
		const char *eq = memchr(body + pos, '=', end - pos);
		size_t nend = eq ? (size_t)(eq - body) : end;

		if (end == pos) { /* "a=1&&b=2": an empty pair is harmless */
			pos++;
			continue;
		}
		if (!url_decode(body + pos, nend - pos, &name) ||
		    !url_decode(eq ? eq + 1 : body + end, eq ? end - nend - 1 : 0, &value)) {
			snprintf(err, errlen, "malformed percent escape near byte %zu", pos);
			goto out;
		}
		if (!add_field(f, name.data, name.len, value.data, value.len, err, errlen))
			goto out;
		pos = end + 1;
	}
	ok = true;
out:
	buf_cleanup(&name);
	buf_cleanup(&value);
	return ok;
}

void
form_media_type(const char *content_type, char *out, size_t outlen)
{
	size_t n = 0;
	const char *p = content_type ? content_type : "";

	while (*p == ' ' || *p == '\t')
		p++;
	while (*p && *p != ';' && *p != ' ' && *p != '\t' && n + 1 < outlen)
		out[n++] = (char)tolower((unsigned char)*p++);
	out[n] = '\0';
}

/* Reads param="value" or param=value from a header value (case-insensitive name). */
static bool
header_param(const char *header, const char *param, char *out, size_t outlen)
{
	size_t plen = strlen(param);
	const char *p = strchr(header, ';');

	while (p) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, param, plen) == 0 && p[plen] == '=') {
			const char *v = p + plen + 1;
			size_t n = 0;

			if (*v == '"') {
				v++;
				while (*v && *v != '"' && n + 1 < outlen)
					out[n++] = *v++;
				if (*v != '"')
					return false;
			} else {
				while (*v && *v != ';' && *v != ' ' && *v != '\t' && n + 1 < outlen)
					out[n++] = *v++;
			}
			out[n] = '\0';
			return n > 0;
		}
		p = strchr(p, ';');
	}
	return false;
}

static const char *
memfind(const char *hay, size_t haylen, const char *needle, size_t nlen)
{
	if (nlen == 0 || haylen < nlen)
		return NULL;
	for (size_t i = 0; i + nlen <= haylen; i++) {
		if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
			return hay + i;
	}
	return NULL;
}

bool
form_parse_multipart(struct form *f, const char *content_type, const char *body, size_t len,
    char *err, size_t errlen)
{
	char boundary[80];
	char delim[86];
	size_t dlen, pos;
	const char *p;

	/* RFC 2046: the boundary is 1 to 70 characters. */
	if (!header_param(content_type, "boundary", boundary, sizeof(boundary)) ||
	    strlen(boundary) > 70) {
		snprintf(err, errlen, "multipart/form-data without a valid boundary parameter");
		return false;
	}
	dlen = (size_t)snprintf(delim, sizeof(delim), "--%s", boundary);

	p = memfind(body, len, delim, dlen);
	if (p == NULL) {
		snprintf(err, errlen, "multipart body does not contain its boundary");
		return false;
	}
	pos = (size_t)(p - body) + dlen;
	for (;;) {
		const char *hdr_end, *next, *h;
		char name[256] = "";
		size_t hlen;

		if (len - pos >= 2 && memcmp(body + pos, "--", 2) == 0)
			return true; /* closing delimiter */
		if (len - pos < 2 || memcmp(body + pos, "\r\n", 2) != 0) {
			snprintf(err, errlen, "multipart boundary not followed by CRLF");
			return false;
		}
		pos += 2;
		hdr_end = memfind(body + pos, len - pos, "\r\n\r\n", 4);
		if (hdr_end == NULL) {
			snprintf(err, errlen,
			    "multipart part without the blank line after its headers");
			return false;
		}
		/* Headers of the part: we need only Content-Disposition's name. */
		h = body + pos;
		hlen = (size_t)(hdr_end - h);
		while (hlen > 0) {
			const char *eol = memfind(h, hlen, "\r\n", 2);
			size_t l = eol ? (size_t)(eol - h) : hlen;

			if (l > 20 && strncasecmp(h, "content-disposition:", 20) == 0) {
				char line[1024];

				if (l >= sizeof(line)) {
					snprintf(err, errlen,
					    "multipart Content-Disposition header too long");
					return false;
				}
				memcpy(line, h, l);
				line[l] = '\0';
				if (!header_param(line, "name", name, sizeof(name))) {
					snprintf(err, errlen,
					    "multipart part without a field name");
					return false;
				}
			}
			if (eol == NULL)
				break;
			hlen -= l + 2;
			h = eol + 2;
		}
		if (name[0] == '\0') {
			snprintf(err, errlen,
			    "multipart part without Content-Disposition: form-data");
			return false;
		}
		pos = (size_t)(hdr_end - body) + 4;
		{
			char crlf_delim[90];
			size_t cl =
			    (size_t)snprintf(crlf_delim, sizeof(crlf_delim), "\r\n%s", delim);

			next = memfind(body + pos, len - pos, crlf_delim, cl);
			if (next == NULL) {
				snprintf(err, errlen,
				    "multipart part is not closed by its boundary");
				return false;
			}
			if (!add_field(f, name, strlen(name), body + pos,
				(size_t)(next - body) - pos, err, errlen))
				return false;
			pos = (size_t)(next - body) + cl;
		}
	}
}

const struct form_field *
form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->fields[i].name, name) == 0)
			return &f->fields[i];
	}
	return NULL;
}

size_t
form_count(const struct form *f, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += strcmp(f->fields[i].name, name) == 0;
	return n;
}

char *
form_urlencode(const char *s, size_t len)
{
	struct buf b;

	buf_init(&b);
	pct_encode(&b, s, len);
	return buf_release(&b);
}
