/*
 * hcwatch-sim serve: Huawei's BSS and IAM endpoints (section 9 of the API
 * notes), as strict as the real gateway where hcwatch depends on it:
 * SDK-HMAC-SHA256 checked with the client's own SignedHeaders and an
 * X-Sdk-Date within 15 minutes, IAM tokens, 10 calls per second per (API,
 * access key) answered with the real 429 body, and Huawei's error shapes
 * including "HTTP 200 with an error_code".
 *
 * The data is a JSON document (loaded, or generated from a seed) that tests
 * change while it runs through /_sim/mutate; /_sim/faults injects failures;
 * /_sim/stats counts what arrived; /_sim/dataset returns the whole document.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "core/config.h"
#include "hwc/hwc_sign.h"
#include "util/pct.h"
#include "sim/sim.h"
#include "sim/sim_chat.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/sha256.h"
#include "util/xalloc.h"

#define MAX_SKEW_S (15 * 60)
#define MAX_BODY (1 << 20)

enum api {
	API_CUSTOMERS,
	API_BALANCES,
	API_RESOURCES,
	API_PARTNER,
	API_IAM,
	API_CHECK_IDENTITY,
	API_SEND_CODE,
	API_CREATE_CUSTOMER,
	API_OWN_BALANCE,
	API_COUNT
};

static const char *const api_names[API_COUNT] = {
	"ListSubCustomers",
	"ListCustomersBalancesDetail",
	"ListPayPerUseCustomerResources",
	"ListPartnerBalances",
	"KeystoneCreateUserTokenByPassword",
	"CheckUserIdentity",
	"SendVerificationMessageCode",
	"CreateSubCustomer",
	"ShowCustomerAccountBalances",
};

/* The calls one caller made to one API in the last second, oldest at head. */
struct bucket {
	char key[160];
	int64_t *at;
	int cap, n, head;
};

struct faults {
	double rate_5xx, rate_error200, rate_malformed, rate_huge;
	int latency_ms;
	long huge_bytes; /* size of a "huge" answer */
};

struct sim {
	struct event_base *base;
	json_t *data;  /* {"customers":[...], "partner_balances":[...]} */
	json_t *index; /* customer_id -> position in data.customers */
	const char *ak, *sk, *iam_user, *iam_password, *iam_domain;
	bool apig_shape; /* older "APIG." error shape instead of "APIGW." */
	int rate;
	int token_ttl;
	json_t *tokens; /* token -> {"user":..., "domain":..., "expires":mono seconds} */
	json_t *codes;	/* mobile -> verification code sent */
	struct bucket *buckets;
	size_t nbuckets;
	struct faults faults;
	uint64_t rng;
	struct sim_chat *chat; /* the chat robots, webhook receiver and SMTP server */
	/* counters for /_sim/stats */
	long calls[API_COUNT], throttled, auth_failures, faults_injected, bad_requests, total;
};

struct reply {
	struct evhttp_request *req;
	int status;
	char *body;
	char *token; /* X-Subject-Token, for IAM */
};

static uint64_t rng_next(uint64_t *s);
static double rng_unit(uint64_t *s);
static void reindex(struct sim *s);
static json_t *find_customer(struct sim *s, const char *id);
static json_t *customer_where(struct sim *s, const char *field, const char *value);
static json_t *find_resource(struct sim *s, const char *rid, json_t **owner, size_t *pos);
static json_t *public_customer(json_t *c);
static const char *str_field(json_t *in, const char *key);
static json_int_t int_field(json_t *in, const char *key, json_int_t def, bool *bad);
static bool parse_time_field(json_t *in, const char *key, int64_t *out, bool *present);
static bool valid_account_name(const char *n);
static json_t *generate(int ncust, int per, uint64_t seed);
static void send_reply(struct sim *s, struct evhttp_request *req, int status, json_t *body,
    const char *token);
static void reply_now(struct evhttp_request *req, int status, const char *text, const char *token);
static void send_raw(struct sim *s, struct evhttp_request *req, int status, const char *text,
    const char *token);
static void on_delayed(evutil_socket_t fd, short what, void *arg);
static void send_error(struct sim *s, struct evhttp_request *req, int status, const char *code,
    const char *msg);
static void send_gateway_error(struct sim *s, struct evhttp_request *req, int status,
    const char *code, const char *msg);
static char *body_text(struct evhttp_request *req, size_t *len);
static bool check_auth(struct sim *s, struct evhttp_request *req, const char *body, size_t len,
    char *identity, size_t idlen);
static bool take_token(struct sim *s, enum api api, const char *identity);
static void h_customers(struct sim *s, struct evhttp_request *req, json_t *in);
static void h_balances(struct sim *s, struct evhttp_request *req, json_t *in);
static void h_partner(struct sim *s, struct evhttp_request *req);
static void h_resources(struct sim *s, struct evhttp_request *req, json_t *in);
static void h_iam(struct sim *s, struct evhttp_request *req, json_t *in);
static void h_check_identity(struct sim *s, struct evhttp_request *req, json_t *in);
static void h_send_code(struct sim *s, struct evhttp_request *req, json_t *in);
static void h_create_customer(struct sim *s, struct evhttp_request *req, json_t *in);
static void h_own_balance(struct sim *s, struct evhttp_request *req, const char *identity);
static void h_admin(struct sim *s, struct evhttp_request *req, const char *path, json_t *in);
static bool mutate(struct sim *s, json_t *op, char *err, size_t errlen);
static void on_request(struct evhttp_request *req, void *arg);
static void on_signal(evutil_socket_t sig, short what, void *arg);
static void usage(FILE *out);

static uint64_t
rng_next(uint64_t *s)
{
	/* splitmix64: small, seeded, the same on every machine. */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
rng_unit(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

static void
reindex(struct sim *s)
{
	json_t *custs = json_object_get(s->data, "customers");
	size_t i;
	json_t *c;

	json_decref(s->index);
	s->index = json_object();
	json_array_foreach(custs, i, c) {
		const char *id = json_string_value(json_object_get(c, "customer_id"));

		if (id)
			json_object_set_new(s->index, id, json_integer((json_int_t)i));
	}
}

static json_t *
find_customer(struct sim *s, const char *id)
{
	json_t *pos = id ? json_object_get(s->index, id) : NULL;

	return pos ?
	    json_array_get(json_object_get(s->data, "customers"), (size_t)json_integer_value(pos)) :
	    NULL;
}

/*
 * Customers: one in five a referral (consultant-sales) customer, one in
 * twelve frozen; resale customers have balances, one in seven in arrears.
 * Resources: mostly in use, expiring over the next 90 days; some expired,
 * some frozen; about a third on auto-renew.
 */
static json_t *
generate(int ncust, int per, uint64_t seed)
{
	static const char *const services[][4] = {
		{ "hws.service.type.ec2", "弹性云服务器", "hws.resource.type.vm",
		    "s6.large.2.linux" },
		{ "hws.service.type.ebs", "云硬盘", "hws.resource.type.volume", "SSD" },
		{ "hws.service.type.obs", "对象存储服务", "hws.resource.type.obs", "obs.standard" },
		{ "hws.service.type.rds", "云数据库", "hws.resource.type.rds.vm",
		    "rds.mysql.c6.large.2" },
		{ "hws.service.type.vpc", "虚拟私有云", "hws.resource.type.bandwidth",
		    "bandwidth.bgp" },
	};
	static const char *const regions[] = { "cn-north-4", "cn-east-3", "cn-south-1",
		"ap-southeast-1" };
	json_t *custs = json_array();
	int64_t now = clock_wall_us() / 1000000;
	uint64_t r = seed;

	for (int i = 0; i < ncust; i++) {
		char id[40], name[32], real[48], xid[32], at[CLOCK_UTC_S_LEN];
		bool referral = rng_unit(&r) < 0.2;
		json_t *c, *res = json_array();

		snprintf(id, sizeof(id), "%016llx%016llx", (unsigned long long)rng_next(&r),
		    (unsigned long long)rng_next(&r));
		snprintf(name, sizeof(name), "customer%05d", i);
		snprintf(real, sizeof(real), "测试客户%05d有限公司", i);
		snprintf(xid, sizeof(xid), "x-%05d", i);
		clock_format_utc_s(now - (int64_t)(rng_unit(&r) * 400 * 86400), at, sizeof(at));
		c = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:i,s:[],s:s,s:s,s:s,s:s}",
		    "customer_id", id, "account_name", name, "customer", real, "associated_on", at,
		    "association_type", referral ? "1" : "2", "label", i % 3 ? "" : "key-account",
		    "telephone", "", "country_code", "0086", "customer_type", 1, "is_frozen",
		    rng_unit(&r) < 0.08 ? 1 : 0, "account_managers", "xaccount_id", xid,
		    "xaccount_type", "partner_platform", "customer_level", "V2", "verified_status",
		    "2");
		if (!referral) {
			bool debt = rng_unit(&r) < 0.15;
			long cents = debt ? 0 : (long)(rng_unit(&r) * 5000000);
			long debt_cents = debt ? (long)(1 + rng_unit(&r) * 200000) : 0;
			char amount[32], debt_amount[32];

			snprintf(amount, sizeof(amount), "%ld.%02ld", cents / 100, cents % 100);
			snprintf(debt_amount, sizeof(debt_amount), "%ld.%02ld", debt_cents / 100,
			    debt_cents % 100);
			json_object_set_new(c, "balance",
			    json_pack("{s:f,s:f,s:s,s:i}", "amount", atof(amount), "debt_amount",
				atof(debt_amount), "currency", "CNY", "measure_id", 1));
		}
		for (int k = 0; k < per; k++) {
			const char *const *svc = services[rng_next(&r) % 5];
			double u = rng_unit(&r);
			int status = u < 0.85 ? 2 : u < 0.93 ? 5 : 4;
			int64_t expire = status == 2 ?
			    now + 3600 + (int64_t)(rng_unit(&r) * 90 * 86400) :
			    now - 86400 - (int64_t)(rng_unit(&r) * 20 * 86400);
			int policy = rng_unit(&r) < 0.33 ? 3 : (int)(rng_next(&r) % 2);
			char rid[48], iid[40], rname[48], exp[CLOCK_UTC_S_LEN],
			    eff[CLOCK_UTC_S_LEN];

			snprintf(rid, sizeof(rid), "%08llx-%04llx-%04llx-%012llx",
			    (unsigned long long)(rng_next(&r) & 0xffffffffULL),
			    (unsigned long long)(rng_next(&r) & 0xffff),
			    (unsigned long long)(rng_next(&r) & 0xffff),
			    (unsigned long long)(rng_next(&r) & 0xffffffffffffULL));
			snprintf(iid, sizeof(iid), "CS%016llX", (unsigned long long)rng_next(&r));
			snprintf(rname, sizeof(rname), "%s-%d", name, k);
			clock_format_utc_s(expire, exp, sizeof(exp));
			clock_format_utc_s(expire - 365 * 86400, eff, sizeof(eff));
			json_array_append_new(res,
			    json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,"
				      "s:s,s:s,s:i,s:i,s:s,s:s,s:i,s:s,s:f,s:i,s:s,s:{s:s,s:s}}",
				"id", iid, "resource_id", rid, "resource_name", rname,
				"region_code", regions[rng_next(&r) % 4], "service_type_code",
				svc[0], "service_type_name", svc[1], "resource_type_code", svc[2],
				"resource_type_name", svc[1], "resource_spec_code", svc[3],
				"project_id", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "product_id",
				"OFFI000000000001", "parent_resource_id", "", "is_main_resource", 1,
				"status", status, "effective_time", eff, "expire_time", exp,
				"expire_policy", policy, "product_spec_desc", svc[3], "spec_size",
				0.0, "spec_size_measure_id", 0, "update_time", eff,
				"enterprise_project", "id", "0", "name", "default"));
		}
		json_object_set_new(c, "resources", res);
		json_array_append_new(custs, c);
	}
	return json_pack(
	    "{s:o,s:[{s:s,s:i,s:f,s:s,s:f,s:f,s:i,s:s},{s:s,s:i,s:f,s:s,s:f,s:f,s:i,s:s}]}",
	    "customers", custs, "partner_balances", "account_id", "partner-balance-1",
	    "account_type", 1, "amount", 1250000.5, "currency", "CNY", "designated_amount", 0.0,
	    "credit_amount", 0.0, "measure_id", 1, "memo", "", "account_id", "partner-credit-1",
	    "account_type", 2, "amount", 300000.0, "currency", "CNY", "designated_amount", 0.0,
	    "credit_amount", 500000.0, "measure_id", 1, "memo", "");
}

static void
reply_now(struct evhttp_request *req, int status, const char *text, const char *token)
{
	struct evbuffer *out = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/json;charset=UTF-8");
	if (token)
		evhttp_add_header(evhttp_request_get_output_headers(req), "X-Subject-Token", token);
	evbuffer_add(out, text, strlen(text));
	evhttp_send_reply(req, status,
	    status == 200     ? "OK" :
		status == 201 ? "Created" :
				"Error",
	    out);
	evbuffer_free(out);
}

static void
send_raw(struct sim *s, struct evhttp_request *req, int status, const char *text, const char *token)
{
	struct reply *r;
	struct timeval tv;

	if (s->faults.latency_ms <= 0) {
		reply_now(req, status, text, token);
		return;
	}
	/* Latency without blocking the loop: answer from a timer. */
	r = xcalloc(1, sizeof(*r));
	r->req = req;
	r->status = status;
	r->body = xstrdup(text);
	r->token = token ? xstrdup(token) : NULL;
	tv.tv_sec = s->faults.latency_ms / 1000;
	tv.tv_usec = (s->faults.latency_ms % 1000) * 1000;
	event_base_once(s->base, -1, EV_TIMEOUT, on_delayed, r, &tv);
}

static void
on_delayed(evutil_socket_t fd, short what, void *arg)
{
	struct reply *r = arg;

	(void)fd;
	(void)what;
	reply_now(r->req, r->status, r->body, r->token);
	free(r->body);
	free(r->token);
	free(r);
}

static void
send_reply(struct sim *s, struct evhttp_request *req, int status, json_t *body, const char *token)
{
	/* Fifteen digits: amounts read back exactly ("123.45", not "123.4500000000000028"). */
	char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));

	send_raw(s, req, status, text ? text : "{}", token);
	free(text);
}

static void
send_error(struct sim *s, struct evhttp_request *req, int status, const char *code, const char *msg)
{
	json_t *b = json_pack("{s:s,s:s}", "error_code", code, "error_msg", msg);

	send_reply(s, req, status, b, NULL);
	json_decref(b);
}

/* The API gateway's own errors, in the shape chosen by --error-shape. */
static void
send_gateway_error(struct sim *s, struct evhttp_request *req, int status, const char *code,
    const char *msg)
{
	char full[32];
	json_t *b;

	snprintf(full, sizeof(full), "%s.%s", s->apig_shape ? "APIG" : "APIGW", code);
	if (s->apig_shape)
		b = json_pack("{s:s,s:s,s:s}", "error_msg", msg, "error_code", full, "request_id",
		    "0000000000000000sim");
	else
		b = json_pack("{s:i,s:s,s:s,s:s,s:s}", "status_code", status, "request_id",
		    "0000000000000000sim", "error_code", full, "error_message", msg,
		    "encoded_authorization_message", "");
	send_reply(s, req, status, b, NULL);
	json_decref(b);
}

static char *
body_text(struct evhttp_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	char *p = xmalloc(n + 1);

	evbuffer_copyout(in, p, n);
	p[n] = '\0';
	*len = n;
	return p;
}

/*
 * AK/SK exactly as the gateway: the client's SignedHeaders, which must name
 * x-sdk-date; a date within 15 minutes; the payload hash of the bytes
 * received. Or an IAM token this simulator issued and that has not expired.
 */
static bool
check_auth(struct sim *s, struct evhttp_request *req, const char *body, size_t len, char *identity,
    size_t idlen)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *token = evhttp_find_header(in, "X-Auth-Token");
	const char *auth = evhttp_find_header(in, "Authorization");
	const char *date = evhttp_find_header(in, "X-Sdk-Date");
	const char *content_sha = evhttp_find_header(in, "X-Sdk-Content-Sha256");
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct hwc_sign_auth a;
	struct hwc_sign_header hs[64];
	struct evkeyval *kv;
	struct buf path, canonical;
	char payload[SHA256_HEX_LEN], sig[HWC_SIGN_HEX_LEN], err[HWC_SIGN_ERR_LEN];
	long long when;
	size_t nh = 0;
	bool ok = false;

	if (token) {
		json_t *t = json_object_get(s->tokens, token);

		if (t == NULL ||
		    json_integer_value(json_object_get(t, "expires")) < clock_mono_us() / 1000000) {
			s->auth_failures++;
			send_gateway_error(s, req, 401, "0301",
			    "Incorrect IAM authentication "
			    "information: the token is invalid or has expired");
			return false;
		}
		snprintf(identity, idlen, "token:%s%s%s",
		    json_string_value(json_object_get(t, "user")),
		    str_field(t, "domain") ? ":" : "",
		    str_field(t, "domain") ? str_field(t, "domain") : "");
		return true;
	}
	if (auth == NULL || !hwc_sign_parse_authorization(auth, &a)) {
		s->auth_failures++;
		send_gateway_error(s, req, 401, "0301",
		    "Incorrect IAM authentication information: "
		    "Authorization header missing or not SDK-HMAC-SHA256");
		return false;
	}
	if (strcmp(a.access, s->ak) != 0) {
		s->auth_failures++;
		send_gateway_error(s, req, 401, "0301",
		    "Incorrect IAM authentication information: "
		    "access key does not exist");
		return false;
	}
	if (date == NULL || !hwc_sign_parse_date(date, &when) ||
	    llabs(when - clock_wall_us() / 1000000) > MAX_SKEW_S) {
		s->auth_failures++;
		send_gateway_error(s, req, 401, "0301",
		    "Incorrect IAM authentication information: "
		    "X-Sdk-Date missing, malformed or more than 15 minutes from the gateway's clock");
		return false;
	}
	if (strstr(a.signed_headers, "x-sdk-date") == NULL) {
		s->auth_failures++;
		send_gateway_error(s, req, 401, "0301",
		    "Incorrect IAM authentication information: "
		    "x-sdk-date is not signed");
		return false;
	}
	for (kv = in->tqh_first; kv; kv = kv->next.tqe_next) {
		if (nh < sizeof(hs) / sizeof(hs[0]))
			hs[nh++] = (struct hwc_sign_header){ kv->key, kv->value };
	}
	if (content_sha && strcmp(content_sha, "UNSIGNED-PAYLOAD") == 0)
		snprintf(payload, sizeof(payload), "UNSIGNED-PAYLOAD");
	else
		sha256_hex(body, len, payload);
	buf_init(&path);
	buf_init(&canonical);
	{
		const char *raw = evhttp_uri_get_path(uri);

		buf_append(&path, "", 0);
		if (!pct_decode(&path, raw ? raw : "/", strlen(raw ? raw : "/"), false)) {
			s->auth_failures++;
			send_gateway_error(s, req, 400, "0201", "bad percent escape in the path");
			goto out;
		}
	}
	{
		struct hwc_sign_request r = { evhttp_request_get_command(req) == EVHTTP_REQ_GET ?
			    "GET" :
			    "POST",
			path.data, evhttp_uri_get_query(uri), hs, nh, a.signed_headers, payload };

		if (!hwc_sign_canonical_request(&canonical, &r, err, sizeof(err))) {
			char msg[256];

			s->auth_failures++;
			snprintf(msg, sizeof(msg), "Incorrect IAM authentication information: %s",
			    err);
			send_gateway_error(s, req, 401, "0301", msg);
			goto out;
		}
	}
	hwc_sign_signature(s->sk, date, canonical.data, sig);
	if (strlen(a.signature) != 64 || CRYPTO_memcmp(sig, a.signature, 64) != 0) {
		s->auth_failures++;
		send_gateway_error(s, req, 401, "0301",
		    "Incorrect IAM authentication information: "
		    "verify aksk signature fail");
		goto out;
	}
	snprintf(identity, idlen, "ak:%s", a.access);
	ok = true;
out:
	buf_cleanup(&path);
	buf_cleanup(&canonical);
	return ok;
}

/*
 * A sliding window per (API, caller): at most rate calls in any second, the
 * stricter reading of Huawei's "N per second", so that a client that only
 * spaces its calls on average is caught when they bunch.
 */
static bool
take_token(struct sim *s, enum api api, const char *identity)
{
	char key[160];
	struct bucket *b = NULL;
	int64_t now = clock_mono_us();

	snprintf(key, sizeof(key), "%d|%s", (int)api, identity);
	for (size_t i = 0; i < s->nbuckets; i++) {
		if (strcmp(s->buckets[i].key, key) == 0) {
			b = &s->buckets[i];
			break;
		}
	}
	if (b == NULL) {
		s->buckets = xrealloc(s->buckets, (s->nbuckets + 1) * sizeof(*s->buckets));
		b = &s->buckets[s->nbuckets++];
		memset(b, 0, sizeof(*b));
		snprintf(b->key, sizeof(b->key), "%s", key);
	}
	if (b->cap != s->rate) {
		/* The quota changed (/_sim/faults): start counting afresh. */
		free(b->at);
		b->at = xmalloc((size_t)s->rate * sizeof(*b->at));
		b->cap = s->rate;
		b->n = 0;
		b->head = 0;
	}
	if (b->n == b->cap) {
		if (now - b->at[b->head] < 1000000)
			return false;
		b->head = (b->head + 1) % b->cap;
		b->n--;
	}
	b->at[(b->head + b->n) % b->cap] = now;
	b->n++;
	return true;
}

static json_int_t
int_field(json_t *in, const char *key, json_int_t def, bool *bad)
{
	json_t *v = json_object_get(in, key);

	if (v == NULL || json_is_null(v))
		return def;
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v) && *json_string_value(v)) {
		char *end;
		long long x = strtoll(json_string_value(v), &end, 10);

		if (*end == '\0')
			return x;
	}
	*bad = true;
	return def;
}

static const char *
str_field(json_t *in, const char *key)
{
	const char *v = json_string_value(json_object_get(in, key));

	return v && *v ? v : NULL;
}

static json_t *
public_customer(json_t *c)
{
	json_t *o = json_deep_copy(c);

	json_object_del(o, "balance");
	json_object_del(o, "resources");
	return o;
}

static void
h_customers(struct sim *s, struct evhttp_request *req, json_t *in)
{
	bool bad = false;
	json_int_t offset = int_field(in, "offset", 0, &bad),
		   limit = int_field(in, "limit", 10, &bad);
	const char *id = str_field(in, "customer_id"), *name = str_field(in, "account_name");
	const char *type = str_field(in, "association_type");
	json_t *out = json_array(), *c;
	json_int_t count = 0;
	size_t i;

	if (bad || offset < 0 || offset > 40000000 || limit < 1 || limit > 100) {
		json_decref(out);
		s->bad_requests++;
		send_error(s, req, 400, "CBC.0101",
		    "Invalid parameter: offset must be 0 to 40000000 "
		    "and limit 1 to 100.");
		return;
	}
	json_array_foreach(json_object_get(s->data, "customers"), i, c) {
		const char *cid = str_field(c, "customer_id");

		if (id && (cid == NULL || strcmp(cid, id) != 0))
			continue;
		if (name &&
		    (str_field(c, "account_name") == NULL ||
			strstr(str_field(c, "account_name"), name) == NULL))
			continue;
		if (type &&
		    (str_field(c, "association_type") == NULL ||
			strcmp(str_field(c, "association_type"), type) != 0))
			continue;
		if (count >= offset && count < offset + limit)
			json_array_append_new(out, public_customer(c));
		count++;
	}
	c = json_pack("{s:o,s:I}", "customer_infos", out, "count", count);
	send_reply(s, req, 200, c, NULL);
	json_decref(c);
}

static void
h_balances(struct sim *s, struct evhttp_request *req, json_t *in)
{
	json_t *ids = json_object_get(in, "customer_infos"), *out, *it;
	size_t i;

	if (!json_is_array(ids) || json_array_size(ids) < 1 || json_array_size(ids) > 100) {
		s->bad_requests++;
		send_error(s, req, 400, "CBC.0101",
		    "Invalid parameter: customer_infos must hold 1 "
		    "to 100 customers.");
		return;
	}
	out = json_array();
	json_array_foreach(ids, i, it) {
		json_t *c = find_customer(s, str_field(it, "customer_id")), *b;

		/* Consultant-sales customers are left out without a word, as Huawei does. */
		if (c == NULL || !str_field(c, "association_type") ||
		    strcmp(str_field(c, "association_type"), "2") != 0)
			continue;
		b = json_object_get(c, "balance");
		if (b == NULL)
			continue;
		b = json_deep_copy(b);
		json_object_set(b, "customer_id", json_object_get(c, "customer_id"));
		json_array_append_new(out, b);
	}
	it = json_pack("{s:o}", "customer_balances", out);
	send_reply(s, req, 200, it, NULL);
	json_decref(it);
}

static void
h_partner(struct sim *s, struct evhttp_request *req)
{
	json_t *b = json_pack("{s:O}", "account_balances",
	    json_object_get(s->data, "partner_balances") ?
		json_object_get(s->data, "partner_balances") :
		json_array());

	send_reply(s, req, 200, b, NULL);
	json_decref(b);
}

static bool
parse_time_field(json_t *in, const char *key, int64_t *out, bool *present)
{
	const char *v = str_field(in, key);

	*present = v != NULL;
	return v == NULL || clock_parse_utc_s(v, out);
}

static void
h_resources(struct sim *s, struct evhttp_request *req, json_t *in)
{
	bool bad = false, has_begin, has_end;
	json_int_t offset = int_field(in, "offset", 0, &bad),
		   limit = int_field(in, "limit", 10, &bad);
	json_int_t only_main = int_field(in, "only_main_resource", 0, &bad);
	const char *cid = str_field(in, "customer_id");
	json_t *ids = json_object_get(in, "resource_ids"),
	       *statuses = json_object_get(in, "status_list");
	const char *service = str_field(in, "service_type_code");
	int64_t begin = 0, end = 0;
	json_t *c, *out, *r;
	json_int_t count = 0;
	size_t i;

	if (cid == NULL) {
		s->bad_requests++;
		send_error(s, req, 400, "CBC.0100",
		    "Parameter error: customer_id is required when a "
		    "partner queries a customer's resources.");
		return;
	}
	if (bad || offset < 0 || limit < 1 || limit > 500 ||
	    (ids && (!json_is_array(ids) || json_array_size(ids) > 50)) ||
	    (statuses && !json_is_array(statuses)) ||
	    !parse_time_field(in, "expire_time_begin", &begin, &has_begin) ||
	    !parse_time_field(in, "expire_time_end", &end, &has_end)) {
		s->bad_requests++;
		send_error(s, req, 400, "CBC.0101", "Invalid parameter.");
		return;
	}
	c = find_customer(s, cid);
	if (c == NULL) {
		/* Huawei's quirk: a business error inside an HTTP 200. */
		send_error(s, req, 200, "CBC.5002",
		    "The customer does not exist or is not "
		    "associated with the partner.");
		return;
	}
	out = json_array();
	json_array_foreach(json_object_get(c, "resources"), i, r) {
		const char *exp = str_field(r, "expire_time");
		int64_t t = 0;

		if (only_main == 1 &&
		    json_integer_value(json_object_get(r, "is_main_resource")) != 1)
			continue;
		if (ids && json_array_size(ids) > 0) {
			size_t k;
			json_t *want;
			bool hit = false;

			json_array_foreach(ids, k, want) {
				if (json_equal(want, json_object_get(r, "resource_id")))
					hit = true;
			}
			if (!hit)
				continue;
		}
		if (statuses && json_array_size(statuses) > 0) {
			size_t k;
			json_t *st;
			bool hit = false;

			json_array_foreach(statuses, k, st) {
				if (json_integer_value(st) ==
				    json_integer_value(json_object_get(r, "status")))
					hit = true;
			}
			if (!hit)
				continue;
		}
		if (service &&
		    (!str_field(r, "service_type_code") ||
			strcmp(service, str_field(r, "service_type_code")) != 0))
			continue;
		if ((has_begin || has_end) &&
		    (exp == NULL || !clock_parse_utc_s(exp, &t) || (has_begin && t < begin) ||
			(has_end && t > end)))
			continue;
		if (count >= offset && count < offset + limit)
			json_array_append(out, r);
		count++;
	}
	r = json_pack("{s:o,s:I}", "data", out, "total_count", count);
	send_reply(s, req, 200, r, NULL);
	json_decref(r);
}

static void
h_iam(struct sim *s, struct evhttp_request *req, json_t *in)
{
	json_t *id = json_object_get(json_object_get(in, "auth"), "identity");
	json_t *methods = json_object_get(id, "methods");
	const char *method = json_string_value(json_array_get(methods, 0));
	const char *user = NULL, *domain = NULL;
	char token[65], issued[CLOCK_UTC_S_LEN], expires[40];
	int64_t now = clock_wall_us() / 1000000;
	json_t *ans;

	if (method && strcmp(method, "password") == 0) {
		json_t *u = json_object_get(json_object_get(id, "password"), "user");

		user = str_field(u, "name");
		if (!user || strcmp(user, s->iam_user) != 0 || !str_field(u, "password") ||
		    strcmp(str_field(u, "password"), s->iam_password) != 0 ||
		    !str_field(json_object_get(u, "domain"), "name") ||
		    strcmp(str_field(json_object_get(u, "domain"), "name"), s->iam_domain) != 0) {
			s->auth_failures++;
			ans = json_pack("{s:{s:i,s:s,s:s}}", "error", "code", 401, "message",
			    "The username or password is wrong.", "title", "Unauthorized");
			send_reply(s, req, 401, ans, NULL);
			json_decref(ans);
			return;
		}
	} else if (method && strcmp(method, "assume_role") == 0) {
		const char *caller =
		    evhttp_find_header(evhttp_request_get_input_headers(req), "X-Auth-Token");
		json_t *t = caller ? json_object_get(s->tokens, caller) : NULL;

		if (t == NULL) {
			s->auth_failures++;
			ans = json_pack("{s:{s:i,s:s,s:s}}", "error", "code", 401, "message",
			    "The X-Auth-Token is invalid!", "title", "Unauthorized");
			send_reply(s, req, 401, ans, NULL);
			json_decref(ans);
			return;
		}
		user = "agency";
		domain = str_field(json_object_get(id, "assume_role"), "domain_name");
		if (domain == NULL)
			domain = str_field(json_object_get(id, "assume_role"), "domain_id");
	} else {
		s->bad_requests++;
		ans = json_pack("{s:{s:i,s:s,s:s}}", "error", "code", 400, "message",
		    "The request body is invalid.", "title", "Bad Request");
		send_reply(s, req, 400, ans, NULL);
		json_decref(ans);
		return;
	}
	snprintf(token, sizeof(token), "%016llx%016llx%016llx%016llx",
	    (unsigned long long)rng_next(&s->rng), (unsigned long long)rng_next(&s->rng),
	    (unsigned long long)rng_next(&s->rng), (unsigned long long)rng_next(&s->rng));
	json_object_set_new(s->tokens, token,
	    json_pack("{s:s,s:s?,s:I}", "user", user, "domain", domain, "expires",
		(json_int_t)(clock_mono_us() / 1000000 + s->token_ttl)));
	clock_format_utc_s(now, issued, sizeof(issued));
	clock_format_utc_s(now + s->token_ttl, expires, sizeof(expires));
	/* Huawei writes microseconds: "2020-01-05T05:05:17.429000Z". */
	memcpy(expires + 19, ".000000Z", 9);
	ans = json_pack("{s:{s:[s],s:s,s:s,s:{s:s,s:{s:s}}}}", "token", "methods", method,
	    "expires_at", expires, "issued_at", issued, "user", "name", user, "domain", "name",
	    s->iam_domain);
	send_reply(s, req, 201, ans, token);
	json_decref(ans);
}

/* Huawei's account-name rule: 5-32 characters, a letter or '-' first, no op_/shadow_, not all
 * digits. */
static bool
valid_account_name(const char *n)
{
	size_t len = strlen(n);
	bool digits = true;

	if (len < 5 || len > 32 || strncmp(n, "op_", 3) == 0 || strncmp(n, "shadow_", 7) == 0)
		return false;
	if (!((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z') || n[0] == '-'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '_' || c == '-'))
			return false;
		if (c < '0' || c > '9')
			digits = false;
	}
	return !digits;
}

static json_t *
customer_where(struct sim *s, const char *field, const char *value)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(s->data, "customers"), i, c) {
		const char *v = str_field(c, field);

		if (v && strcmp(v, value) == 0)
			return c;
	}
	return NULL;
}

static void
h_check_identity(struct sim *s, struct evhttp_request *req, json_t *in)
{
	const char *type = str_field(in, "search_type"), *value = str_field(in, "search_value");
	const char *field;
	json_t *ans;

	if (!type || !value || strlen(value) > 64) {
		s->bad_requests++;
		send_error(s, req, 400, "CBC.0100",
		    "Parameter error: search_type and search_value are "
		    "required.");
		return;
	}
	if (strcmp(type, "name") == 0 && valid_account_name(value))
		field = "account_name";
	else if (strcmp(type, "email") == 0 && strchr(value, '@'))
		field = "email";
	else if (strcmp(type, "mobile") == 0 && strncmp(value, "0086-", 5) == 0)
		field = "telephone";
	else {
		s->bad_requests++;
		send_error(s, req, 400, "CBC.0101",
		    "Invalid parameter: search_type or search_value.");
		return;
	}
	ans = json_pack("{s:s}", "check_result",
	    customer_where(s, field, value) ? "used_by_user" : "available");
	if (strcmp(type, "mobile") == 0)
		json_object_set_new(ans, "mobile_remain_available_num", json_integer(5));
	send_reply(s, req, 200, ans, NULL);
	json_decref(ans);
}

/* The code "sent" to a mobile is always 123456, so that tests can create customers with it. */
static void
h_send_code(struct sim *s, struct evhttp_request *req, json_t *in)
{
	bool bad = false;
	const char *mobile = str_field(in, "mobile_phone");

	if (int_field(in, "receiver_type", 0, &bad) != 1 || bad || mobile == NULL) {
		s->bad_requests++;
		send_error(s, req, 400, "CBC.0100",
		    "Parameter error: receiver_type 1 and mobile_phone "
		    "are required.");
		return;
	}
	json_object_set_new(s->codes, mobile, json_string("123456"));
	send_raw(s, req, 204, "", NULL);
}

/* Created and, unlike Huawei (asynchronous), associated at once. */
static void
h_create_customer(struct sim *s, struct evhttp_request *req, json_t *in)
{
	const char *xid = str_field(in, "xaccount_id"), *xtype = str_field(in, "xaccount_type");
	const char *name = str_field(in, "domain_name"), *mobile = str_field(in, "mobile_phone");
	const char *code = str_field(in, "verification_code");
	const char *coop = str_field(in, "cooperation_type");
	char id[40], gen[40], at[CLOCK_UTC_S_LEN];
	json_t *c, *ans;

	if (!xid || !xtype || strlen(xid) > 64 || strlen(xtype) > 64) {
		s->bad_requests++;
		send_error(s, req, 400, "CBC.0100",
		    "Parameter error: xaccount_id and xaccount_type are "
		    "required.");
		return;
	}
	if (name && !valid_account_name(name)) {
		send_error(s, req, 400, "CBC.99000031", "The login name format is invalid.");
		return;
	}
	if (name && customer_where(s, "account_name", name)) {
		send_error(s, req, 400, "CBC.99000038", "The login name already exists.");
		return;
	}
	if (customer_where(s, "xaccount_id", xid)) {
		send_error(s, req, 400, "CBC.99000039", "The xaccount_id already exists.");
		return;
	}
	if (mobile &&
	    (!code || !str_field(s->codes, mobile) ||
		strcmp(code, str_field(s->codes, mobile)) != 0)) {
		send_error(s, req, 400, "CBC.99004010", "The verification code is incorrect.");
		return;
	}
	snprintf(id, sizeof(id), "%016llx%016llx", (unsigned long long)rng_next(&s->rng),
	    (unsigned long long)rng_next(&s->rng));
	snprintf(gen, sizeof(gen), "hw%.30s", id);
	clock_format_utc_s(clock_wall_us() / 1000000, at, sizeof(at));
	c = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:[]}", "customer_id", id,
	    "account_name", name ? name : gen, "xaccount_id", xid, "xaccount_type", xtype,
	    "association_type", coop && strcmp(coop, "1") == 0 ? "1" : "2", "is_frozen", 0,
	    "associated_on", at, "telephone", mobile ? mobile : "", "customer_level", "V0",
	    "resources");
	if (strcmp(str_field(c, "association_type"), "2") == 0)
		json_object_set_new(c, "balance",
		    json_pack("{s:f,s:f,s:s,s:i}", "amount", 0.0, "debt_amount", 0.0, "currency",
			"CNY", "measure_id", 1));
	json_array_append_new(json_object_get(s->data, "customers"), c);
	reindex(s);
	ans = json_pack("{s:s,s:s}", "domain_id", id, "domain_name", str_field(c, "account_name"));
	send_reply(s, req, 200, ans, NULL);
	json_decref(ans);
}

/* A customer's own balance: only with that customer's (assume-role) token. */
static void
h_own_balance(struct sim *s, struct evhttp_request *req, const char *identity)
{
	const char *domain = strncmp(identity, "token:agency:", 13) == 0 ? identity + 13 : NULL;
	json_t *c = NULL, *b, *ans, *zero = NULL;

	if (domain)
		c = customer_where(s, "account_name", domain) ?
		    customer_where(s, "account_name", domain) :
		    find_customer(s, domain);
	if (c == NULL) {
		send_error(s, req, 403, "CBC.0151",
		    "Access denied: this API takes the customer's own "
		    "credential.");
		return;
	}
	if (strcmp(str_field(c, "association_type") ? str_field(c, "association_type") : "", "2") ==
	    0) {
		send_error(s, req, 400, "CBC.99000049",
		    "Resale sub-customers have no account balance.");
		return;
	}
	b = json_object_get(c, "balance");
	if (b == NULL)
		b = zero = json_pack("{s:f,s:f}", "amount", 0.0, "debt_amount", 0.0);
	ans = json_pack("{s:[{s:O,s:i,s:O,s:s,s:f,s:f,s:i}],s:O,s:i,s:s}", "account_balances",
	    "account_id", json_object_get(c, "customer_id"), "account_type", 1, "amount",
	    json_object_get(b, "amount"), "currency", "CNY", "designated_amount", 0.0,
	    "credit_amount", 0.0, "measure_id", 1, "debt_amount", json_object_get(b, "debt_amount"),
	    "measure_id", 1, "currency", "CNY");
	send_reply(s, req, 200, ans, NULL);
	json_decref(ans);
	json_decref(zero);
}

static json_t *
find_resource(struct sim *s, const char *rid, json_t **owner, size_t *pos)
{
	size_t i, k;
	json_t *c, *r;

	json_array_foreach(json_object_get(s->data, "customers"), i, c) {
		json_array_foreach(json_object_get(c, "resources"), k, r) {
			const char *id = str_field(r, "resource_id");

			if (id && strcmp(id, rid) == 0) {
				if (owner)
					*owner = c;
				if (pos)
					*pos = k;
				return r;
			}
		}
	}
	return NULL;
}

/* One change to the data; see the README of the simulator for the operations. */
static bool
mutate(struct sim *s, json_t *op, char *err, size_t errlen)
{
	const char *name = str_field(op, "op");
	const char *cid = str_field(op, "customer_id"), *rid = str_field(op, "resource_id");
	json_t *set = json_object_get(op, "set");
	json_t *custs = json_object_get(s->data, "customers");
	json_t *c = find_customer(s, cid), *r;

	if (name == NULL) {
		snprintf(err, errlen, "each operation needs \"op\"");
		return false;
	}
	if (strcmp(name, "customer") == 0 || strcmp(name, "balance") == 0) {
		if (c == NULL || !json_is_object(set)) {
			snprintf(err, errlen,
			    "%s: unknown customer_id, or \"set\" is not an object", name);
			return false;
		}
		if (strcmp(name, "customer") == 0) {
			json_object_update(c, set);
		} else {
			if (json_object_get(c, "balance") == NULL)
				json_object_set_new(c, "balance",
				    json_pack("{s:s,s:i}", "currency", "CNY", "measure_id", 1));
			json_object_update(json_object_get(c, "balance"), set);
		}
		reindex(s);
		return true;
	}
	if (strcmp(name, "add_customer") == 0) {
		json_t *nc = json_object_get(op, "customer");

		if (!json_is_object(nc) || !str_field(nc, "customer_id") ||
		    find_customer(s, str_field(nc, "customer_id"))) {
			snprintf(err, errlen, "add_customer: \"customer\" needs a new customer_id");
			return false;
		}
		nc = json_deep_copy(nc);
		if (!json_is_array(json_object_get(nc, "resources")))
			json_object_set_new(nc, "resources", json_array());
		json_array_append_new(custs, nc);
		reindex(s);
		return true;
	}
	if (strcmp(name, "remove_customer") == 0) {
		json_t *pos = cid ? json_object_get(s->index, cid) : NULL;

		if (pos == NULL) {
			snprintf(err, errlen, "remove_customer: unknown customer_id");
			return false;
		}
		json_array_remove(custs, (size_t)json_integer_value(pos));
		reindex(s);
		return true;
	}
	if (strcmp(name, "add_resource") == 0) {
		json_t *nr = json_object_get(op, "resource");

		if (c == NULL || !json_is_object(nr) || !str_field(nr, "resource_id")) {
			snprintf(err, errlen,
			    "add_resource: needs a known customer_id and a resource "
			    "with resource_id");
			return false;
		}
		json_array_append_new(json_object_get(c, "resources"), json_deep_copy(nr));
		return true;
	}
	if (strcmp(name, "resource") == 0 || strcmp(name, "remove_resource") == 0) {
		json_t *owner = NULL;
		size_t pos = 0;

		r = rid ? find_resource(s, rid, &owner, &pos) : NULL;
		if (r == NULL) {
			snprintf(err, errlen, "%s: unknown resource_id", name);
			return false;
		}
		if (strcmp(name, "remove_resource") == 0) {
			json_array_remove(json_object_get(owner, "resources"), pos);
			return true;
		}
		if (!json_is_object(set)) {
			snprintf(err, errlen, "resource: \"set\" must be an object");
			return false;
		}
		json_object_update(r, set);
		return true;
	}
	if (strcmp(name, "partner_balances") == 0) {
		if (!json_is_array(set)) {
			snprintf(err, errlen, "partner_balances: \"set\" must be an array");
			return false;
		}
		json_object_set(s->data, "partner_balances", set);
		return true;
	}
	snprintf(err, errlen, "unknown op \"%s\"", name);
	return false;
}

static void
h_admin(struct sim *s, struct evhttp_request *req, const char *path, json_t *in)
{
	json_t *ans = NULL;
	char err[256];

	if (strcmp(path, "/_sim/stats") == 0) {
		json_t *calls = json_object();

		for (int i = 0; i < API_COUNT; i++)
			json_object_set_new(calls, api_names[i], json_integer(s->calls[i]));
		ans = json_pack("{s:o,s:I,s:I,s:I,s:I,s:I,s:i}", "calls", calls, "total",
		    (json_int_t)s->total, "throttled", (json_int_t)s->throttled, "auth_failures",
		    (json_int_t)s->auth_failures, "faults_injected", (json_int_t)s->faults_injected,
		    "bad_requests", (json_int_t)s->bad_requests, "rate_limit", s->rate);
	} else if (strcmp(path, "/_sim/stats/reset") == 0) {
		memset(s->calls, 0, sizeof(s->calls));
		s->throttled = s->auth_failures = s->faults_injected = s->bad_requests = s->total =
		    0;
		ans = json_pack("{s:b}", "ok", 1);
	} else if (strcmp(path, "/_sim/dataset") == 0) {
		send_reply(s, req, 200, s->data, NULL);
		return;
	} else if (strcmp(path, "/_sim/faults") == 0 && json_is_object(in)) {
		json_t *v;

		if ((v = json_object_get(in, "rate_5xx")))
			s->faults.rate_5xx = json_number_value(v);
		if ((v = json_object_get(in, "rate_error200")))
			s->faults.rate_error200 = json_number_value(v);
		if ((v = json_object_get(in, "rate_malformed")))
			s->faults.rate_malformed = json_number_value(v);
		if ((v = json_object_get(in, "rate_huge")))
			s->faults.rate_huge = json_number_value(v);
		if ((v = json_object_get(in, "huge_bytes")) && json_integer_value(v) > 0 &&
		    json_integer_value(v) <= (1L << 30))
			s->faults.huge_bytes = (long)json_integer_value(v);
		if ((v = json_object_get(in, "latency_ms")))
			s->faults.latency_ms = (int)json_integer_value(v);
		if ((v = json_object_get(in, "rate_limit")) && json_integer_value(v) > 0)
			s->rate = (int)json_integer_value(v);
		if (json_is_true(json_object_get(in, "expire_tokens")))
			json_object_clear(s->tokens);
		ans = json_pack("{s:f,s:f,s:f,s:f,s:I,s:i,s:i}", "rate_5xx", s->faults.rate_5xx,
		    "rate_error200", s->faults.rate_error200, "rate_malformed",
		    s->faults.rate_malformed, "rate_huge", s->faults.rate_huge, "huge_bytes",
		    (json_int_t)s->faults.huge_bytes, "latency_ms", s->faults.latency_ms,
		    "rate_limit", s->rate);
	} else if (strcmp(path, "/_sim/mutate") == 0 && in) {
		json_t *ops = json_is_array(in) ? json_incref(in) : json_pack("[O]", in), *op;
		size_t i;

		json_array_foreach(ops, i, op) {
			if (!mutate(s, op, err, sizeof(err))) {
				json_decref(ops);
				ans = json_pack("{s:s,s:I}", "error", err, "at", (json_int_t)i);
				send_reply(s, req, 400, ans, NULL);
				json_decref(ans);
				return;
			}
		}
		json_decref(ops);
		ans = json_pack("{s:b}", "ok", 1);
	} else {
		ans = json_pack("{s:s}", "error", "unknown admin path or bad body");
		send_reply(s, req, 404, ans, NULL);
		json_decref(ans);
		return;
	}
	send_reply(s, req, 200, ans, NULL);
	json_decref(ans);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct sim *s = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char identity[128], *body;
	size_t len;
	json_t *in = NULL;
	enum api api;

	if (path == NULL)
		path = "/";
	body = body_text(req, &len);
	if (sim_chat_handle(s->chat, req, path, body, len))
		goto out;
	/* NUL allowed, so that a test can put U+0000 into the data Huawei answers with. */
	if (len > 0)
		in = json_loadb(body, len, JSON_ALLOW_NUL, NULL);
	if (strncmp(path, "/_sim/", 6) == 0) {
		h_admin(s, req, path, in);
		goto out;
	}
	s->total++;
	if (cmd == EVHTTP_REQ_POST && strcmp(path, "/v2/partners/sub-customers/query") == 0)
		api = API_CUSTOMERS;
	else if (cmd == EVHTTP_REQ_POST &&
	    strcmp(path, "/v2/accounts/customer-accounts/balances/batch-query") == 0)
		api = API_BALANCES;
	else if (cmd == EVHTTP_REQ_POST &&
	    strcmp(path, "/v2/orders/suscriptions/resources/query") == 0)
		api = API_RESOURCES;
	else if (cmd == EVHTTP_REQ_GET &&
	    strcmp(path, "/v2/accounts/partner-accounts/balances") == 0)
		api = API_PARTNER;
	else if (cmd == EVHTTP_REQ_POST && strcmp(path, "/v3/auth/tokens") == 0)
		api = API_IAM;
	else if (cmd == EVHTTP_REQ_POST &&
	    strcmp(path, "/v2/partners/sub-customers/users/check-identity") == 0)
		api = API_CHECK_IDENTITY;
	else if (cmd == EVHTTP_REQ_POST && strcmp(path, "/v2/bases/verificationcode/send") == 0)
		api = API_SEND_CODE;
	else if (cmd == EVHTTP_REQ_POST && strcmp(path, "/v2/partners/sub-customers") == 0)
		api = API_CREATE_CUSTOMER;
	else if (cmd == EVHTTP_REQ_GET &&
	    strcmp(path, "/v2/accounts/customer-accounts/balances") == 0)
		api = API_OWN_BALANCE;
	else {
		send_gateway_error(s, req, 404, "0101",
		    "The API does not exist or has not been "
		    "published in the environment");
		goto out;
	}
	if (api == API_IAM) {
		snprintf(identity, sizeof(identity), "iam");
	} else if (!check_auth(s, req, body, len, identity, sizeof(identity))) {
		goto out;
	}
	if (!take_token(s, api, identity)) {
		char msg[160];

		s->throttled++;
		snprintf(msg, sizeof(msg),
		    "The throttling threshold has been reached: policy user "
		    "over ratelimit,limit:%d,time:1 second",
		    s->rate);
		send_gateway_error(s, req, 429, "0308", msg);
		goto out;
	}
	s->calls[api]++;
	if (s->faults.rate_5xx > 0 && rng_unit(&s->rng) < s->faults.rate_5xx) {
		s->faults_injected++;
		send_error(s, req, 500, "CBC.0999", "Other error (injected by hcwatch-sim).");
		goto out;
	}
	if (s->faults.rate_error200 > 0 && api != API_IAM &&
	    rng_unit(&s->rng) < s->faults.rate_error200) {
		s->faults_injected++;
		send_error(s, req, 200, "CBC.0999", "Other error (injected by hcwatch-sim).");
		goto out;
	}
	if (s->faults.rate_malformed > 0 && api != API_IAM &&
	    rng_unit(&s->rng) < s->faults.rate_malformed) {
		s->faults_injected++;
		send_raw(s, req, 200, "{\"customer_infos\":[{\"customer_id\":", NULL);
		goto out;
	}
	if (s->faults.rate_huge > 0 && api != API_IAM && rng_unit(&s->rng) < s->faults.rate_huge) {
		/* Well-formed JSON, too big to be believed: {"padding":"xxx...x"}. */
		size_t n = (size_t)s->faults.huge_bytes;
		char *big = xmalloc(n + 16);

		s->faults_injected++;
		memcpy(big, "{\"padding\":\"", 12);
		memset(big + 12, 'x', n);
		memcpy(big + 12 + n, "\"}", 3);
		send_raw(s, req, 200, big, NULL);
		free(big);
		goto out;
	}
	if (len > 0 && in == NULL) {
		s->bad_requests++;
		send_error(s, req, 400, "CBC.0100", "Parameter error: the body is not JSON.");
		goto out;
	}
	if (in == NULL)
		in = json_object();
	switch (api) {
	case API_CUSTOMERS: h_customers(s, req, in); break;
	case API_BALANCES: h_balances(s, req, in); break;
	case API_RESOURCES: h_resources(s, req, in); break;
	case API_PARTNER: h_partner(s, req); break;
	case API_IAM: h_iam(s, req, in); break;
	case API_CHECK_IDENTITY: h_check_identity(s, req, in); break;
	case API_SEND_CODE: h_send_code(s, req, in); break;
	case API_CREATE_CUSTOMER: h_create_customer(s, req, in); break;
	case API_OWN_BALANCE: h_own_balance(s, req, identity); break;
	case API_COUNT: break;
	}
out:
	json_decref(in);
	free(body);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopexit(arg, NULL);
}

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: hcwatch-sim serve [options]\n\n"
	    "Huawei's BSS and IAM endpoints, for hcwatch's poller.\n\n"
	    "  --listen HOST:PORT     where to listen (default 127.0.0.1:9480)\n"
	    "  --data FILE            the dataset, a JSON document (see docs/simulator.md)\n"
	    "  --customers N          else generate N customers (default 50)\n"
	    "  --resources-per M      with M resources each (default 5)\n"
	    "  --seed S               generator seed (default 1)\n"
	    "  --rate N               calls per second per API and caller (default 10)\n"
	    "  --ak AK --sk SK        the access key pair it accepts (defaults in the docs)\n"
	    "  --iam-user U --iam-password P --iam-domain D   the IAM user it accepts\n"
	    "  --token-ttl S          IAM token lifetime in seconds (default 86400)\n"
	    "  --error-shape apigw|apig   gateway error shape (default apigw)\n"
	    "  --fault-5xx P --fault-error200 P --fault-malformed P   failure rates, 0 to 1\n"
	    "  --latency-ms N         added to every answer\n"
	    "chat and mail (see docs/simulator.md):\n"
	    "  --chat-secret S        DingTalk and Feishu signing secret (default " SIM_CHAT_SECRET
	    ")\n"
	    "  --webhook-secret K     generic webhook key (default " SIM_WEBHOOK_SECRET ")\n"
	    "  --dingtalk-penalty S   seconds DingTalk refuses a robot over its limit (600)\n"
	    "  --smtp-listen H:P      also serve SMTP there\n"
	    "  --smtp-user U --smtp-password P   require AUTH (PLAIN or LOGIN)\n"
	    "  --smtp-tls-cert F --smtp-tls-key F   offer STARTTLS with this certificate (PEM)\n"
	    "  --smtp-require-tls     refuse AUTH and mail before STARTTLS\n");
}

int
sim_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "data", required_argument, NULL, 'd' },
		{ "customers", required_argument, NULL, 'n' },
		{ "resources-per", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "ak", required_argument, NULL, 'a' },
		{ "sk", required_argument, NULL, 'k' },
		{ "iam-user", required_argument, NULL, 'u' },
		{ "iam-password", required_argument, NULL, 'p' },
		{ "iam-domain", required_argument, NULL, 'D' },
		{ "token-ttl", required_argument, NULL, 't' },
		{ "error-shape", required_argument, NULL, 'e' },
		{ "fault-5xx", required_argument, NULL, '5' },
		{ "fault-error200", required_argument, NULL, '2' },
		{ "fault-malformed", required_argument, NULL, 'M' },
		{ "latency-ms", required_argument, NULL, 'L' },
		{ "chat-secret", required_argument, NULL, 1 },
		{ "webhook-secret", required_argument, NULL, 2 },
		{ "dingtalk-penalty", required_argument, NULL, 3 },
		{ "smtp-listen", required_argument, NULL, 4 },
		{ "smtp-user", required_argument, NULL, 5 },
		{ "smtp-password", required_argument, NULL, 6 },
		{ "smtp-tls-cert", required_argument, NULL, 7 },
		{ "smtp-tls-key", required_argument, NULL, 8 },
		{ "smtp-require-tls", no_argument, NULL, 9 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim s;
	const char *listen = "127.0.0.1:9480", *data_file = NULL;
	int ncust = 50, per = 5, c, port, rc = 1;
	uint64_t seed = 1;
	char host[256];
	struct evhttp *http = NULL;
	struct event *sigint = NULL, *sigterm = NULL;
	const char *chat_secret = SIM_CHAT_SECRET, *webhook_secret = SIM_WEBHOOK_SECRET;
	const char *smtp_listen = NULL, *smtp_user = NULL, *smtp_password = NULL;
	const char *smtp_cert = NULL, *smtp_key = NULL;
	bool smtp_require_tls = false;
	double penalty = 600;

	memset(&s, 0, sizeof(s));
	s.ak = "HCWATCHSIMACCESSKEY0";
	s.sk = "hcwatch-sim-secret-key-0000000000000000";
	s.iam_user = "hcwatch";
	s.iam_password = "hcwatch-sim-password";
	s.iam_domain = "partner-demo";
	s.rate = 10;
	s.token_ttl = 86400;
	s.faults.huge_bytes = 32L << 20;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'd': data_file = optarg; break;
		case 'n': ncust = atoi(optarg); break;
		case 'm': per = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'r': s.rate = atoi(optarg); break;
		case 'a': s.ak = optarg; break;
		case 'k': s.sk = optarg; break;
		case 'u': s.iam_user = optarg; break;
		case 'p': s.iam_password = optarg; break;
		case 'D': s.iam_domain = optarg; break;
		case 't': s.token_ttl = atoi(optarg); break;
		case 'e':
			if (strcmp(optarg, "apig") != 0 && strcmp(optarg, "apigw") != 0) {
				fprintf(stderr,
				    "hcwatch-sim serve: --error-shape is apigw or apig\n");
				return 2;
			}
			s.apig_shape = strcmp(optarg, "apig") == 0;
			break;
		case '5': s.faults.rate_5xx = atof(optarg); break;
		case '2': s.faults.rate_error200 = atof(optarg); break;
		case 'M': s.faults.rate_malformed = atof(optarg); break;
		case 'L': s.faults.latency_ms = atoi(optarg); break;
		case 1: chat_secret = optarg; break;
		case 2: webhook_secret = optarg; break;
		case 3: penalty = atof(optarg); break;
		case 4: smtp_listen = optarg; break;
		case 5: smtp_user = optarg; break;
		case 6: smtp_password = optarg; break;
		case 7: smtp_cert = optarg; break;
		case 8: smtp_key = optarg; break;
		case 9: smtp_require_tls = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (ncust < 0 || per < 0 || s.rate < 1 || s.token_ttl < 1 ||
	    !config_split_hostport(listen, host, sizeof(host), &port)) {
		usage(stderr);
		return 2;
	}
	if (data_file) {
		json_error_t jerr;

		s.data = json_load_file(data_file, 0, &jerr);
		if (s.data == NULL || !json_is_array(json_object_get(s.data, "customers"))) {
			fprintf(stderr, "hcwatch-sim serve: %s:%d: %s\n", data_file, jerr.line,
			    s.data ? "expected {\"customers\": [...]}" : jerr.text);
			json_decref(s.data);
			return 1;
		}
	} else {
		s.data = generate(ncust, per, seed);
	}
	s.tokens = json_object();
	s.codes = json_object();
	s.rng = seed ^ 0x5eed;
	reindex(&s);

	signal(SIGPIPE, SIG_IGN);
	s.base = event_base_new();
	http = evhttp_new(s.base);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_body_size(http, MAX_BODY);
	evhttp_set_gencb(http, on_request, &s);
	s.chat = sim_chat_new(s.base, chat_secret, webhook_secret, penalty);
	if (smtp_listen) {
		char shost[256];
		int sport;

		if (!config_split_hostport(smtp_listen, shost, sizeof(shost), &sport) ||
		    !sim_chat_smtp_listen(s.chat, shost, sport, smtp_user, smtp_password)) {
			fprintf(stderr, "hcwatch-sim serve: cannot listen for SMTP on %s\n",
			    smtp_listen);
			goto out;
		}
		if ((smtp_cert || smtp_key || smtp_require_tls) &&
		    (smtp_cert == NULL || smtp_key == NULL ||
			!sim_chat_smtp_tls(s.chat, smtp_cert, smtp_key, smtp_require_tls))) {
			fprintf(stderr,
			    "hcwatch-sim serve: STARTTLS needs --smtp-tls-cert and "
			    "--smtp-tls-key, a PEM certificate and its key\n");
			goto out;
		}
	}
	if (evhttp_bind_socket(http, host, (ev_uint16_t)port) != 0) {
		fprintf(stderr, "hcwatch-sim serve: cannot listen on %s\n", listen);
		goto out;
	}
	sigint = evsignal_new(s.base, SIGINT, on_signal, s.base);
	sigterm = evsignal_new(s.base, SIGTERM, on_signal, s.base);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	fprintf(stderr,
	    "hcwatch-sim: Huawei BSS and IAM on http://%s (%zu customers, %d calls/s "
	    "per API)\n",
	    listen, json_array_size(json_object_get(s.data, "customers")), s.rate);
	event_base_dispatch(s.base);
	rc = 0;
out:
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	if (http)
		evhttp_free(http);
	sim_chat_free(s.chat);
	event_base_free(s.base);
	json_decref(s.data);
	json_decref(s.index);
	json_decref(s.tokens);
	json_decref(s.codes);
	for (size_t i = 0; i < s.nbuckets; i++)
		free(s.buckets[i].at);
	free(s.buckets);
	return rc;
}
