/*
 * The account-binding result notification (API notes section 1): checks the
 * form fields bindRequest, SigAlg and Signature, verifies the RSA-SHA256
 * signature with Huawei's keys, and decodes the Base64 JSON message.
 *
 * Pure: no I/O, no logging, so that every rejection path is unit-tested. The
 * caller stores the outcome, whatever it is.
 */
#ifndef HCWATCH_VERIFY_BINDREQ_H
#define HCWATCH_VERIFY_BINDREQ_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util/sha256.h"
#include "verify/form.h"
#include "verify/keys.h"

#define BIND_SIG_ALG_RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define BIND_DETAIL_LEN 256

/* Why a notification was rejected; the codes are stored and are a stable interface. */
enum bind_reason {
	BIND_OK,
	BIND_MALFORMED_FORM,
	BIND_DUPLICATE_FIELD,
	BIND_MISSING_FIELD,
	BIND_UNKNOWN_SIG_ALG,
	BIND_BAD_SIGNATURE,
	BIND_BAD_BASE64,
	BIND_BAD_JSON,
	BIND_MISSING_CUSTOMER,
	/* decided before the form is read, by the HTTP handler */
	BIND_METHOD_NOT_ALLOWED,
	BIND_UNSUPPORTED_MEDIA_TYPE,
	BIND_BODY_TOO_LARGE,
};

struct bind_notice {
	char *bind_request; /* the signed Base64 text, '+' repaired */
	json_t *payload;    /* new reference: the decoded JSON object, unknown fields kept */
	char rule;	    /* signed-string rule that matched: 'A', 'B' or 'C' */
	int key_index;	    /* keyring index of the key that verified it */
	char idem_key[SHA256_HEX_LEN]; /* hex SHA-256 of bind_request: a browser refresh repeats it
					*/
	/* borrowed from payload; NULL when absent */
	const char *domain_id;
	const char *domain_name;
	const char *x_account_id;
	const char *x_user_id;
	char *bind_action; /* bindAction as received, rendered as text; NULL when absent */
};

void bind_notice_init(struct bind_notice *n);
void bind_notice_cleanup(struct bind_notice *n);

/**
 * Verifies a parsed form. rules lists the signed-string rules to try, in
 * order ("A", "A,B,C"). On BIND_OK, out is filled; otherwise detail says what
 * was wrong in words safe to store and log (no secrets, no raw bytes).
 */
enum bind_reason bind_verify(const struct keyring *keys, const char *rules, const struct form *f,
    struct bind_notice *out, char *detail, size_t detaillen);

/** The stored code of a reason, e.g. "bad_signature". */
const char *bind_reason_code(enum bind_reason r);
/** The HTTP status a browser is shown for a reason. */
int bind_reason_status(enum bind_reason r);

#endif
