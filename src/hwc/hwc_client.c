#include "hwc/hwc_client.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"
#include "net/http_client.h"
#include "hwc/hwc_sign.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/sha256.h"
#include "util/xalloc.h"

/* Renew an IAM token this long before Huawei says it expires. */
#define TOKEN_MARGIN_US (300LL * 1000000)
#define TOKEN_MAX_LEN (16 * 1024)

struct hwc_client {
	char *endpoint;	 /* scheme://host[:port] of BSS */
	char *base_path; /* any path prefix of the endpoint, without a trailing '/' */
	char *host;	 /* the Host value that is signed */
	char *iam_url;
	bool token_auth;
	char *access_key, *secret_key;
	char *iam_user, *iam_password, *iam_domain;
	char *domain_id;
	struct http_client_opts http;
	int retry_max, retry_base_ms, retry_max_ms;

	pthread_mutex_t token_mu;
	char *token;
	int64_t token_renew_at; /* monotonic */
	/* Customers' tokens by assume_role: domain -> {"t": token, "at": renew at, monotonic}. */
	json_t *customer_tokens;
};

/* Customers' tokens kept at most; a token is some kilobytes, the cache is emptied when full. */
#define CUSTOMER_TOKENS_MAX 1024

struct hwc_session {
	struct hwc_client *c;
	const atomic_bool *stop;
	struct hwc_stats stats;
	struct http_client *http;
	unsigned int seed;
	const char *as_token; /* a customer's token to call with instead of the partner's */
};

static bool split_endpoint(struct hwc_client *c, const char *url, char *err, size_t errlen);
static const char *json_str(const json_t *o, const char *key);
static bool is_throttle_code(const char *code);
static enum hwc_status get_token(struct hwc_session *s, char **token, struct hwc_error *e);
static void drop_token(struct hwc_client *c, const char *token);
static enum hwc_status send_once(struct hwc_session *s, const char *method, const char *path,
    const char *query, const char *body, json_t **out, struct buf *raw, struct hwc_error *e,
    int64_t *retry_after_us, int64_t *sent_us);

const char *
hwc_status_name(enum hwc_status st)
{
	switch (st) {
	case HWC_OK: return "ok";
	case HWC_THROTTLED: return "throttled";
	case HWC_UNAVAILABLE: return "unavailable";
	case HWC_AUTH: return "auth";
	case HWC_FAILED: return "failed";
	case HWC_STOPPED: return "stopped";
	}
	return "?";
}

static const char *
json_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static bool
is_throttle_code(const char *code)
{
	return strcmp(code, "APIGW.0308") == 0 || strcmp(code, "APIG.0308") == 0 ||
	    strcmp(code, "CBC.0250") == 0;
}

size_t
hwc_defuse_nul(char *body, size_t len)
{
	bool in_string = false;
	size_t changed = 0;

	for (size_t i = 0; i < len; i++) {
		if (!in_string) {
			in_string = body[i] == '"';
			continue;
		}
		if (body[i] == '"') {
			in_string = false;
		} else if (body[i] == '\\' && i + 1 < len) {
			if (body[i + 1] == 'u' && i + 5 < len &&
			    memcmp(body + i + 2, "0000", 4) == 0) {
				memcpy(body + i + 2, "fffd", 4);
				changed++;
			}
			i++; /* the escaped character is never the string's end */
		}
	}
	return changed;
}

enum hwc_status
hwc_classify(long http_status, const char *body, size_t len, json_t **out, struct hwc_error *e)
{
	json_t *root = NULL;
	json_error_t jerr;
	const char *code = "";

	*out = NULL;
	memset(e, 0, sizeof(*e));
	e->http_status = http_status;
	if (len > 0) {
		root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
		if (root && !json_is_object(root)) {
			json_decref(root);
			root = NULL;
			snprintf(jerr.text, sizeof(jerr.text), "not a JSON object");
		}
	} else {
		root = json_object();
	}
	if (root) {
		const json_t *iam = json_object_get(root, "error");
		const char *msg = json_str(root, "error_msg");

		code = json_str(root, "error_code");
		if (!*msg)
			msg = json_str(root, "error_message");
		/* IAM: {"error":{"code":401,"message":"...","title":"..."}} */
		if (json_is_object(iam) && !*msg)
			msg = json_str(iam, "message");
		snprintf(e->code, sizeof(e->code), "%s", code);
		snprintf(e->message, sizeof(e->message), "%s", msg);
	}

	if (http_status == 429 || is_throttle_code(code)) {
		json_decref(root);
		return HWC_THROTTLED;
	}
	if (http_status == 401 || http_status == 403) {
		json_decref(root);
		return HWC_AUTH;
	}
	if (http_status >= 500) {
		json_decref(root);
		return HWC_UNAVAILABLE;
	}
	if (http_status < 200 || http_status > 299) {
		if (!e->message[0])
			snprintf(e->message, sizeof(e->message), "HTTP %ld", http_status);
		json_decref(root);
		return HWC_FAILED;
	}
	if (root == NULL) {
		/* A cut or garbled answer from a proxy: the next attempt may be whole. */
		snprintf(e->message, sizeof(e->message), "unreadable JSON answer: %s", jerr.text);
		return HWC_UNAVAILABLE;
	}
	if (*code && strcmp(code, "CBC.0000") != 0) {
		if (!e->message[0])
			snprintf(e->message, sizeof(e->message), "error_code in an HTTP %ld answer",
			    http_status);
		json_decref(root);
		return HWC_FAILED;
	}
	e->code[0] = '\0';
	*out = root;
	return HWC_OK;
}

static bool
split_endpoint(struct hwc_client *c, const char *url, char *err, size_t errlen)
{
	const char *hp = strstr(url, "://"), *slash;
	bool https = strncmp(url, "https://", 8) == 0;
	size_t hlen;
	char *host;

	if (hp == NULL) {
		snprintf(err, errlen, "[huawei] endpoint: not a URL: %s", url);
		return false;
	}
	hp += 3;
	slash = strchr(hp, '/');
	hlen = slash ? (size_t)(slash - hp) : strlen(hp);
	if (hlen == 0) {
		snprintf(err, errlen, "[huawei] endpoint: no host in %s", url);
		return false;
	}
	host = xstrndup(hp, hlen);
	/* The gateway signs host[:port] without a default port. */
	if ((https && hlen > 4 && strcmp(host + hlen - 4, ":443") == 0) ||
	    (!https && hlen > 3 && strcmp(host + hlen - 3, ":80") == 0))
		*strrchr(host, ':') = '\0';
	c->host = host;
	c->endpoint = xstrndup(url, (size_t)(hp - url) + hlen);
	c->base_path = xstrdup(slash ? slash : "");
	while (c->base_path[0] && c->base_path[strlen(c->base_path) - 1] == '/')
		c->base_path[strlen(c->base_path) - 1] = '\0';
	return true;
}

struct hwc_client *
hwc_client_new(const struct config *cfg, char *err, size_t errlen)
{
	struct hwc_client *c = xcalloc(1, sizeof(*c));
	char path[2048];

	pthread_mutex_init(&c->token_mu, NULL);
	c->customer_tokens = json_object();
	if (!split_endpoint(c, cfg->hw_endpoint, err, errlen))
		goto fail;
	snprintf(path, sizeof(path), "%s", cfg->hw_iam_endpoint);
	while (path[0] && path[strlen(path) - 1] == '/')
		path[strlen(path) - 1] = '\0';
	c->iam_url = xmalloc(strlen(path) + sizeof("/v3/auth/tokens?nocatalog=true"));
	sprintf(c->iam_url, "%s/v3/auth/tokens?nocatalog=true", path);
	c->token_auth = cfg->hw_auth == CONFIG_HW_AUTH_TOKEN;
	c->access_key = xstrdup(cfg->hw_access_key);
	c->secret_key = xstrdup(cfg->hw_secret_key);
	c->iam_user = xstrdup(cfg->hw_iam_user);
	c->iam_password = xstrdup(cfg->hw_iam_password);
	c->iam_domain = xstrdup(cfg->hw_iam_domain);
	c->domain_id = xstrdup(cfg->hw_domain_id);
	c->http.connect_timeout_ms = cfg->hw_connect_timeout * 1000L;
	c->http.timeout_ms = cfg->hw_timeout * 1000L;
	c->http.max_response = (size_t)cfg->hw_max_response_size;
	c->http.ca_file = cfg->hw_ca_file;
	c->retry_max = cfg->hw_retry_max;
	c->retry_base_ms = cfg->hw_retry_base_ms;
	c->retry_max_ms = cfg->hw_retry_max_ms;
	if (!hwc_quota_configure(cfg->hw_rate_limit, cfg->hw_rate_limit_overrides, err, errlen))
		goto fail;
	return c;
fail:
	hwc_client_free(c);
	return NULL;
}

void
hwc_client_free(struct hwc_client *c)
{
	if (c == NULL)
		return;
	free(c->endpoint);
	free(c->base_path);
	free(c->host);
	free(c->iam_url);
	free(c->access_key);
	free(c->secret_key);
	free(c->iam_user);
	free(c->iam_password);
	free(c->iam_domain);
	free(c->domain_id);
	free(c->token);
	json_decref(c->customer_tokens);
	pthread_mutex_destroy(&c->token_mu);
	free(c);
}

struct hwc_session *
hwc_session_new(struct hwc_client *c, const atomic_bool *stop)
{
	struct hwc_session *s = xcalloc(1, sizeof(*s));

	s->c = c;
	s->stop = stop;
	s->http = http_client_new(&c->http);
	s->seed = (unsigned int)(clock_mono_us() ^ (int64_t)(uintptr_t)s);
	return s;
}

const struct hwc_stats *
hwc_session_stats(const struct hwc_session *s)
{
	return &s->stats;
}

#define COUNT(s, field) atomic_fetch_add(&(s)->stats.field, 1)

void
hwc_session_free(struct hwc_session *s)
{
	if (s == NULL)
		return;
	http_client_free(s->http);
	free(s);
}

/*
 * One call to IAM's tokens (the partner's by password, a customer's by
 * assume_role): on HWC_OK, *ans is the answer and tok (TOKEN_MAX_LEN) the
 * token Huawei puts in X-Subject-Token.
 */
static enum hwc_status
iam_tokens(struct hwc_session *s, const char *const *headers, const json_t *body, const char *what,
    json_t **ans, char *tok, struct hwc_error *e)
{
	struct http_response resp;
	char *doc = json_dumps(body, JSON_COMPACT), err[HTTP_CLIENT_ERR_LEN];
	enum hwc_status st;
	struct hwc_quota_slot slot;
	bool sent;

	*ans = NULL;
	if (!hwc_quota_acquire(HWC_API_IAM_TOKEN, s->stop, &slot)) {
		free(doc);
		return HWC_STOPPED;
	}
	http_response_init(&resp);
	COUNT(s, calls);
	sent = http_client_request(s->http, "POST", s->c->iam_url, headers, doc, strlen(doc), &resp,
	    err, sizeof(err));
	hwc_quota_release(&slot, resp.sent_us);
	if (!sent) {
		memset(e, 0, sizeof(*e));
		snprintf(e->message, sizeof(e->message), "%s: %s", what, err);
		st = HWC_UNAVAILABLE;
	} else {
		st = hwc_classify(resp.status, resp.body.data, resp.body.len, ans, e);
		if (st == HWC_OK &&
		    (!http_response_header(&resp, "X-Subject-Token", tok, TOKEN_MAX_LEN) ||
			!*tok)) {
			memset(e, 0, sizeof(*e));
			snprintf(e->message, sizeof(e->message),
			    "%s: IAM answered %ld without "
			    "X-Subject-Token",
			    what, resp.status);
			st = HWC_FAILED;
		}
	}
	metrics_count(MC_POLL_CALLS, hwc_api_name(HWC_API_IAM_TOKEN), hwc_status_name(st), 1);
	free(doc);
	http_response_cleanup(&resp);
	return st;
}

/*
 * The token is fetched under the lock, so that threads that find it missing
 * at the same moment make one IAM call between them.
 */
static enum hwc_status
get_token(struct hwc_session *s, char **token, struct hwc_error *e)
{
	struct hwc_client *c = s->c;
	json_t *body = NULL, *ans = NULL;
	const char *headers[] = { "Content-Type: application/json;charset=utf8", NULL };
	char *tok = xmalloc(TOKEN_MAX_LEN);
	enum hwc_status st = HWC_FAILED;

	pthread_mutex_lock(&c->token_mu);
	if (c->token && clock_mono_us() < c->token_renew_at) {
		*token = xstrdup(c->token);
		st = HWC_OK;
		goto out;
	}
	body = json_pack("{s:{s:{s:[s],s:{s:{s:s,s:s,s:{s:s}}}},s:{s:{s:s}}}}", "auth", "identity",
	    "methods", "password", "password", "user", "name", c->iam_user, "password",
	    c->iam_password, "domain", "name", c->iam_domain, "scope", "domain", "name",
	    c->iam_domain);
	st = iam_tokens(s, headers, body, "IAM token", &ans, tok, e);
	if (st != HWC_OK)
		goto out;
	{
		const char *exp =
		    json_string_value(json_object_get(json_object_get(ans, "token"), "expires_at"));
		char whole[CLOCK_UTC_S_LEN];
		int64_t at, now_wall = clock_wall_us() / 1000000, life = 23 * 3600;

		/* "2020-01-05T05:05:17.429000Z": the seconds are enough. */
		if (exp && strlen(exp) >= 19) {
			snprintf(whole, sizeof(whole), "%.19sZ", exp);
			if (clock_parse_utc_s(whole, &at))
				life = at - now_wall;
		}
		free(c->token);
		c->token = xstrdup(tok);
		c->token_renew_at = clock_mono_us() + life * 1000000 - TOKEN_MARGIN_US;
		log_info("poller: IAM token obtained for %s, valid for %lld s", c->iam_user,
		    (long long)life);
	}
	*token = xstrdup(c->token);
out:
	pthread_mutex_unlock(&c->token_mu);
	free(tok);
	json_decref(body);
	json_decref(ans);
	return st;
}

/*
 * A customer's token by assume_role (the partner's own token, then the
 * agency the customer created, named after the platform's xAccountType),
 * kept until shortly before it expires.
 */
static enum hwc_status
customer_token(struct hwc_session *s, const char *domain, const char *agency, char **token,
    struct hwc_error *e)
{
	struct hwc_client *c = s->c;
	struct buf auth;
	json_t *body = NULL, *ans = NULL, *hit;
	char *partner = NULL, *tok = NULL;
	const char *headers[3] = { "Content-Type: application/json;charset=utf8", NULL, NULL };
	enum hwc_status st;

	*token = NULL;
	pthread_mutex_lock(&c->token_mu);
	hit = json_object_get(c->customer_tokens, domain);
	if (hit && clock_mono_us() < json_integer_value(json_object_get(hit, "at")))
		*token = xstrdup(json_string_value(json_object_get(hit, "t")));
	pthread_mutex_unlock(&c->token_mu);
	if (*token)
		return HWC_OK;
	if ((st = get_token(s, &partner, e)) != HWC_OK)
		return st;
	buf_init(&auth);
	buf_appendf(&auth, "X-Auth-Token: %s", partner);
	headers[1] = auth.data;
	body = json_pack("{s:{s:{s:[s],s:{s:s,s:s}},s:{s:{s:s}}}}", "auth", "identity", "methods",
	    "assume_role", "assume_role", "domain_name", domain, "agency_name", agency, "scope",
	    "domain", "name", domain);
	tok = xmalloc(TOKEN_MAX_LEN);
	st = iam_tokens(s, headers, body, "assume_role", &ans, tok, e);
	if (st != HWC_OK)
		goto out;
	pthread_mutex_lock(&c->token_mu);
	if (json_object_size(c->customer_tokens) >= CUSTOMER_TOKENS_MAX)
		json_object_clear(c->customer_tokens);
	/* Huawei's customer tokens last 24 hours; renewed an hour early. */
	json_object_set_new(c->customer_tokens, domain,
	    json_pack("{s:s,s:I}", "t", tok, "at",
		(json_int_t)(clock_mono_us() + 23LL * 3600 * 1000000)));
	pthread_mutex_unlock(&c->token_mu);
	*token = xstrdup(tok);
out:
	free(tok);
	free(partner);
	json_decref(body);
	json_decref(ans);
	buf_cleanup(&auth);
	return st;
}

enum hwc_status
hwc_call_as(struct hwc_session *s, const char *domain, const char *agency, enum hwc_api api,
    const char *method, const char *path, const char *query, const json_t *body, json_t **out,
    struct buf *raw, struct hwc_error *e)
{
	char *token = NULL;
	enum hwc_status st = customer_token(s, domain, agency, &token, e);

	*out = NULL;
	if (st != HWC_OK)
		return st;
	s->as_token = token;
	st = hwc_call(s, api, method, path, query, body, out, raw, e);
	s->as_token = NULL;
	if (st == HWC_AUTH) {
		/* Perhaps expired early: the next call asks IAM again. */
		pthread_mutex_lock(&s->c->token_mu);
		json_object_del(s->c->customer_tokens, domain);
		pthread_mutex_unlock(&s->c->token_mu);
	}
	free(token);
	return st;
}

static void
drop_token(struct hwc_client *c, const char *token)
{
	pthread_mutex_lock(&c->token_mu);
	if (c->token && strcmp(c->token, token) == 0) {
		free(c->token);
		c->token = NULL;
	}
	pthread_mutex_unlock(&c->token_mu);
}

static enum hwc_status
send_once(struct hwc_session *s, const char *method, const char *path, const char *query,
    const char *body, json_t **out, struct buf *raw, struct hwc_error *e, int64_t *retry_after_us,
    int64_t *sent_us)
{
	struct hwc_client *c = s->c;
	struct http_response resp;
	struct buf url, full_path, canonical, hv[5];
	const char *headers[6] = { NULL };
	char date[HWC_SIGN_DATE_LEN], payload[SHA256_HEX_LEN], sig[HWC_SIGN_HEX_LEN];
	char err[HTTP_CLIENT_ERR_LEN], serr[HWC_SIGN_ERR_LEN], retry_after[32];
	char *token = NULL;
	size_t nh = 0, blen = body ? strlen(body) : 0;
	enum hwc_status st = HWC_FAILED;

	*retry_after_us = 0;
	*sent_us = 0;
	http_response_init(&resp);
	buf_init(&url);
	buf_init(&full_path);
	buf_init(&canonical);
	for (int i = 0; i < 5; i++)
		buf_init(&hv[i]);
	buf_appendf(&full_path, "%s%s", c->base_path, path);
	buf_appendf(&url, "%s%s%s%s", c->endpoint, full_path.data, query && *query ? "?" : "",
	    query ? query : "");

	buf_append_str(&hv[nh], "Content-Type: application/json");
	headers[nh] = hv[nh].data;
	nh++;
	if (s->as_token) {
		buf_appendf(&hv[nh], "X-Auth-Token: %s", s->as_token);
		headers[nh] = hv[nh].data;
		nh++;
	} else if (c->token_auth) {
		st = get_token(s, &token, e);
		if (st != HWC_OK)
			goto out;
		buf_appendf(&hv[nh], "X-Auth-Token: %s", token);
		headers[nh] = hv[nh].data;
		nh++;
	} else {
		struct hwc_sign_header sh[4];
		size_t nsh = 0;
		const char *signed_headers;
		struct hwc_sign_request r;

		hwc_sign_date(clock_wall_us() / 1000000, date);
		sha256_hex(body ? body : "", blen, payload);
		sh[nsh++] = (struct hwc_sign_header){ "Content-Type", "application/json" };
		sh[nsh++] = (struct hwc_sign_header){ "Host", c->host };
		sh[nsh++] = (struct hwc_sign_header){ "X-Sdk-Date", date };
		if (c->domain_id[0]) {
			sh[nsh++] = (struct hwc_sign_header){ "X-Domain-Id", c->domain_id };
			signed_headers = "content-type;host;x-domain-id;x-sdk-date";
		} else {
			signed_headers = "content-type;host;x-sdk-date";
		}
		r = (struct hwc_sign_request){ method, full_path.data, query, sh, nsh,
			signed_headers, payload };
		if (!hwc_sign_canonical_request(&canonical, &r, serr, sizeof(serr))) {
			memset(e, 0, sizeof(*e));
			snprintf(e->message, sizeof(e->message), "cannot sign: %s", serr);
			st = HWC_FAILED;
			goto out;
		}
		hwc_sign_signature(c->secret_key, date, canonical.data, sig);
		buf_appendf(&hv[nh], "Host: %s", c->host);
		headers[nh] = hv[nh].data;
		nh++;
		buf_appendf(&hv[nh], "X-Sdk-Date: %s", date);
		headers[nh] = hv[nh].data;
		nh++;
		if (c->domain_id[0]) {
			buf_appendf(&hv[nh], "X-Domain-Id: %s", c->domain_id);
			headers[nh] = hv[nh].data;
			nh++;
		}
		buf_appendf(&hv[nh],
		    "Authorization: SDK-HMAC-SHA256 Access=%s, SignedHeaders=%s, "
		    "Signature=%s",
		    c->access_key, signed_headers, sig);
		headers[nh] = hv[nh].data;
		nh++;
	}

	COUNT(s, calls);
	if (!http_client_request(s->http, method, url.data, headers, body, blen, &resp, err,
		sizeof(err))) {
		*sent_us = resp.sent_us;
		memset(e, 0, sizeof(*e));
		snprintf(e->message, sizeof(e->message), "%s", err);
		st = HWC_UNAVAILABLE;
		goto out;
	}
	*sent_us = resp.sent_us;
	if (resp.body.len > 0 && hwc_defuse_nul(resp.body.data, resp.body.len) > 0)
		log_debug("poller: %s: U+0000 in Huawei's answer replaced by U+FFFD", path);
	st = hwc_classify(resp.status, resp.body.data, resp.body.len, out, e);
	if (st == HWC_OK && raw) {
		buf_reset(raw);
		buf_append(raw, resp.body.data, resp.body.len);
	}
	if (st == HWC_THROTTLED)
		COUNT(s, throttled);
	if ((st == HWC_THROTTLED || st == HWC_UNAVAILABLE) &&
	    http_response_header(&resp, "Retry-After", retry_after, sizeof(retry_after))) {
		long secs = strtol(retry_after, NULL, 10);

		if (secs > 0 && secs < 3600)
			*retry_after_us = secs * 1000000LL;
	}
	if (st == HWC_AUTH && token)
		drop_token(c, token);
out:
	free(token);
	for (int i = 0; i < 5; i++)
		buf_cleanup(&hv[i]);
	buf_cleanup(&url);
	buf_cleanup(&full_path);
	buf_cleanup(&canonical);
	http_response_cleanup(&resp);
	return st;
}

enum hwc_status
hwc_call(struct hwc_session *s, enum hwc_api api, const char *method, const char *path,
    const char *query, const json_t *body, json_t **out, struct buf *raw, struct hwc_error *e)
{
	struct hwc_client *c = s->c;
	char *doc = body ? json_dumps(body, JSON_COMPACT) : NULL;
	bool token_renewed = false;
	enum hwc_status st;

	*out = NULL;
	for (int attempt = 0;; attempt++) {
		int64_t retry_after, sent_us;
		struct hwc_quota_slot slot;

		if (!hwc_quota_acquire(api, s->stop, &slot)) {
			st = HWC_STOPPED;
			break;
		}
		st = send_once(s, method, path, query, doc, out, raw, e, &retry_after, &sent_us);
		hwc_quota_release(&slot, sent_us);
		if (st != HWC_STOPPED)
			metrics_count(MC_POLL_CALLS, hwc_api_name(api), hwc_status_name(st), 1);
		if (st == HWC_OK || st == HWC_STOPPED)
			break;
		/* An expired token is renewed once; a second refusal is the credentials. */
		if (st == HWC_AUTH && c->token_auth && !token_renewed && !s->as_token) {
			token_renewed = true;
			attempt--;
			continue;
		}
		if ((st == HWC_THROTTLED || st == HWC_UNAVAILABLE) && attempt < c->retry_max) {
			int64_t wait = retry_after > 0 ?
			    retry_after :
			    clock_backoff_us(c->retry_base_ms, c->retry_max_ms, attempt + 1,
				&s->seed);

			COUNT(s, retries);
			log_debug("poller: %s %s: %s (%ld %s %s), retry %d in %lld ms",
			    hwc_api_name(api), path, hwc_status_name(st), e->http_status, e->code,
			    e->message, attempt + 1, (long long)(wait / 1000));
			if (!clock_sleep_us(wait, s->stop)) {
				st = HWC_STOPPED;
				break;
			}
			continue;
		}
		break;
	}
	free(doc);
	return st;
}
