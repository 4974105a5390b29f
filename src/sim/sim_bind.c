/*
 * hcwatch-sim bind: what a customer's browser sends to the partner's
 * notification URL after Huawei Cloud has bound the account: a form POST of
 * bindRequest (Base64 JSON), SigAlg and Signature (RSA-SHA256 over the
 * Base64 text: rule A of the API notes). --tamper breaks one thing on
 * purpose, so that tests can see each rejection.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "net/http_client.h"
#include "sim/sim.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/xalloc.h"
#include "verify/bindreq.h"
#include "verify/form.h"

struct bind_opts {
	const char *url, *key, *cacert;
	const char *domain_id, *domain_name, *xaccount_id, *xuser_id, *bind_action, *extra;
	const char *tamper, *encoding;
	bool print;
	long count;
};

static const char *const tampers[] = {
	"none",
	"payload",
	"signature",
	"truncate-signature",
	"sig-alg",
	"bad-base64",
	"bad-json",
	"no-customer",
	"missing-signature",
	"duplicate-field",
	"raw-plus",
	NULL,
};

static unsigned char *sign(EVP_PKEY *key, const char *msg, size_t *siglen);
static char *make_body(const struct bind_opts *o, EVP_PKEY *key, long index, char **ctype);
static int post(const struct bind_opts *o, const char *body, const char *ctype);

static unsigned char *
sign(EVP_PKEY *key, const char *msg, size_t *siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;

	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, siglen, (const unsigned char *)msg, strlen(msg)) != 1)
		goto out;
	sig = xmalloc(*siglen);
	if (EVP_DigestSign(ctx, sig, siglen, (const unsigned char *)msg, strlen(msg)) != 1) {
		free(sig);
		sig = NULL;
	}
out:
	EVP_MD_CTX_free(ctx);
	return sig;
}

static char *
make_body(const struct bind_opts *o, EVP_PKEY *key, long index, char **ctype)
{
	const char *t = o->tamper;
	json_t *msg = json_object();
	char *json_text, *request, *sig_b64, *enc;
	const char *alg = BIND_SIG_ALG_RSA_SHA256;
	unsigned char *sig;
	size_t siglen;
	struct buf b;
	char id[256];

	if (strcmp(t, "no-customer") != 0) {
		if (o->count > 1 && o->domain_id)
			snprintf(id, sizeof(id), "%s%08ld", o->domain_id, index);
		else
			snprintf(id, sizeof(id), "%s", o->domain_id ? o->domain_id : "");
		if (o->domain_name)
			json_object_set_new(msg, "domainName", json_string(o->domain_name));
		if (id[0])
			json_object_set_new(msg, "domainId", json_string(id));
	}
	if (o->xuser_id)
		json_object_set_new(msg, "xUserId", json_string(o->xuser_id));
	if (o->xaccount_id)
		json_object_set_new(msg, "xAccountId", json_string(o->xaccount_id));
	if (o->bind_action)
		json_object_set_new(msg, "bindAction", json_integer(atoi(o->bind_action)));
	if (o->extra) {
		json_error_t e;
		json_t *x = json_loads(o->extra, 0, &e);

		if (x == NULL || !json_is_object(x)) {
			fprintf(stderr, "--extra must be a JSON object: %s\n", x ? "" : e.text);
			exit(2);
		}
		json_object_update(msg, x);
		json_decref(x);
	}
	json_text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (strcmp(t, "bad-json") == 0) {
		free(json_text);
		json_text = xstrdup("{\"domainId\": \"unterminated");
	}
	request = b64_encode((const unsigned char *)json_text, strlen(json_text));
	if (strcmp(t, "bad-base64") == 0) {
		free(request);
		request = xstrdup("eyJkb21haW5JZCI6!!notbase64");
	}
	free(json_text);

	sig = sign(key, request, &siglen);
	if (sig == NULL) {
		fprintf(stderr,
		    "hcwatch-sim bind: signing failed (is --key an RSA private key?)\n");
		exit(1);
	}
	if (strcmp(t, "signature") == 0)
		sig[siglen / 2] ^= 0x01;
	if (strcmp(t, "truncate-signature") == 0)
		siglen -= 16;
	sig_b64 = b64_encode(sig, siglen);
	free(sig);
	if (strcmp(t, "payload") == 0) {
		/* Change the message after signing: a different but valid Base64 text. */
		size_t n = strlen(request);

		request[n > 6 ? n - 6 : 0] = request[n > 6 ? n - 6 : 0] == 'A' ? 'B' : 'A';
	}
	if (strcmp(t, "sig-alg") == 0)
		alg = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";

	buf_init(&b);
	if (strcmp(o->encoding, "multipart") == 0) {
		const char *bd = "----hcwatchsimBoundary7MA4YWxkTrZu0gW";

		*ctype = xmalloc(128);
		snprintf(*ctype, 128, "multipart/form-data; boundary=%s", bd);
		buf_appendf(&b,
		    "--%s\r\nContent-Disposition: form-data; name=\"bindRequest\"\r\n\r\n%s\r\n",
		    bd, request);
		buf_appendf(&b,
		    "--%s\r\nContent-Disposition: form-data; name=\"SigAlg\"\r\n\r\n%s\r\n", bd,
		    alg);
		if (strcmp(t, "missing-signature") != 0)
			buf_appendf(&b,
			    "--%s\r\nContent-Disposition: form-data; name=\"Signature\"\r\n\r\n"
			    "%s\r\n",
			    bd, sig_b64);
		buf_appendf(&b, "--%s--\r\n", bd);
	} else {
		*ctype = xstrdup("application/x-www-form-urlencoded");
		enc = form_urlencode(request, strlen(request));
		if (strcmp(t, "raw-plus") == 0) {
			/* A sender that leaves '+' unescaped: form decoding makes it a space. */
			free(enc);
			enc = xstrdup(request);
		}
		buf_appendf(&b, "bindRequest=%s", enc);
		free(enc);
		enc = form_urlencode(alg, strlen(alg));
		buf_appendf(&b, "&SigAlg=%s", enc);
		free(enc);
		if (strcmp(t, "missing-signature") != 0) {
			enc = strcmp(t, "raw-plus") == 0 ? xstrdup(sig_b64) :
							   form_urlencode(sig_b64, strlen(sig_b64));
			buf_appendf(&b, "&Signature=%s", enc);
			free(enc);
		}
		if (strcmp(t, "duplicate-field") == 0)
			buf_append_str(&b, "&Signature=AAAA");
	}
	free(request);
	free(sig_b64);
	return buf_release(&b);
}

/* Through the project's HTTP client, as a browser would: a form POST, redirects not followed. */
static int
post(const struct bind_opts *o, const char *body, const char *ctype)
{
	struct http_client_opts ho = { 10000, 30000, 1 << 20, o->cacert };
	struct http_client *c = http_client_new(&ho);
	struct http_response resp;
	char hdr[256], err[HTTP_CLIENT_ERR_LEN], location[2048];
	const char *headers[] = { hdr, "User-Agent: Mozilla/5.0 (hcwatch-sim browser)", NULL };
	int rc = 1;

	http_response_init(&resp);
	snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
	if (!http_client_request(c, "POST", o->url, headers, body, strlen(body), &resp, err,
		sizeof(err))) {
		fprintf(stderr, "hcwatch-sim bind: %s\n", err);
		goto out;
	}
	if (!http_response_header(&resp, "Location", location, sizeof(location)))
		location[0] = '\0';
	printf("HTTP %ld%s%s\n", resp.status, location[0] ? " " : "", location);
	rc = 0;
out:
	http_response_cleanup(&resp);
	http_client_free(c);
	return rc;
}

int
sim_bind(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "key", required_argument, NULL, 'k' },
		{ "cacert", required_argument, NULL, 'C' },
		{ "domain-id", required_argument, NULL, 'd' },
		{ "domain-name", required_argument, NULL, 'n' },
		{ "xaccount-id", required_argument, NULL, 'x' },
		{ "xuser-id", required_argument, NULL, 'U' },
		{ "bind-action", required_argument, NULL, 'a' },
		{ "extra", required_argument, NULL, 'e' },
		{ "tamper", required_argument, NULL, 't' },
		{ "encoding", required_argument, NULL, 'E' },
		{ "print", no_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bind_opts o = { .tamper = "none", .encoding = "form", .count = 1 };
	EVP_PKEY *key;
	FILE *fp;
	int c, rc = 0;
	bool known = false;

	while ((c = getopt_long(argc, argv, "u:k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'u': o.url = optarg; break;
		case 'k': o.key = optarg; break;
		case 'C': o.cacert = optarg; break;
		case 'd': o.domain_id = optarg; break;
		case 'n': o.domain_name = optarg; break;
		case 'x': o.xaccount_id = optarg; break;
		case 'U': o.xuser_id = optarg; break;
		case 'a': o.bind_action = optarg; break;
		case 'e': o.extra = optarg; break;
		case 't': o.tamper = optarg; break;
		case 'E': o.encoding = optarg; break;
		case 'p': o.print = true; break;
		case 'N': o.count = atol(optarg); break;
		case 'h':
			printf(
			    "usage: hcwatch-sim bind --key KEY.pem (--url URL | --print [--count N])\n"
			    "         [--domain-id ID] [--domain-name NAME] [--xaccount-id ID] [--xuser-id ID]\n"
			    "         [--bind-action N] [--extra JSON] [--encoding form|multipart]\n"
			    "         [--cacert CA.pem] [--tamper MODE]\n\n"
			    "Signs bindRequest with KEY (rule A) and posts it as a browser would; prints\n"
			    "\"HTTP <status> [<redirect>]\". --print writes the form body instead, one per line;\n"
			    "with --count N the domain id gets an 8-digit suffix per body.\n"
			    "MODE: none payload signature truncate-signature sig-alg bad-base64 bad-json\n"
			    "      no-customer missing-signature duplicate-field raw-plus\n");
			return 0;
		default: return 2;
		}
	}
	for (int i = 0; tampers[i]; i++)
		known |= strcmp(o.tamper, tampers[i]) == 0;
	if (!known || (strcmp(o.encoding, "form") != 0 && strcmp(o.encoding, "multipart") != 0) ||
	    o.key == NULL || (!o.print && o.url == NULL) || o.count < 1 ||
	    (o.print && strcmp(o.encoding, "form") != 0)) {
		fprintf(stderr,
		    "hcwatch-sim bind: need --key and --url (or --print, form encoding "
		    "only); see --help\n");
		return 2;
	}
	fp = fopen(o.key, "r");
	if (fp == NULL) {
		perror(o.key);
		return 1;
	}
	key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	if (key == NULL) {
		fprintf(stderr, "%s: no PEM private key\n", o.key);
		return 1;
	}
	for (long i = 0; i < o.count && rc == 0; i++) {
		char *ctype = NULL;
		char *body = make_body(&o, key, i, &ctype);

		if (o.print)
			printf("%s\n", body);
		else
			rc = post(&o, body, ctype);
		free(body);
		free(ctype);
	}
	EVP_PKEY_free(key);
	return rc;
}
