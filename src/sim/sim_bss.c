/*
 * Huawei's BSS and IAM APIs as hcwatch-sim serve answers them: signatures
 * and tokens checked as the gateway does, the per-caller quota in a sliding
 * second, and the answers in Huawei's shapes.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "hwc/hwc_sign.h"
#include "sim/sim_huawei.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/pct.h"
#include "util/sha256.h"
#include "util/xalloc.h"

#define MAX_SKEW_S (15 * 60)

/*
 * AK/SK exactly as the gateway: the client's SignedHeaders, which must name
 * x-sdk-date; a date within 15 minutes; the payload hash of the bytes
 * received. Or an IAM token this simulator issued and that has not expired.
 */
bool
sim_check_auth(struct sim *s, struct evhttp_request *req, const char *body, size_t len,
    char *identity, size_t idlen)
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
			sim_send_gateway_error(s, req, 401, "0301",
			    "Incorrect IAM authentication "
			    "information: the token is invalid or has expired");
			return false;
		}
		snprintf(identity, idlen, "token:%s%s%s",
		    json_string_value(json_object_get(t, "user")),
		    sim_str_field(t, "domain") ? ":" : "",
		    sim_str_field(t, "domain") ? sim_str_field(t, "domain") : "");
		return true;
	}
	if (auth == NULL || !hwc_sign_parse_authorization(auth, &a)) {
		s->auth_failures++;
		sim_send_gateway_error(s, req, 401, "0301",
		    "Incorrect IAM authentication information: "
		    "Authorization header missing or not SDK-HMAC-SHA256");
		return false;
	}
	if (strcmp(a.access, s->ak) != 0) {
		s->auth_failures++;
		sim_send_gateway_error(s, req, 401, "0301",
		    "Incorrect IAM authentication information: "
		    "access key does not exist");
		return false;
	}
	if (date == NULL || !hwc_sign_parse_date(date, &when) ||
	    llabs(when - clock_wall_us() / 1000000) > MAX_SKEW_S) {
		s->auth_failures++;
		sim_send_gateway_error(s, req, 401, "0301",
		    "Incorrect IAM authentication information: "
		    "X-Sdk-Date missing, malformed or more than 15 minutes from the gateway's clock");
		return false;
	}
	if (strstr(a.signed_headers, "x-sdk-date") == NULL) {
		s->auth_failures++;
		sim_send_gateway_error(s, req, 401, "0301",
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
			sim_send_gateway_error(s, req, 400, "0201",
			    "bad percent escape in the path");
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
			sim_send_gateway_error(s, req, 401, "0301", msg);
			goto out;
		}
	}
	hwc_sign_signature(s->sk, date, canonical.data, sig);
	if (strlen(a.signature) != 64 || CRYPTO_memcmp(sig, a.signature, 64) != 0) {
		s->auth_failures++;
		sim_send_gateway_error(s, req, 401, "0301",
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
bool
sim_take_token(struct sim *s, enum api api, const char *identity)
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

void
sim_api_customers(struct sim *s, struct evhttp_request *req, json_t *in)
{
	bool bad = false;
	json_int_t offset = sim_int_field(in, "offset", 0, &bad),
		   limit = sim_int_field(in, "limit", 10, &bad);
	const char *id = sim_str_field(in, "customer_id"),
		   *name = sim_str_field(in, "account_name");
	const char *type = sim_str_field(in, "association_type");
	json_t *out = json_array(), *c;
	json_int_t count = 0;
	size_t i;

	if (bad || offset < 0 || offset > 40000000 || limit < 1 || limit > 100) {
		json_decref(out);
		s->bad_requests++;
		sim_send_error(s, req, 400, "CBC.0101",
		    "Invalid parameter: offset must be 0 to 40000000 "
		    "and limit 1 to 100.");
		return;
	}
	json_array_foreach(json_object_get(s->data, "customers"), i, c) {
		const char *cid = sim_str_field(c, "customer_id");

		if (id && (cid == NULL || strcmp(cid, id) != 0))
			continue;
		if (name &&
		    (sim_str_field(c, "account_name") == NULL ||
			strstr(sim_str_field(c, "account_name"), name) == NULL))
			continue;
		if (type &&
		    (sim_str_field(c, "association_type") == NULL ||
			strcmp(sim_str_field(c, "association_type"), type) != 0))
			continue;
		if (count >= offset && count < offset + limit)
			json_array_append_new(out, sim_public_customer(c));
		count++;
	}
	c = json_pack("{s:o,s:I}", "customer_infos", out, "count", count);
	sim_send_reply(s, req, 200, c, NULL);
	json_decref(c);
}

void
sim_api_balances(struct sim *s, struct evhttp_request *req, json_t *in)
{
	json_t *ids = json_object_get(in, "customer_infos"), *out, *it;
	size_t i;

	if (!json_is_array(ids) || json_array_size(ids) < 1 || json_array_size(ids) > 100) {
		s->bad_requests++;
		sim_send_error(s, req, 400, "CBC.0101",
		    "Invalid parameter: customer_infos must hold 1 "
		    "to 100 customers.");
		return;
	}
	out = json_array();
	json_array_foreach(ids, i, it) {
		json_t *c = sim_find_customer(s, sim_str_field(it, "customer_id")), *b;

		/* Consultant-sales customers are left out without a word, as Huawei does. */
		if (c == NULL || !sim_str_field(c, "association_type") ||
		    strcmp(sim_str_field(c, "association_type"), "2") != 0)
			continue;
		b = json_object_get(c, "balance");
		if (b == NULL)
			continue;
		b = json_deep_copy(b);
		json_object_set(b, "customer_id", json_object_get(c, "customer_id"));
		json_array_append_new(out, b);
	}
	it = json_pack("{s:o}", "customer_balances", out);
	sim_send_reply(s, req, 200, it, NULL);
	json_decref(it);
}

void
sim_api_partner(struct sim *s, struct evhttp_request *req)
{
	json_t *b = json_pack("{s:O}", "account_balances",
	    json_object_get(s->data, "partner_balances") ?
		json_object_get(s->data, "partner_balances") :
		json_array());

	sim_send_reply(s, req, 200, b, NULL);
	json_decref(b);
}

void
sim_api_resources(struct sim *s, struct evhttp_request *req, json_t *in)
{
	bool bad = false, has_begin, has_end;
	json_int_t offset = sim_int_field(in, "offset", 0, &bad),
		   limit = sim_int_field(in, "limit", 10, &bad);
	json_int_t only_main = sim_int_field(in, "only_main_resource", 0, &bad);
	const char *cid = sim_str_field(in, "customer_id");
	json_t *ids = json_object_get(in, "resource_ids"),
	       *statuses = json_object_get(in, "status_list");
	const char *service = sim_str_field(in, "service_type_code");
	int64_t begin = 0, end = 0;
	json_t *c, *out, *r;
	json_int_t count = 0;
	size_t i;

	if (cid == NULL) {
		s->bad_requests++;
		sim_send_error(s, req, 400, "CBC.0100",
		    "Parameter error: customer_id is required when a "
		    "partner queries a customer's resources.");
		return;
	}
	if (bad || offset < 0 || limit < 1 || limit > 500 ||
	    (ids && (!json_is_array(ids) || json_array_size(ids) > 50)) ||
	    (statuses && !json_is_array(statuses)) ||
	    !sim_time_field(in, "expire_time_begin", &begin, &has_begin) ||
	    !sim_time_field(in, "expire_time_end", &end, &has_end)) {
		s->bad_requests++;
		sim_send_error(s, req, 400, "CBC.0101", "Invalid parameter.");
		return;
	}
	c = sim_find_customer(s, cid);
	if (c == NULL) {
		/* Huawei's quirk: a business error inside an HTTP 200. */
		sim_send_error(s, req, 200, "CBC.5002",
		    "The customer does not exist or is not "
		    "associated with the partner.");
		return;
	}
	out = json_array();
	json_array_foreach(json_object_get(c, "resources"), i, r) {
		const char *exp = sim_str_field(r, "expire_time");
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
		    (!sim_str_field(r, "service_type_code") ||
			strcmp(service, sim_str_field(r, "service_type_code")) != 0))
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
	sim_send_reply(s, req, 200, r, NULL);
	json_decref(r);
}

void
sim_api_iam(struct sim *s, struct evhttp_request *req, json_t *in)
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

		user = sim_str_field(u, "name");
		if (!user || strcmp(user, s->iam_user) != 0 || !sim_str_field(u, "password") ||
		    strcmp(sim_str_field(u, "password"), s->iam_password) != 0 ||
		    !sim_str_field(json_object_get(u, "domain"), "name") ||
		    strcmp(sim_str_field(json_object_get(u, "domain"), "name"), s->iam_domain) !=
			0) {
			s->auth_failures++;
			ans = json_pack("{s:{s:i,s:s,s:s}}", "error", "code", 401, "message",
			    "The username or password is wrong.", "title", "Unauthorized");
			sim_send_reply(s, req, 401, ans, NULL);
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
			sim_send_reply(s, req, 401, ans, NULL);
			json_decref(ans);
			return;
		}
		user = "agency";
		domain = sim_str_field(json_object_get(id, "assume_role"), "domain_name");
		if (domain == NULL)
			domain = sim_str_field(json_object_get(id, "assume_role"), "domain_id");
		if (!sim_agency_allows(s, domain,
			sim_str_field(json_object_get(id, "assume_role"), "agency_name"))) {
			s->auth_failures++;
			ans = json_pack("{s:{s:i,s:s,s:s}}", "error", "code", 403, "message",
			    "The customer has not created this agency for the partner, or the "
			    "caller is not its Agent Operator.",
			    "title", "Forbidden");
			sim_send_reply(s, req, 403, ans, NULL);
			json_decref(ans);
			return;
		}
	} else {
		s->bad_requests++;
		ans = json_pack("{s:{s:i,s:s,s:s}}", "error", "code", 400, "message",
		    "The request body is invalid.", "title", "Bad Request");
		sim_send_reply(s, req, 400, ans, NULL);
		json_decref(ans);
		return;
	}
	snprintf(token, sizeof(token), "%016llx%016llx%016llx%016llx",
	    (unsigned long long)sim_rng_next(&s->rng), (unsigned long long)sim_rng_next(&s->rng),
	    (unsigned long long)sim_rng_next(&s->rng), (unsigned long long)sim_rng_next(&s->rng));
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
	sim_send_reply(s, req, 201, ans, token);
	json_decref(ans);
}

void
sim_api_check_identity(struct sim *s, struct evhttp_request *req, json_t *in)
{
	const char *type = sim_str_field(in, "search_type"),
		   *value = sim_str_field(in, "search_value");
	const char *field;
	json_t *ans;

	if (!type || !value || strlen(value) > 64) {
		s->bad_requests++;
		sim_send_error(s, req, 400, "CBC.0100",
		    "Parameter error: search_type and search_value are "
		    "required.");
		return;
	}
	if (strcmp(type, "name") == 0 && sim_valid_account_name(value))
		field = "account_name";
	else if (strcmp(type, "email") == 0 && strchr(value, '@'))
		field = "email";
	else if (strcmp(type, "mobile") == 0 && strncmp(value, "0086-", 5) == 0)
		field = "telephone";
	else {
		s->bad_requests++;
		sim_send_error(s, req, 400, "CBC.0101",
		    "Invalid parameter: search_type or search_value.");
		return;
	}
	ans = json_pack("{s:s}", "check_result",
	    sim_customer_where(s, field, value) ? "used_by_user" : "available");
	if (strcmp(type, "mobile") == 0)
		json_object_set_new(ans, "mobile_remain_available_num", json_integer(5));
	sim_send_reply(s, req, 200, ans, NULL);
	json_decref(ans);
}

/* The code "sent" to a mobile is always 123456, so that tests can create customers with it. */
void
sim_api_send_code(struct sim *s, struct evhttp_request *req, json_t *in)
{
	bool bad = false;
	const char *mobile = sim_str_field(in, "mobile_phone");

	if (sim_int_field(in, "receiver_type", 0, &bad) != 1 || bad || mobile == NULL) {
		s->bad_requests++;
		sim_send_error(s, req, 400, "CBC.0100",
		    "Parameter error: receiver_type 1 and mobile_phone "
		    "are required.");
		return;
	}
	json_object_set_new(s->codes, mobile, json_string("123456"));
	sim_send_raw(s, req, 204, "", NULL);
}

/* Created and, unlike Huawei (asynchronous), associated at once. */
void
sim_api_create_customer(struct sim *s, struct evhttp_request *req, json_t *in)
{
	const char *xid = sim_str_field(in, "xaccount_id"),
		   *xtype = sim_str_field(in, "xaccount_type");
	const char *name = sim_str_field(in, "domain_name"),
		   *mobile = sim_str_field(in, "mobile_phone");
	const char *code = sim_str_field(in, "verification_code");
	const char *coop = sim_str_field(in, "cooperation_type");
	char id[40], gen[40], at[CLOCK_UTC_S_LEN];
	json_t *c, *ans;

	if (!xid || !xtype || strlen(xid) > 64 || strlen(xtype) > 64) {
		s->bad_requests++;
		sim_send_error(s, req, 400, "CBC.0100",
		    "Parameter error: xaccount_id and xaccount_type are "
		    "required.");
		return;
	}
	if (name && !sim_valid_account_name(name)) {
		sim_send_error(s, req, 400, "CBC.99000031", "The login name format is invalid.");
		return;
	}
	if (name && sim_customer_where(s, "account_name", name)) {
		sim_send_error(s, req, 400, "CBC.99000038", "The login name already exists.");
		return;
	}
	if (sim_customer_where(s, "xaccount_id", xid)) {
		sim_send_error(s, req, 400, "CBC.99000039", "The xaccount_id already exists.");
		return;
	}
	if (mobile &&
	    (!code || !sim_str_field(s->codes, mobile) ||
		strcmp(code, sim_str_field(s->codes, mobile)) != 0)) {
		sim_send_error(s, req, 400, "CBC.99004010", "The verification code is incorrect.");
		return;
	}
	snprintf(id, sizeof(id), "%016llx%016llx", (unsigned long long)sim_rng_next(&s->rng),
	    (unsigned long long)sim_rng_next(&s->rng));
	snprintf(gen, sizeof(gen), "hw%.30s", id);
	clock_format_utc_s(clock_wall_us() / 1000000, at, sizeof(at));
	c = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:[]}", "customer_id", id,
	    "account_name", name ? name : gen, "xaccount_id", xid, "xaccount_type", xtype,
	    "association_type", coop && strcmp(coop, "1") == 0 ? "1" : "2", "is_frozen", 0,
	    "associated_on", at, "telephone", mobile ? mobile : "", "customer_level", "V0",
	    "resources");
	if (strcmp(sim_str_field(c, "association_type"), "2") == 0)
		json_object_set_new(c, "balance",
		    json_pack("{s:f,s:f,s:s,s:i}", "amount", 0.0, "debt_amount", 0.0, "currency",
			"CNY", "measure_id", 1));
	json_array_append_new(json_object_get(s->data, "customers"), c);
	sim_reindex(s);
	ans = json_pack("{s:s,s:s}", "domain_id", id, "domain_name",
	    sim_str_field(c, "account_name"));
	sim_send_reply(s, req, 200, ans, NULL);
	json_decref(ans);
}

/* A customer's own balance: only with that customer's (assume-role) token. */
void
sim_api_own_balance(struct sim *s, struct evhttp_request *req, const char *identity)
{
	const char *domain = strncmp(identity, "token:agency:", 13) == 0 ? identity + 13 : NULL;
	json_t *c = NULL, *b, *ans, *zero = NULL;

	if (domain)
		c = sim_customer_where(s, "account_name", domain) ?
		    sim_customer_where(s, "account_name", domain) :
		    sim_find_customer(s, domain);
	if (c == NULL) {
		sim_send_error(s, req, 403, "CBC.0151",
		    "Access denied: this API takes the customer's own "
		    "credential.");
		return;
	}
	if (strcmp(sim_str_field(c, "association_type") ? sim_str_field(c, "association_type") : "",
		"2") == 0) {
		sim_send_error(s, req, 400, "CBC.99000049",
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
	sim_send_reply(s, req, 200, ans, NULL);
	json_decref(ans);
	json_decref(zero);
}
