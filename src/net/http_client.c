#include "net/http_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "util/clock.h"
#include "util/xalloc.h"

struct http_client {
	CURL *curl;
	struct http_client_opts opts;
	char *ca_file;
	char errbuf[CURL_ERROR_SIZE];
	bool too_large;
};

struct sink {
	struct http_client *c;
	struct http_response *resp;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg);
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *arg);
static int on_prereq(void *arg, char *primary_ip, char *local_ip, int primary_port, int local_port);

struct http_client *
http_client_new(const struct http_client_opts *opts)
{
	struct http_client *c = xcalloc(1, sizeof(*c));

	c->opts = *opts;
	c->ca_file = opts->ca_file && *opts->ca_file ? xstrdup(opts->ca_file) : NULL;
	c->opts.ca_file = c->ca_file;
	c->curl = curl_easy_init();
	if (c->curl == NULL)
		abort();
	return c;
}

void
http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c->ca_file);
	free(c);
}

void
http_response_init(struct http_response *r)
{
	r->status = 0;
	r->sent_us = 0;
	buf_init(&r->body);
	buf_init(&r->headers);
}

void
http_response_cleanup(struct http_response *r)
{
	if (r == NULL)
		return;
	buf_cleanup(&r->body);
	buf_cleanup(&r->headers);
	r->status = 0;
}

const char *
http_response_as_string(const struct http_response *r)
{
	return r->body.data ? r->body.data : "";
}

bool
http_response_header(const struct http_response *r, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = r->headers.data;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
			const char *v = p + nlen + 1;
			const char *end = p + len;

			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			while (end > v && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
				end--;
			if ((size_t)(end - v) >= outlen)
				return false;
			memcpy(out, v, (size_t)(end - v));
			out[end - v] = '\0';
			return true;
		}
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

void
http_url_host(const char *url, char *out, size_t outlen)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;

	if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
			snprintf(out, outlen, "%s:%s", host, port);
		else
			snprintf(out, outlen, "%s", host);
	} else {
		snprintf(out, outlen, "(a URL that does not parse)");
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

/* The first occurrence of the len bytes at s in text, or NULL. */
static char *
find(char *text, const char *s, size_t len)
{
	for (char *p = text; *p; p++) {
		if (strncmp(p, s, len) == 0)
			return p;
	}
	return NULL;
}

/* Replaces every occurrence of the len bytes at s in text with "…" (never longer). */
static void
redact_one(char *text, const char *s, size_t len)
{
	static const char mark[] = "\u2026";
	char *p, *from = text;

	/* Shorter than the mark, or than any credential: left alone. */
	if (len < 4)
		return;
	while ((p = find(from, s, len)) != NULL) {
		memcpy(p, mark, sizeof(mark) - 1);
		memmove(p + sizeof(mark) - 1, p + len, strlen(p + len) + 1);
		from = p + sizeof(mark) - 1;
	}
}

/*
 * The parts of a URL that may be credentials: what follows the host, each
 * query value, each path segment long enough to be a token (robot keys,
 * access tokens and hook ids are 24 to 64 characters; "cgi-bin", "send"
 * and "v2" are left alone), and a user and password.
 */
void
http_redact(char *text, const char *url, const char *secret)
{
	const char *p, *rest;

	if (text == NULL)
		return;
	if (secret && *secret)
		redact_one(text, secret, strlen(secret));
	if (url == NULL || *url == '\0')
		return;
	redact_one(text, url, strlen(url));
	p = strstr(url, "://");
	p = p ? p + 3 : url;
	rest = p + strcspn(p, "/?#");
	if (*rest)
		redact_one(text, rest, strlen(rest));
	/* user:password@ */
	{
		const char *at = memchr(p, '@', (size_t)(rest - p));

		if (at) {
			const char *colon = memchr(p, ':', (size_t)(at - p));

			redact_one(text, p, (size_t)(at - p));
			if (colon)
				redact_one(text, colon + 1, (size_t)(at - colon - 1));
		}
	}
	while (*rest) {
		size_t n;

		rest += strspn(rest, "/?#&=");
		n = strcspn(rest, "/?#&=");
		if (n >= 12 || (rest > url && rest[-1] == '='))
			redact_one(text, rest, n);
		rest += n;
	}
}

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (s->resp->body.len + n > s->c->opts.max_response) {
		s->c->too_large = true;
		return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
	}
	buf_append(&s->resp->body, ptr, n);
	return n;
}

/* Called once the connection is up, just before the request is written. */
static int
on_prereq(void *arg, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
	struct sink *s = arg;

	(void)primary_ip;
	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	s->resp->sent_us = clock_mono_us();
	return CURL_PREREQFUNC_OK;
}

static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	/* A new status line (after 100 Continue, say): keep only the final response's headers. */
	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
		buf_reset(&s->resp->headers);
	if (s->resp->headers.len + n > 64 * 1024)
		return 0;
	buf_append(&s->resp->headers, ptr, n);
	return n;
}

bool
http_client_request(struct http_client *c, const char *method, const char *url,
    const char *const *headers, const void *body, size_t body_len, struct http_response *resp,
    char *err, size_t errlen)
{
	struct curl_slist *list = NULL;
	struct sink sink = { c, resp };
	CURL *h = c->curl;
	CURLcode rc;
	bool ok = false;

	buf_reset(&resp->body);
	buf_reset(&resp->headers);
	buf_append(&resp->body, "", 0);
	resp->status = 0;
	resp->sent_us = 0;
	c->too_large = false;
	c->errbuf[0] = '\0';
	for (size_t i = 0; headers && headers[i]; i++)
		list = curl_slist_append(list, headers[i]);
	/* No "Expect: 100-continue" round trip for small JSON bodies. */
	list = curl_slist_append(list, "Expect:");

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->opts.timeout_ms);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "hcwatch/" HCWATCH_VERSION);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
	curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
	curl_easy_setopt(h, CURLOPT_PREREQDATA, &sink);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}

	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		char host[256];

		http_url_host(url, host, sizeof(host));
		if (c->too_large)
			snprintf(err, errlen, "%s %s: response larger than %zu bytes", method, host,
			    c->opts.max_response);
		else
			snprintf(err, errlen, "%s %s: %s", method, host,
			    c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		http_redact(err, url, NULL);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	ok = true;
out:
	curl_slist_free_all(list);
	return ok;
}
