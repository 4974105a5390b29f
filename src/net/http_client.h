/*
 * The one outbound-HTTP wrapper: the Huawei client and every
 * HTTP notifier channel go through it (email has the one SMTP wrapper,
 * net/smtp_client.c; nothing else calls libcurl). It fixes connect and total timeouts, a
 * maximum response size, TLS verification on (never switched off; a private CA
 * file may be added), and no redirects.
 *
 * A struct http_client is one libcurl easy handle, so one thread; it keeps its
 * connections alive between requests.
 */
#ifndef HCWATCH_NET_HTTP_CLIENT_H
#define HCWATCH_NET_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define HTTP_CLIENT_ERR_LEN 320

struct http_client;

struct http_client_opts {
	long connect_timeout_ms;
	long timeout_ms;
	size_t max_response; /* body bytes; more is an error */
	const char *ca_file; /* extra trust anchors, or NULL for the system store */
};

struct http_response {
	long status;
	int64_t sent_us; /* monotonic time the request left, once connected; 0 if it never did */
	struct buf body;
	struct buf headers; /* the final response's header lines, as received */
};

struct http_client *http_client_new(const struct http_client_opts *opts);
void http_client_free(struct http_client *c);

void http_response_init(struct http_response *r);
void http_response_cleanup(struct http_response *r);
/** The body as a NUL-terminated string (never NULL). */
const char *http_response_as_string(const struct http_response *r);
/** Copies the value of the first header called name; false when absent or too long. */
bool http_response_header(const struct http_response *r, const char *name, char *out, size_t outlen)
    __attribute__((warn_unused_result));

/**
 * The host of url, with its port when one is given, for error texts: never
 * its user, path or query, which may carry credentials (a robot's key or
 * access token, a signature).
 */
void http_url_host(const char *url, char *out, size_t outlen);
/**
 * Replaces in text (NUL-terminated, in place; it never grows) every part of
 * url that could be a credential, and secret when not NULL, with "…": for
 * text that came back from elsewhere (a platform's answer, a library's
 * message) and may echo them.
 */
void http_redact(char *text, const char *url, const char *secret);

/**
 * Sends one request. headers is a NULL-terminated list of "Name: value"
 * lines. True when an HTTP answer of any status arrived (resp->status says
 * which); false, with err, when none did (connect, TLS, timeout, too large).
 * err names the method and the host, never the rest of the URL.
 */
bool http_client_request(struct http_client *c, const char *method, const char *url,
    const char *const *headers, const void *body, size_t body_len, struct http_response *resp,
    char *err, size_t errlen) __attribute__((warn_unused_result));

#endif
