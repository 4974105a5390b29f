/*
 * hcwatch-sim serve: Huawei's BSS and IAM endpoints (sim_bss.c), as strict as
 * the real gateway where hcwatch depends on it, over data of its own
 * (sim_data.c), and the chat robots, webhook receiver and SMTP server
 * (sim_chat.c). This file is the server: options, routing (replies are
 * sim_reply.c's), and the administration under /_sim/: mutate changes the
 * data while it runs, faults injects failures, stats counts what arrived,
 * dataset returns the whole document.
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

#include "core/config.h"
#include "sim/sim.h"
#include "sim/sim_huawei.h"
#include "util/clock.h"
#include "util/xalloc.h"

#define MAX_BODY (1 << 20)

const char *const sim_api_names[API_COUNT] = {
	"ListSubCustomers",
	"ListCustomersBalancesDetail",
	"ListPayPerUseCustomerResources",
	"ListPartnerBalances",
	"KeystoneCreateUserTokenByPassword",
	"CheckUserIdentity",
	"SendVerificationMessageCode",
	"CreateSubCustomer",
	"ShowCustomerAccountBalances",
	"ListIssuedPartnerCoupons",
	"ListQuotaCoupons",
	"ListPartnerCouponsRecord",
	"ListSubCustomerBillDetail",
	"ListConsumeSubCustomers",
	"ListRenewRateOnPeriod",
	"KeystoneCreateAgencyToken",
};

static char *body_text(struct evhttp_request *req, size_t *len);
static bool apply_op(struct sim *s, json_t *op, char *err, size_t errlen);
static void h_admin(struct sim *s, struct evhttp_request *req, const char *path, json_t *in);
static void on_request(struct evhttp_request *req, void *arg);
static void on_signal(evutil_socket_t sig, short what, void *arg);
static void usage(FILE *out);

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

static void
h_admin(struct sim *s, struct evhttp_request *req, const char *path, json_t *in)
{
	json_t *ans = NULL;
	char err[256];

	if (strcmp(path, "/_sim/stats") == 0) {
		json_t *calls = json_object();

		for (int i = 0; i < API_COUNT; i++)
			json_object_set_new(calls, sim_api_names[i], json_integer(s->calls[i]));
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
		sim_send_reply(s, req, 200, s->data, NULL);
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
			if (!apply_op(s, op, err, sizeof(err))) {
				json_decref(ops);
				ans = json_pack("{s:s,s:I}", "error", err, "at", (json_int_t)i);
				sim_send_reply(s, req, 400, ans, NULL);
				json_decref(ans);
				return;
			}
		}
		json_decref(ops);
		ans = json_pack("{s:b}", "ok", 1);
	} else {
		ans = json_pack("{s:s}", "error", "unknown admin path or bad body");
		sim_send_reply(s, req, 404, ans, NULL);
		json_decref(ans);
		return;
	}
	sim_send_reply(s, req, 200, ans, NULL);
	json_decref(ans);
}

/* A GET's query as an object of strings; a key given more than once, as an array of them. */
static json_t *
query_params(struct evhttp_request *req)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq kv;
	struct evkeyval *e;
	json_t *o = json_object();

	if (q == NULL || evhttp_parse_query_str(q, &kv) != 0)
		return o;
	for (e = kv.tqh_first; e; e = e->next.tqe_next) {
		json_t *old = json_object_get(o, e->key);

		if (old == NULL)
			json_object_set_new(o, e->key, json_string(e->value));
		else if (json_is_array(old))
			json_array_append_new(old, json_string(e->value));
		else
			json_object_set_new(o, e->key, json_pack("[O,s]", old, e->value));
	}
	evhttp_clear_headers(&kv);
	return o;
}

/*
 * One /_sim/mutate operation: the coupons' own, else the data's; removing a
 * customer first reclaims its coupons, as Huawei does on dissociation.
 */
static bool
apply_op(struct sim *s, json_t *op, char *err, size_t errlen)
{
	const char *name = sim_str_field(op, "op"), *cid = sim_str_field(op, "customer_id");
	bool ok;

	if (name && sim_mutate_coupons(s, name, op, err, errlen, &ok))
		return ok;
	if (name && strcmp(name, "remove_customer") == 0 && sim_find_customer(s, cid))
		sim_reclaim_coupons(s, cid);
	return sim_mutate(s, op, err, errlen);
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
	else if (cmd == EVHTTP_REQ_GET &&
	    strcmp(path, "/v2/promotions/benefits/partner-coupons") == 0)
		api = API_COUPONS;
	else if (cmd == EVHTTP_REQ_POST && strcmp(path, "/v2/partners/coupon-quotas/query") == 0)
		api = API_QUOTAS;
	else if (cmd == EVHTTP_REQ_GET &&
	    strcmp(path, "/v2/promotions/benefits/partner-coupons/records/query") == 0)
		api = API_COUPON_RECORDS;
	else if (cmd == EVHTTP_REQ_GET &&
	    strcmp(path, "/v2/bills/subcustomer-bills/res-fee-records") == 0)
		api = API_BILL_RECORDS;
	else if (cmd == EVHTTP_REQ_POST &&
	    strcmp(path, "/v2/bills/subcustomer-bills/res-fee-records/sub-customers/query") == 0)
		api = API_CONSUME_CUSTOMERS;
	else if (cmd == EVHTTP_REQ_POST &&
	    strcmp(path, "/v2/bills/ratings/period-resources/renew-rate") == 0)
		api = API_RENEW_RATE;
	else {
		sim_send_gateway_error(s, req, 404, "0101",
		    "The API does not exist or has not been "
		    "published in the environment");
		goto out;
	}
	/* assume_role is the same IAM call, counted apart from the partner's own tokens. */
	if (api == API_IAM && in) {
		json_t *id = json_object_get(json_object_get(in, "auth"), "identity");
		const char *m =
		    json_string_value(json_array_get(json_object_get(id, "methods"), 0));

		if (m && strcmp(m, "assume_role") == 0)
			api = API_IAM_AGENCY;
	}
	if (api == API_IAM || api == API_IAM_AGENCY) {
		snprintf(identity, sizeof(identity), "iam");
	} else if (!sim_check_auth(s, req, body, len, identity, sizeof(identity))) {
		goto out;
	}
	if (!sim_take_token(s, api, identity)) {
		char msg[160];

		s->throttled++;
		snprintf(msg, sizeof(msg),
		    "The throttling threshold has been reached: policy user "
		    "over ratelimit,limit:%d,time:1 second",
		    s->rate);
		sim_send_gateway_error(s, req, 429, "0308", msg);
		goto out;
	}
	s->calls[api]++;
	if (s->faults.rate_5xx > 0 && sim_rng_unit(&s->rng) < s->faults.rate_5xx) {
		s->faults_injected++;
		sim_send_error(s, req, 500, "CBC.0999", "Other error (injected by hcwatch-sim).");
		goto out;
	}
	if (s->faults.rate_error200 > 0 && api != API_IAM && api != API_IAM_AGENCY &&
	    sim_rng_unit(&s->rng) < s->faults.rate_error200) {
		s->faults_injected++;
		sim_send_error(s, req, 200, "CBC.0999", "Other error (injected by hcwatch-sim).");
		goto out;
	}
	if (s->faults.rate_malformed > 0 && api != API_IAM && api != API_IAM_AGENCY &&
	    sim_rng_unit(&s->rng) < s->faults.rate_malformed) {
		s->faults_injected++;
		sim_send_raw(s, req, 200, "{\"customer_infos\":[{\"customer_id\":", NULL);
		goto out;
	}
	if (s->faults.rate_huge > 0 && api != API_IAM && api != API_IAM_AGENCY &&
	    sim_rng_unit(&s->rng) < s->faults.rate_huge) {
		/* Well-formed JSON, too big to be believed: {"padding":"xxx...x"}. */
		size_t n = (size_t)s->faults.huge_bytes;
		char *big = xmalloc(n + 16);

		s->faults_injected++;
		memcpy(big, "{\"padding\":\"", 12);
		memset(big + 12, 'x', n);
		memcpy(big + 12 + n, "\"}", 3);
		sim_send_raw(s, req, 200, big, NULL);
		free(big);
		goto out;
	}
	if (len > 0 && in == NULL) {
		s->bad_requests++;
		sim_send_error(s, req, 400, "CBC.0100", "Parameter error: the body is not JSON.");
		goto out;
	}
	if (in == NULL)
		in = cmd == EVHTTP_REQ_GET ? query_params(req) : json_object();
	switch (api) {
	case API_CUSTOMERS: sim_api_customers(s, req, in); break;
	case API_BALANCES: sim_api_balances(s, req, in); break;
	case API_RESOURCES: sim_api_resources(s, req, in); break;
	case API_PARTNER: sim_api_partner(s, req); break;
	case API_IAM:
	case API_IAM_AGENCY: sim_api_iam(s, req, in); break;
	case API_CHECK_IDENTITY: sim_api_check_identity(s, req, in); break;
	case API_SEND_CODE: sim_api_send_code(s, req, in); break;
	case API_CREATE_CUSTOMER: sim_api_create_customer(s, req, in); break;
	case API_OWN_BALANCE: sim_api_own_balance(s, req, identity); break;
	case API_COUPONS: sim_api_coupons(s, req, in); break;
	case API_QUOTAS: sim_api_quotas(s, req, in); break;
	case API_COUPON_RECORDS: sim_api_coupon_records(s, req, in); break;
	case API_BILL_RECORDS: sim_api_bill_records(s, req, in); break;
	case API_CONSUME_CUSTOMERS: sim_api_consume_customers(s, req, in); break;
	case API_RENEW_RATE: sim_api_renew_rate(s, req, in, identity); break;
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
		s.data = sim_generate(ncust, per, seed);
		sim_generate_coupons(s.data, seed);
	}
	s.tokens = json_object();
	s.codes = json_object();
	s.rng = seed ^ 0x5eed;
	s.started = clock_wall_us() / 1000000;
	sim_reindex(&s);

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
