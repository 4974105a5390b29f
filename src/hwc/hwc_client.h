/*
 * The Huawei Cloud BSS client: signing (or an IAM token), the per-API quota,
 * retries with backoff and jitter, and the classification of answers,
 * including Huawei's "HTTP 200 with an error_code".
 *
 * A struct hwc_client is shared by the poller's threads: it holds the
 * settings and the cached IAM token (under a lock). Each thread makes calls
 * through its own struct hwc_session (one libcurl handle, its own counters).
 */
#ifndef HCWATCH_HWC_HWC_CLIENT_H
#define HCWATCH_HWC_HWC_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/config.h"
#include "hwc/hwc_quota.h"
#include "util/buf.h"

enum hwc_status {
	HWC_OK,
	HWC_THROTTLED,	 /* 429, APIGW.0308, APIG.0308, CBC.0250 */
	HWC_UNAVAILABLE, /* 5xx, no answer, or an unreadable body: worth retrying */
	HWC_AUTH,	 /* 401 or 403: a configuration error, not retried */
	HWC_FAILED,	 /* any other error, including HTTP 200 with an error_code */
	HWC_STOPPED,	 /* the caller asked to stop while waiting */
};

struct hwc_error {
	long http_status;  /* 0 when no answer arrived */
	char code[64];	   /* error_code, or "" */
	char message[400]; /* error_msg / error_message, or what went wrong */
};

struct hwc_stats {
	atomic_long calls; /* requests sent, retries included */
	atomic_long retries;
	atomic_long throttled; /* 429 answers received */
};

struct hwc_client;
struct hwc_session;

/**
 * Turns every \u0000 escape inside a JSON string of body into \ufffd, in
 * place (the same length): PostgreSQL's jsonb refuses U+0000, and one such
 * character in a customer's name must not lose the rest of the page.
 * Returns how many it changed.
 */
size_t hwc_defuse_nul(char *body, size_t len);
/**
 * Classifies one answer. On HWC_OK, *out receives the parsed body (new
 * reference; an empty body gives an empty object). Otherwise e says why.
 */
enum hwc_status hwc_classify(long http_status, const char *body, size_t len, json_t **out,
    struct hwc_error *e);
/** A short name for a status, for logs and summaries. */
const char *hwc_status_name(enum hwc_status st);

/** Copies what it needs from cfg and applies the quota settings. */
struct hwc_client *hwc_client_new(const struct config *cfg, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void hwc_client_free(struct hwc_client *c);

/** Waits (quota, backoff) end early, with HWC_STOPPED, once *stop is true. */
struct hwc_session *hwc_session_new(struct hwc_client *c, const atomic_bool *stop);
/** This session's counters. */
const struct hwc_stats *hwc_session_stats(const struct hwc_session *s);
void hwc_session_free(struct hwc_session *s);

/**
 * One API call, with quota, signing and retries. path is the API path,
 * query the raw query string or NULL, body a JSON document or NULL (no body).
 * On HWC_OK, *out receives the answer (new reference) and raw, when not
 * NULL, its text as received (for exact decimals).
 */
enum hwc_status hwc_call(struct hwc_session *s, enum hwc_api api, const char *method,
    const char *path, const char *query, const json_t *body, json_t **out, struct buf *raw,
    struct hwc_error *e);

/**
 * hwc_call with the customer's own token: assume_role into the agency named
 * agency that the customer (domain: its account name) created for the
 * partner. For the APIs that take only a customer's credential. HWC_AUTH
 * when IAM refuses the role (no such agency) or the API refuses the token.
 */
enum hwc_status hwc_call_as(struct hwc_session *s, const char *domain, const char *agency,
    enum hwc_api api, const char *method, const char *path, const char *query, const json_t *body,
    json_t **out, struct buf *raw, struct hwc_error *e);

#endif
