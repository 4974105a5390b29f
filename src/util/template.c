#include "util/template.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"
#include "util/xalloc.h"

enum op { OP_TEXT, OP_VALUE, OP_SECTION, OP_INVERTED, OP_END };

/*
 * A template is a flat list of nodes. A section's node says where its end
 * is, so that rendering skips it without a stack: rendering is a loop over
 * the list, never recursion.
 */
struct node {
	enum op op;
	char *s; /* the text, or the name */
	size_t len;
	size_t end; /* OP_SECTION, OP_INVERTED: the index of its OP_END */
	int line;   /* where it starts, for a section that is never closed */
};

struct tmpl {
	struct node *nodes;
	size_t n;
};

struct reader {
	const char *p, *end;
	int line;
	char *err;
	size_t errlen;
	struct tmpl *t;
};

static bool __attribute__((format(printf, 2, 3))) fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(r->err, r->errlen, "line %d: ", r->line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < r->errlen)
		vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

static void
add(struct tmpl *t, enum op op, const char *s, size_t len)
{
	struct node *nd;

	t->nodes = xrealloc(t->nodes, (t->n + 1) * sizeof(*t->nodes));
	nd = &t->nodes[t->n++];
	nd->op = op;
	nd->s = xmalloc(len + 1);
	memcpy(nd->s, s, len);
	nd->s[len] = '\0';
	nd->len = len;
	nd->end = 0;
	nd->line = 0;
}

/* Literal text up to the next tag: line breaks and the indentation after them dropped. */
static bool
read_text(struct reader *r)
{
	struct buf b;

	buf_init(&b);
	while (r->p < r->end && !(r->end - r->p >= 2 && r->p[0] == '{' && r->p[1] == '{')) {
		uint32_t cp;
		size_t n = utf8_decode(r->p, (size_t)(r->end - r->p), &cp);

		if (n == 0) {
			buf_cleanup(&b);
			return fail(r, "not UTF-8");
		}
		if (cp == '\r' && r->end - r->p >= 2 && r->p[1] == '\n') {
			r->p++;
			continue;
		}
		if (cp == '\n') {
			r->line++;
			r->p++;
			while (r->p < r->end && (*r->p == ' ' || *r->p == '\t'))
				r->p++;
			continue;
		}
		if (cp != '\t' && (utf8_is_control(cp) || utf8_is_bidi_control(cp))) {
			buf_cleanup(&b);
			return fail(r, "control character U+%04X", (unsigned)cp);
		}
		buf_append(&b, r->p, n);
		r->p += n;
	}
	if (b.len)
		add(r->t, OP_TEXT, b.data, b.len);
	buf_cleanup(&b);
	return true;
}

static bool
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_';
}

/* The tag at r->p ("{{"): one node, or the end of the section open[depth - 1]. */
static bool
read_tag(struct reader *r, size_t *open, int *depth, tmpl_known_fn known, void *arg)
{
	const char *start = r->p + 2, *close = NULL, *name, *name_end;
	char kind;

	for (const char *q = start; q + 1 < r->end; q++) {
		if (q[0] == '}' && q[1] == '}') {
			close = q;
			break;
		}
	}
	if (close == NULL)
		return fail(r, "\"{{\" is never closed by \"}}\"");
	kind = start < close ? *start : '\0';
	if (kind == '!') {
		for (const char *q = start; q < close; q++)
			r->line += *q == '\n';
		r->p = close + 2;
		return true;
	}
	if (kind == '{' || kind == '&')
		return fail(r,
		    "{{%c…}} would write a value unescaped; every value is escaped for "
		    "where the message goes",
		    kind);
	if (kind == '>' || kind == '=')
		return fail(r, "{{%c…}} (%s) is not supported", kind,
		    kind == '>' ? "partials" : "changing the delimiters");
	name = start + (kind == '#' || kind == '^' || kind == '/');
	while (name < close && *name == ' ')
		name++;
	name_end = name;
	while (name_end < close && name_char(*name_end))
		name_end++;
	for (const char *q = name_end; q < close; q++) {
		if (*q != ' ')
			return fail(r, "{{%.*s}}: a name is letters, digits and _",
			    (int)(close - start), start);
	}
	if (name_end == name)
		return fail(r, "{{%.*s}} names nothing", (int)(close - start), start);
	if (name_end - name > TMPL_MAX_NAME)
		return fail(r, "a name longer than %d characters", TMPL_MAX_NAME);
	{
		char n[TMPL_MAX_NAME + 1];

		memcpy(n, name, (size_t)(name_end - name));
		n[name_end - name] = '\0';
		if (kind == '/') {
			struct node *o;

			if (*depth == 0)
				return fail(r, "{{/%s}} closes no section", n);
			o = &r->t->nodes[open[*depth - 1]];
			if (strcmp(o->s, n) != 0)
				return fail(r, "{{/%s}} where {{/%s}} was expected", n, o->s);
			add(r->t, OP_END, n, strlen(n));
			o = &r->t->nodes[open[--*depth]];
			o->end = r->t->n - 1;
		} else {
			if (!known(n, arg))
				return fail(r, "{{%.*s}}: there is no \"%s\" here",
				    (int)(close - start), start, n);
			if (kind == '#' || kind == '^') {
				if (*depth == TMPL_MAX_DEPTH)
					return fail(r, "sections nested deeper than %d",
					    TMPL_MAX_DEPTH);
				add(r->t, kind == '#' ? OP_SECTION : OP_INVERTED, n, strlen(n));
				r->t->nodes[r->t->n - 1].line = r->line;
				open[(*depth)++] = r->t->n - 1;
			} else {
				add(r->t, OP_VALUE, n, strlen(n));
			}
		}
	}
	r->p = close + 2;
	return true;
}

struct tmpl *
tmpl_parse(const char *text, size_t len, tmpl_known_fn known, void *arg, char *err, size_t errlen)
{
	struct tmpl *t = xcalloc(1, sizeof(*t));
	struct reader r = { text, text + len, 1, err, errlen, t };
	size_t open[TMPL_MAX_DEPTH];
	int depth = 0;

	if (len > TMPL_MAX_BYTES) {
		snprintf(err, errlen, "longer than %d bytes", TMPL_MAX_BYTES);
		tmpl_free(t);
		return NULL;
	}
	while (r.p < r.end) {
		bool ok = r.end - r.p >= 2 && r.p[0] == '{' && r.p[1] == '{' ?
		    read_tag(&r, open, &depth, known, arg) :
		    read_text(&r);

		if (!ok) {
			tmpl_free(t);
			return NULL;
		}
	}
	if (depth > 0) {
		const struct node *o = &t->nodes[open[depth - 1]];

		r.line = o->line;
		fail(&r, "{{%c%s}} is never closed", o->op == OP_SECTION ? '#' : '^', o->s);
		tmpl_free(t);
		return NULL;
	}
	return t;
}

void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->nodes[i].s);
	free(t->nodes);
	free(t);
}

void
tmpl_render(const struct tmpl *t, const struct tmpl_values *v, struct buf *out)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct node *nd = &t->nodes[i];

		switch (nd->op) {
		case OP_TEXT: buf_append(out, nd->s, nd->len); break;
		case OP_VALUE: v->write(out, nd->s, v->arg); break;
		case OP_SECTION:
		case OP_INVERTED:
			if (v->set(nd->s, v->arg) != (nd->op == OP_SECTION))
				i = nd->end;
			break;
		case OP_END: break;
		}
	}
}
