/*
 * Inside hcwatch-sim serve: the simulator's state (struct sim) and what its
 * parts share: the data and its changes (sim_data.c), Huawei's APIs as the
 * gateway serves them (sim_bss.c), the replies (sim_reply.c), and the server
 * and its /_sim/ administration (sim_serve.c).
 */
#ifndef HCWATCH_SIM_SIM_HUAWEI_H
#define HCWATCH_SIM_SIM_HUAWEI_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/http.h>
#include <jansson.h>

#include "sim/sim_chat.h"

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
	API_COUPONS,
	API_QUOTAS,
	API_COUPON_RECORDS,
	API_BILL_RECORDS,
	API_CONSUME_CUSTOMERS,
	API_RENEW_RATE,
	API_IAM_AGENCY,
	API_COUNT
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
	int64_t started;       /* wall seconds when it started */
	struct sim_chat *chat; /* the chat robots, webhook receiver and SMTP server */
	/* counters for /_sim/stats */
	long calls[API_COUNT], throttled, auth_failures, faults_injected, bad_requests, total;
};

extern const char *const sim_api_names[API_COUNT];

/* The data (sim_data.c). */
uint64_t sim_rng_next(uint64_t *s);
double sim_rng_unit(uint64_t *s);
void sim_reindex(struct sim *s);
json_t *sim_find_customer(struct sim *s, const char *id);
json_t *sim_customer_where(struct sim *s, const char *field, const char *value);
json_t *sim_find_resource(struct sim *s, const char *rid, json_t **owner, size_t *pos);
json_t *sim_public_customer(json_t *c);
const char *sim_str_field(json_t *in, const char *key);
json_int_t sim_int_field(json_t *in, const char *key, json_int_t def, bool *bad);
bool sim_time_field(json_t *in, const char *key, int64_t *out, bool *present);
bool sim_valid_account_name(const char *n);
json_t *sim_generate(int ncust, int per, uint64_t seed);
bool sim_mutate(struct sim *s, json_t *op, char *err, size_t errlen);

/* Coupons, quotas and reclaims (sim_coupons.c). */
void sim_generate_coupons(json_t *data, uint64_t seed);
void sim_reclaim_coupons(struct sim *s, const char *customer_id);
void sim_api_coupons(struct sim *s, struct evhttp_request *req, json_t *in);
void sim_api_quotas(struct sim *s, struct evhttp_request *req, json_t *in);
void sim_api_coupon_records(struct sim *s, struct evhttp_request *req, json_t *in);
/** The coupon operations of /_sim/mutate: false when name is none of them, else *ok. */
bool sim_mutate_coupons(struct sim *s, const char *name, json_t *op, char *err, size_t errlen,
    bool *ok);

/* Consumption, made on demand (sim_consumption.c). */
long sim_renew_price_cents(json_t *resource);
void sim_api_bill_records(struct sim *s, struct evhttp_request *req, json_t *in);
void sim_api_consume_customers(struct sim *s, struct evhttp_request *req, json_t *in);
bool sim_agency_allows(struct sim *s, const char *domain, const char *agency);
void sim_api_renew_rate(struct sim *s, struct evhttp_request *req, json_t *in,
    const char *identity);

/* Replies, as the gateway gives them, after any injected latency (sim_reply.c). */
void sim_send_reply(struct sim *s, struct evhttp_request *req, int status, json_t *body,
    const char *token);
void sim_send_raw(struct sim *s, struct evhttp_request *req, int status, const char *text,
    const char *token);
void sim_send_error(struct sim *s, struct evhttp_request *req, int status, const char *code,
    const char *msg);
void sim_send_gateway_error(struct sim *s, struct evhttp_request *req, int status, const char *code,
    const char *msg);
void sim_api_send_code(struct sim *s, struct evhttp_request *req, json_t *in);

/* Huawei's APIs (sim_bss.c). */
bool sim_check_auth(struct sim *s, struct evhttp_request *req, const char *body, size_t len,
    char *identity, size_t idlen);
bool sim_take_token(struct sim *s, enum api api, const char *identity);
void sim_api_customers(struct sim *s, struct evhttp_request *req, json_t *in);
void sim_api_balances(struct sim *s, struct evhttp_request *req, json_t *in);
void sim_api_partner(struct sim *s, struct evhttp_request *req);
void sim_api_resources(struct sim *s, struct evhttp_request *req, json_t *in);
void sim_api_iam(struct sim *s, struct evhttp_request *req, json_t *in);
void sim_api_check_identity(struct sim *s, struct evhttp_request *req, json_t *in);
void sim_api_create_customer(struct sim *s, struct evhttp_request *req, json_t *in);
void sim_api_own_balance(struct sim *s, struct evhttp_request *req, const char *identity);

#endif
